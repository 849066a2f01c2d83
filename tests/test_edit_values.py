"""param set / generate --param: YAML 1.1 spellings that surprise (octal 010, yes/no) are refused for params that
take no text, kept as typed for params that do; plain decimal integers and true/false are taken."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
import yaml

from kfgen.edit.values import parse_value, spelling_problem
from tests.conftest import invoke

DATA = Path(__file__).parent / "testdata" / "verbs"


@pytest.fixture
def lab(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    (tmp_path / "profiles").mkdir()
    shutil.copy(DATA / "before.yaml", tmp_path / "profiles" / "lab.yaml")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "profiles" / "lab.yaml"


@pytest.mark.parametrize(("value", "hint"), [
    ("010", "did you mean 10? (or 8, if you meant octal)"),
    ("+010", "did you mean 10? (or 8, if you meant octal)"),
    ("-010", "did you mean -10? (or -8, if you meant octal)"),
    ("00", "did you mean 0? (or 0, if you meant octal)"),
    ("08", "did you mean 8?"),  # not octal: YAML reads text, still ambiguous
    ("0x10", "write 16 if that is what you mean"),
    ("0b11", "write 3 if that is what you mean"),
    ("1_000", "write 1000 if that is what you mean"),
    ("1:30", "write 90 if that is what you mean"),
])
def test_int_param_refuses_yaml11_integer_spellings(lab: Path, value: str, hint: str) -> None:
    before = lab.read_bytes()
    res = invoke("param", "set", "mnist", "num_workers", value, "-p", "lab")
    assert res.exit_code == 2, res.output
    assert "components.mnist.params.num_workers: param 'num_workers'" in res.output
    assert f"found:    '{value}'" in res.output and "expected: a decimal integer" in res.output
    assert f"hint:     {hint}" in res.output and "profiles/lab.yaml is unchanged" in res.output
    assert lab.read_bytes() == before
    res = invoke("generate", "tf-job", "job2", "--param", f"num_workers={value}", "-p", "lab")
    assert res.exit_code == 2 and hint in res.output
    assert lab.read_bytes() == before


@pytest.mark.parametrize(("value", "written"), [("10", 10), ("0", 0), ("7", 7)])
def test_int_param_takes_plain_decimal(lab: Path, value: str, written: int) -> None:
    res = invoke("param", "set", "mnist", "num_workers", value, "-p", "lab")
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(lab.read_text())["components"]["mnist"]["params"]["num_workers"] == written


@pytest.mark.parametrize(("value", "word"), [("yes", "true"), ("Yes", "true"), ("on", "true"), ("ON", "true"),
                                             ("no", "false"), ("off", "false"), ("Off", "false")])
def test_bool_param_refuses_yes_no_on_off(lab: Path, value: str, word: str) -> None:
    before = lab.read_bytes()
    res = invoke("param", "set", "kubeflow-core", "reportUsage", value, "-p", "lab")
    assert res.exit_code == 2, res.output
    assert "param 'reportUsage' takes true or false" in res.output and "expected: true or false" in res.output
    assert f"hint:     did you mean '{word}'?" in res.output
    assert lab.read_bytes() == before


@pytest.mark.parametrize(("value", "written"), [("true", True), ("True", True), ("false", False), ("FALSE", False)])
def test_bool_param_takes_true_and_false(lab: Path, value: str, written: bool) -> None:
    res = invoke("param", "set", "kubeflow-core", "reportUsage", value, "-p", "lab")
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(lab.read_text())["components"]["kubeflow-core"]["params"]["reportUsage"] is written


def test_bool_param_still_refuses_other_words(lab: Path) -> None:
    res = invoke("param", "set", "kubeflow-core", "reportUsage", "y", "-p", "lab")
    assert res.exit_code == 2 and "reportUsage" in res.output


def test_one_refusal_per_pair_and_nothing_written(lab: Path) -> None:
    before = lab.read_bytes()
    res = invoke("param", "set", "mnist", "num_workers", "010", "num_ps", "0x1", "-p", "lab")
    assert res.exit_code == 2 and "2 problems" in res.output
    assert lab.read_bytes() == before


def test_string_params_keep_such_text_as_typed(lab: Path) -> None:
    res = invoke("param", "set", "kubeflow-core", "reportUsage", "true", "usageId", "010", "-p", "lab")
    assert res.exit_code == 0, res.output
    assert yaml.safe_load(lab.read_text())["components"]["kubeflow-core"]["params"]["usageId"] == "010"
    # a param that takes text or a number: the YAML 1.1 spelling stays text, a decimal is a number
    assert parse_value("010", str | int) == "010" and parse_value("yes", str | bool) == "yes"
    assert parse_value("12", str | int) == 12 and parse_value("true", str | bool) is True
    assert spelling_problem("010", str | int, "k", (), "f") is None


def test_help_says_how_bools_and_ints_are_read() -> None:
    res = invoke("param", "set", "--help")
    text = " ".join(res.output.split())
    assert "A bool param takes true or false (yes, no, on and off are refused" in text
    assert "010, 0x10, 1_000 and 1:30 are refused" in text
