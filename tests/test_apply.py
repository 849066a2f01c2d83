"""Every committed profile's ``out/<profile>/`` against a real kube-apiserver, driven with kubectl.

What ``tests/test_core.py`` already does (RBAC least privilege of the core prototype's objects,
rendered in memory) is not repeated here. This module applies the committed files exactly as a user
would (``kubectl apply -f out/<profile>/ -R`` and ``kubectl apply -k out/<profile>/``) and checks:

1. dry run, real server-side apply, the CRD becoming Established, every file read back (kinds, names,
   labels, rendered fields) and the TFJobs' replica specs intact;
2. ``kubectl apply -k`` on a fresh cluster;
3. idempotence (a second apply writes nothing; ``kubectl diff`` is empty);
4. ``kubectl delete`` removes everything the profile created (selected by kfgen's labels), and two
   profiles share one cluster when only one of them runs the TFJob operator;
5. the server rejects invalid TFJobs through kfgen's CRD schema, and namespaced objects without
   their namespace;
6. timings, printed at the end of the module (run with ``pytest -s``).

Clusters: the scenarios that install a whole profile each get a fresh :class:`ControlPlane`
(about 5 s each): there is no kube-controller-manager, so a deleted Namespace stays ``Terminating``
forever and its name cannot be reused. Every plane runs with ``--enable-aggregator-routing=true``
(the harness's default):
the profiles' ValidatingWebhookConfiguration sends every TFJob write to the ``tf-job-operator``
Service, and by default kube-apiserver dials the Service's ClusterIP (10.96.x.x), which leaves
loopback (the connection hangs or goes through whatever network the machine has, until the
webhook's 10 s timeout). With aggregator routing the server resolves the Service's endpoints
instead, finds none, and fails open (``failurePolicy: Ignore``) at once, without leaving 127.0.0.1.
The negative tests share the session ``control_plane``.

Known kubectl/cluster behaviour the tests spell out instead of hiding (see each test):

* a single ``kubectl apply`` of CRD + TFJob on a fresh cluster fails for the TFJob ("resource
  mapping not found ... ensure CRDs are installed first"): kubectl maps every object before it
  creates the CRD. A second apply converges;
* ``kubectl delete`` in file order deletes the CRD (13-…) before the TFJob (99-…); the CRD's
  deletion removes the TFJob, so kubectl's own delete of it then reports NotFound (exit 1);
* ``kubectl wait --for=condition=Established`` right after creating a CRD can fail with
  ``.status.conditions accessor error`` (no conditions yet): it is retried;
* without a controller-manager a deleted Namespace stays ``Terminating`` and PersistentVolumes /
  claims keep their ``kubernetes.io/pv(c)-protection`` finalizer (``Terminating`` too);
* the first no-op server-side re-apply of a PersistentVolumeClaim bumps its resourceVersion once
  (the server persists the defaulted ``status.phase: Pending``); nothing else may be written;
* values the server stores in another, equivalent form (the PV's ``storageClassName: ''``, an
  integer GPU limit) are listed at the end; client-side ``kubectl apply -k`` PATCHes them (no-op)
  and says "configured" on every run.
"""

from __future__ import annotations

import contextlib
import copy
import functools
import json
import re
import shutil
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

try:
    from apiserver import ControlPlane, ControlPlaneError, build_seconds
except ImportError:  # tests/ imported as a package
    from tests.apiserver import ControlPlane, ControlPlaneError, build_seconds

pytestmark = pytest.mark.apiserver

ROOT = Path(__file__).resolve().parents[1]
PROFILES_DIR = ROOT / "profiles"
OUT_DIR = ROOT / "out"
# Renderable profiles: profiles/*.yaml except partials ('_') and hidden files, as kfgen lists them.
PROFILES = sorted(p.stem for p in PROFILES_DIR.glob("*.yaml") if not p.name.startswith(("_", ".")))

# Webhook calls resolve Service endpoints (none here) instead of dialling a ClusterIP: see the docstring.
APISERVER_ARGS: tuple[str, ...] = ()  # the harness routes webhooks through endpoints by default
# Kinds that outlive `kubectl delete --wait=false` here because only kube-controller-manager finishes them.
LINGERING = {
    "Namespace": [],  # the namespace controller empties and removes it; spec.finalizers is ["kubernetes"]
    "PersistentVolume": ["kubernetes.io/pv-protection"],
    "PersistentVolumeClaim": ["kubernetes.io/pvc-protection"],
}
NEGATIVE_NS = "kfgen-negative"
TEST_MANAGER = "kfgen-test-apply"

YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # the CRD files are ~4000 lines
TIMINGS: dict[str, float] = {}
NORMALIZED: set[str] = set()  # rendered values the server stores in another (equivalent) form
NOTES: set[str] = set()  # other observations, printed with the timings
STOPPING: list[threading.Thread] = []  # control planes shutting down in the background


# --------------------------------------------------------------------------------------- the files


@dataclass(frozen=True)
class Obj:
    file: Path
    body: dict[str, Any]

    @property
    def kind(self) -> str:
        return self.body["kind"]

    @property
    def group(self) -> str:
        api = self.body["apiVersion"]
        return api.split("/", 1)[0] if "/" in api else ""

    @property
    def name(self) -> str:
        return self.body["metadata"]["name"]

    @property
    def namespace(self) -> str:
        return self.body["metadata"].get("namespace", "")

    @property
    def key(self) -> tuple[str, str, str, str]:
        return key_of(self.body)

    @property
    def resource(self) -> str:
        """kubectl's resource argument: ``kind.group`` (``kind`` for the core group)."""
        return f"{self.kind.lower()}.{self.group}" if self.group else self.kind.lower()


def key_of(body: dict[str, Any]) -> tuple[str, str, str, str]:
    api = body["apiVersion"]
    group = api.split("/", 1)[0] if "/" in api else ""
    meta = body["metadata"]
    return group, body["kind"], meta.get("namespace", ""), meta["name"]


@dataclass(frozen=True)
class Bundle:
    """One rendered profile directory: its objects in file (install) order."""

    profile: str
    dir: Path
    objects: tuple[Obj, ...]

    @property
    def arg(self) -> str:
        return f"{self.dir}/"

    def kind(self, kind: str) -> list[Obj]:
        return [o for o in self.objects if o.kind == kind]

    @property
    def crds(self) -> list[Obj]:
        return self.kind("CustomResourceDefinition")

    @property
    def custom_kinds(self) -> dict[tuple[str, str], str]:
        """(group, kind) -> ``plural.group`` for every CRD of the bundle."""
        return {(c.body["spec"]["group"], c.body["spec"]["names"]["kind"]):
                f"{c.body['spec']['names']['plural']}.{c.body['spec']['group']}" for c in self.crds}

    @property
    def custom_resources(self) -> list[Obj]:
        return [o for o in self.objects if (o.group, o.kind) in self.custom_kinds]

    @property
    def namespaces(self) -> list[str]:
        return [o.name for o in self.kind("Namespace")]

    @property
    def namespaced(self) -> list[Obj]:
        return [o for o in self.objects if o.namespace]


def load_bundle(directory: Path, profile: str) -> Bundle:
    assert directory.is_dir(), f"{directory} is missing: run `kfgen render --profile {profile}` and commit it"
    objects = []
    for path in sorted(directory.glob("*.yaml")):
        docs = [d for d in yaml.load_all(path.read_text(encoding="utf-8"), Loader=YAML_LOADER) if d]
        assert len(docs) == 1, f"{path}: expected one object per file, found {len(docs)}"
        objects.append(Obj(path, docs[0]))
    assert objects, f"{directory} holds no objects"
    assert (directory / "Kustomization").is_file(), f"{directory}/Kustomization is missing"
    return Bundle(profile, directory, tuple(objects))


@functools.cache
def committed(profile: str) -> Bundle:
    return load_bundle(OUT_DIR / profile, profile)


# --------------------------------------------------------------------------------------- kubectl


@contextlib.contextmanager
def fresh_plane(label: str) -> Iterator[ControlPlane]:
    plane = ControlPlane(extra_apiserver_args=APISERVER_ARGS)
    try:
        plane.start()
    except ControlPlaneError as exc:
        pytest.fail(f"control plane did not start: {exc}", pytrace=False)
    try:
        TIMINGS[f"server start, fresh plane ({label})"] = plane.timings["start_seconds"]
        if "build_seconds" in plane.timings:
            TIMINGS["apiserver build (scripts/tools.sh, cached)"] = plane.timings["build_seconds"]
        yield plane
    finally:
        # kube-apiserver takes over a second to shut down: let that overlap with the next test
        stopper = threading.Thread(target=plane.stop, name=f"stop {label}", daemon=True)
        stopper.start()
        STOPPING.append(stopper)


def run(cp: ControlPlane, timing: str | None, *args: str, input: str | None = None) -> subprocess.CompletedProcess:
    """kubectl ARGS, never raising; ``timing`` names the TIMINGS entry for its wall time."""
    t0 = time.monotonic()
    proc = cp.kubectl(*args, input=input, check=False)
    if timing:
        TIMINGS[timing] = round(time.monotonic() - t0, 3)
    return proc


def show(proc: subprocess.CompletedProcess) -> str:
    command = " ".join(map(str, proc.args[3:]))
    return (f"`kubectl {command}` exited {proc.returncode}\n"
            f"stderr:\n{proc.stderr}\nstdout:\n{proc.stdout[-3000:]}")


def ok(proc: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert proc.returncode == 0, show(proc)
    return proc


def error_lines(proc: subprocess.CompletedProcess) -> list[str]:
    """stderr without kubectl's warnings (``Warning: spec.externalIPs is deprecated`` for gpu-lab)."""
    return [line for line in proc.stderr.splitlines() if line.strip() and not line.startswith("Warning:")]


def files_args(objs: list[Obj]) -> list[str]:
    return [arg for o in objs for arg in ("-f", str(o.file))]


def wait_established(cp: ControlPlane, crds: list[str], timeout: float = 60) -> None:
    """``kubectl wait --for=condition=Established crd/NAME``, retried while the CRD has no conditions yet."""
    deadline = time.monotonic() + timeout
    for name in crds:
        while True:
            proc = run(cp, None, "wait", "--for=condition=Established", f"crd/{name}", "--timeout=30s")
            if proc.returncode == 0:
                break
            # kubectl 1.37 errors out instead of waiting when .status.conditions is still null
            if ".status.conditions accessor error" in proc.stderr and time.monotonic() < deadline:
                time.sleep(0.1)
                continue
            pytest.fail(f"CRD {name} did not become Established:\n{show(proc)}")


def live_objects(cp: ControlPlane, *args: str) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    """``kubectl get ARGS -o json --ignore-not-found`` by (group, kind, namespace, name)."""
    proc = ok(run(cp, None, "get", *args, "-o", "json", "--ignore-not-found"))
    if not proc.stdout.strip():
        return {}
    doc = json.loads(proc.stdout)
    items = doc["items"] if doc.get("kind", "").endswith("List") else [doc]
    return {key_of(o): o for o in items}


def snapshot(cp: ControlPlane, bundle: Bundle) -> dict[tuple[str, str, str, str], dict[str, Any]]:
    return live_objects(cp, "-f", bundle.arg, "-R")


def versions(live: dict[tuple[str, str, str, str], dict[str, Any]]) -> dict[tuple, tuple]:
    """What must not move when nothing changes: uid, resourceVersion, generation, labels."""
    return {k: (o["metadata"]["uid"], o["metadata"]["resourceVersion"], o["metadata"].get("generation"),
                o["metadata"].get("labels")) for k, o in live.items()}


# kube-apiserver stores a new PersistentVolumeClaim without status.phase and writes the defaulted
# "Pending" on its first update, so the first no-op re-apply bumps the claim's resourceVersion (once).
RV_BUMP_ON_FIRST_REAPPLY = {"PersistentVolumeClaim"}


def comparable(o: dict[str, Any]) -> dict[str, Any]:
    """The object without what a write with no change still moves (resourceVersion, managedFields times)."""
    o = copy.deepcopy(o)
    o["metadata"].pop("resourceVersion", None)
    for entry in o["metadata"].get("managedFields", []):
        entry.pop("time", None)
    return o


def assert_reapply_changed_nothing(before: dict[tuple, dict], after: dict[tuple, dict]) -> None:
    assert sorted(after) == sorted(before)
    changed = [k for k in before if comparable(before[k]) != comparable(after[k])]
    assert not changed, f"a second apply changed {changed}"
    bumped = sorted(k for k in before
                    if before[k]["metadata"]["resourceVersion"] != after[k]["metadata"]["resourceVersion"])
    assert all(k[1] in RV_BUMP_ON_FIRST_REAPPLY for k in bumped), f"a second apply wrote {bumped}"
    for k in bumped:
        NOTES.add(f"{k[1]} {k[3]}: the first no-op server-side re-apply bumps resourceVersion "
                  "(server persists status.phase)")


def not_in_live(rendered: Any, live: Any, path: str = "") -> list[str]:
    """Paths where a rendered value is absent from, or different in, the live object.

    Fields the server adds (defaults, status, metadata) are ignored; lists must keep their length.
    """
    if isinstance(rendered, dict):
        if not isinstance(live, dict):
            return [f"{path}: rendered a mapping, live {live!r}"]
        out = []
        for k, v in rendered.items():
            if k not in live and v == "":
                NORMALIZED.add(f"{path}.{k}: rendered '' is dropped (Go omitempty: same as unset)")
            elif k not in live:
                out.append(f"{path}.{k}: missing from the live object")
            else:
                out.extend(not_in_live(v, live[k], f"{path}.{k}"))
        return out
    if isinstance(rendered, list):
        if not isinstance(live, list) or len(live) != len(rendered):
            return [f"{path}: rendered {rendered!r}, live {live!r}"]
        return [m for i, (r, lv) in enumerate(zip(rendered, live, strict=True))
                for m in not_in_live(r, lv, f"{path}[{i}]")]
    if isinstance(rendered, (int, float)) and not isinstance(rendered, bool) and live == str(rendered):
        NORMALIZED.add(f"{path}: rendered the number {rendered!r}, stored as the quantity string {live!r}")
        return []
    return [] if rendered == live else [f"{path}: rendered {rendered!r}, live {live!r}"]


def normalized(bundle: Bundle) -> set[str]:
    """kubectl's ``kind[.group]/name`` of the bundle's objects with a NORMALIZED value (after a read-back)."""
    return {f"{o.resource}/{o.name}" for o in bundle.objects
            if any(note.startswith(f"{bundle.profile}/{o.file.name}: ") for note in NORMALIZED)}


def assert_read_back(cp: ControlPlane, bundle: Bundle) -> dict[tuple, dict[str, Any]]:
    """Every file's object is stored, with kfgen's labels and every rendered field; TFJobs intact."""
    live = snapshot(cp, bundle)
    rendered = {o.key: o for o in bundle.objects}
    assert sorted(live) == sorted(rendered), (
        f"missing: {sorted(rendered.keys() - live.keys())}; unexpected: {sorted(live.keys() - rendered.keys())}")
    problems = []
    for key, o in rendered.items():
        got = live[key]
        labels = got["metadata"].get("labels", {})
        assert labels.get("app.kubernetes.io/managed-by") == "kfgen", key
        assert labels.get("kfgen.io/profile") == bundle.profile, key
        if o.kind != "Namespace":
            assert labels.get("kfgen.io/instance"), f"{key}: no kfgen.io/instance label"
        wanted = {k: v for k, v in o.body.items() if k != "metadata"}
        wanted["metadata"] = {k: o.body["metadata"][k] for k in ("labels", "annotations") if k in o.body["metadata"]}
        problems += not_in_live(wanted, got, f"{bundle.profile}/{o.file.name}: ")
    assert not problems, "the server changed or dropped rendered fields:\n" + "\n".join(problems)
    tfjobs = [o for o in bundle.objects if o.kind == "TFJob"]
    for o in tfjobs:
        got = live[o.key]["spec"]["tfReplicaSpecs"]
        assert got == o.body["spec"]["tfReplicaSpecs"], f"{o.file.name}: replica specs changed by the server"
        assert {t: s.get("replicas") for t, s in got.items()} == {
            t: s.get("replicas") for t, s in o.body["spec"]["tfReplicaSpecs"].items()}
    return live


def install_prerequisites(cp: ControlPlane, bundle: Bundle, timing: str | None = None) -> list[Obj]:
    """Server-side apply of the bundle's Namespaces and CRDs only, then wait for the CRDs."""
    prereq = bundle.kind("Namespace") + bundle.crds
    for o in bundle.kind("Namespace"):
        assert o.file.name.startswith("00-namespace-"), f"{o.file.name}: Namespaces are installed first"
    if prereq:
        ok(run(cp, timing, "apply", "--server-side", *files_args(prereq)))
    wait_established(cp, [c.name for c in bundle.crds])
    return prereq


def count_lines(text: str, suffix: str) -> int:
    return sum(1 for line in text.splitlines() if line.endswith(suffix))


def delete_and_check(cp: ControlPlane, bundle: Bundle, source: list[str], timing: str) -> dict[tuple, dict]:
    """``kubectl delete SOURCE --wait=false``; afterwards nothing labelled with the profile is left but
    what only kube-controller-manager would finish (LINGERING), each of those marked for deletion."""
    proc = run(cp, timing, "delete", *source, "--wait=false", "--ignore-not-found")
    # kubectl deletes in file order: the CRD before its custom resources. The CRD's deletion removes
    # them, so kubectl's delete of each one may find it gone: --ignore-not-found (as the README says)
    # makes that a success. Nothing else may be skipped or fail.
    custom = {(bundle.custom_kinds[(o.group, o.kind)], o.name) for o in bundle.custom_resources}
    assert proc.returncode == 0 and not error_lines(proc), show(proc)
    deleted = [line for line in proc.stdout.splitlines() if re.search(r'" deleted( from \S+ namespace)?$', line)]
    assert len(bundle.objects) - len(custom) <= len(deleted) <= len(bundle.objects), proc.stdout
    # CRDs: the apiextensions finalizer (inside kube-apiserver) deletes their objects, then the CRD.
    deadline = time.monotonic() + 30
    while any(live_objects(cp, "crd", c.name) for c in bundle.crds):
        assert time.monotonic() < deadline, "CRDs still present 30 s after delete"
        time.sleep(0.2)
    for resource in sorted(set(bundle.custom_kinds.values())):
        gone = run(cp, None, "get", resource, "-A")
        assert gone.returncode != 0, show(gone)
        assert re.search(r"doesn't have a resource type|could not find the requested resource", gone.stderr), show(gone)
    # Everything else, by kfgen's labels.
    kinds = sorted({o.resource for o in bundle.objects if (o.group, o.kind) not in bundle.custom_kinds})
    left = live_objects(cp, ",".join(kinds), "-A", "-l", f"kfgen.io/profile={bundle.profile}")
    for key, o in left.items():
        meta = o["metadata"]
        assert key[1] in LINGERING, f"{key} survived `kubectl delete`"
        assert meta.get("deletionTimestamp"), f"{key} is not being deleted"
        assert meta.get("finalizers", []) == LINGERING[key[1]], f"{key}: finalizers {meta.get('finalizers')}"
        if key[1] == "Namespace":
            assert o["status"]["phase"] == "Terminating" and o["spec"]["finalizers"] == ["kubernetes"], o
    rendered_lingering = {o.key for o in bundle.objects if o.kind in LINGERING}
    assert set(left) == rendered_lingering, \
        f"expected exactly {sorted(rendered_lingering)} Terminating, got {sorted(left)}"
    return left


# --------------------------------------------------------------------------------------- timings


@pytest.fixture(scope="module", autouse=True)
def _print_timings() -> Iterator[None]:
    yield
    for stopper in STOPPING:
        stopper.join(timeout=60)
    if not TIMINGS:
        return
    built = build_seconds()
    if built is not None:
        TIMINGS.setdefault("apiserver build (scripts/tools.sh, cached)", built)
    width = max(map(len, TIMINGS))
    print("\n\n--- tests/test_apply.py timings (seconds) ---")
    for name, seconds in TIMINGS.items():
        print(f"  {name:<{width}}  {seconds:8.3f}")
    for title, notes in (("rendered values the server stores in an equivalent form", NORMALIZED), ("notes", NOTES)):
        if notes:
            print(f"--- {title} ---")
            for note in sorted(notes):
                print(f"  {note}")


# --------------------------------------------------------------------------------------- 1, 3, 4: apply -f


@pytest.mark.parametrize("profile", PROFILES)
def test_dry_run_apply_read_back_diff_and_delete(profile: str) -> None:
    """The whole life of ``out/<profile>/`` with ``kubectl apply --server-side -f DIR -R``.

    Dry run: a server-side dry run stores nothing, so the objects inside the profile's own Namespace
    fail with ``namespaces "..." not found`` and the TFJob with "no matches for kind TFJob" (its CRD
    is not served). The minimum to make the dry run meaningful for every other object is to really
    apply the Namespace file(s) (``00-namespace-*.yaml``) and the CRD file(s) first and wait for the
    CRDs to be Established; the dry run of the whole directory then covers every object (the
    Namespace and CRD as no-op updates). It must store nothing else.

    Then the real apply, read-back, a second apply that writes nothing, an empty server-side diff,
    and ``kubectl delete -f DIR -R --wait=false`` (see :func:`delete_and_check`).
    """
    bundle = committed(profile)
    n = len(bundle.objects)
    with fresh_plane(f"apply -f {profile}") as cp:
        prereq = install_prerequisites(cp, bundle, f"{profile}: apply Namespace + CRD first")

        dry = ok(run(cp, f"{profile}: apply --server-side --dry-run=server -f DIR -R",
                     "apply", "--server-side", "--dry-run=server", "-f", bundle.arg, "-R"))
        assert count_lines(dry.stdout, "serverside-applied (server dry run)") == n, dry.stdout
        assert not error_lines(dry), show(dry)
        assert sorted(snapshot(cp, bundle)) == sorted(o.key for o in prereq), "the dry run stored objects"

        applied = ok(run(cp, f"{profile}: apply --server-side -f DIR -R",
                         "apply", "--server-side", "-f", bundle.arg, "-R"))
        assert count_lines(applied.stdout, "serverside-applied") == n, applied.stdout
        assert not error_lines(applied), show(applied)
        wait_established(cp, [c.name for c in bundle.crds])
        t0 = time.monotonic()
        first = assert_read_back(cp, bundle)
        TIMINGS[f"{profile}: read back (kubectl get -f DIR -R)"] = round(time.monotonic() - t0, 3)

        # 3. idempotence: applying again writes nothing, and the server-side diff is empty
        ok(run(cp, f"{profile}: apply --server-side -f DIR -R (2nd)", "apply", "--server-side", "-f", bundle.arg, "-R"))
        assert_reapply_changed_nothing(first, snapshot(cp, bundle))
        diff = run(cp, f"{profile}: diff --server-side -f DIR -R", "diff", "--server-side", "-f", bundle.arg, "-R")
        assert diff.returncode == 0 and diff.stdout == "", show(diff)
        assert not error_lines(diff), show(diff)

        # 4. delete
        delete_and_check(cp, bundle, ["-f", bundle.arg, "-R"], f"{profile}: delete -f DIR -R --wait=false")


# --------------------------------------------------------------------------------------- 2: apply -k


@pytest.fixture(scope="module", params=PROFILES)
def kustomized(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    """A fresh cluster after ``kubectl apply -k out/<profile>/`` (client-side, as in the README), twice."""
    profile = request.param
    bundle = committed(profile)
    with fresh_plane(f"apply -k {profile}") as cp:
        first = run(cp, f"{profile}: apply -k DIR (1st, fresh cluster)", "apply", "-k", bundle.arg)
        wait_established(cp, [c.name for c in bundle.crds])
        after_first = snapshot(cp, bundle)
        second = run(cp, f"{profile}: apply -k DIR (2nd)", "apply", "-k", bundle.arg)
        # captured now, before a test changes anything: would switching to server-side apply conflict?
        to_ssa = run(cp, None, "apply", "--server-side", "--dry-run=server", "-k", bundle.arg)
        yield SimpleNamespace(cp=cp, bundle=bundle, first=first, after_first=after_first, second=second,
                              to_ssa=to_ssa)


def test_apply_k_installs_the_profile_on_a_fresh_cluster(kustomized: SimpleNamespace) -> None:
    """``kubectl apply -k``: the first run on a fresh cluster creates everything but the custom
    resources (kubectl maps every object before the CRD exists: "resource mapping not found ...
    ensure CRDs are installed first", exit 1); once the CRD is Established a second run creates them
    and exits 0. Then the same read-back, idempotence (``unchanged``, no writes, empty ``kubectl
    diff -k``) and delete checks as with ``-f``."""
    cp, bundle, first, second = kustomized.cp, kustomized.bundle, kustomized.first, kustomized.second
    profile, n = bundle.profile, len(bundle.objects)
    custom = {(o.name, o.namespace, o.kind, o.body["apiVersion"]) for o in bundle.custom_resources}
    unmapped = set()
    for line in error_lines(first):
        m = re.search(r'resource mapping not found for name: "([^"]*)" namespace: "([^"]*)" from "[^"]*": '
                      r'no matches for kind "([^"]+)" in version "([^"]+)"', line)
        if m:
            unmapped.add(m.groups())
        else:
            assert line == "ensure CRDs are installed first", \
                f"unexpected error from the 1st apply -k: {line}\n{show(first)}"
    assert unmapped <= custom, show(first)
    assert first.returncode == (1 if unmapped else 0), show(first)
    assert count_lines(first.stdout, " created") == n - len(unmapped), first.stdout
    if unmapped:
        NOTES.add(f"{profile}: the 1st `kubectl apply -k` on a fresh cluster exits 1, leaving {sorted(unmapped)} "
                  "to a 2nd run (CRD not yet served)")

    # The 2nd run creates the custom resources and re-applies everything else: that part writes nothing.
    ok(second)
    assert not error_lines(second), show(second)
    assert count_lines(second.stdout, " created") == len(unmapped), second.stdout
    live = assert_read_back(cp, bundle)
    before = versions(kustomized.after_first)
    assert {k: v for k, v in versions(live).items() if k in before} == before, "re-applying with -k changed objects"
    # Client-side apply patches every field whose live value differs from the file, so an object with a
    # value the server stores in another form (NORMALIZED: PV storageClassName '', an integer GPU
    # limit) is PATCHed and reported "configured" on every run, although nothing is written (checked
    # just above) and `kubectl diff -k` is empty. Only those objects may say "configured".
    configured = {line.rsplit(" ", 1)[0] for line in second.stdout.splitlines() if line.endswith(" configured")}
    assert count_lines(second.stdout, " unchanged") + len(configured) + len(unmapped) == n, second.stdout
    assert configured <= normalized(bundle), f"re-applied objects reported as configured: {sorted(configured)}"
    for name in sorted(configured):
        NOTES.add(f"{profile}: `kubectl apply -k` reports {name} \"configured\" on every run (a no-op PATCH)")
    diff = run(cp, f"{profile}: diff -k DIR", "diff", "-k", bundle.arg)
    assert diff.returncode == 0 and diff.stdout == "", show(diff)

    delete_and_check(cp, bundle, ["-k", bundle.arg], f"{profile}: delete -k DIR --wait=false")


def test_switching_from_apply_k_to_server_side_apply_has_no_conflicts(kustomized: SimpleNamespace) -> None:
    """After client-side ``kubectl apply -k``, ``kubectl apply --server-side -k`` (dry run) must not conflict.

    A conflict appears when kfgen renders a value in another form than the server stores it (the
    client-side manager then owns the stored form): e.g. a ``fieldRef`` without its defaulted
    ``apiVersion: v1``, or a quantity as a number instead of a string. kfgen renders the stored forms.
    """
    proc = kustomized.to_ssa
    assert proc.returncode == 0, show(proc)


# --------------------------------------------------------------------------------------- 4: shared cluster


SHARED_VARIANT = "cpu-laptop-no-operator"


def test_two_profiles_share_a_cluster_when_only_one_runs_the_operator(tmp_path: Path) -> None:
    """gpu-lab plus a variant of cpu-laptop with ``tfJobOperator: false`` (rendered with kfgen's API
    into a tmp dir): the variant renders no cluster-scoped object but its Namespace, applies beside
    gpu-lab, and deleting it leaves every gpu-lab object untouched (uid, resourceVersion, labels)."""
    if not {"gpu-lab", "cpu-laptop"} <= set(PROFILES):
        pytest.skip("needs the committed gpu-lab and cpu-laptop profiles")
    from kfgen.actions import Workspace, render

    profiles = tmp_path / "profiles"
    profiles.mkdir()
    for path in PROFILES_DIR.glob("*.yaml"):  # partials too: a profile may extend them
        shutil.copy(path, profiles / path.name)
    (profiles / f"{SHARED_VARIANT}.yaml").write_text(
        "extends: cpu-laptop\n"
        "components:\n"
        "  kubeflow-core:\n"
        "    params:\n"
        "      tfJobOperator: false\n", encoding="utf-8")
    t0 = time.monotonic()
    render(Workspace(profiles, tmp_path / "out"), [SHARED_VARIANT])
    TIMINGS[f"render {SHARED_VARIANT} (kfgen.actions)"] = round(time.monotonic() - t0, 3)
    variant = load_bundle(tmp_path / "out" / SHARED_VARIANT, SHARED_VARIANT)
    gpu = committed("gpu-lab")

    assert not variant.crds
    assert {o.kind for o in variant.objects if not o.namespace} == {"Namespace"}, \
        "a second core instance must not render cluster-scoped objects"
    assert not set(variant.namespaces) & set(gpu.namespaces)
    assert variant.kind("TFJob"), "the variant still renders cpu-laptop's TFJob (served by gpu-lab's CRD)"

    with fresh_plane("shared cluster") as cp:
        install_prerequisites(cp, gpu)
        ok(run(cp, "shared: apply gpu-lab", "apply", "--server-side", "-f", gpu.arg, "-R"))
        before = versions(assert_read_back(cp, gpu))

        install_prerequisites(cp, variant)
        applied = ok(run(cp, f"shared: apply {SHARED_VARIANT}", "apply", "--server-side", "-f", variant.arg, "-R"))
        assert not error_lines(applied), show(applied)
        assert_read_back(cp, variant)
        assert versions(snapshot(cp, gpu)) == before, f"applying {SHARED_VARIANT} changed gpu-lab objects"

        delete_and_check(cp, variant, ["-f", variant.arg, "-R"], f"shared: delete {SHARED_VARIANT}")
        after = versions(snapshot(cp, gpu))
        assert after == before, (
            f"deleting {SHARED_VARIANT} changed or removed gpu-lab objects: "
            f"{sorted(k for k in before if after.get(k) != before[k])}")


# --------------------------------------------------------------------------------------- 5: negative


@pytest.fixture(scope="module")
def crd_plane(control_plane: ControlPlane) -> ControlPlane:
    """The session control plane with the TFJob CRD of the first profile and a scratch namespace."""
    TIMINGS["server start, session control_plane"] = control_plane.timings["start_seconds"]
    if "build_seconds" in control_plane.timings:
        TIMINGS.setdefault("apiserver build (scripts/tools.sh, cached)", control_plane.timings["build_seconds"])
    bundle = committed(PROFILES[0])
    ok(run(control_plane, None, "apply", "--server-side", "--force-conflicts", f"--field-manager={TEST_MANAGER}",
           *files_args(bundle.crds)))
    wait_established(control_plane, [c.name for c in bundle.crds])
    ns = {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": NEGATIVE_NS}}
    ok(run(control_plane, None, "apply", "--server-side", f"--field-manager={TEST_MANAGER}", "-f", "-",
           input=yaml.safe_dump(ns)))
    return control_plane


def _replica_type(tfjob: dict[str, Any]) -> str:
    types = list(tfjob["spec"]["tfReplicaSpecs"])
    return "Worker" if "Worker" in types else types[0]


def _wrong_type(job: dict[str, Any], rt: str) -> None:
    job["spec"]["tfReplicaSpecs"][rt]["replicas"] = "two"


_REPLICA_TYPES_RULE = "replica types must be Chief, Master, PS, Worker or Evaluator"


def _unknown_replica_type(job: dict[str, Any], rt: str) -> None:
    job["spec"]["tfReplicaSpecs"]["Foo"] = copy.deepcopy(job["spec"]["tfReplicaSpecs"][rt])


def _unknown_field(job: dict[str, Any], rt: str) -> None:
    job["spec"]["tfReplicaSpecs"][rt]["replicaCount"] = 2


# case -> (mutation, {mode: regex the server's message must match}); {rt} is the replica type changed
INVALID = {
    "replicas-not-an-integer": (_wrong_type, {
        "server-side": r"\.spec\.tfReplicaSpecs\.{rt}\.replicas: expected numeric \(int or float\), got string",
        "client-side": r"spec\.tfReplicaSpecs\.{rt}\.replicas: Invalid value: .*must be of type integer",
    }),
    "unknown-replica-type": (_unknown_replica_type, {
        "server-side": r"spec\.tfReplicaSpecs: Invalid value: .*" + _REPLICA_TYPES_RULE,
        "client-side": r"spec\.tfReplicaSpecs: Invalid value: .*" + _REPLICA_TYPES_RULE,
    }),
    "unknown-field-in-replica-spec": (_unknown_field, {
        "server-side": r"\.spec\.tfReplicaSpecs\.{rt}\.replicaCount: field not declared in schema",
        "client-side": r'strict decoding error: unknown field "spec\.tfReplicaSpecs\.{rt}\.replicaCount"',
    }),
}


def _tfjobs(profile: str) -> list[dict[str, Any]]:
    jobs = [copy.deepcopy(o.body) for o in committed(profile).kind("TFJob")]
    if not jobs:
        pytest.skip(f"profile {profile} renders no TFJob")
    for job in jobs:
        job["metadata"]["namespace"] = NEGATIVE_NS
    return jobs


@pytest.mark.parametrize("profile", PROFILES)
def test_the_committed_tfjobs_pass_the_crd_schema(crd_plane: ControlPlane, profile: str) -> None:
    """The control for the rejections below: unmodified, the same TFJobs pass (server dry run)."""
    for job in _tfjobs(profile):
        ok(run(crd_plane, None, "apply", "--server-side", "--dry-run=server", f"--field-manager={TEST_MANAGER}",
               "-f", "-", input=yaml.safe_dump(job)))


@pytest.mark.parametrize("mode", ["server-side", "client-side"])
@pytest.mark.parametrize("case", sorted(INVALID))
@pytest.mark.parametrize("profile", PROFILES)
def test_invalid_tfjobs_are_rejected_by_the_crd_schema(crd_plane: ControlPlane, profile: str, case: str,
                                                       mode: str) -> None:
    """A real ``kubectl apply`` (default ``--validate=strict``) of a broken TFJob is refused with the field path."""
    mutate, messages = INVALID[case]
    for job in _tfjobs(profile):
        rt = _replica_type(job)
        mutate(job, rt)
        args = ["apply", "--server-side", f"--field-manager={TEST_MANAGER}"] if mode == "server-side" else ["apply"]
        proc = run(crd_plane, None, *args, "-f", "-", input=yaml.safe_dump(job))
        assert proc.returncode != 0, f"the server accepted an invalid TFJob ({case}):\n{show(proc)}"
        assert re.search(messages[mode].format(rt=rt), proc.stderr), show(proc)
        name = job["metadata"]["name"]
        assert not live_objects(crd_plane, "tfjobs.kubeflow.org", name, "-n", NEGATIVE_NS), "stored anyway"


@pytest.mark.parametrize("profile", PROFILES)
def test_namespaced_objects_are_refused_without_their_namespace(control_plane: ControlPlane,
                                                                crd_plane: ControlPlane, profile: str) -> None:
    """Every namespaced file of ``out/<profile>/`` applied to a cluster without the profile's Namespace
    fails with ``namespaces "<ns>" not found`` and stores nothing. (Only namespaced files: the
    cluster-scoped ones would be created, which would leak into the shared session cluster; the CRD
    is installed so that the TFJob, too, reaches the namespace check.)"""
    bundle = committed(profile)
    namespaces = {o.namespace for o in bundle.namespaced}
    if namespaces <= {"kube-system"}:
        pytest.skip(f"profile {profile} lives in kube-system, which every cluster has")
    with contextlib.ExitStack() as stack:
        cp = crd_plane
        if any(live_objects(cp, "namespace", ns) for ns in namespaces):  # another test module created it
            cp = stack.enter_context(fresh_plane(f"no namespace {profile}"))
            ok(run(cp, None, "apply", "--server-side", *files_args(bundle.crds)))
            wait_established(cp, [c.name for c in bundle.crds])
        proc = run(cp, f"{profile}: apply namespaced files without their Namespace",
                   "apply", "--server-side", *files_args(bundle.namespaced))
        assert proc.returncode != 0, show(proc)
        expected = sorted(f'Error from server (NotFound): namespaces "{o.namespace}" not found'
                          for o in bundle.namespaced)
        assert sorted(error_lines(proc)) == expected, show(proc)
        assert proc.stdout == "", show(proc)
        assert not live_objects(cp, *files_args(bundle.namespaced)), "objects were stored without their namespace"
