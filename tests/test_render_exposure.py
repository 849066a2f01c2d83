"""What makes something reachable from outside the cluster (kfgen.render.safety rule ``externalExposure``): a
Service of type NodePort or LoadBalancer, a Service with externalIPs, an Ingress. A patch or a ``manifests``
object that does it is an error at its line in the profile unless it sets ``allowExternalExposure: true``;
what a prototype exposes its own params check (core's ``…AllowUnauthenticatedExternalAccess``, tf-serving's
``allowUnauthenticatedExternalAccess``), so a patch is held only to what it newly exposes."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.render.safety import findings


def run(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, Path]:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "p.yaml").write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "p", "--profiles-dir", "profiles", "--out-dir", "out"])
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else ""), tmp_path / "out"


# --- the rule, on objects ---------------------------------------------------------------------------


def service(**spec: object) -> dict:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "n"},
            "spec": {"ports": [{"port": 80}], **spec}}


@pytest.mark.parametrize("spec, pointer, found", [
    ({"type": "NodePort"}, "/spec/type", "type: NodePort"),
    ({"type": "LoadBalancer"}, "/spec/type", "type: LoadBalancer"),
    ({"externalIPs": ["192.0.2.10", "192.0.2.11"]}, "/spec/externalIPs", "externalIPs: 192.0.2.10, 192.0.2.11"),
])
def test_an_exposed_service_is_found(spec: dict, pointer: str, found: str) -> None:
    [f] = findings(service(**spec))
    assert (f.rule, f.pointer, f.found) == ("externalExposure", pointer, found)
    assert f.message.startswith("Service n/web is reachable from outside the cluster")
    assert "authenticates every request" in (f.hint or "") and "allowExternalExposure: true" in (f.hint or "")


@pytest.mark.parametrize("spec", [{}, {"type": "ClusterIP"}, {"type": "ExternalName", "externalName": "x.example"},
                                  {"externalIPs": []}])
def test_a_service_inside_the_cluster_is_not_found(spec: dict) -> None:
    assert findings(service(**spec)) == []


def test_an_ingress_is_found_naming_its_services() -> None:
    backend = {"service": {"name": "web", "port": {"number": 80}}}
    ingress = {"apiVersion": "networking.k8s.io/v1", "kind": "Ingress", "metadata": {"name": "in", "namespace": "n"},
               "spec": {"defaultBackend": {"service": {"name": "docs", "port": {"number": 80}}},
                        "rules": [{"host": "a.example", "http": {"paths": [
                            {"path": "/", "pathType": "Prefix", "backend": backend}]}}]}}
    [f] = findings(ingress)
    assert (f.rule, f.pointer) == ("externalExposure", "/spec")
    assert f.message == ("Ingress n/in routes requests from outside the cluster to Service docs, web, whether or not "
                         "they authenticate anyone")
    assert findings(ingress, frozenset({"externalExposure"})) == []


# --- patches ---------------------------------------------------------------------------------------

CORE = """\
namespace: team-a
podSecurity: {{team-a: baseline}}
components:
  core:
    prototype: core
    params: {{reportUsage: false{params}}}
    patches:
{patches}
"""


def core(patches: str, params: str = "") -> str:
    return CORE.format(params=params, patches=textwrap.indent(textwrap.dedent(patches), "      "))


HUB_LB = """\
- target: {kind: Service, name: tf-hub-lb}
  merge: {spec: {type: LoadBalancer}}
"""


def test_a_patch_exposing_the_hub_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The review's case: the prototype refuses jupyterHubServiceType: LoadBalancer with the dummy authenticator,
    and a patch setting the Service's type must not get around it."""
    code, text, out = run(tmp_path, core(HUB_LB), monkeypatch)
    assert code == 2, text
    assert ("error: profiles/p.yaml:8: components.core.patches[0] /spec/type: patch 0: Service team-a/tf-hub-lb is "
            "reachable from outside the cluster (type: LoadBalancer)") in text
    assert "found:    type: LoadBalancer" in text and "allowExternalExposure: true" in text
    assert not (out / "p").exists()


def test_the_patch_opt_in_lets_it_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, core(HUB_LB + "  allowExternalExposure: true\n"), monkeypatch)
    assert code == 0, text
    assert "type: LoadBalancer" in (out / "p" / "22-service-tf-hub-lb.yaml").read_text()


@pytest.mark.parametrize("patch, pointer", [
    pytest.param("""\
        - target: {kind: Service, name: ambassador}
          jsonPatch: [{op: replace, path: /spec/type, value: NodePort}]
        """, "/spec/type", id="ambassador-node-port"),
    pytest.param("""\
        - target: {kind: Service, name: tf-job-dashboard}
          merge: {spec: {externalIPs: [192.0.2.10]}}
        """, "/spec/externalIPs", id="dashboard-external-ips"),
])
def test_every_way_a_patch_exposes_a_service_is_refused(patch: str, pointer: str, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, core(patch), monkeypatch)
    assert code == 2, text
    assert f"components.core.patches[0] {pointer}: patch 0: Service team-a/" in text


def test_a_patch_on_a_service_the_prototype_exposes_is_not_reported_again(tmp_path: Path,
                                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    """Ambassador on a LoadBalancer with core's own opt-in, hub on NodePort with external IPs and an
    authenticator: a patch that leaves their exposure as it is needs no allowExternalExposure (and the render's
    check of the prototype's output does not report them)."""
    params = (", tfAmbassadorServiceType: LoadBalancer, tfAmbassadorAllowUnauthenticatedExternalAccess: true, "
              "jupyterHubServiceType: NodePort, jupyterHubExternalIPs: [192.0.2.10], "
              "jupyterHubAuthenticator: native, jupyterHubAdminUsers: [admin]")
    code, text, _ = run(tmp_path, core("""\
        - target: {kind: Service, name: ambassador}
          merge: {metadata: {annotations: {example.com/owner: ml-team}}}
        - target: {kind: Service, name: tf-hub-lb}
          merge: {metadata: {labels: {tier: front}}}
        """, params), monkeypatch)
    assert code == 0, text
    # a change of how it is exposed is the patch's, though: a new address, another type
    code, text, _ = run(tmp_path, core("""\
        - target: {kind: Service, name: tf-hub-lb}
          merge: {spec: {externalIPs: [192.0.2.10, 192.0.2.99]}}
        - target: {kind: Service, name: ambassador}
          merge: {spec: {type: NodePort}}
        """, params), monkeypatch)
    assert code == 2, text
    assert "components.core.patches[0] /spec/externalIPs: patch 0: Service team-a/tf-hub-lb" in text
    assert "192.0.2.10, 192.0.2.99" in text
    assert "components.core.patches[1] /spec/type: patch 1: Service team-a/ambassador" in text


def test_a_patch_opt_in_covers_only_that_patch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, core("""\
        - target: {kind: Service, name: ambassador}
          merge: {spec: {type: NodePort}}
          allowExternalExposure: true
        - target: {kind: Service, name: tf-hub-lb}
          merge: {spec: {type: NodePort}}
        """), monkeypatch)
    assert code == 2, text
    assert "components.core.patches[1] /spec/type: patch 1: Service team-a/tf-hub-lb" in text
    assert "patches[0]" not in text and "1 problem;" in text


def test_tf_serving_exposed_through_its_own_opt_in_is_not_reported_again(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, """\
        namespace: team-a
        components:
          serve:
            prototype: tf-serving
            params: {modelPath: /models/m, serviceType: LoadBalancer, allowUnauthenticatedExternalAccess: true}
            patches:
              - target: {kind: Service, name: serve}
                merge: {metadata: {annotations: {example.com/owner: ml-team}}}
        """, monkeypatch)
    assert code == 0, text
    assert "warning: p: serve: Service serve is exposed outside the cluster (serviceType: LoadBalancer)" in text


# --- manifests -------------------------------------------------------------------------------------

MANIFESTS = """\
namespace: team-a
components:
  extra:
    prototype: manifests
    params:
{params}
      objects:
        - {{apiVersion: v1, kind: Service, metadata: {{name: web}}, spec: {{ports: [{{port: 80}}]}}}}
{objects}
"""


def manifests(objects: str, params: str = "") -> str:
    return MANIFESTS.format(params=textwrap.indent(textwrap.dedent(params), "      "),
                            objects=textwrap.indent(textwrap.dedent(objects), "        "))


INGRESS = """\
- apiVersion: networking.k8s.io/v1
  kind: Ingress
  metadata: {name: web}
  spec:
    rules:
      - host: web.example
        http: {paths: [{path: /, pathType: Prefix, backend: {service: {name: web, port: {number: 80}}}}]}
"""
NODE_PORT = """\
- {apiVersion: v1, kind: Service, metadata: {name: web-np}, spec: {type: NodePort, ports: [{port: 80}]}}
"""
EXTERNAL_IPS = """\
- {apiVersion: v1, kind: Service, metadata: {name: web-ip}, spec: {externalIPs: [192.0.2.10], ports: [{port: 80}]}}
"""


@pytest.mark.parametrize("objects, where", [
    pytest.param(INGRESS, "objects[1] /spec: Ingress team-a/web routes requests from outside the cluster to "
                          "Service web", id="ingress"),
    pytest.param(NODE_PORT, "objects[1] /spec/type: Service team-a/web-np is reachable from outside the cluster "
                            "(type: NodePort)", id="node-port"),
    pytest.param(EXTERNAL_IPS, "objects[1] /spec/externalIPs: Service team-a/web-ip is reachable from outside the "
                               "cluster at externalIPs 192.0.2.10", id="external-ips"),
])
def test_a_manifests_object_exposing_something_is_refused_unless_allowed(
        objects: str, where: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, manifests(objects), monkeypatch)
    assert code == 2, text
    assert f"profiles/p.yaml:9: components.extra.params.{where}" in text
    assert "objects[0]" not in text  # the ClusterIP Service is fine
    assert not (out / "p").exists()
    code, text, _ = run(tmp_path, manifests(objects, "allowExternalExposure: true"), monkeypatch)
    assert code == 0, text
