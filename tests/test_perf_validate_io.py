"""The file-system side of ``kfgen validate`` written with ``os`` calls (kfgen.validate.manifests.manifest_files,
kfgen.output.files.diff_dir/same_contents) gives what the ``pathlib`` versions gave, odd entries included."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest
from test_validate import fake_prototype, write_profile  # noqa: F401  (a fixture)

from kfgen.errors import KfgenError
from kfgen.output.files import Drift, diff_dir, list_tree, same_contents
from kfgen.validate.manifests import manifest_files


def _rglob_manifests(directory: Path) -> list[Path]:
    """What manifest_files computes (its definition): rglob's manifest files outside hidden sub-directories."""
    return sorted(p for p in directory.rglob("*") if p.is_file() and p.suffix.lower() in (".yaml", ".yml", ".json")
                  and not any(part.startswith(".") for part in p.relative_to(directory).parts[:-1]))


def _odd_tree(root: Path) -> Path:
    d = root / "tree"
    (d / "sub" / "deeper").mkdir(parents=True)
    (d / "a-b").mkdir()
    for name in ("a.yaml", "B.YML", "c.Json", "d.txt", ".hidden.yaml", ".yaml", "..yaml", "e.", "f.yaml.bak",
                 "sub/x.yaml", "sub/deeper/y.yml", "a-b/z.json", "sub.yaml"):
        (d / name).write_text("kind: X\n")
    for hidden in (".git", ".venv/lib", "sub/.cache"):  # hidden directories: never entered
        (d / hidden).mkdir(parents=True)
        (d / hidden / "h.yaml").write_text("kind: X\n")
    (d / "dir.yaml").mkdir()  # a directory named like a manifest
    (d / "dir.yaml" / "inner.yaml").write_text("kind: X\n")
    os.symlink(d / "a.yaml", d / "link-to-file.yaml")
    os.symlink(d / "nowhere.yaml", d / "dangling.yaml")
    os.symlink(d / "sub", d / "link-to-dir")  # not recursed into (rglob does not follow it)
    os.symlink("loop.yaml", d / "loop.yaml")
    os.mkfifo(d / "pipe.yaml")
    return d


def test_manifest_files_is_what_rglob_gave(tmp_path: Path) -> None:
    d = _odd_tree(tmp_path)
    found = manifest_files(d)
    assert found == _rglob_manifests(d)
    assert [p.relative_to(d).as_posix() for p in found] == [
        "..yaml", ".hidden.yaml", "B.YML", "a-b/z.json", "a.yaml", "c.Json", "dir.yaml/inner.yaml",
        "link-to-file.yaml", "sub/deeper/y.yml", "sub/x.yaml", "sub.yaml"]  # Path order: by parts
    assert manifest_files(d / "a.yaml") == _rglob_manifests(d / "a.yaml") == []
    assert manifest_files(tmp_path / "missing") == []


def test_manifest_files_keeps_the_spelling_of_the_directory(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    d = _odd_tree(tmp_path)
    monkeypatch.chdir(d)
    assert manifest_files(Path(".")) == _rglob_manifests(Path("."))
    assert [str(p) for p in manifest_files(Path("sub"))] == ["sub/deeper/y.yml", "sub/x.yaml"]


def _old_diff_dir(target: Path, files: dict[str, str]) -> list[Drift]:
    existing = set(list_tree(target)) if target.is_dir() else set()
    drift = []
    for name in sorted(set(files) | existing):
        if name not in existing:
            drift.append(Drift(name, "missing"))
        elif name not in files:
            drift.append(Drift(name, "extra"))
        else:
            path = target / name
            st = path.lstat()
            same = stat.S_ISREG(st.st_mode) and st.st_size == len(data := files[name].encode()) and \
                path.read_bytes() == data
            if not same:
                drift.append(Drift(name, "modified"))
    return drift


def test_diff_dir_is_what_the_path_version_gave(tmp_path: Path) -> None:
    target = tmp_path / "out"
    (target / "sub").mkdir(parents=True)
    texts = {"same.yaml": "a: 1\n", "edited.yaml": "a: 1\n", "longer.yaml": "a: 1\n", "shorter.yaml": "a: 12\n",
             "unicode.yaml": "a: \u00e9\u2028\n", "empty.yaml": "", "missing.yaml": "x\n", "sub/s.yaml": "s\n",
             "link.yaml": "a: 1\n", "pipe.yaml": "p\n", "dir.yaml": "d\n"}
    for name, text in texts.items():
        if name not in ("missing.yaml", "link.yaml", "pipe.yaml", "dir.yaml"):
            (target / name).write_text(text, encoding="utf-8")
    (target / "edited.yaml").write_text("a: 2\n")
    (target / "longer.yaml").write_text("a: 1\nb: 2\n")
    (target / "shorter.yaml").write_text("a: 1\n")
    (target / "extra.yaml").write_text("e\n")
    os.symlink(target / "same.yaml", target / "link.yaml")  # a symlink is never the same as a file
    os.mkfifo(target / "pipe.yaml")  # never opened (it would block)
    (target / "dir.yaml").mkdir()
    (target / "dir.yaml" / "inner").write_text("i\n")
    expected = _old_diff_dir(target, texts)
    assert diff_dir(target, texts) == expected
    assert {d.file: d.change for d in expected} == {
        "edited.yaml": "modified", "longer.yaml": "modified", "shorter.yaml": "modified", "link.yaml": "modified",
        "pipe.yaml": "modified", "missing.yaml": "missing", "extra.yaml": "extra", "dir.yaml": "missing",
        "dir.yaml/inner": "extra"}
    assert diff_dir(tmp_path / "nothing", {"a.yaml": "x"}) == [Drift("a.yaml", "missing")]


def test_same_contents_reads_the_whole_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    data = ("x" * 70_000 + "\n").encode()
    path.write_bytes(data)
    assert same_contents(path, data) and same_contents(str(path), data)
    assert not same_contents(path, data[:-2] + b"y\n")
    assert not same_contents(path, data + b"z")


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_same_contents_refuses_an_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "f.yaml"
    path.write_text("a\n")
    path.chmod(0)
    with pytest.raises(KfgenError, match=f"cannot read {path}: Permission denied"):
        same_contents(str(path), b"a\n")


@pytest.mark.parametrize("out", ["out", "./out", "sub/../out", "sub//../out/"])
def test_identical_committed_files_are_not_read_however_the_out_dir_is_spelled(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_prototype: None, out: str) -> None:  # noqa: F811
    """validate_profile hands validate_files the files it need not read keyed by the paths' strings:
    they must be spelled as manifest_files spells them, whatever the spelling of --out-dir."""
    from kfgen import actions as api
    from kfgen.actions import Workspace
    from kfgen.validate import manifests as manifests_mod
    from kfgen.validate.profiles import validate_profile

    monkeypatch.chdir(tmp_path)
    (tmp_path / "sub").mkdir()
    write_profile(tmp_path, "p", "namespace: web\ncomponents:\n  site: {prototype: web-test}\n")
    ws = Workspace(Path("profiles"), Path(out))
    api.render(ws, ["p"])
    reads: list[str] = []
    real = manifests_mod.read_documents

    def read_documents(path: Path, shown: str, text: str | None = None):  # type: ignore[no-untyped-def]
        reads.append(path.name)
        return real(path, shown, text)

    monkeypatch.setattr(manifests_mod, "read_documents", read_documents)
    report = validate_profile(ws, "p")
    assert report.ok and (report.objects, report.files) == (3, 3)
    assert reads == []
