r"""Schemas for kubeconform, offline: every kind's strict schema in kubeconform's file layout.

Export once, then validate any manifests with exactly::

    kfgen schemas export --dir build/k8s-schemas --kubernetes-version 1.37
    kubeconform -strict -summary \
        -schema-location 'build/k8s-schemas/{{.ResourceKind}}{{.KindSuffix}}.json' out/<profile>/

Pass only that ``-schema-location`` (never ``default``, which downloads from GitHub). File names
follow kubeconform's template: ``{{.ResourceKind}}`` is the lower-cased kind, ``{{.KindSuffix}}``
is ``-<first dot-segment of the API group>-<version>`` (``-v1`` for the core group), e.g.
``deployment-apps-v1.json``, ``service-v1.json``, ``clusterrole-rbac-v1.json``,
``tfjob-kubeflow-v1.json``. Each file is standalone (local ``$defs`` only, no ``$id``).
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION, TFJOB_API_VERSION, TFJOB_KIND
from kfgen.validate.objects import tfjob_schema

SCHEMA_TEMPLATE = "{{.ResourceKind}}{{.KindSuffix}}.json"


def export_schemas(directory: Path, kubernetes_version: str = DEFAULT_KUBERNETES_VERSION, *,
                   kinds: Iterable[tuple[str, str]] | None = None, descriptions: bool = False) -> list[Path]:
    """Write kubeconform's offline schema layout into *directory*; return the files written.

    Every Kubernetes kind of that version (about 200 files, or only *kinds*), standalone and strict,
    plus ``tfjob-kubeflow-v1.json``. Names match
    ``-schema-location 'DIR/{{.ResourceKind}}{{.KindSuffix}}.json'``.
    Output is deterministic (sorted keys, compact JSON, one trailing newline); ``description`` texts
    are left out unless *descriptions* (they quadruple the size and validation ignores them).
    ``int32``/``int64`` integers carry ``minimum``/``maximum``, as in the in-process validators.
    """
    version = k8s_schemas.normalize_version(kubernetes_version)
    k8s_schemas.schema_dir(version)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    wanted = sorted(set(kinds)) if kinds is not None else k8s_schemas.kinds(version)
    written: list[Path] = []
    for api_version, kind in wanted:
        if (api_version, kind) == (TFJOB_API_VERSION, TFJOB_KIND):
            continue
        schema = k8s_schemas.standalone_schema(api_version, kind, version, descriptions=descriptions)
        written.append(_write_json(directory / k8s_schemas.schema_for(api_version, kind), schema))
    tfjob = tfjob_schema()
    if not descriptions:
        tfjob = k8s_schemas.strip_descriptions(tfjob)
    written.append(_write_json(directory / k8s_schemas.schema_for(TFJOB_API_VERSION, TFJOB_KIND), tfjob))
    return sorted(written)


def _write_json(path: Path, data: Any) -> Path:
    from kfgen.output.files import write_file  # lazily: it imports the render pipeline

    write_file(path, json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False) + "\n")
    return path


class SchemaCache:
    """Exported schema directories, one per Kubernetes version, made on first use (in a temp dir
    unless *root* is given). A context manager: the temp dir goes away on exit."""

    def __init__(self, root: Path | None = None):
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        self.root = root
        self.dirs: dict[str, Path] = {}

    def __call__(self, kubernetes_version: str) -> Path:
        version = k8s_schemas.normalize_version(kubernetes_version)
        if version not in self.dirs:
            if self.root is None:
                self._tmp = tempfile.TemporaryDirectory(prefix="kfgen-schemas-")
                self.root = Path(self._tmp.name)
            target = self.root / f"v{version}"
            export_schemas(target, version)
            self.dirs[version] = target
        return self.dirs[version]

    def close(self) -> None:
        if self._tmp is not None:
            self._tmp.cleanup()
            self._tmp = None

    def __enter__(self) -> SchemaCache:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()
