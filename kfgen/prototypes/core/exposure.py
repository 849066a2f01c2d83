"""Ambassador and the TFJob dashboard outside the cluster: refused unless the profile opts in.

Neither authenticates anyone. An Ambassador Service of type NodePort or LoadBalancer hands every route of
the namespace to whoever reaches it (the TFJob dashboard at /tfjobs/, served models at /models/…, /k8s/ui/);
an exposed dashboard shows TFJobs, pods and their logs (of every namespace with ``tfJobNamespaced: false``).
So exposing one is a render error unless its ``…AllowUnauthenticatedExternalAccess`` param says so; then
the render carries a warning. The hub's own check (it has authenticators) is
:func:`kfgen.prototypes.core.jupyterhub.check_exposure`.
"""

from __future__ import annotations

from typing import NamedTuple

from kfgen.errors import KfgenError, Problem
from kfgen.prototypes.base import RenderContext
from kfgen.prototypes.core.params import CoreParams
from kfgen.prototypes.params import unused_opt_in


class Door(NamedTuple):
    service_type: str  # the param setting the Service type
    consent: str  # the param that accepts the risk
    service: str
    what: str  # what anyone who reaches it gets


def _doors(p: CoreParams) -> list[Door]:
    scope = "in this namespace" if p.tfJobNamespaced else "in every namespace (tfJobNamespaced: false)"
    k8s_ui = " and the Kubernetes dashboard route /k8s/ui/" if p.ambassadorKubernetesDashboardRoute else ""
    return [
        Door("tfAmbassadorServiceType", "tfAmbassadorAllowUnauthenticatedExternalAccess", "ambassador",
             f"every Ambassador route of the namespace without logging in: the TFJob dashboard at /tfjobs/ "
             f"(TFJobs, pods and their logs {scope}), served models at /models/…{k8s_ui}"),
        Door("tfJobUiServiceType", "tfJobUiAllowUnauthenticatedExternalAccess", "tf-job-dashboard",
             f"the TFJob dashboard without logging in: TFJobs, pods and their logs {scope}"),
    ]


def exposed(p: CoreParams) -> list[Door]:
    """The unauthenticated Services of ``p`` reachable from outside the cluster (NodePort/LoadBalancer)."""
    return [d for d in _doors(p) if getattr(p, d.service_type) != "ClusterIP"]


def check(ctx: RenderContext, p: CoreParams) -> None:
    """Refuse each exposed Service whose opt-in param is not set (every one in one error)."""
    where = ("components", ctx.instance, "params")
    problems = [
        Problem(f"Service {d.service} is reachable from outside the cluster ({d.service_type}: "
                f"{getattr(p, d.service_type)}) and authenticates nobody: anyone who reaches it gets {d.what}",
                path=(*where, d.service_type), found=getattr(p, d.service_type),
                expected="ClusterIP (reach it with kubectl port-forward)",
                hint=f"keep {d.service_type}: ClusterIP and use `kubectl -n {ctx.namespace} port-forward "
                f"svc/{d.service} 8080:80`; {d.consent}: true accepts the risk")
        for d in exposed(p) if not getattr(p, d.consent)]
    if problems:
        raise KfgenError(problems)


def warnings(p: CoreParams) -> list[str]:
    """What the user should know before applying: Services exposed without authentication on purpose."""
    return [f"Service {d.service} is exposed outside the cluster ({d.service_type}: {getattr(p, d.service_type)}) "
            f"without authentication ({d.consent}: true): anyone who reaches it gets {d.what}" for d in exposed(p)]


def unused_opt_ins(p: CoreParams) -> list[str]:
    """Opt-ins set for a Service that is not exposed (ClusterIP): they allow nothing now, and would let a later
    change of its type expose it without a word."""
    return [unused_opt_in(d.consent, f"{d.service_type} is ClusterIP: Service {d.service} is not reachable from "
                                     "outside the cluster")
            for d in _doors(p) if getattr(p, d.consent) and getattr(p, d.service_type) == "ClusterIP"]
