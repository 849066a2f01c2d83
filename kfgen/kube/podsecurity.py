"""The Kubernetes Pod Security Standards, as far as kfgen's output needs them: which level a pod meets.

:func:`pod_level` checks a pod spec against the ``baseline`` and ``restricted`` policies of the
Pod Security Standards (https://kubernetes.io/docs/concepts/security/pod-security-standards/, the
checks the API server's PodSecurity admission runs) and returns the strictest level it meets with
the reasons it misses the stricter ones. The pods are found by :func:`kfgen.kube.objects.pod_templates`.
The level of a Namespace is not derived from its pods: the profile's ``podSecurity`` declares it
(``restricted`` unless it says otherwise), and the render refuses a pod below its namespace's level
(:func:`kfgen.render.pipeline.namespaces`). tests/test_render_security_pss.py confirms each control, and
tests/test_pss.py every pod kfgen ships, on a real API server.
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
#: The sysctls baseline allows, as of Kubernetes 1.37 (DEFAULT_KUBERNETES_VERSION; the Namespace labels pin no
#: enforce-version, so the cluster's own applies): 1.0's five, ip_local_reserved_ports (1.27), the four TCP
#: keepalive/fin ones (1.29), tcp_rmem and tcp_wmem (1.32), tcp_slow_start_after_idle and tcp_notsent_lowat
#: (1.37). k8s.io/pod-security-admission policy/check_sysctls.go; tests/test_render_security_pss.py has a case per name.
#: The Kubernetes minor from which each is allowed (policy/check_sysctls.go's VersionedChecks).
SYSCTLS_SINCE: dict[str, tuple[int, int]] = {
    "kernel.shm_rmid_forced": (1, 0), "net.ipv4.ip_local_port_range": (1, 0),
    "net.ipv4.ip_unprivileged_port_start": (1, 0), "net.ipv4.tcp_syncookies": (1, 0),
    "net.ipv4.ping_group_range": (1, 0), "net.ipv4.ip_local_reserved_ports": (1, 27),
    "net.ipv4.tcp_keepalive_time": (1, 29), "net.ipv4.tcp_fin_timeout": (1, 29),
    "net.ipv4.tcp_keepalive_intvl": (1, 29), "net.ipv4.tcp_keepalive_probes": (1, 29),
    "net.ipv4.tcp_rmem": (1, 32), "net.ipv4.tcp_wmem": (1, 32),
    "net.ipv4.tcp_slow_start_after_idle": (1, 37), "net.ipv4.tcp_notsent_lowat": (1, 37)}
SAFE_SYSCTLS = frozenset(SYSCTLS_SINCE)


def safe_sysctls(kubernetes_version: str | None = None) -> frozenset[str]:
    """The sysctls baseline allows on a cluster of *kubernetes_version* ('1.31', 'v1.31.2'; None: the newest
    kfgen knows, :data:`SAFE_SYSCTLS`): the cluster's PodSecurity admission judges pods by its own version."""
    if kubernetes_version is None:
        return SAFE_SYSCTLS
    parts = str(kubernetes_version).strip().lstrip("v").split(".")
    try:
        minor = (int(parts[0]), int(parts[1]))
    except (IndexError, ValueError):
        return SAFE_SYSCTLS
    return _SAFE_BY_VERSION.setdefault(minor, frozenset(n for n, since in SYSCTLS_SINCE.items() if since <= minor))


_SAFE_BY_VERSION: dict[tuple[int, int], frozenset[str]] = {}
_RESTRICTED_VOLUMES = frozenset({
    "configMap", "csi", "downwardAPI", "emptyDir", "ephemeral", "image", "persistentVolumeClaim", "projected",
    "secret"})
#: SELinux types baseline allows (``""`` too); any user or role is refused.
_SELINUX_TYPES = frozenset({"", "container_t", "container_init_t", "container_kvm_t", "container_engine_t"})
#: AppArmor profile types baseline allows (securityContext.appArmorProfile.type); Unconfined is refused.
_APPARMOR_TYPES = frozenset({"RuntimeDefault", "Localhost"})
#: The legacy per-container AppArmor annotation (pod metadata) and the values baseline allows.
APPARMOR_ANNOTATION = "container.apparmor.security.beta.kubernetes.io/"


def _containers(spec: Json) -> Iterable[Json]:
    """The init, app and ephemeral containers, in that order (most pods have app containers only)."""
    init, main, ephemeral = spec.get("initContainers"), spec.get("containers"), spec.get("ephemeralContainers")
    if not init and not ephemeral:
        return main or []
    return [*(init or []), *(main or []), *(ephemeral or [])]


def baseline_violations(spec: Json) -> list[str]:
    """Why the pod spec does not meet ``baseline`` (empty: it does)."""
    return violations(spec)[0]


def restricted_violations(spec: Json) -> list[str]:
    """Why the pod spec does not meet ``restricted`` beyond ``baseline`` (empty: it does, if it meets baseline)."""
    return violations(spec)[1]


def _selinux(who: str, sc: Json, base: list[str]) -> None:
    options = sc.get("seLinuxOptions")
    if not options:
        return
    if options.get("type", "") not in _SELINUX_TYPES:
        base.append(f"{who}seLinuxOptions type {options['type']}")
    for field in ("user", "role"):
        if options.get(field):
            base.append(f"{who}seLinuxOptions {field} {options[field]}")


def _baseline_context(who: str, sc: Json, base: list[str]) -> None:
    """The baseline checks a pod's and a container's securityContext share: hostProcess, SELinux, AppArmor,
    seccomp Unconfined (*who*: 'pod ' for the pod's, 'container NAME: ' for a container's)."""
    if (sc.get("windowsOptions") or {}).get("hostProcess"):
        base.append(f"{who}windowsOptions.hostProcess: true")
    _selinux(who, sc, base)
    apparmor = (sc.get("appArmorProfile") or {}).get("type")
    if apparmor is not None and apparmor not in _APPARMOR_TYPES:
        base.append(f"{who}appArmorProfile {apparmor}")
    if (sc.get("seccompProfile") or {}).get("type") == "Unconfined":
        base.append(f"{who}seccompProfile Unconfined")


_PROBES = ("livenessProbe", "readinessProbe", "startupProbe")


def _probe_hosts(container: Json) -> list[tuple[str, str]]:
    """Baseline's "host probes and lifecycle hooks" (Kubernetes 1.34+): a probe's or lifecycle handler's
    ``httpGet.host`` / ``tcpSocket.host`` must be unset or empty (a kubelet probe aimed at another host)."""
    handlers = [(p, container.get(p)) for p in _PROBES]
    lifecycle = container.get("lifecycle") or {}
    handlers += [(f"lifecycle.{hook}", lifecycle.get(hook)) for hook in ("postStart", "preStop")]
    found = []
    for where, handler in handlers:
        if not handler:
            continue
        for action in ("httpGet", "tcpSocket"):
            host = (handler.get(action) or {}).get("host")
            if host:
                found.append((f"{where}.{action}", host))
    return found


def violations(spec: Json, annotations: Json | None = None,
               kubernetes_version: str | None = None) -> tuple[list[str], list[str]]:
    """(:func:`baseline_violations`, :func:`restricted_violations`) of the pod spec (and its template's
    *annotations*: the legacy AppArmor ones), in one pass over it (the render labels every Namespace from the
    pods of 1,000s of objects). Every control of the Pod Security Standards is checked: baseline's
    hostProcess, host namespaces, privileged, capabilities, hostPath, host ports, host probes and lifecycle
    hooks, AppArmor (field and annotation), SELinux, /proc mount, seccomp and sysctls; restricted's volume
    types, privilege escalation, runAsNonRoot, runAsUser 0, seccomp and capabilities.

    A pod shaped as kfgen renders them (:func:`_plainly_restricted`: only the fields that cannot break a
    control, set as ``restricted`` wants) is answered from the keys it has; any other goes through every
    control (:func:`_violations`). *kubernetes_version*: the cluster's, which decides the sysctls baseline
    allows (:func:`safe_sysctls`; None: the newest)."""
    if _plainly_restricted(spec, annotations):
        return [], []
    return _violations(spec, annotations, kubernetes_version)


#: Pod spec fields that may break a control and that :func:`_plainly_restricted` leaves to :func:`_violations`
#: (no pod of kfgen's has them).
_POD_FIELDS_TO_CHECK = frozenset({"hostNetwork", "hostPID", "hostIPC", "ephemeralContainers"})
_PLAIN_VOLUME_FIELDS = _RESTRICTED_VOLUMES | {"name"}
#: securityContext fields that break no control whatever their value, or whose value
#: :func:`_plainly_restricted` checks (runAsUser, runAsNonRoot, seccompProfile, capabilities,
#: allowPrivilegeEscalation); any other field (privileged, sysctls, seLinuxOptions …) sends the pod to the full check.
_PLAIN_POD_CONTEXT = frozenset({"runAsUser", "runAsGroup", "runAsNonRoot", "fsGroup", "fsGroupChangePolicy",
                                "supplementalGroups", "seccompProfile"})
_PLAIN_CONTEXT = frozenset({"allowPrivilegeEscalation", "capabilities", "runAsUser", "runAsGroup", "runAsNonRoot",
                            "readOnlyRootFilesystem", "seccompProfile"})
_RESTRICTED_SECCOMP = ("RuntimeDefault", "Localhost")  # a tuple: `in` compares, never hashes
_HANDLER_ACTIONS = ("httpGet", "tcpSocket")
#: Container fields a control reads besides securityContext (host ports, probes' and hooks' hosts).
_CONTAINER_FIELDS_TO_CHECK = frozenset({"ports", "lifecycle", *_PROBES})
#: The securityContext kfgen.kube.objects.security_context() writes by default (most containers kfgen renders):
#: equal to it (and with False and True, not 0 and 1, which compare equal) it meets every control.
_DEFAULT_CONTEXT = {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}, "runAsNonRoot": True,
                    "seccompProfile": {"type": "RuntimeDefault"}}


def _plainly_restricted(spec: Json, annotations: Json | None) -> bool:
    """Whether the pod plainly meets ``restricted``: True only when :func:`_violations` would find nothing
    (tests/test_perf_render_podsecurity.py compares the two); False sends the pod to the full check, which also
    gives the same exceptions for values of the wrong type (a pod of a user's object that is not valid yet). It
    reads what the controls read, from the fields the pod has: no field outside those that cannot break a
    control, no AppArmor annotation, volumes of the types ``restricted`` allows, no host in a probe, no host
    port, no lifecycle hooks, and each container's securityContext as :func:`kfgen.kube.objects.security_context`
    writes it (no privilege escalation, ALL dropped, at most NET_BIND_SERVICE added, non-root, seccomp
    RuntimeDefault or Localhost, on the container or the pod)."""
    if type(spec) is not dict or not _POD_FIELDS_TO_CHECK.isdisjoint(spec):
        return False
    if annotations:
        if type(annotations) is not dict or not all(
                type(key) is str and not key.startswith(APPARMOR_ANNOTATION) for key in annotations):
            return False
    pod_sc = spec.get("securityContext")
    pod_seccomp = pod_non_root = None
    if pod_sc:
        if type(pod_sc) is not dict or not _PLAIN_POD_CONTEXT.issuperset(pod_sc) or pod_sc.get("runAsUser") == 0:
            return False
        seccomp = pod_sc.get("seccompProfile")
        if seccomp:
            if type(seccomp) is not dict:
                return False
            pod_seccomp = seccomp.get("type")
            if pod_seccomp is not None and pod_seccomp not in _RESTRICTED_SECCOMP:
                return False
        pod_non_root = pod_sc.get("runAsNonRoot")
    volumes = spec.get("volumes")
    if volumes and (type(volumes) is not list
                    or not all(type(v) is dict and _PLAIN_VOLUME_FIELDS.issuperset(v) for v in volumes)):
        return False
    init, main = spec.get("initContainers"), spec.get("containers")
    if (init and type(init) is not list) or (main and type(main) is not list):
        return False
    for c in [*init, *main] if init and main else init or main or ():
        if type(c) is not dict:
            return False
        sc = c.get("securityContext")
        if not (sc == _DEFAULT_CONTEXT and sc["allowPrivilegeEscalation"] is False and sc["runAsNonRoot"] is True
                or _plain_context(sc, pod_non_root, pod_seccomp)):
            return False
        if _CONTAINER_FIELDS_TO_CHECK.isdisjoint(c):
            continue
        if c.get("lifecycle"):
            return False
        ports = c.get("ports")
        if ports and (type(ports) is not list or not all(type(p) is dict and not p.get("hostPort") for p in ports)):
            return False
        for probe in _PROBES:
            handler = c.get(probe)
            if handler:
                if type(handler) is not dict:
                    return False
                for action in _HANDLER_ACTIONS:
                    target = handler.get(action)
                    if target and (type(target) is not dict or target.get("host")):
                        return False
    return True


def _plain_context(sc: Any, pod_non_root: Any, pod_seccomp: Any) -> bool:
    """Whether a container's securityContext *sc* (in a pod whose own says *pod_non_root*, *pod_seccomp*) breaks
    no control, read as :func:`_plainly_restricted` reads a pod (False: not plainly)."""
    if (type(sc) is not dict or not _PLAIN_CONTEXT.issuperset(sc) or sc.get("allowPrivilegeEscalation") is not False
            or sc.get("runAsNonRoot", pod_non_root) is not True or sc.get("runAsUser") == 0):
        return False
    caps = sc.get("capabilities")
    if type(caps) is not dict:
        return False
    drop, added = caps.get("drop"), caps.get("add")
    if type(drop) is not list or "ALL" not in drop or not caps.keys() <= {"drop", "add"}:
        return False
    if added and (type(added) is not list or not all(type(a) is str and a == "NET_BIND_SERVICE" for a in added)):
        return False
    seccomp = sc.get("seccompProfile")
    if not seccomp:
        return pod_seccomp is not None  # then RuntimeDefault or Localhost (_plainly_restricted checked it)
    return type(seccomp) is dict and seccomp.get("type", pod_seccomp) in _RESTRICTED_SECCOMP


def _violations(spec: Json, annotations: Json | None = None,
                kubernetes_version: str | None = None) -> tuple[list[str], list[str]]:
    """:func:`violations`, control by control."""
    base: list[str] = []
    restricted: list[str] = []
    if annotations:
        for key, value in sorted(annotations.items()):
            if key.startswith(APPARMOR_ANNOTATION) and not (
                    value in ("", "runtime/default") or str(value).startswith("localhost/")):
                base.append(f"container {key[len(APPARMOR_ANNOTATION):]}: AppArmor annotation {value}")
    if spec.get("hostNetwork"):
        base.append("hostNetwork: true")
    if spec.get("hostPID"):
        base.append("hostPID: true")
    if spec.get("hostIPC"):
        base.append("hostIPC: true")
    volumes = spec.get("volumes")
    if volumes:
        if any("hostPath" in v for v in volumes):
            base.append("hostPath volume")
        for v in volumes:
            kinds = set(v) - {"name"}
            if not kinds <= _RESTRICTED_VOLUMES:
                restricted.append(f"volume {v.get('name')}: {', '.join(sorted(kinds - _RESTRICTED_VOLUMES))}")
    pod_sc = spec.get("securityContext") or {}
    if pod_sc:
        safe = safe_sysctls(kubernetes_version)
        for sysctl in pod_sc.get("sysctls") or []:
            if sysctl.get("name") not in safe:
                base.append(f"sysctl {sysctl.get('name')}")
        _baseline_context("pod ", pod_sc, base)
    pod_seccomp = (pod_sc.get("seccompProfile") or {}).get("type")
    if pod_sc.get("runAsUser") == 0:
        restricted.append("pod runAsUser: 0")
    pod_non_root = pod_sc.get("runAsNonRoot")
    for c in _containers(spec):
        name, sc = c.get("name"), c.get("securityContext") or {}
        caps = sc.get("capabilities") or {}
        added = caps.get("add")
        seccomp = sc.get("seccompProfile") or {}
        # baseline
        if sc.get("privileged"):
            base.append(f"container {name}: privileged")
        extra = sorted(set(added) - _BASELINE_CAPABILITIES) if added else None
        if extra:
            base.append(f"container {name}: adds capabilities {', '.join(extra)}")
        ports = c.get("ports")
        if ports and any(p.get("hostPort") for p in ports):
            base.append(f"container {name}: hostPort")
        if sc:
            _baseline_context(f"container {name}: ", sc, base)
        if sc.get("procMount") not in (None, "Default"):
            base.append(f"container {name}: procMount {sc['procMount']}")
        for where, host in _probe_hosts(c):
            base.append(f"container {name}: {where} host {host}")
        # restricted
        if sc.get("allowPrivilegeEscalation") is not False:
            restricted.append(f"container {name}: allowPrivilegeEscalation is not false")
        if sc.get("runAsNonRoot", pod_non_root) is not True:
            restricted.append(f"container {name}: runAsNonRoot is not true")
        if sc.get("runAsUser") == 0:
            restricted.append(f"container {name}: runAsUser: 0")
        if seccomp.get("type", pod_seccomp) not in _RESTRICTED_SECCOMP:
            restricted.append(f"container {name}: seccompProfile is not RuntimeDefault or Localhost")
        if "ALL" not in (caps.get("drop") or []):
            restricted.append(f"container {name}: capabilities do not drop ALL")
        extra = sorted(set(added) - {"NET_BIND_SERVICE"}) if added else None
        if extra:
            restricted.append(f"container {name}: adds capabilities {', '.join(extra)}")
    return base, restricted


def pod_level(spec: Json, annotations: Json | None = None,
              kubernetes_version: str | None = None) -> tuple[Level, list[str]]:
    """The strictest Pod Security Standard level *spec* (with its template's *annotations*) meets on a cluster
    of *kubernetes_version* (None: the newest kfgen knows), and why it misses the next stricter one."""
    base, restricted = violations(spec, annotations, kubernetes_version)
    if base:
        return "privileged", base
    return ("baseline", restricted) if restricted else ("restricted", [])

