"""tf-serving: a TensorFlow Serving model server, as a Service and an ``apps/v1`` Deployment.

Replaces ksonnet's ``io.ksonnet.pkg.tf-serving`` (kubeflow v0.1.0): Service ``<name>`` with the gRPC
port ``tf-serving`` 9000 and Deployment ``<name>`` running ``tensorflow_model_server --port=9000
--model_name=<modelName> --model_base_path=<modelPath>`` as uid/gid 1000, ``app: <name>`` labels.

Decisions, and what changed from ksonnet:

* Image: today's ``tensorflow/serving`` (pinned; the ``-gpu`` variant when ``numGpus`` > 0, unless
  ``modelServerImage`` is set). That image has an entrypoint script, so the server binary is the
  container's ``command`` and the flags are its ``args``.
* HTTP: only when ``deployHttpProxy`` is a real ``true``, the Service gets ``tf-serving-proxy`` 8000
  and the Ambassador GET/POST mappings under ``/models/<modelName>/``. ksonnet put them on every
  Service, pointing at a port nothing listened on unless the proxy was deployed. What listens on
  8000: by default the model server's own REST API (``--rest_api_port=8000``; the mappings rewrite
  to ``/v1/models/<modelName>`` and ``/v1/models/<modelName>:predict``). Kubeflow's separate gRPC->REST
  proxy image (2018, not maintained) runs only when ``httpProxyImage`` names one: then ksonnet's
  ``<name>-http-proxy`` container and rewrites (``/`` and ``/model/<modelName>:predict``) are used.
* S3 (``s3Enable``): credentials only as ``valueFrom.secretKeyRef`` of ``s3SecretName``, the other
  settings as plain env; ``s3UseHttps`` / ``s3VerifySsl`` are booleans rendered as ``1``/``0``
  (TensorFlow treats any value not starting with ``0``, e.g. the string ``false``, as on).
  ``tensorflow/serving`` images since 2.7 have no ``s3://`` file system (tensorflow/serving#1963): a
  warning says so unless ``modelServerImage`` is set.
* GCP (``cloud: gcp``): mounts secret ``gcpCredentialSecretName`` at ``/secret/gcp-credentials`` and
  points ``GOOGLE_APPLICATION_CREDENTIALS`` at its key. kfgen references secrets, never writes them.
* Neither S3 nor GCP adds the HTTP proxy (ksonnet did, comparing a string with a number).
* GPUs (``numGpus`` > 0): the ``nvidia.com/gpu`` limit and, unless ``tolerations`` is given, the toleration of
  the ``nvidia.com/gpu`` NoSchedule taint GPU nodes carry (as tf-job's replicas and the notebooks);
  ``nodeSelector`` and ``tolerations`` place the pods. ``tolerations`` given without one of that taint warns
  (the pods would stay Pending on tainted GPU nodes); ``[]`` says the GPU nodes carry no taint, no warning.
* A readiness probe (TCP 9000: the server opens its gRPC port once the model is loaded).
* Pod Security Standard ``restricted`` (uid 1000, every capability dropped, seccomp RuntimeDefault), CPU
  and memory requests and limits on every container, and no service-account token (the server never
  calls the Kubernetes API).
* ``networkPolicies`` (default on): NetworkPolicy ``<name>`` lets the pods of the namespace (Ambassador,
  notebooks) reach the serving ports; everyone when ``serviceType`` exposes the Service outside the cluster.
* TF Serving authenticates nobody: ``serviceType`` NodePort or LoadBalancer lets anyone who reaches the Service
  query the model. That is a render error unless ``allowUnauthenticatedExternalAccess: true`` accepts the risk
  (then the render warns), as core's Ambassador and TFJob dashboard (:mod:`kfgen.prototypes.core.exposure`).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from kfgen.errors import KfgenError, Problem
from kfgen.kube import netpol
from kfgen.kube import objects as k8s
from kfgen.kube.constants import GPU_RESOURCE
from kfgen.prototypes import ambassador
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered, ServiceType
from kfgen.prototypes.params import (
    DEFAULT_MAP,
    DNS_SUBDOMAIN,
    GPU_TOLERATION,
    IMAGE,
    INT32_MAX,
    LabelKey,
    ResourceMap,
    Resources,
    Toleration,
    described,
    refused_at,
    untolerated_gpu_taint,
    unused_opt_in,
)

SERVING_VERSION = "2.18.0"
DEFAULT_IMAGE = f"tensorflow/serving:{SERVING_VERSION}"
DEFAULT_IMAGE_GPU = f"tensorflow/serving:{SERVING_VERSION}-gpu"
SERVER_BINARY = "/usr/bin/tensorflow_model_server"
GRPC_PORT = 9000
HTTP_PORT = 8000
GCP_CREDENTIALS_DIR = "/secret/gcp-credentials"
UID = 1000

MODEL_NAME = described(r"^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$",
                       "a model name: letters, digits, '-', '_' and '.', starting and ending with a letter or digit",
                       short="a model name")
SECRET_KEY = described(r"^[-._a-zA-Z0-9]+$", "a key of a Secret: letters, digits, '-', '_' and '.'",
                       short="a Secret key")
NO_SPACE = described(r"^[^\s]+$", "text without spaces", short="a string without spaces")
REGION = described(r"^[a-z0-9-]+$", "a region such as us-west-1 (lower-case letters, digits and '-')",
                   short="a region")
_S3_SETTINGS = ("s3SecretName", "s3SecretAccesskeyidKeyName", "s3SecretSecretaccesskeyKeyName",
                "s3AwsRegion", "s3UseHttps", "s3VerifySsl", "s3Endpoint")


# the defaults of ServingResources (copied per instance: see kfgen.prototypes.params.DEFAULT_MAP)
_REQUESTS, _LIMITS = {"cpu": "1", "memory": "1Gi"}, {"cpu": "4", "memory": "4Gi"}


class ServingResources(Resources):
    """Resources of the model server container (ksonnet's defaults: 1 CPU / 1Gi requested,
    4 CPUs / 4Gi limit). Setting requests or limits replaces that whole map."""

    requests: ResourceMap = Field(
        default_factory=lambda: dict(_REQUESTS), json_schema_extra={"default": _REQUESTS},
        description="Minimum resources of the model server.")
    limits: ResourceMap = Field(
        default_factory=lambda: dict(_LIMITS), json_schema_extra={"default": _LIMITS},
        description="Maximum resources of the model server.")

    @model_validator(mode="after")
    def _complete(self) -> ServingResources:
        missing = [f"{part}.{name}" for part, values in (("requests", self.requests), ("limits", self.limits))
                   for name in ("cpu", "memory") if name not in values]
        if missing:
            raise ValueError(f"every container has CPU and memory requests and limits: set {', '.join(missing)}")
        return self


class TfServingParams(Params):
    """Parameters of tf-serving (ksonnet's io.ksonnet.pkg.tf-serving)."""

    modelPath: str = Field(
        ..., pattern=NO_SPACE, description="Base path of the SavedModel versions (--model_base_path): "
        "gs://..., s3://... or a path in the container.")
    modelName: str | None = Field(
        None, pattern=MODEL_NAME, description="Name the model is served under (--model_name); default: the "
        "instance name.")
    numGpus: int = Field(
        0, ge=0, le=INT32_MAX, description=f"{GPU_RESOURCE} limit of the model server; > 0 selects the GPU image.")
    replicas: int = Field(1, ge=0, le=INT32_MAX, description="Model server replicas.")
    nodeSelector: dict[LabelKey, str] = Field(
        default_factory=dict, json_schema_extra=DEFAULT_MAP,
        description="Node labels the model server pods must match.")
    tolerations: list[Toleration] | None = Field(
        None, description=f"Tolerations of the model server pods. Unset: with numGpus > 0 they tolerate the "
                          f"{GPU_RESOURCE} NoSchedule taint (GPU nodes carry it); [] : none (say so when your GPU "
                          f"nodes are not tainted). A list without a toleration of {GPU_RESOURCE} while numGpus > 0 "
                          "renders with a warning.")
    serviceType: ServiceType = Field(
        "ClusterIP", description="Type of the Service. NodePort or LoadBalancer (reachable from outside the cluster) "
        "needs allowUnauthenticatedExternalAccess: TF Serving authenticates nobody.")
    allowUnauthenticatedExternalAccess: bool = Field(
        False, description="Allow serviceType NodePort or LoadBalancer. TF Serving authenticates nobody: anyone who "
        "reaches the Service queries the model (gRPC 9000, and HTTP 8000 with deployHttpProxy) and reads its "
        "metadata. Without it an exposed model server is refused; only for an isolated network you fully control.")
    resources: ServingResources = Field(
        default_factory=ServingResources, description="Model server requests/limits (default 1 CPU/1Gi requested, "
        "4/4Gi limit); GPUs come from numGpus.")
    modelServerImage: str | None = Field(
        None, pattern=IMAGE, description=f"Model server image; default {DEFAULT_IMAGE} ({DEFAULT_IMAGE_GPU} when "
        "numGpus > 0).")
    deployHttpProxy: bool = Field(
        False, description="Serve HTTP on Service port 8000 (tf-serving-proxy) with Ambassador routes under "
        "/models/<modelName>/.")
    httpProxyImage: str | None = Field(
        None, pattern=IMAGE, description="Run Kubeflow's separate gRPC->REST proxy container from this image; "
        "unset: the model server's own REST API answers on 8000. Needs deployHttpProxy.")
    s3Enable: bool = Field(False, description="Read the model from S3 with credentials from a secret.")
    s3SecretName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, description="Secret holding the S3 credentials (required with s3Enable).")
    s3SecretAccesskeyidKeyName: str = Field(
        "AWS_ACCESS_KEY_ID", pattern=SECRET_KEY, description="Key of the access key id in s3SecretName.")
    s3SecretSecretaccesskeyKeyName: str = Field(
        "AWS_SECRET_ACCESS_KEY", pattern=SECRET_KEY, description="Key of the secret access key in s3SecretName.")
    s3AwsRegion: str = Field("us-west-1", pattern=REGION, description="S3 region (AWS_REGION, S3_REGION).")
    s3UseHttps: bool = Field(True, description="Use HTTPS for S3 (S3_USE_HTTPS).")
    s3VerifySsl: bool = Field(True, description="Verify S3 TLS certificates (S3_VERIFY_SSL).")
    s3Endpoint: str | None = Field(
        None, pattern=NO_SPACE, description="S3-compatible endpoint (S3_ENDPOINT), e.g. minio.minio:9000; unset: "
        "AWS's for the region.")
    cloud: Literal["gcp"] | None = Field(
        None, description="gcp: mount the service-account key secret gcpCredentialSecretName.")
    gcpCredentialSecretName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, description="Secret with a GCP service-account key (required with cloud: gcp).")
    gcpCredentialSecretKeyName: str = Field(
        "key.json", pattern=SECRET_KEY, description="Key of the JSON key file in gcpCredentialSecretName.")
    networkPolicies: bool = Field(
        True, description="Render NetworkPolicy '<name>': the pods of this namespace (Ambassador, notebooks) may "
        "reach the serving ports, and everyone when serviceType is NodePort or LoadBalancer. Keep it on when core's "
        "networkPolicies (a default deny for the namespace) is on, or nothing can reach the server.")

    @model_validator(mode="after")
    def _consistent(self) -> TfServingParams:
        if self.s3Enable and self.s3SecretName is None:
            raise ValueError("s3Enable needs s3SecretName: the secret holding the S3 credentials")
        if not self.s3Enable:
            stray = [f for f in _S3_SETTINGS if f in self.model_fields_set]
            if stray:
                raise ValueError(f"{', '.join(stray)} only apply with s3Enable: true")
        if self.cloud == "gcp" and self.gcpCredentialSecretName is None:
            raise ValueError("cloud: gcp mounts a credentials secret: set gcpCredentialSecretName "
                             "(with Workload Identity no key is needed: leave cloud unset)")
        if self.cloud != "gcp":
            stray = [f for f in ("gcpCredentialSecretName", "gcpCredentialSecretKeyName") if f in self.model_fields_set]
            if stray:
                raise ValueError(f"{', '.join(stray)} only apply with cloud: gcp")
        if self.httpProxyImage is not None and not self.deployHttpProxy:
            raise refused_at(("httpProxyImage",), "httpProxyImage only applies with deployHttpProxy: true",
                             found=self.httpProxyImage, expected="no httpProxyImage while deployHttpProxy is false",
                             hint="set deployHttpProxy: true to serve HTTP on port 8000 through this proxy image, "
                                  "or remove httpProxyImage")
        if GPU_RESOURCE in self.resources.limits:
            raise ValueError(f"resources.limits.{GPU_RESOURCE}: set GPUs with numGpus")
        return self


def _secret_env(name: str, secret: str, key: str) -> dict[str, Any]:
    """An environment variable read from a Secret's key (kfgen never holds the value)."""
    return {"name": name, "valueFrom": {"secretKeyRef": {"name": secret, "key": key}}}


def _env(p: TfServingParams) -> list[dict[str, Any]]:
    env: list[dict[str, Any]] = []
    if p.s3Enable:
        assert p.s3SecretName is not None  # the validator saw to it
        env += [_secret_env("AWS_ACCESS_KEY_ID", p.s3SecretName, p.s3SecretAccesskeyidKeyName),
                _secret_env("AWS_SECRET_ACCESS_KEY", p.s3SecretName, p.s3SecretSecretaccesskeyKeyName),
                k8s.env_var("AWS_REGION", p.s3AwsRegion),
                k8s.env_var("S3_REGION", p.s3AwsRegion),
                k8s.env_var("S3_USE_HTTPS", "1" if p.s3UseHttps else "0"),
                k8s.env_var("S3_VERIFY_SSL", "1" if p.s3VerifySsl else "0")]
        if p.s3Endpoint is not None:
            env.append(k8s.env_var("S3_ENDPOINT", p.s3Endpoint))
    if p.cloud == "gcp":
        env.append(k8s.env_var("GOOGLE_APPLICATION_CREDENTIALS",
                               f"{GCP_CREDENTIALS_DIR}/{p.gcpCredentialSecretKeyName}"))
    return env


def _mappings(ctx: RenderContext, model: str, native: bool) -> dict[str, str]:
    """Ambassador routes for GET and POST under /models/<model>/ to the Service's HTTP port."""
    rewrites = ({"get": f"/v1/models/{model}", "post": f"/v1/models/{model}:predict"} if native
                else {"get": "/", "post": f"/model/{model}:predict"})
    return ambassador.annotations(*(
        ambassador.mapping(f"tfserving-mapping-{ctx.instance}-{method}", f"/models/{model}/",
                           f"{ctx.instance}.{ctx.namespace}:{HTTP_PORT}",
                           rewrite=rewrites[method], method=method.upper())
        for method in ("get", "post")))


def _exposure(ctx: RenderContext, p: TfServingParams, model: str) -> list[str]:
    """Refuse a Service reachable from outside the cluster without the opt-in; the warning when it is set."""
    if p.serviceType == "ClusterIP":
        return [unused_opt_in("allowUnauthenticatedExternalAccess", "serviceType is ClusterIP: the Service is not "
                              "reachable from outside the cluster")] if p.allowUnauthenticatedExternalAccess else []
    ports = f"gRPC {GRPC_PORT}" + (f" and HTTP {HTTP_PORT}" if p.deployHttpProxy else "")
    what = (f"Service {ctx.instance} is reachable from outside the cluster (serviceType: {p.serviceType}) and TF "
            f"Serving authenticates nobody: anyone who reaches it queries model {model} ({ports}) and reads its "
            "metadata")
    if not p.allowUnauthenticatedExternalAccess:
        raise KfgenError(Problem(
            what, path=("components", ctx.instance, "params", "serviceType"), found=p.serviceType,
            expected="ClusterIP (reach it from the cluster, or with kubectl port-forward)",
            hint=f"keep serviceType: ClusterIP and use `kubectl -n {ctx.namespace} port-forward svc/{ctx.instance} "
                 f"{GRPC_PORT}:{GRPC_PORT}` (or route it through an authenticating gateway); "
                 "allowUnauthenticatedExternalAccess: true accepts the risk"))
    return [f"Service {ctx.instance} is exposed outside the cluster (serviceType: {p.serviceType}) without "
            f"authentication (allowUnauthenticatedExternalAccess: true): anyone who reaches it queries model {model} "
            f"({ports})"]


def render(ctx: RenderContext, p: TfServingParams) -> Rendered:
    name = ctx.instance
    model = p.modelName or name
    exposed = _exposure(ctx, p, model)
    labels = {"app": name}
    native_http = p.deployHttpProxy and p.httpProxyImage is None
    gcp = p.cloud == "gcp"

    args = [f"--port={GRPC_PORT}"]
    if native_http:
        args.append(f"--rest_api_port={HTTP_PORT}")
    args += [f"--model_name={model}", f"--model_base_path={p.modelPath}"]
    containers = [k8s.container(
        name, p.modelServerImage or (DEFAULT_IMAGE_GPU if p.numGpus else DEFAULT_IMAGE),
        command=[SERVER_BINARY], args=args, env=_env(p),
        ports=[k8s.container_port(GRPC_PORT)] + ([k8s.container_port(HTTP_PORT)] if native_http else []),
        volume_mounts=[k8s.volume_mount("gcp-credentials", GCP_CREDENTIALS_DIR, read_only=True)] if gcp else [],
        resources=p.resources.render(p.numGpus),
        readiness_probe={"tcpSocket": {"port": GRPC_PORT}, "initialDelaySeconds": 5, "periodSeconds": 10})]
    if p.deployHttpProxy and p.httpProxyImage is not None:
        containers.append(k8s.container(
            f"{name}-http-proxy", p.httpProxyImage,
            command=["python", "/usr/src/app/server.py", f"--port={HTTP_PORT}",
                     f"--rpc_port={GRPC_PORT}", "--rpc_timeout=10.0"],
            ports=[k8s.container_port(HTTP_PORT)],
            resources=k8s.resources(requests={"cpu": "500m", "memory": "500Mi"}, limits={"cpu": "1", "memory": "1Gi"})))
    for c in containers:
        c["imagePullPolicy"] = "IfNotPresent"
    volumes = ([k8s.secret_volume("gcp-credentials", p.gcpCredentialSecretName)]
               if gcp and p.gcpCredentialSecretName else [])
    template = k8s.pod_template(labels, containers, volumes=volumes, automount_service_account_token=False,
                                pod_security_context={"fsGroup": UID, "runAsUser": UID})
    if p.nodeSelector:
        template["spec"]["nodeSelector"] = dict(sorted(p.nodeSelector.items()))
    tolerations = p.tolerations if p.tolerations is not None else [GPU_TOLERATION] if p.numGpus else []
    if tolerations:
        template["spec"]["tolerations"] = [t.render() for t in tolerations]

    ports = [k8s.port(GRPC_PORT, GRPC_PORT, name="tf-serving")]
    if p.deployHttpProxy:
        ports.append(k8s.port(HTTP_PORT, HTTP_PORT, name="tf-serving-proxy"))
    service = k8s.service(name, ctx.namespace, ports=ports, selector=labels, type=p.serviceType, labels=labels,
                          annotations=_mappings(ctx, model, native_http) if p.deployHttpProxy else None)
    deployment = k8s.deployment(name, ctx.namespace, template=template, replicas=p.replicas, labels=labels)
    objects = [service, deployment]
    if p.networkPolicies:
        peers = None if p.serviceType != "ClusterIP" else [netpol.pods()]
        objects.append(netpol.policy(name, ctx.namespace, labels, [netpol.allow([int(q["targetPort"]) for q in ports],
                                                                                peers)], labels=labels))

    warnings = exposed
    if p.numGpus:
        warnings += untolerated_gpu_taint("tolerations", p.tolerations, GPU_RESOURCE, f"numGpus is {p.numGpus}")
    if (p.s3Enable or p.modelPath.startswith("s3://")) and p.modelServerImage is None:
        warnings.append("tensorflow/serving images since 2.7 cannot read s3:// paths "
                        "(tensorflow/serving#1963); set modelServerImage to a build with S3 support")
    if p.modelPath.startswith("s3://") and not p.s3Enable:
        warnings.append("modelPath is on S3 but s3Enable is false: no S3 credentials or region are configured")
    return Rendered(objects, warnings)


PROTOTYPE = Prototype(
    name="tf-serving",
    summary="A TensorFlow Serving model server: Service (gRPC 9000, optional HTTP 8000) and Deployment.",
    params=TfServingParams,
    render=render,
    ksonnet="io.ksonnet.pkg.tf-serving",
)
