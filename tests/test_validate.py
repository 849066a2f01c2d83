"""In-process validation (kfgen.validate.objects, .manifests, .profiles) against the strict schemas of
kubernetes-validate (kfgen.kube.schemas) and kfgen's TFJob schema: every error, each with its JSON pointer."""

from __future__ import annotations

import copy
import json
import textwrap
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import load_script

from kfgen.errors import KfgenError, Problem
from kfgen.kube import schemas as k8s_schemas
from kfgen.kube.constants import TFJOB_API_VERSION, TFJOB_KIND
from kfgen.validate import objects as in_process
from kfgen.validate.manifests import validate_files
from kfgen.validate.objects import validate_objects
from kfgen.validate.profiles import validate_profile, validate_profiles

V = "1.37"


bench = load_script("bench_validation")


def deployment(**spec_extra: Any) -> dict[str, Any]:
    labels = {"app": "web"}
    obj = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "web", "namespace": "kubeflow", "labels": labels},
        "spec": {
            "replicas": 2,
            "selector": {"matchLabels": labels},
            "template": {
                "metadata": {"labels": labels},
                "spec": {"containers": [{"name": "web", "image": "nginx:1.27", "imagePullPolicy": "IfNotPresent",
                                         "ports": [{"containerPort": 80, "name": "http"}]}]},
            },
        },
    }
    obj["spec"].update(spec_extra)
    return obj


def renderable(dep: dict[str, Any]) -> dict[str, Any]:
    """*dep* (a :func:`deployment`) as the render's checks want a prototype's pod, for test prototypes (whose
    tests are about validation): it meets the Pod Security Standard 'restricted' (its namespace's level) and
    its container has CPU and memory requests and limits."""
    from kfgen.kube.objects import security_context

    web = dep["spec"]["template"]["spec"]["containers"][0]
    web["securityContext"] = security_context()
    web["resources"] = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "256Mi"}}
    return dep


def service() -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "Service", "metadata": {"name": "web", "namespace": "kubeflow"},
            "spec": {"type": "ClusterIP", "selector": {"app": "web"},
                     "ports": [{"name": "http", "port": 80, "targetPort": "http"}]}}


def tfjob() -> dict[str, Any]:
    """A valid TFJob whose pod template uses PodSpec fields kfgen's own model does not type."""
    pod = {
        "metadata": {"labels": {"app": "mnist"}},
        "spec": {
            "containers": [{"name": "tensorflow", "image": "tensorflow/tensorflow:2.16.1",
                            "command": ["python", "/opt/mnist.py"],
                            "ports": [{"containerPort": 2222, "name": "tfjob-port"}],
                            "resources": {"limits": {"nvidia.com/gpu": 1, "memory": "2Gi"}},
                            "livenessProbe": {"exec": {"command": ["true"]}, "periodSeconds": 30},
                            "volumeMounts": [{"name": "data", "mountPath": "/data"}]}],
            "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
                {"matchExpressions": [{"key": "nvidia.com/gpu.present", "operator": "In", "values": ["true"]}]}]}}},
            "volumes": [{"name": "data", "persistentVolumeClaim": {"claimName": "data"}}],
            "priorityClassName": "training",
            "securityContext": {"runAsNonRoot": True, "fsGroup": 1000},
        },
    }
    return {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "mnist", "namespace": "kubeflow"},
            "spec": {"runPolicy": {"cleanPodPolicy": "None", "backoffLimit": 3},
                     "tfReplicaSpecs": {"PS": {"replicas": 1, "restartPolicy": "Never", "template": copy.deepcopy(pod)},
                                        "Worker": {"replicas": 2, "restartPolicy": "OnFailure", "template": pod}}}}


def by_pointer(findings: list[Problem]) -> dict[str, Problem]:
    return {f.pointer: f for f in findings}


# --- valid ---------------------------------------------------------------------------------------

def test_valid_objects_pass() -> None:
    objects = [deployment(), service(), tfjob(), *bench.bench_corpus(27)]
    assert validate_objects(objects, V) == []


def test_valid_crd_passes() -> None:
    """CustomResourceDefinition's schema is recursive (JSONSchemaProps): refs must resolve."""
    from kfgen.kube.tfjob import tfjob_crd

    assert validate_objects([tfjob_crd()], V) == []


def test_tfjob_pod_template_keeps_kubernetes_semantics() -> None:
    """The trap: additionalProperties:false inside the pod template would refuse valid pods."""
    job = tfjob()
    template = job["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]
    template["hostIPC"] = False
    template["containers"][0]["stdin"] = True
    assert validate_objects([job], V) == []


# --- each kind of error, with its JSON pointer -----------------------------------------------------

def test_unknown_field_in_deployment() -> None:
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["imagePulPolicy"] = "Always"
    [f] = validate_objects([obj], V)
    assert f.pointer == "/spec/template/spec/containers/0/imagePulPolicy"
    assert (f.kind, f.namespace, f.name) == ("Deployment", "kubeflow", "web")
    assert f.message == "unknown field 'imagePulPolicy'"
    assert "imagePullPolicy" in (f.expected or "")
    assert f.hint == "did you mean 'imagePullPolicy'?"
    assert "Deployment kubeflow/web /spec/template/spec/containers/0/imagePulPolicy: unknown field" in f.format()


def test_service_port_as_string() -> None:
    obj = service()
    obj["spec"]["ports"][0]["port"] = "80"
    [f] = validate_objects([obj], V)
    assert f.pointer == "/spec/ports/0/port"
    assert (f.message, f.expected, f.found) == ("wrong type", "integer", "string '80'")


def test_int_or_string_accepts_both_but_not_a_list() -> None:
    obj = service()
    obj["spec"]["ports"][0]["targetPort"] = 8080
    assert validate_objects([obj], V) == []
    obj["spec"]["ports"][0]["targetPort"] = ["http"]
    [f] = validate_objects([obj], V)
    assert f.pointer == "/spec/ports/0/targetPort"
    assert f.expected == "integer or string"


def test_missing_required_field() -> None:
    obj = deployment()
    del obj["spec"]["template"]["spec"]["containers"][0]["name"]
    del obj["spec"]["selector"]
    findings = validate_objects([obj], V)
    assert {f.pointer for f in findings} == {"/spec/selector", "/spec/template/spec/containers/0/name"}
    assert all(f.message == "required field is missing" for f in findings)
    no_spec = {"apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p"}, "spec": {}}
    [f] = validate_objects([no_spec], V)
    assert f.pointer == "/spec/containers" and f.expected == "field 'containers'"


def test_missing_name_is_reported() -> None:
    obj = service()
    del obj["metadata"]["name"]
    [f] = validate_objects([obj], V)
    assert f.pointer == "/metadata/name"


def test_tfjob_bad_replica_spec() -> None:
    job = tfjob()
    worker = job["spec"]["tfReplicaSpecs"]["Worker"]
    worker["replicas"] = "two"
    worker["replica"] = 3
    job["spec"]["tfReplicaSpecs"]["Workers"] = copy.deepcopy(job["spec"]["tfReplicaSpecs"]["PS"])
    job["spec"]["runPolicy"]["cleanPodPolicy"] = "Sometimes"
    found = by_pointer(validate_objects([job], V))
    assert set(found) == {"/spec/tfReplicaSpecs/Worker/replicas", "/spec/tfReplicaSpecs/Worker/replica",
                          "/spec/tfReplicaSpecs/Workers", "/spec/runPolicy/cleanPodPolicy"}
    assert found["/spec/tfReplicaSpecs/Worker/replicas"].found == "string 'two'"
    assert found["/spec/tfReplicaSpecs/Worker/replicas"].expected == "integer"
    assert found["/spec/tfReplicaSpecs/Worker/replica"].hint == "did you mean 'replicas'?"
    assert found["/spec/tfReplicaSpecs/Workers"].message == "invalid key 'Workers'"
    assert found["/spec/tfReplicaSpecs/Workers"].hint == "did you mean 'Worker'?"
    assert "All, Running, None" in (found["/spec/runPolicy/cleanPodPolicy"].expected or "")
    assert all(f.kind == "TFJob" and f.name == "mnist" for f in found.values())


# --- integer ranges (format int32/int64: ignored by JSON Schema, enforced by the API server) --------

INT32_MAX, INT64_MAX = 2**31 - 1, 2**63 - 1


def test_int32_out_of_range_is_reported_with_its_pointer() -> None:
    """The API server refuses ``replicas: 99999999999`` (cannot unmarshal number into int32)."""
    [f] = validate_objects([deployment(replicas=99999999999)], V)
    assert (f.kind, f.name, f.pointer) == ("Deployment", "web", "/spec/replicas")
    assert f.message == "integer out of range for int32"
    assert f.expected == "an int32: from -2147483648 to 2147483647"
    assert f.found == "integer 99999999999"
    assert "Deployment kubeflow/web /spec/replicas: integer out of range for int32" in f.format()
    obj = deployment()
    obj["spec"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = -(2**31) - 1
    [f] = validate_objects([obj], V)
    assert f.pointer == "/spec/template/spec/containers/0/ports/0/containerPort"
    assert (f.message, f.found) == ("integer out of range for int32", "integer -2147483649")


def test_int32_in_range_still_passes() -> None:
    obj = deployment(replicas=INT32_MAX, revisionHistoryLimit=-(2**31), progressDeadlineSeconds=0)
    assert validate_objects([obj], V) == []
    assert validate_objects([deployment(replicas=None)], V) == []  # ["integer", "null"] keeps null


def test_int64_range() -> None:
    obj = deployment()
    pod = obj["spec"]["template"]["spec"]
    pod["activeDeadlineSeconds"] = INT64_MAX
    pod["terminationGracePeriodSeconds"] = -(2**63)
    assert validate_objects([obj], V) == []
    pod["activeDeadlineSeconds"] = INT64_MAX + 1
    pod["terminationGracePeriodSeconds"] = -(2**63) - 1
    found = by_pointer(validate_objects([obj], V))
    assert set(found) == {"/spec/template/spec/activeDeadlineSeconds",
                          "/spec/template/spec/terminationGracePeriodSeconds"}
    assert {f.message for f in found.values()} == {"integer out of range for int64"}
    assert found["/spec/template/spec/activeDeadlineSeconds"].expected == \
        "an int64: from -9223372036854775808 to 9223372036854775807"


def test_int_range_in_a_kind_schema_itself() -> None:
    """A few shipped kind files have integer fields inline (not behind a $ref): PriorityClass.value."""
    pc = {"apiVersion": "scheduling.k8s.io/v1", "kind": "PriorityClass", "metadata": {"name": "training"},
          "value": INT32_MAX}
    assert validate_objects([pc], V) == []
    [f] = validate_objects([{**pc, "value": INT32_MAX + 1}], V)
    assert (f.pointer, f.message) == ("/value", "integer out of range for int32")


def test_tfjob_replicas_out_of_range() -> None:
    job = tfjob()
    job["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = 123456789012345678901234567890
    job["spec"]["tfReplicaSpecs"]["PS"]["template"]["spec"]["containers"][0]["ports"][0]["containerPort"] = 2**40
    found = by_pointer(validate_objects([job], V))
    assert set(found) == {"/spec/tfReplicaSpecs/Worker/replicas",
                          "/spec/tfReplicaSpecs/PS/template/spec/containers/0/ports/0/containerPort"}
    f = found["/spec/tfReplicaSpecs/Worker/replicas"]
    assert (f.kind, f.name, f.message) == ("TFJob", "mnist", "integer out of range for int32")
    assert f.found == "integer 123456789012345678901234567890"
    job = tfjob()
    job["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = INT32_MAX
    assert validate_objects([job], V) == []
    job["spec"]["tfReplicaSpecs"]["Worker"]["replicas"] = -1  # TFJob's own minimum 0 is kept, and said so
    [f] = validate_objects([job], V)
    assert f.pointer == "/spec/tfReplicaSpecs/Worker/replicas" and f.expected == "minimum: 0"


def test_bound_integers() -> None:
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "format": "int32"},
            "b": {"type": ["integer", "null"], "format": "int64"},
            "c": {"type": "integer", "format": "int32", "minimum": 0, "maximum": 10**12},
            "d": {"type": "number", "format": "double"},
            "e": {"type": "string", "format": "int32"},
            "format": {"type": "string"},  # properties named like keywords are properties
            "items": {"type": "array", "items": {"type": "integer", "format": "int32"}},
            "any": {"anyOf": [{"type": "integer", "format": "int64"}, {"type": "string"}]},
        },
        "enum": [{"type": "integer", "format": "int32"}],  # data, not a schema
        "x-kubernetes-example": {"type": "integer", "format": "int32"},
    }
    before = json.dumps(schema, sort_keys=True)
    out = k8s_schemas.bound_integers(schema)
    assert json.dumps(schema, sort_keys=True) == before  # input untouched
    props = out["properties"]
    assert (props["a"]["minimum"], props["a"]["maximum"]) == (-(2**31), 2**31 - 1)
    assert (props["b"]["minimum"], props["b"]["maximum"]) == (-(2**63), 2**63 - 1)
    assert (props["c"]["minimum"], props["c"]["maximum"]) == (0, 2**31 - 1)  # the tighter bound wins
    assert "minimum" not in props["d"] and "minimum" not in props["e"] and props["format"] == {"type": "string"}
    assert props["items"]["items"]["maximum"] == 2**31 - 1
    assert props["any"]["anyOf"][0]["maximum"] == 2**63 - 1
    assert out["enum"] == [{"type": "integer", "format": "int32"}]
    assert out["x-kubernetes-example"] == {"type": "integer", "format": "int32"}
    assert k8s_schemas.bound_integers(out) == out  # idempotent
    assert json.dumps(k8s_schemas.bound_integers(schema), sort_keys=True) == json.dumps(out, sort_keys=True)


def _integer_formats(node: Any) -> Iterator[dict[str, Any]]:
    stack = [node]
    while stack:
        item = stack.pop()
        if isinstance(item, dict):
            if item.get("format") in ("int32", "int64") and "integer" in str(item.get("type")):
                yield item
            stack.extend(v for k, v in item.items() if isinstance(v, (dict, list)) and k != "enum")
        elif isinstance(item, list):
            stack.extend(item)


def test_every_integer_format_is_bounded_once_per_version() -> None:
    raw = k8s_schemas.definitions_document(V)
    bounded = k8s_schemas.bounded_definitions_document(V)
    assert bounded is k8s_schemas.bounded_definitions_document("v1.37.0")  # cached, once per version
    assert k8s_schemas.registry(V).contents(bounded["$id"]) is bounded  # what in-process validation uses
    ints = list(_integer_formats(bounded))
    assert len(ints) > 200
    assert all((s["minimum"], s["maximum"]) == k8s_schemas.INTEGER_FORMAT_BOUNDS[s["format"]] for s in ints)
    assert not any("maximum" in s for s in _integer_formats(raw))  # the shipped documents are untouched
    kind = k8s_schemas.validation_schema("scheduling.k8s.io/v1", "PriorityClass", V)
    assert kind is k8s_schemas.validation_schema("scheduling.k8s.io/v1", "PriorityClass", V)
    assert kind["properties"]["value"]["maximum"] == 2**31 - 1


def test_tfjob_schema_is_bounded_once() -> None:
    from kfgen.kube.tfjob import tfjob_validation_schema

    in_process.clear_cache()
    shared = in_process._tfjob_schema()
    assert in_process._tfjob_schema() is shared
    assert in_process.validator_for(TFJOB_API_VERSION, TFJOB_KIND, V).schema is shared
    copy_ = in_process.tfjob_schema()
    assert copy_ == shared and copy_ is not shared  # callers get their own copy
    replica_spec = shared["properties"]["spec"]["properties"]["tfReplicaSpecs"]["additionalProperties"]
    assert replica_spec["properties"]["replicas"]["minimum"] == 0  # TFJob's own, tighter than int32's
    assert replica_spec["properties"]["replicas"]["maximum"] == 2**31 - 1
    ints = list(_integer_formats(shared))
    assert len(ints) > 100 and all("maximum" in s for s in ints)
    assert not any("maximum" in s for s in _integer_formats(tfjob_validation_schema()))  # kfgen.kube.tfjob unchanged


def test_several_errors_in_one_object_are_all_reported() -> None:
    obj = deployment(paused="no", strategyy={})
    obj["metadata"]["labels"] = {"app": 1}
    container = obj["spec"]["template"]["spec"]["containers"][0]
    container["ports"][0]["containerPort"] = "80"
    container["imagePullPolicy"] = 3
    container["bogus"] = True
    del container["image"]  # not required by the schema: must not be reported
    findings = validate_objects([obj], V)
    assert [f.pointer for f in findings] == sorted([
        "/metadata/labels/app",
        "/spec/paused",
        "/spec/strategyy",
        "/spec/template/spec/containers/0/bogus",
        "/spec/template/spec/containers/0/imagePullPolicy",
        "/spec/template/spec/containers/0/ports/0/containerPort",
    ])
    assert len({(f.pointer, f.message) for f in findings}) == len(findings)


def test_errors_in_several_objects_keep_their_objects() -> None:
    bad_svc = service()
    bad_svc["spec"]["ports"][0]["port"] = "80"
    bad_dep = deployment(bogus=1)
    findings = validate_objects([deployment(), bad_svc, tfjob(), bad_dep], V)
    assert [(f.kind, f.pointer) for f in findings] == [("Service", "/spec/ports/0/port"), ("Deployment", "/spec/bogus")]


# --- versions and kinds --------------------------------------------------------------------------

def test_unknown_kubernetes_version_is_a_clear_error() -> None:
    with pytest.raises(k8s_schemas.UnsupportedKubernetesVersion) as info:
        validate_objects([service()], "1.99")
    text = info.value.format()
    assert "kubernetesVersion '1.99' has no Kubernetes schemas" in text
    assert "1.25" in text and "1.37" in text
    assert isinstance(info.value, KfgenError)


def test_versions_are_matched_exactly() -> None:
    """kubernetes-validate itself would silently fall back to an older set; kfgen refuses."""
    shipped = k8s_schemas.shipped_versions()
    assert "1.37" in shipped and shipped == sorted(shipped, key=lambda v: int(v.split(".")[1]))
    assert k8s_schemas.schema_dir("1.37").name == "v1.37.0-local-strict"
    assert k8s_schemas.schema_dir("v1.36").name == "v1.36.0-local-strict"
    for bad in ("1.24", "1.38", "2.0", "latest"):
        with pytest.raises(k8s_schemas.UnsupportedKubernetesVersion):
            k8s_schemas.schema_dir(bad)


def test_older_version_uses_its_own_schemas() -> None:
    assert validate_objects([deployment(), service()], "1.30") == []


def test_unknown_kind_is_a_finding() -> None:
    widget = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w", "namespace": "x"}}
    old = deployment()
    old["apiVersion"] = "extensions/v1beta1"
    findings = validate_objects([widget, old, {"kind": "Service", "metadata": {"name": "s"}}], V)
    assert [(f.kind, f.pointer) for f in findings] == [("Widget", "/kind"), ("Deployment", "/kind"),
                                                        ("Service", "/apiVersion")]
    assert "no schema for kind Widget" in findings[0].message
    assert findings[1].hint == "Deployment exists as apiVersion apps/v1"


# --- k8s_schemas ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("api_version", "kind", "name"), [
    ("apps/v1", "Deployment", "deployment-apps-v1.json"),
    ("v1", "Service", "service-v1.json"),
    ("apiextensions.k8s.io/v1", "CustomResourceDefinition", "customresourcedefinition-apiextensions-v1.json"),
    ("rbac.authorization.k8s.io/v1", "ClusterRole", "clusterrole-rbac-v1.json"),
    ("kubeflow.org/v1", "TFJob", "tfjob-kubeflow-v1.json"),
    ("internal.apiserver.k8s.io/v1alpha1", "StorageVersion", "storageversion-internal-v1alpha1.json"),
])
def test_schema_file_names_follow_kubeconform(api_version: str, kind: str, name: str) -> None:
    assert k8s_schemas.schema_for(api_version, kind) == name


def test_shipped_files_are_found_even_when_named_differently() -> None:
    assert k8s_schemas.schema_path("internal.apiserver.k8s.io/v1alpha1", "StorageVersion", V).name == \
        "storageversion-apiserverinternal-v1alpha1.json"
    assert k8s_schemas.schema_path("v1", "Status", V).name == "status-meta-v1.json"
    assert len(k8s_schemas.kinds(V)) > 150
    with pytest.raises(k8s_schemas.SchemaNotFound):
        k8s_schemas.schema_path("example.com/v1", "Widget", V)


def test_registry_resolves_the_shipped_refs() -> None:
    schema = k8s_schemas.kind_schema("apps/v1", "Deployment", V)
    ref = schema["properties"]["spec"]["$ref"]
    assert ref.startswith("/api/_definitions.json#/$defs/")
    resolver = k8s_schemas.registry(V).resolver(base_uri=schema["$id"])
    assert "template" in resolver.lookup(ref).contents["properties"]


def test_standalone_schema_is_self_contained() -> None:
    schema = k8s_schemas.standalone_schema("apiextensions.k8s.io/v1", "CustomResourceDefinition", V)
    assert "$id" not in schema
    refs = list(k8s_schemas._refs(schema))
    assert refs and all(r.startswith("#/$defs/") for r in refs)
    assert {r[len("#/$defs/"):] for r in refs} <= set(schema["$defs"])
    props = "io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"
    assert props in schema["$defs"]  # recursive: kept as a definition, not inlined
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(schema)
    stripped = k8s_schemas.standalone_schema("apiextensions.k8s.io/v1", "CustomResourceDefinition", V,
                                             descriptions=False)
    assert "description" in stripped["$defs"][props]["properties"]  # the field named description stays
    assert "description" not in stripped["$defs"][props]  # the documentation goes
    assert len(json.dumps(stripped)) < len(json.dumps(schema)) / 2


# --- files on disk -------------------------------------------------------------------------------

def test_files_findings_carry_file_and_line(tmp_path: Path) -> None:
    good = tmp_path / "00-service-web.yaml"
    bad = tmp_path / "27-deployment-web.yaml"
    from kfgen.output.files import to_yaml

    good.write_text("# header\n" + to_yaml(service()))
    bad.write_text(textwrap.dedent("""\
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
        spec:
          selector:
            matchLabels: {app: web}
          template:
            metadata:
              labels: {app: web}
            spec:
              containers:
              - name: web
                image: nginx
                imagePulPolicy: Always
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: other}
        spec:
          ports:
          - port: "80"
        """))
    findings, nfiles, nobjects = validate_files([good, bad], V)
    assert (nfiles, nobjects) == (2, 3)
    assert [(f.file, f.line, f.pointer) for f in findings] == [
        (str(bad), 15, "/spec/template/spec/containers/0/imagePulPolicy"),
        (str(bad), 22, "/spec/ports/0/port"),
    ]
    assert f"{bad}:15: Deployment web /spec/template/spec/containers/0/imagePulPolicy" in findings[0].format()


def test_duplicate_keys_and_bad_yaml_are_findings(tmp_path: Path) -> None:
    dup = tmp_path / "dup.yaml"
    dup.write_text("apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: a\n  name: b\n")
    broken = tmp_path / "broken.yaml"
    broken.write_text("apiVersion: v1\nkind: [\n")
    findings, _, _ = validate_files([dup, broken], V)
    assert [(f.file, f.line, f.source) for f in findings] == [(str(dup), 5, "yaml"), (str(broken), 3, "yaml")]
    assert findings[0].message == "duplicate key 'name'"


# --- profiles ------------------------------------------------------------------------------------

@pytest.fixture
def fake_prototype(monkeypatch: pytest.MonkeyPatch):
    """A 'web' prototype rendering a Deployment and a Service (bad ones on request), registered
    beside whatever prototypes exist, so these tests do not depend on the real ones."""
    from kfgen.profile import model as profile_mod
    from kfgen.prototypes import base as prototype_mod
    from kfgen.prototypes.base import Params, Prototype
    from kfgen.render import pipeline as render_mod

    class WebParams(Params):
        port: int = 80
        badField: bool = False

    def render_web(ctx: Any, params: WebParams) -> list[dict[str, Any]]:
        dep, svc = renderable(deployment()), service()
        for obj in (dep, svc):
            obj["metadata"]["namespace"] = ctx.namespace
            obj["metadata"]["name"] = ctx.instance
        svc["spec"]["ports"][0]["port"] = params.port
        if params.badField:
            dep["spec"]["template"]["spec"]["containers"][0]["imagePulPolicy"] = "Always"
        return [dep, svc]

    try:
        real = dict(prototype_mod.prototypes())
    except Exception:  # prototypes being written elsewhere may not import yet
        real = {}
    registry = {**real, "web-test": Prototype("web-test", "test prototype", WebParams, render_web)}
    for mod in (profile_mod, render_mod, prototype_mod):
        monkeypatch.setattr(mod, "prototypes", lambda: registry, raising=False)
    profile_mod.profile_model.cache_clear()
    yield
    profile_mod.profile_model.cache_clear()


def write_profile(root: Path, name: str, body: str) -> None:
    (root / "profiles").mkdir(exist_ok=True)
    (root / "profiles" / f"{name}.yaml").write_text(textwrap.dedent(body))


def test_profile_errors_are_all_listed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_prototype: None) -> None:
    from kfgen.actions import Workspace

    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", """\
        namespace: Bad_NS
        colour: blue
        components:
          site:
            prototype: web-test
            params: {port: "80"}
        """)
    report = validate_profile(Workspace(), "p")
    assert not report.ok
    assert all(f.source == "profile" and f.file == "profiles/p.yaml" for f in report.findings)
    assert len(report.findings) >= 3
    assert {f.line for f in report.findings} >= {1, 2}


def test_unsupported_version_in_profile_points_at_the_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                           fake_prototype: None) -> None:
    from kfgen.actions import Workspace

    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", """\
        namespace: web
        kubernetesVersion: "1.24"
        components:
          site: {prototype: web-test}
        """)
    report = validate_profile(Workspace(), "p")
    [f] = report.findings  # once, whether the profile check or the schema lookup says it
    assert f.source in ("profile", "version")
    assert (f.file, f.line, f.path) == ("profiles/p.yaml", 2, ("kubernetesVersion",))
    assert "1.37" in (f.expected or "")


def test_profile_render_and_committed_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                            fake_prototype: None) -> None:
    from kfgen import actions as api
    from kfgen.actions import Workspace

    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", """\
        namespace: web
        components:
          site: {prototype: web-test, params: {badField: true}}
        """)
    ws = Workspace()
    # Nothing committed yet: the fresh render is validated.
    report = validate_profile(ws, "p")
    assert report.objects == 3 and report.files == 0
    [f] = report.findings
    assert (f.kind, f.name, f.instance, f.pointer, f.file) == (
        "Deployment", "site", "site", "/spec/template/spec/containers/0/imagePulPolicy", None)

    # Committed and up to date: the files on disk are validated (file + line), nothing twice.
    api.render(ws, ["p"])
    report = validate_profile(ws, "p")
    assert report.files == 3 and report.drift == []
    [f] = report.findings
    assert f.file == "out/p/27-deployment-site.yaml" and f.line is not None
    assert f.pointer == "/spec/template/spec/containers/0/imagePulPolicy"

    # Hand-edited committed file: its own error, the render's error, and the drift.
    svc = tmp_path / "out" / "p" / "22-service-site.yaml"
    svc.write_text(svc.read_text().replace("port: 80", "port: '80'"))
    report = validate_profile(ws, "p")
    got = sorted((f.source, f.file or "", f.pointer) for f in report.findings)
    assert got == [
        ("drift", "out/p/22-service-site.yaml", ""),
        ("schema", "out/p/22-service-site.yaml", "/spec/ports/0/port"),
        ("schema", "out/p/27-deployment-site.yaml", "/spec/template/spec/containers/0/imagePulPolicy"),
    ]
    assert [d.file for d in report.drift] == ["22-service-site.yaml"]
    assert "1 problem" not in report.summary() and "3 problems" in report.summary()


def test_valid_profile_is_ok(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fake_prototype: None) -> None:
    from kfgen import actions as api
    from kfgen.actions import Workspace

    monkeypatch.chdir(tmp_path)
    write_profile(tmp_path, "p", """\
        namespace: web
        components:
          site: {prototype: web-test}
        """)
    ws = Workspace()
    api.render(ws, ["p"])
    [report] = validate_profiles(ws, ["p"], kubeconform_bin=False)
    assert report.ok, [f.format() for f in report.findings]
    assert (report.objects, report.files, report.kubeconform) == (3, 3, None)


def test_bench_validate_measures_objects_per_second() -> None:
    objects = bench.bench_corpus(90)
    assert validate_objects(objects, V) == []
    assert bench.bench_validate(objects, rounds=1) > 50


# --- hints for the wrong kind of input -----------------------------------------------------------------------


@pytest.mark.parametrize(("api_version", "kind", "hint"), [
    ("cert-manager.io/v1", "Certificate", "a custom resource of cert-manager.io"),  # not 'PodCertificateRequest'
    ("v1", "Servic", "did you mean 'Service'?"),
    ("apps/v1", "Deploymnet", "did you mean 'Deployment'?"),
    ("example.k8s.io/v1", "Widget", None),  # Kubernetes' own groups get no custom-resource hint
    ("kubeflow.org/v1", "PyTorchJob", "PyTorchJob is a custom resource of kubeflow.org (the training operator)"),
])
def test_a_kind_without_schema_gets_the_hint_that_helps(api_version: str, kind: str, hint: str | None) -> None:
    [p] = validate_objects([{"apiVersion": api_version, "kind": kind, "metadata": {"name": "x"}}], "1.37")
    assert p.pointer == "/kind" and f"no schema for kind {kind}" in p.message
    if hint is None:
        assert p.hint is None or "custom resource" not in p.hint
    else:
        assert p.hint is not None and p.hint.startswith(hint)


def test_a_profile_given_as_a_manifest_is_pointed_at_validate_p() -> None:
    problems = validate_objects([{"namespace": "kubeflow", "components": {"core": {"prototype": "core"}}}], "1.37")
    assert [p.pointer for p in problems] == ["/apiVersion", "/kind"]
    assert all(p.hint is not None and "kfgen validate -p NAME" in p.hint for p in problems)
    [plain] = validate_objects([{"kind": "Service", "metadata": {"name": "x"}}], "1.37")
    assert plain.pointer == "/apiVersion" and plain.hint is None  # a manifest missing a field: no profile hint


def test_a_profile_with_nothing_committed_says_so(tmp_path: Path) -> None:
    from kfgen.actions import Workspace

    ws = Workspace(Path(__file__).resolve().parent.parent / "profiles", tmp_path / "out")
    report = validate_profile(ws, "cpu-laptop")
    assert report.ok and not report.committed and report.files == 0
    assert "nothing committed in its out/ directory yet: the fresh render was validated" in report.summary()
    assert "committed files checked" not in report.summary()
