"""Which cluster kubectl would talk to, and whether the profile allows it (``cluster.context``/``server``)."""

from __future__ import annotations

from dataclasses import dataclass

from kfgen.deploy.kubectl import Kubectl, failure
from kfgen.errors import KfgenError, Problem
from kfgen.profile import Profile


@dataclass(frozen=True)
class Target:
    """The kube context a command runs against, its API server URL, and the profile's pin (if any)."""

    context: str
    server: str
    pinned_context: str | None
    pinned_server: str | None

    @property
    def pinned(self) -> bool:
        return bool(self.pinned_context or self.pinned_server)

    def describe(self) -> str:
        return f"context '{self.context}' ({self.server})"


def pin_of(profile: Profile) -> tuple[str | None, str | None]:
    """The profile's ``cluster.context`` and ``cluster.server`` (both optional)."""
    cluster = profile.model.cluster  # type: ignore[attr-defined]
    return getattr(cluster, "context", None) or None, getattr(cluster, "server", None) or None


def _normal(url: str) -> str:
    return url.strip().rstrip("/").lower()


def resolve(kubectl: Kubectl, profile: Profile, context: str | None = None) -> Target:
    """Resolve ``--context`` (or kubectl's current context) and its server, and check the profile's pin.

    Raises :class:`KfgenError` naming both contexts (or servers) when they do not match; the
    returned target's context is then fixed on *kubectl*, so every later command uses it.
    """
    pinned_context, pinned_server = pin_of(profile)
    if context is None:
        res = kubectl.run("config", "current-context")
        if not res.ok or not res.stdout.strip():
            raise KfgenError(Problem(
                "kubectl has no current context" + (f": {res.errors()[-1]}" if res.errors() else ""),
                hint="choose one with --context NAME (see `kubectl config get-contexts`)"))
        context = res.stdout.strip()
    view = kubectl.run("config", "view", "--minify", f"--context={context}", "-o", "json")
    if not view.ok:
        raise KfgenError(Problem(f"kube context '{context}' cannot be used: "
                                 + ("; ".join(view.errors()) or f"kubectl exit {view.returncode}"),
                                 hint="see `kubectl config get-contexts`"))
    try:
        server = (view.json() or {})["clusters"][0]["cluster"]["server"]
    except (KeyError, IndexError, TypeError, ValueError):
        raise failure(view, f"reading the server of kube context '{context}'") from None
    target = Target(context, server, pinned_context, pinned_server)
    if pinned_context and pinned_context != context:
        raise KfgenError(Problem(
            f"profile '{profile.name}' is pinned to kube context '{pinned_context}', but kubectl would use "
            f"'{context}' ({server}); nothing was changed",
            expected=f"context '{pinned_context}' (cluster.context in the profile)", found=f"context '{context}'",
            hint=f"pass --context {pinned_context}, or switch with `kubectl config use-context {pinned_context}`"))
    if pinned_server and _normal(pinned_server) != _normal(server):
        raise KfgenError(Problem(
            f"profile '{profile.name}' is pinned to API server {pinned_server}, but kube context '{context}' "
            f"talks to {server}; nothing was changed",
            expected=f"{pinned_server} (cluster.server in the profile)", found=f"{server} (context '{context}')",
            hint="pass --context with a context for that server (see `kubectl config get-contexts`)"))
    kubectl.context = context
    return target


def unpinned_warning(profile: Profile, target: Target) -> str | None:
    if target.pinned:
        return None
    return (f"profile '{profile.name}' does not pin a cluster (cluster.context / cluster.server): "
            f"using kubectl's {target.describe()}")
