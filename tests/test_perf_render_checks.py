"""The render's one pod check (kfgen.render.checks.pods) says what gpu_budget and node_fit say, in that order."""

from __future__ import annotations

from pathlib import Path

import pytest

from kfgen.actions import Workspace
from kfgen.render import checks
from kfgen.render.pipeline import instances, labels

ROOT = Path(__file__).resolve().parent.parent

NODES = """\
cluster:
  nodes:
    - {name: small, cpu: "2", memory: 4Gi, gpus: 1, labels: {pool: a}}
    - {name: big, cpu: "8", memory: 32Gi, gpus: 2}
"""
JOBS = """\
components:
  fits:
    prototype: tf-job
    params: {image: img:1, num_workers: 2, num_gpus: 1}
  too-many-gpus:
    prototype: tf-job
    params: {image: img:1, num_workers: 3, num_gpus: 3}
  too-big:
    prototype: tf-job
    params:
      image: img:1
      num_workers: 1
      resources: {Worker: {requests: {cpu: "9", memory: 1Gi}}, Chief: {requests: {cpu: "1", memory: 40Gi}}}
  nowhere:
    prototype: tf-job
    params: {image: img:1, num_workers: 1, nodeSelector: {pool: b}}
  selected:
    prototype: tf-job
    params:
      image: img:1
      num_workers: 1
      nodeSelector: {pool: a}
      resources: {Worker: {requests: {cpu: "3", memory: 1Gi}}}
  serve:
    prototype: tf-serving
    params: {modelPath: gs://b/m, numGpus: 4}
"""


def _objects(profiles: Path, name: str) -> tuple[object, list[dict]]:
    profile = Workspace(profiles, profiles / "out").load(name)
    rendered, _ = instances(profile)
    return profile, [obj for inst in labels(profile, rendered) for obj in inst.objects]


@pytest.mark.parametrize("text", [NODES + JOBS, JOBS, "cluster:\n  nodes:\n    - {name: n}\n" + JOBS])
def test_pods_is_gpu_budget_then_node_fit(tmp_path: Path, text: str) -> None:
    (tmp_path / "p.yaml").write_text(text, encoding="utf-8")
    profile, objects = _objects(tmp_path, "p")
    gpus, fit, both = (check(profile, objects) for check in (checks.gpu_budget, checks.node_fit, checks.pods))
    assert both.errors == gpus.errors + fit.errors
    assert both.warnings == gpus.warnings + fit.warnings
    assert both.summary == gpus.summary + fit.summary
    if "cluster" in text and "gpus: 2" in text:  # the case with GPU nodes: every kind of note is there
        assert gpus.errors and fit.errors and gpus.warnings and fit.warnings


@pytest.mark.parametrize("name", ["cpu-laptop", "gpu-lab"])
def test_pods_on_the_committed_profiles(name: str) -> None:
    profile, objects = _objects(ROOT / "profiles", name)
    gpus, fit, both = (check(profile, objects) for check in (checks.gpu_budget, checks.node_fit, checks.pods))
    assert (both.errors, both.warnings, both.summary) == (
        gpus.errors + fit.errors, gpus.warnings + fit.warnings, gpus.summary + fit.summary)
    assert both.summary
