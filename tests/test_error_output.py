"""The full text of the CLI's errors, pinned by golden files (Helm's testdata/output/*.txt habit).

Each case in tests/testdata/errors/ is ``<case>.yaml``, a bad profile named ``<case>`` (plus, for
``extends`` cases, the other profiles it needs in ``<case>.profiles/``), and ``<case>.txt``: the
exit code and the exact stderr of ``kfgen render -p <case>``. The command runs through Typer's
CliRunner with the working directory set to a scratch directory holding ``profiles/`` (a copy of
the case's files) and ``out/``, so files show in messages as ``profiles/<case>.yaml``: no temporary
path reaches the golden files.

``KFGEN_UPDATE_GOLDEN=1 pytest tests/test_error_output.py`` rewrites the .txt files from the current
output; read the diff before committing it.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from kfgen.cli import app

CASES_DIR = Path(__file__).parent / "testdata" / "errors"
CASES = sorted(p.stem for p in CASES_DIR.glob("*.yaml"))
UPDATE = os.environ.get("KFGEN_UPDATE_GOLDEN") == "1"


def run_case(case: str, root: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[str, Path]:
    """``kfgen render -p <case>`` in *root*: the golden text (exit code, then stderr) and the out dir."""
    profiles = root / "profiles"
    profiles.mkdir()
    shutil.copy(CASES_DIR / f"{case}.yaml", profiles / f"{case}.yaml")
    extra = CASES_DIR / f"{case}.profiles"
    if extra.is_dir():
        for path in extra.glob("*.yaml"):
            shutil.copy(path, profiles / path.name)
    monkeypatch.chdir(root)
    result = CliRunner().invoke(app, ["render", "-p", case, "--profiles-dir", "profiles", "--out-dir", "out"])
    # a crash would exit 1 too: every exit must be kfgen's own, never an exception escaping
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return f"exit code: {result.exit_code}\n{result.stderr}", root / "out"


def test_there_is_a_golden_file_for_every_case_and_a_case_for_every_golden_file() -> None:
    assert len(CASES) >= 12
    goldens = sorted(p.stem for p in CASES_DIR.glob("*.txt"))
    assert goldens == CASES or UPDATE
    extras = sorted(p.name.removesuffix(".profiles") for p in CASES_DIR.glob("*.profiles"))
    assert set(extras) <= set(CASES), extras


@pytest.mark.parametrize("case", CASES)
def test_error_output(case: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    text, out = run_case(case, tmp_path, monkeypatch)
    golden = CASES_DIR / f"{case}.txt"
    if UPDATE:
        golden.write_text(text, encoding="utf-8")
    assert golden.is_file(), f"no {golden.name}: run with KFGEN_UPDATE_GOLDEN=1 to write it"
    assert text == golden.read_text(encoding="utf-8")
    assert "Traceback" not in text and str(tmp_path) not in text
    if not text.startswith("exit code: 0\n"):
        written = sorted(str(p.relative_to(out)) for p in out.rglob("*")) if out.exists() else []
        assert written == [], f"a failing render wrote {written}"
