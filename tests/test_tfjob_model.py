"""Tests of kfgen.kube.tfjob: the pydantic TFJob model, the structural CRD schema derived
from it, the strict validation schema and the CRD, checked against realistic TFJobs
and against the upstream training-operator v1.9.0 CRD.

The model types the TFJob-specific objects; the pod template is Kubernetes' PodTemplateSpec,
passed through by the model and validated by the schemas (cases in POD_TEMPLATE_ERRORS)."""

from __future__ import annotations

import copy
import functools
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema
import pydantic
import pytest
import yaml

from kfgen.kube.constants import TFJOB_REPLICA_TYPES as REPLICA_TYPES
from kfgen.kube.quantity import QUANTITY_PATTERN
from kfgen.kube.tfjob import (
    TFJob,
    tfjob_crd,
    tfjob_openapi_schema,
    tfjob_to_dict,
    tfjob_validation_schema,
)

ROOT = Path(__file__).resolve().parents[1]
UPSTREAM_CRD = (
    ROOT.parent / "shared" / "reference" / "training-operator-v1.9.0" / "kubeflow.org_tfjobs.yaml"
)

# --------------------------------------------------------------------------------------
# Realistic TFJobs (shapes taken from the training-operator examples and docs)
# --------------------------------------------------------------------------------------

PS_WORKER_GPU = """
apiVersion: kubeflow.org/v1
kind: TFJob
metadata:
  name: dist-mnist-gpu
  namespace: kubeflow
  labels: {app: dist-mnist}
spec:
  tfReplicaSpecs:
    PS:
      replicas: 2
      restartPolicy: Never
      template:
        spec:
          containers:
          - name: tensorflow
            image: kubeflow/tf-dist-mnist-test:latest
            imagePullPolicy: IfNotPresent
            ports:
            - containerPort: 2222
              name: tfjob-port
            resources:
              requests: {cpu: 500m, memory: 1Gi}
    Worker:
      replicas: 4
      restartPolicy: OnFailure
      template:
        metadata:
          annotations: {sidecar.istio.io/inject: "false"}
        spec:
          containers:
          - name: tensorflow
            image: kubeflow/tf-dist-mnist-test:latest
            command: [python, /var/tf_dist_mnist/dist_mnist.py]
            args: [--num_gpus=1, --train_steps=1000]
            env:
            - name: TF_CPP_MIN_LOG_LEVEL
              value: "2"
            - name: POD_NAMESPACE
              valueFrom:
                fieldRef: {fieldPath: metadata.namespace}
            resources:
              limits: {nvidia.com/gpu: 1, cpu: "4", memory: 8Gi}
"""

CHIEF_WORKER_EVALUATOR = """
apiVersion: kubeflow.org/v1
kind: TFJob
metadata:
  name: estimator-train
  namespace: team-a
spec:
  successPolicy: AllWorkers
  runPolicy:
    cleanPodPolicy: Running
    backoffLimit: 3
    ttlSecondsAfterFinished: 3600
    activeDeadlineSeconds: 86400
  tfReplicaSpecs:
    Chief:
      replicas: 1
      restartPolicy: ExitCode
      template:
        spec:
          containers:
          - name: tensorflow
            image: gcr.io/kubeflow-ci/tf-estimator-runconfig:v1.15
            workingDir: /opt/model
            args: [--model_dir=/tmp/model]
    Worker:
      replicas: 3
      restartPolicy: ExitCode
      template:
        spec:
          containers:
          - name: tensorflow
            image: gcr.io/kubeflow-ci/tf-estimator-runconfig:v1.15
            args: [--model_dir=/tmp/model]
    Evaluator:
      replicas: 1
      restartPolicy: Never
      template:
        spec:
          containers:
          - name: tensorflow
            image: gcr.io/kubeflow-ci/tf-estimator-runconfig:v1.15
            args: [--model_dir=/tmp/model, --eval]
"""

PVC_NODESELECTOR_TOLERATIONS = """
apiVersion: kubeflow.org/v1
kind: TFJob
metadata:
  name: mnist-pvc
  namespace: kubeflow
  annotations: {owner: ml-platform}
spec:
  runPolicy:
    cleanPodPolicy: All
    suspend: false
    schedulingPolicy:
      minAvailable: 3
      queue: research
      priorityClass: high-priority
      minResources: {cpu: "12", memory: 48Gi, nvidia.com/gpu: 2}
      scheduleTimeoutSeconds: 600
  tfReplicaSpecs:
    Chief:
      replicas: 1
      restartPolicy: OnFailure
      template:
        metadata:
          labels: {role: chief}
        spec:
          serviceAccountName: tf-trainer
          securityContext: {runAsUser: 1000, fsGroup: 1000}
          nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
          tolerations:
          - key: nvidia.com/gpu
            operator: Exists
            effect: NoSchedule
          imagePullSecrets:
          - name: registry-credentials
          containers:
          - name: tensorflow
            image: registry.example.com/mnist:1.0
            resources:
              limits: {nvidia.com/gpu: 1}
            volumeMounts:
            - name: training-data
              mountPath: /data
              readOnly: true
            - name: checkpoints
              mountPath: /checkpoints
          volumes:
          - name: training-data
            persistentVolumeClaim: {claimName: mnist-data, readOnly: true}
          - name: checkpoints
            persistentVolumeClaim: {claimName: mnist-checkpoints}
          - name: scratch
            emptyDir: {sizeLimit: 10Gi}
    Worker:
      replicas: 2
      restartPolicy: OnFailure
      template:
        spec:
          nodeSelector: {cloud.google.com/gke-accelerator: nvidia-tesla-t4}
          tolerations:
          - {key: nvidia.com/gpu, operator: Exists, effect: NoSchedule}
          containers:
          - name: tensorflow
            image: registry.example.com/mnist:1.0
            resources:
              limits: {nvidia.com/gpu: 1}
            volumeMounts:
            - {name: training-data, mountPath: /data, readOnly: true}
          volumes:
          - name: training-data
            persistentVolumeClaim: {claimName: mnist-data, readOnly: true}
"""

# Pod fields kfgen does not type (affinity, probes, sidecars, priorityClassName, ...)
# must pass through the model and both schemas.
EXTRA_POD_FIELDS = """
apiVersion: kubeflow.org/v1
kind: TFJob
metadata:
  name: with-extras
spec:
  enableDynamicWorker: true
  tfReplicaSpecs:
    Master:
      template:
        spec:
          priorityClassName: training
          terminationGracePeriodSeconds: 30
          affinity:
            podAntiAffinity:
              preferredDuringSchedulingIgnoredDuringExecution:
              - weight: 100
                podAffinityTerm:
                  topologyKey: kubernetes.io/hostname
                  labelSelector:
                    matchLabels: {training.kubeflow.org/job-name: with-extras}
          initContainers:
          - name: fetch
            image: busybox:1.36
            command: [sh, -c, "echo ready"]
          containers:
          - name: tensorflow
            image: tensorflow/tensorflow:2.15.0
            ports:
            - {containerPort: 2222, name: tfjob-port, protocol: TCP}
            readinessProbe:
              tcpSocket: {port: tfjob-port}
              periodSeconds: 10
            envFrom:
            - configMapRef: {name: tf-config}
          - name: log-shipper
            image: fluent/fluent-bit:3.0
            resources:
              requests: {cpu: 100m, memory: 64Mi}
"""

VALID = {
    "ps-worker-gpu": PS_WORKER_GPU,
    "chief-worker-evaluator": CHIEF_WORKER_EVALUATOR,
    "pvc-nodeselector-tolerations": PVC_NODESELECTOR_TOLERATIONS,
    "extra-pod-fields": EXTRA_POD_FIELDS,
}


def _valid(name: str) -> dict[str, Any]:
    return yaml.safe_load(VALID[name])


def _replica(job: dict[str, Any], rtype: str = "Worker") -> dict[str, Any]:
    return job["spec"]["tfReplicaSpecs"][rtype]


def _bad_replica_type(job: dict) -> None:
    job["spec"]["tfReplicaSpecs"]["Foo"] = copy.deepcopy(_replica(job))


def _replicas_string(job: dict) -> None:
    _replica(job)["replicas"] = "two"


def _replicas_negative(job: dict) -> None:
    _replica(job)["replicas"] = -1


def _unknown_replica_field(job: dict) -> None:
    _replica(job)["minReplicas"] = 1


def _bad_restart_policy(job: dict) -> None:
    _replica(job)["restartPolicy"] = "Sometimes"


def _unknown_run_policy_field(job: dict) -> None:
    job["spec"]["runPolicy"] = {"cleanupPolicy": "All"}


def _bad_clean_pod_policy(job: dict) -> None:
    job["spec"]["runPolicy"] = {"cleanPodPolicy": "Some"}


def _unknown_spec_field(job: dict) -> None:
    job["spec"]["cleanPodPolicy"] = "All"  # a v1alpha2-era field, now under runPolicy


def _bad_quantity(job: dict) -> None:
    _replica(job)["template"]["spec"]["containers"][0]["resources"]["limits"]["cpu"] = "four"


# name -> (mutation of PS_WORKER_GPU, JSON path the strict schema must blame)
INVALID = {
    "bad-replica-type": (_bad_replica_type, ["spec", "tfReplicaSpecs"]),
    "replicas-as-string": (_replicas_string, ["spec", "tfReplicaSpecs", "Worker", "replicas"]),
    "replicas-negative": (_replicas_negative, ["spec", "tfReplicaSpecs", "Worker", "replicas"]),
    "unknown-replica-field": (_unknown_replica_field, ["spec", "tfReplicaSpecs", "Worker"]),
    "bad-restart-policy": (_bad_restart_policy, ["spec", "tfReplicaSpecs", "Worker", "restartPolicy"]),
    "unknown-runpolicy-field": (_unknown_run_policy_field, ["spec", "runPolicy"]),
    "bad-clean-pod-policy": (_bad_clean_pod_policy, ["spec", "runPolicy", "cleanPodPolicy"]),
    "unknown-spec-field": (_unknown_spec_field, ["spec"]),
    "bad-quantity": (
        _bad_quantity,
        ["spec", "tfReplicaSpecs", "Worker", "template", "spec", "containers", 0, "resources",
         "limits", "cpu"],
    ),
}


# Errors inside the pod template: the schemas' business (the model keeps the template as given).
POD_TEMPLATE_ERRORS = {"bad-quantity"}


def _invalid(name: str) -> dict[str, Any]:
    job = _valid("ps-worker-gpu")
    INVALID[name][0](job)
    return job


VALIDATORS = [jsonschema.Draft7Validator, jsonschema.Draft202012Validator]


@functools.lru_cache(maxsize=1)
def _upstream_crd_cached() -> dict[str, Any]:
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
    return yaml.load(UPSTREAM_CRD.read_text(), Loader=loader)


def _upstream_crd() -> dict[str, Any]:
    if not UPSTREAM_CRD.is_file():
        pytest.skip(f"upstream training-operator v1.9.0 CRD not available at {UPSTREAM_CRD}")
    return copy.deepcopy(_upstream_crd_cached())


def _upstream_schema() -> dict[str, Any]:
    return _upstream_crd()["spec"]["versions"][0]["schema"]["openAPIV3Schema"]


SCHEMAS = {
    "strict": tfjob_validation_schema,
    "crd": tfjob_openapi_schema,
    "upstream": _upstream_schema,
}


@functools.cache
def _validator(validator_cls, which: str):
    schema = SCHEMAS[which]()  # may pytest.skip (not cached then)
    validator_cls.check_schema(schema)
    return validator_cls(schema)


def _errors(validator_cls, which: str, instance: dict) -> list[jsonschema.ValidationError]:
    return list(_validator(validator_cls, which).iter_errors(instance))


def _all_errors(errors) -> Iterator[jsonschema.ValidationError]:
    """Errors including the ones nested in anyOf contexts."""
    for error in errors:
        yield error
        yield from _all_errors(error.context or ())


# --------------------------------------------------------------------------------------
# Valid TFJobs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_tfjob_accepted_by_model_and_round_trips(name: str) -> None:
    job = _valid(name)
    model = TFJob.model_validate(job)
    assert model.spec.tfReplicaSpecs.keys() == job["spec"]["tfReplicaSpecs"].keys()
    # Nothing is added, dropped or reshaped by the model (extras pass through).
    assert tfjob_to_dict(model) == job
    assert TFJob.model_validate(tfjob_to_dict(model)) == model


def test_model_gives_typed_access() -> None:
    model = TFJob.model_validate(_valid("pvc-nodeselector-tolerations"))
    assert model.metadata.name == "mnist-pvc" and model.metadata.annotations == {"owner": "ml-platform"}
    chief = model.spec.tfReplicaSpecs["Chief"]
    assert chief.replicas == 1 and chief.restartPolicy == "OnFailure"
    policy = model.spec.runPolicy
    assert policy.cleanPodPolicy == "All" and policy.suspend is False
    assert policy.schedulingPolicy.minResources == {"cpu": "12", "memory": "48Gi", "nvidia.com/gpu": 2}
    assert policy.schedulingPolicy.scheduleTimeoutSeconds == 600


def test_model_passes_the_pod_template_through() -> None:
    job = _valid("extra-pod-fields")
    model = TFJob.model_validate(job)
    template = model.spec.tfReplicaSpecs["Master"].template
    assert template.metadata is None
    assert template.spec == job["spec"]["tfReplicaSpecs"]["Master"]["template"]["spec"]
    assert template.spec["priorityClassName"] == "training"
    assert template.spec["containers"][0]["readinessProbe"]["tcpSocket"] == {"port": "tfjob-port"}


def test_model_requires_a_pod_spec_and_nothing_else_in_the_template() -> None:
    job = _valid("ps-worker-gpu")
    _replica(job)["template"] = {"metadata": {"labels": {"a": "b"}}}
    with pytest.raises(pydantic.ValidationError, match=r"Worker\.template\.spec\n +Field required"):
        TFJob.model_validate(job)
    job = _valid("ps-worker-gpu")
    _replica(job)["template"]["specs"] = {}
    with pytest.raises(pydantic.ValidationError, match=r"Worker\.template\.specs\n +Extra inputs"):
        TFJob.model_validate(job)


def test_to_dict_omits_unset_fields() -> None:
    model = TFJob.model_validate(
        {
            "metadata": {"name": "minimal"},
            "spec": {
                "tfReplicaSpecs": {
                    "Worker": {"template": {"spec": {"containers": [{"name": "tensorflow", "image": "tf"}]}}}
                }
            },
        }
    )
    assert tfjob_to_dict(model) == {
        "apiVersion": "kubeflow.org/v1",
        "kind": "TFJob",
        "metadata": {"name": "minimal"},
        "spec": {
            "tfReplicaSpecs": {
                "Worker": {"template": {"spec": {"containers": [{"name": "tensorflow", "image": "tf"}]}}}
            }
        },
    }


@pytest.mark.parametrize("validator_cls", VALIDATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_tfjob_accepted_by_validation_schema(name: str, validator_cls) -> None:
    errors = _errors(validator_cls, "strict", _valid(name))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_tfjob_accepted_by_crd_schema(name: str) -> None:
    errors = _errors(jsonschema.Draft7Validator, "crd", _valid(name))
    assert not errors, [e.message for e in errors]


@pytest.mark.parametrize("name", sorted(VALID))
def test_valid_tfjob_accepted_by_upstream_crd_schema(name: str) -> None:
    errors = _errors(jsonschema.Draft7Validator, "upstream", _valid(name))
    assert not errors, [e.message for e in errors]


# --------------------------------------------------------------------------------------
# Invalid TFJobs
# --------------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(set(INVALID) - POD_TEMPLATE_ERRORS))
def test_invalid_tfjob_rejected_by_model(name: str) -> None:
    with pytest.raises(pydantic.ValidationError):
        TFJob.model_validate(_invalid(name))


@pytest.mark.parametrize("validator_cls", VALIDATORS, ids=lambda c: c.__name__)
@pytest.mark.parametrize("name", sorted(INVALID))
def test_invalid_tfjob_rejected_by_validation_schema(name: str, validator_cls) -> None:
    errors = _errors(validator_cls, "strict", _invalid(name))
    assert errors, f"{name} was accepted"
    blamed = {tuple(e.absolute_path) for e in _all_errors(errors)}
    assert tuple(INVALID[name][1]) in blamed, blamed


@pytest.mark.parametrize(
    "name", ["replicas-as-string", "bad-restart-policy", "bad-clean-pod-policy", "bad-quantity"]
)
def test_invalid_values_rejected_by_crd_schema_too(name: str) -> None:
    # Unknown fields/keys are pruned or CEL-checked by the API server instead, so only
    # value errors are visible to a plain JSON schema validator here.
    assert _errors(jsonschema.Draft7Validator, "crd", _invalid(name))


def test_model_rejects_string_numbers_and_missing_name() -> None:
    job = _valid("ps-worker-gpu")
    _replica(job)["replicas"] = "2"  # a string, even a numeric one, is not an int32
    with pytest.raises(pydantic.ValidationError):
        TFJob.model_validate(job)
    job = _valid("ps-worker-gpu")
    job["metadata"] = {"namespace": "kubeflow"}
    with pytest.raises(pydantic.ValidationError, match="metadata.name"):
        TFJob.model_validate(job)


def test_model_rejects_wrong_api_version_and_kind() -> None:
    for key, value in (("apiVersion", "kubeflow.org/v1beta2"), ("kind", "PyTorchJob")):
        job = _valid("ps-worker-gpu")
        job[key] = value
        with pytest.raises(pydantic.ValidationError):
            TFJob.model_validate(job)
        assert _errors(jsonschema.Draft202012Validator, "strict", job)


# --------------------------------------------------------------------------------------
# Structural schema
# --------------------------------------------------------------------------------------

# Keywords of apiextensions.k8s.io/v1 JSONSchemaProps that may appear in our schema.
CRD_KEYWORDS = {
    "type", "format", "description", "properties", "items", "additionalProperties",
    "required", "enum", "default", "minimum", "maximum", "minLength", "maxLength", "pattern",
    "minItems", "maxItems", "minProperties", "maxProperties", "multipleOf", "anyOf",
    "x-kubernetes-preserve-unknown-fields", "x-kubernetes-int-or-string",
    "x-kubernetes-list-type", "x-kubernetes-list-map-keys", "x-kubernetes-map-type",
    "x-kubernetes-validations",
}
INT_OR_STRING_ANYOF = [{"type": "integer"}, {"type": "string"}]


def _nodes(schema: dict, path: tuple = ()) -> Iterator[tuple[tuple, dict]]:
    """Every schema node with its path (properties, items, additionalProperties)."""
    yield path, schema
    for name, sub in schema.get("properties", {}).items():
        yield from _nodes(sub, path + ("properties", name))
    if isinstance(schema.get("items"), dict):
        yield from _nodes(schema["items"], path + ("items",))
    if isinstance(schema.get("additionalProperties"), dict):
        yield from _nodes(schema["additionalProperties"], path + ("additionalProperties",))


def _template(schema: dict) -> dict:
    return schema["properties"]["spec"]["properties"]["tfReplicaSpecs"]["additionalProperties"][
        "properties"
    ]["template"]


def test_openapi_schema_is_structural() -> None:
    schema = tfjob_openapi_schema()
    assert "$ref" not in json.dumps(schema)
    count = 0
    for path, node in _nodes(schema):
        count += 1
        assert set(node) <= CRD_KEYWORDS, (path, set(node) - CRD_KEYWORDS)
        if node.get("x-kubernetes-int-or-string"):
            assert "type" not in node, path
            assert node.get("anyOf", INT_OR_STRING_ANYOF) == INT_OR_STRING_ANYOF, path
        else:
            assert isinstance(node.get("type"), str), path
            assert "anyOf" not in node, path
        if "properties" in node:
            assert node["type"] == "object", path
            assert "additionalProperties" not in node, path
        if "additionalProperties" in node:
            assert isinstance(node["additionalProperties"], dict), path
            assert node["type"] == "object", path
        if (
            node.get("type") == "object"
            and not ({"properties", "additionalProperties"} & node.keys())
            and path != ("properties", "metadata")  # root ObjectMeta: the server's business
        ):
            assert node.get("x-kubernetes-preserve-unknown-fields") is True, path
        if node.get("type") == "array":
            assert isinstance(node.get("items"), dict), path
        if node.get("x-kubernetes-list-type") == "map":
            # apiextensions: list-map keys must be required or defaulted.
            items = node["items"]
            for key in node["x-kubernetes-list-map-keys"]:
                assert key in items.get("required", []) or "default" in items["properties"][key], (
                    path, key)
        assert node.get("additionalProperties") is not False, path
    assert count > 500  # the whole PodSpec is in there


def test_openapi_schema_root_follows_crd_rules() -> None:
    schema = tfjob_openapi_schema()
    assert schema["type"] == "object"
    assert set(schema) <= {"type", "description", "properties", "required"}
    props = schema["properties"]
    assert set(props) == {"apiVersion", "kind", "metadata", "spec", "status"}
    assert props["metadata"] == {"type": "object"}
    assert props["apiVersion"]["type"] == props["kind"]["type"] == "string"
    assert props["status"] == {
        "description": props["status"]["description"],
        "type": "object",
        "x-kubernetes-preserve-unknown-fields": True,
    }


def test_openapi_schema_tfjob_part() -> None:
    spec = tfjob_openapi_schema()["properties"]["spec"]
    assert spec["required"] == ["tfReplicaSpecs"]
    replicas = spec["properties"]["tfReplicaSpecs"]
    assert replicas["type"] == "object" and replicas["maxProperties"] == len(REPLICA_TYPES)
    (rule,) = replicas["x-kubernetes-validations"]
    assert all(f"'{t}'" in rule["rule"] for t in REPLICA_TYPES)
    replica = replicas["additionalProperties"]["properties"]
    assert replica["replicas"] == {
        "description": replica["replicas"]["description"],
        "type": "integer",
        "format": "int32",
        "minimum": 0,
    }
    assert replica["restartPolicy"]["enum"] == ["Always", "OnFailure", "Never", "ExitCode"]
    run_policy = spec["properties"]["runPolicy"]["properties"]
    assert run_policy["cleanPodPolicy"]["enum"] == ["All", "Running", "None"]
    assert run_policy["suspend"]["default"] is False
    assert run_policy["activeDeadlineSeconds"]["format"] == "int64"
    min_resources = run_policy["schedulingPolicy"]["properties"]["minResources"]
    assert min_resources["additionalProperties"]["x-kubernetes-int-or-string"] is True
    assert spec["properties"]["successPolicy"]["enum"] == ["", "AllWorkers"]
    # kfgen's own fields keep their descriptions (kubectl explain).
    for path, node in _nodes(spec):
        if "template" not in path and "type" in node:
            assert node.get("description"), path


def test_openapi_schema_pod_template_comes_from_kubernetes() -> None:
    template = _template(tfjob_openapi_schema())
    assert template["type"] == "object"
    assert set(template["properties"]) == {"metadata", "spec"}
    assert set(template["properties"]["metadata"]["properties"]) == {
        "annotations", "finalizers", "labels", "name", "namespace"}
    pod = template["properties"]["spec"]
    assert pod["required"] == ["containers"]
    # Fields kfgen does not model are described by the Kubernetes schema.
    assert {"affinity", "priorityClassName", "topologySpreadConstraints", "ephemeralContainers",
            "resourceClaims", "schedulingGates"} <= set(pod["properties"])
    container = pod["properties"]["containers"]["items"]
    ports = container["properties"]["ports"]
    assert ports["x-kubernetes-list-type"] == "map"
    assert ports["items"]["properties"]["protocol"]["default"] == "TCP"
    limit = container["properties"]["resources"]["properties"]["limits"]["additionalProperties"]
    assert limit == {"x-kubernetes-int-or-string": True, "anyOf": INT_OR_STRING_ANYOF,
                     "pattern": QUANTITY_PATTERN}
    probe_port = container["properties"]["readinessProbe"]["properties"]["tcpSocket"][
        "properties"]["port"]
    assert probe_port == {"x-kubernetes-int-or-string": True, "anyOf": INT_OR_STRING_ANYOF}
    # Kubernetes' own descriptions are dropped to keep the CRD small.
    assert not any("description" in node for _, node in _nodes(pod))


def _without_strictness(node: Any) -> Any:
    if isinstance(node, dict):
        return {k: _without_strictness(v) for k, v in node.items() if not (k == "additionalProperties" and v is False)}
    if isinstance(node, list):
        return [_without_strictness(v) for v in node]
    return node


def test_validation_schema_is_strict_everywhere() -> None:
    schema = tfjob_validation_schema()
    strict_paths = {path for path, node in _nodes(schema) if node.get("additionalProperties") is False}
    replica = ("properties", "spec", "properties", "tfReplicaSpecs", "additionalProperties")
    assert {
        (),
        ("properties", "spec"),
        replica,
        ("properties", "spec", "properties", "runPolicy"),
        ("properties", "spec", "properties", "runPolicy", "properties", "schedulingPolicy"),
        (*replica, "properties", "template"),
        (*replica, "properties", "template", "properties", "metadata"),
        (*replica, "properties", "template", "properties", "spec"),
        (*replica, "properties", "template", "properties", "spec", "properties", "containers", "items"),
    } <= strict_paths
    # every object with properties refuses unknown fields (status and free-form maps stay open)
    open_objects = [path for path, node in _nodes(schema)
                    if node.get("type") == "object" and "properties" in node and "additionalProperties" not in node]
    assert open_objects == []
    replicas = schema["properties"]["spec"]["properties"]["tfReplicaSpecs"]
    assert replicas["propertyNames"] == {"enum": list(REPLICA_TYPES)}
    assert schema["properties"]["apiVersion"]["enum"] == ["kubeflow.org/v1"]
    assert schema["properties"]["kind"]["enum"] == ["TFJob"]
    assert set(schema["required"]) == {"apiVersion", "kind", "metadata", "spec"}
    # Declared, so that tools defaulting to draft 4 (kubeconform) honour propertyNames.
    assert schema["$schema"] == "http://json-schema.org/draft-07/schema#"
    assert jsonschema.validators.validator_for(schema) is jsonschema.Draft7Validator
    # The pod spec is the CRD's, plus additionalProperties: false (embedded metadata: the whole ObjectMeta, strict).
    strict_template, crd_template = _template(schema), _template(tfjob_openapi_schema())
    strict_pod, crd_pod = strict_template["properties"]["spec"], crd_template["properties"]["spec"]
    assert strict_pod.keys() - {"additionalProperties"} == crd_pod.keys()
    assert strict_pod["properties"].keys() == crd_pod["properties"].keys()
    assert _without_strictness(strict_pod["properties"]["containers"]) == crd_pod["properties"]["containers"]
    assert {"generateName", "uid"} <= set(strict_template["properties"]["metadata"]["properties"])


@pytest.mark.parametrize("where, body", [
    ("container", {"containers": [{"name": "tensorflow", "image": "x:1", "imagePullPolicyy": "Always"}]}),
    ("pod spec", {"containers": [{"name": "tensorflow", "image": "x:1"}], "nodeSelectorr": {}}),
    ("volume", {"containers": [{"name": "tensorflow", "image": "x:1"}],
                "volumes": [{"name": "v", "emptyDir": {"medium": "Memory", "sizelimit": "1Gi"}}]}),
    ("env", {"containers": [{"name": "tensorflow", "image": "x:1",
                             "env": [{"name": "A",
                                      "valueFrom": {"secretKeyRef": {"name": "s", "key": "k", "x": 1}}}]}]}),
])
def test_validation_schema_refuses_unknown_fields_in_the_pod_template(where: str, body: dict[str, Any]) -> None:
    job = {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "x"},
           "spec": {"tfReplicaSpecs": {"Worker": {"template": {"spec": body}}}}}
    schema = tfjob_validation_schema()
    errors = list(jsonschema.validators.validator_for(schema)(schema).iter_errors(job))
    assert any("was unexpected" in e.message for e in errors), where
    # the CRD itself stays structural: the server prunes unknown fields instead
    crd = tfjob_openapi_schema()
    assert not list(jsonschema.validators.validator_for(crd)(crd).iter_errors(job))


def test_schemas_are_deterministic_and_fresh_copies() -> None:
    first, second = tfjob_openapi_schema(), tfjob_openapi_schema()
    assert first == second and first is not second
    assert json.dumps(first) == json.dumps(second)  # same key order too
    first["properties"]["spec"]["properties"].clear()
    assert tfjob_openapi_schema() == second
    assert json.dumps(tfjob_validation_schema()) == json.dumps(tfjob_validation_schema())
    assert tfjob_crd() == tfjob_crd()


def test_schema_is_identical_in_a_fresh_interpreter() -> None:
    # Guards against hash-seed dependent ordering (set iteration etc.).
    code = "import json, kfgen.kube.tfjob as t; print(json.dumps(t.tfjob_crd()))"
    outputs = {
        subprocess.run(
            [sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True, text=True,
            env={"PYTHONHASHSEED": seed, "PATH": ""},
        ).stdout
        for seed in ("1", "2")
    }
    assert len(outputs) == 1
    assert json.loads(outputs.pop()) == tfjob_crd()


def test_import_is_light() -> None:
    code = (
        "import sys, kfgen.kube.tfjob; "
        "print(sorted(m for m in ('yaml', 'jsonschema', 'kubernetes_validate') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, check=True, capture_output=True,
                         text=True).stdout
    assert out.strip() == "[]"


# --------------------------------------------------------------------------------------
# CRD
# --------------------------------------------------------------------------------------


def test_crd_shape() -> None:
    crd = tfjob_crd()
    assert crd["apiVersion"] == "apiextensions.k8s.io/v1"
    assert crd["kind"] == "CustomResourceDefinition"
    assert crd["metadata"] == {"name": "tfjobs.kubeflow.org"}
    spec = crd["spec"]
    assert spec["group"] == "kubeflow.org" and spec["scope"] == "Namespaced"
    assert spec["names"] == {"kind": "TFJob", "listKind": "TFJobList", "plural": "tfjobs",
                             "singular": "tfjob"}
    (version,) = spec["versions"]
    assert version["name"] == "v1" and version["served"] is True and version["storage"] is True
    assert version["subresources"] == {"status": {}}
    assert version["additionalPrinterColumns"] == [
        {"name": "State", "type": "string", "jsonPath": ".status.conditions[-1:].type"},
        {"name": "Age", "type": "date", "jsonPath": ".metadata.creationTimestamp"},
    ]
    assert version["schema"]["openAPIV3Schema"] == tfjob_openapi_schema()


def test_crd_labels_are_copied() -> None:
    labels = {"app.kubernetes.io/part-of": "kubeflow"}
    crd = tfjob_crd(labels)
    assert crd["metadata"]["labels"] == labels
    crd["metadata"]["labels"]["x"] = "y"
    assert labels == {"app.kubernetes.io/part-of": "kubeflow"}
    assert "labels" not in tfjob_crd({})["metadata"]


def test_crd_survives_yaml_round_trip() -> None:
    text = yaml.safe_dump(tfjob_crd(), sort_keys=True)
    assert yaml.safe_load(text) == tfjob_crd()
    assert 1000 < len(text.splitlines()) < 8000


def test_crd_matches_upstream_metadata_and_fields() -> None:
    upstream = _upstream_crd()
    ours = tfjob_crd()
    assert ours["metadata"]["name"] == upstream["metadata"]["name"]
    for key in ("group", "names", "scope"):
        assert ours["spec"][key] == upstream["spec"][key], key
    (up_version,) = upstream["spec"]["versions"]
    (our_version,) = ours["spec"]["versions"]
    for key in ("name", "served", "storage", "subresources"):
        assert our_version[key] == up_version[key], key
    key_of = lambda col: (col["name"], col["type"], col["jsonPath"])  # noqa: E731
    assert sorted(map(key_of, our_version["additionalPrinterColumns"])) == sorted(
        map(key_of, up_version["additionalPrinterColumns"]))

    up, our = up_version["schema"]["openAPIV3Schema"], our_version["schema"]["openAPIV3Schema"]
    assert set(our["properties"]) == set(up["properties"])

    def fields(schema: dict, *path: str) -> set[str]:
        for name in path:
            schema = schema["properties"][name] if name != "*" else schema["additionalProperties"]
        return set(schema["properties"])

    for path in (("spec",), ("spec", "runPolicy"), ("spec", "runPolicy", "schedulingPolicy"),
                 ("spec", "tfReplicaSpecs", "*")):
        assert fields(our, *path) == fields(up, *path), path
    # Kubernetes 1.37's PodSpec is a superset of the one upstream was generated from.
    pod = ("spec", "tfReplicaSpecs", "*", "template", "spec")
    assert fields(our, *pod) >= fields(up, *pod)
    up_container = set(up["properties"]["spec"]["properties"]["tfReplicaSpecs"]
                       ["additionalProperties"]["properties"]["template"]["properties"]["spec"]
                       ["properties"]["containers"]["items"]["properties"])
    our_container = set(_template(our)["properties"]["spec"]["properties"]["containers"]["items"]
                        ["properties"])
    assert our_container >= up_container


# --------------------------------------------------------------------------------------
# kubeconform (how kfgen validates its rendered output offline)
# --------------------------------------------------------------------------------------


def _kubeconform() -> str | None:
    tools_dir = Path(os.environ.get("KFGEN_TOOLS_DIR", Path.home() / ".cache" / "kfgen" / "bin"))
    candidate = tools_dir / "kubeconform"
    return str(candidate) if os.access(candidate, os.X_OK) else shutil.which("kubeconform")


@pytest.mark.kubeconform
def test_kubeconform_with_validation_schema(tmp_path: Path) -> None:
    binary = _kubeconform()
    if binary is None:
        pytest.skip("kubeconform not found (build it with scripts/tools.sh kubeconform)")
    (tmp_path / "kubeflow.org").mkdir()
    (tmp_path / "kubeflow.org" / "tfjob_v1.json").write_text(json.dumps(tfjob_validation_schema()))
    docs = []
    for name in sorted(VALID):
        job = _valid(name)
        job["metadata"]["name"] = f"valid-{name}"
        docs.append(job)
    for name in sorted(INVALID):
        job = _invalid(name)
        job["metadata"]["name"] = f"invalid-{name}"
        docs.append(job)
    manifest = tmp_path / "tfjobs.yaml"
    manifest.write_text(yaml.safe_dump_all(docs))
    location = str(tmp_path) + "/{{ .Group }}/{{ .ResourceKind }}_{{ .ResourceAPIVersion }}.json"
    # Only our schema location: no default registry, so no network access.
    proc = subprocess.run(
        [binary, "-output", "json", "-verbose", "-schema-location", location, str(manifest)],
        capture_output=True, text=True, timeout=120,
    )
    results = {r["name"]: r for r in json.loads(proc.stdout)["resources"]}
    assert len(results) == len(docs), proc.stdout + proc.stderr
    for name, result in results.items():
        expected = "statusValid" if name.startswith("valid-") else "statusInvalid"
        assert result["status"] == expected, (name, result.get("msg"))


def test_kubeconform_refuses_unknown_fields_in_the_pod_template(tmp_path: Path) -> None:
    """`kfgen schemas export` + kubeconform: a typo inside a TFJob container is caught, as in a Deployment."""
    from kfgen.output.yaml import to_yaml
    from kfgen.validate.export import export_schemas
    from kfgen.validate.kubeconform import find_kubeconform, kubeconform

    binary = find_kubeconform()
    if binary is None:
        pytest.skip("kubeconform not found (scripts/tools.sh kubeconform builds it)")
    schemas = tmp_path / "schemas"
    export_schemas(schemas, "1.37", kinds=[("v1", "Pod")])
    good = {"apiVersion": "kubeflow.org/v1", "kind": "TFJob", "metadata": {"name": "ok", "namespace": "kubeflow"},
            "spec": {"tfReplicaSpecs": {"Worker": {"replicas": 1, "template": {
                "metadata": {"annotations": {"sidecar.istio.io/inject": "false"}},
                "spec": {"containers": [{"name": "tensorflow", "image": "x:1", "imagePullPolicy": "Always"}],
                         "volumes": [{"name": "dshm", "emptyDir": {"medium": "Memory"}}]}}}}}}
    bad = copy.deepcopy(good)
    bad["metadata"]["name"] = "typo"
    container = bad["spec"]["tfReplicaSpecs"]["Worker"]["template"]["spec"]["containers"][0]
    container["imagePullPolicyy"] = container.pop("imagePullPolicy")
    (tmp_path / "good.yaml").write_text(to_yaml(good), encoding="utf-8")
    (tmp_path / "bad.yaml").write_text(to_yaml(bad), encoding="utf-8")
    assert kubeconform([tmp_path / "good.yaml"], schemas, binary).findings == []
    findings = kubeconform([tmp_path / "bad.yaml"], schemas, binary).findings
    assert findings and any("imagePullPolicyy" in f.message for f in findings), findings
