#!/usr/bin/env python3
"""Serialization throughput of kfgen's YAML writer: prints figures, asserts nothing (not a test).

Run from the repository root::

    .venv/bin/python scripts/bench_yaml.py              # about 20 s
    .venv/bin/python scripts/bench_yaml.py --count 200 --repeat 3

Compares, on objects rendered by kfgen itself (a generated profile of COUNT ``tf-job`` instances in a
temp dir, and the committed ``gpu-lab`` profile), one object at a time as kfgen writes them:

* ``reference``: ``kfgen.output.yaml._to_yaml_reference`` (PyYAML's representer + libyaml's emitter),
  the definition of kfgen's bytes;
* ``to_yaml``: the writer kfgen uses, cold (its scalar caches emptied before each pass) and warm.

Each figure is the median objects/s over REPEAT passes after one untimed warm-up pass, by wall clock
(with the best pass) and by the process's CPU time (steadier on a shared machine; the speed-up column
uses it). The outputs of both writers are compared byte for byte on the way (a mismatch is reported).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the checkout's kfgen, even without the editable install

from kfgen.output import yaml as kyaml  # noqa: E402
from kfgen.profile import load_profile, validate_profile  # noqa: E402
from kfgen.render.pipeline import render_profile  # noqa: E402


def tfjob_profile(count: int) -> str:
    """COUNT tf-job instances (chief, PS, two workers each), every one with its own args and dirs."""
    lines = ["description: kfgen YAML benchmark profile", "namespace: bench", 'kubernetesVersion: "1.37"',
             "cluster:", "  nodes:", '    - {name: node1, cpu: "64", memory: 256Gi}', "components:"]
    for i in range(count):
        lines += [f"  job-{i:04d}:", "    prototype: tf-job", "    params:",
                  "      image: docker.io/tensorflow/tensorflow:2.18.0",
                  "      command: [python, /opt/model/train.py]",
                  f"      args: --train_steps={1000 + i},--model_dir=/data/job-{i:04d}",
                  "      num_masters: 1", "      num_ps: 1", "      num_workers: 2",
                  "      resources:", "        Worker:",
                  "          requests: {cpu: 500m, memory: 1Gi}", '          limits: {cpu: "1", memory: 2Gi}',
                  "      runPolicy: {cleanPodPolicy: Running, backoffLimit: 3}"]
    return "\n".join(lines) + "\n"


def rendered(profiles_dir: Path, name: str) -> list[dict[str, Any]]:
    return render_profile(validate_profile(load_profile(profiles_dir, name))).objects


def clear_caches() -> None:
    kyaml._values.clear()
    kyaml._keys.clear()
    kyaml._floats.clear()


def passes(write: Callable[[Any], str], objects: list[dict[str, Any]], repeat: int,
           before: Callable[[], None] | None = None) -> tuple[list[float], list[float]]:
    """objects/s of each timed pass, by wall clock and by this process's CPU time."""
    wall, cpu = [], []
    for i in range(repeat + 1):
        if before:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        for obj in objects:
            write(obj)
        elapsed, elapsed_cpu = time.perf_counter() - start, time.process_time() - start_cpu
        if i:  # the first pass warms up
            wall.append(len(objects) / elapsed)
            cpu.append(len(objects) / max(elapsed_cpu, 1e-9))
    return wall, cpu


def report(label: str, objects: list[dict[str, Any]], repeat: int) -> None:
    lines = sum(kyaml._to_yaml_reference(o).count("\n") for o in objects)
    mismatches = sum(kyaml.to_yaml(o) != kyaml._to_yaml_reference(o) for o in objects)
    print(f"\n{label}: {len(objects):,} objects, {lines / len(objects):.0f} lines each on average"
          f"{'' if not mismatches else f', {mismatches} MISMATCHES'}")
    print(f"  {'objects/s (median of ' + str(repeat) + ' passes)':<44} {'wall':>9} {'(best)':>9}  {'CPU':>9}  speed-up")
    ref = passes(kyaml._to_yaml_reference, objects, repeat)
    cold = passes(kyaml.to_yaml, objects, repeat, before=clear_caches)
    warm = passes(kyaml.to_yaml, objects, repeat)
    base = statistics.median(ref[1])
    for name, (wall, cpu) in (("reference (PyYAML representer + libyaml)", ref),
                              ("to_yaml, scalar caches emptied each pass", cold),
                              ("to_yaml, warm", warm)):
        med = statistics.median(cpu)
        print(f"  {name:<44} {statistics.median(wall):>9,.0f} {max(wall):>9,.0f}  {med:>9,.0f}  {med / base:5.1f}x")


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000, help="tf-job instances in the generated profile")
    parser.add_argument("--repeat", type=int, default=5, help="timed passes per figure")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        pdir = Path(tmp)
        (pdir / "bench-yaml.yaml").write_text(tfjob_profile(args.count), encoding="utf-8")
        objects = rendered(pdir, "bench-yaml")
    tfjobs = [o for o in objects if o.get("kind") == "TFJob"]
    report(f"{args.count:,} tf-job instances, the TFJobs", tfjobs, args.repeat)
    report(f"{args.count:,} tf-job instances, every object", objects, args.repeat)
    report("gpu-lab (committed profile)", rendered(ROOT / "profiles", "gpu-lab"), args.repeat)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
