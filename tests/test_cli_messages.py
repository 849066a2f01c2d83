"""CLI messages a first-time user meets: where output goes with --profiles-dir, missing profiles, exit codes,
aligned listings, deploy texts with an unreachable cluster."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from kfgen.deploy.kubectl import Result, failure, unreachable
from tests.conftest import invoke, snapshot


@pytest.fixture
def two(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """Two projects, kf1 (the working directory) and kf3."""
    for name in ("kf1", "kf3"):
        (tmp_path / name).mkdir()
        monkeypatch.chdir(tmp_path / name)
        assert invoke("init", "--name", "lab").exit_code == 0
    monkeypatch.chdir(tmp_path / "kf1")
    return tmp_path / "kf1", tmp_path / "kf3"


def test_profiles_dir_alone_writes_beside_it(two: tuple[Path, Path]) -> None:
    kf1, kf3 = two
    res = invoke("render", "-p", "lab", "--profiles-dir", str(kf3 / "profiles"))
    assert res.exit_code == 0, res.output
    assert (kf3 / "out" / "lab").is_dir() and not (kf1 / "out").exists()
    res = invoke("render", "-p", "lab", "--profiles-dir", str(kf3 / "profiles"), "--out-dir", "elsewhere")
    assert res.exit_code == 0 and (kf1 / "elsewhere" / "lab").is_dir()
    assert invoke("render", "--all", "--check", "--profiles-dir", str(kf3 / "profiles")).exit_code == 0


def test_yml_file_gets_a_rename_hint(two: tuple[Path, Path]) -> None:
    kf1, _ = two
    shutil.copy(kf1 / "profiles" / "lab.yaml", kf1 / "profiles" / "j.yml")
    for args in (("render", "-p", "j"), ("param", "list", "-p", "j"), ("validate", "-p", "j")):
        res = invoke(*args)
        assert res.exit_code == 2, (args, res.output)
        assert "rename profiles/j.yml to j.yaml" in res.output, args


def test_outside_a_project_the_hint_is_kfgen_init(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    for args in (("render", "-p", "x"), ("render", "--all"), ("profiles",), ("param", "list", "-p", "x")):
        res = invoke(*args)
        assert res.exit_code == 2, (args, res.output)
        assert "kfgen init" in res.output, args
    assert snapshot(tmp_path) == {}


def test_profiles_exit_codes(two: tuple[Path, Path]) -> None:
    kf1, _ = two
    assert invoke("profiles").exit_code == 0
    (kf1 / "profiles" / "bad.yaml").write_text("namespace: [x]\n")
    res = invoke("profiles")
    assert res.exit_code == 2 and "bad" in res.output and "INVALID" in res.output
    for f in (kf1 / "profiles").iterdir():
        f.unlink()
    res = invoke("profiles")
    assert res.exit_code == 2 and "no profiles in" in res.output


def test_prototypes_listing_is_aligned() -> None:
    lines = invoke("prototypes").output.splitlines()
    starts = {len(line) - len(line.split(None, 1)[1]) for line in lines}
    assert len(starts) == 1, lines


def test_component_help_says_prune_only_on_apply() -> None:
    def helptext(verb: str) -> str:
        return " ".join(invoke(verb, "-h").output.split())

    assert "apply prunes nothing" in helptext("apply")
    for verb in ("diff", "delete", "status"):
        assert "prunes nothing" not in helptext(verb), verb


UNREACHABLE = (
    'E1202 02:57:24.382401   11932 memcache.go:381] "Couldn\'t get current server API group list" '
    'err="Get \\"https://127.0.0.1:1/api?timeout=32s\\": dial tcp 127.0.0.1:1: connect: connection refused"\n'
    'unable to recognize "STDIN": Get "https://127.0.0.1:1/api?timeout=32s": dial tcp 127.0.0.1:1: connect: '
    "connection refused\n")


def test_unreachable_server_in_one_line() -> None:
    res = Result(["kubectl", "get"], 1, "", UNREACHABLE)
    assert unreachable(res) == "cannot reach https://127.0.0.1:1: connect: connection refused"
    message = failure(res, "reading").problems[0].message
    assert "memcache" not in message
    assert message.endswith("cannot reach https://127.0.0.1:1: connect: connection refused")
    other = Result(["kubectl", "apply"], 1, "", 'Error from server (Forbidden): pods "x" is forbidden\n')
    assert unreachable(other) is None and "Forbidden" in failure(other, "kubectl apply").problems[0].message


@pytest.fixture
def no_cluster(two: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "kubeconfig"
    config.write_text('apiVersion: v1\nkind: Config\nclusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]\n'
                      "users: [{name: u, user: {token: x}}]\ncontexts: [{name: c, context: {cluster: c, user: u}}]\n"
                      "current-context: c\n")
    monkeypatch.setenv("KUBECONFIG", str(config))


@pytest.mark.parametrize(("args", "tail"), [(("apply", "--dry-run"), "nothing was changed (server dry run)."),
                                            (("apply",), "nothing was changed (server dry run)."),
                                            (("delete",), "nothing was deleted."),
                                            (("status",), "nothing was changed.")])
def test_unreachable_cluster_texts(no_cluster: None, args: tuple[str, ...], tail: str) -> None:
    res = invoke(*args, "-p", "lab")
    assert res.exit_code == 2
    assert "cannot reach https://127.0.0.1:1" in res.output and "memcache" not in res.output
    assert res.output.rstrip().endswith(tail) or tail in res.output
    assert "stay applied" not in res.output and "stay deleted" not in res.output
    verbose = invoke(*args, "-p", "lab", "--verbose")
    assert "kubectl: " in verbose.output  # kubectl's own lines, under --verbose
