"""The TFJob dashboard of ``core``: ``tf-job-dashboard`` with read-only RBAC, routed at ``/tfjobs/``."""

from __future__ import annotations

from typing import Any

from kfgen.kube import objects as k8s
from kfgen.prototypes import ambassador
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.operator import rbac_scope
from kfgen.prototypes.core.params import CoreParams

DASHBOARD = "tf-job-dashboard"


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
        ports=[k8s.container_port(8080)],
    )], service_account=DASHBOARD)
    route = ambassador.mapping("tfjobs-ui-mapping", "/tfjobs/", f"{DASHBOARD}.{ns}", rewrite="/tfjobs/")
    return [
        k8s.role(DASHBOARD, rules, namespace=scope, labels=app),
        k8s.binding(DASHBOARD, DASHBOARD, [k8s.sa_subject(DASHBOARD, ns)], namespace=scope, labels=app),
        k8s.service(DASHBOARD, ns, annotations=ambassador.annotations(route), type=p.tfJobUiServiceType,
                    ports=[k8s.port(80, 8080)], selector=pod_labels),
        k8s.service_account(DASHBOARD, ns, labels=app),
        k8s.deployment(DASHBOARD, ns, template=template, replicas=1),
    ]
