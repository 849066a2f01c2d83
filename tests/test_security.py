"""The shipped output is safe to apply: no open JupyterHub, restricted pods, resources, NetworkPolicies, narrow
Secret access, and a third-party linter (kube-score) over out/.

The proof on a real API server (PodSecurity admission of every pod template) is tests/test_pss.py.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import types
from pathlib import Path
from typing import Any

import pytest
import yaml

from kfgen.errors import KfgenError
from kfgen.kube import podsecurity
from kfgen.kube.objects import pod_templates
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core import PROTOTYPE, CoreParams
from kfgen.prototypes.tf_serving import PROTOTYPE as SERVING
from kfgen.prototypes.tf_serving import TfServingParams

ROOT = Path(__file__).resolve().parents[1]
OUT_DIR = ROOT / "out"
PROFILES = sorted(p.name for p in OUT_DIR.iterdir() if p.is_dir() and not p.name.startswith("."))
# the profiles with a kfgen namespace (a Namespace object, kfgen's NetworkPolicies, JupyterHub); the others
# (gpu-lab-nodes: the device plugin in kube-system) live in system namespaces kfgen leaves to the cluster
NAMESPACED = [p for p in PROFILES if any((OUT_DIR / p).glob("00-namespace-*.yaml"))]
# pods in the system namespaces below restricted, and why
SYSTEM_PODS = {"nvidia-device-plugin-daemonset": "privileged: mounts the kubelet's device-plugin socket directory "
                                                  "(hostPath); runs in kube-system, whose level is the cluster's"}
CTX = RenderContext(profile="t", instance="kubeflow-core", namespace="kubeflow", kubernetes_version="1.37")
NATIVE = {"jupyterHubAuthenticator": "native", "jupyterHubAdminUsers": ["admin"]}
KUBE_SCORE_IGNORE = ROOT / "tests" / "kube-score-ignore.yaml"


def render(**params: Any) -> list[dict[str, Any]]:
    return PROTOTYPE.render_instance(CTX, CoreParams(**params)).objects


def out_objects(profile: str) -> list[dict[str, Any]]:
    return [o for p in sorted((OUT_DIR / profile).glob("*.yaml"))
            for o in yaml.safe_load_all(p.read_text(encoding="utf-8")) if o]


class FakeConfig:
    """Stands in for JupyterHub's ``c``."""

    def __getattr__(self, name: str) -> types.SimpleNamespace:
        section = types.SimpleNamespace()
        setattr(self, name, section)
        return section


def hub_config(objects: list[dict[str, Any]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> FakeConfig:
    (cm,) = [o for o in objects if o["kind"] == "ConfigMap" and o["metadata"]["name"] == "jupyterhub-config"]
    token = tmp_path / "token"
    token.write_text("t")
    monkeypatch.setenv("KFGEN_PROXY_TOKEN_FILE", str(token))
    native = types.ModuleType("nativeauthenticator")
    native.__file__ = "/site-packages/nativeauthenticator/__init__.py"
    monkeypatch.setitem(sys.modules, "nativeauthenticator", native)
    # shared-password reads the user's Secret, mounted in the hub pod: a scratch copy stands in for it
    passwords = tmp_path / "passwords"
    passwords.mkdir(exist_ok=True)
    (passwords / "user-password").write_text("user-pass-1234")
    text = cm["data"]["jupyterhub_config.py"].replace(
        "PASSWORD_DIR = '/etc/jupyterhub-passwords'", f"PASSWORD_DIR = {str(passwords)!r}")
    c = FakeConfig()
    exec(compile(text, "jupyterhub_config.py", "exec"), {"c": c})
    return c


# --- JupyterHub: no open hub ---------------------------------------------------------------------------


@pytest.mark.parametrize("exposure", [
    pytest.param({"jupyterHubServiceType": "LoadBalancer"}, id="load-balancer"),
    pytest.param({"jupyterHubServiceType": "NodePort"}, id="node-port"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.10"]}, id="external-ip"),
])
@pytest.mark.parametrize("auth", [{}, {"jupyterHubAuthenticator": "dummy"}], ids=["unset", "dummy"])
def test_exposed_hub_without_authentication_is_refused(exposure: dict[str, Any], auth: dict[str, Any]) -> None:
    with pytest.raises(KfgenError) as err:
        render(**exposure, **auth)
    (problem,) = err.value.problems
    assert problem.path == ("components", "kubeflow-core", "params", "jupyterHubAuthenticator")
    assert "dummy authenticator" in problem.message and "jupyterHubAllowUnauthenticatedExternalAccess" in problem.hint
    # the explicit opt-in renders (with a warning), and so does a real authenticator
    out = PROTOTYPE.render_instance(CTX, CoreParams(**exposure, **auth,
                                                    jupyterHubAllowUnauthenticatedExternalAccess=True))
    assert out.warnings and out.objects
    assert render(**exposure, **NATIVE)


@pytest.mark.parametrize("params, why", [
    pytest.param({}, "cloud is unset, not gcp", id="no-cloud"),
    pytest.param({"cloud": "aks"}, "cloud is aks, not gcp", id="aks"),
    pytest.param({"cloud": "gcp", "jupyterHubServiceType": "LoadBalancer"}, "reachable directly", id="gcp-lb"),
    pytest.param({"cloud": "gcp", "jupyterHubExternalIPs": ["192.0.2.1"]}, "reachable directly", id="gcp-ip"),
])
def test_iap_is_refused_where_its_header_can_be_forged(params: dict[str, Any], why: str) -> None:
    with pytest.raises(KfgenError) as err:
        render(jupyterHubAuthenticator="iap", **params)
    (problem,) = err.value.problems
    assert why in problem.message and "forge" in problem.message
    assert problem.path[-1] == "jupyterHubAuthenticator"
    assert render(jupyterHubAuthenticator="iap", cloud="gcp")  # ClusterIP behind IAP on GCP: fine


def test_native_authenticator_needs_admins_and_approves_sign_ups(tmp_path: Path,
                                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="needs jupyterHubAdminUsers"):
        CoreParams(jupyterHubAuthenticator="native")
    c = hub_config(render(**NATIVE, jupyterHubServiceType="LoadBalancer"), tmp_path, monkeypatch)
    assert c.JupyterHub.authenticator_class == "native"
    assert c.NativeAuthenticator.open_signup is False
    assert c.Authenticator.admin_users == {"admin"}
    assert c.JupyterHub.template_paths == ["/site-packages/nativeauthenticator/templates"]


def test_spawner_offers_only_the_listed_images_unless_allowed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unlisted(**params: Any) -> bool:
        (profile,) = hub_config(render(**params), tmp_path, monkeypatch).KubeSpawner.profile_list
        return profile["profile_options"]["image"]["unlisted_choice"]["enabled"]

    assert unlisted() is False
    assert unlisted(jupyterNotebookAllowAnyImage=True) is True


def test_notebook_pods_are_restricted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    c = hub_config(render(), tmp_path, monkeypatch)
    assert c.KubeSpawner.uid == 1000 and c.KubeSpawner.allow_privilege_escalation is False
    notebook = {"containers": [{"name": "notebook", "securityContext": {
        **c.KubeSpawner.container_security_context, "allowPrivilegeEscalation": False, "runAsUser": 1000}}]}
    assert podsecurity.pod_level(notebook) == ("restricted", [])


@pytest.mark.parametrize("profile", NAMESPACED)
def test_notebook_pods_get_cpu_and_memory_requests_and_limits(profile: str, tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    c = hub_config(out_objects(profile), tmp_path, monkeypatch)
    spawner = c.KubeSpawner
    assert spawner.cpu_limit == spawner.cpu_guarantee > 0 and spawner.mem_limit == spawner.mem_guarantee > 0
    (server,) = spawner.profile_list
    for option, traits in (("cpu", ("cpu_guarantee", "cpu_limit")), ("memory", ("mem_guarantee", "mem_limit"))):
        choices = server["profile_options"][option]["choices"].values()
        assert choices and not server["profile_options"][option].get("unlisted_choice")  # no free-form value
        for choice in choices:
            override = choice["kubespawner_override"]
            assert set(override) == set(traits) and override[traits[0]] == override[traits[1]] > 0
    # a GPU choice adds only the GPU limit, the GPU toleration and an image: nothing that loosens the pod
    for choice in server["profile_options"].get("gpus", {}).get("choices", {}).values():
        assert set(choice["kubespawner_override"]) <= {"extra_resource_limits", "tolerations", "image"}


def test_shipped_gpu_lab_uses_a_real_authenticator_without_a_race_for_admin() -> None:
    profile = yaml.safe_load((ROOT / "profiles" / "gpu-lab.yaml").read_text(encoding="utf-8"))
    params = profile["components"]["kubeflow-core"]["params"]
    # shared-password: the admin's password is in a Secret before the hub starts, nobody signs up for the name
    assert params["jupyterHubAuthenticator"] == "shared-password" and params["jupyterHubAdminUsers"]
    assert params["jupyterHubPasswordSecret"] and params["jupyterHubStatePersistent"] is True
    assert not params.get("jupyterHubAllowUnauthenticatedExternalAccess")
    secrets = {o["metadata"]["name"] for o in out_objects("gpu-lab") if o["kind"] == "Secret"}
    assert params["jupyterHubPasswordSecret"] not in secrets  # only its name is rendered, never the Secret


# --- pods: Pod Security Standards, resources, tokens ------------------------------------------------------


@pytest.mark.parametrize("profile", PROFILES)
def test_every_pod_meets_baseline_and_the_namespace_says_its_level(profile: str) -> None:
    objects = out_objects(profile)
    levels = {}
    for o in objects:
        for t in pod_templates(o):
            levels[f"{o['metadata']['name']} {t.replica}".strip()] = podsecurity.pod_level(t.spec, t.annotations)[0]
    namespaces = [o for o in objects if o["kind"] == "Namespace"]
    if not namespaces:  # only system namespaces: the pods below restricted are the listed ones
        assert {o["metadata"]["namespace"] for o in objects if pod_templates(o)} == {"kube-system"}
        assert levels and {name for name, level in levels.items() if level != "restricted"} <= set(SYSTEM_PODS)
        return
    assert levels and all(level in ("baseline", "restricted") for level in levels.values()), levels
    assert {name for name, level in levels.items() if level != "restricted"} <= {"ambassador"}
    (ns,) = namespaces
    for key in (podsecurity.ENFORCE_LABEL, podsecurity.AUDIT_LABEL, podsecurity.WARN_LABEL):
        # the profile declares its namespace's level (podSecurity): the shipped ones declare what their pods need
        assert ns["metadata"]["labels"][key] == min(levels.values(), key=podsecurity.LEVELS.index)


@pytest.mark.parametrize("profile", PROFILES)
def test_every_container_has_cpu_and_memory_requests_and_limits(profile: str) -> None:
    missing = []
    for o in out_objects(profile):
        for t in pod_templates(o):
            where, spec = t.replica, t.spec
            for c in spec.get("initContainers", []) + spec["containers"]:
                res = c.get("resources", {})
                for part in ("requests", "limits"):
                    for name in ("cpu", "memory"):
                        if name not in res.get(part, {}):
                            missing.append(f"{o['metadata']['name']} {where} {c['name']}: {part}.{name}")
    assert not missing, "\n".join(missing)


def test_serving_pods_get_no_service_account_token() -> None:
    objects = SERVING.render_instance(RenderContext("t", "m", "ns", "1.37"),
                                      TfServingParams(modelPath="gs://b/m")).objects
    (dep,) = [o for o in objects if o["kind"] == "Deployment"]
    assert dep["spec"]["template"]["spec"]["automountServiceAccountToken"] is False


def test_pod_security_evaluator_levels() -> None:
    restricted = {"containers": [{"name": "a", "securityContext": {
        "allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
        "seccompProfile": {"type": "RuntimeDefault"}}}]}
    assert podsecurity.pod_level(restricted) == ("restricted", [])
    root = {"containers": [{"name": "a", "securityContext": {"allowPrivilegeEscalation": False}}]}
    level, why = podsecurity.pod_level(root)
    assert level == "baseline" and any("runAsNonRoot" in w for w in why) and any("seccomp" in w for w in why)
    assert podsecurity.pod_level({**restricted, "hostNetwork": True})[0] == "privileged"
    host = {**restricted, "volumes": [{"name": "h", "hostPath": {"path": "/"}}]}
    assert podsecurity.pod_level(host) == ("privileged", ["hostPath volume"])


# --- NetworkPolicies --------------------------------------------------------------------------------------


def _selects(policy: dict[str, Any], labels: dict[str, str]) -> bool:
    sel = policy["spec"]["podSelector"]
    return (sel.get("matchLabels", {}).items() <= labels.items()
            and all(e["key"] in labels for e in sel.get("matchExpressions", [])))


@pytest.mark.parametrize("profile", NAMESPACED)
def test_default_deny_and_every_pod_has_an_allow_rule(profile: str) -> None:
    objects = out_objects(profile)
    policies = [o for o in objects if o["kind"] == "NetworkPolicy"]
    deny = [p for p in policies if p["metadata"]["name"] == "default-deny-ingress"]
    assert deny and deny[0]["spec"] == {"podSelector": {}, "policyTypes": ["Ingress"]}
    allows = [p for p in policies if p["spec"].get("ingress")]
    for o in objects:
        if o["kind"] in ("Deployment", "StatefulSet"):
            labels = o["spec"]["template"]["metadata"]["labels"]
            if o["metadata"]["name"] != "spartakus-volunteer":  # nothing calls the usage reporter
                assert any(_selects(p, labels) for p in allows), o["metadata"]["name"]
        if o["kind"] == "TFJob":
            tfjob_pod = {"training.kubeflow.org/job-name": o["metadata"]["name"]}
            assert any(_selects(p, tfjob_pod) for p in allows), o["metadata"]["name"]


def test_hub_and_notebooks_reach_each_other_and_the_webhook_is_open() -> None:
    by_name = {o["metadata"]["name"]: o for o in render() if o["kind"] == "NetworkPolicy"}
    hub = by_name["tf-hub"]["spec"]["ingress"]
    # a ClusterIP hub: its front door admits the pods of its namespace (kubectl port-forward bypasses policies)
    assert {"port": 8000, "protocol": "TCP"} in hub[0]["ports"] and hub[0]["from"] == [{"podSelector": {}}]
    assert by_name["ambassador"]["spec"]["ingress"][0]["from"] == [{"podSelector": {}}]
    assert hub[1]["from"] == [{"podSelector": {"matchLabels": {"kfgen.io/notebook": "true"}}}]
    assert by_name["jupyter-notebooks"]["spec"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"app": "tf-hub"}}}]
    assert by_name["tf-job-operator"]["spec"]["ingress"] == [{"ports": [{"port": 9443, "protocol": "TCP"}]}]
    assert by_name["tf-job-dashboard"]["spec"]["ingress"][0]["from"] == [
        {"podSelector": {"matchLabels": {"service": "ambassador"}}}]
    exposed = {o["metadata"]["name"]: o for o in render(tfJobUiServiceType="NodePort",
                                                        tfJobUiAllowUnauthenticatedExternalAccess=True)}
    assert "from" not in exposed["tf-job-dashboard"]["spec"]["ingress"][0]


def test_network_policies_can_be_turned_off() -> None:
    assert not [o for o in render(networkPolicies=False) if o["kind"] == "NetworkPolicy"]
    serving = SERVING.render_instance(RenderContext("t", "m", "ns", "1.37"),
                                      TfServingParams(modelPath="gs://b/m", networkPolicies=False)).objects
    assert [o["kind"] for o in serving] == ["Service", "Deployment"]
    lb = SERVING.render_instance(RenderContext("t", "m", "ns", "1.37"),
                                 TfServingParams(modelPath="gs://b/m", serviceType="LoadBalancer",
                                                 allowUnauthenticatedExternalAccess=True)).objects
    assert "from" not in lb[-1]["spec"]["ingress"][0]


# --- roles --------------------------------------------------------------------------------------------------

# The one role that reads every Secret of its namespace, and why.
READS_EVERY_SECRET = {
    "tf-job-operator": "training-operator's certificate rotator reads its Secret through controller-runtime's "
                       "cache, which lists and watches every Secret of the namespace",
}


@pytest.mark.parametrize("profile", PROFILES)
def test_no_role_reads_every_secret_unless_listed(profile: str) -> None:
    for o in out_objects(profile):
        if o["kind"] in ("Role", "ClusterRole"):
            for rule in o["rules"]:
                if "secrets" in rule["resources"] and "resourceNames" not in rule:
                    assert o["metadata"]["name"] in READS_EVERY_SECRET, o["metadata"]["name"]
                    assert o["kind"] == "Role"


# --- a third-party linter: kube-score ---------------------------------------------------------------------


def kube_score() -> str | None:
    tools = Path(os.environ.get("KFGEN_TOOLS_DIR", Path.home() / ".cache" / "kfgen" / "bin"))
    return shutil.which("kube-score") or (str(tools / "kube-score") if (tools / "kube-score").is_file() else None)


def kube_score_ignores() -> dict[str, str]:
    """check id -> the reason kfgen's output is right to fail it."""
    data = yaml.safe_load(KUBE_SCORE_IGNORE.read_text(encoding="utf-8"))
    return {entry["check"]: entry["reason"] for entry in data["ignore"]}


@pytest.mark.parametrize("profile", PROFILES)
def test_kube_score_finds_nothing_critical(profile: str) -> None:
    binary = kube_score()
    if binary is None:
        pytest.skip("kube-score is not installed (scripts/tools.sh kube-score builds it)")
    ignores = kube_score_ignores()
    assert all(len(reason) > 30 for reason in ignores.values())
    files = [str(p) for p in sorted((OUT_DIR / profile).glob("*.yaml"))]
    args = [binary, "score", "--output-format", "ci"]
    for check in ignores:
        args += ["--ignore-test", check]
    proc = subprocess.run([*args, *files], capture_output=True, text=True, timeout=300)
    critical = [line for line in proc.stdout.splitlines() if line.startswith("[CRITICAL]")]
    assert not critical, "\n".join(critical)
