"""The TFJob dashboard of ``core``: ``tf-job-dashboard`` with read-only RBAC, routed at ``/tfjobs/``."""

from __future__ import annotations

from typing import Any

from kfgen.kube import netpol
from kfgen.kube import objects as k8s
from kfgen.prototypes import ambassador
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.gateway import AMBASSADOR_LABELS
from kfgen.prototypes.core.operator import rbac_scope
from kfgen.prototypes.core.params import CoreParams

DASHBOARD = "tf-job-dashboard"
PORT = 8080


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """The TFJob dashboard's objects, with its Ambassador route at /tfjobs/."""
    ns = ctx.namespace
    pod_labels = {"name": DASHBOARD}
    app = {"app": DASHBOARD}
    scope = rbac_scope(ns, p.tfJobNamespaced)
    rules = [
        k8s.rule(["kubeflow.org"], ["tfjobs"], ["get", "list", "watch"]),
        k8s.rule([""], ["pods", "services", "events"], ["get", "list", "watch"]),
        k8s.rule([""], ["pods/log"], ["get"]),
    ]
    if not p.tfJobNamespaced:
        rules.append(k8s.rule([""], ["namespaces"], ["get", "list"]))  # its namespace picker
    env = [k8s.env_from_field("KUBEFLOW_NAMESPACE", "metadata.namespace")] if p.tfJobNamespaced else []
    template = k8s.pod_template(pod_labels, [k8s.container(
        DASHBOARD, p.tfJobDashboardImage, command=["/opt/tensorflow_k8s/dashboard/backend"], env=env,
        ports=[k8s.container_port(PORT)],
        readiness_probe={"tcpSocket": {"port": PORT}, "initialDelaySeconds": 5, "periodSeconds": 10},
        # the image sets no user (root): its server only reads its files and listens on 8080, so it runs as nobody
        security_context=k8s.security_context(run_as_user=65534, run_as_group=65534),
        resources=p.tfJobDashboardResources.render(),
    )], service_account=DASHBOARD)
    route = ambassador.mapping("tfjobs-ui-mapping", "/tfjobs/", f"{DASHBOARD}.{ns}", rewrite="/tfjobs/")
    return [
        k8s.role(DASHBOARD, rules, namespace=scope, labels=app),
        k8s.binding(DASHBOARD, DASHBOARD, [k8s.sa_subject(DASHBOARD, ns)], namespace=scope, labels=app),
        k8s.service(DASHBOARD, ns, annotations=ambassador.annotations(route), type=p.tfJobUiServiceType,
                    ports=[k8s.port(80, PORT)], selector=pod_labels),
        k8s.service_account(DASHBOARD, ns, labels=app),
        k8s.deployment(DASHBOARD, ns, template=template, replicas=1),
        *([_network_policy(ns, pod_labels, p)] if p.networkPolicies else []),
    ]


def _network_policy(ns: str, pod_labels: dict[str, str], p: CoreParams) -> dict[str, Any]:
    """Ambassador reaches the dashboard (route /tfjobs/); so does everyone when its Service is exposed."""
    exposed = p.tfJobUiServiceType != "ClusterIP"
    return netpol.policy(DASHBOARD, ns, pod_labels, [netpol.allow([PORT], None if exposed else
                                                                  [netpol.pods(AMBASSADOR_LABELS)])])
