"""tf-serving: parameter variations no reference covers (table-driven), secret handling, and every
rendered object validated against the strict Kubernetes schemas of its kind.

The comparison with ksonnet's render (c-tf-serving-gpu, also with deployHttpProxy), and the one list of
deliberate differences, are in test_parity.py."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import walk
from pydantic import ValidationError

from kfgen.errors import KfgenError
from kfgen.kube.constants import GPU_RESOURCE as GPU
from kfgen.prototypes import tf_serving
from kfgen.prototypes.base import RenderContext, Rendered, prototypes
from kfgen.render.checks import pod_groups

NS = "kubeflow"
MODEL_PATH = "gs://kubeflow-models/inception"

def ctx(instance: str = "inception", namespace: str = NS) -> RenderContext:
    return RenderContext(profile="test", instance=instance, namespace=namespace, kubernetes_version="1.37")


def render(params: dict[str, Any], instance: str = "inception", namespace: str = NS) -> Rendered:
    proto = prototypes()["tf-serving"]
    out = proto.render_instance(ctx(instance, namespace), proto.params.model_validate(params))
    assert_valid(out.objects)
    return out


def assert_valid(objects: list[dict[str, Any]]) -> None:
    """Strict (unknown fields are errors) Kubernetes 1.37 schemas of each kind, and no None anywhere."""
    from kfgen.validate.objects import validate_objects

    assert [f.format() for f in validate_objects(objects, "1.37")] == []
    for node in walk(objects):
        assert node is not None, "a None value was rendered"


def split(objects: list[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    assert [o["kind"] for o in objects] == ["Service", "Deployment", "NetworkPolicy"]
    return objects[0], objects[1]


def containers(deployment: dict[str, Any]) -> list[dict[str, Any]]:
    return deployment["spec"]["template"]["spec"]["containers"]


def server(deployment: dict[str, Any]) -> dict[str, Any]:
    return containers(deployment)[0]


def mappings(service: dict[str, Any]) -> list[dict[str, Any]]:
    text = service["metadata"].get("annotations", {}).get("getambassador.io/config")
    return [d for d in yaml.safe_load_all(text) if d] if text else []


def env_by_name(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in c.get("env", [])}


# --- HTTP proxy ---------------------------------------------------------------------------------


@pytest.mark.parametrize("params, ports, names, rest_flag, rewrites", [
    pytest.param({}, [9000], ["inception"], False, None, id="off"),
    pytest.param({"deployHttpProxy": False}, [9000], ["inception"], False, None, id="off-explicit"),
    pytest.param({"deployHttpProxy": True}, [9000, 8000], ["inception"], True,
                 ["/v1/models/inception", "/v1/models/inception:predict"], id="native-rest"),
    pytest.param({"deployHttpProxy": True, "httpProxyImage": "registry.example/proxy:1"}, [9000, 8000],
                 ["inception", "inception-http-proxy"], False, ["/", "/model/inception:predict"], id="proxy-container"),
])
def test_http_proxy_only_when_deploy_http_proxy(params: dict[str, Any], ports: list[int], names: list[str],
                                                rest_flag: bool, rewrites: list[str] | None) -> None:
    svc, dep = split(render({"modelPath": MODEL_PATH, **params}).objects)
    assert [p["port"] for p in svc["spec"]["ports"]] == ports
    assert [p["name"] for p in svc["spec"]["ports"]] == ["tf-serving", "tf-serving-proxy"][:len(ports)]
    assert [c["name"] for c in containers(dep)] == names
    assert ("--rest_api_port=8000" in server(dep)["args"]) is rest_flag
    maps = mappings(svc)
    if rewrites is None:
        assert maps == [] and "annotations" not in svc["metadata"]
    else:
        assert [(m["name"], m["method"], m["prefix"], m["service"], m["rewrite"]) for m in maps] == [
            ("tfserving-mapping-inception-get", "GET", "/models/inception/", "inception.kubeflow:8000", rewrites[0]),
            ("tfserving-mapping-inception-post", "POST", "/models/inception/", "inception.kubeflow:8000", rewrites[1])]
        # something listens on 8000 in the pod
        assert 8000 in [p["containerPort"] for c in containers(dep) for p in c.get("ports", [])]


@pytest.mark.parametrize("value", ["true", "false", "True", 1, 0, None])
def test_deploy_http_proxy_must_be_a_real_boolean(value: Any) -> None:
    with pytest.raises(ValidationError) as info:
        tf_serving.TfServingParams.model_validate({"modelPath": MODEL_PATH, "deployHttpProxy": value})
    assert "deployHttpProxy" in str(info.value) and "valid boolean" in str(info.value)


def test_model_name_routes_and_flags() -> None:
    svc, dep = split(render({"modelPath": MODEL_PATH, "modelName": "resnet", "deployHttpProxy": True}, "serve").objects)
    assert "--model_name=resnet" in server(dep)["args"]
    assert [m["prefix"] for m in mappings(svc)] == ["/models/resnet/"] * 2
    assert [m["name"] for m in mappings(svc)] == ["tfserving-mapping-serve-get", "tfserving-mapping-serve-post"]
    assert [m["service"] for m in mappings(svc)] == ["serve.kubeflow:8000"] * 2
    assert svc["metadata"]["name"] == dep["metadata"]["name"] == server(dep)["name"] == "serve"


def test_model_name_defaults_to_instance() -> None:
    _, dep = split(render({"modelPath": MODEL_PATH}, "mnist").objects)
    assert server(dep)["args"] == ["--port=9000", "--model_name=mnist", f"--model_base_path={MODEL_PATH}"]


# --- GPUs, images, resources, service --------------------------------------------------------------


@pytest.mark.parametrize("params, image, gpus", [
    pytest.param({}, tf_serving.DEFAULT_IMAGE, None, id="cpu"),
    pytest.param({"numGpus": 1}, tf_serving.DEFAULT_IMAGE_GPU, 1, id="one-gpu"),
    pytest.param({"numGpus": 2}, tf_serving.DEFAULT_IMAGE_GPU, 2, id="two-gpus"),
    pytest.param({"modelServerImage": "registry.example/serving:7"}, "registry.example/serving:7", None,
                 id="override-cpu"),
    pytest.param({"numGpus": 1, "modelServerImage": "registry.example/serving:7"}, "registry.example/serving:7", 1,
                 id="override-gpu"),
])
def test_num_gpus_switches_image_and_limits(params: dict[str, Any], image: str, gpus: int | None) -> None:
    _, dep = split(render({"modelPath": MODEL_PATH, "replicas": 2, **params}).objects)
    assert server(dep)["image"] == image
    assert server(dep)["resources"]["limits"].get(GPU) == (None if gpus is None else str(gpus))
    assert GPU not in server(dep)["resources"]["requests"]
    assert [(g.replicas, g.gpus) for g in pod_groups(dep)] == [(2, gpus or 0)]  # the GPU budget check sees them


def test_default_images_are_pinned() -> None:
    for image in (tf_serving.DEFAULT_IMAGE, tf_serving.DEFAULT_IMAGE_GPU):
        assert re.match(r"^tensorflow/serving:2\.\d+\.\d+(-gpu)?$", image)


@pytest.mark.parametrize("resources, expected", [
    pytest.param(None, {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "4", "memory": "4Gi"}},
                 id="ksonnet-defaults"),
    pytest.param({"limits": {"cpu": "8", "memory": "16Gi"}},
                 {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "8", "memory": "16Gi"}},
                 id="limits-replaced"),
    pytest.param({"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                 {"requests": {"cpu": "250m", "memory": "512Mi"}, "limits": {"cpu": "1", "memory": "1Gi"}},
                 id="both-replaced"),
])
def test_resources(resources: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    params = {"modelPath": MODEL_PATH} | ({"resources": resources} if resources is not None else {})
    _, dep = split(render(params).objects)
    assert server(dep)["resources"] == expected


def test_a_cluster_ip_service_needs_no_opt_in() -> None:
    out = render({"modelPath": MODEL_PATH})
    svc, _ = split(out.objects)
    assert svc["spec"]["type"] == "ClusterIP" and out.warnings == []


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer"])
def test_an_exposed_service_is_refused_without_its_opt_in(service_type: str) -> None:
    """TF Serving authenticates nobody: a Service reachable from outside the cluster is an error at serviceType,
    naming what anyone who reaches it gets and the way out (port-forward, or the opt-in)."""
    with pytest.raises(KfgenError) as info:
        render({"modelPath": MODEL_PATH, "serviceType": service_type, "deployHttpProxy": True})
    [problem] = info.value.problems
    assert problem.path == ("components", "inception", "params", "serviceType")
    assert problem.message == (f"Service inception is reachable from outside the cluster (serviceType: "
                               f"{service_type}) and TF Serving authenticates nobody: anyone who reaches it queries "
                               "model inception (gRPC 9000 and HTTP 8000) and reads its metadata")
    assert problem.found == service_type and (problem.expected or "").startswith("ClusterIP")
    assert "`kubectl -n kubeflow port-forward svc/inception 9000:9000`" in (problem.hint or "")
    assert "allowUnauthenticatedExternalAccess: true accepts the risk" in (problem.hint or "")


@pytest.mark.parametrize("service_type", ["NodePort", "LoadBalancer"])
def test_the_opt_in_exposes_the_service_with_a_warning(service_type: str) -> None:
    out = render({"modelPath": MODEL_PATH, "serviceType": service_type, "allowUnauthenticatedExternalAccess": True})
    svc, _ = split(out.objects)
    assert svc["spec"]["type"] == service_type
    assert out.warnings == [f"Service inception is exposed outside the cluster (serviceType: {service_type}) "
                            "without authentication (allowUnauthenticatedExternalAccess: true): anyone who reaches "
                            "it queries model inception (gRPC 9000)"]


def test_the_exposure_error_is_at_the_profile_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from typer.testing import CliRunner

    from kfgen.cli import app

    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "p.yaml").write_text(
        "namespace: team-a\ncomponents:\n  serve:\n    prototype: tf-serving\n    params:\n"
        "      modelPath: /models/m\n      serviceType: NodePort\n")
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "p", "--profiles-dir", "profiles", "--out-dir", "out"])
    assert res.exit_code == 2, res.output
    assert ("error: profiles/p.yaml:7: components.serve.params.serviceType: Service serve is reachable from outside "
            "the cluster (serviceType: NodePort)") in res.stderr
    assert not (tmp_path / "out" / "p").exists()


def test_pod_basics() -> None:
    _, dep = split(render({"modelPath": MODEL_PATH, "replicas": 3}).objects)
    assert dep["spec"]["replicas"] == 3
    assert server(dep)["readinessProbe"]["tcpSocket"] == {"port": 9000}
    assert dep["spec"]["template"]["spec"]["securityContext"] == {"fsGroup": 1000, "runAsUser": 1000}
    assert "volumes" not in dep["spec"]["template"]["spec"] and "env" not in server(dep)


# --- S3 and GCP: references to secrets, never values -----------------------------------------------

SECRET_VALUE_SENTINELS = ("AKIA", "wJalrXUtnFEMI")  # shapes of real AWS keys: must never appear


@pytest.mark.parametrize("params, plain", [
    pytest.param({"s3SecretName": "aws-creds"},
                 {"AWS_REGION": "us-west-1", "S3_REGION": "us-west-1", "S3_USE_HTTPS": "1", "S3_VERIFY_SSL": "1"},
                 id="defaults"),
    pytest.param({"s3SecretName": "minio", "s3AwsRegion": "eu-central-1", "s3UseHttps": False, "s3VerifySsl": False,
                  "s3Endpoint": "minio.minio:9000", "s3SecretAccesskeyidKeyName": "accesskey",
                  "s3SecretSecretaccesskeyKeyName": "secretkey"},
                 {"AWS_REGION": "eu-central-1", "S3_REGION": "eu-central-1", "S3_USE_HTTPS": "0", "S3_VERIFY_SSL": "0",
                  "S3_ENDPOINT": "minio.minio:9000"}, id="minio"),
])
def test_s3_credentials_are_secret_references(params: dict[str, Any], plain: dict[str, str]) -> None:
    out = render({"modelPath": "s3://bucket/model", "s3Enable": True, **params})
    svc, dep = split(out.objects)
    env = env_by_name(server(dep))
    assert set(env) == {"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY"} | set(plain)
    for var, key_param, default in (
            ("AWS_ACCESS_KEY_ID", "s3SecretAccesskeyidKeyName", "AWS_ACCESS_KEY_ID"),
            ("AWS_SECRET_ACCESS_KEY", "s3SecretSecretaccesskeyKeyName", "AWS_SECRET_ACCESS_KEY")):
        assert env[var] == {"name": var, "valueFrom": {"secretKeyRef": {"name": params["s3SecretName"],
                                                                        "key": params.get(key_param, default)}}}
        assert "value" not in env[var]
    assert {k: e["value"] for k, e in env.items() if "value" in e} == plain
    assert all(o["kind"] != "Secret" for o in out.objects)
    text = yaml.safe_dump_all(out.objects)
    assert not any(s in text for s in SECRET_VALUE_SENTINELS)
    # S3 does not bring the HTTP proxy with it (ksonnet's defect)
    assert [p["port"] for p in svc["spec"]["ports"]] == [9000] and len(containers(dep)) == 1
    assert any("cannot read s3:// paths" in w for w in out.warnings)


def test_s3_warning_silenced_by_an_s3_capable_image() -> None:
    out = render({"modelPath": "s3://bucket/model", "s3Enable": True, "s3SecretName": "aws",
                  "modelServerImage": "registry.example/serving-s3:2.18"})
    assert out.warnings == []
    out = render({"modelPath": "s3://bucket/model", "modelServerImage": "registry.example/serving-s3:2.18"})
    assert out.warnings == ["modelPath is on S3 but s3Enable is false: no S3 credentials or region are configured"]


@pytest.mark.parametrize("key_name, path", [(None, "/secret/gcp-credentials/key.json"),
                                            ("user-gcp-sa.json", "/secret/gcp-credentials/user-gcp-sa.json")])
def test_gcp_credentials_are_a_mounted_secret(key_name: str | None, path: str) -> None:
    params = {"modelPath": MODEL_PATH, "cloud": "gcp", "gcpCredentialSecretName": "user-gcp-sa"}
    if key_name:
        params["gcpCredentialSecretKeyName"] = key_name
    out = render(params)
    svc, dep = split(out.objects)
    assert dep["spec"]["template"]["spec"]["volumes"] == [
        {"name": "gcp-credentials", "secret": {"secretName": "user-gcp-sa"}}]
    assert server(dep)["volumeMounts"] == [
        {"name": "gcp-credentials", "mountPath": "/secret/gcp-credentials", "readOnly": True}]
    assert env_by_name(server(dep)) == {
        "GOOGLE_APPLICATION_CREDENTIALS": {"name": "GOOGLE_APPLICATION_CREDENTIALS", "value": path}}
    assert all(o["kind"] != "Secret" for o in out.objects)
    # GCP does not bring the HTTP proxy with it (ksonnet's defect)
    assert [p["port"] for p in svc["spec"]["ports"]] == [9000] and len(containers(dep)) == 1
    assert out.warnings == []


def test_s3_and_gcp_together() -> None:
    _, dep = split(render({"modelPath": MODEL_PATH, "cloud": "gcp", "gcpCredentialSecretName": "sa",
                           "s3Enable": True, "s3SecretName": "aws"}).objects)
    assert {"AWS_ACCESS_KEY_ID", "GOOGLE_APPLICATION_CREDENTIALS"} <= set(env_by_name(server(dep)))


# --- invalid params -------------------------------------------------------------------------------


@pytest.mark.parametrize("params, fragment", [
    pytest.param({}, "modelPath\n  Field required", id="model-path-missing"),
    pytest.param({"modelPath": ""}, "pattern", id="model-path-empty"),
    pytest.param({"modelPath": MODEL_PATH, "modelpath": "x"}, "Extra inputs are not permitted", id="unknown-param"),
    pytest.param({"modelPath": MODEL_PATH, "s3Enable": True}, "s3Enable needs s3SecretName", id="s3-without-secret"),
    pytest.param({"modelPath": MODEL_PATH, "s3SecretName": "aws"}, "only apply with s3Enable",
                 id="s3-setting-without-enable"),
    pytest.param({"modelPath": MODEL_PATH, "s3Enable": True, "s3SecretName": "aws", "s3UseHttps": "false"},
                 "valid boolean", id="s3-bool-as-string"),
    pytest.param({"modelPath": MODEL_PATH, "cloud": "gcp"}, "set gcpCredentialSecretName", id="gcp-without-secret"),
    pytest.param({"modelPath": MODEL_PATH, "gcpCredentialSecretName": "sa"}, "only apply with cloud: gcp",
                 id="gcp-secret-without-cloud"),
    pytest.param({"modelPath": MODEL_PATH, "cloud": "aws"}, "'gcp'", id="unknown-cloud"),
    pytest.param({"modelPath": MODEL_PATH, "httpProxyImage": "registry.example/proxy:1"},
                 "only applies with deployHttpProxy", id="proxy-image-without-proxy"),
    pytest.param({"modelPath": MODEL_PATH, "numGpus": "1"}, "valid integer", id="gpus-as-string"),
    pytest.param({"modelPath": MODEL_PATH, "numGpus": -1}, "greater than or equal to 0", id="negative-gpus"),
    pytest.param({"modelPath": MODEL_PATH, "numGpus": 2 ** 31}, "less than or equal to 2147483647", id="int32-gpus"),
    pytest.param({"modelPath": MODEL_PATH, "replicas": 2 ** 31}, "less than or equal to 2147483647",
                 id="int32-replicas"),
    pytest.param({"modelPath": MODEL_PATH, "resources": {"requests": {"memory": "9e99999999"}}},
                 "too large for a Kubernetes quantity", id="quantity-overflow"),
    pytest.param({"modelPath": MODEL_PATH, "serviceType": "Ingress"}, "'ClusterIP', 'NodePort' or 'LoadBalancer'",
                 id="service-type"),
    pytest.param({"modelPath": MODEL_PATH, "modelName": "my model"}, "pattern", id="model-name-with-space"),
    pytest.param({"modelPath": MODEL_PATH, "modelName": "a\nrewrite: /evil"}, "pattern", id="model-name-injection"),
    pytest.param({"modelPath": MODEL_PATH, "resources": {"limits": {"cpu": "4", "memory": "4Gi", GPU: 1}}},
                 "set GPUs with numGpus", id="gpu-in-resources"),
    pytest.param({"modelPath": MODEL_PATH, "resources": {"requests": {"cpu": "1"}}},
                 "every container has CPU and memory requests and limits: set requests.memory",
                 id="no-memory-request"),
    pytest.param({"modelPath": MODEL_PATH, "resources": {"limits": {"memory": "512Mi"}}},
                 "requests.memory (1Gi) is more than limits.memory (512Mi)", id="limit-below-default-request"),
    pytest.param({"modelPath": MODEL_PATH, "modelServerImage": "Not An Image"}, "pattern", id="bad-image"),
    pytest.param({"modelPath": MODEL_PATH, "nodeSelector": {"bad key!": "x"}}, "pattern", id="bad-node-label"),
    pytest.param({"modelPath": MODEL_PATH, "tolerations": [{"key": "gpu", "operator": "Exists", "value": "x"}]},
                 "operator Exists takes no value", id="bad-toleration"),
])
def test_invalid_tf_serving_params(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError) as info:
        tf_serving.TfServingParams.model_validate(params)
    assert fragment in str(info.value)


GPU_TOLERATION = {"key": GPU, "operator": "Exists", "effect": "NoSchedule"}


@pytest.mark.parametrize("params, tolerations", [
    pytest.param({}, None, id="cpu-none"),
    pytest.param({"numGpus": 1}, [GPU_TOLERATION], id="gpu-tolerates-the-gpu-taint"),
    pytest.param({"numGpus": 1, "tolerations": []}, None, id="gpu-none-when-empty"),
    pytest.param({"numGpus": 1, "tolerations": [{"key": "pool", "operator": "Equal", "value": "ml",
                                                 "effect": "NoSchedule"}]},
                 [{"key": "pool", "operator": "Equal", "value": "ml", "effect": "NoSchedule"}], id="given-replace"),
    pytest.param({"tolerations": [{"operator": "Exists"}]}, [{"operator": "Exists"}], id="cpu-given"),
])
def test_tolerations(params: dict[str, Any], tolerations: list[dict[str, Any]] | None) -> None:
    _, dep = split(render({"modelPath": MODEL_PATH, **params}).objects)
    assert dep["spec"]["template"]["spec"].get("tolerations") == tolerations


def test_node_selector() -> None:
    _, dep = split(render({"modelPath": MODEL_PATH, "nodeSelector": {"pool": "gpu", "example.com/zone": "a"}}).objects)
    assert dep["spec"]["template"]["spec"]["nodeSelector"] == {"example.com/zone": "a", "pool": "gpu"}
    _, dep = split(render({"modelPath": MODEL_PATH}).objects)
    assert "nodeSelector" not in dep["spec"]["template"]["spec"]


def test_registered_and_documented() -> None:
    proto = prototypes()["tf-serving"]
    assert proto.ksonnet == "io.ksonnet.pkg.tf-serving"
    for field_name, field in proto.params.model_fields.items():
        assert field.description, f"tf-serving.{field_name} has no description"


def test_profile_errors_name_the_field(tmp_path: Path) -> None:
    from kfgen.errors import KfgenError
    from kfgen.profile import load_profile, validate_profile

    (tmp_path / "p.yaml").write_text("""\
namespace: kubeflow
components:
  serve:
    prototype: tf-serving
    params:
      numGpus: 1
      deployHttpProxy: "true"
""")
    with pytest.raises(KfgenError) as info:
        validate_profile(load_profile(tmp_path, "p"))
    found = {(p.path[-1], p.line) for p in info.value.problems}
    assert found == {("modelPath", 5), ("deployHttpProxy", 7)}
