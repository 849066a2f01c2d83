#!/usr/bin/env python3
"""Kill `kfgen render` at random moments and check that out/NAME is never missing, partial or mixed.

A profile of many tf-job instances is rendered once as variant A; then, again and again, the profile
is switched to the other variant and `kfgen render` is started and SIGKILLed after a random delay.
After each kill out/NAME must equal the complete render of A or of B, and a watcher thread that polls
out/NAME/Kustomization all the time must never find it missing. A last normal run must leave no
staging directory (.NAME.new-*, .NAME.old-*) behind.

Usage: .venv/bin/python scripts/killtest.py [ITERATIONS [SEED [INSTANCES]]]     (defaults: 40 1 300)
tests/test_output_write.py runs the same loop with a small budget.
"""

from __future__ import annotations

import hashlib
import random
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

NAME = "big"
KFGEN = [sys.executable, "-c", "from kfgen.cli import main; main()"]


def profile_text(instances: int, variant: int) -> str:
    lines = ["namespace: big", "components:"]
    for i in range(instances):
        lines += [f"  job{i}:", "    prototype: tf-job", "    params:",
                  "      image: docker.io/tensorflow/tensorflow:2.18.0", f"      args: [--steps={variant}]"]
    return "\n".join(lines) + "\n"


def snapshot(directory: Path) -> dict[str, str] | None:
    """Relative path -> sha256 of every file below *directory*; None when it is missing."""
    if not directory.is_dir():
        return None
    return {p.relative_to(directory).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(directory.rglob("*")) if p.is_file()}


def leftovers(out: Path) -> list[str]:
    return sorted(p.name for p in out.iterdir() if p.name.startswith(f".{NAME}.")) if out.is_dir() else []


def kfgen(workdir: Path, *args: str, **kw) -> subprocess.Popen:  # type: ignore[no-untyped-def, type-arg]
    return subprocess.Popen([*KFGEN, "render", "-p", NAME, *args], cwd=workdir,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **kw)


def run_ok(workdir: Path, *args: str) -> float:
    start = time.monotonic()
    proc = kfgen(workdir, *args)
    out, err = proc.communicate()
    if proc.returncode != 0:
        raise AssertionError(f"kfgen render {' '.join(args)} exited {proc.returncode}:\n{err.decode()}")
    return time.monotonic() - start


class Watcher(threading.Thread):
    """Polls out/NAME/Kustomization until stopped; counts the polls that did not find it."""

    def __init__(self, target: Path):
        super().__init__(daemon=True)
        self.target, self.polls, self.missing = target, 0, 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        kust = self.target / "Kustomization"
        while not self._stop_event.is_set():
            self.polls += 1
            if not kust.is_file():
                self.missing += 1
            time.sleep(0.0002)  # thousands of polls a second, without starving kfgen of the CPU

    def stop(self) -> None:
        self._stop_event.set()
        self.join()


@dataclass
class Figures:
    kills: int = 0
    old: int = 0  # kills after which out/NAME was still the old output
    new: int = 0  # kills after which it was already the new one
    finished: int = 0  # runs that ended before the kill
    leftovers_after_kill: int = 0  # kills that left a staging or old directory (the next run removes it)
    bad: list[str] = field(default_factory=list)  # missing or mixed directories (must stay empty)
    polls: int = 0
    polls_missing: int = 0
    full_run: float = 0.0
    seconds: float = 0.0

    def report(self) -> str:
        return (f"{self.kills} kills ({self.old} left the old output, {self.new} the new one, {self.finished} runs "
                f"finished first); {self.leftovers_after_kill} left staging directories; {len(self.bad)} missing "
                f"or mixed; watcher: {self.polls_missing} of {self.polls} polls found no out/{NAME}/Kustomization; "
                f"full run {self.full_run:.2f}s; total {self.seconds:.1f}s")


def kill_loop(workdir: Path, iterations: int, seed: int, instances: int = 300) -> Figures:
    """The loop itself (in *workdir*, which it fills); returns the figures. Raises nothing on a bad
    state: it is recorded in ``Figures.bad`` so a caller sees every one."""
    started = time.monotonic()
    rng = random.Random(seed)
    profiles, out = workdir / "profiles", workdir / "out"
    profiles.mkdir(parents=True, exist_ok=True)
    fig = Figures()
    # complete renders of variant A, then (timed, with the watcher running) of variant B: the two
    # states out/NAME may be in after a kill; kills land around the length of one complete write
    (profiles / f"{NAME}.yaml").write_text(profile_text(instances, 0))
    run_ok(workdir)
    expected = {0: snapshot(out / NAME)}
    watcher = Watcher(out / NAME)
    watcher.start()
    try:
        (profiles / f"{NAME}.yaml").write_text(profile_text(instances, 1))
        fig.full_run = run_ok(workdir)
        expected[1] = snapshot(out / NAME)
        if expected[0] == expected[1] or not expected[0] or not expected[1]:
            raise AssertionError("the two variants must render to two different, non-empty outputs")
        current = in_profile = 1  # the variant out/NAME holds; the variant the profile file says
        for _ in range(iterations):
            nxt = in_profile = 1 - current
            (profiles / f"{NAME}.yaml").write_text(profile_text(instances, nxt))
            delay = rng.uniform(0.1 * fig.full_run, 1.2 * fig.full_run)
            proc = kfgen(workdir)
            killed = False
            try:
                proc.wait(timeout=delay)
            except subprocess.TimeoutExpired:
                proc.send_signal(signal.SIGKILL)
                killed = True
            _, err = proc.communicate()
            if not killed:
                fig.finished += 1
                if proc.returncode != 0:
                    fig.bad.append(f"a run that was not killed exited {proc.returncode}: {err.decode()[-500:]}")
            else:
                fig.kills += 1
            snap = snapshot(out / NAME)
            if snap == expected[nxt]:
                fig.new += killed
                current = nxt
            elif snap == expected[current] and killed:
                fig.old += 1
            else:
                fig.bad.append(f"after {'a kill' if killed else 'a run that finished'} at {delay:.3f}s: out/{NAME} is "
                               + ("missing" if snap is None else "the old output" if snap == expected[current]
                                  else f"mixed ({len(snap)} files)"))
            fig.leftovers_after_kill += bool(leftovers(out))
    finally:
        watcher.stop()
    fig.polls, fig.polls_missing = watcher.polls, watcher.missing
    run_ok(workdir)  # a normal run: removes what the kills left, converges on the profile as it is now
    if snapshot(out / NAME) != expected[in_profile]:
        fig.bad.append("after the final run out/NAME is not the render of the current profile")
    if leftovers(out):
        fig.bad.append(f"the final run left {leftovers(out)}")
    fig.seconds = time.monotonic() - started
    return fig


def main(argv: list[str]) -> int:
    iterations = int(argv[1]) if len(argv) > 1 else 40
    seed = int(argv[2]) if len(argv) > 2 else 1
    instances = int(argv[3]) if len(argv) > 3 else 300
    with tempfile.TemporaryDirectory(prefix="kfgen-killtest-") as tmp:
        fig = kill_loop(Path(tmp), iterations, seed, instances)
    print(f"killtest: {iterations} iterations, seed {seed}, {instances} tf-job instances")
    print(fig.report())
    for b in fig.bad:
        print("BAD:", b)
    ok = not fig.bad and fig.polls_missing == 0
    print("OK" if ok else "FAILED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
