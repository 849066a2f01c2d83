"""``kfgen --help`` (and importing kfgen.cli) loads no heavy library: each command imports what it needs in its body.
And the actions never print: only kfgen/cli/ writes to the terminal."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

KFGEN = Path(__file__).resolve().parent.parent / "kfgen"
HEAVY = ("pydantic", "pydantic_core", "yaml", "ruamel", "jsonschema", "_jsonnet", "kubernetes_validate",
         "kfgen.actions", "kfgen.render", "kfgen.validate", "kfgen.profile", "kfgen.prototypes", "kfgen.edit",
         "kfgen.deploy", "kfgen.ksonnet", "kfgen.output")


def _imported(*argv: str) -> set[str]:
    """Top-level and kfgen modules imported by ``python -X importtime -m kfgen ARGV``."""
    proc = subprocess.run([sys.executable, "-X", "importtime", "-m", "kfgen", *argv],
                          capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0, proc.stderr[-2000:]
    mods = {line.rsplit("|", 1)[-1].strip() for line in proc.stderr.splitlines() if line.startswith("import time:")}
    assert "kfgen.cli" in mods and "typer" in mods, sorted(mods)
    return mods


def _heavy(mods: set[str]) -> list[str]:
    return sorted(m for m in mods if any(m == h or m.startswith(h + ".") for h in HEAVY))


def test_help_imports_no_heavy_module() -> None:
    assert _heavy(_imported("--help")) == []


def test_subcommand_help_imports_no_heavy_module() -> None:
    """A command's help builds its parameters, and typer (0.29) coerces them through pydantic (typer._adapters):
    pydantic is typer's there; kfgen's own modules and the other libraries stay unloaded."""
    for cmd in (["render", "--help"], ["validate", "--help"], ["param", "set", "--help"], ["apply", "--help"]):
        mods = _imported(*cmd)
        assert [m for m in _heavy(mods) if not m.startswith(("pydantic", "typing_inspection"))] == [], cmd


def test_a_command_does_import_its_modules() -> None:
    """The check above can fail: ``kfgen prototypes`` loads the prototypes (and pydantic)."""
    heavy = _heavy(_imported("prototypes"))
    assert "pydantic" in heavy and "kfgen.prototypes.base" in heavy


def test_only_the_cli_prints() -> None:
    printing = re.compile(r"\bprint\(|typer\.echo|click\.echo|sys\.stdout|sys\.stderr")
    offenders = [f"{path.relative_to(KFGEN.parent)}:{n}: {line.strip()}"
                 for path in sorted(KFGEN.rglob("*.py")) if "cli" not in path.relative_to(KFGEN).parts[:1]
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if printing.search(line)]
    assert offenders == []
