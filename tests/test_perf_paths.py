"""The fast paths of issue 13 give the answers of the slow ones they replace (no timing here).

* validation: jsonschema-rs first, pure-Python jsonschema for the wording: the same problems, messages and
  JSON pointers as jsonschema alone, integer ranges (int32/int64) included, non-JSON values judged by
  jsonschema;
* tf-job: the TFJob dict is built directly in the shape of kfgen's TFJob model (the model accepts it and
  dumps it back unchanged, key order included) and shares no dict or list with the params or other jobs;
* ``prune``: the semantics of the ``isinstance`` version it replaces.
"""

from __future__ import annotations

import copy
import datetime
import json
from collections import OrderedDict, UserDict
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest
from conftest import load_script

from kfgen.kube.constants import TFJOB_API_VERSION, TFJOB_KIND
from kfgen.kube.objects import prune
from kfgen.kube.tfjob import TFJob, tfjob_to_dict
from kfgen.prototypes import tf_cnn, tf_job
from kfgen.prototypes.base import RenderContext
from kfgen.validate import objects as in_process
from kfgen.validate.objects import compiled_validator_for, has_validation_schema, validate_objects

V = "1.37"
bench = load_script("bench_validation")


def pure_python(objects: list[Any], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """validate_objects with jsonschema alone (the compiled validator switched off)."""
    with monkeypatch.context() as m:
        m.setattr(in_process, "compiled_validator_for", lambda *args: None)
        return validate_objects(objects, V)


def corpus() -> list[dict[str, Any]]:
    return bench.bench_corpus(27)


def by_kind(kind: str) -> dict[str, Any]:
    return copy.deepcopy(next(o for o in corpus() if o["kind"] == kind))


def test_the_compiled_validator_is_used_and_finds_the_corpus_valid() -> None:
    objects = corpus()
    kinds = {(o["apiVersion"], o["kind"]) for o in objects}
    assert (TFJOB_API_VERSION, TFJOB_KIND) in kinds and len(kinds) >= 5
    for obj in objects:
        compiled = compiled_validator_for(obj["apiVersion"], obj["kind"], V)
        assert compiled is not None, obj["kind"]
        assert compiled.is_valid(obj), obj["kind"]
    assert validate_objects(objects, V) == []


def test_has_validation_schema_says_what_validator_for_says() -> None:
    for api_version, kind in [("apps/v1", "Deployment"), ("v1", "Service"), (TFJOB_API_VERSION, TFJOB_KIND),
                              ("apps/v1", "Deploymnt"), ("example.com/v1", "Widget"), ("v1", "TFJob")]:
        assert has_validation_schema(api_version, kind, V) == (in_process.validator_for(api_version, kind, V)
                                                               is not None)
    assert compiled_validator_for("example.com/v1", "Widget", V) is None


def set_at(obj: dict[str, Any], path: tuple[Any, ...], value: Any) -> dict[str, Any]:
    out = copy.deepcopy(obj)
    node: Any = out
    for key in path[:-1]:
        node = node[key]
    node[path[-1]] = value
    return out


def broken() -> Iterator[tuple[str, dict[str, Any]]]:
    """Objects the schemas refuse, one way each (and a few in several ways)."""
    dep, job = by_kind("Deployment"), by_kind(TFJOB_KIND)
    container = ("spec", "template", "spec", "containers", 0)
    worker = ("spec", "tfReplicaSpecs", "Worker")
    yield "unknown field", set_at(dep, ("spec", "replicaz"), 2)
    yield "wrong type", set_at(dep, ("spec", "replicas"), "2")
    yield "bool for an integer", set_at(dep, ("spec", "replicas"), True)
    yield "int32 above its range", set_at(dep, ("spec", "replicas"), 2**31)
    yield "int32 below its range", set_at(dep, ("spec", "replicas"), -(2**31) - 1)
    yield "int64 above its range", set_at(dep, ("spec", "template", "spec", "activeDeadlineSeconds"), 2**63)
    yield "far beyond int64", set_at(dep, ("spec", "template", "spec", "activeDeadlineSeconds"), 10**30)
    yield "required", set_at(dep, ("spec",), {"template": dep["spec"]["template"]})
    yield "several at once", set_at(set_at(dep, (*container, "name"), 5), ("spec", "paused"), "yes")
    yield "TFJob replica type", set_at(job, ("spec", "tfReplicaSpecs", "Wroker"), job["spec"]["tfReplicaSpecs"]
                                       ["Worker"])
    yield "TFJob int32 replicas", set_at(job, (*worker, "replicas"), 2**31)
    yield "TFJob restart policy", set_at(job, (*worker, "restartPolicy"), "Sometimes")
    yield "TFJob quantity pattern", set_at(job, (*worker, "template", "spec", "containers", 0, "resources"),
                                           {"limits": {"cpu": "lots"}})
    yield "TFJob quantity with a newline", set_at(job, (*worker, "template", "spec", "containers", 0, "resources"),
                                                  {"limits": {"cpu": "1\n"}})
    yield "TFJob unknown pod field", set_at(job, (*worker, "template", "spec", "hostnetwork"), True)
    # values that are not plain JSON: jsonschema-rs would take a tuple for an array and a Decimal for an integer
    yield "tuple for an array", set_at(dep, (*container, "args"), ("--a", "--b"))
    yield "Decimal for an integer", set_at(dep, ("spec", "replicas"), Decimal(2))
    yield "date for a string", set_at(dep, ("metadata", "annotations"), {"when": datetime.date(2024, 1, 1)})
    yield "non-string key", set_at(dep, ("metadata", "labels"), {1: "x"})


@pytest.mark.parametrize("what,obj", list(broken()), ids=[w for w, _ in broken()])
def test_invalid_objects_get_the_problems_of_jsonschema_alone(what: str, obj: dict[str, Any],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    expected = pure_python([obj], monkeypatch)
    # jsonschema accepts these two (Python's '$' matches before a final newline; keys are not checked), the
    # compiled validator does not: the verdict stays jsonschema's
    assert bool(expected) is (what not in ("TFJob quantity with a newline", "non-string key")), what
    assert validate_objects([obj], V) == expected


def test_valid_and_invalid_mixed_keep_object_order(monkeypatch: pytest.MonkeyPatch) -> None:
    objects = [o for pair in zip(corpus(), (obj for _, obj in broken()), strict=False) for o in pair]
    assert validate_objects(objects, V) == pure_python(objects, monkeypatch)


@pytest.mark.parametrize("field,value,ok", [
    ("replicas", 2**31 - 1, True), ("replicas", 2**31, False), ("replicas", -(2**31), True),
    ("activeDeadlineSeconds", 2**63 - 1, True), ("activeDeadlineSeconds", 2**63, False),
])
def test_integer_format_ranges_are_enforced_by_the_compiled_validator(field: str, value: int, ok: bool) -> None:
    dep = by_kind("Deployment")
    path = ("spec", "replicas") if field == "replicas" else ("spec", "template", "spec", field)
    obj = set_at(dep, path, value)
    compiled = compiled_validator_for("apps/v1", "Deployment", V)
    assert compiled is not None
    assert compiled.is_valid(obj) is ok
    problems = validate_objects([obj], V)
    if ok:
        assert [p for p in problems if "out of range" in p.message] == []
    else:
        fmt = "int32" if field == "replicas" else "int64"
        assert [p.message for p in problems] == [f"integer out of range for {fmt}"]
        assert problems[0].pointer == "/" + "/".join(map(str, path))


def test_clear_cache_forgets_compiled_validators() -> None:
    first = compiled_validator_for("v1", "Service", V)
    assert compiled_validator_for("v1", "Service", V) is first
    in_process.clear_cache()
    assert compiled_validator_for("v1", "Service", V) is not first


# --- tf-job: the dict in the model's shape ------------------------------------------------------------------


def ctx(namespace: str = "kubeflow") -> RenderContext:
    return RenderContext(profile="test", instance="myjob", namespace=namespace, kubernetes_version=V)


IMAGE = "docker.io/tensorflow/tensorflow:2.18.0"
CASES: list[dict[str, Any]] = [
    {"image": IMAGE, "num_workers": 1, "num_masters": 0},
    {"image": IMAGE, "num_ps": 2, "num_workers": 3, "num_gpus": 1, "num_evaluators": 1},
    {"image": IMAGE, "num_workers": 2, "num_gpus": 2, "gpuResource": "amd.com/gpu", "tolerations": []},
    {"image": IMAGE, "name": "custom", "num_workers": 1, "args": "--a=1, ,--b=2", "command": ["python", "t.py"],
     "workingDir": "/app", "imagePullPolicy": "Always", "env": {"B": "2", "A": {"fieldRef": {
         "fieldPath": "metadata.name"}}}, "ports": [{"containerPort": 6006, "name": "tb"}],
     "envFrom": [{"secretRef": {"name": "creds"}}], "imagePullSecrets": ["pull"]},
    {"image": IMAGE, "num_workers": 2, "restartPolicy": "ExitCode", "successPolicy": "AllWorkers",
     "enableDynamicWorker": True, "runPolicy": {"cleanPodPolicy": "All", "backoffLimit": 3, "suspend": True,
                                                "ttlSecondsAfterFinished": 60, "activeDeadlineSeconds": 3600,
                                                "schedulingPolicy": {"minAvailable": 3, "queue": "q",
                                                                     "minResources": {"cpu": "4"}}}},
    {"image": IMAGE, "num_workers": 1, "serviceAccountName": "trainer", "schedulerName": "volcano",
     "priorityClassName": "high", "nodeSelector": {"pool": "gpu", "a": "b"}, "podLabels": {"team": "ml"},
     "podAnnotations": {"x/y": "z"}, "securityContext": {"runAsUser": 2000, "fsGroup": 2000,
                                                          "seccompProfile": {"type": "Unconfined"}},
     "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
         {"matchExpressions": [{"key": "gpu", "operator": "In", "values": ["a", "b"]}]}]}}},
     "tolerations": [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}]},
    {"image": IMAGE, "num_masters": 1, "num_workers": 2, "num_gpus": 1, "image_gpu": IMAGE + "-gpu",
     "resources": {"Chief": {"requests": {"cpu": "1"}}, "PS": {"limits": {"memory": "1Gi"}}}, "num_ps": 1,
     "replicaSpecs": {"Worker": {"args": ["--x"], "env": {"W": "1"}, "restartPolicy": "Never",
                                 "resources": {"requests": {"cpu": "2"}}},
                      "Chief": {"image": IMAGE + "-chief", "command": ["c"], "ports": [{"containerPort": 1}]}},
     "volumes": [{"claimName": "data", "mountPath": "/data"}, {"name": "dshm", "mountPath": "/dev/shm",
                                                               "emptyDir": {"medium": "Memory"}}]},
]


def key_order(value: Any) -> str:
    return json.dumps(value)  # not sorted: the keys in their order, all the way down


@pytest.mark.parametrize("params", CASES)
def test_tfjob_dict_is_the_models_dump(params: dict[str, Any]) -> None:
    p = tf_job.TfJobParams.model_validate(params)
    for context in (ctx(), ctx(namespace="")):
        job = tf_job.tfjob(context, p)
        dumped = tfjob_to_dict(TFJob.model_validate(job))
        assert dumped == job
        assert key_order(dumped) == key_order(job)


def test_tf_cnn_job_is_the_models_dump_too() -> None:
    p = tf_cnn.PROTOTYPE.params.model_validate({"num_gpus": 1, "num_workers": 2})
    for job in tf_cnn.PROTOTYPE.render_instance(ctx(), p).objects:
        assert key_order(tfjob_to_dict(TFJob.model_validate(job))) == key_order(job)


def containers_of(value: Any) -> Iterator[Any]:
    if isinstance(value, dict):
        yield value
        for v in value.values():
            yield from containers_of(v)
    elif isinstance(value, list):
        yield value
        for v in value:
            yield from containers_of(v)


def test_jobs_share_no_dict_or_list_with_each_other_or_the_params() -> None:
    p = tf_job.TfJobParams.model_validate(CASES[5])
    first, second = tf_job.tfjob(ctx(), p), tf_job.tfjob(ctx(), p)
    ids = [id(c) for c in containers_of(first)]
    assert len(ids) == len(set(ids))  # not even within one job (the replicas)
    assert not set(ids) & {id(c) for c in containers_of(second)}
    assert not set(ids) & {id(c) for c in containers_of(p.model_dump())} - {id(p.affinity), id(p.securityContext)}
    assert id(p.affinity) not in ids and id(p.securityContext) not in ids
    assert id(tf_job.DEFAULT_POD_SECURITY["seccompProfile"]) not in ids


# --- prune --------------------------------------------------------------------------------------------------


def prune_reference(value: Any) -> Any:
    """The isinstance version prune() replaced."""
    from collections.abc import Mapping

    if isinstance(value, Mapping):
        return {k: prune_reference(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [prune_reference(v) for v in value]
    return value


class Items(list[Any]):
    pass


@pytest.mark.parametrize("value", [
    None, 1, "x", 1.5, True, (1, None), [None, {"a": None, "b": [None, {"c": None}]}],
    {"a": None, "b": {"c": None, "d": 0, "e": ""}, "f": [{"g": None}], "h": (None, {"i": None}), "j": False},
    OrderedDict(a=None, b=OrderedDict(c=1, d=None)), UserDict({"a": None, "b": UserDict({"c": None})}),
    Items([None, {"a": None}]), {"k": Items([{"a": None}])}, {"m": {1, 2}},
])
def test_prune_keeps_its_semantics(value: Any) -> None:
    got, want = prune(value), prune_reference(value)
    assert got == want
    assert type(got) is type(want)
    assert key_order(repr(got)) == key_order(repr(want))


# --- the registry and the profile model: only what a profile uses --------------------------------------------


def test_prototype_modules_list_what_discovery_finds() -> None:
    from kfgen.prototypes.base import PROTOTYPE_MODULES, discover_prototypes

    found = discover_prototypes()
    assert dict(PROTOTYPE_MODULES) == found, (
        "kfgen/prototypes/base.py PROTOTYPE_MODULES is out of date; it should be:\n"
        + "\n".join(f'    "{n}": "{m}",' for n, m in found.items()))
    assert list(PROTOTYPE_MODULES) == sorted(PROTOTYPE_MODULES)


def test_registry_names_without_importing() -> None:
    import subprocess
    import sys

    code = ("import sys; from kfgen.prototypes.base import prototypes; r = prototypes(); "
            "names = list(r); assert 'tf-job' in r and 'nope' not in r and len(r) == len(names); "
            "before = {m for m in sys.modules if m.startswith('kfgen.prototypes.')}; "
            "job = r['tf-job']; after = {m for m in sys.modules if m.startswith('kfgen.prototypes.')}; "
            "print(sorted(before)); print(job.name, 'kfgen.prototypes.tf_serving' in after)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout.splitlines()
    assert out == ["['kfgen.prototypes.base']", "tf-job False"]


def test_registry_refuses_a_stale_entry() -> None:
    from kfgen.prototypes.base import Registry

    registry = Registry({"tf-job": "kfgen.prototypes.tf_serving"})
    with pytest.raises(RuntimeError, match="PROTOTYPE_MODULES is out of date"):
        registry["tf-job"]
    with pytest.raises(KeyError):
        registry["nope"]
    assert registry.get("nope") is None


def test_a_profile_model_of_the_prototypes_used_validates_alike() -> None:
    from pydantic import ValidationError

    from kfgen.profile.model import profile_model, prototypes_used

    data = {"namespace": "ml", "components": {
        "job": {"prototype": "tf-job", "params": {"image": IMAGE, "num_workers": 2}},
        "serve": {"prototype": "tf-serving", "params": {"modelPath": "gs://b/m"}}}}
    names = prototypes_used(data)
    assert names == frozenset({"tf-job", "tf-serving"})
    full, subset = profile_model(), profile_model(names)
    assert subset is not full and subset is profile_model(frozenset({"tf-serving", "tf-job"}))
    assert subset.model_validate(data).model_dump() == full.model_validate(data).model_dump()
    bad = {"components": {"job": {"prototype": "tf-job", "params": {"image": IMAGE, "num_workers": "2"}}}}
    errors = []
    for model in (profile_model(prototypes_used(bad)), full):
        with pytest.raises(ValidationError) as exc:
            model.model_validate(bad)
        errors.append([(e["loc"], e["msg"]) for e in exc.value.errors()])
    assert errors[0] == errors[1]
    for unknown in ({"components": {"x": {"prototype": "nope"}}}, {"components": {"x": {}}}, {"components": {}},
                    {"components": {"x": {"prototype": ["tf-job"]}}}, {}, []):
        assert prototypes_used(unknown) is None
