"""The Ambassador gateway of ``core`` (``ambassador``, ``ambassador-admin``) and the ``k8s-dashboard`` route.

The gateway itself: its Deployment, Services and Role. The routes are annotations on the Services
they lead to, written by the shared :mod:`kfgen.prototypes.ambassador` helper.
"""

from __future__ import annotations

from typing import Any

from kfgen.kube import objects as k8s
from kfgen.prototypes import ambassador
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """Ambassador's objects, and the Service carrying the /k8s/ui/ route to the Kubernetes dashboard."""
    ns = ctx.namespace
    labels = {"service": "ambassador"}
    template = k8s.pod_template(labels, [
        k8s.container(
            "ambassador", p.ambassadorImage,
            env=[k8s.env_from_field("AMBASSADOR_NAMESPACE", "metadata.namespace"),
                 k8s.env_var("AMBASSADOR_SINGLE_NAMESPACE", "true")],
            liveness_probe=k8s.http_probe("/ambassador/v0/check_alive", 8877, initial_delay=30, period=30),
            readiness_probe=k8s.http_probe("/ambassador/v0/check_ready", 8877, initial_delay=30, period=30),
            resources=k8s.resources(limits={"cpu": "1", "memory": "400Mi"},
                                    requests={"cpu": "200m", "memory": "100Mi"}),
        ),
        k8s.container("statsd", p.ambassadorStatsdImage),
    ], service_account="ambassador", restart_policy="Always")
    dashboard_tls = p.cloud not in ("aks", "acsengine")
    k8s_dashboard = ambassador.mapping("k8s-dashboard-ui-mapping", "/k8s/ui/", "kubernetes-dashboard.kube-system",
                                       rewrite="/", tls=dashboard_tls)
    return [
        k8s.service("ambassador", ns, labels=labels, type=p.tfAmbassadorServiceType, selector=labels,
                    ports=[k8s.port(80, 80, name="ambassador")]),
        k8s.service("ambassador-admin", ns, labels={"service": "ambassador-admin"}, selector=labels,
                    ports=[k8s.port(8877, 8877, name="ambassador-admin")]),
        k8s.role("ambassador", namespace=ns, rules=[
            k8s.rule([""], ["services"], ["get", "list", "watch"]),
            k8s.rule([""], ["configmaps"], ["create", "update", "patch", "get", "list", "watch"]),
            k8s.rule([""], ["secrets"], ["get", "list", "watch"]),
        ]),
        k8s.service_account("ambassador", ns),
        k8s.binding("ambassador", "ambassador", [k8s.sa_subject("ambassador", ns)], namespace=ns),
        k8s.deployment("ambassador", ns, template=template, replicas=p.ambassadorReplicas),
        k8s.service("k8s-dashboard", ns, annotations=ambassador.annotations(k8s_dashboard),
                    ports=[k8s.port(443, 8443)], selector={"k8s-app": "kubernetes-dashboard"}),
    ]
