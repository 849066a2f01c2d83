"""``kfgen apply / diff / delete / status`` on the real API server (a plane of this module's own).

One module-scoped scenario on its own control plane (the tests run in file order and build on each
other; the session plane is not fresh — tests/test_apply.py leaves the TFJob CRD there — and this
module leaves its Namespace ``Terminating``): ``diff`` and ``apply --dry-run`` on the fresh cluster
create nothing, gpu-lab is installed by one ``kfgen apply``, re-applied as a no-op, shares the
cluster with a second profile (cpu-laptop with ``tfJobOperator: false``), loses an instance
(pruned), gets one instance applied and deleted with ``-c`` (``--wait`` waits for a finalizer), is
refused on a wrong context or server, reports declared GPU nodes against Node objects, and is
deleted last (the plane has no controller-manager, so its Namespace then stays ``Terminating``).
Profiles live in a tmp copy. Timings go to /tmp/deploy-timings.txt and are printed at the end
(``pytest -s``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

try:
    from apiserver import ControlPlane, control_plane_fixture, find_kubectl
except ImportError:  # tests/ imported as a package
    from tests.apiserver import ControlPlane, control_plane_fixture, find_kubectl

from kfgen.cli import app
from kfgen.deploy.plan import APPLYSET_ID_LABEL, APPLYSET_PART_OF, ApplySet
from kfgen.kube.constants import GPU_RESOURCE, INSTANCE_LABEL, PROFILE_LABEL

pytestmark = pytest.mark.apiserver

ROOT = Path(__file__).resolve().parents[1]
CONTEXT, OTHER_CONTEXT = "kfgen-deploy", "kfgen-elsewhere"
VARIANT = "cpu-laptop-no-operator"
TIMINGS: dict[str, float] = {}
fresh_plane = pytest.fixture(scope="module", name="fresh_plane")(control_plane_fixture)


@pytest.fixture(scope="module")
def env(fresh_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A kubeconfig with two named contexts for the plane, and a tmp copy of the profiles."""
    d = tmp_path_factory.mktemp("deploy")
    cfg = json.loads(Path(fresh_plane.kubeconfig).read_text())
    base = cfg["contexts"][0]["context"]
    cfg["contexts"] = [{"name": CONTEXT, "context": base}, {"name": OTHER_CONTEXT, "context": base}]
    cfg["current-context"] = CONTEXT
    (d / "kubeconfig").write_text(json.dumps(cfg))
    profiles = d / "profiles"
    profiles.mkdir()
    for path in (ROOT / "profiles").glob("*.yaml"):
        shutil.copy(path, profiles / path.name)
    (profiles / f"{VARIANT}.yaml").write_text(
        "extends: cpu-laptop\ncomponents:\n  kubeflow-core:\n    params:\n      tfJobOperator: false\n")
    yield SimpleNamespace(cp=fresh_plane, dir=d, profiles=profiles, kinds={},
                          vars={"KUBECONFIG": str(d / "kubeconfig"), "KFGEN_KUBECTL": find_kubectl()})
    lines = [f"{name}: {seconds:.3f} s" for name, seconds in TIMINGS.items()]
    Path("/tmp/deploy-timings.txt").write_text("\n".join(lines) + "\n")
    print("\n--- tests/test_deploy.py timings ---\n" + "\n".join(f"  {line}" for line in lines))


def kfgen(env: SimpleNamespace, *args: str, timing: str | None = None) -> Any:
    t0 = time.monotonic()
    result = CliRunner().invoke(app, [*args, "--profiles-dir", str(env.profiles), "--out-dir", str(env.dir / "out")],
                                env=env.vars)
    if timing:
        TIMINGS[timing] = round(time.monotonic() - t0, 3)
    if result.exception and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def said(result: Any) -> str:
    return f"exit {result.exit_code}\n{result.output}"


def kinds(env: SimpleNamespace, served: bool = True) -> str:
    """kubectl's type argument for every kind any profile of the tmp copy renders (``Kind.group``), so
    that a kind a prototype starts rendering is listed too; ``served=False`` leaves out the kinds of
    the profiles' CRDs (after the CRD is gone). Computed once per module (instances removed later
    only shrink it)."""
    from kfgen.actions import Workspace

    if served in env.kinds:
        return env.kinds[served]
    ws, found, custom = Workspace(env.profiles, env.dir / "out"), set(), set()
    for path in sorted(p for p in env.profiles.glob("*.yaml") if not p.name.startswith("_")):  # no partials
        _, result, _ = ws.render(path.stem)
        for o in result.objects:
            group = o["apiVersion"].rpartition("/")[0]
            found.add(f"{o['kind']}.{group}" if group else o["kind"])
            if o["kind"] == "CustomResourceDefinition":
                custom.add(f"{o['spec']['names']['kind']}.{o['spec']['group']}")
    env.kinds[served] = ",".join(sorted(found if served else found - custom))
    return env.kinds[served]


def live(env: SimpleNamespace, profile: str, served: bool = True) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, namespace, name) -> (uid, resourceVersion) of everything labelled with the profile."""
    doc = env.cp.kubectl_json("get", kinds(env, served), "-A", "-l", f"{PROFILE_LABEL}={profile}")
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]):
            (o["metadata"]["uid"], o["metadata"]["resourceVersion"])
            for o in doc["items"] if not o["metadata"].get("deletionTimestamp")}


def same(after: dict, before: dict) -> bool:
    """Equal uids and resourceVersions, but for the one write the first re-apply of a claim makes
    (the server persists its defaulted ``status.phase``: see tests/test_apply.py)."""
    def strip(d: dict) -> dict:
        return {k: (v[0] if k[0] == "PersistentVolumeClaim" else v) for k, v in d.items()}
    return strip(after) == strip(before)


def rendered(env: SimpleNamespace, profile: str) -> set[tuple[str, str, str]]:
    from kfgen.actions import Workspace

    _, result, _ = Workspace(env.profiles, env.dir / "out").render(profile)
    return {(o["kind"], o["metadata"].get("namespace", ""), o["metadata"]["name"]) for o in result.objects}


def instance_objects(env: SimpleNamespace, profile: str, instance: str) -> dict[tuple[str, str, str], str]:
    """(kind, namespace, name) -> kubectl's ``kind.group/name`` (as in ``... pruned``) of what one
    instance renders (a Service, a Deployment and the NetworkPolicy for inception)."""
    from kfgen.actions import Workspace

    _, result, _ = Workspace(env.profiles, env.dir / "out").render(profile)
    out = {}
    for o in result.objects:
        if o["metadata"].get("labels", {}).get(INSTANCE_LABEL) == instance:
            group = o["apiVersion"].rpartition("/")[0]
            kind, name = (f"{o['kind']}.{group}" if group else o["kind"]).lower(), o["metadata"]["name"]
            out[(o["kind"], o["metadata"].get("namespace", ""), name)] = f"{kind}/{name}"
    return out


def edit_profile(env: SimpleNamespace, name: str, change) -> None:
    path = env.profiles / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def restore_profile(env: SimpleNamespace, name: str) -> None:
    shutil.copy(ROOT / "profiles" / f"{name}.yaml", env.profiles / f"{name}.yaml")


def test_diff_and_dry_run_on_a_fresh_cluster_create_nothing(env: SimpleNamespace) -> None:
    from kfgen.actions import Workspace

    _, result, _ = Workspace(env.profiles, env.dir / "out").render("gpu-lab")
    waits = {}  # what kfgen must say each object waits for (nothing for cluster-scoped objects)
    for o in result.objects:
        group, meta = o["apiVersion"].rpartition("/")[0], o["metadata"]
        name = f"{o['kind']}.{group}" if group else o["kind"]
        name += f"/{meta['name']}" + (f" -n {meta['namespace']}" if meta.get("namespace") else "")
        if o["kind"] == "TFJob":
            waits[name] = "CRD tfjobs.kubeflow.org"
        elif meta.get("namespace"):
            waits[name] = f"Namespace {meta['namespace']}"
    assert len(waits) > 30 and "Service/inception -n kubeflow" in waits

    diff = kfgen(env, "diff", "-p", "gpu-lab", timing="diff of gpu-lab (fresh cluster)")
    assert diff.exit_code == 1, said(diff)
    assert {line[2:] for line in diff.output.splitlines() if line.startswith("+ ") and "(created after" in line} == {
        f"{name} (created after {needs})" for name, needs in waits.items()}, said(diff)
    assert "+kind: ClusterRole" in diff.output  # cluster-scoped objects are diffed by kubectl

    dry = kfgen(env, "apply", "-p", "gpu-lab", "--dry-run", timing="apply --dry-run of gpu-lab (fresh cluster)")
    assert dry.exit_code == 0, said(dry)
    lines = dry.output.splitlines()
    assert "created Namespace/kubeflow (server dry run)" in lines, said(dry)
    assert "created CustomResourceDefinition.apiextensions.k8s.io/tfjobs.kubeflow.org (server dry run)" in lines
    assert {line for line in lines if line.startswith("would create ")} == {
        f"would create {name} (after {needs})" for name, needs in waits.items()}, said(dry)
    assert "(server dry run)" in lines[-1] and "no changes" not in lines[-1], said(dry)

    for args in (("namespace", "kubeflow"), ("crd", "tfjobs.kubeflow.org"),
                 ("configmap", "kfgen-applyset-gpu-lab", "-n", "kubeflow")):
        gone = env.cp.kubectl("get", *args, check=False)
        assert gone.returncode != 0 and "NotFound" in gone.stderr, args
    assert live(env, "gpu-lab", served=False) == {}


def test_first_install_in_one_apply_then_a_no_op(env: SimpleNamespace) -> None:
    first = kfgen(env, "apply", "-p", "gpu-lab", timing="first apply of gpu-lab (fresh cluster)")
    assert first.exit_code == 0, said(first)
    assert "created CustomResourceDefinition.apiextensions.k8s.io/tfjobs.kubeflow.org" in first.output
    assert "does not pin a cluster" in first.output  # the unpinned warning
    before = live(env, "gpu-lab")
    assert set(before) == rendered(env, "gpu-lab")
    parent = env.cp.kubectl_json("get", "configmap", "kfgen-applyset-gpu-lab", "-n", "kubeflow")
    applyset = ApplySet("kfgen-applyset-gpu-lab", "kubeflow")
    assert parent["metadata"]["labels"][APPLYSET_ID_LABEL] == applyset.id  # kfgen's ID is kubectl's
    tfjob = env.cp.kubectl_json("get", "tfjob", "tf-sample", "-n", "kubeflow", "--show-managed-fields")
    assert tfjob["metadata"]["labels"][APPLYSET_PART_OF] == applyset.id
    assert [m["manager"] for m in tfjob["metadata"]["managedFields"]] == ["kfgen"]

    second = kfgen(env, "apply", "-p", "gpu-lab", "--verbose", timing="second apply of gpu-lab (no-op)")
    assert second.exit_code == 0, said(second)
    assert "gpu-lab on context 'kfgen-deploy'" in second.output and ": no changes" in second.output, said(second)
    assert "+ " in second.output and "kubectl" in second.output  # --verbose echoes the commands
    commands = [line for line in second.output.splitlines() if line.startswith("+ ")]
    assert not [c for c in commands if " apply " in c], said(second)  # not even a prune dry run
    assert any(" get " in c and f"{APPLYSET_PART_OF}=" in c for c in commands), said(second)  # members listed
    assert live(env, "gpu-lab") == before, "a no-op apply wrote objects"

    diff = kfgen(env, "diff", "-p", "gpu-lab")
    assert diff.exit_code == 0, said(diff)


def test_second_profile_and_prune_of_a_removed_instance(env: SimpleNamespace) -> None:
    variant = kfgen(env, "apply", "-p", VARIANT, timing=f"first apply of {VARIANT}")
    assert variant.exit_code == 0, said(variant)
    other = live(env, VARIANT)
    assert set(other) == rendered(env, VARIANT)
    gpu = live(env, "gpu-lab")
    inception = instance_objects(env, "gpu-lab", "inception")
    assert {"service/inception", "deployment.apps/inception"} <= set(inception.values())

    edit_profile(env, "gpu-lab", lambda d: d["components"].pop("inception"))
    diff = kfgen(env, "diff", "-p", "gpu-lab")
    assert diff.exit_code == 1, said(diff)
    assert sorted(line for line in diff.output.splitlines() if line.startswith("- ")) == sorted(
        f"- {name} (pruned: no longer rendered)" for name in inception.values()), said(diff)

    pruned = kfgen(env, "apply", "-p", "gpu-lab", timing="apply of gpu-lab without an instance (prune)")
    assert pruned.exit_code == 0, said(pruned)
    assert sorted(line for line in pruned.output.splitlines() if line.startswith("pruned ")) == sorted(
        f"pruned {name}" for name in inception.values()), said(pruned)
    gone = {k for k in gpu if k[2] == "inception"}
    assert gone == set(inception)
    assert same(live(env, "gpu-lab"), {k: v for k, v in gpu.items() if k not in gone})
    assert live(env, VARIANT) == other, f"pruning gpu-lab touched {VARIANT}"
    restore_profile(env, "gpu-lab")


def test_a_frozen_statefulset_field_gets_the_way_through(env: SimpleNamespace) -> None:
    """Switching the hub's state to a claim changes tf-hub's volumeClaimTemplates, which the API server never
    changes in place: apply fails with a hint that deletes the StatefulSet but keeps its pods and claims; done,
    the apply goes through (and back again)."""
    before = live(env, VARIANT)

    def switch(persistent: bool) -> None:
        edit_profile(env, VARIANT, lambda d: d["components"]["kubeflow-core"]["params"].update(
            jupyterHubStatePersistent=persistent))
        refused = kfgen(env, "apply", "-p", VARIANT)
        assert refused.exit_code != 0, said(refused)
        assert 'StatefulSet "tf-hub" is invalid: spec.volumeClaimTemplates' in refused.output, said(refused)
        assert ("delete statefulset tf-hub --cascade=orphan), then apply again" in refused.output), said(refused)
        env.cp.kubectl("-n", "kubeflow-laptop", "delete", "statefulset", "tf-hub", "--cascade=orphan", "--wait=false")
        # no controller-manager here: drop the orphan finalizer as its garbage collector would (pods are kept)
        env.cp.kubectl("-n", "kubeflow-laptop", "patch", "statefulset", "tf-hub", "--type=merge",
                       "-p", '{"metadata": {"finalizers": null}}')
        again = kfgen(env, "apply", "-p", VARIANT)
        assert again.exit_code == 0, said(again)
        sts = env.cp.kubectl_json("-n", "kubeflow-laptop", "get", "statefulset", "tf-hub")
        assert bool(sts["spec"].get("volumeClaimTemplates")) is persistent

    switch(True)
    switch(False)
    edit_profile(env, VARIANT, lambda d: d["components"]["kubeflow-core"]["params"].pop("jupyterHubStatePersistent"))
    assert set(live(env, VARIANT)) == set(before)


def test_c_applies_and_deletes_one_instance(env: SimpleNamespace) -> None:
    others = live(env, "gpu-lab")
    applied = kfgen(env, "apply", "-p", "gpu-lab", "-c", "inception", timing="apply -c inception")
    assert applied.exit_code == 0, said(applied)
    now = live(env, "gpu-lab")
    assert {k for k in now if k not in others} == set(instance_objects(env, "gpu-lab", "inception"))
    assert {k: now[k] for k in others} == others
    svc = env.cp.kubectl_json("get", "service", "inception", "-n", "kubeflow")
    assert svc["metadata"]["labels"][INSTANCE_LABEL] == "inception"
    assert svc["metadata"]["labels"][APPLYSET_PART_OF]  # still a member of the profile's ApplySet
    assert kfgen(env, "diff", "-p", "gpu-lab").exit_code == 0  # the whole profile is in sync again

    deleted = kfgen(env, "delete", "-p", "gpu-lab", "-c", "inception", timing="delete -c inception")
    assert deleted.exit_code == 0, said(deleted)
    assert live(env, "gpu-lab") == others
    unknown = kfgen(env, "apply", "-p", "gpu-lab", "-c", "inceptoin")
    assert unknown.exit_code == 2 and "did you mean 'inception'" in unknown.output, said(unknown)
    assert kfgen(env, "apply", "-p", "gpu-lab", "-c", "inception").exit_code == 0


def test_delete_wait_returns_once_the_objects_are_gone(env: SimpleNamespace) -> None:
    """A finalizer (nothing here removes it but the test) holds the Service: ``delete --wait`` must not
    return before it is gone; without ``--wait`` kfgen returns while it is still Terminating."""
    inception = instance_objects(env, "gpu-lab", "inception")
    hold = {"metadata": {"finalizers": ["kfgen.io/test-hold"]}}
    release = [{"op": "remove", "path": "/metadata/finalizers"}]
    env.cp.kubectl("patch", "service", "inception", "-n", "kubeflow", "--type=merge", "-p", json.dumps(hold))

    quick = kfgen(env, "delete", "-p", "gpu-lab", "-c", "inception")
    assert quick.exit_code == 0, said(quick)
    held = env.cp.kubectl_json("get", "service", "inception", "-n", "kubeflow")
    assert held["metadata"].get("deletionTimestamp")  # still there, Terminating
    env.cp.kubectl("patch", "service", "inception", "-n", "kubeflow", "--type=json", "-p", json.dumps(release))
    assert kfgen(env, "apply", "-p", "gpu-lab", "-c", "inception").exit_code == 0
    env.cp.kubectl("patch", "service", "inception", "-n", "kubeflow", "--type=merge", "-p", json.dumps(hold))

    proc = subprocess.Popen(
        [sys.executable, "-m", "kfgen", "delete", "-p", "gpu-lab", "-c", "inception", "--wait",
         "--profiles-dir", str(env.profiles), "--out-dir", str(env.dir / "out")],
        env={**os.environ, **env.vars}, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        deadline = time.monotonic() + 60
        while not env.cp.kubectl_json("get", "service", "inception", "-n", "kubeflow")["metadata"].get(
                "deletionTimestamp"):
            assert proc.poll() is None and time.monotonic() < deadline, proc.communicate()[0]
            time.sleep(0.1)
        time.sleep(1)
        assert proc.poll() is None, f"delete --wait returned with the Service still held:\n{proc.communicate()[0]}"
    finally:
        env.cp.kubectl("patch", "service", "inception", "-n", "kubeflow", "--type=json", "-p", json.dumps(release))
    output, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, output
    assert {line for line in output.splitlines() if line.startswith("deleted ")} >= {
        "deleted service/inception -n kubeflow", "deleted deployment.apps/inception -n kubeflow"}, output
    assert not set(inception) & set(live(env, "gpu-lab")), "delete --wait returned before the objects were gone"
    assert kfgen(env, "apply", "-p", "gpu-lab", "-c", "inception").exit_code == 0


def test_a_wrong_context_or_server_is_refused_with_nothing_changed(env: SimpleNamespace) -> None:
    before = live(env, "gpu-lab")

    def pin(key: str, value: str):
        def change(d: dict[str, Any]) -> None:
            d["components"].pop("tf-sample")  # a change an apply would make (prune the TFJob)
            d.setdefault("cluster", {})[key] = value  # merged with _lab-cluster's nodes
        return change

    edit_profile(env, "gpu-lab", pin("context", CONTEXT))
    for command in ("apply", "diff", "delete"):
        refused = kfgen(env, command, "-p", "gpu-lab", "--context", OTHER_CONTEXT)
        assert refused.exit_code == 2, said(refused)
        assert f"pinned to kube context '{CONTEXT}'" in refused.output and f"'{OTHER_CONTEXT}'" in refused.output
        assert "nothing was changed" in refused.output
    assert kfgen(env, "diff", "-p", "gpu-lab", "--context", CONTEXT).exit_code == 1  # the pinned one works
    restore_profile(env, "gpu-lab")

    edit_profile(env, "gpu-lab", pin("server", "https://127.0.0.1:1"))
    refused = kfgen(env, "apply", "-p", "gpu-lab")
    assert refused.exit_code == 2 and "pinned to API server https://127.0.0.1:1" in refused.output, said(refused)
    restore_profile(env, "gpu-lab")
    assert live(env, "gpu-lab") == before


def test_status_reports_declared_gpu_nodes_against_live_nodes(env: SimpleNamespace) -> None:
    # gpu-lab declares master1 (no GPU), gpu-node1 and gpu-node2 (1 GPU each); gpu-node1 stays missing
    for name, gpus in (("master1", None), ("gpu-node2", "2")):
        node = {"apiVersion": "v1", "kind": "Node", "metadata": {"name": name, "labels": {"kfgen-test": "deploy"}}}
        env.cp.kubectl("create", "-f", "-", input=json.dumps(node))
        if gpus:
            patch = {"status": {"capacity": {GPU_RESOURCE: gpus}, "allocatable": {GPU_RESOURCE: gpus}}}
            env.cp.kubectl("patch", "node", name, "--subresource=status", "--type=merge", "-p", json.dumps(patch))
    # a hand edit of a cluster-scoped object's field kfgen owns: status says it differs, apply reverts it
    role = "ClusterRole.rbac.authorization.k8s.io/tf-job-operator-webhook"
    env.cp.kubectl("patch", "clusterrole", "tf-job-operator-webhook", "--type=json",
                   "-p", json.dumps([{"op": "replace", "path": "/rules/0/verbs", "value": ["get"]}]))
    try:
        result = kfgen(env, "status", "-p", "gpu-lab", timing="status of gpu-lab")
    finally:
        env.cp.kubectl("delete", "nodes", "-l", "kfgen-test=deploy")
    assert result.exit_code == 1, said(result)  # problems: missing node, GPU mismatch, workloads not ready
    warnings = [line for line in result.output.splitlines() if line.startswith("warning: node")]
    assert warnings == [
        "warning: node gpu-node1 (declared with 1 GPU(s)) is not in the cluster",
        f"warning: node gpu-node2: {GPU_RESOURCE} allocatable is 2, the profile declares 1",
    ], said(result)
    assert "present  TFJob.kubeflow.org/tf-sample -n kubeflow" in result.output
    assert "0/3 ready" in result.output  # ambassador: no controller-manager here, so no Pods
    assert f"differs  {role}" in result.output.splitlines(), said(result)
    assert f"{len(rendered(env, 'gpu-lab')) - 1} present, 1 differs, 0 missing" in result.output, said(result)

    fixed = kfgen(env, "apply", "-p", "gpu-lab")
    assert fixed.exit_code == 0, said(fixed)
    assert [line for line in fixed.output.splitlines() if line.startswith("changed ")] == [f"changed {role}"]
    assert kfgen(env, "diff", "-p", "gpu-lab").exit_code == 0


def test_delete_one_profile_leaves_the_other_untouched(env: SimpleNamespace) -> None:
    gpu = live(env, "gpu-lab")
    deleted = kfgen(env, "delete", "-p", VARIANT, timing=f"delete {VARIANT}")
    assert deleted.exit_code == 0, said(deleted)
    assert live(env, VARIANT) == {}
    assert live(env, "gpu-lab") == gpu, f"deleting {VARIANT} touched gpu-lab"

    deleted = kfgen(env, "delete", "-p", "gpu-lab", timing="delete gpu-lab")
    assert deleted.exit_code == 0, said(deleted)
    lines = [line for line in deleted.output.splitlines() if line.startswith("deleted ")]
    assert lines[0] == "deleted tfjob.kubeflow.org/tf-sample -n kubeflow"  # custom resources first
    assert lines.index("deleted deployment.apps/tf-job-operator -n kubeflow") < lines.index(
        "deleted role.rbac.authorization.k8s.io/tf-job-operator -n kubeflow")  # workloads before RBAC
    assert lines[-1] == "deleted namespace/kubeflow"
    gone = env.cp.kubectl("get", "crd", "tfjobs.kubeflow.org", check=False)
    assert gone.returncode != 0 and "NotFound" in gone.stderr  # the CRD went (after its TFJobs)
    left = set(live(env, "gpu-lab", served=False))  # Terminating ones excluded
    assert left <= {("PersistentVolume", "", "kubeflow-notebooks-nfs")}, left
    again = kfgen(env, "delete", "-p", "gpu-lab")
    assert again.exit_code == 0, said(again)
