"""``kfgen init [DIR]``: a new repository of profiles (ksonnet's ``ks init``), asking nothing.

It writes a starter profile, the profile JSON Schema editors read, a ``.gitignore``, a
``.pre-commit-config.yaml`` running kfgen's hooks and a GitHub Actions workflow running
``kfgen render --all --check`` and ``kfgen validate --all``. It never overwrites a file: when any of
them exists, nothing is written. The starter profile is validated and rendered before anything is.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

from kfgen import __version__
from kfgen.errors import KfgenError, Problem
from kfgen.output.files import write_file
from kfgen.profile import display, is_profile_name, load_profile, profile_json_schema, validate_profile

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
cluster:
  # the cluster's machines (name, cpu, memory, gpus): kfgen checks GPU requests against them
  nodes: []
components:
  kubeflow-core:
    prototype: core
    params:
      reportUsage: false
"""

GITIGNORE = """\
# out/ is committed (reviewed in pull requests, applied with kubectl); kfgen's hidden build leftovers are not
out/.*
.venv/
__pycache__/
"""

PRE_COMMIT_REMOTE = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit that touches
# profiles/ checks that out/ is rendered from them and that both are valid.
repos:
  - repo: {source}
    rev: v{version}
    hooks:
      - id: kfgen-render-check
      - id: kfgen-validate
"""

PRE_COMMIT_LOCAL = """\
# pre-commit (https://pre-commit.com): `pre-commit install` once, then every commit that touches
# profiles/ checks that out/ is rendered from them and that both are valid.
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


def init_files(name: str, namespace: str, kubernetes_version: str, source: str | None) -> dict[str, str]:
    """The files of a new repository, by path relative to it."""
    install = (f'run: pip install "kfgen @ git+{source}@v{__version__}"' if source else
               "# the repository variable KFGEN_PIP_SPEC is kfgen's pip requirement, e.g. "
               "'kfgen @ git+https://HOST/OWNER/kfgen@v" + __version__ + "'\n"
               '        run: pip install "${{ vars.KFGEN_PIP_SPEC }}"')
    return {
        f"profiles/{name}.yaml": STARTER.format(name=name, namespace=namespace,
                                                kubernetes_version=kubernetes_version),
        "schemas/profile.schema.json": profile_json_schema(),
        ".gitignore": GITIGNORE,
        ".pre-commit-config.yaml": (PRE_COMMIT_REMOTE.format(source=source, version=__version__) if source
                                    else PRE_COMMIT_LOCAL.format(version=__version__)),
        ".github/workflows/kfgen.yaml": WORKFLOW.format(install=install),
    }


def init_project(directory: Path, name: str, namespace: str, kubernetes_version: str,
                 source: str | None = None) -> list[Path]:
    """Write a new repository of profiles into *directory*; refuse (writing nothing) when any file exists."""
    from kfgen.render.pipeline import render_profile

    if not is_profile_name(name):
        raise KfgenError(Problem(f"invalid profile name {name!r}", found=repr(name),
                                 expected="a DNS label: lowercase letters, digits and '-', e.g. 'default'"))
    files = init_files(name, namespace, kubernetes_version, source)
    existing = [display(directory / rel) for rel in files if (directory / rel).exists() or
                (directory / rel).is_symlink()]
    if existing:
        raise KfgenError([Problem(f"{path} already exists: kfgen init never overwrites a file", file=path)
                          for path in existing])
    with tempfile.TemporaryDirectory(prefix="kfgen-init-") as scratch:  # the starter must render
        (Path(scratch) / f"{name}.yaml").write_text(files[f"profiles/{name}.yaml"], encoding="utf-8")
        try:
            render_profile(validate_profile(load_profile(Path(scratch), name)))
        except KfgenError as exc:
            raise KfgenError([Problem(p.message, path=p.path, expected=p.expected, found=p.found, hint=p.hint)
                              for p in exc.problems]) from None
    written = []
    for rel, text in files.items():
        write_file(directory / rel, text)
        written.append(directory / rel)
    return written
