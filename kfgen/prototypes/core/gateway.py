"""The Ambassador gateway of ``core`` (``ambassador``, ``ambassador-admin``) and the ``k8s-dashboard`` route.

The gateway itself: its Deployment, Services and Role. The routes are annotations on the Services
they lead to, written by the shared :mod:`kfgen.prototypes.ambassador` helper.
"""

from __future__ import annotations

from typing import Any

from kfgen.kube import netpol
from kfgen.kube import objects as k8s
from kfgen.prototypes import ambassador
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams

AMBASSADOR_LABELS = {"service": "ambassador"}
PORT = 80
# The TLS Secrets Ambassador 0.30 reads by name (server certificate; CA for client certificates), if present.
TLS_SECRETS = ("ambassador-certs", "ambassador-cacert")
# What Ambassador 0.30.1 does with the API (its kubewatch.py, the only module that calls it): list the
# namespace's ConfigMaps and read the one named ambassador-config (optional extra config); read the two TLS
# Secrets above by name; list and watch Services (their getambassador.io/config annotations). It creates,
# updates and patches nothing, so its Role has no write verb: a compromised Ambassador cannot rewrite
# jupyterhub-config. (`list` cannot be narrowed by resourceNames; `get` can.)
CONFIG_MAP = "ambassador-config"

# Pod Security Standard exception: Ambassador 0.30.1's image runs as root and its Envoy listens on port 80
# (non-root images with port 8080 came with Ambassador 0.35). So this pod meets 'baseline', not 'restricted':
# root, but with every capability dropped except NET_BIND_SERVICE (to bind port 80), no privilege escalation
# and the runtime's seccomp profile. The statsd sidecar's image also runs as root (no USER); it is in the same
# pod and gets the same treatment without NET_BIND_SERVICE (it listens on UDP 8125).
_AMBASSADOR_ROOT = k8s.security_context(run_as_non_root=False, add_capabilities=["NET_BIND_SERVICE"])
_STATSD_ROOT = k8s.security_context(run_as_non_root=False)


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """Ambassador's objects, and (ambassadorKubernetesDashboardRoute) the Service carrying the /k8s/ui/ route to
    the Kubernetes dashboard."""
    ns = ctx.namespace
    labels = AMBASSADOR_LABELS
    template = k8s.pod_template(labels, [
        k8s.container(
            "ambassador", p.ambassadorImage,
            env=[k8s.env_from_field("AMBASSADOR_NAMESPACE", "metadata.namespace"),
                 k8s.env_var("AMBASSADOR_SINGLE_NAMESPACE", "true")],
            liveness_probe=k8s.http_probe("/ambassador/v0/check_alive", 8877, initial_delay=30, period=30),
            readiness_probe=k8s.http_probe("/ambassador/v0/check_ready", 8877, initial_delay=30, period=30),
            resources=p.ambassadorResources.render(),
            security_context=_AMBASSADOR_ROOT,
        ),
        k8s.container("statsd", p.ambassadorStatsdImage, resources=p.ambassadorStatsdResources.render(),
                      security_context=_STATSD_ROOT),
    ], service_account="ambassador", restart_policy="Always")
    dashboard_tls = p.cloud not in ("aks", "acsengine")
    k8s_dashboard = ambassador.mapping("k8s-dashboard-ui-mapping", "/k8s/ui/", "kubernetes-dashboard.kube-system",
                                       rewrite="/", tls=dashboard_tls)
    return [
        k8s.service("ambassador", ns, labels=labels, type=p.tfAmbassadorServiceType, selector=labels,
                    ports=[k8s.port(PORT, PORT, name="ambassador")]),
        k8s.service("ambassador-admin", ns, labels={"service": "ambassador-admin"}, selector=labels,
                    ports=[k8s.port(8877, 8877, name="ambassador-admin")]),
        k8s.role("ambassador", namespace=ns, rules=[
            k8s.rule([""], ["services"], ["list", "watch"]),
            k8s.rule([""], ["configmaps"], ["list"]),
            k8s.rule([""], ["configmaps"], ["get"], resource_names=[CONFIG_MAP]),
            # not every Secret of the namespace: only the TLS Secrets it looks up by name
            k8s.rule([""], ["secrets"], ["get"], resource_names=TLS_SECRETS),
        ]),
        k8s.service_account("ambassador", ns),
        k8s.binding("ambassador", "ambassador", [k8s.sa_subject("ambassador", ns)], namespace=ns),
        k8s.deployment("ambassador", ns, template=template, replicas=p.ambassadorReplicas),
        # ksonnet's route to the Kubernetes dashboard in kube-system: this Service only carries the annotation
        # (its selector, ksonnet's, matches no pod here); ambassadorKubernetesDashboardRoute: false drops it
        *([k8s.service("k8s-dashboard", ns, annotations=ambassador.annotations(k8s_dashboard),
                       ports=[k8s.port(443, 8443)], selector={"k8s-app": "kubernetes-dashboard"})]
          if p.ambassadorKubernetesDashboardRoute else []),
        # the gateway: from anywhere only when its Service is exposed (which needs the opt-in param), else
        # from the pods of the namespace (kubectl port-forward is not subject to NetworkPolicies)
        *([netpol.policy("ambassador", ns, labels, [netpol.allow(
            [PORT], None if p.tfAmbassadorServiceType != "ClusterIP" else [netpol.pods()])])]
          if p.networkPolicies else []),
    ]
