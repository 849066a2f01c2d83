"""``kfgen init [DIR]``: a new repository of profiles (ksonnet's ``ks init``), asking nothing.

It writes a starter profile, the profile JSON Schema editors read, a ``.gitignore``, a
``.pre-commit-config.yaml`` running kfgen's hooks and a GitHub Actions workflow running
``kfgen render --all --check`` and ``kfgen validate --all``. In an existing repository it adds only what
is missing and never overwrites a file: kfgen's lines are appended to an existing ``.gitignore`` (those
it lacks), every other file that exists is skipped and reported. The starter profile is written only when
``profiles/`` holds no profile yet (nor a partial): re-running init in a repository of profiles adds no
second profile. It is validated and rendered before anything is written.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import dataclass, field
from importlib import metadata
from pathlib import Path

import yaml

from kfgen import __version__
from kfgen.errors import KfgenError, Problem
from kfgen.output.files import write_file
from kfgen.profile import (
    LoadedProfile,
    SourceMap,
    display,
    is_profile_name,
    list_profiles,
    load_profile,
    profile_json_schema,
    validate_profile,
)

STARTER = """\
# yaml-language-server: $schema=../schemas/profile.schema.json
#
# Profile '{name}' (ksonnet's environment). Render it with `kfgen render -p {name}` and commit out/{name}/.
# Add instances with `kfgen generate PROTOTYPE INSTANCE -p {name}` (`kfgen prototypes` lists the
# prototypes), change their params with `kfgen param set INSTANCE KEY VALUE -p {name}` and see them
# with `kfgen param list -p {name}`.
description: Starter profile made by kfgen init.
namespace: {namespace}
kubernetesVersion: "{kubernetes_version}"
{pod_security}cluster:
  # the cluster's machines (name, cpu, memory, gpus): kfgen checks GPU requests against them
  nodes: []
components:
  kubeflow-core:
    prototype: core
    params:
      reportUsage: false
"""

GITIGNORE = """\
# out/ is committed (reviewed in pull requests, applied with kubectl); kfgen's hidden build leftovers are not,
# nor the files 'kfgen render --foreign=move' moved aside (review them, then delete them)
out/.*
out/*.foreign-*/
.venv/
__pycache__/
"""

PRE_COMMIT_REMOTE = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit that touches
# profiles/ or out/ checks that out/ is rendered from the profiles and that both are valid.
repos:
  - repo: {source}
    rev: v{version}
    hooks:
      - id: kfgen-render-check
      - id: kfgen-validate
"""

PRE_COMMIT_LOCAL = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit that touches
# profiles/ or out/ checks that out/ is rendered from the profiles and that both are valid.
# These hooks run the kfgen on your PATH. To have pre-commit install kfgen itself, use kfgen's own
# hooks instead (`kfgen init --kfgen-source URL` writes that form):
#   - repo: <kfgen's git repository URL>
#     rev: v{version}
#     hooks: [{{id: kfgen-render-check}}, {{id: kfgen-validate}}]
repos:
  - repo: local
    hooks:
      - id: kfgen-render-check
        name: kfgen render --all --check (out/ matches the profiles)
        entry: kfgen render --all --check
        language: system
        pass_filenames: false
        files: ^(profiles|out)/
      - id: kfgen-validate
        name: kfgen validate --all
        entry: kfgen validate --all
        language: system
        pass_filenames: false
        files: ^(profiles|out)/
"""

WORKFLOW = """\
# CI for a repository of kfgen profiles: out/ must be rendered from profiles/, and valid.
name: kfgen
on:
  push:
  pull_request:
jobs:
  check:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - name: Install kfgen
        {install}
      - name: out/ is rendered from profiles/
        run: kfgen render --all --check
      - name: Profiles and out/ are valid
        run: kfgen validate --all
"""


def default_pip_spec(source: str | None = None) -> str | None:
    """What CI installs kfgen from: *source* (kfgen's git repository) at this version's tag; else the git
    commit this kfgen was installed from (pip records it, PEP 610); else None. Never a bare ``kfgen==X``
    from the package index: kfgen is not published there, and whoever registers that name would run code in
    every such CI job (dependency confusion)."""
    if source:
        return f"kfgen @ git+{source}@v{__version__}"
    try:
        direct = json.loads(metadata.distribution("kfgen").read_text("direct_url.json") or "{}")
    except (metadata.PackageNotFoundError, ValueError):
        direct = {}
    vcs = direct.get("vcs_info") or {}
    if vcs.get("vcs") == "git" and vcs.get("commit_id") and str(direct.get("url", "")).startswith("https://"):
        return f"kfgen @ git+{direct['url']}@{vcs['commit_id']}"
    return None


def starter_profile(name: str, namespace: str, kubernetes_version: str) -> str:
    """The starter profile's text, with the ``podSecurity`` entries its instances need (the core instance's
    Ambassador runs as root: :mod:`kfgen.edit.pod_security`). A starter that does not validate is returned
    without them (:func:`init_project` reports its problems)."""
    from kfgen.edit.pod_security import block, needed

    text = STARTER.format(name=name, namespace=namespace, kubernetes_version=kubernetes_version, pod_security="")
    try:
        profile = validate_profile(LoadedProfile(name, yaml.safe_load(text), SourceMap(), (name,)))
        entries = needed(profile, profile.components)
    except KfgenError:
        return text
    return STARTER.format(name=name, namespace=namespace, kubernetes_version=kubernetes_version,
                          pod_security=block(entries))


def init_files(name: str, namespace: str, kubernetes_version: str, source: str | None) -> dict[str, str]:
    """The files of a new repository, by path relative to it."""
    spec = default_pip_spec(source)
    example = f"'kfgen @ git+https://HOST/OWNER/kfgen@v{__version__}'"
    if spec is not None:  # the variable through env, never spliced into the script
        install = ("env:\n"
                   "          # kfgen's pip requirement: the repository variable KFGEN_PIP_SPEC when set "
                   f"(e.g. {example}), else the default below\n"
                   "          KFGEN_PIP_SPEC: ${{ vars.KFGEN_PIP_SPEC || '" + spec.replace("'", "''") + "' }}\n"
                   '        run: pip install "$KFGEN_PIP_SPEC"')
    else:
        install = ("env:\n"
                   f"          # kfgen's pip requirement: set the repository variable KFGEN_PIP_SPEC (e.g. {example})\n"
                   "          KFGEN_PIP_SPEC: ${{ vars.KFGEN_PIP_SPEC }}\n"
                   "        run: |\n"
                   '          test -n "$KFGEN_PIP_SPEC" || { echo "::error::set the repository variable KFGEN_PIP_SPEC'
                   f' to kfgen\'s pip requirement, e.g. {example}"; exit 1; }}\n'
                   '          pip install "$KFGEN_PIP_SPEC"')
    return {
        f"profiles/{name}.yaml": starter_profile(name, namespace, kubernetes_version),
        "schemas/profile.schema.json": profile_json_schema(),
        ".gitignore": GITIGNORE,
        ".pre-commit-config.yaml": (PRE_COMMIT_REMOTE.format(source=source, version=__version__) if source
                                    else PRE_COMMIT_LOCAL.format(version=__version__)),
        ".github/workflows/kfgen.yaml": WORKFLOW.format(install=install),
    }


@dataclass
class InitResult:
    """What ``kfgen init`` did: files written, lines appended to ``.gitignore``, files that existed (kept)."""

    written: list[Path] = field(default_factory=list)
    appended: list[str] = field(default_factory=list)
    skipped: list[Path] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)  # the profiles profiles/ held (then no starter is written)
    out_ignored: list[str] = field(default_factory=list)  # .gitignore lines ('LINE: TEXT') that ignored out/
    pip_spec: str | None = None  # the workflow's default pip requirement (None: KFGEN_PIP_SPEC must be set)


def init_project(directory: Path, name: str, namespace: str, kubernetes_version: str,
                 source: str | None = None) -> InitResult:
    """Add a repository of profiles to *directory*: only what is missing (see the module's doc)."""
    from kfgen.render.pipeline import render_profile

    if not is_profile_name(name):
        raise KfgenError(Problem(f"invalid profile name {name!r}", found=repr(name),
                                 expected="a DNS label: lowercase letters, digits and '-', e.g. 'default'"))
    if directory.exists() and not directory.is_dir():
        raise KfgenError(Problem(f"{display(directory)} is not a directory", file=display(directory)))
    files = init_files(name, namespace, kubernetes_version, source)
    result = InitResult(pip_spec=default_pip_spec(source),
                        profiles=list_profiles(directory / "profiles", partials=True))
    starter = files.pop(f"profiles/{name}.yaml")
    if not result.profiles:
        with tempfile.TemporaryDirectory(prefix="kfgen-init-") as scratch:  # the starter must render
            (Path(scratch) / f"{name}.yaml").write_text(starter, encoding="utf-8")
            try:
                render_profile(validate_profile(load_profile(Path(scratch), name)))
            except KfgenError as exc:
                raise KfgenError([Problem(p.message, path=p.path, expected=p.expected, found=p.found, hint=p.hint)
                                  for p in exc.problems]) from None
        files = {f"profiles/{name}.yaml": starter, **files}
    for rel, text in files.items():
        path = directory / rel
        if rel == ".gitignore" and path.is_file() and not path.is_symlink():
            probes = [p for n in (result.profiles or [name]) for p in (f"out/{n}/", f"out/{n}/objects.yaml")]
            result.appended, result.out_ignored = _append_missing(path, text, ["out/", *probes])
        elif path.exists() or path.is_symlink():
            result.skipped.append(path)
        else:
            write_file(path, text)
            result.written.append(path)
    return result


def _append_missing(path: Path, text: str, probes: list[str]) -> tuple[list[str], list[str]]:
    """Append the lines of *text* that *path* lacks (after a comment saying so), and, where *path*'s lines
    keep *probes* (paths under out/) out of git, the negations that make git track them
    (:mod:`kfgen.edit.gitignore`) followed by kfgen's own out/ lines again (the last matching line wins).
    Returns the lines appended and the ignoring lines (``LINE: TEXT``)."""
    from kfgen.edit.gitignore import negations, out_blockers

    try:
        current = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise KfgenError(Problem(f"cannot read {display(path)}: {getattr(exc, 'strerror', None) or exc}",
                                 file=display(path))) from None
    have = {line.strip() for line in current.splitlines()}
    ours = [line for line in text.splitlines() if line.strip() and not line.startswith("#")]
    missing = [line for line in ours if line.strip() not in have]
    blockers = out_blockers(current, probes)
    undo = negations(current, probes)
    if undo:  # kfgen's out/ lines again after the negations, so that its leftovers stay ignored
        missing = [*undo, *(line for line in ours if line.startswith("out/")),
                   *(line for line in missing if not line.startswith("out/"))]
    if not missing:
        return [], []
    head = ["# added by kfgen init: out/ is committed, kfgen's leftovers are not"]
    if undo:
        head.append(f"# ({'; '.join(f'line {r.line} `{r.text}`' for r in blockers)} kept out/ out of git: "
                    f"{' and '.join(undo)} make{'s' if len(undo) == 1 else ''} git track it)")
    block = "\n".join([*head, *missing]) + "\n"
    sep = "" if not current or current.endswith("\n") else "\n"
    write_file(path, current + sep + ("\n" if current else "") + block)
    return missing, [f"{r.line}: {r.text}" for r in blockers] if undo else []
