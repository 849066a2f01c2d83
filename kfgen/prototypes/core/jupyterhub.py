"""JupyterHub of ``core``: ConfigMap ``jupyterhub-config``, Services ``tf-hub-0`` (headless) and ``tf-hub-lb``,
StatefulSet ``tf-hub``, ServiceAccount ``jupyter-hub`` and Role/RoleBinding ``jupyter-role`` (what
KubeSpawner needs, nothing more: claims only with per-user storage).

Current JupyterHub images run the proxy (configurable-http-proxy) as its own process, so the ``tf-hub``
pod has a ``proxy`` sidecar next to the ``tf-hub`` container; their shared API token is generated inside
the pod at start-up (no Secret in the manifests).

The hub's ``jupyterhub_config.py`` is the package file ``jupyterhub_config.py.tmpl`` with the profile's
values put in (:func:`hub_config`).
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from math import ceil
from string import Template
from typing import Any

from kfgen.errors import KfgenError, Problem
from kfgen.kube import netpol
from kfgen.kube import objects as k8s
from kfgen.kube.constants import GPU_RESOURCE
from kfgen.kube.quantity import parse_quantity
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams
from kfgen.prototypes.core.storage import shared_claim
from kfgen.prototypes.params import GPU_TOLERATION, unused_opt_in

HUB_CONFIG_DIR = "/etc/config"
PROXY_TOKEN_DIR = "/run/jupyterhub-proxy"
HUB_CONFIG_TEMPLATE = "jupyterhub_config.py.tmpl"
HUB_LABELS = {"app": "tf-hub"}
NOTEBOOK_LABELS = {"kfgen.io/notebook": "true"}  # KubeSpawner puts them on every notebook pod (extra_labels)
NOTEBOOK_PORT = 8888  # KubeSpawner's default port of the notebook server
PROXY_PORT, HUB_API_PORT = 8000, 8081
HUB_STATE_DIR, HUB_STATE_VOLUME = "/srv/jupyterhub", "hub-db"  # the hub's working directory: its database
PASSWORD_DIR = "/etc/jupyterhub-passwords"  # jupyterHubPasswordSecret's keys (shared-password)
# the proxy-token init container runs one short Python script
TOKEN_INIT_RESOURCES = k8s.resources(requests={"cpu": "10m", "memory": "32Mi"},
                                     limits={"cpu": "100m", "memory": "64Mi"})


@cache
def _hub_config_template() -> Template:
    text = files("kfgen.prototypes.core").joinpath(HUB_CONFIG_TEMPLATE).read_text(encoding="utf-8")
    return Template(text)


def hub_config(ctx: RenderContext, p: CoreParams) -> str:
    """The jupyterhub_config.py of ConfigMap jupyterhub-config: :data:`HUB_CONFIG_TEMPLATE` with its
    ``$name`` placeholders filled in (:class:`string.Template`; the file has no other ``$``).

    Every placeholder stands for a Python literal (the value's ``repr``): the settings block at the top
    of the file, and the proxy token file. CPU choices are written as numbers of CPUs and memory choices
    as bytes (what KubeSpawner's cpu_limit and mem_limit take), each with the profile's quantity as its label.
    """
    cpus, memory, gpus = spawn_choices(ctx, p)
    literals = {
        "namespace": ctx.namespace,
        "images": list(p.jupyterNotebookImages),
        "allow_any_image": p.jupyterNotebookAllowAnyImage,
        "gpu_image": p.jupyterNotebookGpuImage,
        "cpu_choices": [(q, float(parse_quantity(q))) for q in cpus],
        "memory_choices": [(q, ceil(parse_quantity(q))) for q in memory],
        "max_gpus": gpus,
        "gpu_resource": GPU_RESOURCE,
        "gpu_toleration": GPU_TOLERATION.model_dump(exclude_none=True),
        "authenticator": p.jupyterHubAuthenticator or "dummy",
        "admin_users": list(p.jupyterHubAdminUsers),
        "notebook_labels": NOTEBOOK_LABELS,
        "mount": p.jupyterNotebookPVCMount,
        "storage": p.notebook_storage,
        "shared_claim": shared_claim(p),
        "storage_class": p.jupyterNotebookStorageClassName,
        "capacity": p.notebook_storage_capacity if p.notebook_storage == "per-user" else None,
        "token_file": f"{PROXY_TOKEN_DIR}/token",
        "password_dir": PASSWORD_DIR if p.jupyterHubPasswordSecret else None,
    }
    return _hub_config_template().substitute({name: repr(value) for name, value in literals.items()})


def spawn_choices(ctx: RenderContext, p: CoreParams) -> tuple[list[str], list[str], int]:
    """The CPU and memory choices of the spawn page and the most GPUs one can choose, bounded by the
    profile's nodes: a choice no node can hold would leave the notebook Pending forever. Choices set in
    the profile are refused when too big; the default choices are trimmed to what the largest node holds."""
    where = ("components", ctx.instance, "params")
    problems = []
    choices = {}
    for param, resource in (("jupyterNotebookCpuChoices", "cpu"), ("jupyterNotebookMemoryChoices", "memory")):
        values: list[str] = getattr(p, param)
        if not ctx.nodes:
            choices[resource] = values
            continue
        biggest = max(ctx.nodes, key=lambda n: parse_quantity(getattr(n, resource)))
        most = parse_quantity(getattr(biggest, resource))
        fits = [v for v in values if parse_quantity(v) <= most]
        if param not in p.model_fields_set and fits:
            choices[resource] = fits
            continue
        for i, value in enumerate(values):
            if parse_quantity(value) > most:
                problems.append(Problem(
                    f"a notebook with {resource} {value} fits on no node of the profile",
                    path=(*where, param, i) if param in p.model_fields_set else (*where, param),
                    expected=f"at most {getattr(biggest, resource)} (node {biggest.name})", found=value,
                    hint=f"remove the choice, or declare the node's {resource} under cluster.nodes"))
        choices[resource] = values
    gpus = p.jupyterNotebookMaxGpus
    largest = max(ctx.nodes, key=lambda n: n.gpus, default=None)  # the first of equals
    if gpus is None:
        gpus = largest.gpus if largest is not None else 1
    elif largest is not None and gpus > largest.gpus:
        problems.append(Problem(
            f"jupyterNotebookMaxGpus is {gpus}, more than any node of the profile has: a notebook with "
            f"{gpus} GPUs could never be scheduled",
            path=(*where, "jupyterNotebookMaxGpus"), found=str(gpus),
            expected=f"at most {largest.gpus}" + (f" (node {largest.name})" if largest.gpus else
                                                  " (no node of the profile has a GPU)"),
            hint="lower jupyterNotebookMaxGpus, or declare the node's gpus under cluster.nodes"))
    if problems:
        raise KfgenError(problems)
    return choices["cpu"], choices["memory"], gpus


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


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """JupyterHub's objects: its config map, Services, StatefulSet and RBAC."""
    check_exposure(ctx, p)
    ns = ctx.namespace
    config = hub_config(ctx, p)
    hub_labels = HUB_LABELS
    token_mount = k8s.volume_mount("proxy-token", PROXY_TOKEN_DIR)
    hub_user = k8s.security_context(run_as_user=1000, run_as_group=1000)  # the image's jovyan user
    template = k8s.pod_template(
        hub_labels,
        [
            k8s.container(
                "tf-hub", p.jupyterHubImage,
                command=["jupyterhub", "-f", f"{HUB_CONFIG_DIR}/jupyterhub_config.py"],
                ports=[k8s.container_port(8081)],
                volume_mounts=[k8s.volume_mount("config-volume", HUB_CONFIG_DIR, read_only=True),
                               k8s.volume_mount("proxy-token", PROXY_TOKEN_DIR, read_only=True),
                               # its working directory: jupyterhub.sqlite and the cookie secret, on the
                               # claim hub-db-tf-hub-0 (persistent hub state) or an emptyDir (as in ksonnet:
                               # a restarted hub forgets its state, user servers keep running)
                               k8s.volume_mount(HUB_STATE_VOLUME, HUB_STATE_DIR),
                               *([k8s.volume_mount("passwords", PASSWORD_DIR, read_only=True)]
                                 if p.jupyterHubPasswordSecret else [])],
                working_dir=HUB_STATE_DIR,
                readiness_probe=k8s.http_probe("/hub/health", 8081, initial_delay=5, period=10),
                security_context=hub_user,
                resources=p.jupyterHubResources.render(),
            ),
            k8s.container(
                "proxy", p.jupyterHubProxyImage,
                command=["sh", "-c", _RUN_PROXY],
                ports=[k8s.container_port(8000)],
                volume_mounts=[k8s.volume_mount("proxy-token", PROXY_TOKEN_DIR, read_only=True)],
                readiness_probe=k8s.http_probe("/_chp_healthz", 8000, initial_delay=5, period=10),
                security_context=k8s.security_context(run_as_user=65534, run_as_group=65534),  # nobody
                resources=p.jupyterHubProxyResources.render(),
            ),
        ],
        init_containers=[k8s.container("proxy-token", p.jupyterHubImage, command=["python3", "-c", _WRITE_TOKEN],
                                       volume_mounts=[token_mount], security_context=hub_user,
                                       resources=TOKEN_INIT_RESOURCES)],
        volumes=[k8s.config_map_volume("config-volume", "jupyterhub-config"),
                 k8s.empty_dir_volume("proxy-token", medium="Memory"),
                 *([] if p.hub_state_persistent else [k8s.empty_dir_volume(HUB_STATE_VOLUME)]),
                 # the user-created Secret, by name (no Secret value in the manifests); the hub waits for it
                 *([k8s.secret_volume("passwords", p.jupyterHubPasswordSecret)] if p.jupyterHubPasswordSecret
                   else [])],
        service_account="jupyter-hub",
        # the claim's files belong to the hub's group (an emptyDir is writable by anyone)
        pod_security_context=({"fsGroup": 1000, "fsGroupChangePolicy": "OnRootMismatch"}
                              if p.hub_state_persistent else None),
        # A changed config rolls the hub pod (a ConfigMap change alone would not).
        annotations={"checksum/jupyterhub-config": hashlib.sha256(config.encode()).hexdigest()},
    )
    return [
        k8s.config_map("jupyterhub-config", ns, {"jupyterhub_config.py": config}),
        # headless: notebooks resolve tf-hub-0.<namespace>.svc to the hub pod and call its API on 8081 (no
        # Service port is involved). The declared port stays ksonnet's 8000 "hub" (the proxy) for parity
        # with ksonnet's output (tests/test_parity.py); declaring 8081 needs a parity entry there first.
        k8s.service("tf-hub-0", ns, labels=hub_labels, cluster_ip="None", type=None,
                    ports=[k8s.port(8000, name="hub")], selector=hub_labels),
        k8s.service("tf-hub-lb", ns, labels={"app": "tf-hub-lb"}, type=p.jupyterHubServiceType,
                    ports=[k8s.port(80, 8000, name="hub")], selector=hub_labels,
                    external_ips=p.jupyterHubExternalIPs),
        hub_stateful_set(ns, template, p),
        k8s.role("jupyter-role", namespace=ns, rules=spawner_rules(p)),
        k8s.service_account("jupyter-hub", ns, labels={"app": "jupyter-hub"}),
        k8s.binding("jupyter-role", "jupyter-role", [k8s.sa_subject("jupyter-hub", ns)], namespace=ns),
        *(network_policies(ctx, p) if p.networkPolicies else []),
    ]


def hub_stateful_set(ns: str, template: dict[str, Any], p: CoreParams) -> dict[str, Any]:
    """StatefulSet tf-hub; with persistent hub state, its volumeClaimTemplate hub-db (claim hub-db-tf-hub-0,
    which outlives the StatefulSet: the default retention policy keeps it)."""
    sts = k8s.stateful_set("tf-hub", ns, service_name="tf-hub-0", template=template)
    if p.hub_state_persistent:
        spec: dict[str, Any] = {"accessModes": ["ReadWriteOnce"],  # one hub pod
                                "resources": {"requests": {"storage": p.jupyterHubStateStorageCapacity}}}
        if p.jupyterHubStateStorageClassName is not None:  # unset: the cluster's default StorageClass
            spec["storageClassName"] = p.jupyterHubStateStorageClassName
        spec["volumeMode"] = "Filesystem"
        # written as the API server stores it (it adds status.phase Pending to a claim template), so that
        # re-applying the StatefulSet changes nothing
        sts["spec"]["volumeClaimTemplates"] = [{"apiVersion": "v1", "kind": "PersistentVolumeClaim",
                                                "metadata": {"name": HUB_STATE_VOLUME, "labels": dict(HUB_LABELS)},
                                                "spec": spec, "status": {"phase": "Pending"}}]
    return sts


def spawner_rules(p: CoreParams) -> list[dict[str, Any]]:
    """What KubeSpawner does with the API: run notebook pods and read their events, and — only with per-user
    storage — create (and, when a user is deleted, delete) each user's claim. With shared or no storage it
    touches no claim, so it gets no PersistentVolumeClaim verb (it cannot delete the shared claim)."""
    resources = ["pods", "persistentvolumeclaims"] if p.notebook_storage == "per-user" else ["pods"]
    return [
        k8s.rule([""], resources, ["get", "list", "watch", "create", "delete"]),
        k8s.rule([""], ["events"], ["get", "list", "watch"]),
    ]


def network_policies(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """Who may reach the hub pod and the notebooks: the proxy's front door from the pods of the namespace
    (kubectl port-forward is not subject to NetworkPolicies), or from anywhere when the hub is exposed
    (tf-hub-lb NodePort/LoadBalancer, external IPs) or behind IAP (Google's load balancer reaches the pod
    from outside the cluster); the hub API from notebooks; notebooks from the hub pod (its proxy routes
    users to them, the hub checks on them)."""
    ns = ctx.namespace
    front_door = None if exposure(p) or p.jupyterHubAuthenticator == "iap" else [netpol.pods()]
    return [
        netpol.policy("tf-hub", ns, HUB_LABELS, [
            netpol.allow([PROXY_PORT], front_door),
            netpol.allow([HUB_API_PORT], [netpol.pods(NOTEBOOK_LABELS)]),
        ]),
        netpol.policy("jupyter-notebooks", ns, NOTEBOOK_LABELS, [
            netpol.allow([NOTEBOOK_PORT], [netpol.pods(HUB_LABELS)]),
        ]),
    ]


def exposure(p: CoreParams) -> list[str]:
    """How the hub is reachable from outside the cluster (empty: it is not)."""
    exposed = []
    if p.jupyterHubServiceType != "ClusterIP":
        exposed.append(f"jupyterHubServiceType: {p.jupyterHubServiceType}")
    if p.jupyterHubExternalIPs:
        exposed.append(f"jupyterHubExternalIPs: {', '.join(p.jupyterHubExternalIPs)}")
    return exposed


def check_exposure(ctx: RenderContext, p: CoreParams) -> None:
    """Refuse a hub anyone can use: exposed outside the cluster with the dummy authenticator (unless
    jupyterHubAllowUnauthenticatedExternalAccess says so), exposed with NativeAuthenticator whose accounts
    a restart would wipe, or IAP where its header can be forged."""
    exposed = exposure(p)
    where = ("components", ctx.instance, "params", "jupyterHubAuthenticator")
    auth = p.jupyterHubAuthenticator or "dummy"
    problems = []
    if auth == "dummy" and exposed and not p.jupyterHubAllowUnauthenticatedExternalAccess:
        problems.append(Problem(
            f"JupyterHub is reachable from outside the cluster ({'; '.join(exposed)}) with the dummy authenticator: "
            "anyone who reaches Service tf-hub-lb could log in with any name and password and run code in the "
            "cluster", path=where, found=p.jupyterHubAuthenticator or "unset (the dummy authenticator)",
            expected="an authenticator that authenticates (native)",
            hint="set jupyterHubAuthenticator: native with jupyterHubAdminUsers, or keep jupyterHubServiceType: "
            "ClusterIP without jupyterHubExternalIPs (use kubectl port-forward); "
            "jupyterHubAllowUnauthenticatedExternalAccess: true accepts the risk"))
    if auth == "native" and exposed and not p.hub_state_persistent:
        problems.append(Problem(
            f"JupyterHub is reachable from outside the cluster ({'; '.join(exposed)}) with NativeAuthenticator "
            "and its state in an emptyDir: every restart of the hub pod (each config change rolls it) wipes every "
            "account, and admins are approved on sign-up, so whoever first signs up as an admin name "
            f"({', '.join(p.jupyterHubAdminUsers)}) after a restart becomes admin",
            path=(*where[:-1], "jupyterHubStatePersistent"), found="false",
            expected="true (the hub's state on a PersistentVolumeClaim)",
            hint="remove jupyterHubStatePersistent: false (native keeps its state on a claim by default), or keep "
            "the hub ClusterIP without jupyterHubExternalIPs"))
    if auth == "iap" and (exposed or p.cloud != "gcp"):
        why = [f"the hub is reachable directly ({'; '.join(exposed)})"] if exposed else []
        if p.cloud != "gcp":
            why.append(f"cloud is {p.cloud or 'unset'}, not gcp")
        problems.append(Problem(
            f"jupyterHubAuthenticator: iap trusts the X-Goog-Authenticated-User-Email header, which anyone can "
            f"forge unless every request passes through Google's Identity-Aware Proxy: {' and '.join(why)}",
            path=where, found="'iap'", hint="use iap only with cloud: gcp and jupyterHubServiceType: ClusterIP "
            "without jupyterHubExternalIPs, behind an IAP-protected load balancer; or use native"))
    if problems:
        raise KfgenError(problems)


def security_warnings(p: CoreParams) -> list[str]:
    """What the user should know before applying: a hub exposed without authentication on purpose, or
    jupyterHubAllowUnauthenticatedExternalAccess set where it allows nothing (a real authenticator, or a hub not
    reachable from outside the cluster): it would silently cover a later change."""
    exposed = exposure(p)
    auth = p.jupyterHubAuthenticator or "dummy"
    if p.jupyterHubAllowUnauthenticatedExternalAccess and (auth != "dummy" or not exposed):
        why = (f"jupyterHubAuthenticator is {auth}: the hub authenticates its users" if auth != "dummy" else
               "jupyterHubServiceType is ClusterIP without jupyterHubExternalIPs: the hub is not reachable from "
               "outside the cluster")
        return [unused_opt_in("jupyterHubAllowUnauthenticatedExternalAccess", why)]
    if not exposed or auth != "dummy":
        return []
    return [f"JupyterHub is exposed outside the cluster ({'; '.join(exposed)}) with the dummy authenticator "
            "(jupyterHubAllowUnauthenticatedExternalAccess: true): anyone who reaches Service tf-hub-lb can log "
            "in with any name and password and run code in the cluster"]
