"""The ``core`` prototype's parameters: :class:`CoreParams`, its validators and the pinned default images.

Over 400 lines: one pydantic model holds every core param with the description `kfgen params core` prints
(the profile's interface); splitting it would split that interface.

Every image is a param; the defaults are pinned here. Names fixed by a sub-system live in that
sub-system's module (:mod:`~kfgen.prototypes.core.operator`, :mod:`~kfgen.prototypes.core.storage` …).
"""

from __future__ import annotations

import ipaddress
import re
from decimal import Decimal
from pathlib import PurePosixPath
from typing import Annotated, Literal

from pydantic import Field, ValidationInfo, field_validator, model_validator

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import Params, ServiceType
from kfgen.prototypes.params import (
    DNS_SUBDOMAIN,
    IMAGE,
    INT32_MAX,
    QuantityString,
    Resources,
    described,
    refused_at,
    repeated,
)

# --- images (all pinned; every one is a param) -------------------------------------------------

TRAINING_OPERATOR_IMAGE = "docker.io/kubeflow/training-operator:v1.9.0"
# The last image Kubeflow shipped the TFJob dashboard in (Kubeflow 0.6/0.7, beside the first
# kubeflow.org/v1 operator). Unmaintained; nothing newer exists.
TF_JOB_DASHBOARD_IMAGE = (
    "gcr.io/kubeflow-images-public/tf_operator:kubeflow-tf-operator-postsubmit-v1-5adee6f-6109-a25c"
)
JUPYTERHUB_IMAGE = "quay.io/jupyterhub/k8s-hub:4.3.5"
JUPYTERHUB_PROXY_IMAGE = "quay.io/jupyterhub/configurable-http-proxy:5.2.0"
NOTEBOOK_IMAGES = (
    "quay.io/jupyter/tensorflow-notebook:2025-07-07",
    "quay.io/jupyter/tensorflow-notebook:cuda-2025-07-07",
)
AMBASSADOR_IMAGE = "quay.io/datawire/ambassador:0.30.1"
STATSD_IMAGE = "quay.io/datawire/statsd:0.30.1"
SPARTAKUS_IMAGE = "gcr.io/google_containers/spartakus-amd64:v1.1.0"

# the spawn page's CPU and memory choices (request = limit); today's guarantees are the defaults
NOTEBOOK_CPU_CHOICES = ("500m", "1", "2")
NOTEBOOK_MEMORY_CHOICES = ("1Gi", "2Gi", "4Gi")
USER_STORAGE_CAPACITY = "10Gi"  # a per-user notebook claim
SHARED_STORAGE_CAPACITY = "20Gi"  # the shared notebook claim from a StorageClass (nfsCapacity's default too)
HUB_STATE_CAPACITY = "1Gi"  # the hub's state claim: a SQLite database of users, servers and tokens

# where spartakus reports to (named in the reportUsage description, used by the spartakus module)
USAGE_DATABASE = "https://stats-collector.kubeflow.org"

_HOSTNAME = re.compile(r"^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")

Image = Annotated[str, Field(pattern=IMAGE)]
USAGE_ID = described(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,62}$", "a cluster id: letters, digits, '.', '_' and '-', "
                     "starting with a letter or digit, at most 63 characters", short="a cluster id")

# A JupyterHub user name as kfgen accepts it for admins (JupyterHub lower-cases names at login).
USERNAME = described(r"^[a-z0-9][a-z0-9._@-]{0,63}$", "a user name: lower-case letters, digits, '.', '_', '@' "
                     "and '-', starting with a letter or digit, at most 64 characters", short="a user name")
Username = Annotated[str, Field(pattern=USERNAME)]


class ContainerResources(Resources):
    """CPU and memory requests and limits of one container: both are required in both maps."""

    @model_validator(mode="after")
    def _complete(self) -> ContainerResources:
        missing = [f"{part}.{name}" for part, values in (("requests", self.requests), ("limits", self.limits))
                   for name in ("cpu", "memory") if name not in values]
        if missing:
            raise ValueError(f"every container has CPU and memory requests and limits: set {', '.join(missing)}")
        return self


def _resources(cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> ContainerResources:
    return ContainerResources(requests={"cpu": cpu, "memory": memory},
                              limits={"cpu": cpu_limit, "memory": memory_limit})


def _resources_field(what: str, cpu: str, memory: str, cpu_limit: str, memory_limit: str) -> ContainerResources:
    return Field(default_factory=lambda: _resources(cpu, memory, cpu_limit, memory_limit),
                 description=f"CPU and memory of {what} (default: requests {cpu} CPU / {memory}, limits "
                 f"{cpu_limit} CPU / {memory_limit}). Both maps need cpu and memory.")


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
    tfAmbassadorAllowUnauthenticatedExternalAccess: bool = Field(
        False, description="Allow tfAmbassadorServiceType NodePort or LoadBalancer. Ambassador authenticates nobody: "
        "anyone who reaches it uses every route of the namespace — the TFJob dashboard (/tfjobs/: TFJobs, pods and "
        "their logs, of every namespace with tfJobNamespaced: false), served models (/models/…) and /k8s/ui/. "
        "Without it an exposed Ambassador is refused; only for an isolated network you fully control.")
    tfJobUiAllowUnauthenticatedExternalAccess: bool = Field(
        False, description="Allow tfJobUiServiceType NodePort or LoadBalancer. The TFJob dashboard authenticates "
        "nobody: anyone who reaches it reads TFJobs, pods and their logs (of every namespace with tfJobNamespaced: "
        "false). Without it an exposed dashboard is refused; only for an isolated network you fully control.")
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
    tfJobOperatorResources: ContainerResources = _resources_field(
        "the TFJob operator", "100m", "128Mi", "1", "512Mi")
    tfJobDashboardResources: ContainerResources = _resources_field(
        "the TFJob dashboard", "50m", "64Mi", "500m", "256Mi")
    tfJobDashboardImage: Image = Field(
        TF_JOB_DASHBOARD_IMAGE, description="Image of the TFJob dashboard. No maintained image exists; the default is "
        "the one Kubeflow 0.6/0.7 shipped it in (beside the first kubeflow.org/v1 operator), unmaintained since 2019.")

    # --- JupyterHub ---------------------------------------------------------------------------
    jupyterHubImage: Image = Field(
        JUPYTERHUB_IMAGE, description="JupyterHub image (zero-to-jupyterhub's k8s-hub: JupyterHub 5 + KubeSpawner 7).")
    jupyterHubProxyImage: Image = Field(
        JUPYTERHUB_PROXY_IMAGE, description="configurable-http-proxy image, run as the 'proxy' sidecar of pod tf-hub-0 "
        "(serves port 8000).")
    jupyterHubResources: ContainerResources = _resources_field("the hub container", "200m", "512Mi", "1", "1Gi")
    jupyterHubProxyResources: ContainerResources = _resources_field(
        "the proxy sidecar", "100m", "128Mi", "500m", "512Mi")
    jupyterHubAuthenticator: Literal["dummy", "native", "shared-password", "iap"] | None = Field(
        None, description="How users log in. null or 'dummy': any name and any password — refused when the hub is "
        "reachable from outside the cluster (jupyterHubServiceType LoadBalancer/NodePort or jupyterHubExternalIPs) "
        "unless jupyterHubAllowUnauthenticatedExternalAccess is true. 'shared-password': JupyterHub's "
        "SharedPasswordAuthenticator with the passwords of the Secret jupyterHubPasswordSecret (you create it; "
        "kfgen writes only its name): users log in with any name and the user password, the admins "
        "(jupyterHubAdminUsers) with the admin password — nothing to sign up, so no race for an admin name; "
        "anyone with the user password can log in as any non-admin name. 'native': JupyterHub's "
        "NativeAuthenticator: users sign up at /hub/signup with a password and wait until an admin "
        "(jupyterHubAdminUsers) approves them at /hub/authorize; admins are approved on sign-up, so sign up as "
        "each admin before exposing the hub; its accounts need persistent hub state (jupyterHubStatePersistent). "
        "'iap': trust the X-Goog-Authenticated-User-Email header set by Google's Identity-Aware Proxy: only with "
        "cloud: gcp and a ClusterIP hub without external IPs (anyone who reaches the hub directly can forge it).")
    jupyterHubPasswordSecret: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the Secret in the component's namespace "
        "with the passwords of jupyterHubAuthenticator: shared-password (required with it, not used otherwise): "
        "key 'user-password' (8 characters or more) and, for jupyterHubAdminUsers, 'admin-password' (32 or more, "
        "different). You create it (kubectl create secret generic …); kfgen renders only its name, mounted "
        "read-only into the hub, which does not start without it. Restart the hub after changing it.")
    jupyterHubAdminUsers: list[Username] = Field(
        [], description="JupyterHub admins (user names). Required with jupyterHubAuthenticator: native: they "
        "approve sign-ups.")
    jupyterHubAllowUnauthenticatedExternalAccess: bool = Field(
        False, description="Allow a hub reachable from outside the cluster with the dummy authenticator, i.e. let "
        "anyone who reaches it run code in the cluster. Only for an isolated network you fully control.")
    jupyterHubStatePersistent: bool | None = Field(
        None, description="Keep the hub's state — /srv/jupyterhub: jupyterhub.sqlite (users, their servers and "
        "tokens, NativeAuthenticator's accounts and password hashes) and the cookie secret — on a "
        "PersistentVolumeClaim (volumeClaimTemplate 'hub-db' of StatefulSet tf-hub: claim 'hub-db-tf-hub-0', "
        "kept when the StatefulSet is deleted). false: an emptyDir, wiped whenever the hub pod restarts (every "
        "config change rolls it), as in ksonnet. Unset: persistent with jupyterHubAuthenticator: native (its "
        "accounts live there), an emptyDir otherwise. native on an exposed hub without it is refused: a restart "
        "would wipe every account and let the first to sign up as an admin name become admin.")
    jupyterHubStateStorageCapacity: QuantityString = Field(
        HUB_STATE_CAPACITY, description="Size of the hub's state claim 'hub-db-tf-hub-0' (persistent hub state "
        "only), written into StatefulSet tf-hub's volumeClaimTemplate, which the API server never changes in place: "
        "changing it (or jupyterHubStatePersistent, jupyterHubStateStorageClassName) on an installed hub needs "
        "'kubectl delete statefulset tf-hub --cascade=orphan' before the apply (kfgen apply's error says so), and "
        "does not resize the existing claim: resize 'hub-db-tf-hub-0' itself (its StorageClass must allow "
        "expansion; a claim never shrinks).")
    jupyterHubStateStorageClassName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253, description="StorageClass of the hub's state claim (persistent "
        "hub state only; ReadWriteOnce is enough). Unset: the cluster's default StorageClass.")
    jupyterNotebookImages: list[Image] = Field(
        list(NOTEBOOK_IMAGES), min_length=1, description="Images offered on the spawn page (the first is the default). "
        "Users choose among these only, unless jupyterNotebookAllowAnyImage. Defaults: Jupyter's TensorFlow "
        "notebook, CPU and CUDA builds.")
    jupyterNotebookAllowAnyImage: bool = Field(
        False, description="Let users type any image on the spawn page besides jupyterNotebookImages.")
    jupyterNotebookGpuImage: Image | None = Field(
        NOTEBOOK_IMAGES[1], description="Image of a notebook server with GPUs: choosing one or more GPUs on the "
        "spawn page replaces the default image (the first of jupyterNotebookImages) with this one; an image the "
        "user picked otherwise stays. null: GPU servers keep the chosen image. Default: Jupyter's CUDA build.")
    jupyterNotebookCpuChoices: list[QuantityString] = Field(
        list(NOTEBOOK_CPU_CHOICES), min_length=1, description="CPU a user can choose on the spawn page (the first "
        "is the default), as Kubernetes quantities: the notebook container's CPU request and limit. Each must fit "
        "a node of the profile.")
    jupyterNotebookMemoryChoices: list[QuantityString] = Field(
        list(NOTEBOOK_MEMORY_CHOICES), min_length=1, description="Memory a user can choose on the spawn page (the "
        "first is the default), as Kubernetes quantities: the notebook container's memory request and limit. "
        "Each must fit a node of the profile.")
    jupyterNotebookMaxGpus: int | None = Field(
        None, ge=0, le=INT32_MAX, description="Most GPUs a user can choose on the spawn page (the choices are "
        "0 to this; a choice adds the nvidia.com/gpu limit and the GPU toleration). Unset: the GPUs of the "
        "profile's largest GPU node (0, no GPU choice, when its nodes have none; 1 when it declares no nodes). "
        "More than the largest GPU node has is refused: such a notebook could never be scheduled.")
    jupyterNotebookPVCMount: str | None = Field(
        None, description="Where notebooks get persistent storage (absolute path, e.g. /home/jovyan/work), as "
        "jupyterNotebookStorage says. null: no storage, notebook files are lost when the server stops.")
    jupyterNotebookStorage: Literal["per-user", "shared"] | None = Field(
        None, description="Notebook storage at jupyterNotebookPVCMount. 'per-user': each user gets a claim "
        "'claim-<user>' (KubeSpawner creates it). 'shared': one claim mounted by every user, what ksonnet's disks "
        "gave: the NFS claim 'notebooks-nfs' with nfsServer, else the ReadWriteMany claim 'notebooks-shared' from "
        "jupyterNotebookStorageClassName. Unset: shared with nfsServer, per-user without.")
    jupyterNotebookStorageClassName: str | None = Field(
        None, pattern=DNS_SUBDOMAIN, max_length=253, description="StorageClass of the notebook claims (per-user "
        "claims, or the shared claim without nfsServer; a shared one must offer ReadWriteMany, e.g. an NFS or "
        "CephFS provisioner). Unset: the cluster's default StorageClass. Not with nfsServer (its volume is bound "
        "statically).")
    jupyterNotebookStorageCapacity: QuantityString | None = Field(
        None, description=f"Size of each per-user claim (default {USER_STORAGE_CAPACITY}) or of the shared claim "
        f"'notebooks-shared' (default {SHARED_STORAGE_CAPACITY}). With nfsServer use nfsCapacity.")

    # --- NFS notebook storage -----------------------------------------------------------------
    nfsServer: str | None = Field(
        None, description="NFS server (IP address or DNS name) holding the notebooks: the shared notebook storage "
        "(jupyterNotebookStorage: shared) on an existing NFS share. Set: renders PersistentVolume "
        "'<namespace>-notebooks-nfs' and claim 'notebooks-nfs', mounted for every user at jupyterNotebookPVCMount.")
    nfsPath: str = Field("/", description="Exported path on nfsServer (absolute).")
    nfsCapacity: str = Field(
        SHARED_STORAGE_CAPACITY,
        description="Size of the NFS PersistentVolume and its claim, a Kubernetes quantity (e.g. 20Gi, 500G).")
    nfsAccessMode: Literal["ReadWriteMany", "ReadWriteOnce", "ReadOnlyMany"] = Field(
        "ReadWriteMany", description="Access mode of the NFS volume. ReadWriteMany lets notebooks on every node "
        "mount it; ReadWriteOnce limits it to one node at a time.")

    # --- Ambassador ---------------------------------------------------------------------------
    ambassadorReplicas: int = Field(3, ge=1, le=20, description="Replicas of the Ambassador gateway.")
    ambassadorImage: Image = Field(
        AMBASSADOR_IMAGE, description="Ambassador image. 0.30.1 is ksonnet's: the route annotations rendered here "
        "(apiVersion ambassador/v0) and its Role are written for that line. Newer Emissary-ingress (2.x/3.x) needs "
        "CRDs, Listener resources and other RBAC, so changing only the image will not work.")
    ambassadorKubernetesDashboardRoute: bool = Field(
        True, description="Render Service 'k8s-dashboard', which only carries Ambassador's /k8s/ui/ route to "
        "kubernetes-dashboard.kube-system (ksonnet's; its selector matches no pod of this namespace). Current "
        "Kubernetes Dashboard installs (Helm chart v7+) run in namespace kubernetes-dashboard behind Kong, so the "
        "route leads nowhere there: set false. On by default for parity with ksonnet's output.")
    ambassadorStatsdImage: Image = Field(STATSD_IMAGE, description="Image of Ambassador's statsd sidecar.")
    ambassadorResources: ContainerResources = _resources_field(
        "the Ambassador container", "200m", "100Mi", "1", "400Mi")
    ambassadorStatsdResources: ContainerResources = _resources_field(
        "Ambassador's statsd sidecar", "50m", "64Mi", "200m", "128Mi")

    # --- network policies ---------------------------------------------------------------------
    networkPolicies: bool = Field(
        True, description="Render NetworkPolicies: deny all ingress to the pods of this namespace (NetworkPolicy "
        "'default-deny-ingress'), then allow what the components need: Ambassador's and the hub's front doors "
        "(from this namespace's pods while their Service is ClusterIP, from anywhere when exposed or behind IAP), "
        "hub <-> notebooks, the API server to the operator's webhook, Ambassador to the TFJob dashboard, TFJob "
        "replicas to each other. Other prototypes in the namespace (tf-serving) render their own allow rules; "
        "turn theirs off too when you turn this off.")

    # --- usage reporting and cloud ------------------------------------------------------------
    reportUsage: bool = Field(
        False, description="Run the spartakus usage reporter (anonymous node counts to "
        f"{USAGE_DATABASE}, as ksonnet did). Off by default.")
    usageId: str | None = Field(
        None, pattern=USAGE_ID, description="Cluster id sent with usage reports. "
        "Unset: derived stably from the profile, namespace and instance (first 16 hex digits of their SHA-256), "
        "never random, so re-rendering does not change it. Only meaningful with reportUsage.")
    spartakusImage: Image = Field(SPARTAKUS_IMAGE, description="Image of the spartakus usage reporter.")
    spartakusResources: ContainerResources = _resources_field(
        "the spartakus usage reporter", "10m", "32Mi", "100m", "64Mi")
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

    @field_validator("jupyterHubAdminUsers", "jupyterNotebookImages")
    @classmethod
    def _unique(cls, values: list[str], info: ValidationInfo) -> list[str]:
        if repeated(values):
            what = {"jupyterHubAdminUsers": "admin users", "jupyterNotebookImages": "images"}[info.field_name]
            raise ValueError(f"{what} must not repeat: {', '.join(repeated(values))}")
        return values

    @field_validator("jupyterNotebookCpuChoices", "jupyterNotebookMemoryChoices")
    @classmethod
    def _choices(cls, values: list[str], info: ValidationInfo) -> list[str]:
        memory = info.field_name == "jupyterNotebookMemoryChoices"
        for value in values:
            amount = k8s.parse_quantity(value)
            if amount < (2 ** 20 if memory else Decimal("0.001")):
                raise ValueError(f"{value!r} is not a usable {'memory size' if memory else 'CPU amount'}: "
                                 f"use a quantity like {'1Gi' if memory else '500m'}")
        amounts = [str(k8s.parse_quantity(v).normalize()) for v in values]  # 1 and 1000m are one choice
        if repeated(amounts):
            raise ValueError(f"choices must not repeat: {', '.join(values)}")
        return values

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

    @field_validator("nfsCapacity", "jupyterNotebookStorageCapacity", "jupyterHubStateStorageCapacity")
    @classmethod
    def _capacity(cls, value: str | None, info: ValidationInfo) -> str | None:
        if value is not None and k8s.parse_quantity(value) < 2 ** 20:
            raise ValueError(f"{info.field_name} {value!r} is not a usable size: use a quantity like 20Gi")
        return value

    @property
    def notebook_storage(self) -> Literal["per-user", "shared"] | None:
        """The notebook storage in effect: None without jupyterNotebookPVCMount."""
        if self.jupyterNotebookPVCMount is None:
            return None
        return self.jupyterNotebookStorage or ("shared" if self.nfsServer else "per-user")

    @property
    def notebook_storage_capacity(self) -> str:
        """Size of a per-user claim, or of the shared claim from a StorageClass."""
        default = SHARED_STORAGE_CAPACITY if self.notebook_storage == "shared" else USER_STORAGE_CAPACITY
        return self.jupyterNotebookStorageCapacity or default

    @property
    def hub_state_persistent(self) -> bool:
        """Whether /srv/jupyterhub is a claim (see jupyterHubStatePersistent)."""
        if self.jupyterHubStatePersistent is not None:
            return self.jupyterHubStatePersistent
        return self.jupyterHubAuthenticator == "native"

    @model_validator(mode="after")
    def _combinations(self) -> CoreParams:
        if not self.tfJobOperator and "tfJobImage" in self.model_fields_set:
            raise ValueError("tfJobImage only matters with tfJobOperator, which is false "
                             "(set tfJobOperator: true, or remove tfJobImage)")
        if self.jupyterHubAuthenticator == "native" and not self.jupyterHubAdminUsers:
            raise ValueError("jupyterHubAuthenticator: native needs jupyterHubAdminUsers: the admins who approve "
                             "sign-ups (e.g. jupyterHubAdminUsers: [admin])")
        dead = [f for f in ("jupyterHubStateStorageCapacity", "jupyterHubStateStorageClassName")
                if f in self.model_fields_set]
        if dead and not self.hub_state_persistent:
            raise ValueError(f"{' and '.join(dead)} only apply to persistent hub state, which is off (set "
                             f"jupyterHubStatePersistent: true, or remove {' and '.join(dead)})")
        shared = self.jupyterHubAuthenticator == "shared-password"
        if shared and self.jupyterHubPasswordSecret is None:
            keys = "keys user-password and admin-password" if self.jupyterHubAdminUsers else "key user-password"
            literals = "--from-literal=user-password=…" + (
                " --from-literal=admin-password=…" if self.jupyterHubAdminUsers else "")
            raise refused_at(
                ("jupyterHubAuthenticator",), "jupyterHubAuthenticator: shared-password needs "
                f"jupyterHubPasswordSecret: the name of the Secret you create with {keys}",
                found=self.jupyterHubAuthenticator, expected="jupyterHubPasswordSecret set beside it",
                hint=f"create the Secret (kubectl create secret generic hub-passwords {literals}) and set "
                     "jupyterHubPasswordSecret: hub-passwords, or choose another jupyterHubAuthenticator")
        if not shared and self.jupyterHubPasswordSecret is not None:
            raise ValueError("jupyterHubPasswordSecret only matters with jupyterHubAuthenticator: shared-password "
                             "(set it, or remove jupyterHubPasswordSecret)")
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
        storage = ("jupyterNotebookStorage", "jupyterNotebookStorageClassName", "jupyterNotebookStorageCapacity")
        dead = [f for f in storage if getattr(self, f) is not None]
        if dead and self.jupyterNotebookPVCMount is None:
            verb = "matters" if len(dead) == 1 else "matter"
            raise ValueError(f"{', '.join(dead)} only {verb} with jupyterNotebookPVCMount, which is unset "
                             f"(set where notebooks mount their storage, e.g. jupyterNotebookPVCMount: "
                             f"/home/jovyan/work, or remove {', '.join(dead)})")
        if self.nfsServer is not None:
            if self.jupyterNotebookStorage == "per-user":
                raise ValueError("nfsServer is one share for everyone, so jupyterNotebookStorage: per-user "
                                 "contradicts it (use jupyterNotebookStorage: shared, or remove nfsServer)")
            if self.jupyterNotebookStorageClassName is not None:
                raise ValueError("jupyterNotebookStorageClassName does not apply with nfsServer: the NFS volume is "
                                 "bound to its claim statically, without a StorageClass (remove one of them)")
            if self.jupyterNotebookStorageCapacity is not None:
                raise ValueError("the NFS claim's size is nfsCapacity: with nfsServer, set nfsCapacity instead of "
                                 "jupyterNotebookStorageCapacity")
        return self

