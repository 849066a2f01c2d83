"""The objects of a profile using every new tf-job shape, the volume, nvidia-device-plugin and manifests
prototypes and patches, applied (server-side) to the real kube-apiserver of the test session: the API server
accepts them all, and stores the TFJob without pruning a field (the CRD's schema knows every field rendered)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.kube.tfjob import tfjob_crd
from kfgen.output.yaml import to_yaml

pytestmark = pytest.mark.apiserver

NS = "kfgen-workloads"
PROFILE = f"""\
namespace: {NS}
cluster:
  nodes:
    - {{name: gpu-1, gpus: 2, cpu: "16", memory: 64Gi}}
    - {{name: cpu-1, cpu: "8", memory: 32Gi}}
components:
  train:
    prototype: tf-job
    params:
      name: mnist
      image: registry.example/train:1.0
      num_masters: 1
      num_ps: 1
      num_workers: 2
      num_evaluators: 1
      num_gpus: 1
      args: [--epochs=1]
      env:
        PASSWORD: {{secretKeyRef: {{name: db, key: password}}}}
        MODE: {{configMapKeyRef: {{name: settings, key: mode}}}}
        POD: {{fieldRef: {{fieldPath: metadata.name}}}}
      envFrom: [{{configMapRef: {{name: settings}}}}]
      ports: [{{containerPort: 6006, name: tensorboard}}]
      imagePullPolicy: IfNotPresent
      replicaSpecs:
        Chief: {{image: "registry.example/chief:1.0", restartPolicy: ExitCode}}
        Evaluator: {{args: [--eval], restartPolicy: Never}}
      volumes:
        - {{claimName: data, mountPath: /data}}
        - {{name: dshm, mountPath: /dev/shm, emptyDir: {{medium: Memory, sizeLimit: 1Gi}}}}
        - {{name: cfg, mountPath: /etc/train, configMap: {{name: settings}}}}
        - {{name: creds, mountPath: /secrets, secret: {{secretName: db}}}}
      podAnnotations: {{sidecar.istio.io/inject: "false"}}
      podLabels: {{team: ml}}
      schedulerName: volcano
      priorityClassName: training
      imagePullSecrets: [regcred]
      affinity:
        nodeAffinity:
          preferredDuringSchedulingIgnoredDuringExecution:
            - {{weight: 1, preference: {{matchExpressions: [{{key: pool, operator: In, values: [gpu]}}]}}}}
      securityContext: {{runAsUser: 1000, fsGroup: 1000}}
      successPolicy: AllWorkers
      runPolicy:
        suspend: true
        cleanPodPolicy: Running
        schedulingPolicy: {{minAvailable: 5, queue: research, priorityClass: training}}
    patches:
      - target: {{kind: TFJob, name: mnist}}
        merge: {{spec: {{tfReplicaSpecs: {{Worker: {{template: {{spec: {{hostIPC: false}}}}}}}}}}}}
      - target: {{kind: TFJob, name: mnist}}
        jsonPatch: [{{op: add, path: /metadata/annotations, value: {{owner: ml-team}}}}]
  data:
    prototype: volume
    params: {{storage: 10Gi, accessModes: [ReadWriteMany], nfs: {{server: 10.0.0.5, path: /exports/data}}}}
  scratch:
    prototype: volume
    params: {{storage: 1Gi, storageClassName: standard}}
  gpu-plugin:
    prototype: nvidia-device-plugin
    namespace: kube-system
  extra:
    prototype: manifests
    params:
      allowSecretValues: true  # the test Secret's value is no secret
      objects:
        - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: settings}}, data: {{mode: fast}}}}
        - {{apiVersion: v1, kind: Secret, metadata: {{name: db}}, stringData: {{password: x}}}}
        - {{apiVersion: scheduling.k8s.io/v1, kind: PriorityClass, metadata: {{name: training}}, value: 1000}}
"""


def test_new_shapes_apply_on_the_api_server(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, control_plane) -> None:
    (tmp_path / "profiles").mkdir()
    (tmp_path / "profiles" / "workloads.yaml").write_text(PROFILE)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "workloads", "--profiles-dir", "profiles", "--out-dir", "out"])
    assert res.exit_code == 0, res.output
    files = sorted((tmp_path / "out" / "workloads").glob("*.yaml"))
    kinds = {yaml.safe_load(f.read_text())["kind"] for f in files}
    assert {"TFJob", "PersistentVolume", "PersistentVolumeClaim", "DaemonSet", "ConfigMap", "Secret",
            "PriorityClass", "Namespace"} <= kinds
    # the TFJob CRD (core renders it in a real profile), then everything in file (install) order
    control_plane.kubectl("apply", "--server-side", "--field-manager=kfgen-test", "-f", "-",
                          input=to_yaml(tfjob_crd()))
    deadline = time.monotonic() + 60
    while not any(c.get("type") == "Established" and c.get("status") == "True" for c in control_plane.kubectl_json(
            "get", "crd/tfjobs.kubeflow.org").get("status", {}).get("conditions") or []):
        assert time.monotonic() < deadline, "the TFJob CRD never became Established"
        time.sleep(0.2)
    try:
        for f in files:
            control_plane.kubectl("apply", "--server-side", "--field-manager=kfgen-test", "-f", str(f))
        rendered = yaml.safe_load((tmp_path / "out" / "workloads" / "99-tfjob-mnist.yaml").read_text())
        stored = control_plane.kubectl_json("get", "tfjob.kubeflow.org", "mnist", "-n", NS)
        assert stored["metadata"]["annotations"] == {"owner": "ml-team"}
        # nothing pruned: every rendered field of the spec is stored as rendered (the server may add defaults)
        assert _subset(rendered["spec"], stored["spec"]), (rendered["spec"], stored["spec"])
    finally:
        for f in reversed(files):
            control_plane.kubectl("delete", "--wait=false", "--ignore-not-found", "-f", str(f), check=False)


def _subset(small: object, big: object) -> bool:
    if isinstance(small, dict) and isinstance(big, dict):
        return all(k in big and _subset(v, big[k]) for k, v in small.items())
    if isinstance(small, list) and isinstance(big, list):
        return len(small) == len(big) and all(_subset(a, b) for a, b in zip(small, big, strict=True))
    return small == big
