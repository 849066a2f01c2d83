"""The namespace-wide NetworkPolicies of ``core`` (with ``networkPolicies``): deny all ingress, then
let TFJob replicas reach each other. Each sub-system renders the allow rules of its own pods."""

from __future__ import annotations

from typing import Any

from kfgen.kube import netpol
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams

# the label training-operator v1 puts on every pod of a TFJob (its value: the TFJob's name)
TFJOB_NAME_LABEL = "training.kubeflow.org/job-name"


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """``default-deny-ingress`` for the namespace and ``tfjob-replicas``: the pods of TFJobs (those the
    profile renders and any created later) accept every port from TFJob pods of the namespace — the
    replicas of a job talk gRPC on ports the operator picks."""
    if not p.networkPolicies:
        return []
    ns = ctx.namespace
    tfjob_pods = netpol.pods(having=[TFJOB_NAME_LABEL])
    return [
        netpol.default_deny_ingress(ns),
        netpol.policy("tfjob-replicas", ns, None, [netpol.allow(peers=[tfjob_pods])], having=[TFJOB_NAME_LABEL]),
    ]
