"""nvidia-device-plugin: NVIDIA's Kubernetes device plugin, the DaemonSet that makes ``nvidia.com/gpu`` exist.

Nothing can request a GPU before it runs (the 2018 article installed it by hand). kfgen renders upstream's
static DaemonSet (``nvidia-device-plugin.yml`` of NVIDIA/k8s-device-plugin) with:

* a pinned image (``image``, default :data:`DEFAULT_IMAGE`);
* scheduling on the profile's GPU nodes: a required node affinity ``kubernetes.io/hostname In [...]`` listing the
  ``cluster.nodes`` with ``gpus > 0`` (``nodeSelector`` replaces it, e.g. ``{nvidia.com/gpu.present: "true"}``
  for labelled pools); without GPU nodes in the profile it runs on every node (the plugin idles where there is
  no GPU, ``FAIL_ON_INIT_ERROR=false``) and kfgen says so;
* the ``nvidia.com/gpu`` NoSchedule toleration (GPU pools are tainted) and ``CriticalAddonsOnly``;
* CPU and memory requests and limits (``resources``; default 10m/32Mi requested, 100m/128Mi limit);
* least privilege: the one hostPath it needs (``/var/lib/kubelet/device-plugins``, where it registers with the
  kubelet), not privileged, no privilege escalation, every capability dropped, the runtime's seccomp profile;
  it runs as root (the kubelet's socket directory is root's), ``priorityClassName: system-node-critical``.

Usually an instance in ``namespace: kube-system``.
"""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from kfgen.kube import netpol
from kfgen.kube import objects as k8s
from kfgen.kube.constants import GPU_RESOURCE
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered
from kfgen.prototypes.params import IMAGE, QUALIFIED_NAME, BoundedResources

DEFAULT_IMAGE = "nvcr.io/nvidia/k8s-device-plugin:v0.17.0"
PLUGIN_DIR = "/var/lib/kubelet/device-plugins"
NAME = "nvidia-device-plugin-daemonset"
# the default resources (copied per instance)
_REQUESTS, _LIMITS = {"cpu": "10m", "memory": "32Mi"}, {"cpu": "100m", "memory": "128Mi"}


class DevicePluginParams(Params):
    """Parameters of nvidia-device-plugin."""

    image: str = Field(DEFAULT_IMAGE, pattern=IMAGE, description="Device plugin image (pin a tag or digest).")
    nodeSelector: dict[Annotated[str, Field(pattern=QUALIFIED_NAME)], str] | None = Field(
        None, description="Node labels to run on instead of the profile's GPU nodes, e.g. "
                          "{nvidia.com/gpu.present: 'true'}.")
    resources: BoundedResources = Field(
        default_factory=lambda: BoundedResources(requests=dict(_REQUESTS), limits=dict(_LIMITS)),
        json_schema_extra={"default": {"requests": _REQUESTS, "limits": _LIMITS}},
        description="Resources of the plugin container: CPU and memory requests and limits (default 10m/32Mi "
                    "requested, 100m/128Mi limit; the plugin idles between device health checks). Setting requests "
                    "or limits replaces that whole map.")
    failOnInitError: bool = Field(
        False, description="Exit when no GPU/driver is found (false: idle, so it may run on every node).")
    networkPolicy: bool = Field(
        True, description="A NetworkPolicy admitting no ingress to the plugin's pods: it serves the kubelet over a "
                          "unix socket and listens on no port (it only takes effect where the network plugin "
                          "enforces policies).")


def render(ctx: RenderContext, p: DevicePluginParams) -> Rendered:
    labels = {"name": "nvidia-device-plugin-ds"}
    warnings: list[str] = []
    gpu_nodes = sorted(n.name for n in ctx.nodes if n.gpus > 0)
    container = k8s.container(
        "nvidia-device-plugin-ctr", p.image,
        env=[k8s.env_var("FAIL_ON_INIT_ERROR", "true" if p.failOnInitError else "false")],
        volume_mounts=[k8s.volume_mount("device-plugin", PLUGIN_DIR)],
        resources=p.resources.render() or None,
        security_context={"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}})
    template = k8s.pod_template(labels, [container], volumes=[
        {"name": "device-plugin", "hostPath": {"path": PLUGIN_DIR, "type": "Directory"}}],
        pod_security_context={"seccompProfile": {"type": "RuntimeDefault"}})
    spec = template["spec"]
    spec["priorityClassName"] = "system-node-critical"
    spec["automountServiceAccountToken"] = False
    spec["tolerations"] = [{"key": "CriticalAddonsOnly", "operator": "Exists"},
                           {"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    if p.nodeSelector is not None:
        spec["nodeSelector"] = dict(sorted(p.nodeSelector.items()))
    elif gpu_nodes:
        spec["affinity"] = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
            {"matchExpressions": [{"key": "kubernetes.io/hostname", "operator": "In", "values": gpu_nodes}]}]}}}
    else:
        warnings.append("the profile declares no node with gpus > 0: the device plugin runs on every node "
                        "(declare gpus: on cluster.nodes, or set nodeSelector)")
    ds = k8s.obj("apps/v1", "DaemonSet", NAME, ctx.namespace, labels=labels, spec={
        "selector": {"matchLabels": labels}, "updateStrategy": {"type": "RollingUpdate"}, "template": template})
    objects = [ds]
    if p.networkPolicy:
        isolated = netpol.policy(NAME, ctx.namespace, labels, [])
        del isolated["spec"]["ingress"]  # no rule: nothing admitted (and no empty list the API server drops)
        objects.append(isolated)
    return Rendered(objects, warnings)


PROTOTYPE = Prototype(
    name="nvidia-device-plugin",
    summary="NVIDIA's device plugin DaemonSet on the profile's GPU nodes (pinned image, least privilege).",
    params=DevicePluginParams,
    render=render,
)
