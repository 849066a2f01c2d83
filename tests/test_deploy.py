"""``kfgen apply / diff / delete / status`` on the real API server (the session ``control_plane``).

One module-scoped scenario on the shared plane (the tests run in file order and build on each
other): gpu-lab is installed by one ``kfgen apply``, re-applied as a no-op, shares the cluster with a
second profile (cpu-laptop with ``tfJobOperator: false``), loses an instance (pruned), gets one
instance applied and deleted with ``-c``, is refused on a wrong context or server, reports declared
GPU nodes against Node objects, and is deleted last (the plane has no controller-manager, so its
Namespace then stays ``Terminating``; nothing else reuses it). Profiles live in a tmp copy.
Timings go to /tmp/deploy-timings.txt and are printed at the end (``pytest -s``).
"""

from __future__ import annotations

import json
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

try:
    from apiserver import ControlPlane, find_kubectl
except ImportError:  # tests/ imported as a package
    from tests.apiserver import ControlPlane, find_kubectl

from kfgen.cli import app
from kfgen.deploy.plan import APPLYSET_ID_LABEL, APPLYSET_PART_OF, ApplySet
from kfgen.kube.constants import GPU_RESOURCE, INSTANCE_LABEL, PROFILE_LABEL

pytestmark = pytest.mark.apiserver

ROOT = Path(__file__).resolve().parents[1]
CONTEXT, OTHER_CONTEXT = "kfgen-deploy", "kfgen-elsewhere"
VARIANT = "cpu-laptop-no-operator"
KINDS = ("namespaces,serviceaccounts,secrets,configmaps,persistentvolumes,persistentvolumeclaims,"
         "customresourcedefinitions,clusterroles,clusterrolebindings,roles,rolebindings,services,deployments,"
         "statefulsets,validatingwebhookconfigurations,tfjobs.kubeflow.org")
TIMINGS: dict[str, float] = {}


@pytest.fixture(scope="module")
def env(control_plane: ControlPlane, tmp_path_factory: pytest.TempPathFactory) -> Iterator[SimpleNamespace]:
    """A kubeconfig with two named contexts for the plane, and a tmp copy of the profiles."""
    d = tmp_path_factory.mktemp("deploy")
    cfg = json.loads(Path(control_plane.kubeconfig).read_text())
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
    yield SimpleNamespace(cp=control_plane, dir=d, profiles=profiles,
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


def live(env: SimpleNamespace, profile: str, kinds: str = KINDS) -> dict[tuple[str, str, str], tuple[str, str]]:
    """(kind, namespace, name) -> (uid, resourceVersion) of everything labelled with the profile."""
    doc = env.cp.kubectl_json("get", kinds, "-A", "-l", f"{PROFILE_LABEL}={profile}")
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


def edit_profile(env: SimpleNamespace, name: str, change) -> None:
    path = env.profiles / f"{name}.yaml"
    data = yaml.safe_load(path.read_text())
    change(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def restore_profile(env: SimpleNamespace, name: str) -> None:
    shutil.copy(ROOT / "profiles" / f"{name}.yaml", env.profiles / f"{name}.yaml")


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
    assert live(env, "gpu-lab") == before, "a no-op apply wrote objects"

    diff = kfgen(env, "diff", "-p", "gpu-lab")
    assert diff.exit_code == 0, said(diff)


def test_second_profile_and_prune_of_a_removed_instance(env: SimpleNamespace) -> None:
    variant = kfgen(env, "apply", "-p", VARIANT, timing=f"first apply of {VARIANT}")
    assert variant.exit_code == 0, said(variant)
    other = live(env, VARIANT)
    assert set(other) == rendered(env, VARIANT)
    gpu = live(env, "gpu-lab")

    edit_profile(env, "gpu-lab", lambda d: d["components"].pop("inception"))
    diff = kfgen(env, "diff", "-p", "gpu-lab")
    assert diff.exit_code == 1, said(diff)
    assert "- service/inception (pruned: no longer rendered)" in diff.output, said(diff)
    assert "- deployment.apps/inception (pruned: no longer rendered)" in diff.output, said(diff)

    pruned = kfgen(env, "apply", "-p", "gpu-lab", timing="apply of gpu-lab without an instance (prune)")
    assert pruned.exit_code == 0, said(pruned)
    assert sorted(line for line in pruned.output.splitlines() if line.startswith("pruned ")) == [
        "pruned deployment.apps/inception", "pruned service/inception"], said(pruned)
    gone = {k for k in gpu if k[2] == "inception"}
    assert gone == {("Service", "kubeflow", "inception"), ("Deployment", "kubeflow", "inception")}
    assert same(live(env, "gpu-lab"), {k: v for k, v in gpu.items() if k not in gone})
    assert live(env, VARIANT) == other, f"pruning gpu-lab touched {VARIANT}"
    restore_profile(env, "gpu-lab")


def test_c_applies_and_deletes_one_instance(env: SimpleNamespace) -> None:
    others = live(env, "gpu-lab")
    applied = kfgen(env, "apply", "-p", "gpu-lab", "-c", "inception", timing="apply -c inception")
    assert applied.exit_code == 0, said(applied)
    now = live(env, "gpu-lab")
    assert {k for k in now if k not in others} == {("Service", "kubeflow", "inception"),
                                                    ("Deployment", "kubeflow", "inception")}
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


def test_a_wrong_context_or_server_is_refused_with_nothing_changed(env: SimpleNamespace) -> None:
    before = live(env, "gpu-lab")

    def pin(key: str, value: str):
        def change(d: dict[str, Any]) -> None:
            d["components"].pop("tf-sample")  # a change an apply would make (prune the TFJob)
            d["cluster"][key] = value
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
    assert f"{len(rendered(env, 'gpu-lab'))} present, 0 differs, 0 missing" in result.output, said(result)


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
    left = set(live(env, "gpu-lab", KINDS.replace(",tfjobs.kubeflow.org", "")))  # Terminating ones excluded
    assert left <= {("PersistentVolume", "", "kubeflow-notebooks-nfs")}, left
    again = kfgen(env, "delete", "-p", "gpu-lab")
    assert again.exit_code == 0, said(again)
