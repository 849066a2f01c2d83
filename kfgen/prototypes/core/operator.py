"""The TFJob operator of ``core`` (kubeflow/training-operator, limited to TFJob).

Deployment, ServiceAccount and RBAC ``tf-job-operator``, the ``tfjobs.kubeflow.org`` CRD (from
:func:`kfgen.kube.tfjob.tfjob_crd`), and the webhook plumbing training-operator v1.9 cannot start
without: Service ``tf-job-operator``, the (initially empty) Secret ``tf-job-operator-webhook-cert`` it
writes its self-signed certificate to, and the ValidatingWebhookConfiguration
``validator.training-operator.kubeflow.org`` (name fixed by the binary) it injects the CA into.
"""

from __future__ import annotations

from typing import Any

from kfgen.kube import netpol
from kfgen.kube import objects as k8s
from kfgen.kube.tfjob import tfjob_crd
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams

# fixed names (ksonnet's, plus the ones training-operator v1.9 needs)
OPERATOR = "tf-job-operator"
OPERATOR_WEBHOOK = "tf-job-operator-webhook"  # RBAC for the webhook plumbing (the other scope)
OPERATOR_CERT_SECRET = "tf-job-operator-webhook-cert"
WEBHOOK_CONFIGURATION = "validator.training-operator.kubeflow.org"  # hard-coded in training-operator v1.9
WEBHOOK_PORT = 9443


def rbac_scope(ns: str, namespaced: bool) -> str | None:
    """Namespace for a Role/RoleBinding, or None (ClusterRole/ClusterRoleBinding)."""
    return ns if namespaced else None


def _operator_workload_rules() -> list[dict[str, Any]]:
    """What training-operator v1.9 does for TFJobs (its role.yaml, restricted to TFJob): reconcile TFJobs
    (and delete them after ttlSecondsAfterFinished), run their pods and services, record events, and
    manage PodGroups when a gang scheduler (volcano / scheduler-plugins) is installed."""
    return [
        k8s.rule(["kubeflow.org"], ["tfjobs"], ["get", "list", "watch", "update", "patch", "delete"]),
        k8s.rule(["kubeflow.org"], ["tfjobs/status"], ["get", "update", "patch"]),
        k8s.rule(["kubeflow.org"], ["tfjobs/finalizers"], ["update"]),
        k8s.rule([""], ["pods"], ["get", "list", "watch", "create", "update", "patch", "delete"]),
        k8s.rule([""], ["services"], ["get", "list", "watch", "create", "delete"]),
        k8s.rule([""], ["events"], ["create", "update", "patch"]),
        # no podgroups: the operator only manages PodGroups when started with --gang-scheduler-name
    ]


def _operator_secret_rules() -> list[dict[str, Any]]:
    """Its certificate rotator's Secret, in its own namespace (read through a namespace cache, written by name)."""
    return [
        # list/watch cannot be limited to one name: the rotator (open-policy-agent/cert-controller) reads its
        # Secret through controller-runtime's cache, which lists and watches every Secret of the namespace. The
        # operator truly needs it; keep other Secrets out of its namespace (or run it with tfJobNamespaced).
        k8s.rule([""], ["secrets"], ["get", "list", "watch"]),
        k8s.rule([""], ["secrets"], ["update"], resource_names=[OPERATOR_CERT_SECRET]),
    ]


def _operator_webhook_rules() -> list[dict[str, Any]]:
    """The cluster-scoped ValidatingWebhookConfiguration its certificate rotator injects the CA into."""
    return [
        k8s.rule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations"], ["get", "list", "watch"]),
        k8s.rule(["admissionregistration.k8s.io"], ["validatingwebhookconfigurations"], ["update"],
                 resource_names=[WEBHOOK_CONFIGURATION]),
    ]


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """The TFJob operator's objects, in ksonnet's order (none without tfJobOperator)."""
    if not p.tfJobOperator:
        return []
    ns = ctx.namespace
    app = {"app": OPERATOR}
    pod_labels = {"name": OPERATOR}
    sa = [k8s.sa_subject(OPERATOR, ns)]
    args = ["--enable-scheme=tfjob", f"--webhook-service-name={OPERATOR}",
            f"--webhook-secret-name={OPERATOR_CERT_SECRET}"]
    if p.tfJobNamespaced:
        args.append("--namespace=$(MY_POD_NAMESPACE)")
    template = k8s.pod_template(pod_labels, [k8s.container(
        OPERATOR, p.tfJobImage,
        command=["/manager"], args=args,
        env=[k8s.env_from_field("MY_POD_NAMESPACE", "metadata.namespace"),
             k8s.env_from_field("MY_POD_NAME", "metadata.name")],
        ports=[k8s.container_port(8080, name="metrics"), k8s.container_port(8081, name="probes"),
               k8s.container_port(WEBHOOK_PORT, name="webhook-server", protocol="TCP")],
        volume_mounts=[k8s.volume_mount("cert", "/tmp/k8s-webhook-server/serving-certs", read_only=True)],
        liveness_probe=k8s.http_probe("/healthz", 8081, initial_delay=15, period=20, timeout=3),
        readiness_probe=k8s.http_probe("/readyz", 8081, initial_delay=10, period=15, timeout=3),
        security_context=k8s.security_context(run_as_user=65532, run_as_group=65532,  # distroless nonroot
                                              read_only_root_filesystem=True),
        resources=p.tfJobOperatorResources.render(),
    )], volumes=[k8s.secret_volume("cert", OPERATOR_CERT_SECRET)], service_account=OPERATOR)

    if p.tfJobNamespaced:  # webhook plumbing: the Secret goes with the Role, the cluster-scoped part apart
        main_rules = _operator_workload_rules() + _operator_secret_rules()
        other_rules = _operator_webhook_rules()
    else:
        main_rules = _operator_workload_rules() + _operator_webhook_rules()
        other_rules = _operator_secret_rules()
    other_scope = None if p.tfJobNamespaced else ns
    webhook: dict[str, Any] = {
        "name": "validator.tfjob.training-operator.kubeflow.org",
        "admissionReviewVersions": ["v1"],
        "clientConfig": {"service": {"name": OPERATOR, "namespace": ns, "port": 443,
                                     "path": "/validate-kubeflow-org-v1-tfjob"}},
        "failurePolicy": p.tfJobWebhookFailurePolicy,
        "sideEffects": "None",
        "rules": [{"apiGroups": ["kubeflow.org"], "apiVersions": ["v1"], "operations": ["CREATE", "UPDATE"],
                   "resources": ["tfjobs"], "scope": "Namespaced"}],
    }
    if p.tfJobNamespaced:
        webhook["namespaceSelector"] = {"matchLabels": {"kubernetes.io/metadata.name": ns}}
    return [
        k8s.deployment(OPERATOR, ns, template=template, replicas=1),
        k8s.service_account(OPERATOR, ns, labels=app),
        k8s.role(OPERATOR, main_rules, namespace=rbac_scope(ns, p.tfJobNamespaced), labels=app),
        k8s.binding(OPERATOR, OPERATOR, sa, namespace=rbac_scope(ns, p.tfJobNamespaced), labels=app),
        k8s.role(OPERATOR_WEBHOOK, other_rules, namespace=other_scope, labels=app),
        k8s.binding(OPERATOR_WEBHOOK, OPERATOR_WEBHOOK, sa, namespace=other_scope, labels=app),
        tfjob_crd(),
        k8s.service(OPERATOR, ns, labels=app, selector=pod_labels, ports=[
            k8s.port(8080, 8080, name="monitoring-port"),
            k8s.port(443, WEBHOOK_PORT, name="webhook-server", protocol="TCP"),
        ]),
        *(network_policies(ctx) if p.networkPolicies else []),
        # Created empty; the operator writes its self-signed CA and serving certificate into it.
        k8s.obj("v1", "Secret", OPERATOR_CERT_SECRET, ns, labels=app, type="Opaque"),
        k8s.obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", WEBHOOK_CONFIGURATION,
                labels=app, webhooks=[webhook]),
    ]


def network_policies(ctx: RenderContext) -> list[dict[str, Any]]:
    """The API server calls the operator's validating webhook. It is not a pod (a policy cannot select
    it), and its address depends on the cluster: the webhook port is open to every source; the
    webhook serves TLS only and only validates TFJobs. Metrics (8080) stay closed."""
    return [netpol.policy(OPERATOR, ctx.namespace, {"name": OPERATOR}, [netpol.allow([WEBHOOK_PORT])])]
