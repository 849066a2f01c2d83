"""Ambassador and the TFJob dashboard authenticate nobody: exposing either outside the cluster is a render
error unless its opt-in param is set (then a warning), and the NetworkPolicies follow the Service types."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from kfgen.errors import KfgenError
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core import PROTOTYPE, CoreParams

CTX = RenderContext(profile="t", instance="kubeflow-core", namespace="kubeflow", kubernetes_version="1.37")
WHERE = ("components", "kubeflow-core", "params")
GATEWAY = ("tfAmbassadorServiceType", "tfAmbassadorAllowUnauthenticatedExternalAccess", "ambassador")
DASHBOARD = ("tfJobUiServiceType", "tfJobUiAllowUnauthenticatedExternalAccess", "tf-job-dashboard")


def render(**params: Any) -> list[dict[str, Any]]:
    return PROTOTYPE.render_instance(CTX, CoreParams(**params)).objects


def policies(**params: Any) -> dict[str, dict[str, Any]]:
    return {o["metadata"]["name"]: o for o in render(**params) if o["kind"] == "NetworkPolicy"}


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer"])
@pytest.mark.parametrize("param, consent, service", [GATEWAY, DASHBOARD], ids=["ambassador", "dashboard"])
def test_exposing_an_unauthenticated_service_is_refused_without_opt_in(param: str, consent: str, service: str,
                                                                       service_type: str) -> None:
    with pytest.raises(KfgenError) as err:
        render(**{param: service_type})
    (problem,) = err.value.problems
    assert problem.path == (*WHERE, param)
    assert problem.found == service_type and problem.expected.startswith("ClusterIP")
    assert f"Service {service}" in problem.message and "authenticates nobody" in problem.message
    assert f"{consent}: true" in problem.hint and f"port-forward svc/{service}" in problem.hint
    # the opt-in renders it, with a warning naming the param
    out = PROTOTYPE.render_instance(CTX, CoreParams(**{param: service_type, consent: True}))
    (warning,) = out.warnings
    assert service in warning and consent in warning and "anyone" in warning
    (svc,) = [o for o in out.objects if o["kind"] == "Service" and o["metadata"]["name"] == service]
    assert svc["spec"]["type"] == service_type


def test_both_exposed_are_both_reported_and_the_scope_is_named() -> None:
    with pytest.raises(KfgenError) as err:
        render(tfAmbassadorServiceType="LoadBalancer", tfJobUiServiceType="NodePort", tfJobNamespaced=False)
    assert [p.path[-1] for p in err.value.problems] == ["tfAmbassadorServiceType", "tfJobUiServiceType"]
    assert all("every namespace" in p.message for p in err.value.problems)
    assert "/tfjobs/" in err.value.problems[0].message and "/models/" in err.value.problems[0].message


def test_consent_for_one_service_does_not_cover_the_other() -> None:
    with pytest.raises(KfgenError) as err:
        render(tfAmbassadorServiceType="LoadBalancer", tfJobUiAllowUnauthenticatedExternalAccess=True)
    assert [p.path[-1] for p in err.value.problems] == ["tfAmbassadorServiceType"]


def test_cluster_ip_needs_no_opt_in_and_an_opt_in_there_only_warns_that_it_allows_nothing() -> None:
    assert PROTOTYPE.render_instance(CTX, CoreParams()).warnings == []
    out = PROTOTYPE.render_instance(CTX, CoreParams(tfAmbassadorAllowUnauthenticatedExternalAccess=True,
                                                    tfJobUiAllowUnauthenticatedExternalAccess=True))
    assert out.objects == render()
    assert [w.split(":")[0] for w in out.warnings] == ["tfAmbassadorAllowUnauthenticatedExternalAccess",
                                                       "tfJobUiAllowUnauthenticatedExternalAccess"]
    assert all("true allows nothing here" in w for w in out.warnings)


def _sources(policy: dict[str, Any], port: int) -> list[Any] | None:
    """The 'from' of the rule admitting *port* (None: from anywhere)."""
    (rule,) = [r for r in policy["spec"]["ingress"] if {"port": port, "protocol": "TCP"} in r["ports"]]
    return rule.get("from")


SAME_NAMESPACE = [{"podSelector": {}}]


@pytest.mark.parametrize("params, anywhere", [
    pytest.param({}, False, id="cluster-ip"),
    pytest.param({"jupyterHubServiceType": "LoadBalancer", "jupyterHubAuthenticator": "native",
                  "jupyterHubAdminUsers": ["admin"]}, True, id="load-balancer"),
    pytest.param({"jupyterHubServiceType": "NodePort", "jupyterHubAllowUnauthenticatedExternalAccess": True}, True,
                 id="node-port"),
    pytest.param({"jupyterHubExternalIPs": ["192.0.2.10"], "jupyterHubAuthenticator": "native",
                  "jupyterHubAdminUsers": ["admin"]}, True, id="external-ip"),
    pytest.param({"jupyterHubAuthenticator": "iap", "cloud": "gcp"}, True, id="iap-load-balancer"),
])
def test_hub_front_door_admits_the_namespace_only_unless_exposed(params: dict[str, Any], anywhere: bool) -> None:
    hub = policies(**params)["tf-hub"]
    assert _sources(hub, 8000) == (None if anywhere else SAME_NAMESPACE)
    assert _sources(hub, 8081) == [{"podSelector": {"matchLabels": {"kfgen.io/notebook": "true"}}}]


@pytest.mark.parametrize("service_type", ["ClusterIP", "NodePort", "LoadBalancer"])
def test_ambassador_admits_the_namespace_only_unless_exposed(service_type: str) -> None:
    gateway = policies(tfAmbassadorServiceType=service_type, tfAmbassadorAllowUnauthenticatedExternalAccess=True)
    assert _sources(gateway["ambassador"], 80) == (SAME_NAMESPACE if service_type == "ClusterIP" else None)
    # the dashboard stays reachable from Ambassador only while its own Service is ClusterIP
    assert _sources(gateway["tf-job-dashboard"], 8080) == [{"podSelector": {"matchLabels": {"service": "ambassador"}}}]


def test_kubernetes_dashboard_route_is_on_for_parity_and_can_be_dropped() -> None:
    def k8s_dashboard(**params: Any) -> list[dict[str, Any]]:
        return [o for o in render(**params) if o["metadata"]["name"] == "k8s-dashboard"]

    (svc,) = k8s_dashboard()  # ksonnet's: an annotation carrier whose selector matches no pod here
    assert "kubernetes-dashboard.kube-system" in svc["metadata"]["annotations"]["getambassador.io/config"]
    assert k8s_dashboard(ambassadorKubernetesDashboardRoute=False) == []
    with pytest.raises(KfgenError) as err:
        render(tfAmbassadorServiceType="NodePort", ambassadorKubernetesDashboardRoute=False)
    assert "/k8s/ui/" not in err.value.problems[0].message and "/tfjobs/" in err.value.problems[0].message


@pytest.mark.parametrize("profile", ["cpu-laptop", "gpu-lab"])
def test_shipped_profiles_route_nowhere_dead(profile: str) -> None:
    out = Path(__file__).resolve().parents[1] / "out" / profile
    assert not list(out.glob("*-service-k8s-dashboard.yaml"))
