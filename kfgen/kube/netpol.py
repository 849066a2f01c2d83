"""NetworkPolicy builders (``networking.k8s.io/v1``), ingress only.

kfgen's model: a namespace-wide default deny of ingress (:func:`default_deny_ingress`, rendered by
``core`` for its namespace), then one allow policy per component listing who may reach its pods on
which ports (:func:`policy` with :func:`allow`). NetworkPolicies add up: a pod receives what any
policy selecting it allows. Traffic from the pod's own node (kubelet probes) is always allowed.

Typical use::

    from kfgen.kube import netpol

    netpol.policy("web", ns, {"app": "web"}, [
        netpol.allow([8080], [netpol.pods({"app": "gateway"})]),  # from the gateway's pods
        netpol.allow([9090]),                                      # from anywhere
    ])
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

Json = dict[str, Any]

API_VERSION = "networking.k8s.io/v1"
DEFAULT_DENY = "default-deny-ingress"


def pods(labels: Mapping[str, str] | None = None, *, having: Sequence[str] = ()) -> Json:
    """A peer: the pods of the policy's namespace with *labels* (and the label keys *having*, any
    value); with neither, every pod of the namespace."""
    selector: Json = {}
    if labels:
        selector["matchLabels"] = dict(labels)
    if having:
        selector["matchExpressions"] = [{"key": key, "operator": "Exists"} for key in having]
    return {"podSelector": selector}


def allow(ports: Sequence[int | str] = (), peers: Sequence[Json] | None = None) -> Json:
    """One ingress rule: from *peers* (``None``: from anywhere, in or outside the cluster) to *ports*
    (TCP; empty: every port)."""
    rule: Json = {}
    if peers is not None:
        rule["from"] = list(peers)
    if ports:
        rule["ports"] = [{"port": port, "protocol": "TCP"} for port in ports]
    return rule


def policy(name: str, namespace: str, selector: Mapping[str, str] | None, rules: Sequence[Json], *,
           having: Sequence[str] = (), labels: Mapping[str, str] | None = None) -> Json:
    """An ingress NetworkPolicy for the pods with *selector* labels (and label keys *having*)."""
    pod_selector = pods(selector, having=having)["podSelector"]
    meta: Json = {"name": name, "namespace": namespace}
    if labels:
        meta["labels"] = dict(labels)
    spec: Json = {"podSelector": pod_selector, "policyTypes": ["Ingress"], "ingress": list(rules)}
    return {"apiVersion": API_VERSION, "kind": "NetworkPolicy", "metadata": meta, "spec": spec}


def default_deny_ingress(namespace: str, *, labels: Mapping[str, str] | None = None) -> Json:
    """Every pod of *namespace* isolated for ingress: only what another policy allows gets in."""
    out = policy(DEFAULT_DENY, namespace, None, [], labels=labels)
    del out["spec"]["ingress"]
    return out
