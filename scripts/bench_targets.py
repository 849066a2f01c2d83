"""Helpers for scripts/bench.py: the issue-13 table (every figure as a ratio measured in the same run),
peak memory of child processes, and the jsonnet comparison program.

Not part of the kfgen package; imported by scripts/bench.py (``scripts/`` is on ``sys.path``).
"""

from __future__ import annotations

import json
import os
import subprocess
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import yaml

REFERENCE_CORE = Path("../shared/reference/ksonnet-v0.1/a-core-defaults.yaml")


def run_measured(cmd: Sequence[str | os.PathLike[str]], cwd: Path,
                 env: dict[str, str] | None = None) -> tuple[float, int, int]:
    """(wall seconds, exit code, peak RSS in KiB) of *cmd* in a new process (``os.wait4``'s rusage of
    that one child: ``ru_maxrss``)."""
    # Linux carries the pre-exec high-water mark across exec, so a child forked straight from this
    # (large) benchmark process would report our size: GNU time forks the command from a small process.
    gnu_time = Path("/usr/bin/time")
    with tempfile.TemporaryFile() as out, tempfile.NamedTemporaryFile("r") as rss:
        argv = [str(c) for c in cmd]
        if gnu_time.exists():
            argv = [str(gnu_time), "-f", "%M", "-o", rss.name, *argv]
        start = time.perf_counter()
        proc = subprocess.Popen(argv, cwd=cwd, stdin=subprocess.DEVNULL, stdout=out, stderr=subprocess.STDOUT, env=env)
        _, status, usage = os.wait4(proc.pid, 0)
        elapsed = time.perf_counter() - start
        code = os.waitstatus_to_exitcode(status)
        text = rss.read().strip().splitlines()
        kib = int(text[-1]) if gnu_time.exists() and text and text[-1].isdigit() else usage.ru_maxrss
    return elapsed, code, kib


def _libsonnet() -> str:
    """A small ksonnet-lib stand-in: constructors and mixins the way k.libsonnet builds objects."""
    return """{
  core:: { v1:: {
    list:: { new(items):: { apiVersion: 'v1', kind: 'List', items: items } },
  } },
  obj(apiVersion, kind, name):: { apiVersion: apiVersion, kind: kind, metadata: { name: name } },
  withNamespace(ns):: { metadata+: { namespace: ns } },
  withLabels(labels):: { metadata+: { labels+: labels } },
  withSpec(spec):: { spec+: spec },
}
"""


def core_jsonnet(objects: list[dict[str, Any]], namespace: str = "kubeflow") -> tuple[str, str]:
    """(main program, library) rebuilding *objects* ksonnet-style: each object from a constructor plus
    mixins (namespace, labels, the rest of its fields), parameters as a local object, ``std.prune``
    over the list, as Kubeflow v0.1's ``components/kubeflow-core.jsonnet`` did."""
    parts = []
    for obj in objects:
        meta = dict(obj.get("metadata") or {})
        rest = {k: v for k, v in obj.items() if k not in ("apiVersion", "kind", "metadata")}
        labels = meta.pop("labels", None)
        ns = meta.pop("namespace", None)
        name = meta.pop("name", "")
        expr = f"k.obj({json.dumps(obj.get('apiVersion'))}, {json.dumps(obj.get('kind'))}, {json.dumps(name)})"
        if ns is not None:
            expr += " + k.withNamespace(params.namespace)"
        if labels:
            expr += f" + k.withLabels({json.dumps(labels)})"
        if meta:
            expr += f" + {{ metadata+: {json.dumps(meta)} }}"
        if rest:
            expr += f" + {json.dumps(rest)}"
        parts.append(expr)
    main = ('local k = import "k.libsonnet";\n'
            f'local params = {{ namespace: {json.dumps(namespace)}, name: "kubeflow-core" }};\n'
            "std.prune(k.core.v1.list.new([\n  " + ",\n  ".join(parts) + "\n]))\n")
    return main, _libsonnet()


def core_objects(root: Path) -> tuple[list[dict[str, Any]], str]:
    """The Kubeflow v0.1 core objects ksonnet rendered (shared reference), else kfgen's cpu-laptop
    output of kubeflow-core; with a description of which."""
    ref = (root / REFERENCE_CORE).resolve()
    if ref.is_file():
        docs = [d for d in yaml.safe_load_all(ref.read_text(encoding="utf-8")) if d]
        items = [o for d in docs for o in (d.get("items") if d.get("kind") == "List" else [d])]
        return items, f"the {len(items)} objects of ksonnet's own Kubeflow v0.1 core render ({REFERENCE_CORE.name})"
    out = root / "out" / "cpu-laptop"
    items = [d for p in sorted(out.glob("*.yaml")) for d in yaml.safe_load_all(p.read_text(encoding="utf-8")) if d]
    return items, f"the {len(items)} objects of kfgen's out/cpu-laptop (shared reference absent)"


def write_core_program(root: Path, tmp: Path) -> tuple[Path, Path, str, int]:
    """Write the program (with ``std.prune``, as Kubeflow's component had it, and without), and its
    library, into *tmp*/jsonnet; (pruned main, unpruned main, description, size in bytes)."""
    objects, what = core_objects(root)
    main, lib = core_jsonnet(objects)
    d = tmp / "jsonnet"
    d.mkdir(exist_ok=True)
    (d / "k.libsonnet").write_text(lib, encoding="utf-8")
    path = d / "kubeflow-core.jsonnet"
    path.write_text(main, encoding="utf-8")
    plain = d / "kubeflow-core-noprune.jsonnet"
    plain.write_text(main.replace("std.prune(k.core.v1.list.new(", "(k.core.v1.list.new("), encoding="utf-8")
    return path, plain, what, len(main) + len(lib)


def ratio_row(value: float | None, base: float | None, target: float, unit: str = "×") -> str:
    """'0.42× (target ≤ 1.5×, met)' or 'not measured'."""
    if value is None or base is None or base <= 0:
        return "not measured"
    r = value / base
    return f"{r:.2f}{unit} (target ≤ {target:g}{unit}, {'met' if r <= target else 'not met'})"
