"""The core prototype: parameter variations no reference covers, RBAC, security, purity, the hub config.

The comparison with ksonnet's renders (../shared/reference/ksonnet-v0.1/{a,b}-*.yaml), and the one list
of deliberate differences, are in test_parity.py.
"""

from __future__ import annotations

import asyncio
import copy
import hashlib
import re
import sys
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from kfgen.errors import KfgenError
from kfgen.kube import objects as k8s
from kfgen.prototypes import ambassador
from kfgen.prototypes.base import Node, RenderContext, prototypes
from kfgen.prototypes.core import PROTOTYPE, CoreParams

NS = "kubeflow"
CTX = RenderContext(profile="t", instance="kubeflow-core", namespace=NS, kubernetes_version="1.37")
# ksonnet's case b: a LoadBalancer hub with the dummy authenticator, which kfgen renders only when told so
CASE_B = dict(reportUsage=True, usageId="test-id", jupyterHubServiceType="LoadBalancer",
              jupyterHubAllowUnauthenticatedExternalAccess=True)
OPEN = dict(jupyterHubAllowUnauthenticatedExternalAccess=True, tfAmbassadorAllowUnauthenticatedExternalAccess=True,
            tfJobUiAllowUnauthenticatedExternalAccess=True)
NFS = dict(nfsServer="192.0.2.10", nfsPath="/srv/nfs/kubeflow", jupyterNotebookPVCMount="/home/jovyan/work")

# --- helpers ------------------------------------------------------------------------------------


def render(ctx: RenderContext = CTX, **params: Any) -> list[dict[str, Any]]:
    return PROTOTYPE.render_instance(ctx, CoreParams(**params)).objects


def by_key(objects: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    out = {(o["kind"], o["metadata"]["name"]): o for o in objects}
    assert len(out) == len(objects), "two objects share a kind and name"
    return out


def get(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any]:
    return by_key(objects)[(kind, name)]


def pod_spec(o: dict[str, Any]) -> dict[str, Any]:
    return o["spec"]["template"]["spec"]


def containers(o: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c["name"]: c for c in pod_spec(o)["containers"]}


def pod_ports(o: dict[str, Any]) -> set[int]:
    return {p["containerPort"] for c in pod_spec(o)["containers"] for p in c.get("ports", [])}


def service_ports(o: dict[str, Any]) -> list[tuple[Any, Any, Any]]:
    return [(p.get("name"), p["port"], p.get("targetPort", p["port"])) for p in o["spec"]["ports"]]


def mappings(o: dict[str, Any]) -> list[dict[str, Any]]:
    text = o["metadata"].get("annotations", {}).get("getambassador.io/config", "")
    return [d for d in yaml.safe_load_all(text) if d]


def walk(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from walk(v, f"{path}/{k}")
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from walk(v, f"{path}/{i}")


def rbac_rules(objects: list[dict[str, Any]]) -> Iterator[tuple[str, dict[str, Any]]]:
    for o in objects:
        if o["kind"] in ("Role", "ClusterRole"):
            for r in o["rules"]:
                yield f"{o['kind']} {o['metadata']['name']}", r


class FakeConfig:
    """Stands in for JupyterHub's ``c``: ``c.Section.trait = value`` records the value."""

    def __getattr__(self, name: str) -> types.SimpleNamespace:
        section = types.SimpleNamespace()
        setattr(self, name, section)
        return section


def run_hub_config(objects: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeConfig:
    """Execute the rendered jupyterhub_config.py (it is Python) and return what it configured."""
    token = tmp_path / "token"
    token.write_text("t0ken\n")
    monkeypatch.setenv("KFGEN_PROXY_TOKEN_FILE", str(token))
    source = get(objects, "ConfigMap", "jupyterhub-config")["data"]["jupyterhub_config.py"]
    c = FakeConfig()
    exec(compile(source, "jupyterhub_config.py", "exec"), {"c": c})
    assert c.ConfigurableHTTPProxy.auth_token == "t0ken"
    return c


def offered_images(c: FakeConfig) -> list[str]:
    (profile,) = c.KubeSpawner.profile_list
    choices = profile["profile_options"]["image"]["choices"]
    return [choice["kubespawner_override"]["image"] for choice in choices.values()]


# --- ksonnet's values, pinned here too (the comparison with its renders is in test_parity.py) ---------


def test_ambassador_resources_and_probes() -> None:
    o = containers(get(render(), "Deployment", "ambassador"))["ambassador"]
    assert o["livenessProbe"] == {"httpGet": {"path": "/ambassador/v0/check_alive", "port": 8877},
                                  "initialDelaySeconds": 30, "periodSeconds": 30}
    assert o["readinessProbe"] == {"httpGet": {"path": "/ambassador/v0/check_ready", "port": 8877},
                                   "initialDelaySeconds": 30, "periodSeconds": 30}
    # ksonnet's YAML has cpu: 1 (a number); kfgen writes quantities as strings.
    assert o["resources"] == {"limits": {"cpu": "1", "memory": "400Mi"}, "requests": {"cpu": "200m", "memory": "100Mi"}}


def test_spartakus_args_with_a_usage_id() -> None:
    ours = containers(get(render(**CASE_B), "Deployment", "spartakus-volunteer"))["volunteer"]
    assert ours["args"] == ["volunteer", "--cluster-id=test-id", "--database=https://stats-collector.kubeflow.org"]


def test_object_inventory_and_current_api_versions() -> None:
    for params, count in (({}, 36), (CASE_B, 40), ({"networkPolicies": False}, 29)):
        objects = render(**params)
        assert len(by_key(objects)) == count
        versions = {o["apiVersion"] for o in objects}
        assert not versions & {"extensions/v1beta1", "apps/v1beta1", "rbac.authorization.k8s.io/v1beta1",
                               "apiextensions.k8s.io/v1beta1"}


# --- params ---------------------------------------------------------------------------------------


def test_defaults_render_without_spartakus_or_nfs() -> None:
    kinds = {(o["kind"], o["metadata"]["name"]) for o in render()}
    assert not {k for k in kinds if "spartakus" in k[1]}
    assert not {k for k in kinds if k[0] in ("PersistentVolume", "PersistentVolumeClaim")}


@pytest.mark.parametrize("param, service", [
    ("jupyterHubServiceType", "tf-hub-lb"),
    ("tfJobUiServiceType", "tf-job-dashboard"),
    ("tfAmbassadorServiceType", "ambassador"),
])
@pytest.mark.parametrize("value", ["NodePort", "LoadBalancer"])
def test_each_service_type_param_changes_only_its_service(param: str, service: str, value: str) -> None:
    objects = render(**{param: value}, **OPEN)
    types_ = {o["metadata"]["name"]: o["spec"].get("type") for o in objects if o["kind"] == "Service"}
    assert types_[service] == value
    assert all(t in (None, "ClusterIP") for name, t in types_.items() if name != service)


def test_external_ips_go_to_the_hub_load_balancer() -> None:
    objects = render(jupyterHubServiceType="LoadBalancer", jupyterHubExternalIPs=["192.0.2.10", "2001:db8::1"],
                     jupyterHubAuthenticator="native", jupyterHubAdminUsers=["admin"])
    assert get(objects, "Service", "tf-hub-lb")["spec"]["externalIPs"] == ["192.0.2.10", "2001:db8::1"]
    assert "externalIPs" not in get(render(), "Service", "tf-hub-lb")["spec"]


def test_nfs_renders_a_bound_volume_and_claim_only_with_a_server() -> None:
    objects = render(**NFS, nfsCapacity="50Gi", nfsAccessMode="ReadWriteOnce")
    pv = get(objects, "PersistentVolume", "kubeflow-notebooks-nfs")
    pvc = get(objects, "PersistentVolumeClaim", "notebooks-nfs")
    assert "namespace" not in pv["metadata"] and pvc["metadata"]["namespace"] == NS
    assert pv["spec"]["nfs"] == {"server": "192.0.2.10", "path": "/srv/nfs/kubeflow"}
    assert pv["spec"]["capacity"] == {"storage": "50Gi"} and pv["spec"]["accessModes"] == ["ReadWriteOnce"]
    assert pvc["spec"]["resources"]["requests"] == {"storage": "50Gi"}
    assert pvc["spec"]["accessModes"] == ["ReadWriteOnce"]
    # Bound both ways, no class on either (a PV's "" is its unset value, which the server drops):
    # no provisioner or default StorageClass can take the claim.
    assert pv["spec"]["claimRef"] == {"namespace": NS, "name": "notebooks-nfs"}
    assert pvc["spec"]["volumeName"] == "kubeflow-notebooks-nfs"
    assert "storageClassName" not in pv["spec"] and pvc["spec"]["storageClassName"] == ""
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    defaults = by_key(render(**NFS))
    assert defaults[("PersistentVolume", "kubeflow-notebooks-nfs")]["spec"]["capacity"] == {"storage": "20Gi"}
    assert defaults[("PersistentVolume", "kubeflow-notebooks-nfs")]["spec"]["accessModes"] == ["ReadWriteMany"]
    other_ns = render(RenderContext("t", "c", "lab", "1.37"), **NFS)
    assert ("PersistentVolume", "lab-notebooks-nfs") in by_key(other_ns)


def test_notebook_images_are_offered_by_the_spawner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    images = ["registry.example/nb:1.0", "registry.example/nb-gpu:1.0", "registry.example:5000/x/y@sha256:" + "a" * 64]
    c = run_hub_config(render(jupyterNotebookImages=images), tmp_path, monkeypatch)
    assert offered_images(c) == images
    assert c.KubeSpawner.image == images[0]
    defaults = run_hub_config(render(), tmp_path, monkeypatch)
    assert offered_images(defaults) == list(CoreParams().jupyterNotebookImages)
    assert any("cuda" in i for i in offered_images(defaults)) and any("cuda" not in i for i in offered_images(defaults))


def test_hub_config_defaults(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = run_hub_config(render(), tmp_path, monkeypatch)
    assert c.JupyterHub.authenticator_class == "dummy"
    assert c.Authenticator.allow_all is True
    assert c.JupyterHub.hub_connect_ip == f"tf-hub-0.{NS}.svc"
    assert c.ConfigurableHTTPProxy.should_start is False
    # No storage configured: nothing mounted, no claims created.
    assert not hasattr(c.KubeSpawner, "volumes") and not hasattr(c.KubeSpawner, "storage_pvc_ensure")


def test_pvc_mount_without_nfs_gives_each_user_a_claim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = run_hub_config(render(jupyterNotebookPVCMount="/home/jovyan/work"), tmp_path, monkeypatch)
    assert c.KubeSpawner.storage_pvc_ensure is True
    (volume,) = c.KubeSpawner.volumes
    assert volume["persistentVolumeClaim"]["claimName"] == c.KubeSpawner.pvc_name_template
    assert c.KubeSpawner.volume_mounts == [{"name": volume["name"], "mountPath": "/home/jovyan/work"}]


def test_pvc_mount_with_nfs_mounts_the_shared_claim(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = render(**NFS)
    c = run_hub_config(objects, tmp_path, monkeypatch)
    (volume,) = c.KubeSpawner.volumes
    assert volume["persistentVolumeClaim"]["claimName"] == get(objects, "PersistentVolumeClaim", "notebooks-nfs")[
        "metadata"]["name"]
    assert c.KubeSpawner.volume_mounts == [{"name": volume["name"], "mountPath": "/home/jovyan/work"}]
    assert not getattr(c.KubeSpawner, "storage_pvc_ensure", False)


# --- the spawn page: CPU, memory and GPUs, bounded by the profile's nodes -----------------------------

GPU_NODES = (Node("cpu-1", 0, "16", "64Gi"), Node("gpu-2", 2, "8", "32Gi"), Node("gpu-4", 4, "8", "32Gi"))


def spawn_options(c: FakeConfig) -> dict[str, Any]:
    (profile,) = c.KubeSpawner.profile_list
    return profile["profile_options"]


def spawn(options: dict[str, Any], chosen: dict[str, str], defaults: FakeConfig) -> types.SimpleNamespace:
    """What KubeSpawner does with the spawn page's answers: start from the configured values, then apply each
    option's chosen (or default) override in order; callables get the spawner, dicts merge."""
    spawner = types.SimpleNamespace(**vars(defaults.KubeSpawner))
    spawner.extra_resource_limits, spawner.tolerations = {}, []
    for name, option in options.items():
        key = chosen.get(name) or next(k for k, v in option["choices"].items() if v.get("default"))
        for trait, value in option["choices"][key]["kubespawner_override"].items():
            value = value(spawner) if callable(value) else value
            if isinstance(value, dict):
                getattr(spawner, trait).update(value)
            else:
                setattr(spawner, trait, value)
    return spawner


def test_spawn_page_offers_cpu_and_memory_as_requests_and_limits(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    c = run_hub_config(render(jupyterNotebookCpuChoices=["500m", "2", "3.5"],
                              jupyterNotebookMemoryChoices=["1Gi", "1.5Gi", "6G"]), tmp_path, monkeypatch)
    options = spawn_options(c)
    assert list(options) == ["image", "cpu", "memory", "gpus"]  # the GPU choice sees the chosen image
    cpu = [choice["kubespawner_override"] for choice in options["cpu"]["choices"].values()]
    assert cpu == [{"cpu_guarantee": x, "cpu_limit": x} for x in (0.5, 2.0, 3.5)]
    memory = [choice["kubespawner_override"] for choice in options["memory"]["choices"].values()]
    assert memory == [{"mem_guarantee": x, "mem_limit": x} for x in (2 ** 30, 3 * 2 ** 29, 6 * 10 ** 9)]
    assert [ch["display_name"] for ch in options["memory"]["choices"].values()] == ["1Gi", "1.5Gi", "6G"]
    assert [ch.get("default", False) for ch in options["cpu"]["choices"].values()] == [True, False, False]
    # the first choices are also the spawner's own values (a server started without options)
    assert (c.KubeSpawner.cpu_guarantee, c.KubeSpawner.cpu_limit) == (0.5, 0.5)
    assert (c.KubeSpawner.mem_guarantee, c.KubeSpawner.mem_limit) == (2 ** 30, 2 ** 30)
    chosen = spawn(options, {"cpu": "cpu-2", "memory": "memory-1"}, c)
    assert (chosen.cpu_guarantee, chosen.cpu_limit, chosen.mem_guarantee, chosen.mem_limit) == (
        3.5, 3.5, 3 * 2 ** 29, 3 * 2 ** 29)
    defaults = spawn_options(run_hub_config(render(), tmp_path, monkeypatch))
    assert [ch["display_name"] for ch in defaults["cpu"]["choices"].values()] == ["500m CPU", "1 CPU", "2 CPU"]
    assert [ch["display_name"] for ch in defaults["memory"]["choices"].values()] == ["1Gi", "2Gi", "4Gi"]


def test_gpu_choices_go_up_to_the_largest_gpu_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = RenderContext("t", "kubeflow-core", NS, "1.37", GPU_NODES)
    c = run_hub_config(render(ctx), tmp_path, monkeypatch)
    gpus = spawn_options(c)["gpus"]["choices"]
    assert list(gpus) == ["none", "gpus-1", "gpus-2", "gpus-3", "gpus-4"] and gpus["none"]["default"] is True
    # a GPU choice: the GPU limit, the toleration of the GPU nodes' taint, and the GPU image
    plain = spawn(spawn_options(c), {}, c)
    assert plain.extra_resource_limits == {} and plain.tolerations == [] and "cuda" not in plain.image
    three = spawn(spawn_options(c), {"gpus": "gpus-3"}, c)
    assert three.extra_resource_limits == {"nvidia.com/gpu": "3"}
    assert three.tolerations == [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    assert three.image == CoreParams().jupyterNotebookGpuImage and "cuda" in three.image
    # an image the user picked stays; without a GPU image the chosen one stays too
    images = ["registry.example/nb:1", "registry.example/nb:2"]
    c = run_hub_config(render(ctx, jupyterNotebookImages=images, jupyterNotebookGpuImage="registry.example/gpu:1"),
                       tmp_path, monkeypatch)
    assert spawn(spawn_options(c), {"gpus": "gpus-1"}, c).image == "registry.example/gpu:1"
    assert spawn(spawn_options(c), {"gpus": "gpus-1", "image": "image-1"}, c).image == images[1]
    c = run_hub_config(render(ctx, jupyterNotebookGpuImage=None), tmp_path, monkeypatch)
    assert spawn(spawn_options(c), {"gpus": "gpus-1"}, c).image == CoreParams().jupyterNotebookImages[0]
    # fewer than the largest node on purpose
    c = run_hub_config(render(ctx, jupyterNotebookMaxGpus=2), tmp_path, monkeypatch)
    assert list(spawn_options(c)["gpus"]["choices"]) == ["none", "gpus-1", "gpus-2"]


def test_a_gpu_choice_above_the_largest_node_is_impossible(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    ctx = RenderContext("t", "kubeflow-core", NS, "1.37", GPU_NODES)
    with pytest.raises(KfgenError) as err:
        render(ctx, jupyterNotebookMaxGpus=5)
    (problem,) = err.value.problems
    assert problem.path == ("components", "kubeflow-core", "params", "jupyterNotebookMaxGpus")
    assert problem.expected == "at most 4 (node gpu-4)" and problem.found == "5"
    # the choices themselves stop at the bound, and KubeSpawner refuses a choice it does not list
    options = spawn_options(run_hub_config(render(ctx), tmp_path, monkeypatch))
    with pytest.raises(KeyError):
        spawn(options, {"gpus": "gpus-5"}, run_hub_config(render(ctx), tmp_path, monkeypatch))
    # nodes without GPUs: no GPU choice at all, and asking for one is refused
    cpu_only = RenderContext("t", "kubeflow-core", NS, "1.37", GPU_NODES[:1])
    assert "gpus" not in spawn_options(run_hub_config(render(cpu_only), tmp_path, monkeypatch))
    with pytest.raises(KfgenError, match="more than any node") as err:
        render(cpu_only, jupyterNotebookMaxGpus=1)
    assert "no node of the profile has a GPU" in err.value.problems[0].expected
    # a profile that declares no nodes: one GPU unless told otherwise
    assert list(spawn_options(run_hub_config(render(), tmp_path, monkeypatch))["gpus"]["choices"]) == [
        "none", "gpus-1"]
    two = spawn_options(run_hub_config(render(jupyterNotebookMaxGpus=2), tmp_path, monkeypatch))
    assert list(two["gpus"]["choices"]) == ["none", "gpus-1", "gpus-2"]


def test_cpu_and_memory_choices_must_fit_a_node(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    small = RenderContext("t", "kubeflow-core", NS, "1.37", (Node("a", 0, "1", "2Gi"), Node("b", 0, "1500m", "1Gi")))
    with pytest.raises(KfgenError) as err:
        render(small, jupyterNotebookCpuChoices=["1", "2"], jupyterNotebookMemoryChoices=["1Gi", "3Gi"])
    cpu, memory = err.value.problems
    assert cpu.path[-2:] == ("jupyterNotebookCpuChoices", 1) and cpu.expected == "at most 1500m (node b)"
    assert memory.path[-2:] == ("jupyterNotebookMemoryChoices", 1) and memory.expected == "at most 2Gi (node a)"
    # the default choices are trimmed to what the largest node holds
    options = spawn_options(run_hub_config(render(small), tmp_path, monkeypatch))
    assert [ch["display_name"] for ch in options["cpu"]["choices"].values()] == ["500m CPU", "1 CPU"]
    assert [ch["display_name"] for ch in options["memory"]["choices"].values()] == ["1Gi", "2Gi"]


# --- notebook storage: per-user claims or one shared claim ----------------------------------------------


def test_per_user_claims_take_the_storage_class_and_capacity(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    objects = render(jupyterNotebookPVCMount="/home/jovyan/work", jupyterNotebookStorage="per-user",
                     jupyterNotebookStorageClassName="fast-ssd", jupyterNotebookStorageCapacity="50Gi")
    assert not [o for o in objects if o["kind"] in ("PersistentVolume", "PersistentVolumeClaim")]
    c = run_hub_config(objects, tmp_path, monkeypatch)
    assert c.KubeSpawner.storage_pvc_ensure is True and c.KubeSpawner.storage_class == "fast-ssd"
    assert c.KubeSpawner.storage_capacity == "50Gi"
    defaults = run_hub_config(render(jupyterNotebookPVCMount="/home/jovyan/work"), tmp_path, monkeypatch)
    assert defaults.KubeSpawner.storage_capacity == "10Gi" and not hasattr(defaults.KubeSpawner, "storage_class")


def test_shared_storage_is_one_claim_mounted_by_everyone(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    objects = render(jupyterNotebookPVCMount="/home/jovyan/work", jupyterNotebookStorage="shared",
                     jupyterNotebookStorageClassName="nfs-client", jupyterNotebookStorageCapacity="100Gi")
    claims = [o for o in objects if o["kind"] in ("PersistentVolume", "PersistentVolumeClaim")]
    assert [(o["kind"], o["metadata"]["name"]) for o in claims] == [("PersistentVolumeClaim", "notebooks-shared")]
    (pvc,) = claims
    assert pvc["metadata"]["namespace"] == NS
    assert pvc["spec"] == {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "100Gi"}},
                           "storageClassName": "nfs-client", "volumeMode": "Filesystem"}
    c = run_hub_config(objects, tmp_path, monkeypatch)
    assert c.KubeSpawner.volumes == [{"name": "notebooks", "persistentVolumeClaim": {"claimName": "notebooks-shared"}}]
    assert c.KubeSpawner.volume_mounts == [{"name": "notebooks", "mountPath": "/home/jovyan/work"}]
    assert not hasattr(c.KubeSpawner, "storage_pvc_ensure") and not hasattr(c.KubeSpawner, "storage_class")
    # no class: the cluster's default StorageClass provisions it, 20Gi unless told
    default_class = get(render(jupyterNotebookPVCMount="/w", jupyterNotebookStorage="shared"),
                        "PersistentVolumeClaim", "notebooks-shared")
    assert "storageClassName" not in default_class["spec"]
    assert default_class["spec"]["resources"]["requests"] == {"storage": "20Gi"}
    # NFS is the shared claim on an existing share (unset jupyterNotebookStorage means shared with nfsServer)
    assert render(**NFS) == render(**NFS, jupyterNotebookStorage="shared")
    assert not [o for o in render(**NFS) if o["metadata"]["name"] == "notebooks-shared"]


def test_retired_disks_says_what_it_did_and_what_replaces_it() -> None:
    reason = PROTOTYPE.retired["disks"]
    for words in ("GCE persistent disks", "NFS provisioner", "shared storage", "jupyterNotebookStorage: shared",
                  "jupyterNotebookStorageClassName", "nfsServer"):
        assert words in reason
    for param in ("jupyterNotebookStorage", "jupyterNotebookStorageClassName", "nfsServer"):
        assert param in CoreParams.model_fields


def test_kfgen_params_core_documents_the_new_params() -> None:
    from typer.testing import CliRunner

    from kfgen.cli import app
    res = CliRunner().invoke(app, ["params", "core"])
    assert res.exit_code == 0, res.output
    for name in ("jupyterNotebookCpuChoices", "jupyterNotebookMemoryChoices", "jupyterNotebookMaxGpus",
                 "jupyterNotebookGpuImage", "jupyterNotebookStorage", "jupyterNotebookStorageClassName",
                 "jupyterNotebookStorageCapacity"):
        line = next(line for line in res.output.splitlines() if line.split()[:1] == [name])
        assert "default:" in line, line
    assert "largest GPU node" in res.output and "ReadWriteMany" in res.output


def test_hub_pod_rolls_when_its_config_changes() -> None:
    def checksum(objects: list[dict[str, Any]]) -> str:
        sts = get(objects, "StatefulSet", "tf-hub")
        config = get(objects, "ConfigMap", "jupyterhub-config")["data"]["jupyterhub_config.py"]
        value = sts["spec"]["template"]["metadata"]["annotations"]["checksum/jupyterhub-config"]
        assert value == hashlib.sha256(config.encode()).hexdigest()
        return value

    assert checksum(render()) != checksum(render(jupyterNotebookPVCMount="/home/jovyan/work"))


def test_iap_authenticator_trusts_the_iap_header(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    auth = types.ModuleType("jupyterhub.auth")
    auth.Authenticator = type("Authenticator", (), {})
    handlers = types.ModuleType("jupyterhub.handlers")
    handlers.BaseHandler = type("BaseHandler", (), {})
    web = types.ModuleType("tornado.web")
    web.HTTPError = type("HTTPError", (Exception,), {})
    tornado = types.ModuleType("tornado")
    tornado.web = web
    for name, module in {"jupyterhub": types.ModuleType("jupyterhub"), "jupyterhub.auth": auth,
                         "jupyterhub.handlers": handlers, "tornado": tornado, "tornado.web": web}.items():
        monkeypatch.setitem(sys.modules, name, module)
    c = run_hub_config(render(jupyterHubAuthenticator="iap", cloud="gcp"), tmp_path, monkeypatch)
    cls = c.JupyterHub.authenticator_class
    assert cls.__name__ == "IAPAuthenticator" and issubclass(cls, auth.Authenticator)
    handler = types.SimpleNamespace(request=types.SimpleNamespace(
        headers={"X-Goog-Authenticated-User-Email": "accounts.google.com:ann@example.com"}))
    assert asyncio.run(cls().authenticate(handler)) == "ann@example.com"
    nobody = types.SimpleNamespace(request=types.SimpleNamespace(headers={}))
    assert asyncio.run(cls().authenticate(nobody)) is None
    assert cls().get_handlers(None)[0][0] == "/login"


def test_dummy_is_explicit_too(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = run_hub_config(render(jupyterHubAuthenticator="dummy"), tmp_path, monkeypatch)
    assert c.JupyterHub.authenticator_class == "dummy"


@pytest.mark.parametrize("params, warned", [
    pytest.param({}, False, id="cluster-ip"),
    pytest.param({"jupyterHubServiceType": "LoadBalancer", **OPEN}, True, id="load-balancer"),
    pytest.param({"jupyterHubServiceType": "NodePort", **OPEN}, True, id="node-port"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.10"], **OPEN}, True, id="external-ip"),
    pytest.param({"jupyterHubServiceType": "LoadBalancer", "jupyterHubAuthenticator": "dummy", **OPEN}, True,
                 id="explicit-dummy"),
    pytest.param({"jupyterHubServiceType": "LoadBalancer", "jupyterHubAuthenticator": "native",
                  "jupyterHubAdminUsers": ["admin"]}, False, id="native"),
    pytest.param({"tfAmbassadorServiceType": "LoadBalancer", "tfJobUiServiceType": "NodePort", **OPEN}, False,
                 id="other-services-exposed"),
])
def test_exposed_hub_with_dummy_login_warns_when_allowed(params: dict[str, Any], warned: bool) -> None:
    out = PROTOTYPE.render_instance(CTX, CoreParams(**params))
    hub_warnings = [w for w in out.warnings if w.startswith("JupyterHub")]
    assert len(hub_warnings) == int(warned), out.warnings
    if warned:
        text = hub_warnings[0]
        assert "anyone" in text and "any name and password" in text
        assert "jupyterHubAllowUnauthenticatedExternalAccess" in text
        assert ("192.0.2.10" in text) == ("jupyterHubExternalIPs" in params)
    assert out.objects == render(**params)  # a warning changes nothing rendered


def test_usage_id_is_derived_stably_and_differs_per_profile() -> None:
    def cluster_id(ctx: RenderContext) -> str:
        args = containers(get(render(ctx, reportUsage=True), "Deployment",
                              "spartakus-volunteer"))["volunteer"]["args"]
        (arg,) = [a for a in args if a.startswith("--cluster-id=")]
        return arg.split("=", 1)[1]

    first = cluster_id(CTX)
    assert first == cluster_id(RenderContext("t", "kubeflow-core", NS, "1.37"))
    assert len(first) == 16 and int(first, 16) >= 0
    assert first == hashlib.sha256(b"t/kubeflow/kubeflow-core").hexdigest()[:16]
    assert cluster_id(RenderContext("other", "kubeflow-core", NS, "1.37")) != first
    assert cluster_id(RenderContext("t", "kubeflow-core", "lab", "1.37")) != first


def test_namespaced_operator_is_limited_to_tfjob_and_its_namespace() -> None:
    objects = render()
    op = containers(get(objects, "Deployment", "tf-job-operator"))["tf-job-operator"]
    assert op["command"] == ["/manager"]
    assert "--enable-scheme=tfjob" in op["args"] and "--namespace=$(MY_POD_NAMESPACE)" in op["args"]
    assert {e["name"]: e["valueFrom"]["fieldRef"]["fieldPath"] for e in op["env"]} == {
        "MY_POD_NAMESPACE": "metadata.namespace", "MY_POD_NAME": "metadata.name"}
    keys = set(by_key(objects))
    assert {("Role", "tf-job-operator"), ("RoleBinding", "tf-job-operator"),
            ("Role", "tf-job-dashboard"), ("RoleBinding", "tf-job-dashboard")} <= keys
    assert not {("ClusterRole", "tf-job-operator"), ("ClusterRole", "tf-job-dashboard")} & keys
    (hook,) = get(objects, "ValidatingWebhookConfiguration", "validator.training-operator.kubeflow.org")["webhooks"]
    assert hook["namespaceSelector"] == {"matchLabels": {"kubernetes.io/metadata.name": NS}}
    assert hook["clientConfig"]["service"] == {"name": "tf-job-operator", "namespace": NS, "port": 443,
                                               "path": "/validate-kubeflow-org-v1-tfjob"}
    crd = get(objects, "CustomResourceDefinition", "tfjobs.kubeflow.org")
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1" and crd["spec"]["versions"][0]["name"] == "v1"


def test_cluster_wide_operator_uses_cluster_roles() -> None:
    objects = render(tfJobNamespaced=False)
    op = containers(get(objects, "Deployment", "tf-job-operator"))["tf-job-operator"]
    assert not any(a.startswith("--namespace") for a in op["args"])
    keys = set(by_key(objects))
    assert {("ClusterRole", "tf-job-operator"), ("ClusterRoleBinding", "tf-job-operator"),
            ("ClusterRole", "tf-job-dashboard"), ("ClusterRoleBinding", "tf-job-dashboard"),
            ("Role", "tf-job-operator-webhook"), ("RoleBinding", "tf-job-operator-webhook")} <= keys
    assert not {("Role", "tf-job-operator"), ("Role", "tf-job-dashboard")} & keys
    (hook,) = get(objects, "ValidatingWebhookConfiguration", "validator.training-operator.kubeflow.org")["webhooks"]
    assert "namespaceSelector" not in hook
    # The certificate Secret stays a namespaced grant even then.
    secret_rules = [r for w, r in rbac_rules(objects) if "secrets" in r["resources"] and "operator" in w]
    assert secret_rules and all(r in get(objects, "Role", "tf-job-operator-webhook")["rules"] for r in secret_rules)


def test_a_second_instance_without_operator_shares_nothing_cluster_scoped() -> None:
    first = render(RenderContext("t", "a", "team-a", "1.37"), tfJobNamespaced=False)
    second = render(RenderContext("t", "b", "team-b", "1.37"), tfJobOperator=False, **NFS)
    assert not {k for k in by_key(second) if "operator" in k[1] or k[0] in (
        "CustomResourceDefinition", "ValidatingWebhookConfiguration")}
    assert ("Deployment", "tf-job-dashboard") in by_key(second) and ("StatefulSet", "tf-hub") in by_key(second)

    def cluster_scoped(objects: list[dict[str, Any]]) -> set[tuple[str, str]]:
        return {(o["kind"], o["metadata"]["name"]) for o in objects if "namespace" not in o["metadata"]}

    assert not cluster_scoped(first) & cluster_scoped(second)


def test_cloud_aks_routes_the_k8s_dashboard_without_tls() -> None:
    def tls(**params: Any) -> Any:
        (m,) = mappings(get(render(**params), "Service", "k8s-dashboard"))
        return m["tls"]

    assert tls() is True and tls(cloud="gcp") is True
    assert tls(cloud="aks") is False and tls(cloud="acsengine") is False


def test_replicas_and_images_are_params() -> None:
    objects = render(ambassadorReplicas=1, tfJobImage="registry.example/op:1", jupyterHubImage="registry.example/hub:1")
    assert get(objects, "Deployment", "ambassador")["spec"]["replicas"] == 1
    operator = containers(get(objects, "Deployment", "tf-job-operator"))["tf-job-operator"]
    assert operator["image"] == "registry.example/op:1"
    assert containers(get(objects, "StatefulSet", "tf-hub"))["tf-hub"]["image"] == "registry.example/hub:1"
    assert get(render(), "Deployment", "ambassador")["spec"]["replicas"] == 3


BAD = [
    pytest.param({"reportUsage": "true"}, "reportUsage", id="bool-as-string"),
    pytest.param({"jupyterHubServiceType": "LoadBalancr"}, "jupyterHubServiceType", id="service-type-typo"),
    pytest.param({"tfJobUiServiceType": "nodeport"}, "tfJobUiServiceType", id="service-type-case"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.300"]}, "not IPv4/IPv6", id="bad-ip"),
    pytest.param({"jupyterHubExternalIPs": ["master1"]}, "not IPv4/IPv6", id="hostname-as-ip"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.1", "192.0.2.1"]}, "must not repeat", id="repeated-ip"),
    pytest.param({"jupyterHubAuthenticator": "native", "jupyterHubAdminUsers": ["ann", "ann"]},
                 "admin users must not repeat: ann", id="repeated-admin"),
    pytest.param({"jupyterNotebookImages": ["docker.io/a/b:1", "docker.io/a/b:1"]},
                 "images must not repeat: docker.io/a/b:1", id="repeated-image"),
    pytest.param({**NFS, "nfsCapacity": "20GB"}, "not a Kubernetes quantity", id="bad-quantity"),
    pytest.param({**NFS, "nfsCapacity": "20"}, "not a usable size", id="bytes-not-a-volume"),
    pytest.param({**NFS, "nfsAccessMode": "ReadWriteAll"}, "nfsAccessMode", id="bad-access-mode"),
    pytest.param({**NFS, "nfsPath": "srv/nfs"}, "absolute path", id="relative-nfs-path"),
    pytest.param({**NFS, "nfsServer": "nfs server"}, "IP address or a DNS name", id="bad-nfs-server"),
    pytest.param({"nfsServer": "192.0.2.10"}, "jupyterNotebookPVCMount", id="nfs-without-mount"),
    pytest.param({"nfsCapacity": "50Gi"}, "only matters with nfsServer", id="nfs-param-without-server"),
    pytest.param({"jupyterNotebookPVCMount": "home/jovyan"}, "absolute path", id="relative-mount"),
    pytest.param({"jupyterNotebookPVCMount": "/home/../etc"}, "absolute path", id="dotdot-mount"),
    pytest.param({"jupyterNotebookImages": []}, "at least 1", id="no-images"),
    pytest.param({"jupyterNotebookImages": ["Not An Image"]}, "pattern", id="bad-image"),
    pytest.param({"jupyterHubAuthenticator": "github"}, "jupyterHubAuthenticator", id="unknown-authenticator"),
    pytest.param({"usageId": "test-id"}, "reportUsage is false", id="usage-id-without-report"),
    pytest.param({"reportUsage": True, "usageId": "has space"}, "pattern", id="bad-usage-id"),
    pytest.param({"tfDefaultImage": "tensorflow/tensorflow:1.7.0"}, "tfDefaultImage", id="retired-tf-default-image"),
    pytest.param({"ambassadorReplicas": 0}, "greater than or equal to 1", id="zero-replicas"),
    pytest.param({"ambassadorReplicas": "3"}, "ambassadorReplicas", id="int-as-string"),
    pytest.param({"cloud": "azure"}, "cloud", id="unknown-cloud"),
    pytest.param({"tfJobOperator": False, "tfJobImage": "registry.example/op:1"}, "only matters with tfJobOperator",
                 id="operator-image-without-operator"),
    pytest.param({"disks": "disk1,disk2"}, "disks", id="disks-left-out"),
    pytest.param({"jupyterNotebookCpuChoices": []}, "at least 1", id="no-cpu-choice"),
    pytest.param({"jupyterNotebookCpuChoices": ["1", "1000m"]}, "must not repeat", id="repeated-cpu-choice"),
    pytest.param({"jupyterNotebookCpuChoices": ["0"]}, "not a usable CPU amount", id="zero-cpu"),
    pytest.param({"jupyterNotebookCpuChoices": [1]}, "jupyterNotebookCpuChoices", id="cpu-choice-as-int"),
    pytest.param({"jupyterNotebookMemoryChoices": ["1Gi", "1024Mi"]}, "must not repeat", id="repeated-memory"),
    pytest.param({"jupyterNotebookMemoryChoices": ["512"]}, "not a usable memory size", id="bytes-of-memory"),
    pytest.param({"jupyterNotebookMemoryChoices": ["1GB"]}, "jupyterNotebookMemoryChoices.0", id="bad-memory"),
    pytest.param({"jupyterNotebookMaxGpus": -1}, "greater than or equal to 0", id="negative-gpus"),
    pytest.param({"jupyterNotebookGpuImage": "Not An Image"}, "pattern", id="bad-gpu-image"),
    pytest.param({"jupyterNotebookStorage": "shared"}, "only matters with jupyterNotebookPVCMount",
                 id="storage-without-mount"),
    pytest.param({"jupyterNotebookStorageClassName": "fast", "jupyterNotebookStorageCapacity": "5Gi"},
                 "only matter with jupyterNotebookPVCMount", id="class-and-capacity-without-mount"),
    pytest.param({**NFS, "jupyterNotebookStorage": "per-user"}, "contradicts", id="nfs-per-user"),
    pytest.param({**NFS, "jupyterNotebookStorageClassName": "fast"}, "without a StorageClass", id="nfs-with-class"),
    pytest.param({**NFS, "jupyterNotebookStorageCapacity": "5Gi"}, "set nfsCapacity", id="nfs-with-capacity"),
    pytest.param({"jupyterNotebookPVCMount": "/w", "jupyterNotebookStorage": "everyone"}, "jupyterNotebookStorage",
                 id="unknown-storage"),
    pytest.param({"jupyterNotebookPVCMount": "/w", "jupyterNotebookStorageClassName": "Fast_SSD"}, "pattern",
                 id="bad-storage-class"),
    pytest.param({"jupyterNotebookPVCMount": "/w", "jupyterNotebookStorageCapacity": "10"}, "not a usable size",
                 id="tiny-notebook-claim"),
    pytest.param({"jupyterHubServiceTyp": "NodePort"}, "Extra inputs are not permitted", id="unknown-param"),
]


@pytest.mark.parametrize("params, fragment", BAD)
def test_bad_params_are_refused(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as err:
        CoreParams(**params)
    assert fragment in str(err.value)


def test_params_are_documented_and_registered() -> None:
    assert prototypes()["core"] is PROTOTYPE
    assert PROTOTYPE.ksonnet == "io.ksonnet.pkg.kubeflow-core"
    for name, field in CoreParams.model_fields.items():
        assert field.description and len(field.description) > 20, name
    assert CoreParams().reportUsage is False and CoreParams().tfJobNamespaced is True
    params = CoreParams()
    with pytest.raises(ValidationError):
        params.reportUsage = True  # type: ignore[misc]  # frozen


# --- security ------------------------------------------------------------------------------------

VARIANTS = [
    pytest.param({}, id="defaults"),
    pytest.param(CASE_B, id="case-b"),
    pytest.param({"tfJobNamespaced": False, "reportUsage": True, **NFS}, id="cluster-wide-nfs"),
    pytest.param({"jupyterHubAuthenticator": "iap", "cloud": "gcp", "jupyterNotebookPVCMount": "/home/jovyan"},
                 id="iap-per-user"),
    pytest.param({"jupyterHubServiceType": "LoadBalancer", "jupyterHubAuthenticator": "native",
                  "jupyterHubAdminUsers": ["admin"], "networkPolicies": False}, id="native-lb"),
    pytest.param({"jupyterNotebookPVCMount": "/home/jovyan/work", "jupyterNotebookStorage": "shared",
                  "jupyterNotebookStorageClassName": "nfs-client"}, id="shared-storage-class"),
]


@pytest.mark.parametrize("params", VARIANTS)
def test_rbac_is_least_privilege(params: dict[str, Any]) -> None:
    objects = render(**params)
    for where, rule in rbac_rules(objects):
        assert "*" not in rule["verbs"] and "*" not in rule["resources"] and "*" not in rule["apiGroups"], where
        assert not ({"escalate", "bind", "impersonate"} & set(rule["verbs"])), where
    for o in objects:
        if o["kind"] in ("RoleBinding", "ClusterRoleBinding"):
            assert o["roleRef"]["name"] not in ("cluster-admin", "admin", "edit"), o["metadata"]["name"]
    # Only the operator's certificate rotator may write a Secret, and only its own.
    for where, rule in rbac_rules(objects):
        if "secrets" in rule["resources"] and set(rule["verbs"]) - {"get", "list", "watch"}:
            assert rule["resourceNames"] == ["tf-job-operator-webhook-cert"], where
    dashboard = [r for w, r in rbac_rules(objects) if w.endswith(" tf-job-dashboard")]
    assert dashboard and all(set(r["verbs"]) <= {"get", "list", "watch"} for r in dashboard)
    hub = get(objects, "Role", "jupyter-role")["rules"]
    claims = {"persistentvolumeclaims"} if CoreParams(**params).notebook_storage == "per-user" else set()
    assert {res for r in hub for res in r["resources"]} == {"pods", "events", *claims}


@pytest.mark.parametrize("params", VARIANTS)
def test_containers_do_not_escalate_and_nothing_secret_is_rendered(params: dict[str, Any]) -> None:
    objects = render(**params)
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            spec = pod_spec(o)
            for c in spec["containers"] + spec.get("initContainers", []):
                assert c["securityContext"]["allowPrivilegeEscalation"] is False, (o["metadata"]["name"], c["name"])
                assert not c["securityContext"].get("privileged"), c["name"]
        if o["kind"] == "Secret":
            assert "data" not in o and "stringData" not in o, o["metadata"]["name"]
    hub = containers(get(objects, "StatefulSet", "tf-hub"))
    assert all(c["securityContext"].get("runAsNonRoot") for c in hub.values())


# --- purity and well-formedness ---------------------------------------------------------------------


@pytest.mark.parametrize("params", VARIANTS)
def test_render_is_pure_and_emits_no_nulls(params: dict[str, Any]) -> None:
    first = render(**params)
    snapshot = copy.deepcopy(first)
    for o in first:  # scribbling on one result must not leak into the next (no shared state)
        for _, value in walk(o):
            if isinstance(value, dict):
                value["scribbled"] = True
            elif isinstance(value, list):
                value.append("scribbled")
    second = render(**params)
    assert second == snapshot
    assert yaml.safe_load(yaml.safe_dump(second)) == second  # plain data only
    nulls = [(o["kind"], o["metadata"]["name"], path) for o in second for path, v in walk(o) if v is None]
    assert not nulls
    for o in second:
        assert o["apiVersion"] and o["kind"] and o["metadata"]["name"]
        if o["kind"] not in ("CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding", "PersistentVolume",
                             "ValidatingWebhookConfiguration"):
            assert o["metadata"]["namespace"] == NS, (o["kind"], o["metadata"]["name"])
        assert not any(k.startswith(("kfgen.io/", "app.kubernetes.io/managed-by"))
                       for k in o["metadata"].get("labels", {})), "the pipeline adds kfgen's labels"


@pytest.mark.parametrize("params", VARIANTS)
def test_objects_validate_against_kubernetes_schemas(params: dict[str, Any]) -> None:
    validate = pytest.importorskip("kfgen.validate.objects")
    findings = validate.validate_objects(render(**params), "1.37")
    assert not findings, "\n".join(map(str, findings))


def test_selectors_match_their_pods() -> None:
    objects = render()
    pods = {o["metadata"]["name"]: o["spec"]["template"]["metadata"]["labels"] for o in objects
            if o["kind"] in ("Deployment", "StatefulSet")}
    for o in objects:
        if o["kind"] == "Service" and o["metadata"]["name"] != "k8s-dashboard":  # that one routes to kube-system
            sel = o["spec"]["selector"]
            assert any(sel.items() <= labels.items() for labels in pods.values()), o["metadata"]["name"]
    assert get(objects, "StatefulSet", "tf-hub")["spec"]["serviceName"] == "tf-hub-0"


def test_ambassador_mapping_text() -> None:
    text = ambassador.mapping("m", "/models/x/", "x.ns:8000", rewrite="/", method="POST", tls=False,
                              extra={"timeout_ms": 30000, "host_rewrite": "yes"})
    assert text.startswith("---\napiVersion: ambassador/v0\nkind: Mapping\n")
    assert yaml.safe_load(text) == {"apiVersion": "ambassador/v0", "kind": "Mapping", "name": "m",
                                    "prefix": "/models/x/", "method": "POST", "rewrite": "/", "tls": False,
                                    "service": "x.ns:8000", "timeout_ms": 30000, "host_rewrite": "yes"}


@pytest.mark.parametrize("text, value", [
    ("20Gi", 20 * 2 ** 30), ("500m", 0.5), ("1.5G", 1.5e9), ("2", 2), ("1e3", 1000), ("1Pi", 2 ** 50),
    ("1.5e9", 1.5e9), (".5", 0.5), ("1.", 1), ("+2", 2), ("-2", -2), ("250n", 250e-9), ("3u", 3e-6),
    ("1E", 1e18), ("1E3", 1000), ("5e-1", 0.5), ("7Ei", 7 * 2 ** 60), ("1e-99999999", 0),
])
def test_parse_quantity(text: str, value: float) -> None:
    assert float(k8s.parse_quantity(text)) == value
    assert re.match(k8s.QUANTITY_PATTERN, text)


@pytest.mark.parametrize("text, fragment", [
    ("9e99999999", "too large"), ("1e9999999", "too large"), ("8Ei", "too large"), ("10E", "too large"),
    ("-9e99999999", "out of range"), ("1e1.5", "exponent must be a whole number"),
    ("1K", "not a Kubernetes quantity"), ("1 Gi", "not a Kubernetes quantity"), ("", "not a Kubernetes quantity"),
])
def test_parse_quantity_refuses_with_a_value_error(text: str, fragment: str) -> None:
    with pytest.raises(ValueError, match=fragment):
        k8s.parse_quantity(text)


def test_one_quantity_pattern() -> None:
    from kfgen.kube import tfjob
    from kfgen.prototypes import params
    assert tfjob.QUANTITY_PATTERN == k8s.QUANTITY_PATTERN  # the CRD's expression is Kubernetes' own
    assert params.QUANTITY_PATTERN == k8s.NON_NEGATIVE_QUANTITY_PATTERN
    assert not re.match(k8s.NON_NEGATIVE_QUANTITY_PATTERN, "-1")


# --- against a real API server (etcd + kube-apiserver on loopback) --------------------------------


@pytest.fixture(scope="module")
def control_plane():
    try:
        from apiserver import ControlPlane, ControlPlaneError
    except ImportError:  # tests/ imported as a package
        from tests.apiserver import ControlPlane, ControlPlaneError
    plane = ControlPlane()
    try:
        plane.start()
    except ControlPlaneError as exc:
        pytest.fail(f"control plane did not start: {exc}", pytrace=False)
    yield plane
    plane.stop()


def _apply(cp: Any, objects: list[dict[str, Any]]) -> None:
    stream = yaml.safe_dump_all(objects, sort_keys=False)
    cp.kubectl("apply", "--server-side", "--field-manager=kfgen-test", "-f", "-", input=stream)


def _can(cp: Any, sa: str, verb: str, resource: str, namespace: str | None = NS) -> bool:
    args = ["auth", "can-i", verb, resource, f"--as=system:serviceaccount:{NS}:{sa}"]
    args += [f"--namespace={namespace}"] if namespace else []
    proc = cp.kubectl(*args, check=False)
    return proc.stdout.strip() == "yes"


@pytest.mark.apiserver
def test_api_server_accepts_everything_and_enforces_least_privilege(control_plane: Any) -> None:
    cp = control_plane
    cp.kubectl("create", "namespace", NS)
    cp.kubectl("create", "namespace", "elsewhere")
    _apply(cp, render(**NFS, reportUsage=True))
    cp.kubectl("wait", "--for=condition=Established", "crd/tfjobs.kubeflow.org", "--timeout=60s")
    # the operator: TFJob pods in its namespace, its own certificate and webhook configuration, nothing more
    assert _can(cp, "tf-job-operator", "create", "pods")
    assert _can(cp, "tf-job-operator", "update", "tfjobs.kubeflow.org/status")
    assert not _can(cp, "tf-job-operator", "create", "pods", "elsewhere")
    assert not _can(cp, "tf-job-operator", "list", "tfjobs.kubeflow.org", "elsewhere")
    assert _can(cp, "tf-job-operator", "update", "secrets/tf-job-operator-webhook-cert")
    assert not _can(cp, "tf-job-operator", "update", "secrets/other")
    assert _can(cp, "tf-job-operator", "update",
                "validatingwebhookconfigurations.admissionregistration.k8s.io/validator.training-operator.kubeflow.org",
                None)
    assert not _can(cp, "tf-job-operator", "update",
                    "validatingwebhookconfigurations.admissionregistration.k8s.io/other", None)
    assert not _can(cp, "tf-job-operator", "create", "deployments.apps")
    assert not _can(cp, "tf-job-operator", "create", "customresourcedefinitions.apiextensions.k8s.io", None)
    # JupyterHub: user pods in its namespace only; no claim verbs with shared (NFS) storage
    assert _can(cp, "jupyter-hub", "create", "pods") and not _can(cp, "jupyter-hub", "delete", "persistentvolumeclaims")
    assert not _can(cp, "jupyter-hub", "get", "secrets")
    assert not _can(cp, "jupyter-hub", "create", "pods", "elsewhere")
    assert not _can(cp, "jupyter-hub", "create", "roles.rbac.authorization.k8s.io")
    # the dashboard only reads
    assert _can(cp, "tf-job-dashboard", "list", "tfjobs.kubeflow.org")
    assert not _can(cp, "tf-job-dashboard", "delete", "tfjobs.kubeflow.org")
    assert not _can(cp, "tf-job-dashboard", "create", "pods")
    assert _can(cp, "spartakus", "list", "nodes", None) and not _can(cp, "spartakus", "list", "pods")
    # Ambassador reads its optional config map and lists the others; it cannot rewrite the hub's config
    assert _can(cp, "ambassador", "get", "configmaps/ambassador-config")
    assert not _can(cp, "ambassador", "get", "configmaps/jupyterhub-config")
    for verb in ("create", "update", "patch"):
        assert not _can(cp, "ambassador", verb, "configmaps/jupyterhub-config")
    # the NFS claim is pre-bound to its volume
    pvc = cp.kubectl_json("get", "pvc", "notebooks-nfs", "-n", NS)
    assert pvc["spec"]["volumeName"] == "kubeflow-notebooks-nfs"
    # applying again changes nothing (server-side apply is idempotent for what we own)
    _apply(cp, render(**NFS, reportUsage=True))
