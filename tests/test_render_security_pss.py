"""kfgen's Pod Security Standards evaluator (kfgen.kube.podsecurity), control by control: every baseline and
restricted control of https://kubernetes.io/docs/concepts/security/pod-security-standards/ has a case that
breaks it (and, where the standard allows some values, one that does not). The apiserver test creates each
case as a Pod (server dry run) in namespaces enforcing baseline and restricted: the real PodSecurity admission
agrees with the evaluator on every case."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from kfgen.kube import podsecurity
from kfgen.kube.objects import pod_templates

Json = dict[str, Any]

RESTRICTED_CONTAINER: Json = {
    "name": "c", "image": "registry.example/app:1",
    "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                        "seccompProfile": {"type": "RuntimeDefault"}}}


def pod(change: Any = None) -> tuple[Json, Json]:
    """(annotations, spec) of a restricted pod, changed by *change(annotations, spec, container)*."""
    spec: Json = {"containers": [copy.deepcopy(RESTRICTED_CONTAINER)]}
    annotations: Json = {}
    if change is not None:
        change(annotations, spec, spec["containers"][0])
    return annotations, spec


def ctx(c: Json) -> Json:
    return c["securityContext"]


def pod_ctx(spec: Json) -> Json:
    return spec.setdefault("securityContext", {})


# Every sysctl baseline allows (Kubernetes 1.37's list, k8s.io/pod-security-admission policy/check_sysctls.go), with
# a value such as the kernel takes: each is a case below, admitted by the API server under restricted.
SAFE_SYSCTL_VALUES = {
    "kernel.shm_rmid_forced": "1", "net.ipv4.ip_local_port_range": "32768 60999",
    "net.ipv4.ip_unprivileged_port_start": "1024", "net.ipv4.tcp_syncookies": "1",
    "net.ipv4.ping_group_range": "0 2147483647", "net.ipv4.ip_local_reserved_ports": "8080",
    "net.ipv4.tcp_keepalive_time": "7200", "net.ipv4.tcp_fin_timeout": "60", "net.ipv4.tcp_keepalive_intvl": "75",
    "net.ipv4.tcp_keepalive_probes": "9", "net.ipv4.tcp_rmem": "4096 131072 6291456",
    "net.ipv4.tcp_wmem": "4096 16384 4194304", "net.ipv4.tcp_slow_start_after_idle": "0",
    "net.ipv4.tcp_notsent_lowat": "16384",
}



def _sysctl_id(name: str) -> str:
    """The case id (and Pod name) of a sysctl: net.ipv4.tcp_rmem -> sysctl-net-ipv4-tcp-rmem."""
    return "sysctl-" + name.replace(".", "-").replace("_", "-")


# (id, change, level, a fragment of the reason)
CASES: list[tuple[str, Any, str, str]] = [
    ("restricted", None, "restricted", ""),
    # --- baseline controls
    ("hostProcess-pod", lambda a, s, c: pod_ctx(s).update(windowsOptions={"hostProcess": True}),
     "privileged", "pod windowsOptions.hostProcess"),
    ("hostProcess-container", lambda a, s, c: ctx(c).update(windowsOptions={"hostProcess": True}),
     "privileged", "container c: windowsOptions.hostProcess"),
    ("hostNetwork", lambda a, s, c: s.update(hostNetwork=True), "privileged", "hostNetwork"),
    ("hostPID", lambda a, s, c: s.update(hostPID=True), "privileged", "hostPID"),
    ("hostIPC", lambda a, s, c: s.update(hostIPC=True), "privileged", "hostIPC"),
    ("privileged", lambda a, s, c: ctx(c).update(privileged=True), "privileged", "container c: privileged"),
    ("capability-outside-baseline", lambda a, s, c: ctx(c)["capabilities"].update(add=["SYS_ADMIN"]),
     "privileged", "adds capabilities SYS_ADMIN"),
    ("capability-in-baseline", lambda a, s, c: ctx(c)["capabilities"].update(add=["CHOWN"]),
     "baseline", "adds capabilities CHOWN"),
    ("hostPath", lambda a, s, c: s.update(volumes=[{"name": "h", "hostPath": {"path": "/tmp"}}]),
     "privileged", "hostPath volume"),
    ("hostPort", lambda a, s, c: c.update(ports=[{"containerPort": 80, "hostPort": 80}]),
     "privileged", "container c: hostPort"),
    ("apparmor-unconfined-pod", lambda a, s, c: pod_ctx(s).update(appArmorProfile={"type": "Unconfined"}),
     "privileged", "pod appArmorProfile Unconfined"),
    ("apparmor-unconfined-container", lambda a, s, c: ctx(c).update(appArmorProfile={"type": "Unconfined"}),
     "privileged", "container c: appArmorProfile Unconfined"),
    ("apparmor-runtime-default", lambda a, s, c: ctx(c).update(appArmorProfile={"type": "RuntimeDefault"}),
     "restricted", ""),
    ("apparmor-annotation-unconfined",
     lambda a, s, c: a.update({"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}),
     "privileged", "container c: AppArmor annotation unconfined"),
    ("apparmor-annotation-runtime-default",
     lambda a, s, c: a.update({"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}),
     "restricted", ""),
    ("selinux-type", lambda a, s, c: ctx(c).update(seLinuxOptions={"type": "spc_t"}),
     "privileged", "container c: seLinuxOptions type spc_t"),
    ("selinux-allowed-type", lambda a, s, c: pod_ctx(s).update(seLinuxOptions={"type": "container_init_t"}),
     "restricted", ""),
    ("selinux-user", lambda a, s, c: pod_ctx(s).update(seLinuxOptions={"user": "system_u"}),
     "privileged", "pod seLinuxOptions user system_u"),
    ("selinux-role", lambda a, s, c: ctx(c).update(seLinuxOptions={"role": "system_r"}),
     "privileged", "container c: seLinuxOptions role system_r"),
    ("procMount", lambda a, s, c: ctx(c).update(procMount="Unmasked"), "privileged", "procMount Unmasked"),
    ("probe-host", lambda a, s, c: c.update(livenessProbe={"httpGet": {"port": 80, "host": "10.0.0.1"}}),
     "privileged", "container c: livenessProbe.httpGet host 10.0.0.1"),
    ("probe-host-tcp", lambda a, s, c: c.update(readinessProbe={"tcpSocket": {"port": 80, "host": "db"}}),
     "privileged", "container c: readinessProbe.tcpSocket host db"),
    ("lifecycle-host", lambda a, s, c: c.update(lifecycle={"preStop": {"httpGet": {"port": 80, "host": "x"}}}),
     "privileged", "container c: lifecycle.preStop.httpGet host x"),
    ("probe-without-host", lambda a, s, c: c.update(startupProbe={"httpGet": {"port": 80, "path": "/"}}),
     "restricted", ""),
    ("seccomp-unconfined-pod", lambda a, s, c: pod_ctx(s).update(seccompProfile={"type": "Unconfined"}),
     "privileged", "pod seccompProfile Unconfined"),
    ("seccomp-unconfined-container", lambda a, s, c: ctx(c).update(seccompProfile={"type": "Unconfined"}),
     "privileged", "container c: seccompProfile Unconfined"),
    ("sysctl-unsafe", lambda a, s, c: pod_ctx(s).update(sysctls=[{"name": "kernel.msgmax", "value": "1"}]),
     "privileged", "sysctl kernel.msgmax"),
    ("sysctl-safe", lambda a, s, c: pod_ctx(s).update(sysctls=[{"name": "net.ipv4.tcp_syncookies", "value": "1"}]),
     "restricted", ""),
    ("sysctl-not-namespaced",
     lambda a, s, c: pod_ctx(s).update(sysctls=[{"name": "net.ipv4.tcp_mem", "value": "1 2 3"}]),
     "privileged", "sysctl net.ipv4.tcp_mem"),
    *((_sysctl_id(name), lambda a, s, c, _n=name, _v=value: pod_ctx(s).update(sysctls=[{"name": _n, "value": _v}]),
       "restricted", "") for name, value in SAFE_SYSCTL_VALUES.items()),
    # --- restricted controls
    ("volume-type", lambda a, s, c: s.update(volumes=[{"name": "n", "nfs": {"server": "nfs", "path": "/"}}]),
     "baseline", "volume n: nfs"),
    ("privilege-escalation", lambda a, s, c: ctx(c).pop("allowPrivilegeEscalation"),
     "baseline", "allowPrivilegeEscalation is not false"),
    ("runAsNonRoot", lambda a, s, c: ctx(c).pop("runAsNonRoot"), "baseline", "runAsNonRoot is not true"),
    ("runAsNonRoot-from-pod", lambda a, s, c: (ctx(c).pop("runAsNonRoot"), pod_ctx(s).update(runAsNonRoot=True)),
     "restricted", ""),
    ("runAsUser-0-pod", lambda a, s, c: pod_ctx(s).update(runAsUser=0), "baseline", "pod runAsUser: 0"),
    ("runAsUser-0-container", lambda a, s, c: ctx(c).update(runAsUser=0), "baseline", "container c: runAsUser: 0"),
    ("seccomp-unset", lambda a, s, c: ctx(c).pop("seccompProfile"), "baseline", "seccompProfile is not"),
    ("capabilities-not-dropped", lambda a, s, c: ctx(c).pop("capabilities"), "baseline", "do not drop ALL"),
    ("capability-net-bind", lambda a, s, c: ctx(c)["capabilities"].update(add=["NET_BIND_SERVICE"]),
     "restricted", ""),
]


@pytest.mark.parametrize("change, level, reason", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_each_control(change: Any, level: str, reason: str) -> None:
    annotations, spec = pod(change)
    found, why = podsecurity.pod_level(spec, annotations)
    assert found == level, why
    if reason:
        assert any(reason in w for w in why), why
    else:
        assert why == []


def test_every_safe_sysctl_has_a_case() -> None:
    assert podsecurity.SAFE_SYSCTLS == set(SAFE_SYSCTL_VALUES)
    cases = {c[0] for c in CASES}
    assert {_sysctl_id(name) for name in podsecurity.SAFE_SYSCTLS} <= cases


def test_pod_templates_carry_the_template_annotations() -> None:
    annotations = {"container.apparmor.security.beta.kubernetes.io/c": "unconfined"}
    dep = {"kind": "Deployment", "spec": {"template": {"metadata": {"annotations": annotations},
                                                       "spec": {"containers": []}}}}
    assert [(t.replica, t.annotations, t.spec) for t in pod_templates(dep)] == [("", annotations, {"containers": []})]
    job = {"kind": "TFJob", "spec": {"tfReplicaSpecs": {"Worker": {"template": {"spec": {"containers": []}}}}}}
    assert [(t.replica, t.annotations, t.spec) for t in pod_templates(job)] == [("Worker", {}, {"containers": []})]


@pytest.mark.apiserver
def test_the_api_server_agrees_on_every_case(control_plane: Any) -> None:
    for level in ("baseline", "restricted"):
        control_plane.kubectl("create", "-f", "-", input=json.dumps({
            "apiVersion": "v1", "kind": "Namespace",
            "metadata": {"name": f"pss-controls-{level}", "labels": {podsecurity.ENFORCE_LABEL: level}}}))
        control_plane.kubectl("create", "serviceaccount", "default", "-n", f"pss-controls-{level}")
    disagreements = []
    for name, change, _, _ in CASES:
        annotations, spec = pod(change)
        ours = podsecurity.pod_level(spec, annotations)[0]
        for level in ("baseline", "restricted"):
            obj = {"apiVersion": "v1", "kind": "Pod", "spec": spec, "metadata": {
                "name": name.lower(), "namespace": f"pss-controls-{level}", "annotations": annotations}}
            proc = control_plane.kubectl("create", "--dry-run=server", "-f", "-", input=json.dumps(obj), check=False)
            admitted = proc.returncode == 0
            expected = podsecurity.LEVELS.index(ours) >= podsecurity.LEVELS.index(level)
            if admitted != expected:
                disagreements.append(f"{name} under {level}: server {'admits' if admitted else 'refuses'} "
                                     f"({proc.stderr.strip()}); kfgen says {ours}")
    assert not disagreements, "\n".join(disagreements)


@pytest.mark.parametrize(("version", "allowed", "refused"), [
    ("1.25", "net.ipv4.tcp_syncookies", "net.ipv4.ip_local_reserved_ports"),  # reserved ports: 1.27
    ("1.28", "net.ipv4.ip_local_reserved_ports", "net.ipv4.tcp_keepalive_time"),  # keepalive: 1.29
    ("1.31", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_rmem"),  # rmem/wmem: 1.32
    ("v1.36.4", "net.ipv4.tcp_wmem", "net.ipv4.tcp_notsent_lowat"),  # 1.37
    ("1.37", "net.ipv4.tcp_slow_start_after_idle", "kernel.msgmax"),
])
def test_the_sysctls_baseline_allows_follow_the_clusters_version(version: str, allowed: str, refused: str) -> None:
    def spec(name: str) -> dict[str, Any]:
        _, s = pod(lambda a, s, c: pod_ctx(s).update(sysctls=[{"name": name, "value": "1"}]))
        return s

    assert podsecurity.pod_level(spec(allowed), None, version) == ("restricted", [])
    level, why = podsecurity.pod_level(spec(refused), None, version)
    assert level == "privileged" and why == [f"sysctl {refused}"]
    assert podsecurity.pod_level(spec(refused), None, None)[0] == ("privileged" if refused == "kernel.msgmax"
                                                                    else "restricted")  # None: the newest
    assert podsecurity.safe_sysctls("not a version") == podsecurity.SAFE_SYSCTLS


def test_a_profile_for_an_older_cluster_refuses_a_newer_sysctl(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kfgen.cli import app

    (tmp_path / "profiles").mkdir()
    patch = ("    patches:\n      - target: {kind: TFJob, name: train}\n        jsonPatch:\n"
             "          - {op: add, path: /spec/tfReplicaSpecs/Chief/template/spec/securityContext/sysctls,\n"
             "             value: [{name: net.ipv4.tcp_rmem, value: '4096 131072 6291456'}]}\n")
    job = "components:\n  train:\n    prototype: tf-job\n    params: {image: 'registry.example/train:1.0'}\n" + patch
    monkeypatch.chdir(tmp_path)
    for version, code in (("1.31", 2), ("1.32", 0)):
        (tmp_path / "profiles" / "p.yaml").write_text(f'namespace: team\nkubernetesVersion: "{version}"\n' + job)
        res = CliRunner().invoke(app, ["render", "-p", "p", "--stdout"])
        assert res.exit_code == code, res.output
        if code:
            assert "sysctl net.ipv4.tcp_rmem" in res.output
