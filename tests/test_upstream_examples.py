"""The TensorFlow examples of the training operator v1.9.0, expressed as kfgen profiles (tests/fixtures/examples/).

Each profile states one example's deployment with kfgen's prototypes (tf-job, volume; patches only where no
param exists). These tests render each profile through kfgen, validate the objects strictly, and check the
fields that make the deployment what the example deploys: replica types and counts, images, commands and
arguments, restart and clean-up policies, volumes and their mounts, PersistentVolume and claim specs, ports.
kfgen's own additions (its labels, the restricted securityContext, no service-account token, the GPU
toleration, the Namespace object, CPU and memory requests and limits on every container: tf-job's defaults,
as none of the examples sets resources) are checked where they are part of the expectation, not ignored.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from kfgen.actions.workspace import Workspace
from kfgen.kube.constants import GPU_RESOURCE
from kfgen.validate.objects import validate_objects

EXAMPLES = Path(__file__).parent / "fixtures" / "examples"
Json = dict[str, Any]
#: tf-job's default resources (kfgen.prototypes.tf_job.DEFAULT_REQUESTS / DEFAULT_LIMITS): the examples set none.
DEFAULT_REQUESTS = {"cpu": "1", "memory": "1Gi"}
DEFAULT_LIMITS = {"cpu": "2", "memory": "4Gi"}


def render(tmp_path: Path, name: str) -> dict[tuple[str, str], Json]:
    """The objects of profile *name*, strictly valid, by (kind, name); the render gives no warning."""
    profile, result, files = Workspace(EXAMPLES, tmp_path / "out").render(name)
    problems = validate_objects(result.objects, profile.kubernetes_version)
    assert problems == [], [p.format() for p in problems]
    assert result.warnings == []
    assert files  # the files kfgen would write
    objects = {(o["kind"], o["metadata"]["name"]): o for o in result.objects}
    assert len(objects) == len(result.objects)
    for obj in result.objects:
        assert obj["metadata"]["labels"]["kfgen.io/profile"] == name
    return objects


def replicas(job: Json) -> dict[str, int]:
    return {rtype: spec["replicas"] for rtype, spec in job["spec"]["tfReplicaSpecs"].items()}


def pod(job: Json, rtype: str) -> Json:
    spec: Json = job["spec"]["tfReplicaSpecs"][rtype]["template"]["spec"]
    return spec


def only_container(job: Json, rtype: str) -> Json:
    (container,) = pod(job, rtype)["containers"]
    assert container["name"] == "tensorflow"  # the container the training operator looks for
    return container


def check_training_pod(job: Json, rtype: str, gpus: int = 0) -> None:
    """What kfgen adds to every training pod (and the example does not have); *gpus*: the example's own GPU
    limit, the one resource any of them sets."""
    spec = pod(job, rtype)
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}
    container = only_container(job, rtype)
    assert container["securityContext"]["allowPrivilegeEscalation"] is False
    assert container["securityContext"]["capabilities"] == {"drop": ["ALL"]}
    assert "ports" not in container  # none of the examples opens a port
    limits = {**DEFAULT_LIMITS, GPU_RESOURCE: str(gpus)} if gpus else DEFAULT_LIMITS
    assert container["resources"] == {"requests": DEFAULT_REQUESTS, "limits": limits}


def claim_mount(job: Json, rtype: str) -> tuple[str, str]:
    """(claim, mount path) of the replica's one volume, a claim mounted read-write under the examples'
    volume name, training."""
    spec = pod(job, rtype)
    (volume,) = spec["volumes"]
    assert volume["name"] == "training"
    (mount,) = only_container(job, rtype)["volumeMounts"]
    assert mount["name"] == volume["name"] and not mount.get("readOnly") and "subPath" not in mount
    assert set(volume) == {"name", "persistentVolumeClaim"}
    return volume["persistentVolumeClaim"]["claimName"], mount["mountPath"]


def test_simple(tmp_path: Path) -> None:
    objects = render(tmp_path, "simple")
    assert sorted(objects) == [("Namespace", "kubeflow"), ("TFJob", "tfjob-simple")]
    job = objects["TFJob", "tfjob-simple"]
    assert job["apiVersion"] == "kubeflow.org/v1" and job["metadata"]["namespace"] == "kubeflow"
    assert replicas(job) == {"Worker": 2}
    assert job["spec"]["tfReplicaSpecs"]["Worker"]["restartPolicy"] == "OnFailure"
    assert "runPolicy" not in job["spec"]
    container = only_container(job, "Worker")
    assert container["image"] == "kubeflow/tf-mnist-with-summaries:latest"
    assert container["command"] == ["python", "/var/tf_mnist/mnist_with_summaries.py"]
    assert "args" not in container and "volumeMounts" not in container
    assert "volumes" not in pod(job, "Worker") and "tolerations" not in pod(job, "Worker")
    check_training_pod(job, "Worker")
    labels = objects["Namespace", "kubeflow"]["metadata"]["labels"]
    assert labels["pod-security.kubernetes.io/enforce"] == "restricted"


def test_dist_mnist(tmp_path: Path) -> None:
    objects = render(tmp_path, "dist-mnist")
    assert list(objects) == [("TFJob", "dist-mnist-for-e2e-test")]  # namespace default: no Namespace object
    job = objects["TFJob", "dist-mnist-for-e2e-test"]
    assert job["metadata"]["namespace"] == "default"
    assert replicas(job) == {"Chief": 1, "PS": 1, "Worker": 2}
    assert list(job["spec"]["tfReplicaSpecs"]) == ["Chief", "PS", "Worker"]
    for rtype in ("Chief", "PS", "Worker"):
        assert job["spec"]["tfReplicaSpecs"][rtype]["restartPolicy"] == "Never"
        container = only_container(job, rtype)
        assert container["image"] == "kubeflow/tf-dist-mnist-test:latest"
        # the image's own entrypoint runs: no command, no args, nothing mounted (resources: kfgen's, checked below)
        assert not {"command", "args", "volumeMounts", "env"} & set(container)
        assert "volumes" not in pod(job, rtype)
        check_training_pod(job, rtype)
    assert "runPolicy" not in job["spec"]


def test_distribution_strategy(tmp_path: Path) -> None:
    objects = render(tmp_path, "distribution-strategy")
    assert sorted(objects) == [("PersistentVolumeClaim", "strategy-volume"), ("TFJob", "multi-worker")]
    job = objects["TFJob", "multi-worker"]
    assert job["metadata"]["namespace"] == "default"
    assert replicas(job) == {"Worker": 2}
    assert job["spec"]["tfReplicaSpecs"]["Worker"]["restartPolicy"] == "Never"
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "None"}
    container = only_container(job, "Worker")
    assert container["image"] == "kubeflow/tf-multi-worker-strategy:latest"
    assert "command" not in container and "args" not in container
    assert container["resources"]["limits"][GPU_RESOURCE] == "1"  # one GPU per worker (the rest: kfgen's defaults)
    assert pod(job, "Worker")["tolerations"] == [{"key": GPU_RESOURCE, "operator": "Exists", "effect": "NoSchedule"}]
    assert claim_mount(job, "Worker") == ("strategy-volume", "/train")
    check_training_pod(job, "Worker", gpus=1)

    claim = objects["PersistentVolumeClaim", "strategy-volume"]
    assert claim["metadata"]["namespace"] == "default"
    assert claim["metadata"]["labels"]["app"] == "strategy-volume"
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"] == {"requests": {"storage": "10Gi"}}
    assert claim["spec"]["storageClassName"] == "nfs-client"  # a real class for the example's placeholder
    assert "volumeName" not in claim["spec"]  # provisioned by the class, not bound to a static volume


def test_mnist_with_summaries(tmp_path: Path) -> None:
    objects = render(tmp_path, "mnist-with-summaries")
    assert sorted(objects) == [("Namespace", "kubeflow"), ("PersistentVolume", "tfevent-volume"),
                               ("PersistentVolumeClaim", "tfevent-volume"), ("TFJob", "mnist")]
    job = objects["TFJob", "mnist"]
    assert job["metadata"]["namespace"] == "kubeflow"
    assert replicas(job) == {"Worker": 1}
    assert job["spec"]["tfReplicaSpecs"]["Worker"]["restartPolicy"] == "Never"
    assert job["spec"]["runPolicy"] == {"cleanPodPolicy": "None"}
    container = only_container(job, "Worker")
    assert container["image"] == "kubeflow/tf-mnist-with-summaries:latest"
    assert container["command"][:2] == ["python", "/var/tf_mnist/mnist_with_summaries.py"]
    assert container["command"][2:] == ["--log_dir=/train/logs", "--learning_rate=0.01", "--batch_size=150"]
    assert "args" not in container
    assert "tolerations" not in pod(job, "Worker")
    assert claim_mount(job, "Worker") == ("tfevent-volume", "/train")
    check_training_pod(job, "Worker")

    volume = objects["PersistentVolume", "tfevent-volume"]
    assert "namespace" not in volume["metadata"]
    assert {k: volume["metadata"]["labels"][k] for k in ("app", "type")} == {"app": "tfjob", "type": "local"}
    assert volume["spec"]["capacity"] == {"storage": "10Gi"}
    assert volume["spec"]["accessModes"] == ["ReadWriteMany"]
    assert volume["spec"]["hostPath"] == {"path": "/tmp/data"}
    assert volume["spec"]["storageClassName"] == "standard"
    assert volume["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert volume["spec"]["claimRef"] == {"namespace": "kubeflow", "name": "tfevent-volume"}

    claim = objects["PersistentVolumeClaim", "tfevent-volume"]
    assert claim["metadata"]["namespace"] == "kubeflow"
    assert {k: claim["metadata"]["labels"][k] for k in ("app", "type")} == {"app": "tfjob", "type": "local"}
    assert claim["spec"]["accessModes"] == ["ReadWriteMany"]
    assert claim["spec"]["resources"] == {"requests": {"storage": "10Gi"}}
    # bound to that volume, of its class (a class must match on both sides for the claim to bind)
    assert claim["spec"]["volumeName"] == "tfevent-volume"
    assert claim["spec"]["storageClassName"] == volume["spec"]["storageClassName"]


def test_every_fixture_profile_has_its_test() -> None:
    """The fixture directory holds exactly the four profiles tested above (a new one needs its own test)."""
    assert sorted(p.stem for p in EXAMPLES.glob("*.yaml")) == [
        "dist-mnist", "distribution-strategy", "mnist-with-summaries", "simple"]
