"""Usage reporting of ``core`` (only with ``reportUsage``): the spartakus volunteer, as ksonnet ran it."""

from __future__ import annotations

import hashlib
from typing import Any

from kfgen.kube import objects as k8s
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import USAGE_DATABASE, CoreParams


def usage_id(ctx: RenderContext, p: CoreParams) -> str:
    """The cluster id sent by spartakus: the param, or a stable hash of profile/namespace/instance."""
    if p.usageId is not None:
        return p.usageId
    return hashlib.sha256(f"{ctx.profile}/{ctx.namespace}/{ctx.instance}".encode()).hexdigest()[:16]


def objects(ctx: RenderContext, p: CoreParams) -> list[dict[str, Any]]:
    """The usage reporter's objects (none without reportUsage)."""
    if not p.reportUsage:
        return []
    ns = ctx.namespace
    app = {"app": "spartakus"}
    template = k8s.pod_template({"app": "spartakus-volunteer"}, [k8s.container(
        "volunteer", p.spartakusImage,
        args=["volunteer", f"--cluster-id={usage_id(ctx, p)}", f"--database={USAGE_DATABASE}"],
        # the image sets no user; the volunteer only reads nodes from the API and posts a report: it runs as nobody
        security_context=k8s.security_context(run_as_user=65534, run_as_group=65534),
        resources=p.spartakusResources.render(),
    )], service_account="spartakus")
    return [
        k8s.role("spartakus", [k8s.rule([""], ["nodes"], ["get", "list"])], labels=app),
        k8s.binding("spartakus", "spartakus", [k8s.sa_subject("spartakus", ns)], labels=app),
        k8s.service_account("spartakus", ns, labels=app),
        k8s.deployment("spartakus-volunteer", ns, template=template, replicas=1),
    ]
