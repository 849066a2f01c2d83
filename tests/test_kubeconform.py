"""kubeconform v0.7.0, fully offline, against the schemas `kfgen schemas export` writes.

Needs the kubeconform binary: ``scripts/tools.sh kubeconform`` builds it into
``$KFGEN_TOOLS_DIR`` (default ``~/.cache/kfgen/bin``); ``scripts/test`` does that first. These tests
fail (they do not skip) when it is missing.
"""

from __future__ import annotations

import copy
import hashlib
import json
import textwrap
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, load_script

from kfgen.errors import Problem
from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION
from kfgen.output.files import to_yaml
from kfgen.validate.export import SchemaCache, export_schemas
from kfgen.validate.kubeconform import KubeconformResult, find_kubeconform, kubeconform
from kfgen.validate.manifests import manifest_files, validate_files
from kfgen.validate.objects import validate_objects

pytestmark = pytest.mark.kubeconform

V = "1.37"


bench = load_script("bench_validation")


@pytest.fixture(scope="session")
def kubeconform_bin() -> Path:
    found = find_kubeconform()
    if found is None:
        pytest.fail("kubeconform not found (looked in $KFGEN_TOOLS_DIR, ~/.cache/kfgen/bin and PATH): "
                    "build it with `scripts/tools.sh kubeconform`", pytrace=False)
    return found


@pytest.fixture(scope="session")
def schema_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    directory = tmp_path_factory.mktemp("schemas") / "v1.37"
    export_schemas(directory, V)
    return directory


@pytest.fixture(autouse=True)
def _offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """Any download kubeconform attempted would go to a closed port and fail the test."""
    for var in ("HTTPS_PROXY", "HTTP_PROXY", "https_proxy", "http_proxy"):
        monkeypatch.setenv(var, "http://127.0.0.1:9")
    for var in ("NO_PROXY", "no_proxy"):
        monkeypatch.delenv(var, raising=False)


def write(directory: Path, name: str, *objects: Any) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / name
    path.write_text("".join("---\n" + to_yaml(o) for o in objects), encoding="utf-8")
    return path


def tfjob() -> dict[str, Any]:
    pod = {"metadata": {"labels": {"app": "mnist"}},
           "spec": {"containers": [{"name": "tensorflow", "image": "tensorflow/tensorflow:2.16.1",
                                    "ports": [{"containerPort": 2222, "name": "tfjob-port"}],
                                    "resources": {"limits": {"nvidia.com/gpu": 1}},
                                    "readinessProbe": {"tcpSocket": {"port": 2222}},
                                    "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
                    "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
                    "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}],
                    "securityContext": {"runAsUser": 1000}, "hostIPC": False}}
    return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "mnist", "namespace": "kubeflow"},
            "spec": {"runPolicy": {"cleanPodPolicy": "None"},
                     "tfReplicaSpecs": {"PS": {"replicas": 1, "template": copy.deepcopy(pod)},
                                        "Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": pod}}}}


def findings_by(result: KubeconformResult) -> dict[tuple[str, str], list[Problem]]:
    out: dict[tuple[str, str], list[Problem]] = {}
    for f in result.findings:
        out.setdefault((f.kind, f.name), []).append(f)
    return out


# --- the exported layout -------------------------------------------------------------------------

def test_export_layout(schema_dir: Path) -> None:
    names = {p.name for p in schema_dir.iterdir()}
    for expected in ("deployment-apps-v1.json", "service-v1.json", "configmap-v1.json", "namespace-v1.json",
                     "customresourcedefinition-apiextensions-v1.json", "clusterrole-rbac-v1.json",
                     "validatingwebhookconfiguration-admissionregistration-v1.json", "tfjob-kubeflow-v1.json"):
        assert expected in names
    assert len(names) == len(k8s_schemas.kinds(V)) + 1
    for path in schema_dir.iterdir():
        schema = json.loads(path.read_text())
        assert "$id" not in schema
        drafts = ("https://json-schema.org/draft/2020-12/schema", "http://json-schema.org/draft-07/schema#")
        assert schema["$schema"] in drafts, path.name  # never draft 4 (no propertyNames there)
        assert all(r.startswith("#/$defs/") for r in k8s_schemas._refs(schema)), path.name  # nothing remote


def test_export_is_deterministic(tmp_path: Path) -> None:
    kinds = [("apps/v1", "Deployment"), ("v1", "Service")]

    def digest(directory: Path) -> dict[str, str]:
        paths = export_schemas(directory, V, kinds=kinds)
        return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in paths}

    first, second = digest(tmp_path / "a"), digest(tmp_path / "b")
    assert first == second
    assert set(first) == {"deployment-apps-v1.json", "service-v1.json", "tfjob-kubeflow-v1.json"}


def test_exact_flag_from_the_docs(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    """The command documented in kfgen.validate.export, as a user would type it."""
    import subprocess

    write(tmp_path / "m", "svc.yaml", {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "s"},
                                        "spec": {"ports": [{"port": 80}]}})
    proc = subprocess.run([str(kubeconform_bin), "-strict", "-summary", "-schema-location",
                           f"{schema_dir}/{{{{.ResourceKind}}}}{{{{.KindSuffix}}}}.json", str(tmp_path / "m")],
                          capture_output=True, text=True, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "Valid: 1, Invalid: 0, Errors: 0, Skipped: 0" in proc.stdout


# --- valid manifests -----------------------------------------------------------------------------

def test_valid_manifests_pass_with_nothing_skipped(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    from kfgen.kube.tfjob import tfjob_crd

    objects = bench.bench_corpus(27) + [tfjob(), tfjob_crd()]
    for i, obj in enumerate(objects):
        write(tmp_path / "one-per-file", f"{i:03d}.yaml", obj)
    write(tmp_path, "stream.yaml", *objects)
    result = kubeconform([tmp_path], schema_dir, kubeconform_bin)
    assert result.findings == [], "\n".join(f.format() for f in result.findings)
    assert (result.valid, result.invalid, result.errors, result.skipped) == (2 * len(objects), 0, 0, 0)
    assert validate_objects(objects, V) == []  # in-process agrees


def test_valid_tfjob_passes(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    """The trap: additionalProperties:false all the way down would refuse this valid pod template."""
    path = write(tmp_path, "tfjob.yaml", tfjob())
    result = kubeconform([path], schema_dir, kubeconform_bin)
    assert result.findings == [] and result.valid == 1


# --- invalid manifests ---------------------------------------------------------------------------

def test_invalid_manifests_are_reported_with_their_paths(schema_dir: Path, kubeconform_bin: Path,
                                                         tmp_path: Path) -> None:
    manifest = tmp_path / "bad.yaml"
    manifest.write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata: {name: web, namespace: kubeflow}
        spec:
          selector: {matchLabels: {app: web}}
          template:
            metadata: {labels: {app: web}}
            spec:
              containers:
              - name: web
                image: nginx
                imagePulPolicy: Always
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: web, namespace: kubeflow}
        spec:
          ports:
          - port: "80"
        ---
        apiVersion: v1
        kind: Pod
        metadata: {name: empty}
        spec: {}
        """))
    result = kubeconform([manifest], schema_dir, kubeconform_bin)
    got = {(f.kind, f.pointer, f.message, f.line) for f in result.findings}
    assert got == {
        ("Deployment", "/spec/template/spec/containers/0", "additional properties 'imagePulPolicy' not allowed", 10),
        ("Service", "/spec/ports/0/port", "got string, want integer", 19),
        ("Pod", "/spec", "missing property 'containers'", 24),
    }
    assert all(f.file == str(manifest) and f.source == "kubeconform" for f in result.findings)
    assert (result.valid, result.invalid, result.skipped) == (0, 3, 0)


def test_tfjob_with_bad_replica_spec(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    job = tfjob()
    worker = job["spec"]["tfReplicaSpecs"]["Worker"]
    worker["replicas"] = "two"
    worker["replica"] = 3
    job["spec"]["tfReplicaSpecs"]["Boss"] = copy.deepcopy(job["spec"]["tfReplicaSpecs"]["PS"])
    path = write(tmp_path, "tfjob.yaml", job)
    result = kubeconform([path], schema_dir, kubeconform_bin)
    got = {(f.pointer, f.message) for f in result.findings}
    assert ("/spec/tfReplicaSpecs/Worker/replicas", "got string, want integer") in got
    assert ("/spec/tfReplicaSpecs/Worker", "additional properties 'replica' not allowed") in got
    assert any("invalid propertyName 'Boss'" in m for _, m in got)  # kubeconform reports this one at ''
    assert len(got) == 3 and result.invalid == 1
    # in-process finds the same three, with pointers to the fields themselves
    assert {f.pointer for f in validate_objects([job], V)} == {
        "/spec/tfReplicaSpecs/Worker/replicas", "/spec/tfReplicaSpecs/Worker/replica", "/spec/tfReplicaSpecs/Boss"}


def test_exported_schemas_carry_integer_ranges(schema_dir: Path) -> None:
    deployment = json.loads((schema_dir / "deployment-apps-v1.json").read_text())
    replicas = deployment["$defs"]["io.k8s.api.apps.v1.DeploymentSpec"]["properties"]["replicas"]
    assert replicas == {"type": ["integer", "null"], "format": "int32", "minimum": -(2**31), "maximum": 2**31 - 1}
    pod = deployment["$defs"]["io.k8s.api.core.v1.PodSpec"]["properties"]["activeDeadlineSeconds"]
    assert (pod["format"], pod["minimum"], pod["maximum"]) == ("int64", -(2**63), 2**63 - 1)
    job = json.loads((schema_dir / "tfjob-kubeflow-v1.json").read_text())
    replica_spec = job["properties"]["spec"]["properties"]["tfReplicaSpecs"]["additionalProperties"]
    assert (replica_spec["properties"]["replicas"]["minimum"], replica_spec["properties"]["replicas"]["maximum"]) == \
        (0, 2**31 - 1)
    priority = json.loads((schema_dir / "priorityclass-scheduling-v1.json").read_text())
    assert priority["properties"]["value"]["maximum"] == 2**31 - 1  # inline in the kind's own file


def test_integers_out_of_range_are_reported(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    """JSON Schema ignores format int32/int64; the API server does not (cannot unmarshal number into
    int32). Both validators must refuse what the server refuses, with the field's JSON pointer."""
    dep = bench.bench_corpus(1)[0]
    dep["spec"]["replicas"] = 99999999999
    job = tfjob()
    job["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = 123456789012345678901234567890
    job["spec"]["tfReplicaSpecs"]["PS"]["template"]["spec"]["activeDeadlineSeconds"] = 2**63
    pc = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "big"}, "value": 2**31}
    path = write(tmp_path, "bad.yaml", dep, job, pc)
    result = kubeconform([path], schema_dir, kubeconform_bin)
    got = {(f.kind, f.pointer) for f in result.findings}
    expected = {("Deployment", "/spec/replicas"), ("TFJob", "/spec/tfReplicaSpecs/Worker/replicas"),
                ("TFJob", "/spec/tfReplicaSpecs/PS/template/spec/activeDeadlineSeconds"), ("PriorityClass", "/value")}
    assert got == expected, "\n".join(f.format() for f in result.findings)
    assert all(f.message.startswith("maximum:") and f.line for f in result.findings)
    assert (result.valid, result.invalid, result.errors, result.skipped) == (0, 3, 0, 0)
    ours = validate_objects([dep, job, pc], V)
    assert {(f.kind, f.pointer) for f in ours} == expected  # in-process agrees
    assert {f.message for f in ours} == {"integer out of range for int32", "integer out of range for int64"}


def test_integers_at_the_limits_pass(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    dep = bench.bench_corpus(1)[0]
    dep["spec"]["replicas"] = 2**31 - 1
    dep["spec"]["revisionHistoryLimit"] = -(2**31)
    pod = dep["spec"]["template"]["spec"]
    pod["activeDeadlineSeconds"] = 2**63 - 1024  # see test_kubeconform_int64_limits_are_approximate
    pod["terminationGracePeriodSeconds"] = -(2**63) + 1024
    job = tfjob()
    job["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = 2**31 - 1
    path = write(tmp_path, "limits.yaml", dep, job)
    result = kubeconform([path], schema_dir, kubeconform_bin)
    assert result.findings == [], "\n".join(f.format() for f in result.findings)
    assert result.valid == 2
    pod["activeDeadlineSeconds"], pod["terminationGracePeriodSeconds"] = 2**63 - 1, -(2**63)
    assert validate_objects([dep, job], V) == []  # in-process is exact


def test_kubeconform_int64_limits_are_approximate(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    """A known limit, pinned: kubeconform reads numbers as float64 and compares their shortest
    decimal form (9223372036854775807 -> 9.223372036854776e18 > 2^63-1), so within about 512 of
    the int64 limits (and at -2^63 itself) it refuses values the API server takes. int32 is exact
    (float64 holds every int32); the in-process validator is exact for both."""
    def pod(name: str, seconds: int) -> dict[str, Any]:
        return {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": name},
                "spec": {"containers": [{"name": "c"}], "activeDeadlineSeconds": seconds}}

    objects = [pod("max", 2**63 - 1), pod("min", -(2**63)), pod("near", 2**63 - 1024)]
    result = kubeconform([write(tmp_path, "int64.yaml", *objects)], schema_dir, kubeconform_bin)
    assert {f.name for f in result.findings} == {"max", "min"}
    assert validate_objects(objects, V) == []


def test_missing_schema_is_an_error_not_a_skip(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    path = write(tmp_path, "widget.yaml", {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    result = kubeconform([path], schema_dir, kubeconform_bin)
    [f] = result.findings
    assert (f.kind, f.name, f.message) == ("Widget", "w", "could not find schema for Widget")
    assert result.errors == 1 and result.skipped == 0


def test_kubeconform_reads_yaml_like_kubectl(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path) -> None:
    """Why kubeconform runs too: Go's YAML (kubectl's) reads an unquoted ``y`` as a boolean,
    PyYAML reads a string. Only kubeconform sees what the API server would get."""
    path = tmp_path / "cm.yaml"
    path.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: flags\ndata:\n  verbose: y\n")
    assert validate_files([path], V)[0] == []
    [f] = kubeconform([path], schema_dir, kubeconform_bin).findings
    assert (f.pointer, f.line) == ("/data/verbose", 6) and "boolean" in f.message


def test_in_process_and_kubeconform_agree_on_bench_corpus(schema_dir: Path, kubeconform_bin: Path,
                                                          tmp_path: Path) -> None:
    objects = bench.bench_corpus(18)
    objects[0]["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = "8080"
    objects[1]["spec"]["ports"][0]["bogus"] = 1
    objects[8]["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = -1
    for i, obj in enumerate(objects):
        write(tmp_path / "m", f"{i:03d}.yaml", obj)
    kc = {(f.kind, f.name) for f in kubeconform([tmp_path / "m"], schema_dir, kubeconform_bin).findings}
    ours = {(f.kind, f.name) for f in validate_objects(objects, V)}
    assert kc == ours == {("Deployment", "app-0"), ("Service", "app-1"), ("TFJob", "app-8")}


# --- the repository's committed output -----------------------------------------------------------

def committed_dirs() -> list[Path]:
    return sorted(p for p in (ROOT / "out").glob("*/") if p.is_dir() and not p.name.startswith("."))


def profile_version(name: str) -> str:
    from kfgen.profile import load_profile

    try:
        value = load_profile(ROOT / "profiles", name).data.get("kubernetesVersion")
    except Exception:
        value = None
    return value if isinstance(value, str) else DEFAULT_KUBERNETES_VERSION


def test_committed_out_dirs_are_valid(kubeconform_bin: Path, tmp_path: Path) -> None:
    """Every out/<profile>/ in the repo validates with kubeconform -strict: all valid, none skipped."""
    dirs = committed_dirs()
    profiles = sorted(p.stem for p in (ROOT / "profiles").glob("*.yaml"))
    assert dirs, f"no out/<profile>/ directories to validate (profiles: {', '.join(profiles) or 'none'}); " \
                 "run `kfgen render --all` and commit out/"
    schemas = SchemaCache(tmp_path)
    total = 0
    problems: list[str] = []
    for directory in dirs:
        version = profile_version(directory.name)
        result = kubeconform([directory], schemas(version), kubeconform_bin)
        problems += [f.format() for f in result.findings]
        assert result.skipped == 0
        total += result.valid
        in_process, _, _ = validate_files(manifest_files(directory), version)
        problems += [f.format() for f in in_process]
    assert not problems, "\n".join(problems)
    assert total >= len(dirs), "kubeconform validated no resource"


def test_many_files_run_in_batches_with_the_same_result(schema_dir: Path, kubeconform_bin: Path, tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    """More file names than one command line holds (ARG_MAX) are split into runs; the result is the same."""
    import kfgen.validate.kubeconform as kc

    deep = tmp_path / ("d" * 100) / ("e" * 100)
    deep.mkdir(parents=True)
    bad = dict(tfjob(), spec={"tfReplicaSpecs": {"Worker": {"replicas": "two"}}})
    paths = [write(deep, f"cm-{i:03d}.yaml", {"apiVersion": "v1", "kind": "ConfigMap",
                                               "metadata": {"name": f"cm-{i}", "namespace": "x"}}) for i in range(40)]
    paths.insert(17, write(deep, "bad.yaml", bad))
    whole = kubeconform(paths, schema_dir, kubeconform_bin)
    assert len(kc._batches([str(p) for p in paths])) == 1
    monkeypatch.setattr(kc, "ARGS_BUDGET", 2048)  # about 8 names a run
    assert len(kc._batches([str(p) for p in paths], kc.ARGS_BUDGET)) > 4
    batched = kubeconform(paths, schema_dir, kubeconform_bin)
    assert (batched.valid, batched.invalid, batched.errors, batched.skipped) == (
        whole.valid, whole.invalid, whole.errors, whole.skipped) == (40, 1, 0, 0)
    assert sorted(batched.findings, key=str) == sorted(whole.findings, key=str) and batched.findings
