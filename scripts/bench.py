#!/usr/bin/env python3
"""kfgen benchmark: prints figures, asserts nothing (it is not a test).

Run from the repository root::

    .venv/bin/python scripts/bench.py            # about 1-2 minutes
    .venv/bin/python scripts/bench.py --quick    # under a minute
    .venv/bin/python scripts/bench.py --repeat 9 --big-repeat 5

Sections (each figure is the median and the min over N repeats, after one untimed warm-up):

1. CLI start-up: ``kfgen --help`` in a new process each time, the interpreter alone, ``import
   kfgen.cli`` (wall and ``-X importtime``), and the top import offenders of ``kfgen --help``.
2. ``kfgen render --profile gpu-lab`` in a new process, into a fresh temp ``--out-dir`` (the repo's
   ``out/`` is never written), as a render cache miss (``KFGEN_NO_CACHE=1``, the issue's "cold" render,
   as every other kfgen run here) and as a hit (the cache in the temp dir), and ``--check`` against the
   repo's ``out/``; 2b. jsonnet (ksonnet's
   engine, python binding) evaluating a Kubeflow v0.1 core program (scripts/bench_targets.py).
3. In-process render of every committed profile: load+validate, render, serialize, total.
4. 1,000 component instances in a generated profile (temp dir): 1,000 ``tf-job`` instances and a
   mix of 1,000 ``tf-serving`` instances; in-process (objects/s) and the CLI writing the directory
   (files/s).
5. Validation throughput on the 1,000-TFJob objects: in-process ``validate_objects`` (first call
   in the process, cold validator cache, warm) vs kubeconform (-strict -summary, only the exported
   local schemas) over the written directory, and ``kfgen validate --no-kubeconform`` via the CLI;
   then the same two on a mixed corpus of the kinds kfgen renders (``scripts/bench_validation.py``).
6. A Markdown table to paste into the README.
7. Issue 13's table: each figure as a ratio measured in this run, plus memory peaks (ru_maxrss of
   child processes via ``os.wait4``, tracemalloc for the in-process render).

The machine is shared (other test runs may be going on): the load average is sampled throughout
and printed with the figures. Only the standard library, kfgen and ``scripts/bench_validation.py``
(validation throughput helpers) are used.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench_targets import ratio_row, run_measured, write_core_program

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python" if (VENV_BIN / "python").exists() else Path(sys.executable)
KFGEN = VENV_BIN / "kfgen"
K8S_VERSION = "1.37"

sys.path.insert(0, str(ROOT))  # the checkout's kfgen, even without the editable install


# --- measuring -----------------------------------------------------------------------------------

@dataclass
class Stat:
    samples: list[float]

    @property
    def median(self) -> float:
        return statistics.median(self.samples)

    @property
    def min(self) -> float:
        return min(self.samples)

    @property
    def n(self) -> int:
        return len(self.samples)


def repeat(fn: Callable[[], Any], n: int, *, warmup: int = 1) -> Stat:
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return Stat(samples)


class CommandFailed(RuntimeError):
    pass


def run(cmd: Sequence[str | os.PathLike[str]], *, ok: Sequence[int] = (0,),
        cwd: Path = ROOT, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run([str(c) for c in cmd], cwd=cwd, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=False, env=env)
    if proc.returncode not in ok:
        tail = (proc.stderr or proc.stdout).strip().splitlines()[-5:]
        raise CommandFailed(f"{shell(cmd)} exited {proc.returncode}: " + " / ".join(tail))
    return proc


def time_command(cmd: Sequence[str | os.PathLike[str]], n: int, *, ok: Sequence[int] = (0,),
                 before: Callable[[], None] | None = None,
                 warmup: int = 1) -> tuple[Stat, subprocess.CompletedProcess[str]]:
    """Wall time of a new process running *cmd* (perf_counter around subprocess.run)."""
    last: list[subprocess.CompletedProcess[str]] = []
    samples: list[float] = []
    for i in range(warmup + n):
        if before:
            before()
        start = time.perf_counter()
        proc = run(cmd, ok=ok)
        elapsed = time.perf_counter() - start
        if i >= warmup:
            samples.append(elapsed)
        last[:] = [proc]
    return Stat(samples), last[0]


def shell(cmd: Sequence[str | os.PathLike[str]]) -> str:
    def q(s: str) -> str:
        return s if re.fullmatch(r"[\w@%+=:,./-]+", s) else "'" + s.replace("'", "'\\''") + "'"
    return " ".join(q(str(c)) for c in cmd)


def rel(path: Path | str) -> str:
    p = Path(path)
    for base, shown in ((ROOT, ""), (Path.home(), "~/")):
        try:
            return shown + str(p.relative_to(base))
        except ValueError:
            pass
    return str(p)


# --- load of the machine -------------------------------------------------------------------------

def _cpu_times() -> tuple[int, int] | None:
    """(busy, total) jiffies of all CPUs from /proc/stat, or None off Linux."""
    try:
        with open("/proc/stat", encoding="ascii") as fh:
            parts = [int(x) for x in fh.readline().split()[1:]]
    except (OSError, ValueError):
        return None
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return sum(parts) - idle, sum(parts)


def _own_cpu() -> float:
    s, c = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return s.ru_utime + s.ru_stime + c.ru_utime + c.ru_stime


class LoadMonitor:
    """Samples the 1-minute load average every second; machine CPU busy vs this script's own CPU."""

    def __init__(self) -> None:
        self.samples: list[float] = []
        self.start_load = os.getloadavg()
        self.start_cpu = _cpu_times()
        self.start_own = _own_cpu()
        self.start_wall = time.perf_counter()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, daemon=True)
        self._thread.start()
        self.end_load: tuple[float, float, float] | None = None
        self.busy_cores = self.own_cores = self.wall = 0.0

    def _loop(self) -> None:
        while not self._stop.is_set():
            self.samples.append(os.getloadavg()[0])
            self._stop.wait(1.0)

    def stop(self) -> None:
        self._stop.set()
        self._thread.join()
        self.end_load = os.getloadavg()
        self.wall = time.perf_counter() - self.start_wall
        self.own_cores = (_own_cpu() - self.start_own) / self.wall if self.wall else 0.0
        end_cpu = _cpu_times()
        if self.start_cpu and end_cpu and end_cpu[1] > self.start_cpu[1]:
            frac = (end_cpu[0] - self.start_cpu[0]) / (end_cpu[1] - self.start_cpu[1])
            self.busy_cores = frac * (os.cpu_count() or 1)

    @staticmethod
    def now() -> str:
        one, five, fifteen = os.getloadavg()
        return f"load average {one:.2f} {five:.2f} {fifteen:.2f}"

    def summary(self) -> str:
        s, e = self.start_load, self.end_load or os.getloadavg()
        peak = max(self.samples) if self.samples else e[0]
        mean = statistics.fmean(self.samples) if self.samples else e[0]
        text = (f"load average (1/5/15 min) at start {s[0]:.2f}/{s[1]:.2f}/{s[2]:.2f}, "
                f"at end {e[0]:.2f}/{e[1]:.2f}/{e[2]:.2f}; "
                f"1-min load during the run: mean {mean:.2f}, max {peak:.2f} ({os.cpu_count()} cores)")
        if self.busy_cores:
            others = max(0.0, self.busy_cores - self.own_cores)
            text += (f"; CPU busy {self.busy_cores:.2f} of {os.cpu_count()} cores on average, "
                     f"{self.own_cores:.2f} of them this benchmark, ~{others:.2f} other processes")
        return text


# --- reporting -----------------------------------------------------------------------------------

@dataclass
class Row:
    figure: str
    value: str
    command: str


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    figs: dict[str, float] = field(default_factory=dict)  # for the issue-13 table (seconds, objects/s)
    memory: list[tuple[str, str]] = field(default_factory=list)  # (what, peak)

    def rss(self, what: str, cmd: Sequence[str | os.PathLike[str]]) -> None:
        """Peak RSS of one more run of *cmd* in a new process."""
        _, _, kib = run_measured(cmd, ROOT)
        self.memory.append((what, f"{kib / 1024:.1f} MiB peak RSS (ru_maxrss of the child)"))

    def add(self, figure: str, value: str, command: str) -> None:
        self.rows.append(Row(figure, value, command))


def ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds < 10 else f"{seconds:.1f} s"


def secs(st: Stat) -> str:
    return f"{ms(st.median)} (min {ms(st.min)}, n={st.n})"


def rate(count: int, st: Stat, unit: str) -> str:
    med = count / st.median if st.median else float("inf")
    best = count / st.min if st.min else float("inf")
    return f"{med:,.0f} {unit} (best {best:,.0f}, n={st.n})"


def line(label: str, st: Stat, extra: str = "") -> None:
    print(f"  {label:<52} median {ms(st.median):>8}   min {ms(st.min):>8}   n={st.n}{'   ' + extra if extra else ''}")


def section(title: str) -> None:
    print(f"\n== {title}  [{LoadMonitor.now()}]")


# --- 1. CLI start-up -----------------------------------------------------------------------------

_IMPORTTIME = re.compile(r"^import time:\s+(\d+)\s+\|\s+(\d+)\s+\|(\s+)(\S+)\s*$")


def parse_importtime(stderr: str) -> list[tuple[int, int, int, str]]:
    """(self µs, cumulative µs, depth, module) per line of ``python -X importtime`` output."""
    out = []
    for raw in stderr.splitlines():
        m = _IMPORTTIME.match(raw)
        if m:
            out.append((int(m.group(1)), int(m.group(2)), (len(m.group(3)) - 1) // 2, m.group(4)))
    return out


def profile_prototypes(name: str) -> list[str]:
    """The prototypes profiles/NAME.yaml uses (after ``extends``), read with kfgen's loader."""
    from kfgen.profile import load_profile

    components = load_profile(ROOT / "profiles", name).data.get("components") or {}
    return sorted({c["prototype"] for c in components.values() if isinstance(c, dict) and "prototype" in c})


def bench_startup(report: Report, n: int) -> None:
    section("1. CLI start-up (new process each time; bytecode and page cache warm after one untimed run)")
    help_cmd = [KFGEN, "--help"]
    st_help, _ = time_command(help_cmd, n)
    st_py, _ = time_command([PYTHON, "-c", "pass"], n)
    st_imp, _ = time_command([PYTHON, "-c", "import kfgen.cli"], n)
    line("python -c pass (interpreter + site, baseline)", st_py)
    line("python -c 'import kfgen.cli'", st_imp)
    line("kfgen --help", st_help)
    base_cmd = [PYTHON, "-c", "import pydantic, yaml, typer"]
    st_base, _ = time_command(base_cmd, n)
    line("python -c 'import pydantic, yaml, typer' (issue baseline)", st_base)
    report.figs["import_baseline"] = st_base.median
    report.rss("python -c 'import pydantic, yaml, typer'", base_cmd)
    report.add("`import pydantic, yaml, typer` (the issue's baseline)", secs(st_base),
               f"`{rel(PYTHON)} -c 'import pydantic, yaml, typer'`")
    # The floor of any render that validates with pydantic (a cache miss): the baseline plus pydantic's model
    # machinery (``import pydantic`` alone is lazy), then plus building kfgen's models for gpu-lab's prototypes.
    floor_code = "import pydantic, yaml, typer; from pydantic import BaseModel"
    st_floor, _ = time_command([PYTHON, "-c", floor_code], n)
    models_code = ("import pydantic, yaml, typer; from kfgen.profile.model import profile_model; "
                   f"profile_model(frozenset({profile_prototypes('gpu-lab')!r}))")
    st_models, _ = time_command([PYTHON, "-c", models_code], n)
    line("python -c '... ; from pydantic import BaseModel' (floor of a pydantic render)", st_floor)
    line("python -c '... ; kfgen's models for gpu-lab's prototypes built'", st_models)
    report.figs["import_floor"] = st_floor.median
    report.figs["import_models"] = st_models.median
    report.add("The baseline plus `from pydantic import BaseModel` (the floor of any render that validates "
               "with pydantic)", secs(st_floor), f"`{rel(PYTHON)} -c '{floor_code}'`")
    report.add("The baseline plus kfgen's profile model for gpu-lab's prototypes, built", secs(st_models),
               f"`{rel(PYTHON)} -c '{models_code}'`")

    # -X importtime: cumulative import time of kfgen.cli (its own line: typer, click, ... included).
    cli_us: list[float] = []
    for i in range(n + 1):
        proc = run([PYTHON, "-X", "importtime", "-c", "import kfgen.cli"])
        if i:
            rows = parse_importtime(proc.stderr)
            cli_us.append(sum(c for _, c, d, mod in rows if d == 0 and mod in ("kfgen", "kfgen.cli")) / 1e6)
    st_cli = Stat(cli_us)
    line("import kfgen + kfgen.cli (-X importtime, cumulative)", st_cli)

    # Top offenders of `kfgen --help` itself (one run; -X importtime inflates times a little).
    proc = run([PYTHON, "-X", "importtime", KFGEN, "--help"])
    rows = parse_importtime(proc.stderr)
    total = sum(c for _, c, d, _ in rows if d == 0)
    by_pkg: dict[str, int] = {}
    for self_us, _, _, mod in rows:
        root = mod.split(".")[0]
        by_pkg[root] = by_pkg.get(root, 0) + self_us
    top_level = sorted(((c, mod) for _, c, d, mod in rows if d == 0), reverse=True)[:8]
    print(f"  -X importtime of 'kfgen --help': {len(rows)} modules, {total / 1000:.0f} ms of imports in total")
    print("    top-level imports by cumulative time: "
          + ", ".join(f"{mod} {c / 1000:.0f} ms" for c, mod in top_level))
    print("    self time by top-level package:      "
          + ", ".join(f"{pkg} {us / 1000:.0f} ms" for pkg, us in sorted(by_pkg.items(), key=lambda kv: -kv[1])[:8]))
    heavy = [m for m in ("pydantic", "yaml", "jsonschema", "kfgen.render.pipeline", "kfgen.validate.profiles")
             if any(mod == m for *_, mod in rows)]
    print("    heavy modules imported by --help: "
          + (", ".join(heavy) or "none (pydantic, yaml, jsonschema are lazy)"))

    report.add("Python start-up alone", secs(st_py), f"`{rel(PYTHON)} -c pass`")
    report.add("`import kfgen.cli` (wall, new process)", secs(st_imp), f"`{rel(PYTHON)} -c 'import kfgen.cli'`")
    report.add("`import kfgen.cli` (import time only)", secs(st_cli),
               f"`{rel(PYTHON)} -X importtime -c 'import kfgen.cli'`")
    report.add("CLI start-up: `kfgen --help`", secs(st_help), f"`{rel(KFGEN)} --help`")


# --- 2. cold render of gpu-lab -------------------------------------------------------------------

def bench_cli_render(report: Report, n: int, tmp: Path) -> None:
    section("2. kfgen render --profile gpu-lab, new process each time")
    out_root = tmp / "cli-render"
    counter = iter(range(10**6))
    target: list[Path] = []

    def fresh() -> None:
        target[:] = [out_root / str(next(counter))]

    def timed(env: dict[str, str] | None) -> tuple[Stat, subprocess.CompletedProcess[str]]:
        samples = []
        for i in range(n + 1):
            fresh()
            start = time.perf_counter()
            proc = run([KFGEN, "render", "--profile", "gpu-lab", "--out-dir", target[0]], env=env)
            if i:
                samples.append(time.perf_counter() - start)
        return Stat(samples), proc

    # the issue's "cold" render: a cache miss (KFGEN_NO_CACHE=1, set for every run of this benchmark)
    st_render, proc = timed(None)
    report.figs["cold_render"] = st_render.median
    fresh()
    report.rss("kfgen render --profile gpu-lab (cache miss)",
               [KFGEN, "render", "--profile", "gpu-lab", "--out-dir", target[0]])
    nfiles = sum(1 for p in (target[0] / "gpu-lab").iterdir() if p.is_file())
    line("render into a fresh temp --out-dir, cache miss (KFGEN_NO_CACHE=1)", st_render,
         f"{nfiles} files; {proc.stdout.strip()[:60]}")
    # the same inputs rendered again: a render cache hit (the warm-up run stores the entry; $KFGEN_CACHE_DIR is
    # the benchmark's temp dir)
    cached = {k: v for k, v in os.environ.items() if k != "KFGEN_NO_CACHE"}
    st_hit, _ = timed(cached)
    report.figs["cold_render_hit"] = st_hit.median
    line("render into a fresh temp --out-dir, render cache hit", st_hit, f"{nfiles} files")

    check_cmd = [KFGEN, "render", "--profile", "gpu-lab", "--check"]
    st_check, proc = time_command(check_cmd, n, ok=(0, 1))
    state = "up to date" if proc.returncode == 0 else "DRIFT (exit 1: out/gpu-lab differs from a fresh render)"
    line("render --check against the repo's out/", st_check, state)
    report.add("Cold `kfgen render` of gpu-lab (writes a fresh dir), render cache miss",
               secs(st_render) + f", {nfiles} files",
               f"`KFGEN_NO_CACHE=1 {rel(KFGEN)} render --profile gpu-lab --out-dir $TMP`")
    report.add("The same, render cache hit (same inputs rendered before)", secs(st_hit) + f", {nfiles} files",
               f"`{rel(KFGEN)} render --profile gpu-lab --out-dir $TMP` (run twice)")
    report.add("`kfgen render --check` of gpu-lab", secs(st_check) + ("" if proc.returncode == 0 else ", drift"),
               f"`{shell([rel(KFGEN), *check_cmd[1:]])}`")


# --- 2b. ksonnet's engine: jsonnet evaluating Kubeflow v0.1 core ----------------------------------

# What `ks show default -c kubeflow-core` evaluated (ksonnet 0.9-0.11): the component ksonnet generated from
# kubeflow-core's prototype (kubeflow/core/prototypes/all.jsonnet at Kubeflow v0.1.0), with the environment
# and the params (ksonnet's strings, the prototype's defaults) passed as ext vars.
KSONNET_COMPONENT = """\
local env = std.extVar("__ksonnet/environments");
local params = std.extVar("__ksonnet/params").components["kubeflow-core"];
local k = import "k.libsonnet";
local all = import "kubeflow/core/all.libsonnet";
local updatedParams = params {
  namespace: if params.namespace == "null" then env.namespace else params.namespace
};
std.prune(k.core.v1.list.new(all.parts(updatedParams).all))
"""
KSONNET_PARAMS = {"components": {"kubeflow-core": {
    "name": "kubeflow-core", "namespace": "null", "disks": "null", "cloud": "null",
    "tfAmbassadorServiceType": "ClusterIP",
    "tfJobImage": "gcr.io/kubeflow-images-staging/tf_operator:v20180329-a7511ff",
    "tfDefaultImage": "null", "tfJobUiServiceType": "ClusterIP", "jupyterHubServiceType": "ClusterIP",
    "jupyterHubImage": "gcr.io/kubeflow/jupyterhub-k8s:1.0.1", "jupyterHubAuthenticator": "null",
    "jupyterNotebookPVCMount": "null", "reportUsage": "false", "usageId": "unknown_cluster"}}}


def bench_ksonnet_app(report: Report, n: int, tmp: Path, ksonnet_dir: Path) -> bool:
    """The real thing, when the user has the 2018 sources: *ksonnet_dir*/lib/ksonnet.beta.2/k.libsonnet
    (ksonnet-lib) and *ksonnet_dir*/vendor/kubeflow/core/ (kubeflow/kubeflow at v0.1.0). Nothing of them is
    shipped with kfgen; pass the directory with --ksonnet-dir."""
    lib, vendor = ksonnet_dir / "lib" / "ksonnet.beta.2", ksonnet_dir / "vendor"
    if not (lib / "k.libsonnet").is_file() or not (vendor / "kubeflow" / "core" / "all.libsonnet").is_file():
        print(f"  --ksonnet-dir {ksonnet_dir}: needs lib/ksonnet.beta.2/k.libsonnet and vendor/kubeflow/core/")
        return False
    d = tmp / "ksonnet-app"
    d.mkdir()
    (d / "kubeflow-core.jsonnet").write_text(KSONNET_COMPONENT)
    code = ("import _jsonnet, sys; out = _jsonnet.evaluate_file(sys.argv[1], jpathdir=[sys.argv[2], sys.argv[3]], "
            "ext_codes={'__ksonnet/environments': '{\"namespace\": \"kubeflow\"}', "
            "'__ksonnet/params': sys.argv[4]}); import json; sys.stdout.write(str(len(json.loads(out)['items'])))")
    cmd = [PYTHON, "-c", code, str(d / "kubeflow-core.jsonnet"), str(lib), str(vendor), json.dumps(KSONNET_PARAMS)]
    st_proc, proc = time_command(cmd, max(1, min(n, 3)))
    line("jsonnet: Kubeflow v0.1.0's kubeflow-core component with ksonnet-lib (new process)", st_proc)
    print(f"  {proc.stdout.strip()} objects (the reference a-core-defaults.yaml has 25)")
    report.figs["jsonnet_process"] = st_proc.median
    report.figs["jsonnet_real"] = 1.0
    report.add("jsonnet (python binding) evaluating Kubeflow v0.1.0's kubeflow-core component with ksonnet-lib's "
               "k.libsonnet (beta.2), default params, new process", secs(st_proc),
               "`scripts/bench.py --ksonnet-dir DIR` (DIR/lib/ksonnet.beta.2, DIR/vendor/kubeflow/core from the "
               "2018 sources)")
    return True


def bench_jsonnet(report: Report, n: int, tmp: Path, ksonnet_dir: Path | None = None) -> None:
    section("2b. jsonnet (ksonnet's engine) evaluating a Kubeflow v0.1 core program")
    try:
        import _jsonnet
    except ImportError:
        print("  the jsonnet package is not installed: skipped")
        report.notes.append("jsonnet not installed: the ksonnet-engine row is missing.")
        return
    if ksonnet_dir is not None and bench_ksonnet_app(report, n, tmp, ksonnet_dir):
        return
    path, plain, what, size = write_core_program(ROOT, tmp)
    start = time.perf_counter()
    _jsonnet.evaluate_file(str(path))
    pruned = time.perf_counter() - start  # once: jsonnet 0.22's std.prune takes seconds on this input
    st_eval = repeat(lambda: _jsonnet.evaluate_file(str(plain)), n)
    cmd = [PYTHON, "-c", f"import _jsonnet; _jsonnet.evaluate_file({str(plain)!r})"]
    st_proc, _ = time_command(cmd, n)
    print(f"  jsonnet evaluate_file with std.prune (as Kubeflow's component), in-process, n=1: {ms(pruned)}")
    line("jsonnet evaluate_file without std.prune, in-process", st_eval)
    line("the same in a new process (python -c 'import _jsonnet; ...')", st_proc)
    print(f"  program: {size:,} bytes of jsonnet rebuilding {what} through ksonnet-style constructors and "
          "mixins; ksonnet-lib's real k.libsonnet is not vendored here, so the evaluation is lighter "
          "than `ks show` was. The ratio row uses the new-process run WITHOUT std.prune (the faster one).")
    report.figs["jsonnet_process"] = st_proc.median
    report.figs["jsonnet_eval"] = st_eval.median
    report.add("jsonnet (python binding) evaluating the Kubeflow v0.1 core program without std.prune, new process",
               secs(st_proc) + f"; evaluation alone {ms(st_eval.median)}; with std.prune {ms(pruned)} (n=1)",
               f"`python -c 'import _jsonnet; _jsonnet.evaluate_file(...)'` ({size:,} bytes: {what})")


# --- 3. in-process render of the committed profiles ----------------------------------------------

@dataclass
class Stages:
    objects: int
    files: int
    load: Stat
    render: Stat
    serialize: Stat
    total: Stat
    result: Any = None
    profile: Any = None


def stage_times(ws: Any, name: str, n: int, *, warmup: int = 1) -> Stages:
    from kfgen.output.files import render_files
    from kfgen.render.pipeline import render_profile

    loads, renders, sers, totals = [], [], [], []
    for i in range(n + warmup):
        t0 = time.perf_counter()
        profile = ws.load(name)
        t1 = time.perf_counter()
        result = render_profile(profile)
        t2 = time.perf_counter()
        files = render_files(result, profile.namespace)
        t3 = time.perf_counter()
        if i >= warmup:
            loads.append(t1 - t0), renders.append(t2 - t1), sers.append(t3 - t2), totals.append(t3 - t0)
    return Stages(len(result.objects), len(files), Stat(loads), Stat(renders), Stat(sers), Stat(totals),
                  result, profile)


def print_stages(s: Stages) -> None:
    line("load + validate profile", s.load)
    line("render_profile", s.render)
    line("render_files (serialize)", s.serialize)
    line("total", s.total, rate(s.objects, s.total, "objects/s"))


def bench_in_process(report: Report, n: int) -> None:
    from kfgen.actions import Workspace

    section("3. In-process render of the committed profiles (after one warm-up)")
    ws = Workspace(ROOT / "profiles", ROOT / "out")
    for name in ws.profile_names():
        s = stage_times(ws, name, n)
        print(f"  profile {name}: {s.objects} objects, {s.files} files")
        print_stages(s)
        report.add(f"In-process render of {name} ({s.objects} objects)",
                   f"{secs(s.total)}: load {ms(s.load.median)}, render {ms(s.render.median)}, "
                   f"serialize {ms(s.serialize.median)}",
                   f"`Workspace('profiles').render('{name}')`")


# --- 4. many instances ---------------------------------------------------------------------------

HEADER = ['# Generated by scripts/bench.py', 'description: kfgen benchmark profile', 'namespace: bench',
          f'kubernetesVersion: "{K8S_VERSION}"', 'cluster:', '  nodes:',
          '    - {name: node1, cpu: "64", memory: 256Gi}', 'components:']


def tfjob_profile(count: int) -> str:
    lines = list(HEADER)
    for i in range(count):
        lines += [f"  job-{i:04d}:", "    prototype: tf-job", "    params:",
                  "      image: docker.io/tensorflow/tensorflow:2.18.0",
                  "      command: [python, /opt/model/train.py]",
                  f"      args: --train_steps={1000 + i},--model_dir=/data/job-{i:04d}",
                  "      num_masters: 1", "      num_ps: 1", "      num_workers: 2",
                  "      resources:", "        Worker:",
                  "          requests: {cpu: 500m, memory: 1Gi}", "          limits: {cpu: \"1\", memory: 2Gi}",
                  "      runPolicy: {cleanPodPolicy: Running, backoffLimit: 3}"]
    return "\n".join(lines) + "\n"


def serving_profile(count: int) -> str:
    """A mix: every other instance with the HTTP proxy, a third NodePort, some with S3 or 2 replicas."""
    lines = list(HEADER)
    for i in range(count):
        s3 = i % 7 == 0
        lines += [f"  serve-{i:04d}:", "    prototype: tf-serving", "    params:",
                  f"      modelPath: {'s3' if s3 else 'gs'}://bench-models/m{i:04d}"]
        if s3:
            lines += ["      s3Enable: true", "      s3SecretName: s3-creds"]
        if i % 2:
            lines.append("      deployHttpProxy: true")
        if i % 3 == 0:
            lines += ["      serviceType: NodePort", "      allowUnauthenticatedExternalAccess: true"]
        if i % 5 == 0:
            lines.append("      replicas: 2")
    return "\n".join(lines) + "\n"


@dataclass
class Big:
    name: str
    what: str
    profiles_dir: Path
    stages: Stages | None = None
    out_dir: Path | None = None  # last CLI-written out dir (kept for section 5)


def bench_many(report: Report, n_in: int, n_cli: int, count: int, tmp: Path) -> dict[str, Big]:
    from kfgen.actions import Workspace

    section(f"4. Many instances: generated profiles with {count:,} component instances (temp dir)")
    pdir = tmp / "profiles"
    pdir.mkdir()
    bigs = {
        "tfjob": Big(f"bench-tfjob-{count}", f"{count:,} tf-job instances", pdir),
        "serving": Big(f"bench-serving-{count}", f"{count:,} tf-serving instances (mixed params)", pdir),
    }
    (pdir / f"{bigs['tfjob'].name}.yaml").write_text(tfjob_profile(count), encoding="utf-8")
    (pdir / f"{bigs['serving'].name}.yaml").write_text(serving_profile(count), encoding="utf-8")
    ws = Workspace(pdir, tmp / "unused-out")
    counter = iter(range(10**6))
    for key, big in bigs.items():
        # No warm-up run here: section 3 already ran the same prototypes and code paths.
        s = big.stages = stage_times(ws, big.name, n_in, warmup=0)
        print(f"  {big.what}: profile {big.name}, {s.objects:,} objects, {s.files:,} files")
        print("   in-process:")
        print_stages(s)
        samples = []
        target = None
        for _ in range(n_cli):  # no warm-up: bytecode and page cache are warm from sections 1-2
            target = tmp / "cli-big" / str(next(counter))
            start = time.perf_counter()
            run([KFGEN, "render", "--profile", big.name, "--profiles-dir", pdir, "--out-dir", target])
            samples.append(time.perf_counter() - start)
        big.out_dir = target
        written = sum(1 for p in (target / big.name).iterdir() if p.is_file())
        st_cli = Stat(samples)
        report.figs[f"{key}_cli"] = st_cli.median
        report.figs[f"{key}_objects_per_s"] = s.objects / s.total.median
        report.rss(f"kfgen render -p {big.name}", [KFGEN, "render", "--profile", big.name, "--profiles-dir", pdir,
                                                   "--out-dir", tmp / "cli-big" / str(next(counter))])
        report.memory.append((f"in-process render of {big.name} (tracemalloc peak)", traced_peak(ws, big.name)))
        print("   CLI (new process, writes a fresh --out-dir):")
        line(f"kfgen render -p {big.name}", st_cli, rate(written, st_cli, "files/s"))
        report.add(f"In-process render, {big.what} ({s.objects:,} objects)",
                   f"{secs(s.total)}; {rate(s.objects, s.total, 'objects/s')}",
                   f"`Workspace(tmp).render('{big.name}')` (load {ms(s.load.median)}, "
                   f"render {ms(s.render.median)}, serialize {ms(s.serialize.median)})")
        report.add(f"CLI render writing the directory, {big.what} ({written:,} files)",
                   f"{secs(st_cli)}; {rate(written, st_cli, 'files/s')}",
                   f"`kfgen render -p {big.name} --profiles-dir $TMP/profiles --out-dir $TMP/out`")
    return bigs


def traced_peak(ws: Any, name: str) -> str:
    """Peak Python allocation (tracemalloc) of one load + render + serialize of *name* (untimed run)."""
    import tracemalloc

    from kfgen.output.files import render_files
    from kfgen.render.pipeline import render_profile

    tracemalloc.start()
    try:
        profile = ws.load(name)
        render_files(render_profile(profile), profile.namespace)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return f"{peak / 2**20:.1f} MiB peak traced allocation"


# --- 5. validation throughput --------------------------------------------------------------------

def bench_validation(report: Report, n: int, n_cli: int, big: Big, tmp: Path) -> None:
    from kfgen.validate import objects as in_process
    from kfgen.validate.export import SCHEMA_TEMPLATE, export_schemas
    from kfgen.validate.kubeconform import find_kubeconform
    from kfgen.validate.manifests import manifest_files
    from kfgen.validate.objects import clear_cache, validate_objects

    assert big.stages is not None and big.out_dir is not None
    objects = big.stages.result.objects
    count = len(objects)
    section(f"5. Validation throughput on the {count:,} objects of {big.name} (one run, same objects)")

    # benchmark only: nothing validated in this process yet (compiled jsonschema-rs validators, or jsonschema's)
    fresh_process = not in_process._VALIDATORS and not in_process._COMPILED
    start = time.perf_counter()
    findings = validate_objects(objects, K8S_VERSION)
    first = time.perf_counter() - start
    label = ("first call in this process (schemas loaded, validators built)" if fresh_process
             else "first call (caches were already warm)")
    print(f"  in-process validate_objects, {label:<52} {ms(first):>8}   {count / first:,.0f} objects/s   "
          f"findings: {len(findings)}")
    compiled = in_process.compiled_validator_for(objects[0]["apiVersion"], objects[0]["kind"], K8S_VERSION)
    print("    validator: " + ("jsonschema-rs first, jsonschema words the errors of the objects it finds invalid"
                              if compiled is not None else "jsonschema alone (jsonschema-rs not installed)"))

    cold_samples = []
    for _ in range(n):
        clear_cache()
        start = time.perf_counter()
        validate_objects(objects, K8S_VERSION)
        cold_samples.append(time.perf_counter() - start)
    st_cold = Stat(cold_samples)
    st_warm = repeat(lambda: validate_objects(objects, K8S_VERSION), n, warmup=1)
    line("in-process validate_objects, cold validator cache", st_cold, rate(count, st_cold, "objects/s"))
    line("in-process validate_objects, warm validator cache", st_warm, rate(count, st_warm, "objects/s"))
    report.add(f"In-process `validate_objects`, {count:,} TFJob objects, first call in process",
               f"{ms(first)}; {count / first:,.0f} objects/s (n=1)",
               "`kfgen.validate.objects.validate_objects(objects, '1.37')`")
    report.add(f"In-process `validate_objects`, {count:,} objects, cold validator cache",
               f"{secs(st_cold)}; {rate(count, st_cold, 'objects/s')}",
               "`clear_cache(); validate_objects(objects, '1.37')`")
    report.add(f"In-process `validate_objects`, {count:,} objects, warm validator cache",
               f"{secs(st_warm)}; {rate(count, st_warm, 'objects/s')}",
               "`validate_objects(objects, '1.37')` again")

    directory = big.out_dir / big.name
    nfiles = len(manifest_files(directory))
    binary = find_kubeconform()
    schema_dir = tmp / "k8s-schemas"
    if binary is None:
        print("  kubeconform: not found ($KFGEN_TOOLS_DIR, ~/.cache/kfgen/bin, PATH); "
              "build it with scripts/tools.sh. Skipped.")
        report.notes.append("kubeconform was not installed: its figures are missing.")
    else:
        start = time.perf_counter()
        exported = export_schemas(schema_dir, K8S_VERSION)
        export_s = time.perf_counter() - start
        print(f"  export_schemas(tmp, '{K8S_VERSION}'): {len(exported)} schema files in {ms(export_s)}")
        version = run([binary, "-v"]).stdout.strip() or "?"
        cmd = [binary, "-strict", "-summary", "-schema-location", f"{schema_dir}/{SCHEMA_TEMPLATE}", directory]
        st_kc, proc = time_command(cmd, n, ok=(0, 1))
        report.figs["kubeconform"] = st_kc.median
        report.rss("kubeconform -strict over the 1,000-TFJob directory", cmd)
        m = re.search(r"(\d+) resources found in (\d+) files - "
                      r"Valid: (\d+), Invalid: (\d+), Errors: (\d+), Skipped: (\d+)", proc.stdout + proc.stderr)
        resources = int(m.group(1)) if m else nfiles
        summary = m.group(0) if m else (proc.stdout + proc.stderr).strip()[-120:]
        line(f"kubeconform -strict -summary ({nfiles:,} files)", st_kc, rate(resources, st_kc, "objects/s"))
        print(f"    {summary}  (exit {proc.returncode}; kubeconform -v: {version}; "
              f"-n default 4 goroutines on {os.cpu_count()} cores)")
        report.add(f"`kfgen schemas export` equivalent (`export_schemas`), {len(exported)} schemas",
                   f"{ms(export_s)} (n=1)", f"`export_schemas(tmp, '{K8S_VERSION}')`")
        report.add(f"kubeconform over the written directory ({resources:,} objects, {nfiles:,} files)",
                   f"{secs(st_kc)}; {rate(resources, st_kc, 'objects/s')}",
                   f"`kubeconform -strict -summary -schema-location '$SCHEMAS/{SCHEMA_TEMPLATE}' "
                   f"$TMP/out/{big.name}/`")

    bench_mixed(report, n, count, tmp, binary, schema_dir)

    cmd = [KFGEN, "validate", "--profile", big.name, "--no-kubeconform", "--profiles-dir", big.profiles_dir,
           "--out-dir", big.out_dir]
    try:
        st_val, proc = time_command(cmd, n_cli, ok=(0, 1), warmup=0)
        report.figs["kfgen_validate"] = st_val.median
        report.rss(f"kfgen validate -p {big.name} --no-kubeconform", cmd)
    except CommandFailed as exc:
        print(f"  kfgen validate --no-kubeconform: could not run ({exc})")
        report.notes.append(f"`kfgen validate` with --profiles-dir/--out-dir failed: {exc}")
        return
    out = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    line("kfgen validate --no-kubeconform (CLI, new process)", st_val, rate(count, st_val, "objects/s"))
    print(f"    {out}  (exit {proc.returncode}; renders, validates the render's drifted objects "
          "and every committed file)")
    report.add(f"`kfgen validate --no-kubeconform`, {big.name} (render + {nfiles:,} files on disk)",
               f"{secs(st_val)}; {rate(count, st_val, 'objects/s')}"
               + ("" if proc.returncode == 0 else f", exit {proc.returncode}"),
               f"`kfgen validate -p {big.name} --no-kubeconform --profiles-dir $TMP/profiles --out-dir $TMP/out`")


def bench_mixed(report: Report, n: int, count: int, tmp: Path, binary: Path | None, schema_dir: Path) -> None:
    """Both validators on *count* valid objects of nine kinds (scripts/bench_validation.py's corpus),
    one file each for kubeconform; best of *n*, as objects/s."""
    from bench_validation import bench_corpus, bench_kubeconform, bench_validate

    from kfgen.output.yaml import to_yaml

    corpus = bench_corpus(count)
    kinds = len({o["kind"] for o in corpus})
    cold = bench_validate(corpus, K8S_VERSION, rounds=n, warm=False)
    warm = bench_validate(corpus, K8S_VERSION, rounds=n)
    print(f"  in-process validate_objects, {count:,} objects of {kinds} kinds (bench_corpus), best of {n}: "
          f"cold {cold:,.0f} objects/s, warm {warm:,.0f} objects/s")
    report.add(f"In-process `validate_objects`, {count:,} objects of {kinds} kinds, cold / warm validator cache",
               f"{cold:,.0f} / {warm:,.0f} objects/s (best of {n})",
               f"`bench_validate(bench_corpus({count}), warm=False)` / `warm=True` (scripts/bench_validation.py)")
    if binary is None:
        return
    corpus_dir = tmp / "corpus"
    corpus_dir.mkdir()
    for i, obj in enumerate(corpus):
        (corpus_dir / f"{i:05d}.yaml").write_text(to_yaml(obj), encoding="utf-8")
    kc = bench_kubeconform([corpus_dir], schema_dir, binary, rounds=n)
    print(f"  kubeconform -strict over the same {count:,} objects (one file each), best of {n}: {kc:,.0f} objects/s")
    report.add(f"kubeconform, {count:,} objects of {kinds} kinds ({count:,} files)",
               f"{kc:,.0f} objects/s (best of {n})",
               "`bench_kubeconform([dir], schemas, kubeconform)` (scripts/bench_validation.py)")


# --- 6. summary ----------------------------------------------------------------------------------

def md(text: str) -> str:
    return text.replace("|", "\\|")


def print_summary(report: Report, monitor: LoadMonitor, args: argparse.Namespace) -> None:
    try:
        from kfgen.validate.kubeconform import find_kubeconform

        kc = find_kubeconform()
    except ImportError:  # the summary prints whatever stopped the run
        kc = None
    quick = " --quick" if args.quick else ""
    print("\n== 6. Summary (Markdown, paste into the README)\n")
    print(f"Measured with `.venv/bin/python scripts/bench.py{quick}` "
          f"({args.repeat} repeats, {args.big_repeat} for the {args.instances:,}-instance renders and "
          "`kfgen validate`; median, min in brackets) "
          f"on {platform.system()} {platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
          f"{', kubeconform at ' + rel(kc) if kc else ''}. "
          "Times are wall-clock; the machine was shared (load in the last row).\n")
    print("| figure | value | command |")
    print("|---|---|---|")
    for r in report.rows:
        print(f"| {md(r.figure)} | {md(r.value)} | {md(r.command)} |")
    s, e = monitor.start_load, monitor.end_load or os.getloadavg()
    peak = max(monitor.samples) if monitor.samples else e[0]
    load = f"{s[0]:.2f} → {e[0]:.2f} (1-min; max {peak:.2f}); 5-min {e[1]:.2f}, 15-min {e[2]:.2f}"
    if monitor.busy_cores:
        others = max(0.0, monitor.busy_cores - monitor.own_cores)
        load += f"; CPU busy {monitor.busy_cores:.2f}/{os.cpu_count()} cores, ~{others:.2f} from other processes"
    print(f"| Machine load during the benchmark | {md(load)} | `uptime`, /proc/stat |")
    print(f"| Benchmark wall time | {monitor.wall:.0f} s | `.venv/bin/python scripts/bench.py{quick}` |")
    for note in report.notes:
        print(f"\nNote: {note}")
    print(f"\n{monitor.summary()}")


def print_issue_table(report: Report) -> None:
    """Issue 13's table: every row as a ratio measured in this run, then the memory peaks."""
    f = report.figs.get
    per_s = f("tfjob_objects_per_s")
    print("\n== 7. Issue 13's figures (ratios from this run)\n")
    print("| figure | measured | ratio |")
    print("|---|---|---|")
    rows = [
        ("cold `kfgen render --profile gpu-lab` vs `python -c \"import pydantic, yaml, typer\"`",
         f"{ms(f('cold_render', 0))} vs {ms(f('import_baseline', 0))}",
         ratio_row(f("cold_render"), f("import_baseline"), 1.5) + "; absolute target ≤ 250 ms: "
         + ("met" if f("cold_render", 9) <= 0.25 else "not met") + " (a render cache miss: KFGEN_NO_CACHE=1)"),
        ("the floor of a cache miss: the same import plus `from pydantic import BaseModel`, vs the import",
         f"{ms(f('import_floor', 0))} vs {ms(f('import_baseline', 0))}",
         ratio_row(f("import_floor"), f("import_baseline"), 1.5)
         + " (any process that validates a profile with pydantic models starts here)"),
        ("the floor plus kfgen's profile model for gpu-lab's prototypes, built, vs the import",
         f"{ms(f('import_models', 0))} vs {ms(f('import_baseline', 0))}",
         ratio_row(f("import_models"), f("import_baseline"), 1.5)),
        ("the same, a render cache hit (inputs rendered before), vs the same import",
         f"{ms(f('cold_render_hit', 0))} vs {ms(f('import_baseline', 0))}",
         ratio_row(f("cold_render_hit"), f("import_baseline"), 1.5) + "; absolute target ≤ 250 ms: "
         + ("met" if f("cold_render_hit", 9) <= 0.25 else "not met")),
        ("the cache-miss render vs jsonnet evaluating the Kubeflow v0.1 core program (new process"
         + (", Kubeflow v0.1.0 + ksonnet-lib)" if f("jsonnet_real", 0) else ", stand-in program without std.prune)"),
         f"{ms(f('cold_render', 0))} vs {ms(f('jsonnet_process', 0))}",
         ratio_row(f("cold_render"), f("jsonnet_process"), 0.15)),
        ("the cache-hit render vs the same jsonnet evaluation",
         f"{ms(f('cold_render_hit', 0))} vs {ms(f('jsonnet_process', 0))}",
         ratio_row(f("cold_render_hit"), f("jsonnet_process"), 0.15)),
        ("1,000 tf-job instances through the CLI (writes the directory) vs 0.5 s",
         ms(f("tfjob_cli", 0)), ratio_row(f("tfjob_cli"), 0.5, 1.0, " of the target")),
        ("objects/s, in-process render of that profile (load + validate + render + serialize) vs 6,000",
         f"{per_s:,.0f} objects/s" if per_s else "not measured",
         f"{per_s / 6000:.2f} of the target (target ≥ 1)" if per_s else "not measured"),
        ("`kfgen validate --no-kubeconform` of that profile vs kubeconform -strict on the same files",
         f"{ms(f('kfgen_validate', 0))} vs {ms(f('kubeconform', 0))}",
         ratio_row(f("kfgen_validate"), f("kubeconform"), 1.0)),
    ]
    for figure, measured, ratio in rows:
        print(f"| {md(figure)} | {md(measured)} | {md(ratio)} |")
    print("\nMemory peaks:\n")
    for what, peak in report.memory:
        print(f"- {what}: {peak}")


# --- main ----------------------------------------------------------------------------------------

def main(argv: Sequence[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="fewer repeats (under a minute)")
    ap.add_argument("--ksonnet-dir", type=Path, default=None,
                    help="measure ksonnet's engine on the real 2018 sources: DIR/lib/ksonnet.beta.2 (ksonnet-lib) "
                         "and DIR/vendor/kubeflow/core (Kubeflow v0.1.0); without it, a lighter stand-in program")
    ap.add_argument("--repeat", "-n", type=int, default=None,
                    help="repeats of each measurement (default 5; --quick 3)")
    ap.add_argument("--big-repeat", type=int, default=None,
                    help="repeats of the slow runs (no warm-up): in-process and CLI renders of the big profiles, "
                         "CLI validate (default 3; --quick 2)")
    ap.add_argument("--instances", type=int, default=1000,
                    help="component instances of the generated profiles (default 1000)")
    ap.add_argument("--keep", action="store_true",
                    help="keep the temp dir (profiles, out, schemas) and print its path")
    args = ap.parse_args(argv)
    args.repeat = max(1, args.repeat or (3 if args.quick else 5))
    args.big_repeat = max(1, args.big_repeat or (2 if args.quick else 3))

    os.chdir(ROOT)
    # The untimed warm-up runs are what leave kfgen's bytecode in __pycache__ (as an installed kfgen has it):
    # with PYTHONDONTWRITEBYTECODE set, every new process would compile the modules edited since the last write.
    no_bytecode = os.environ.pop("PYTHONDONTWRITEBYTECODE", None) is not None
    if not KFGEN.exists():
        print(f"error: {rel(KFGEN)} not found; run scripts/setup.sh first", file=sys.stderr)
        return 2
    monitor = LoadMonitor()
    print(f"kfgen benchmark: {args.repeat} repeats ({args.big_repeat} for the big profiles), "
          f"{os.cpu_count()} cores, "
          f"Python {platform.python_version()}, {LoadMonitor.now()}"
          + ("; PYTHONDONTWRITEBYTECODE unset for the runs (bytecode written by the warm-ups)" if no_bytecode else ""))
    report = Report()
    tmp = Path(tempfile.mkdtemp(prefix="kfgen-bench-"))
    # Every kfgen run renders (KFGEN_NO_CACHE=1) unless it says it measures a render cache hit; the cache,
    # when used, is in the temp dir (never the user's ~/.cache).
    os.environ["KFGEN_NO_CACHE"] = "1"
    os.environ["KFGEN_CACHE_DIR"] = str(tmp / "render-cache")
    try:
        bench_startup(report, args.repeat)
        bench_cli_render(report, args.repeat, tmp)
        bench_jsonnet(report, args.repeat, tmp, args.ksonnet_dir)
        bench_in_process(report, args.repeat)
        bigs = bench_many(report, args.big_repeat, args.big_repeat, args.instances, tmp)
        bench_validation(report, args.repeat, args.big_repeat, bigs["tfjob"], tmp)
    except CommandFailed as exc:
        print(f"\nerror: {exc}", file=sys.stderr)
        report.notes.append(f"stopped early: {exc}")
    finally:
        monitor.stop()
        if args.keep:
            print(f"\nkept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    print_summary(report, monitor, args)
    print_issue_table(report)
    return 0


if __name__ == "__main__":
    sys.exit(main())
