"""kubeconform, fully offline: find the binary, run it with only the exported schemas
(:mod:`kfgen.validate.export`), and turn its JSON output into :class:`kfgen.errors.Problem` records."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from kfgen.errors import Problem, object_ident
from kfgen.validate.export import SCHEMA_TEMPLATE
from kfgen.validate.manifests import read_manifests


def find_kubeconform(*, include_cache: bool = True) -> Path | None:
    """``$KFGEN_TOOLS_DIR/kubeconform``, else ``~/.cache/kfgen/bin/kubeconform`` (scripts/tools.sh),
    else ``kubeconform`` on PATH; None when there is none."""
    candidates = []
    if os.environ.get("KFGEN_TOOLS_DIR"):
        candidates.append(Path(os.environ["KFGEN_TOOLS_DIR"]) / "kubeconform")
    if include_cache:
        candidates.append(Path.home() / ".cache" / "kfgen" / "bin" / "kubeconform")
    for cand in candidates:
        if cand.is_file() and os.access(cand, os.X_OK):
            return cand
    found = shutil.which("kubeconform")
    return Path(found) if found else None


@dataclass
class KubeconformResult:
    findings: list[Problem]
    valid: int = 0
    invalid: int = 0
    errors: int = 0
    skipped: int = 0
    seconds: float = 0.0
    command: list[str] = field(default_factory=list)

    @property
    def resources(self) -> int:
        return self.valid + self.invalid + self.errors + self.skipped

    @property
    def ok(self) -> bool:
        return not self.findings


_AT = re.compile(r"(\s*)- at '([^']*)': ")


def parse_kubeconform_message(msg: str) -> list[tuple[str, str]]:
    """(JSON pointer, message) of every leaf error in kubeconform's ``msg``.

    kubeconform prints santhosh-tekuri/jsonschema's error tree with newlines replaced by spaces:
    ``... - at '/spec': validation failed   - at '/spec/replicas': got string, want integer``; two
    more spaces of indentation per level. Leaves are kept; a parent's own text (other than
    "validation failed") prefixes its leaves, e.g. ``invalid propertyName 'Boss': value must be one
    of ...``.
    """
    matches = list(_AT.finditer(msg))
    entries = []
    for i, m in enumerate(matches):
        end = matches[i + 1].start() if i + 1 < len(matches) else len(msg)
        entries.append((max(0, len(m.group(1)) - 1) // 2, m.group(2), msg[m.end():end].strip()))
    out: list[tuple[str, str]] = []
    stack: list[tuple[int, str]] = []  # (depth, text) of the current ancestors
    for i, (depth, pointer, text) in enumerate(entries):
        while stack and stack[-1][0] >= depth:
            stack.pop()
        if i + 1 < len(entries) and entries[i + 1][0] > depth:
            stack.append((depth, text))
            continue
        context = [t for _, t in stack if t != "validation failed"]
        out.append((pointer, ": ".join(context + [text])))
    return out


#: Bytes of file names per kubeconform run: well below Linux's ARG_MAX (2 MiB, environment included).
ARGS_BUDGET = 256 * 1024


def _batches(paths: list[str], budget: int | None = None) -> list[list[str]]:
    """*paths* in order, cut into runs whose names (with their NUL) fit *budget* bytes (default
    :data:`ARGS_BUDGET`); one run when they all do."""
    budget = ARGS_BUDGET if budget is None else budget
    out: list[list[str]] = [[]]
    used = 0
    for path in paths:
        size = len(os.fsencode(path)) + 1
        if out[-1] and used + size > budget:
            out.append([])
            used = 0
        out[-1].append(path)
        used += size
    return out


def kubeconform_command(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str) -> list[str]:
    return [str(kubeconform_bin), "-strict", "-summary", "-output", "json",
            "-schema-location", f"{Path(schema_dir)}/{SCHEMA_TEMPLATE}", *map(str, paths)]


def kubeconform(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str, *,
                display: Callable[[str], str] = str) -> KubeconformResult:
    """Run kubeconform -strict with only *schema_dir* as schema location; parse its JSON output.

    Invalid resources give one problem per failing field (kubeconform's ``validationErrors`` only
    name top-level fields, so the detailed ``- at '/json/pointer': message`` parts of its message are
    used); errors (unparsable YAML, no schema for the kind) and skipped resources are problems too.
    """
    if not paths:
        return KubeconformResult([])
    batches = _batches([str(p) for p in paths])
    if len(batches) > 1:  # one command line cannot hold them all (the system's ARG_MAX): a run per batch
        parts = [kubeconform(batch, schema_dir, kubeconform_bin, display=display) for batch in batches]
        return KubeconformResult([f for r in parts for f in r.findings], sum(r.valid for r in parts),
                                 sum(r.invalid for r in parts), sum(r.errors for r in parts),
                                 sum(r.skipped for r in parts), sum(r.seconds for r in parts), parts[0].command)
    cmd = kubeconform_command(paths, schema_dir, kubeconform_bin)
    start = time.perf_counter()
    proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    try:
        out = json.loads(proc.stdout)
    except json.JSONDecodeError:
        msg = (proc.stderr or proc.stdout).strip() or f"exit status {proc.returncode}"
        return KubeconformResult([Problem(f"kubeconform failed: {msg}", source="kubeconform",
                                          hint=" ".join(cmd))], seconds=seconds, command=cmd)
    findings: list[Problem] = []
    for res in out.get("resources") or []:
        ident = {"kind": res.get("kind", ""), "name": res.get("name", ""), "api_version": res.get("version", ""),
                 "file": display(res["filename"]) if res.get("filename") else None, "source": "kubeconform"}
        status, msg = res.get("status", ""), res.get("msg", "")
        if status == "statusInvalid":
            parts = parse_kubeconform_message(msg)
            if not parts:
                parts = [(ve.get("path", ""), ve.get("msg", ""))
                         for ve in res.get("validationErrors") or []] or [("", msg)]
            locate = _locator(res.get("filename"), ident["kind"], ident["name"])
            findings.extend(Problem(m, pointer=p, line=locate(p) if locate else None, **ident) for p, m in parts)
        elif status == "statusSkipped":
            findings.append(Problem("skipped by kubeconform (not validated)", **ident))
        elif status == "statusError":
            hint = ("export the schemas with 'kfgen schemas export --dir DIR'"
                    if msg.startswith("could not find schema") else None)
            findings.append(Problem(msg or "error", hint=hint, **ident))
    summary = out.get("summary") or {}
    skipped = int(summary.get("skipped", 0))
    if skipped and not any(f.message.startswith("skipped") for f in findings):
        findings.append(Problem(f"kubeconform skipped {skipped} resource(s) (not validated)", source="kubeconform"))
    if proc.returncode != 0 and not findings:
        findings.append(Problem(f"kubeconform exited with status {proc.returncode}: {proc.stderr.strip()}",
                                source="kubeconform"))
    return KubeconformResult(findings, int(summary.get("valid", 0)), int(summary.get("invalid", 0)),
                             int(summary.get("errors", 0)), skipped, seconds, cmd)


def _locator(filename: str | None, kind: str, name: str) -> Callable[[str], int | None] | None:
    """The line finder of the document (kind, name) in *filename*, or None."""
    try:
        docs = read_manifests(Path(filename)) if filename else []
    except Exception:  # unreadable or unparsable here: kubeconform reports that itself
        return None
    for doc in docs:
        ident = object_ident(doc.data)
        if ident.get("kind") == kind and ident.get("name") == name:
            return doc.locate
    return None


def not_yet_reported(own: Sequence[Problem], theirs: Sequence[Problem], *, by_file: bool = False) -> list[Problem]:
    """kubeconform's problems (*theirs*) that add to the in-process ones (*own*): those about objects
    the in-process validator found valid (the two disagree: e.g. YAML that Go reads differently, or a
    missing schema), and those without an object (e.g. unparsable YAML) in files it found nothing wrong
    with, so the same error is not listed twice. Objects are matched by kind and name, and also by
    file with *by_file* (when one name may be in several files)."""
    def key(p: Problem) -> tuple[str | None, str, str]:
        return (p.file if by_file else None, p.kind, p.name)

    flagged = {key(p) for p in own if p.kind}
    flagged_files = {p.file for p in own if p.file and not p.kind}
    return [p for p in theirs if key(p) not in flagged and not (not p.kind and p.file in flagged_files)]


def run_kubeconform(paths: Sequence[Path | str], schema_dir: Path, kubeconform_bin: Path | str) -> list[Problem]:
    """Problems of ``kubeconform -strict -summary -output json -schema-location DIR/{{...}}.json PATHS``."""
    return kubeconform(paths, schema_dir, kubeconform_bin).findings
