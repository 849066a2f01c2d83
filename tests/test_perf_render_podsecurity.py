"""kfgen.kube.podsecurity.violations answers a pod shaped as kfgen renders them from the fields it has
(_plainly_restricted) and sends any other through every control (_violations): the two agree on every pod of
the committed profiles, the error goldens and fuzzed profiles (tests/test_perf_render_walks.py's corpus), on
each of those pods with one control broken or one field changed, and on values of the wrong type (the same
answer, or the same exception)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import pytest
from test_perf_render_walks import all_objects

from kfgen.kube import podsecurity
from kfgen.kube.objects import PodTemplate, pod_templates

Json = dict[str, Any]


def answer(fn: Callable[..., Any], spec: Any, annotations: Any) -> Any:
    try:
        return "ok", fn(spec, annotations)
    except Exception as exc:  # noqa: BLE001 - a value of the wrong type: both must fail the same way
        return "raised", type(exc), str(exc)


def agree(spec: Any, annotations: Any = None) -> bool:
    """Whether violations() and the full check agree on the pod (asserted); True when the pod takes the fast path."""
    full = answer(podsecurity._violations, spec, annotations)
    assert answer(podsecurity.violations, spec, annotations) == full, (spec, annotations)
    try:
        fast = podsecurity._plainly_restricted(spec, annotations)
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"the fast path raised {exc!r}: it must leave odd values to the full check")
    if fast:
        assert full == ("ok", ([], [])), (spec, annotations)
    return fast


def templates() -> list[PodTemplate]:
    return [t for obj in all_objects() for t in pod_templates(obj)]


def test_fast_path_and_full_check_agree_on_every_pod_of_the_corpus() -> None:
    pods = templates()
    fast = sum(agree(t.spec, t.annotations) for t in pods)
    # most of kfgen's pods meet restricted: they take the fast path (the point of it)
    assert len(pods) > 100 and fast > len(pods) // 2


SC = "securityContext"
# (what is changed, the change to a pod spec that meets restricted): each control broken, each value that compares
# equal to a good one without being it (0 for False …), fields that break nothing, and values of the wrong type
CHANGES: list[tuple[str, Callable[[Json], Any]]] = [
    ("hostNetwork", lambda p: p.update(hostNetwork=True)),
    ("hostNetwork false", lambda p: p.update(hostNetwork=False)),
    ("hostPID", lambda p: p.update(hostPID=True)),
    ("hostIPC", lambda p: p.update(hostIPC=True)),
    ("hostPath volume", lambda p: p.setdefault("volumes", []).append({"name": "h", "hostPath": {"path": "/"}})),
    ("nfs volume", lambda p: p.setdefault("volumes", []).append({"name": "n", "nfs": {"server": "s", "path": "/"}})),
    ("configMap volume", lambda p: p.setdefault("volumes", []).append({"name": "c", "configMap": {"name": "c"}})),
    ("volumes not a list", lambda p: p.update(volumes={"name": "x"})),
    ("volume not a mapping", lambda p: p.update(volumes=["x"])),
    ("sysctl", lambda p: p.setdefault(SC, {}).update(sysctls=[{"name": "kernel.msgmax", "value": "1"}])),
    ("safe sysctl", lambda p: p.setdefault(SC, {}).update(sysctls=[{"name": "net.ipv4.tcp_syncookies"}])),
    ("pod runAsUser 0", lambda p: p.setdefault(SC, {}).update(runAsUser=0)),
    ("pod runAsUser false", lambda p: p.setdefault(SC, {}).update(runAsUser=False)),
    ("pod runAsNonRoot false", lambda p: p.setdefault(SC, {}).update(runAsNonRoot=False)),
    ("pod runAsNonRoot 1", lambda p: p.setdefault(SC, {}).update(runAsNonRoot=1)),
    ("pod seccomp Unconfined", lambda p: p.setdefault(SC, {}).update(seccompProfile={"type": "Unconfined"})),
    ("pod seccomp Localhost", lambda p: p.setdefault(SC, {}).update(seccompProfile={"type": "Localhost"})),
    ("pod seccomp no type", lambda p: p.setdefault(SC, {}).update(seccompProfile={})),
    ("pod seccomp a list", lambda p: p.setdefault(SC, {}).update(seccompProfile={"type": ["x"]})),
    ("pod seLinux", lambda p: p.setdefault(SC, {}).update(seLinuxOptions={"user": "u"})),
    ("pod windows hostProcess", lambda p: p.setdefault(SC, {}).update(windowsOptions={"hostProcess": True})),
    ("pod appArmor Unconfined", lambda p: p.setdefault(SC, {}).update(appArmorProfile={"type": "Unconfined"})),
    ("pod securityContext gone", lambda p: p.pop(SC, None)),
    ("pod securityContext a list", lambda p: p.update(securityContext=["x"])),
    ("pod fsGroup", lambda p: p.setdefault(SC, {}).update(fsGroup=2000)),
    ("containers gone", lambda p: p.pop("containers", None)),
    ("containers empty", lambda p: p.update(containers=[])),
    ("containers a mapping", lambda p: p.update(containers={"name": "x"})),
    ("container not a mapping", lambda p: p.update(containers=["x"])),
    ("privileged init container", lambda p: p.update(initContainers=[{"name": "i", SC: {"privileged": True}}])),
    ("plain init container", lambda p: p.update(initContainers=copy.deepcopy(p.get("containers") or []))),
    ("ephemeral container", lambda p: p.update(ephemeralContainers=copy.deepcopy(p.get("containers") or []))),
]
CONTAINER_CHANGES: list[tuple[str, Callable[[Json], Any]]] = [
    ("privileged", lambda c: c.setdefault(SC, {}).update(privileged=True)),
    ("privileged false", lambda c: c.setdefault(SC, {}).update(privileged=False)),
    ("allowPrivilegeEscalation true", lambda c: c.setdefault(SC, {}).update(allowPrivilegeEscalation=True)),
    ("allowPrivilegeEscalation 0", lambda c: c.setdefault(SC, {}).update(allowPrivilegeEscalation=0)),
    ("allowPrivilegeEscalation gone", lambda c: c.setdefault(SC, {}).pop("allowPrivilegeEscalation", None)),
    ("runAsNonRoot 1", lambda c: c.setdefault(SC, {}).update(runAsNonRoot=1)),
    ("runAsNonRoot false", lambda c: c.setdefault(SC, {}).update(runAsNonRoot=False)),
    ("runAsNonRoot gone", lambda c: c.setdefault(SC, {}).pop("runAsNonRoot", None)),
    ("runAsUser 0", lambda c: c.setdefault(SC, {}).update(runAsUser=0)),
    ("runAsUser 0.0", lambda c: c.setdefault(SC, {}).update(runAsUser=0.0)),
    ("runAsUser 1000", lambda c: c.setdefault(SC, {}).update(runAsUser=1000)),
    ("adds SYS_ADMIN", lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(add=["SYS_ADMIN"])),
    ("adds CHOWN", lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(add=["CHOWN"])),
    ("adds NET_BIND_SERVICE",
     lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(add=["NET_BIND_SERVICE"])),
    ("adds a list", lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(add=[["x"]])),
    ("drops nothing", lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(drop=[])),
    ("drops NET_RAW", lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(drop=["NET_RAW"])),
    ("drop a string", lambda c: c.setdefault(SC, {}).setdefault("capabilities", {}).update(drop="ALL")),
    ("capabilities gone", lambda c: c.setdefault(SC, {}).pop("capabilities", None)),
    ("capabilities a list", lambda c: c.setdefault(SC, {}).update(capabilities=["ALL"])),
    ("seccomp Unconfined", lambda c: c.setdefault(SC, {}).update(seccompProfile={"type": "Unconfined"})),
    ("seccomp Localhost", lambda c: c.setdefault(SC, {}).update(seccompProfile={"type": "Localhost"})),
    ("seccomp no type", lambda c: c.setdefault(SC, {}).update(seccompProfile={})),
    ("seccomp gone", lambda c: c.setdefault(SC, {}).pop("seccompProfile", None)),
    ("seccomp a string", lambda c: c.setdefault(SC, {}).update(seccompProfile="RuntimeDefault")),
    ("procMount Unmasked", lambda c: c.setdefault(SC, {}).update(procMount="Unmasked")),
    ("procMount Default", lambda c: c.setdefault(SC, {}).update(procMount="Default")),
    ("seLinux type", lambda c: c.setdefault(SC, {}).update(seLinuxOptions={"type": "spc_t"})),
    ("appArmor Unconfined", lambda c: c.setdefault(SC, {}).update(appArmorProfile={"type": "Unconfined"})),
    ("windows hostProcess", lambda c: c.setdefault(SC, {}).update(windowsOptions={"hostProcess": True})),
    ("readOnlyRootFilesystem", lambda c: c.setdefault(SC, {}).update(readOnlyRootFilesystem=True)),
    ("securityContext gone", lambda c: c.pop(SC, None)),
    ("securityContext a list", lambda c: c.update(securityContext=["x"])),
    ("hostPort", lambda c: c.update(ports=[{"containerPort": 80, "hostPort": 80}])),
    ("port", lambda c: c.update(ports=[{"containerPort": 80}])),
    ("port not a mapping", lambda c: c.update(ports=[80])),
    ("probe host", lambda c: c.update(livenessProbe={"httpGet": {"path": "/", "port": 80, "host": "h"}})),
    ("probe", lambda c: c.update(readinessProbe={"httpGet": {"path": "/", "port": 80}})),
    ("tcp probe host", lambda c: c.update(startupProbe={"tcpSocket": {"port": 80, "host": "h"}})),
    ("probe a string", lambda c: c.update(livenessProbe="x")),
    ("probe action a string", lambda c: c.update(livenessProbe={"httpGet": "x"})),
    ("hook host", lambda c: c.update(lifecycle={"preStop": {"httpGet": {"port": 80, "host": "h"}}})),
    ("hook", lambda c: c.update(lifecycle={"preStop": {"exec": {"command": ["true"]}}})),
]
ANNOTATIONS: list[Any] = [
    None, {}, {"a": "b"}, {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"},
    {"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}, {1: "x"}, ["x"]]


def restricted_pods() -> list[Json]:
    """Distinct pod specs of the corpus that meet restricted (each a separate copy)."""
    seen, out = set(), []
    for t in templates():
        if podsecurity._violations(t.spec) == ([], []) and repr(t.spec) not in seen:
            seen.add(repr(t.spec))
            out.append(t.spec)
    return out[:40]


@pytest.mark.parametrize(("what", "change"), CHANGES, ids=[c[0] for c in CHANGES])
def test_one_pod_field_changed(what: str, change: Callable[[Json], Any]) -> None:
    pods = restricted_pods()
    assert pods
    for pod in pods:
        spec = copy.deepcopy(pod)
        change(spec)
        agree(spec)


@pytest.mark.parametrize(("what", "change"), CONTAINER_CHANGES, ids=[c[0] for c in CONTAINER_CHANGES])
def test_one_container_field_changed(what: str, change: Callable[[Json], Any]) -> None:
    for pod in restricted_pods():
        for i in range(len(pod.get("containers") or [])):
            spec = copy.deepcopy(pod)
            change(spec["containers"][i])
            agree(spec)


@pytest.mark.parametrize("annotations", ANNOTATIONS, ids=repr)
def test_annotations(annotations: Any) -> None:
    for pod in restricted_pods():
        agree(copy.deepcopy(pod), annotations)


def test_pods_of_the_wrong_type() -> None:
    for spec in (None, [], "x", {"containers": "x"}, {"containers": [None]}, {"securityContext": "x"}):
        agree(spec)
