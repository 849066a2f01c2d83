"""tf-job and tf-cnn: parameter variations no reference covers (table-driven, per prototype), and every
rendered TFJob validated by kfgen's pydantic model, kfgen's strict JSON schema and upstream's CRD schema.

The comparison with ksonnet's renders (d-tf-job, f-tf-cnn-defaults and the tf-operator example), and the
one list of deliberate differences, are in test_parity.py."""

from __future__ import annotations

import typing
from functools import lru_cache
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import reference_dir, walk
from pydantic import ValidationError

from kfgen.kube.constants import TFJOB_REPLICA_TYPES
from kfgen.kube.tfjob import TFJob, tfjob_to_dict, tfjob_validation_schema
from kfgen.kube.tfjob import model as tfjob_model
from kfgen.prototypes import tf_cnn, tf_job
from kfgen.prototypes.base import RenderContext, Rendered, prototypes
from kfgen.prototypes.params import Resources
from kfgen.render.checks import pod_groups
from kfgen.render.safety import findings

NS = "kubeflow"
GPU = "nvidia.com/gpu"
GPU_TOLERATION = {"key": GPU, "operator": "Exists", "effect": "NoSchedule"}

# --- helpers ------------------------------------------------------------------------------------


def ctx(instance: str = "myjob", namespace: str = NS) -> RenderContext:
    return RenderContext(profile="test", instance=instance, namespace=namespace, kubernetes_version="1.37")


def render(params: dict[str, Any], prototype: str = "tf-job", instance: str = "myjob") -> Rendered:
    proto = prototypes()[prototype]
    return proto.render_instance(ctx(instance), proto.params.model_validate(params))


def render_job(params: dict[str, Any], prototype: str = "tf-job", instance: str = "myjob") -> dict[str, Any]:
    out = render(params, prototype, instance)
    assert len(out.objects) == 1
    job = out.objects[0]
    assert_valid_tfjob(job)
    return job


@lru_cache(maxsize=1)
def _kfgen_validator() -> jsonschema.protocols.Validator:
    schema = tfjob_validation_schema()
    return jsonschema.validators.validator_for(schema)(schema)


def upstream_crd_path() -> Path | None:
    ref = reference_dir()
    path = ref / "training-operator-v1.9.0" / "kubeflow.org_tfjobs.yaml" if ref else None
    return path if path is not None and path.is_file() else None


@lru_cache(maxsize=1)
def _upstream_validator() -> jsonschema.protocols.Validator | None:
    path = upstream_crd_path()
    if path is None:
        return None
    crd = next(d for d in yaml.safe_load_all(path.read_text()) if d)
    schema = crd["spec"]["versions"][0]["schema"]["openAPIV3Schema"]
    return jsonschema.validators.validator_for(schema)(schema)


def assert_valid_tfjob(job: dict[str, Any]) -> None:
    """pydantic model + kfgen's strict schema always; upstream's CRD schema when the reference is present
    (test_every_case_valid_against_upstream_crd reports the skip when it is not)."""
    TFJob.model_validate(job)
    _kfgen_validator().validate(job)
    upstream = _upstream_validator()
    if upstream is not None:
        upstream.validate(job)
    assert_no_none(job)


def assert_no_none(obj: dict[str, Any]) -> None:
    assert all(v is not None for v in walk(obj)), "a None value was rendered"


def replicas(job: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return job["spec"]["tfReplicaSpecs"]


def container(job: dict[str, Any], rtype: str) -> dict[str, Any]:
    containers = replicas(job)[rtype]["template"]["spec"]["containers"]
    assert [c["name"] for c in containers] == ["tensorflow"]
    return containers[0]


def pod(job: dict[str, Any], rtype: str) -> dict[str, Any]:
    return replicas(job)[rtype]["template"]["spec"]


def gpu_limit(job: dict[str, Any], rtype: str) -> int | None:
    """The replica's GPU limit as a number (rendered as a string quantity, the form the server stores)."""
    value = container(job, rtype).get("resources", {}).get("limits", {}).get(GPU)
    assert value is None or isinstance(value, str), f"quantities are rendered as strings, got {value!r}"
    return None if value is None else int(value)


BASE = {"image": "registry.example/train:1.0"}
#: The resources of a replica whose profile sets none (tf_job.DEFAULT_REQUESTS / DEFAULT_LIMITS, rendered).
DEFAULT_RESOURCES = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}


def with_limits(**limits: str) -> dict[str, Any]:
    """DEFAULT_RESOURCES with *limits* added (e.g. a replica's GPUs)."""
    return {**DEFAULT_RESOURCES, "limits": {**DEFAULT_RESOURCES["limits"], **limits}}


# --- upstream's CRD ----------------------------------------------------------------------------


def test_every_case_valid_against_upstream_crd() -> None:
    if _upstream_validator() is None:
        pytest.skip("training-operator-v1.9.0/kubeflow.org_tfjobs.yaml is absent from the reference dir "
                    "(set KFGEN_REFERENCE_DIR): upstream CRD validation is skipped; pydantic and kfgen's "
                    "schema still validate every rendered TFJob")
    for params, proto in [(dict(BASE), "tf-job"), ({**BASE, "num_workers": 3, "num_ps": 2, "num_gpus": 2}, "tf-job"),
                          ({}, "tf-cnn"), ({"num_gpus": 4, "num_workers": 2}, "tf-cnn"), (RICH, "tf-job")]:
        _upstream_validator().validate(render_job(params, proto))


# --- tf-job parameter variations ----------------------------------------------------------------


@pytest.mark.parametrize("args, expected", [
    pytest.param("--a=1,--b=2", ["--a=1", "--b=2"], id="comma-string"),
    pytest.param(" --a=1 , --b=2 ,", ["--a=1", "--b=2"], id="comma-string-spaces-trailing-comma"),
    pytest.param(["--a=1", "--b=2"], ["--a=1", "--b=2"], id="list"),
    pytest.param(["--layers=1,2", " keep "], ["--layers=1,2", " keep "], id="list-verbatim-with-comma"),
    pytest.param("--single", ["--single"], id="one-item-string"),
    pytest.param("", None, id="empty-string"),
    pytest.param([], None, id="empty-list"),
])
def test_args_string_or_list(args: Any, expected: list[str] | None) -> None:
    job = render_job({**BASE, "num_workers": 2, "num_ps": 1, "args": args})
    for rtype in ("Chief", "PS", "Worker"):
        assert container(job, rtype).get("args") == expected


@pytest.mark.parametrize("masters, ps, workers, expected", [
    (1, 0, 0, {"Chief": 1}),
    (0, 0, 3, {"Worker": 3}),
    (0, 2, 1, {"PS": 2, "Worker": 1}),
    (1, 1, 2, {"Chief": 1, "PS": 1, "Worker": 2}),
    (1, 3, 0, {"Chief": 1, "PS": 3}),
])
def test_zero_replicas_leave_the_type_out(masters: int, ps: int, workers: int, expected: dict[str, int]) -> None:
    job = render_job({**BASE, "num_masters": masters, "num_ps": ps, "num_workers": workers})
    assert {t: s["replicas"] for t, s in replicas(job).items()} == expected


@pytest.mark.parametrize("num_gpus", [0, 1, 2])
@pytest.mark.parametrize("image_gpu", [None, "registry.example/train-gpu:1.0"])
def test_gpus_and_gpu_image_on_workers_only(num_gpus: int, image_gpu: str | None) -> None:
    params = {**BASE, "num_masters": 1, "num_ps": 1, "num_workers": 2, "num_gpus": num_gpus}
    if image_gpu:
        params["image_gpu"] = image_gpu
    job = render_job(params)
    assert gpu_limit(job, "Worker") == (num_gpus or None)
    assert gpu_limit(job, "Chief") is None and gpu_limit(job, "PS") is None
    worker_image = (image_gpu or BASE["image"]) if num_gpus else BASE["image"]
    assert container(job, "Worker")["image"] == worker_image
    assert container(job, "Chief")["image"] == container(job, "PS")["image"] == BASE["image"]
    images = [c["image"] for c in walk(job) if isinstance(c, dict) and "image" in c]
    assert "null" not in images and all(isinstance(i, str) and i for i in images)
    # the GPU budget check (kfgen.render.checks) sees exactly these GPUs
    groups = {g.part: (g.replicas, g.gpus) for g in pod_groups(job)}
    assert groups == {"replica Chief": (1, 0), "replica PS": (1, 0), "replica Worker": (2, num_gpus)}
    # the standard GPU toleration goes to GPU workers only
    assert pod(job, "Worker").get("tolerations") == ([GPU_TOLERATION] if num_gpus else None)
    assert "tolerations" not in pod(job, "Chief") and "tolerations" not in pod(job, "PS")
    warnings = render(params).warnings
    assert warnings == (["image_gpu is not used: num_gpus is 0, so every replica runs image"]
                        if image_gpu and not num_gpus else [])


@pytest.mark.parametrize("policy", ["Always", "OnFailure", "Never", "ExitCode"])
def test_restart_policy_on_every_replica_spec(policy: str) -> None:
    job = render_job({**BASE, "num_ps": 1, "num_workers": 1, "restartPolicy": policy})
    for spec in replicas(job).values():
        assert spec["restartPolicy"] == policy
        assert "restartPolicy" not in spec["template"]["spec"]  # the operator derives the pod's


def test_restart_policy_default_is_on_failure() -> None:
    assert replicas(render_job(BASE))["Chief"]["restartPolicy"] == "OnFailure"


@pytest.mark.parametrize("run_policy", [
    {"cleanPodPolicy": "None"},
    {"cleanPodPolicy": "All", "backoffLimit": 3},
    {"cleanPodPolicy": "Running", "ttlSecondsAfterFinished": 600, "activeDeadlineSeconds": 3600, "backoffLimit": 0},
    {"ttlSecondsAfterFinished": 0},
])
def test_run_policy_lands_in_spec(run_policy: dict[str, Any]) -> None:
    job = render_job({**BASE, "runPolicy": run_policy})
    assert job["spec"]["runPolicy"] == run_policy


def test_no_run_policy_when_unset() -> None:
    assert "runPolicy" not in render_job(BASE)["spec"]
    assert "runPolicy" not in render_job({**BASE, "runPolicy": {}})["spec"]


def test_env_sorted_by_name_on_every_replica() -> None:
    job = render_job({**BASE, "num_ps": 1, "num_workers": 1, "env": {"ZZ": "last", "AA": "first", "MM": ""}})
    for rtype in replicas(job):
        assert container(job, rtype)["env"] == [{"name": "AA", "value": "first"}, {"name": "MM", "value": ""},
                                                {"name": "ZZ", "value": "last"}]


def test_volumes_from_claims_on_every_replica() -> None:
    vols = [{"claimName": "data.v1", "mountPath": "/data", "readOnly": True},
            {"claimName": "ckpt", "mountPath": "/ckpt"},
            {"claimName": "data.v1", "mountPath": "/data2"}]
    job = render_job({**BASE, "num_ps": 1, "num_workers": 2, "volumes": vols})
    for rtype in replicas(job):
        assert pod(job, rtype)["volumes"] == [
            {"name": "pvc-0", "persistentVolumeClaim": {"claimName": "data.v1"}},
            {"name": "pvc-1", "persistentVolumeClaim": {"claimName": "ckpt"}}]
        assert container(job, rtype)["volumeMounts"] == [
            {"name": "pvc-0", "mountPath": "/data", "readOnly": True},
            {"name": "pvc-1", "mountPath": "/ckpt"},
            {"name": "pvc-0", "mountPath": "/data2"}]


def test_node_selector_and_working_dir_and_command_on_every_replica() -> None:
    job = render_job({**BASE, "num_ps": 1, "num_workers": 1,
                      "nodeSelector": {"pool": "train", "kubernetes.io/arch": "amd64"},
                      "workingDir": "/work", "command": ["python", "train.py"]})
    for rtype in replicas(job):
        assert pod(job, rtype)["nodeSelector"] == {"kubernetes.io/arch": "amd64", "pool": "train"}
        assert container(job, rtype)["workingDir"] == "/work"
        assert container(job, rtype)["command"] == ["python", "train.py"]


@pytest.mark.parametrize("num_gpus", [0, 1])
def test_user_tolerations_on_every_replica_replace_the_gpu_default(num_gpus: int) -> None:
    tolerations = [{"key": "dedicated", "operator": "Equal", "value": "ml", "effect": "NoSchedule"},
                   {"operator": "Exists"},
                   {"key": "node.kubernetes.io/unreachable", "operator": "Exists", "effect": "NoExecute",
                    "tolerationSeconds": 30}]
    job = render_job({**BASE, "num_workers": 1, "num_ps": 1, "num_gpus": num_gpus, "tolerations": tolerations})
    for rtype in replicas(job):
        assert pod(job, rtype)["tolerations"] == tolerations


def test_resources_per_replica_type() -> None:
    job = render_job({**BASE, "num_ps": 1, "num_workers": 2, "num_gpus": 1, "resources": {
        "Worker": {"requests": {"cpu": "1", "memory": "2Gi"}, "limits": {"cpu": 2, "memory": "4Gi"}},
        "PS": {"limits": {"cpu": "500m", "memory": "1Gi"}},
        "Chief": {"limits": {GPU: 1}}}})
    assert container(job, "Worker")["resources"] == {"requests": {"cpu": "1", "memory": "2Gi"},
                                                     "limits": {"cpu": "2", "memory": "4Gi", GPU: "1"}}
    # limits only: the requests are filled in, at most the limits given (the default 1 CPU is above 500m)
    assert container(job, "PS")["resources"] == {"limits": {"cpu": "500m", "memory": "1Gi"},
                                                 "requests": {"cpu": "500m", "memory": "1Gi"}}
    assert container(job, "Chief")["resources"] == with_limits(**{GPU: "1"})
    assert {g.part: g.gpus for g in pod_groups(job)} == {"replica Chief": 1, "replica PS": 0, "replica Worker": 1}


def test_default_resources_on_every_replica_type() -> None:
    job = render_job({**BASE, "num_ps": 2, "num_workers": 3, "num_evaluators": 1})
    assert list(replicas(job)) == ["Chief", "PS", "Worker", "Evaluator"]
    for rtype in replicas(job):
        assert container(job, rtype)["resources"] == DEFAULT_RESOURCES, rtype
    assert findings(job) == []  # what kfgen.render.safety requires of every container
    # each container has its own dicts: a patch of one replica changes no other
    assert container(job, "PS")["resources"] is not container(job, "Worker")["resources"]
    assert container(job, "PS")["resources"]["limits"] is not container(job, "Worker")["resources"]["limits"]


@pytest.mark.parametrize("num_gpus, gpu_resource", [(1, GPU), (4, GPU), (2, "amd.com/gpu")])
def test_default_resources_keep_gpus_from_num_gpus(num_gpus: int, gpu_resource: str) -> None:
    job = render_job({**BASE, "num_workers": 2, "num_gpus": num_gpus, "gpuResource": gpu_resource})
    assert container(job, "Worker")["resources"] == with_limits(**{gpu_resource: str(num_gpus)})
    assert container(job, "Chief")["resources"] == DEFAULT_RESOURCES  # GPUs go to workers only
    assert pod(job, "Worker")["tolerations"] == [{"key": gpu_resource, "operator": "Exists", "effect": "NoSchedule"}]
    assert "tolerations" not in pod(job, "Chief")


@pytest.mark.parametrize("given, expected", [
    pytest.param({"requests": {"cpu": "250m"}}, {"requests": {"cpu": "250m", "memory": "1Gi"},
                                                 "limits": {"cpu": "2", "memory": "4Gi"}}, id="one-request"),
    pytest.param({"requests": {"cpu": "4"}}, {"requests": {"cpu": "4", "memory": "1Gi"},
                                              "limits": {"cpu": "4", "memory": "4Gi"}},
                 id="request-above-the-default-limit"),
    pytest.param({"requests": {"memory": "8Gi"}}, {"requests": {"cpu": "1", "memory": "8Gi"},
                                                   "limits": {"cpu": "2", "memory": "8Gi"}}, id="memory-request"),
    pytest.param({"limits": {"cpu": "500m"}}, {"requests": {"cpu": "500m", "memory": "1Gi"},
                                               "limits": {"cpu": "500m", "memory": "4Gi"}},
                 id="limit-below-the-default-request"),
    pytest.param({"limits": {"memory": "16Gi"}}, {"requests": {"cpu": "1", "memory": "1Gi"},
                                                  "limits": {"cpu": "2", "memory": "16Gi"}}, id="one-limit"),
    pytest.param({"requests": {"cpu": 3}, "limits": {"memory": "512Mi", "ephemeral-storage": "10Gi"}},
                 {"requests": {"cpu": "3", "memory": "512Mi"},
                  "limits": {"cpu": "3", "ephemeral-storage": "10Gi", "memory": "512Mi"}}, id="mixed"),
    pytest.param({"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "8", "memory": "32Gi"}},
                 {"requests": {"cpu": "100m", "memory": "128Mi"}, "limits": {"cpu": "8", "memory": "32Gi"}},
                 id="complete-kept"),
    pytest.param({}, DEFAULT_RESOURCES, id="empty"),
])
def test_partial_resources_are_completed_from_the_defaults(given: dict[str, Any], expected: dict[str, Any]) -> None:
    """The values given are kept as written; only what is missing comes from the defaults, and never makes a
    request larger than its limit."""
    by_resources = render_job({**BASE, "num_ps": 1, "resources": {"PS": given}})
    by_replica_spec = render_job({**BASE, "num_ps": 1, "replicaSpecs": {"PS": {"resources": given}}})
    for job in (by_resources, by_replica_spec):
        assert container(job, "PS")["resources"] == expected
        assert container(job, "Chief")["resources"] == DEFAULT_RESOURCES
        assert findings(job) == []


def test_completed_returns_the_resources_when_nothing_is_missing() -> None:
    full = Resources(requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "2", "memory": "2Gi"})
    assert full.completed(tf_job.DEFAULT_REQUESTS, tf_job.DEFAULT_LIMITS) is full
    partial = Resources(requests={"cpu": "1"})
    assert partial.completed(tf_job.DEFAULT_REQUESTS, tf_job.DEFAULT_LIMITS) == Resources(
        requests={"cpu": "1", "memory": "1Gi"}, limits={"cpu": "2", "memory": "4Gi"})
    assert partial.requests == {"cpu": "1"}  # the params are not changed


def test_default_resources_are_documented_in_the_params() -> None:
    text = tf_job.DEFAULT_RESOURCES_TEXT
    assert text == "requests cpu 1 / memory 1Gi, limits cpu 2 / memory 4Gi"
    assert tf_job.DEFAULT_REQUESTS == {"cpu": "1", "memory": "1Gi"}
    assert tf_job.DEFAULT_LIMITS == {"cpu": "2", "memory": "4Gi"}
    for field in (tf_job.TfJobParams.model_fields["resources"], tf_job.ReplicaSettings.model_fields["resources"],
                  tf_cnn.TfCnnParams.model_fields["resources"]):
        assert field.description is not None and text in field.description


RICH = {**BASE, "image_gpu": "registry.example/train-gpu:1.0", "args": "--epochs=3", "num_ps": 1, "num_workers": 2,
        "num_gpus": 1, "restartPolicy": "ExitCode",
        "runPolicy": {"cleanPodPolicy": "Running", "backoffLimit": 2, "ttlSecondsAfterFinished": 60},
        "env": {"B": "2", "A": "1"}, "volumes": [{"claimName": "data", "mountPath": "/data"}],
        "nodeSelector": {"pool": "gpu"}, "workingDir": "/app", "command": ["python"],
        "resources": {"PS": {"requests": {"cpu": "1"}, "limits": {"cpu": "1"}}}}


def test_rich_job_is_valid_and_has_no_none() -> None:
    job = render_job(RICH)
    assert_no_none(job)
    assert set(replicas(job)) == {"Chief", "PS", "Worker"}


def test_job_is_built_as_the_tfjob_model() -> None:
    # the renderer's output is the model's dump, so the model the CRD comes from is the one rendered
    job = render_job(RICH)
    assert tfjob_to_dict(TFJob.model_validate(job)) == job
    assert job["spec"]["runPolicy"] == RICH["runPolicy"]


def test_params_are_a_part_of_the_api() -> None:
    # tf-job's replica types and run-policy fields are the TFJob API's (the model refuses anything else)
    assert set(typing.get_args(tf_job.TfJobReplicaType)) <= set(TFJOB_REPLICA_TYPES)
    assert set(tf_job.RunPolicy.model_fields) <= set(tfjob_model.RunPolicy.model_fields)


@pytest.mark.parametrize("params, fragment", [
    pytest.param({**BASE, "num_masters": 0}, "the job has no replicas", id="no-replicas"),
    pytest.param({**BASE, "num_masters": 2}, "less than or equal to 1", id="two-chiefs"),
    pytest.param({**BASE, "num_gpus": 1}, "num_gpus goes to Worker replicas", id="gpus-without-workers"),
    pytest.param({**BASE, "resources": {"PS": {"limits": {"cpu": "1"}}}}, "no PS replicas",
                 id="resources-for-absent-type"),
    pytest.param({**BASE, "num_workers": 1, "resources": {"Worker": {"limits": {GPU: 1}}}},
                 "set Worker GPUs with num_gpus",
                 id="worker-gpu-in-resources"),
    pytest.param({**BASE, "resources": {"Chief": {"requests": {"cpu": "2"}, "limits": {"cpu": "1500m"}}}},
                 "requests.cpu (2) is more than limits.cpu (1500m)", id="request-above-limit"),
    pytest.param({**BASE, "resources": {"Chief": {"requests": {"memory": "2Gi"}, "limits": {"memory": "2G"}}}},
                 "requests.memory (2Gi) is more than limits.memory (2G)", id="binary-vs-decimal-memory"),
    pytest.param({**BASE, "resources": {"Chief": {"requests": {GPU: 1}}}}, "under limits only", id="gpu-in-requests"),
    pytest.param({**BASE, "resources": {"Chief": {"limits": {GPU: "0.5"}}}}, "whole number", id="fractional-gpu"),
    pytest.param({**BASE, "resources": {"Chief": {"limits": {"cpu": "4 cores"}}}}, "pattern", id="bad-quantity"),
    pytest.param({**BASE, "resources": {"Chief": {"limits": {"cpu": 0.5}}}}, "valid", id="float-quantity"),
    pytest.param({**BASE, "resources": {"Chief": {"limits": {"cpu": "-1"}}}}, "pattern", id="negative-quantity"),
    pytest.param({**BASE, "resources": {"Master": {"limits": {"cpu": "1"}}}}, "Chief", id="unknown-replica-type"),
    pytest.param({**BASE, "env": {"TF_CONFIG": "{}"}}, "TF_CONFIG is written by the training operator", id="tf-config"),
    pytest.param({**BASE, "env": {"1BAD": "x"}}, "pattern", id="bad-env-name"),
    pytest.param({**BASE, "env": {"N": 1}}, "valid string", id="env-value-not-string"),
    pytest.param({**BASE, "volumes": [{"claimName": "a", "mountPath": "/d"}, {"claimName": "b", "mountPath": "/d"}]},
                 "same path: /d", id="duplicate-mount-path"),
    pytest.param({**BASE, "volumes": [{"claimName": "a", "mountPath": "data"}]}, "pattern", id="relative-mount-path"),
    pytest.param({**BASE, "tolerations": [{"key": "k", "operator": "Exists", "value": "v"}]}, "takes no value",
                 id="exists-with-value"),
    pytest.param({**BASE, "tolerations": [{"key": "k", "value": "v", "effect": "NoSchedule", "tolerationSeconds": 5}]},
                 "only applies to effect NoExecute", id="toleration-seconds-without-noexecute"),
    pytest.param({**BASE, "tolerations": [{"value": "v"}]}, "without key must use operator Exists", id="no-key-equal"),
    pytest.param({**BASE, "restartPolicy": "Sometimes"}, "'Always', 'OnFailure', 'Never' or 'ExitCode'",
                 id="restart-policy"),
    pytest.param({**BASE, "runPolicy": {"cleanPodPolicy": "Some"}}, "'All', 'Running' or 'None'",
                 id="clean-pod-policy"),
    pytest.param({**BASE, "runPolicy": {"activeDeadlineSeconds": 0}}, "greater than or equal to 1", id="deadline-zero"),
    # Kubernetes stores these as int32 (the deadline: int64, bounded at 68 years all the same)
    pytest.param({**BASE, "num_workers": 2 ** 31}, "less than or equal to 2147483647", id="int32-workers"),
    pytest.param({**BASE, "num_ps": 2 ** 31}, "less than or equal to 2147483647", id="int32-ps"),
    pytest.param({**BASE, "num_workers": 1, "num_gpus": 2 ** 31}, "less than or equal to 2147483647", id="int32-gpus"),
    pytest.param({**BASE, "runPolicy": {"backoffLimit": 2 ** 31}}, "less than or equal to 2147483647",
                 id="int32-backoff"),
    pytest.param({**BASE, "runPolicy": {"ttlSecondsAfterFinished": 2 ** 31}}, "less than or equal to 2147483647",
                 id="int32-ttl"),
    pytest.param({**BASE, "runPolicy": {"activeDeadlineSeconds": 2 ** 31}}, "less than or equal to 2147483647",
                 id="int32-deadline"),
    pytest.param({**BASE, "tolerations": [{"key": "k", "operator": "Exists", "effect": "NoExecute",
                                           "tolerationSeconds": 2 ** 31}]}, "less than or equal to 2147483647",
                 id="int32-toleration-seconds"),
    pytest.param({**BASE, "resources": {"Chief": {"limits": {"cpu": "1e9999999"}}}},
                 "too large for a Kubernetes quantity",
                 id="quantity-overflow"),
    pytest.param({**BASE, "resources": {"Chief": {"limits": {"cpu": 2 ** 63}}}}, "less than or equal to",
                 id="quantity-int64"),
    pytest.param({**BASE, "workingDir": "app"}, "pattern", id="relative-working-dir"),
    pytest.param({**BASE, "args": ["--a", 1]}, "valid string", id="args-list-of-non-strings"),
    pytest.param({**BASE, "num_workers": "2"}, "valid integer", id="int-as-string"),
    pytest.param({**BASE, "image_gpu": "null image"}, "pattern", id="image-with-space"),
    # ksonnet's default image gcr.io/tf-on-k8s-dogfood/tf_sample is gone; a job has no sensible default
    # program, so image is required (the reference cases set it).
    pytest.param({}, "image", id="image-missing"),
    pytest.param({**BASE, "numWorkers": 1}, "Extra inputs are not permitted", id="unknown-param"),
])
def test_invalid_tf_job_params(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        tf_job.TfJobParams.model_validate(params)
    assert fragment in str(info.value)


def test_render_is_deterministic_and_params_frozen() -> None:
    params = tf_job.TfJobParams.model_validate(RICH)
    a = tf_job.render(ctx(), params)
    b = tf_job.render(ctx(), params)
    assert a.objects == b.objects
    a.objects[0]["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]["args"].append("x")
    assert tf_job.render(ctx(), params).objects == b.objects  # no shared mutable state
    with pytest.raises(ValidationError):
        params.num_workers = 5  # type: ignore[misc]


def test_names_and_namespace_come_from_the_context() -> None:
    job = tf_job.render(ctx("other", "team-a"), tf_job.TfJobParams.model_validate(BASE)).objects[0]
    assert job["metadata"] == {"name": "other", "namespace": "team-a"}  # no kfgen labels: the pipeline adds them


# --- tf-cnn -------------------------------------------------------------------------------------


def cnn_args(**kw: Any) -> list[str]:
    o = {"batch_size": 32, "model": "resnet50", "num_gpus": 1, "lpd": "cpu", "device": "cpu", "fmt": "NHWC", **kw}
    return ["python", "tf_cnn_benchmarks.py", f"--batch_size={o['batch_size']}", f"--model={o['model']}",
            "--variable_update=parameter_server", "--flush_stdout=true", f"--num_gpus={o['num_gpus']}",
            f"--local_parameter_device={o['lpd']}", f"--device={o['device']}", f"--data_format={o['fmt']}"]


# With GPUs ksonnet passed only --num_gpus and relied on tf_cnn_benchmarks' defaults (gpu, gpu, NCHW);
# kfgen spells them out. No reference case has GPUs, so these rows are the only check of it.
@pytest.mark.parametrize("params, worker_image, worker_gpus, args", [
    pytest.param({}, tf_cnn.DEFAULT_IMAGE, None, cnn_args(), id="defaults-cpu"),
    pytest.param({"batch_size": 64, "model": "inception3"}, tf_cnn.DEFAULT_IMAGE, None,
                 cnn_args(batch_size=64, model="inception3"), id="batch-and-model"),
    pytest.param({"num_gpus": 2}, tf_cnn.DEFAULT_IMAGE_GPU, 2,
                 cnn_args(num_gpus=2, lpd="gpu", device="gpu", fmt="NCHW"), id="gpus"),
    pytest.param({"num_gpus": 1, "image_gpu": "registry.example/bench-gpu:2"}, "registry.example/bench-gpu:2", 1,
                 cnn_args(num_gpus=1, lpd="gpu", device="gpu", fmt="NCHW"), id="gpus-custom-image"),
    pytest.param({"image": "registry.example/bench:2", "image_gpu": "registry.example/bench-gpu:2"},
                 "registry.example/bench:2", None, cnn_args(), id="custom-images-no-gpus"),
    pytest.param({"num_gpus": 1, "image": "registry.example/bench:2"}, tf_cnn.DEFAULT_IMAGE_GPU, 1,
                 cnn_args(num_gpus=1, lpd="gpu", device="gpu", fmt="NCHW"), id="gpus-cpu-image-stays-on-ps"),
    pytest.param({"num_gpus": 4, "num_workers": 2, "num_ps": 2, "batch_size": 128, "model": "vgg16"},
                 tf_cnn.DEFAULT_IMAGE_GPU, 4,
                 cnn_args(batch_size=128, model="vgg16", num_gpus=4, lpd="gpu", device="gpu", fmt="NCHW"),
                 id="gpus-model-batch-replicas"),
])
def test_tf_cnn_variations(params: dict[str, Any], worker_image: str, worker_gpus: int | None, args: list[str]) -> None:
    job = render_job(params, "tf-cnn", "mycnnjob")
    assert set(replicas(job)) == {"PS", "Worker"}
    for rtype in ("PS", "Worker"):
        assert container(job, rtype)["args"] == args
        assert container(job, rtype)["workingDir"] == "/opt/tf-benchmarks/scripts/tf_cnn_benchmarks"
    assert container(job, "Worker")["image"] == worker_image
    assert container(job, "PS")["image"] == params.get("image", tf_cnn.DEFAULT_IMAGE)
    assert gpu_limit(job, "Worker") == worker_gpus and gpu_limit(job, "PS") is None
    assert pod(job, "Worker").get("tolerations") == ([GPU_TOLERATION] if worker_gpus else None)
    assert "tolerations" not in pod(job, "PS")
    assert {t: s["replicas"] for t, s in replicas(job).items()} == {"PS": params.get("num_ps", 1),
                                                                    "Worker": params.get("num_workers", 1)}


@pytest.mark.parametrize("num_ps, num_workers", [(1, 1), (2, 4), (3, 1)])
def test_tf_cnn_replica_counts(num_ps: int, num_workers: int) -> None:
    job = render_job({"num_ps": num_ps, "num_workers": num_workers}, "tf-cnn")
    assert {t: s["replicas"] for t, s in replicas(job).items()} == {"PS": num_ps, "Worker": num_workers}


def test_tf_cnn_reuses_tf_job_building() -> None:
    p = tf_cnn.TfCnnParams(num_gpus=2, num_workers=3)
    assert render_job({"num_gpus": 2, "num_workers": 3}, "tf-cnn") == tf_job.tfjob(ctx(), tf_cnn.job_params(p))


@pytest.mark.parametrize("num_gpus", [0, 2])
def test_tf_cnn_default_resources(num_gpus: int) -> None:
    job = render_job({"num_gpus": num_gpus, "num_ps": 2, "num_workers": 2}, "tf-cnn")
    assert container(job, "PS")["resources"] == DEFAULT_RESOURCES
    assert container(job, "Worker")["resources"] == (with_limits(**{GPU: str(num_gpus)}) if num_gpus
                                                     else DEFAULT_RESOURCES)
    assert findings(job) == []


def test_tf_cnn_resources_per_replica_type() -> None:
    job = render_job({"num_gpus": 1, "resources": {
        "Worker": {"requests": {"cpu": "4", "memory": "8Gi"}, "limits": {"cpu": "8", "memory": "16Gi"}},
        "PS": {"limits": {"memory": "2Gi"}}}}, "tf-cnn")
    assert container(job, "Worker")["resources"] == {"requests": {"cpu": "4", "memory": "8Gi"},
                                                     "limits": {"cpu": "8", "memory": "16Gi", GPU: "1"}}
    assert container(job, "PS")["resources"] == {"requests": {"cpu": "1", "memory": "1Gi"},
                                                 "limits": {"cpu": "2", "memory": "2Gi"}}


@pytest.mark.parametrize("params, fragment", [
    pytest.param({"num_ps": 0}, "greater than or equal to 1", id="no-ps"),
    pytest.param({"num_workers": 0}, "greater than or equal to 1", id="no-workers"),
    pytest.param({"batch_size": 0}, "greater than or equal to 1", id="batch-zero"),
    pytest.param({"batch_size": 2 ** 31}, "less than or equal to 2147483647", id="int32-batch"),
    pytest.param({"num_workers": 2 ** 31}, "less than or equal to 2147483647", id="int32-workers"),
    pytest.param({"num_ps": 2 ** 31}, "less than or equal to 2147483647", id="int32-ps"),
    pytest.param({"num_gpus": 2 ** 31}, "less than or equal to 2147483647", id="int32-gpus"),
    pytest.param({"model": "resnet50 --evil"}, "pattern", id="model-injection"),
    pytest.param({"num_gpus": "1"}, "valid integer", id="gpus-as-string"),
    pytest.param({"image": "null image"}, "pattern", id="bad-image"),
    pytest.param({"num_masters": 1}, "Extra inputs are not permitted", id="unknown-param"),
    pytest.param({"resources": {"Chief": {}}}, "'PS' or 'Worker'", id="resources-of-a-type-tf-cnn-has-not"),
    pytest.param({"num_gpus": 1, "resources": {"Worker": {"limits": {GPU: 1}}}}, "set Worker GPUs with num_gpus",
                 id="worker-gpus-in-resources"),
    pytest.param({"resources": {"PS": {"requests": {"cpu": "2"}, "limits": {"cpu": "1"}}}}, "more than limits.cpu",
                 id="request-above-limit"),
])
def test_invalid_tf_cnn_params(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        tf_cnn.TfCnnParams.model_validate(params)
    assert fragment in str(info.value)


# --- registry and pipeline ----------------------------------------------------------------------


def test_prototypes_registered_with_ksonnet_names() -> None:
    protos = prototypes()
    assert protos["tf-job"].ksonnet == "io.ksonnet.pkg.tf-job"
    assert protos["tf-cnn"].ksonnet == "io.ksonnet.pkg.tf-cnn"
    for name in ("tf-job", "tf-cnn"):
        for field_name, field in protos[name].params.model_fields.items():
            assert field.description, f"{name}.{field_name} has no description"


def test_profile_render_runs_the_gpu_budget(tmp_path: Path) -> None:
    from kfgen.errors import KfgenError
    from kfgen.profile import load_profile, validate_profile
    from kfgen.render.pipeline import render_profile

    text = """\
namespace: kubeflow
cluster:
  nodes:
    - {name: gpu-node1, gpus: 1}
    - {name: gpu-node2, gpus: 1}
components:
  myjob:
    prototype: tf-job
    params: {image: "registry.example/train:1.0", num_workers: %d, num_gpus: 1, args: "--epochs=1"}
"""
    (tmp_path / "ok.yaml").write_text(text % 2)
    result = render_profile(validate_profile(load_profile(tmp_path, "ok")))
    assert "GPU budget: 2 requested / 2 available (gpu-node1: 1, gpu-node2: 1)" in result.summary
    (tmp_path / "too-many.yaml").write_text(text % 3)
    with pytest.raises(KfgenError) as info:
        render_profile(validate_profile(load_profile(tmp_path, "too-many")))
    assert "needs 3 GPUs at once, the cluster has 2" in info.value.format()


# --- real workloads: per-replica settings, pod template, volumes, env, GPUs (issue 10) ------------------


def strictly_valid(job: dict[str, Any]) -> dict[str, Any]:
    """*job* after kfgen's in-process strict validation (the one `kfgen validate` runs) found nothing."""
    from kfgen.validate.objects import validate_objects

    problems = validate_objects([job], "1.37")
    assert problems == [], "\n".join(p.format() for p in problems)
    return job


def render_strict(params: dict[str, Any], prototype: str = "tf-job") -> dict[str, Any]:
    return strictly_valid(render_job(params, prototype))


def test_per_replica_settings_override_the_job_wide_ones() -> None:
    job = render_strict({
        **BASE, "num_ps": 1, "num_workers": 2, "num_evaluators": 1, "args": ["--job"], "command": ["python"],
        "env": {"A": "job", "B": "job"}, "ports": [{"containerPort": 6006, "name": "tensorboard"}],
        "replicaSpecs": {
            "Chief": {"image": "registry.example/chief:2", "args": "--chief,--x=1", "restartPolicy": "ExitCode"},
            "PS": {"command": ["ps-main"], "env": {"B": "ps", "C": "ps"}, "ports": []},
            "Worker": {"resources": {"limits": {"cpu": "2"}}, "ports": [{"containerPort": 2223, "name": "w"}]},
            "Evaluator": {"args": ["--eval"], "restartPolicy": "Never"}}})
    assert list(replicas(job)) == ["Chief", "PS", "Worker", "Evaluator"]
    assert container(job, "Chief")["image"] == "registry.example/chief:2"
    assert container(job, "Chief")["args"] == ["--chief", "--x=1"]
    assert replicas(job)["Chief"]["restartPolicy"] == "ExitCode"
    assert replicas(job)["Evaluator"] == {**replicas(job)["Evaluator"], "replicas": 1, "restartPolicy": "Never"}
    assert container(job, "Evaluator")["args"] == ["--eval"]
    assert container(job, "PS")["command"] == ["ps-main"] and container(job, "Worker")["command"] == ["python"]
    assert container(job, "PS")["env"] == [{"name": "A", "value": "job"}, {"name": "B", "value": "ps"},
                                           {"name": "C", "value": "ps"}]
    assert "ports" not in container(job, "PS")
    assert container(job, "Worker")["ports"] == [{"containerPort": 2223, "name": "w", "protocol": "TCP"}]
    assert container(job, "Chief")["ports"] == [{"containerPort": 6006, "name": "tensorboard", "protocol": "TCP"}]
    assert container(job, "Worker")["resources"] == DEFAULT_RESOURCES  # limits.cpu 2 given, the rest default
    assert container(job, "Worker")["args"] == ["--job"] and replicas(job)["Worker"]["restartPolicy"] == "OnFailure"


def test_pod_template_settings_on_every_replica() -> None:
    affinity = {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {"nodeSelectorTerms": [
        {"matchExpressions": [{"key": "pool", "operator": "In", "values": ["train"]}]}]}}}
    job = render_strict({
        **BASE, "num_workers": 1, "podLabels": {"team": "ml"},
        "podAnnotations": {"sidecar.istio.io/inject": "false"}, "serviceAccountName": "trainer",
        "affinity": affinity, "priorityClassName": "high", "schedulerName": "volcano",
        "imagePullSecrets": ["regcred"], "securityContext": {"runAsUser": 1000, "fsGroup": 1000},
        "imagePullPolicy": "IfNotPresent"})
    for rtype in ("Chief", "Worker"):
        template = replicas(job)[rtype]["template"]
        assert template["metadata"] == {"labels": {"team": "ml"}, "annotations": {"sidecar.istio.io/inject": "false"}}
        spec = template["spec"]
        assert spec["serviceAccountName"] == "trainer" and "automountServiceAccountToken" not in spec
        assert spec["affinity"] == affinity and spec["priorityClassName"] == "high"
        assert spec["schedulerName"] == "volcano" and spec["imagePullSecrets"] == [{"name": "regcred"}]
        assert spec["securityContext"] == {"runAsNonRoot": True, "seccompProfile": {"type": "RuntimeDefault"},
                                           "runAsUser": 1000, "runAsGroup": 1000, "fsGroup": 1000}
        assert container(job, rtype)["imagePullPolicy"] == "IfNotPresent"


def test_security_defaults_of_training_pods() -> None:
    spec = pod(render_strict(BASE), "Chief")
    assert spec["automountServiceAccountToken"] is False
    # the TensorFlow images declare no user (root): an explicit uid lets runAsNonRoot admit them
    assert spec["securityContext"] == {"runAsNonRoot": True, "runAsUser": 1000, "runAsGroup": 1000,
                                       "seccompProfile": {"type": "RuntimeDefault"}}
    assert container(render_strict(BASE), "Chief")["securityContext"]["allowPrivilegeEscalation"] is False
    rooted = pod(render_strict({**BASE, "securityContext": {"runAsNonRoot": False}}), "Chief")
    assert rooted["securityContext"]["runAsNonRoot"] is False


def test_volumes_beyond_claims() -> None:
    vols = [{"claimName": "data", "mountPath": "/data", "readOnly": True},
            {"name": "dshm", "mountPath": "/dev/shm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
            {"name": "scratch", "mountPath": "/scratch", "emptyDir": {}},
            {"name": "cfg", "mountPath": "/etc/train", "configMap": {"name": "train-cfg",
                                                                     "items": [{"key": "a", "path": "a.yaml"}]}},
            {"name": "creds", "mountPath": "/secrets", "readOnly": True, "secret": {"secretName": "gcs-creds"}},
            {"name": "creds", "mountPath": "/secrets2/key.json", "subPath": "key.json",
             "secret": {"secretName": "gcs-creds"}},
            {"name": "host", "mountPath": "/host-data", "hostPath": {"path": "/mnt/data", "type": "Directory"}}]
    job = render_strict({**BASE, "num_workers": 1, "allowHostPath": True, "volumes": vols})
    assert pod(job, "Worker")["volumes"] == [
        {"name": "pvc-0", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "dshm", "emptyDir": {"medium": "Memory", "sizeLimit": "1Gi"}},
        {"name": "scratch", "emptyDir": {}},
        {"name": "cfg", "configMap": {"name": "train-cfg", "items": [{"key": "a", "path": "a.yaml"}]}},
        {"name": "creds", "secret": {"secretName": "gcs-creds"}},
        {"name": "host", "hostPath": {"path": "/mnt/data", "type": "Directory"}}]
    assert container(job, "Worker")["volumeMounts"][5] == {"name": "creds", "mountPath": "/secrets2/key.json",
                                                           "subPath": "key.json"}


def test_a_claim_volume_may_be_named() -> None:
    """The training operator's examples call their claim volume 'training': a claim takes a name too."""
    vols = [{"claimName": "data", "name": "training", "mountPath": "/train"},
            {"claimName": "data", "mountPath": "/also", "readOnly": True},
            {"claimName": "other", "mountPath": "/other"}]
    job = render_strict({**BASE, "num_workers": 1, "volumes": vols})
    assert pod(job, "Worker")["volumes"] == [
        {"name": "training", "persistentVolumeClaim": {"claimName": "data"}},
        {"name": "pvc-1", "persistentVolumeClaim": {"claimName": "other"}}]
    assert [m["name"] for m in container(job, "Worker")["volumeMounts"]] == ["training", "training", "pvc-1"]


@pytest.mark.parametrize("vols, message", [
    ([{"claimName": "a", "name": "x", "mountPath": "/a"}, {"claimName": "a", "name": "y", "mountPath": "/b"}],
     "mounted under two volume names"),
    ([{"claimName": "a", "name": "x", "mountPath": "/a"}, {"claimName": "b", "name": "x", "mountPath": "/b"}],
     "'x' is used twice"),
    ([{"claimName": "a", "name": "x", "mountPath": "/a"}, {"name": "x", "mountPath": "/b", "emptyDir": {}}],
     "given twice with different sources"),
])
def test_claim_volume_names_must_not_clash(vols: list[dict[str, Any]], message: str) -> None:
    with pytest.raises(ValidationError) as info:
        tf_job.TfJobParams.model_validate({**BASE, "volumes": vols})
    assert message in str(info.value)


def test_env_from_secrets_config_maps_and_fields() -> None:
    job = render_strict({**BASE, "env": {
        "PASSWORD": {"secretKeyRef": {"name": "db", "key": "password"}},
        "MODE": {"configMapKeyRef": {"name": "cfg", "key": "mode", "optional": True}},
        "POD": {"fieldRef": {"fieldPath": "metadata.name"}}, "PLAIN": "x"},
        "envFrom": [{"secretRef": {"name": "aws"}}, {"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}]})
    c = container(job, "Chief")
    assert c["env"] == [
        {"name": "MODE", "valueFrom": {"configMapKeyRef": {"name": "cfg", "key": "mode", "optional": True}}},
        {"name": "PASSWORD", "valueFrom": {"secretKeyRef": {"name": "db", "key": "password"}}},
        {"name": "PLAIN", "value": "x"},
        {"name": "POD", "valueFrom": {"fieldRef": {"apiVersion": "v1", "fieldPath": "metadata.name"}}}]
    assert c["envFrom"] == [{"secretRef": {"name": "aws"}}, {"configMapRef": {"name": "cfg"}, "prefix": "CFG_"}]


def test_job_level_policies() -> None:
    job = render_strict({**BASE, "num_workers": 2, "successPolicy": "AllWorkers", "enableDynamicWorker": True,
                         "runPolicy": {"suspend": True, "schedulingPolicy": {
                             "minAvailable": 3, "queue": "research", "priorityClass": "high"}}})
    assert job["spec"]["successPolicy"] == "AllWorkers" and job["spec"]["enableDynamicWorker"] is True
    assert job["spec"]["runPolicy"] == {"suspend": True, "schedulingPolicy": {
        "minAvailable": 3, "queue": "research", "priorityClass": "high"}}


@pytest.mark.parametrize("tolerations, expected", [
    pytest.param(None, [{"key": "amd.com/gpu", "operator": "Exists", "effect": "NoSchedule"}], id="default"),
    pytest.param([], None, id="explicit-empty-means-none"),
    pytest.param([{"key": "pool", "operator": "Exists"}], [{"key": "pool", "operator": "Exists"}], id="given"),
])
def test_gpu_resource_and_toleration(tolerations: list[dict[str, Any]] | None, expected: Any) -> None:
    params: dict[str, Any] = {**BASE, "num_workers": 2, "num_gpus": 2, "gpuResource": "amd.com/gpu"}
    if tolerations is not None:
        params["tolerations"] = tolerations
    job = render_strict(params)
    assert container(job, "Worker")["resources"] == with_limits(**{"amd.com/gpu": "2"})
    assert pod(job, "Worker").get("tolerations") == expected
    assert {g.part: g.gpus for g in pod_groups(job)} == {"replica Chief": 0, "replica Worker": 2}


def test_gpu_toleration_on_any_replica_with_gpus() -> None:
    job = render_strict({**BASE, "resources": {"Chief": {"limits": {GPU: 1}}}})
    assert pod(job, "Chief")["tolerations"] == [GPU_TOLERATION]


def test_job_name_independent_of_the_instance() -> None:
    job = render_strict({**BASE, "name": "mnist"})
    assert job["metadata"]["name"] == "mnist"


@pytest.mark.parametrize("params, fragment", [
    pytest.param({**BASE, "volumes": [{"name": "h", "mountPath": "/h", "hostPath": {"path": "/x"}}]},
                 "hostPath is off unless allowHostPath: true", id="host-path-without-opt-in"),
    pytest.param({**BASE, "volumes": [{"mountPath": "/h", "emptyDir": {}}]}, "needs a name", id="unnamed-volume"),
    pytest.param({**BASE, "volumes": [{"name": "a", "mountPath": "/h", "emptyDir": {}, "secret": {"secretName": "s"}}]},
                 "exactly one volume source", id="two-sources"),
    pytest.param({**BASE, "volumes": [{"name": "a", "mountPath": "/h", "emptyDir": {}},
                                      {"name": "a", "mountPath": "/i", "emptyDir": {"medium": "Memory"}}]},
                 "different sources", id="same-name-other-source"),
    pytest.param({**BASE, "volumes": [{"name": "pvc-0", "mountPath": "/h", "emptyDir": {}}]}, "kept for claims",
                 id="reserved-volume-name"),
    pytest.param({**BASE, "env": {"P": {"secretKeyRef": {"name": "s", "key": "k"}, "fieldRef": {
        "fieldPath": "metadata.name"}}}}, "exactly one of", id="env-two-sources"),
    pytest.param({**BASE, "env": {"P": {"fieldRef": {"fieldPath": "spec.containers"}}}}, "pattern",
                 id="env-bad-field-path"),
    pytest.param({**BASE, "envFrom": [{"prefix": "X_"}]}, "exactly one of secretRef", id="env-from-nothing"),
    pytest.param({**BASE, "replicaSpecs": {"Worker": {"image": "registry.example/x:1"}}}, "no Worker replicas",
                 id="replica-spec-for-absent-type"),
    pytest.param({**BASE, "replicaSpecs": {"Chief": {"imagePullPolicyy": "Always"}}}, "Extra inputs",
                 id="unknown-replica-setting"),
    pytest.param({**BASE, "replicaSpecs": {"Chief": {"env": {"TF_CONFIG": "{}"}}}}, "TF_CONFIG",
                 id="replica-tf-config"),
    pytest.param({**BASE, "resources": {"Chief": {}}, "replicaSpecs": {"Chief": {"resources": {}}}}, "set twice",
                 id="resources-twice"),
    pytest.param({**BASE, "num_workers": 1, "gpuResource": "amd.com/gpu",
                  "resources": {"Worker": {"limits": {"amd.com/gpu": 1}}}}, "set Worker GPUs with num_gpus",
                 id="worker-gpu-resource-in-resources"),
    pytest.param({**BASE, "ports": [{"containerPort": 1, "name": "a"}, {"containerPort": 2, "name": "a"}]},
                 "ports repeat: a", id="port-names-repeat"),
    pytest.param({**BASE, "affinity": {"nodeAffinityy": {}}}, "Affinity", id="affinity-unknown-field"),
    pytest.param({**BASE, "securityContext": {"runAsUser": "root"}}, "PodSecurityContext", id="security-context-type"),
    pytest.param({**BASE, "num_evaluators": 2}, "less than or equal to 1", id="two-evaluators"),
    pytest.param({**BASE, "name": "My_Job"}, "pattern", id="bad-job-name"),
    pytest.param({**BASE, "imagePullPolicy": "Sometimes"}, "IfNotPresent", id="pull-policy"),
    pytest.param({**BASE, "successPolicy": "AnyWorker"}, "AllWorkers", id="success-policy"),
    pytest.param({**BASE, "runPolicy": {"schedulingPolicy": {"minAvailable": 0}}}, "greater than or equal to 1",
                 id="min-available-zero"),
])
def test_invalid_workload_params(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        tf_job.TfJobParams.model_validate(params)
    assert fragment in str(info.value)
