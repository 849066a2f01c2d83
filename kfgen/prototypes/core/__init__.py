"""The ``core`` prototype: ksonnet's ``io.ksonnet.pkg.kubeflow-core``, rendered for current Kubernetes.

What it renders (same object names, ports, selectors and container names as ksonnet's core):

* JupyterHub: ConfigMap ``jupyterhub-config`` (a ``jupyterhub_config.py`` driven by the params),
  headless Service ``tf-hub-0``, Service ``tf-hub-lb``, StatefulSet ``tf-hub``, ServiceAccount
  ``jupyter-hub``, Role/RoleBinding ``jupyter-role`` (what KubeSpawner needs, nothing more).
  Current JupyterHub images run the proxy (configurable-http-proxy) as its own process, so the
  ``tf-hub`` pod has a ``proxy`` sidecar next to the ``tf-hub`` container; their shared API token is
  generated inside the pod at start-up (no Secret in the manifests).
* The TFJob operator (kubeflow/training-operator, limited to TFJob): Deployment, ServiceAccount and
  RBAC ``tf-job-operator``, the ``tfjobs.kubeflow.org`` CRD (from :func:`kfgen.kube.tfjob.tfjob_crd`), and
  the webhook plumbing training-operator v1.9 cannot start without: Service ``tf-job-operator``, the
  (initially empty) Secret ``tf-job-operator-webhook-cert`` it writes its self-signed certificate to, and
  the ValidatingWebhookConfiguration ``validator.training-operator.kubeflow.org`` (name fixed by the
  binary) it injects the CA into. With ``tfJobNamespaced`` (default) the operator only watches its
  own namespace and its RBAC is a Role; the webhook configuration is cluster-scoped either way.
  Only one operator fits in a cluster: a second core instance sets ``tfJobOperator: false``.
* The TFJob dashboard ``tf-job-dashboard`` (read-only RBAC), Ambassador (``ambassador``,
  ``ambassador-admin``), the ``k8s-dashboard`` route, and — only with ``reportUsage`` — the
  spartakus usage reporter.
* With ``nfsServer``: a PersistentVolume ``<namespace>-notebooks-nfs`` and the claim
  ``notebooks-nfs`` bound to it, mounted into every notebook at ``jupyterNotebookPVCMount``.

Left out on purpose: ksonnet's ``disks`` (GCE persistent disks behind an NFS provisioner: GCE-only,
and its provisioner image is long gone — set ``nfsServer`` for shared notebook storage instead);
the ``tf-job-operator-config`` ConfigMap (its one key configured the 2018 operator's gRPC shim;
training-operator v1 reads no config file); the GPU driver host-path mounts ksonnet added under
``cloud: aks|acsengine`` (the NVIDIA device plugin / GPU operator provides drivers today).
"""

from __future__ import annotations

import hashlib
import ipaddress
import re
from pathlib import PurePosixPath
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered, ServiceType
from kfgen.prototypes.params import IMAGE, described, repeated

# --- images (all pinned; every one is a param) -------------------------------------------------

TRAINING_OPERATOR_IMAGE = "docker.io/kubeflow/training-operator:v1.9.0"
# The last image Kubeflow shipped the TFJob dashboard in (Kubeflow 0.6/0.7, beside the first
# kubeflow.org/v1 operator). Unmaintained; nothing newer exists.
TF_JOB_DASHBOARD_IMAGE = "gcr.io/kubeflow-images-public/tf_operator:kubeflow-tf-operator-postsubmit-v1-5adee6f-6109-a25c"
JUPYTERHUB_IMAGE = "quay.io/jupyterhub/k8s-hub:4.3.5"
JUPYTERHUB_PROXY_IMAGE = "quay.io/jupyterhub/configurable-http-proxy:5.2.0"
NOTEBOOK_IMAGES = (
    "quay.io/jupyter/tensorflow-notebook:2025-07-07",
    "quay.io/jupyter/tensorflow-notebook:cuda-2025-07-07",
)
AMBASSADOR_IMAGE = "quay.io/datawire/ambassador:0.30.1"
STATSD_IMAGE = "quay.io/datawire/statsd:0.30.1"
SPARTAKUS_IMAGE = "gcr.io/google_containers/spartakus-amd64:v1.1.0"

# --- fixed names (ksonnet's, plus the ones training-operator v1.9 needs) -------------------------

OPERATOR = "tf-job-operator"
OPERATOR_WEBHOOK = "tf-job-operator-webhook"  # RBAC for the webhook plumbing (the other scope)
OPERATOR_CERT_SECRET = "tf-job-operator-webhook-cert"
WEBHOOK_CONFIGURATION = "validator.training-operator.kubeflow.org"  # hard-coded in training-operator v1.9
DASHBOARD = "tf-job-dashboard"
NFS_CLAIM = "notebooks-nfs"
HUB_CONFIG_DIR = "/etc/config"
PROXY_TOKEN_DIR = "/run/jupyterhub-proxy"
USAGE_DATABASE = "https://stats-collector.kubeflow.org"
USER_STORAGE_CAPACITY = "10Gi"  # per-user claims when jupyterNotebookPVCMount is set without nfsServer

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

Image = Annotated[str, Field(pattern=IMAGE)]
USAGE_ID = described(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", "a cluster id: letters, digits, '.', '_' and '-', "
                     "starting with a letter or digit, at most 63 characters", short="a cluster id")


def _absolute_path(value: str, what: str) -> str:
    path = PurePosixPath(value)
    if not value.startswith("/") or ".." in path.parts or str(path) != value:
        raise ValueError(f"{what} must be a normalised absolute path like /home/jovyan/work "
                         f"(no '..', no trailing or doubled '/'), got {value!r}")
    return value


class CoreParams(Params):
    """Parameters of the ``core`` prototype (ksonnet's kubeflow-core, with real types)."""

    # --- service types ------------------------------------------------------------------------
    tfAmbassadorServiceType: ServiceType = Field(
        "ClusterIP", description="Service type of the Ambassador gateway (Service 'ambassador'), the way in to "
        "the TFJob dashboard and the other routes.")
    tfJobUiServiceType: ServiceType = Field(
        "ClusterIP", description="Service type of the TFJob dashboard (Service 'tf-job-dashboard').")
    jupyterHubServiceType: ServiceType = Field(
        "ClusterIP", description="Service type of JupyterHub's front door (Service 'tf-hub-lb', port 80).")
    jupyterHubExternalIPs: list[str] = Field(
        [], description="Extra IPv4/IPv6 addresses that route to Service 'tf-hub-lb' (its spec.externalIPs), "
        "e.g. the master's address on a bare-metal cluster without a load balancer.")

    # --- TFJob operator -----------------------------------------------------------------------
    tfJobOperator: bool = Field(
        True, description="Render the TFJob operator with its CRD and webhook. A cluster can run only one: set false "
        "on a second core instance (another namespace) and run the first with tfJobNamespaced: false.")
    tfJobImage: Image = Field(
        TRAINING_OPERATOR_IMAGE, description="Image of the TFJob operator (kubeflow/training-operator v1; run as "
        "/manager limited to TFJob). Its webhook names are fixed by the binary: one operator per cluster.")
    tfJobNamespaced: bool = Field(
        True, description="Restrict the TFJob operator (and dashboard) to this component's namespace: it only "
        "watches TFJobs there and its RBAC is a Role. False: it serves every namespace (ClusterRole).")
    tfJobWebhookFailurePolicy: Literal["Ignore", "Fail"] = Field(
        "Ignore", description="What the API server does with a TFJob when the operator's validating webhook cannot be "
        "reached. Ignore (default): the TFJob is admitted, checked by the CRD's own schema only — this is what lets "
        "`kubectl apply -f out/<profile>/` create TFJobs in the same run that starts the operator. Fail (upstream's "
        "choice): no TFJob can be created or changed while the operator is down.")
    tfJobDashboardImage: Image = Field(
        TF_JOB_DASHBOARD_IMAGE, description="Image of the TFJob dashboard. No maintained image exists; the default is "
        "the one Kubeflow 0.6/0.7 shipped it in (beside the first kubeflow.org/v1 operator), unmaintained since 2019.")

    # --- JupyterHub ---------------------------------------------------------------------------
    jupyterHubImage: Image = Field(
        JUPYTERHUB_IMAGE, description="JupyterHub image (zero-to-jupyterhub's k8s-hub: JupyterHub 5 + KubeSpawner 7).")
    jupyterHubProxyImage: Image = Field(
        JUPYTERHUB_PROXY_IMAGE, description="configurable-http-proxy image, run as the 'proxy' sidecar of pod tf-hub-0 "
        "(serves port 8000).")
    jupyterHubAuthenticator: Literal["dummy", "iap"] | None = Field(
        None, description="How users log in. null or 'dummy': any name and password (for a private lab only). "
        "'iap': trust the X-Goog-Authenticated-User-Email header set by Google's Identity-Aware Proxy (only safe "
        "when every request comes through IAP).")
    jupyterNotebookImages: list[Image] = Field(
        list(NOTEBOOK_IMAGES), min_length=1, description="Images offered on the spawn page (the first is the default; "
        "users may also type another). Defaults: Jupyter's TensorFlow notebook, CPU and CUDA builds.")
    jupyterNotebookPVCMount: str | None = Field(
        None, description="Where notebooks get persistent storage (absolute path, e.g. /home/jovyan/work). With "
        "nfsServer every user mounts the shared NFS claim there; without it each user gets a 10Gi claim "
        "'claim-<user>' from the default StorageClass. null: notebook files are lost when the server stops.")

    # --- NFS notebook storage -----------------------------------------------------------------
    nfsServer: str | None = Field(
        None, description="NFS server (IP address or DNS name) holding the notebooks. Set: renders PersistentVolume "
        "'<namespace>-notebooks-nfs' and claim 'notebooks-nfs', mounted for every user at jupyterNotebookPVCMount.")
    nfsPath: str = Field("/", description="Exported path on nfsServer (absolute).")
    nfsCapacity: str = Field(
        "20Gi", description="Size of the NFS PersistentVolume and its claim, a Kubernetes quantity (e.g. 20Gi, 500G).")
    nfsAccessMode: Literal["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany"] = Field(
        "ReadWriteMany", description="Access mode of the NFS volume. ReadWriteMany lets notebooks on every node "
        "mount it; ReadWriteOnce limits it to one node at a time.")

    # --- Ambassador ---------------------------------------------------------------------------
    ambassadorReplicas: int = Field(3, ge=1, le=20, description="Replicas of the Ambassador gateway.")
    ambassadorImage: Image = Field(
        AMBASSADOR_IMAGE, description="Ambassador image. 0.30.1 is ksonnet's: the route annotations rendered here "
        "(apiVersion ambassador/v0) and its Role are written for that line. Newer Emissary-ingress (2.x/3.x) needs "
        "CRDs, Listener resources and other RBAC, so changing only the image will not work.")
    ambassadorStatsdImage: Image = Field(STATSD_IMAGE, description="Image of Ambassador's statsd sidecar.")

    # --- usage reporting and cloud ------------------------------------------------------------
    reportUsage: bool = Field(
        False, description="Run the spartakus usage reporter (anonymous node counts to "
        f"{USAGE_DATABASE}, as ksonnet did). Off by default.")
    usageId: str | None = Field(
        None, pattern=USAGE_ID, description="Cluster id sent with usage reports. "
        "Unset: derived stably from the profile, namespace and instance (first 16 hex digits of their SHA-256), "
        "never random, so re-rendering does not change it. Only meaningful with reportUsage.")
    spartakusImage: Image = Field(SPARTAKUS_IMAGE, description="Image of the spartakus usage reporter.")
    cloud: Literal["gcp", "aks", "acsengine"] | None = Field(
        None, description="Where the cluster runs. Only effect: aks and acsengine route /k8s/ui/ to the Kubernetes "
        "dashboard over plain HTTP (tls: false), as ksonnet did; gcp and null use TLS.")

    @field_validator("jupyterHubExternalIPs")
    @classmethod
    def _ips(cls, ips: list[str]) -> list[str]:
        bad = []
        for ip in ips:
            try:
                ipaddress.ip_address(ip)
            except ValueError:
                bad.append(ip)
        if bad:
            raise ValueError(f"not IPv4/IPv6 addresses: {', '.join(map(repr, bad))}")
        if repeated(ips):
            raise ValueError(f"addresses must not repeat: {', '.join(repeated(ips))}")
        return ips

    @field_validator("jupyterNotebookImages")
    @classmethod
    def _unique_images(cls, images: list[str]) -> list[str]:
        if repeated(images):
            raise ValueError(f"images must not repeat: {', '.join(repeated(images))}")
        return images

    @field_validator("jupyterNotebookPVCMount")
    @classmethod
    def _mount(cls, value: str | None) -> str | None:
        if value is not None:
            _absolute_path(value, "jupyterNotebookPVCMount")
            if value == "/":
                raise ValueError("jupyterNotebookPVCMount cannot be '/': mount the storage in a directory")
        return value

    @field_validator("nfsPath")
    @classmethod
    def _nfs_path(cls, value: str) -> str:
        return _absolute_path(value, "nfsPath")

    @field_validator("nfsServer")
    @classmethod
    def _nfs_server(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ipaddress.ip_address(value)
        except ValueError:
            if not _HOSTNAME.match(value):
                raise ValueError(f"nfsServer must be an IP address or a DNS name (lower case), got {value!r}") from None
        return value

    @field_validator("nfsCapacity")
    @classmethod
    def _capacity(cls, value: str) -> str:
        amount = k8s.parse_quantity(value)
        if amount < 2 ** 20:
            raise ValueError(f"nfsCapacity {value!r} is not a usable size: use a quantity like 20Gi")
        return value

    @model_validator(mode="after")
    def _combinations(self) -> CoreParams:
        if not self.tfJobOperator and "tfJobImage" in self.model_fields_set:
            raise ValueError("tfJobImage only matters with tfJobOperator, which is false "
                             "(set tfJobOperator: true, or remove tfJobImage)")
        if self.usageId is not None and not self.reportUsage:
            raise ValueError("usageId is set but reportUsage is false: nothing would use it "
                             "(set reportUsage: true, or remove usageId)")
        if self.nfsServer is None:
            dead = sorted(f for f in ("nfsPath", "nfsCapacity", "nfsAccessMode") if f in self.model_fields_set)
            if dead:
                verb = "matters" if len(dead) == 1 else "matter"
                raise ValueError(f"{', '.join(dead)} only {verb} with nfsServer, which is unset "
                                 f"(set nfsServer, or remove {', '.join(dead)})")
        elif self.jupyterNotebookPVCMount is None:
            raise ValueError("nfsServer is set but jupyterNotebookPVCMount is not: set where notebooks mount the "
                             "NFS share, e.g. jupyterNotebookPVCMount: /home/jovyan/work")
        return self


# --- helpers -------------------------------------------------------------------------------------


def usage_id(ctx: RenderContext, p: CoreParams) -> str:
    """The cluster id sent by spartakus: the param, or a stable hash of profile/namespace/instance."""
    if p.usageId is not None:
        return p.usageId
    return hashlib.sha256(f"{ctx.profile}/{ctx.namespace}/{ctx.instance}".encode()).hexdigest()[:16]


def _scope(ns: str, namespaced: bool) -> str | None:
    """Namespace for a Role/RoleBinding, or None (ClusterRole/ClusterRoleBinding)."""
    return ns if namespaced else None


# --- JupyterHub ----------------------------------------------------------------------------------

_HUB_CONFIG = '''\
# jupyterhub_config.py, rendered by kfgen (prototype core). Edit the profile, not this file.
import os

# ---- settings from the profile ------------------------------------------------------------
NAMESPACE = {namespace!r}
NOTEBOOK_IMAGES = {images!r}
AUTHENTICATOR = {authenticator!r}
NOTEBOOK_PVC_MOUNT = {mount!r}  # jupyterNotebookPVCMount
SHARED_NOTEBOOK_CLAIM = {shared_claim!r}  # the NFS claim, when nfsServer is set
USER_STORAGE_CAPACITY = {capacity!r}

# ---- JupyterHub ---------------------------------------------------------------------------
c.JupyterHub.ip = '0.0.0.0'
c.JupyterHub.port = 8000
c.JupyterHub.hub_ip = '0.0.0.0'
c.JupyterHub.hub_port = 8081
# Notebook pods reach the hub API through the headless Service tf-hub-0 (the hub pod's own address).
c.JupyterHub.hub_connect_ip = 'tf-hub-0.' + NAMESPACE + '.svc'
# Don't stop user servers when the hub restarts.
c.JupyterHub.cleanup_servers = False

# configurable-http-proxy runs in the 'proxy' container of this pod; the init container wrote the
# API token both share into an in-memory volume (no Secret in the manifests).
c.ConfigurableHTTPProxy.should_start = False
c.ConfigurableHTTPProxy.api_url = 'http://127.0.0.1:8001'
with open(os.environ.get('KFGEN_PROXY_TOKEN_FILE', {token_file!r})) as _f:
    c.ConfigurableHTTPProxy.auth_token = _f.read().strip()

# ---- Spawner ------------------------------------------------------------------------------
c.JupyterHub.spawner_class = 'kubespawner.KubeSpawner'
c.KubeSpawner.image = NOTEBOOK_IMAGES[0]
# GPU images are large: give the first pull time.
c.KubeSpawner.start_timeout = 60 * 30
c.KubeSpawner.cpu_guarantee = 0.5
c.KubeSpawner.mem_guarantee = '1G'
c.KubeSpawner.fs_gid = 100
c.KubeSpawner.allow_privilege_escalation = False
c.KubeSpawner.profile_list = [
    {{
        'display_name': 'Notebook server',
        'default': True,
        'profile_options': {{
            'image': {{
                'display_name': 'Image',
                'choices': {{
                    'image-%d' % i: {{
                        'display_name': image,
                        'default': i == 0,
                        'kubespawner_override': {{'image': image}},
                    }}
                    for i, image in enumerate(NOTEBOOK_IMAGES)
                }},
                'unlisted_choice': {{
                    'enabled': True,
                    'display_name': 'Other image (repo/image:tag)',
                    'kubespawner_override': {{'image': '{{value}}'}},
                }},
            }},
            'gpus': {{
                'display_name': 'GPUs',
                'choices': {{
                    'none': {{'display_name': 'none', 'default': True, 'kubespawner_override': {{}}}},
                    'one': {{
                        'display_name': '1 (nvidia.com/gpu)',
                        'kubespawner_override': {{'extra_resource_limits': {{'nvidia.com/gpu': '1'}}}},
                    }},
                }},
            }},
        }},
    }},
]

# ---- Notebook storage (jupyterNotebookPVCMount) -------------------------------------------
if NOTEBOOK_PVC_MOUNT and SHARED_NOTEBOOK_CLAIM:
    # Every user mounts the shared NFS claim.
    c.KubeSpawner.volumes = [
        {{'name': 'notebooks', 'persistentVolumeClaim': {{'claimName': SHARED_NOTEBOOK_CLAIM}}}},
    ]
    c.KubeSpawner.volume_mounts = [{{'name': 'notebooks', 'mountPath': NOTEBOOK_PVC_MOUNT}}]
elif NOTEBOOK_PVC_MOUNT:
    # One claim per user (and server) from the default StorageClass.
    c.KubeSpawner.storage_pvc_ensure = True
    c.KubeSpawner.storage_capacity = USER_STORAGE_CAPACITY
    c.KubeSpawner.pvc_name_template = 'claim-{{username}}{{servername}}'
    c.KubeSpawner.volumes = [
        {{'name': 'notebooks', 'persistentVolumeClaim': {{'claimName': 'claim-{{username}}{{servername}}'}}}},
    ]
    c.KubeSpawner.volume_mounts = [{{'name': 'notebooks', 'mountPath': NOTEBOOK_PVC_MOUNT}}]

# ---- Authenticator ------------------------------------------------------------------------
c.Authenticator.allow_all = True
if AUTHENTICATOR == 'iap':
    from jupyterhub.auth import Authenticator
    from jupyterhub.handlers import BaseHandler
    from tornado import web

    class IAPLoginHandler(BaseHandler):
        async def get(self):
            user = await self.login_user()
            if user is None:
                raise web.HTTPError(401, 'no user identity from the Identity-Aware Proxy')
            self.redirect(self.get_next_url(user))

    class IAPAuthenticator(Authenticator):
        """Trusts the identity header set by Google's Identity-Aware Proxy (remote-user authentication)."""

        header_name = 'X-Goog-Authenticated-User-Email'

        def get_handlers(self, app):
            return [(r'/login', IAPLoginHandler)]

        async def authenticate(self, handler, data=None):
            value = handler.request.headers.get(self.header_name, '')
            # IAP sends "accounts.google.com:user@example.com".
            name = value.split(':', 1)[-1].strip()
            return name or None

    c.JupyterHub.authenticator_class = IAPAuthenticator
else:
    c.JupyterHub.authenticator_class = 'dummy'
'''


def hub_config(ctx: RenderContext, p: CoreParams) -> str:
    """The jupyterhub_config.py of ConfigMap jupyterhub-config."""
    return _HUB_CONFIG.format(
        namespace=ctx.namespace,
        images=list(p.jupyterNotebookImages),
        authenticator=p.jupyterHubAuthenticator or "dummy",
        mount=p.jupyterNotebookPVCMount,
        shared_claim=NFS_CLAIM if p.nfsServer else None,
        capacity=USER_STORAGE_CAPACITY,
        token_file=f"{PROXY_TOKEN_DIR}/token",
    )


_WRITE_TOKEN = (
    "import os, secrets\n"
    f"path = '{PROXY_TOKEN_DIR}/token'\n"
    "if not os.path.exists(path):\n"
    "    with open(path, 'w') as f:\n"
    "        f.write(secrets.token_hex(32))\n"
)
_RUN_PROXY = (
    f'export CONFIGPROXY_AUTH_TOKEN="$(cat {PROXY_TOKEN_DIR}/token)"; '
    "exec configurable-http-proxy --ip= --port=8000 --api-ip=127.0.0.1 --api-port=8001 "
    "--default-target=http://127.0.0.1:8081 --error-target=http://127.0.0.1:8081/hub/error"
)


def jupyterhub(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    ns = ctx.namespace
    config = hub_config(ctx, p)
    hub_labels = {"app": "tf-hub"}
    token_mount = k8s.volume_mount("proxy-token", PROXY_TOKEN_DIR)
    hub_user = k8s.security_context(run_as_user=1000, run_as_group=1000, run_as_non_root=True,
                                     drop_all_capabilities=True)
    template = k8s.pod_template(
        hub_labels,
        [
            k8s.container(
                "tf-hub", p.jupyterHubImage,
                command=["jupyterhub", "-f", f"{HUB_CONFIG_DIR}/jupyterhub_config.py"],
                ports=[k8s.container_port(8081)],
                volume_mounts=[k8s.volume_mount("config-volume", HUB_CONFIG_DIR, read_only=True),
                               k8s.volume_mount("proxy-token", PROXY_TOKEN_DIR, read_only=True),
                               # its working directory: jupyterhub.sqlite and the cookie secret (per pod,
                               # as in ksonnet: a restarted hub forgets its state, user servers keep running)
                               k8s.volume_mount("hub-db", "/srv/jupyterhub")],
                working_dir="/srv/jupyterhub",
                readiness_probe=k8s.http_probe("/hub/health", 8081, initial_delay=5, period=10),
                security_context=hub_user,
            ),
            k8s.container(
                "proxy", p.jupyterHubProxyImage,
                command=["sh", "-c", _RUN_PROXY],
                ports=[k8s.container_port(8000)],
                volume_mounts=[k8s.volume_mount("proxy-token", PROXY_TOKEN_DIR, read_only=True)],
                readiness_probe=k8s.http_probe("/_chp_healthz", 8000, initial_delay=5, period=10),
                security_context=k8s.security_context(run_as_user=65534, run_as_group=65534, run_as_non_root=True,
                                                      drop_all_capabilities=True),
            ),
        ],
        init_containers=[k8s.container("proxy-token", p.jupyterHubImage, command=["python3", "-c", _WRITE_TOKEN],
                                       volume_mounts=[token_mount], security_context=hub_user)],
        volumes=[k8s.config_map_volume("config-volume", "jupyterhub-config"),
                 k8s.empty_dir_volume("proxy-token", medium="Memory"),
                 k8s.empty_dir_volume("hub-db")],
        service_account="jupyter-hub",
        # A changed config rolls the hub pod (a ConfigMap change alone would not).
        annotations={"checksum/jupyterhub-config": hashlib.sha256(config.encode()).hexdigest()},
    )
    return [
        k8s.config_map("jupyterhub-config", ns, {"jupyterhub_config.py": config}),
        k8s.service("tf-hub-0", ns, labels=hub_labels, cluster_ip="None", type=None,
                    ports=[k8s.port(8000, name="hub")], selector=hub_labels),
        k8s.service("tf-hub-lb", ns, labels={"app": "tf-hub-lb"}, type=p.jupyterHubServiceType,
                    ports=[k8s.port(80, 8000, name="hub")], selector=hub_labels,
                    external_ips=p.jupyterHubExternalIPs),
        k8s.stateful_set("tf-hub", ns, service_name="tf-hub-0", template=template),
        k8s.role("jupyter-role", namespace=ns, rules=[
            k8s.rule([""], ["pods", "persistentvolumeclaims"], ["get", "list", "watch", "create", "delete"]),
            k8s.rule([""], ["events"], ["get", "list", "watch"]),
        ]),
        k8s.service_account("jupyter-hub", ns, labels={"app": "jupyter-hub"}),
        k8s.binding("jupyter-role", "jupyter-role", [k8s.sa_subject("jupyter-hub", ns)], namespace=ns),
    ]


def nfs_storage(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """A statically provisioned NFS PersistentVolume, reserved for (and bound to) the claim notebooks-nfs."""
    if p.nfsServer is None:
        return []
    ns = ctx.namespace
    pv_name = f"{ns}-notebooks-nfs"
    labels = {"app": "notebooks-nfs"}
    # a PV without class, a claim with storageClassName "" + claimRef/volumeName: the documented way to
    # pre-bind a static volume; no StorageClass is needed and a default StorageClass cannot intercept it.
    pv = k8s.obj("v1", "PersistentVolume", pv_name, labels=labels, spec={
        "capacity": {"storage": p.nfsCapacity},
        "accessModes": [p.nfsAccessMode],
        "persistentVolumeReclaimPolicy": "Retain",  # no storageClassName: "" is its unset value on a PV
        "volumeMode": "Filesystem",
        "claimRef": {"namespace": ns, "name": NFS_CLAIM},
        "nfs": {"server": p.nfsServer, "path": p.nfsPath},
    })
    pvc = k8s.obj("v1", "PersistentVolumeClaim", NFS_CLAIM, ns, labels=labels, spec={
        "accessModes": [p.nfsAccessMode],
        "resources": {"requests": {"storage": p.nfsCapacity}},
        "storageClassName": "",
        "volumeMode": "Filesystem",
        "volumeName": pv_name,
    })
    return [pv, pvc]


# --- TFJob operator ------------------------------------------------------------------------------

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


def tf_job_operator(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    if not p.tfJobOperator:
        return []
    from kfgen.kube.tfjob import tfjob_crd

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
               k8s.container_port(9443, name="webhook-server", protocol="TCP")],
        volume_mounts=[k8s.volume_mount("cert", "/tmp/k8s-webhook-server/serving-certs", read_only=True)],
        liveness_probe=k8s.http_probe("/healthz", 8081, initial_delay=15, period=20, timeout=3),
        readiness_probe=k8s.http_probe("/readyz", 8081, initial_delay=10, period=15, timeout=3),
        security_context=k8s.security_context(run_as_user=65532, run_as_group=65532, run_as_non_root=True,
                                              read_only_root_filesystem=True, drop_all_capabilities=True),
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
        k8s.role(OPERATOR, main_rules, namespace=_scope(ns, p.tfJobNamespaced), labels=app),
        k8s.binding(OPERATOR, OPERATOR, sa, namespace=_scope(ns, p.tfJobNamespaced), labels=app),
        k8s.role(OPERATOR_WEBHOOK, other_rules, namespace=other_scope, labels=app),
        k8s.binding(OPERATOR_WEBHOOK, OPERATOR_WEBHOOK, sa, namespace=other_scope, labels=app),
        tfjob_crd(),
        k8s.service(OPERATOR, ns, labels=app, selector=pod_labels, ports=[
            k8s.port(8080, 8080, name="monitoring-port"),
            k8s.port(443, 9443, name="webhook-server", protocol="TCP"),
        ]),
        # Created empty; the operator writes its self-signed CA and serving certificate into it.
        k8s.obj("v1", "Secret", OPERATOR_CERT_SECRET, ns, labels=app, type="Opaque"),
        k8s.obj("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", WEBHOOK_CONFIGURATION,
                labels=app, webhooks=[webhook]),
    ]


def tf_job_dashboard(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    ns = ctx.namespace
    pod_labels = {"name": DASHBOARD}
    app = {"app": DASHBOARD}
    scope = _scope(ns, p.tfJobNamespaced)
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
    mapping = k8s.ambassador_mapping("tfjobs-ui-mapping", "/tfjobs/", f"{DASHBOARD}.{ns}", rewrite="/tfjobs/")
    return [
        k8s.role(DASHBOARD, rules, namespace=scope, labels=app),
        k8s.binding(DASHBOARD, DASHBOARD, [k8s.sa_subject(DASHBOARD, ns)], namespace=scope, labels=app),
        k8s.service(DASHBOARD, ns, annotations=k8s.ambassador_annotations(mapping), type=p.tfJobUiServiceType,
                    ports=[k8s.port(80, 8080)], selector=pod_labels),
        k8s.service_account(DASHBOARD, ns, labels=app),
        k8s.deployment(DASHBOARD, ns, template=template, replicas=1),
    ]


# --- Ambassador ----------------------------------------------------------------------------------


def ambassador(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
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
    k8s_dashboard = k8s.ambassador_mapping("k8s-dashboard-ui-mapping", "/k8s/ui/", "kubernetes-dashboard.kube-system",
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
        k8s.service("k8s-dashboard", ns, annotations=k8s.ambassador_annotations(k8s_dashboard),
                    ports=[k8s.port(443, 8443)], selector={"k8s-app": "kubernetes-dashboard"}),
    ]


def spartakus(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    if not p.reportUsage:
        return []
    ns = ctx.namespace
    app = {"app": "spartakus"}
    template = k8s.pod_template({"app": "spartakus-volunteer"}, [k8s.container(
        "volunteer", p.spartakusImage,
        args=["volunteer", f"--cluster-id={usage_id(ctx, p)}", f"--database={USAGE_DATABASE}"],
    )], service_account="spartakus")
    return [
        k8s.role("spartakus", [k8s.rule([""], ["nodes"], ["get", "list"])], labels=app),
        k8s.binding("spartakus", "spartakus", [k8s.sa_subject("spartakus", ns)], labels=app),
        k8s.service_account("spartakus", ns, labels=app),
        k8s.deployment("spartakus-volunteer", ns, template=template, replicas=1),
    ]


def security_warnings(p: CoreParams) -> list[str]:
    """What the user should know before applying: JupyterHub reachable from outside the cluster
    while anyone can log in (the dummy authenticator takes any name and any password)."""
    exposed = []
    if p.jupyterHubServiceType != "ClusterIP":
        exposed.append(f"jupyterHubServiceType: {p.jupyterHubServiceType}")
    if p.jupyterHubExternalIPs:
        exposed.append(f"jupyterHubExternalIPs: {', '.join(p.jupyterHubExternalIPs)}")
    if not exposed or p.jupyterHubAuthenticator not in (None, "dummy"):
        return []
    return [f"JupyterHub is exposed outside the cluster ({'; '.join(exposed)}) with the dummy authenticator: "
            "anyone who reaches Service tf-hub-lb can log in with any name and password and run code in the "
            "cluster. Keep jupyterHubServiceType: ClusterIP without jupyterHubExternalIPs (and use kubectl "
            "port-forward), or put it behind Google's Identity-Aware Proxy with jupyterHubAuthenticator: iap"]


def render(ctx: RenderContext, p: CoreParams) -> Rendered:
    """Every object of the core component, in ksonnet's order, and warnings. Pure: depends on ctx and p only."""
    objects = (jupyterhub(ctx, p) + nfs_storage(ctx, p) + tf_job_operator(ctx, p) + tf_job_dashboard(ctx, p)
               + ambassador(ctx, p) + spartakus(ctx, p))
    return Rendered(objects, security_warnings(p))


PROTOTYPE = Prototype(
    name="core",
    summary="JupyterHub, the TFJob operator and dashboard, Ambassador, optional NFS notebook storage and usage reporting",
    params=CoreParams,
    render=render,
    ksonnet="io.ksonnet.pkg.kubeflow-core",
    retired={
        "tfDefaultImage": "it configured the 2018 TFJob operator; training-operator v1 has no default image: "
                          "set the image on each TFJob (tf-job prototype: image)",
        "disks": "it created GCE persistent disks with an NFS provisioner whose image is gone; "
                 "use nfsServer/nfsPath for notebooks, or a StorageClass of your cluster",
    },
)
