"""The Kubernetes Pod Security Standards, as far as kfgen's output needs them: which level a pod meets.

:func:`pod_level` checks a pod spec against the ``baseline`` and ``restricted`` policies of the
Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/, the
checks the API server's PodSecurity admission runs) and returns the strictest level it meets with
the reasons it misses the stricter ones. :func:`pod_specs` finds the pod templates of workloads
(Deployment, StatefulSet, DaemonSet, ReplicaSet, Job, CronJob, TFJob replicas). The render pipeline
labels each Namespace with the lowest level its pods meet; tests/test_pss.py proves the claim on a
real API server.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, Literal

Json = dict[str, Any]
Level = Literal["privileged", "baseline", "restricted"]
LEVELS: tuple[Level, ...] = ("privileged", "baseline", "restricted")  # weakest first

# The label keys of the PodSecurity admission plugin on a Namespace.
ENFORCE_LABEL = "pod-security.kubernetes.io/enforce"
AUDIT_LABEL = "pod-security.kubernetes.io/audit"
WARN_LABEL = "pod-security.kubernetes.io/warn"

_BASELINE_CAPABILITIES = frozenset({
    "AUDIT_WRITE", "CHOWN", "DAC_OVERRIDE", "FOWNER", "FSETID", "KILL", "MKNOD", "NET_BIND_SERVICE",
    "SETFCAP", "SETGID", "SETPCAP", "SETUID", "SYS_CHROOT"})
_SAFE_SYSCTLS = frozenset({
    "kernel.shm_rmid_forced", "net.ipv4.ip_local_port_range", "net.ipv4.ip_unprivileged_port_start",
    "net.ipv4.tcp_syncookies", "net.ipv4.ping_group_range", "net.ipv4.ip_local_reserved_ports",
    "net.ipv4.tcp_keepalive_time", "net.ipv4.tcp_fin_timeout", "net.ipv4.tcp_keepalive_intvl",
    "net.ipv4.tcp_keepalive_probes"})
_RESTRICTED_VOLUMES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected",
    "secret"})
_WORKLOAD_KINDS = frozenset({"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job", "ReplicationController"})


def _containers(spec: Json) -> Iterable[Json]:
    """The init, app and ephemeral containers, in that order (most pods have app containers only)."""
    init, main, ephemeral = spec.get("initContainers"), spec.get("containers"), spec.get("ephemeralContainers")
    if not init and not ephemeral:
        return main or []
    return [*(init or []), *(main or []), *(ephemeral or [])]


def baseline_violations(spec: Json) -> list[str]:
    """Why the pod spec does not meet ``baseline`` (empty: it does)."""
    out = []
    if spec.get("hostNetwork"):
        out.append("hostNetwork: true")
    if spec.get("hostPID"):
        out.append("hostPID: true")
    if spec.get("hostIPC"):
        out.append("hostIPC: true")
    volumes = spec.get("volumes")
    if volumes and any("hostPath" in v for v in volumes):
        out.append("hostPath volume")
    pod_sc = spec.get("securityContext")
    if pod_sc:
        for sysctl in pod_sc.get("sysctls") or []:
            if sysctl.get("name") not in _SAFE_SYSCTLS:
                out.append(f"sysctl {sysctl.get('name')}")
        seccomp = pod_sc.get("seccompProfile")
        if seccomp and seccomp.get("type") == "Unconfined":
            out.append("pod seccompProfile Unconfined")
    for c in _containers(spec):
        sc = c.get("securityContext")
        if sc:
            if sc.get("privileged"):
                out.append(f"container {c.get('name')}: privileged")
            caps = sc.get("capabilities")
            added = caps.get("add") if caps else None
            extra = sorted(set(added) - _BASELINE_CAPABILITIES) if added else None
            if extra:
                out.append(f"container {c.get('name')}: adds capabilities {', '.join(extra)}")
        ports = c.get("ports")
        if ports and any(p.get("hostPort") for p in ports):
            out.append(f"container {c.get('name')}: hostPort")
        if sc:
            seccomp = sc.get("seccompProfile")
            if seccomp and seccomp.get("type") == "Unconfined":
                out.append(f"container {c.get('name')}: seccompProfile Unconfined")
            if sc.get("procMount") not in (None, "Default"):
                out.append(f"container {c.get('name')}: procMount {sc['procMount']}")
    return out


def restricted_violations(spec: Json) -> list[str]:
    """Why the pod spec does not meet ``restricted`` beyond ``baseline`` (empty: it does, if it meets baseline)."""
    out = []
    for v in spec.get("volumes") or []:
        kinds = set(v) - {"name"}
        if not kinds <= _RESTRICTED_VOLUMES:
            out.append(f"volume {v.get('name')}: {', '.join(sorted(kinds - _RESTRICTED_VOLUMES))}")
    pod_sc = spec.get("securityContext") or {}
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_sc.get("runAsUser") == 0:
        out.append("pod runAsUser: 0")
    pod_non_root = pod_sc.get("runAsNonRoot")
    for c in _containers(spec):
        sc = c.get("securityContext") or {}
        if sc.get("allowPrivilegeEscalation") is not False:
            out.append(f"container {c.get('name')}: allowPrivilegeEscalation is not false")
        if sc.get("runAsNonRoot", pod_non_root) is not True:
            out.append(f"container {c.get('name')}: runAsNonRoot is not true")
        if sc.get("runAsUser") == 0:
            out.append(f"container {c.get('name')}: runAsUser: 0")
        seccomp = sc.get("seccompProfile")
        if (seccomp.get("type", pod_seccomp) if seccomp else pod_seccomp) not in ("RuntimeDefault", "Localhost"):
            out.append(f"container {c.get('name')}: seccompProfile is not RuntimeDefault or Localhost")
        caps = sc.get("capabilities")
        if not caps or "ALL" not in (caps.get("drop") or ()):
            out.append(f"container {c.get('name')}: capabilities do not drop ALL")
        added = caps.get("add") if caps else None
        extra = sorted(set(added) - {"NET_BIND_SERVICE"}) if added else None
        if extra:
            out.append(f"container {c.get('name')}: adds capabilities {', '.join(extra)}")
    return out


def pod_level(spec: Json) -> tuple[Level, list[str]]:
    """The strictest Pod Security Standard level *spec* meets, and why it misses the next stricter one."""
    base = baseline_violations(spec)
    if base:
        return "privileged", base
    restricted = restricted_violations(spec)
    return ("baseline", restricted) if restricted else ("restricted", [])


def lowest(levels: Iterable[Level]) -> Level:
    """The weakest of *levels* (``restricted`` when there are none: no pod needs more)."""
    return min(levels, key=LEVELS.index, default="restricted")


def pod_specs(obj: Json) -> list[tuple[str, Json]]:
    """(where, pod spec) for every pod template in *obj*: workloads, CronJobs and TFJob replicas (by type name)."""
    kind, spec = obj.get("kind"), obj.get("spec") or {}
    if kind == "Pod":
        return [("", spec)]
    if kind in _WORKLOAD_KINDS:
        return [("", (spec.get("template") or {}).get("spec") or {})]
    if kind == "CronJob":
        return [("", ((spec.get("jobTemplate") or {}).get("spec", {}).get("template") or {}).get("spec") or {})]
    if kind == "TFJob":
        replicas = spec.get("tfReplicaSpecs") or {}
        return [(rtype, (replicas[rtype].get("template") or {}).get("spec") or {}) for rtype in sorted(replicas)]
    return []
