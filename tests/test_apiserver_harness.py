"""Tests of tests/apiserver.py: a real etcd + kube-apiserver on loopback, driven with kubectl.

These use the harness directly (their own module-scoped control plane), not the conftest fixture.
There is no controller-manager: see the notes on each test for what that changes.
"""

from __future__ import annotations

import json
import os
import time
import uuid

import pytest

try:
    from apiserver import ControlPlane, ControlPlaneError
except ImportError:  # tests/ imported as a package
    from tests.apiserver import ControlPlane, ControlPlaneError

pytestmark = pytest.mark.apiserver


@pytest.fixture(scope="module")
def cp():
    plane = ControlPlane()
    try:
        plane.start()
    except ControlPlaneError as exc:
        pytest.fail(f"control plane did not start: {exc}", pytrace=False)
    pids, directory = dict(plane.pids), plane.dir
    yield plane
    plane.stop()
    for pid in pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped by stop(): the pid no longer exists
    assert not directory.exists()


def _name(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _app_manifest(ns: str, greeting: str = "hello") -> str:
    return f"""\
apiVersion: v1
kind: Namespace
metadata:
  name: {ns}
---
apiVersion: v1
kind: ConfigMap
metadata:
  name: app-config
  namespace: {ns}
data:
  greeting: {greeting}
---
apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
  namespace: {ns}
  labels:
    app: demo
spec:
  replicas: 2
  selector:
    matchLabels:
      app: demo
  template:
    metadata:
      labels:
        app: demo
    spec:
      serviceAccountName: app-sa
      containers:
      - name: app
        image: registry.example/app:1.0
        envFrom:
        - configMapRef:
            name: app-config
"""


CRD_GROUP = "kfgen.example.com"
CRD_NAME = f"widgets.{CRD_GROUP}"
CRD = f"""\
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: {CRD_NAME}
spec:
  group: {CRD_GROUP}
  scope: Namespaced
  names:
    plural: widgets
    singular: widget
    kind: Widget
  versions:
  - name: v1
    served: true
    storage: true
    schema:
      openAPIV3Schema:
        type: object
        properties:
          spec:
            type: object
            required: [size]
            properties:
              size:
                type: integer
                minimum: 1
              color:
                type: string
                enum: [red, green, blue]
"""


def _widget(name: str, size, color: str = "red") -> str:
    size = json.dumps(size)
    return f"""\
apiVersion: {CRD_GROUP}/v1
kind: Widget
metadata:
  name: {name}
  namespace: default
spec:
  size: {size}
  color: {color}
"""


def test_ready(cp):
    assert cp.raw_get("/readyz") == (200, "ok")
    assert cp.kubectl("get", "--raw", "/readyz").stdout.strip() == "ok"
    who = cp.kubectl_json("auth", "whoami")
    assert who["status"]["userInfo"]["username"] == "kfgen-admin"
    assert "system:masters" in who["status"]["userInfo"]["groups"]
    # the apiserver creates the system namespaces itself (no controller-manager needed)
    names = {i["metadata"]["name"] for i in cp.kubectl_json("get", "namespaces")["items"]}
    assert {"default", "kube-system", "kube-public"} <= names
    assert cp.timings["start_seconds"] > 0
    assert cp.kubeconfig.is_file() and cp.server.startswith("https://127.0.0.1:")


def test_server_side_apply_diff_dry_run_delete(cp):
    ns = _name("kfgen-app")
    manifest = _app_manifest(ns)

    # `kubectl diff` (a server dry run per object) of objects in a namespace that does not exist
    # yet fails (exit 2, NotFound) even when the Namespace is in the same input
    early = cp.kubectl("diff", "--server-side", "-f", "-", input=manifest, check=False)
    assert early.returncode > 1 and f'namespaces "{ns}" not found' in early.stderr

    namespace_doc = manifest.split("---")[0]
    cp.kubectl("apply", "--server-side", "-f", "-", input=namespace_doc)
    before = cp.kubectl("diff", "--server-side", "-f", "-", input=manifest, check=False)
    assert before.returncode == 1, before.stderr  # 1 = differences found
    assert "+  name: app-config" in before.stdout

    t0 = time.monotonic()
    out = cp.kubectl("apply", "--server-side", "-f", "-", input=manifest).stdout
    cp.timings["apply_seconds"] = round(time.monotonic() - t0, 3)
    assert f"namespace/{ns} serverside-applied" in out  # SSA reports "applied" even when unchanged
    assert "configmap/app-config serverside-applied" in out
    assert "deployment.apps/app serverside-applied" in out

    cm = cp.kubectl_json("get", "configmap", "app-config", "-n", ns, "--show-managed-fields")
    assert cm["data"] == {"greeting": "hello"}
    assert {m["manager"] for m in cm["metadata"]["managedFields"]} == {"kubectl"}
    deploy = cp.kubectl_json("get", "deployment", "app", "-n", ns)
    assert deploy["spec"]["replicas"] == 2
    # server-side defaulting happened; nothing reconciles it (no controller-manager)
    assert deploy["spec"]["strategy"]["type"] == "RollingUpdate"
    assert deploy["spec"]["template"]["spec"]["containers"][0]["imagePullPolicy"] == "IfNotPresent"
    assert deploy.get("status", {}).get("readyReplicas") is None
    # the referenced ServiceAccount does not exist: a Deployment is accepted regardless
    sa = cp.kubectl("get", "serviceaccount", "-n", ns, "-o", "name", check=False)
    assert sa.stdout.strip() == ""

    # applying the same thing again changes nothing
    after = cp.kubectl("diff", "--server-side", "-f", "-", input=manifest, check=False)
    assert after.returncode == 0, after.stdout + after.stderr
    assert after.stdout == ""

    # --dry-run=server: full server-side processing, nothing stored
    changed = _app_manifest(ns, greeting="changed")
    dry = cp.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=changed).stdout
    assert "configmap/app-config serverside-applied (server dry run)" in dry
    assert cp.kubectl_json("get", "configmap", "app-config", "-n", ns)["data"] == {"greeting": "hello"}
    diff = cp.kubectl("diff", "--server-side", "-f", "-", input=changed, check=False)
    assert diff.returncode == 1 and "+  greeting: changed" in diff.stdout

    # delete: namespaced objects go at once; the namespace stays Terminating forever because its
    # "kubernetes" finalizer is removed by the namespace controller (kube-controller-manager).
    cp.kubectl("delete", "--wait=false", "-f", "-", input=manifest)
    for kind, name in (("configmap", "app-config"), ("deployment", "app")):
        gone = cp.kubectl("get", kind, name, "-n", ns, check=False)
        assert gone.returncode == 1 and "NotFound" in gone.stderr
    namespace = cp.kubectl_json("get", "namespace", ns)
    assert namespace["status"]["phase"] == "Terminating"
    assert "deletionTimestamp" in namespace["metadata"]


def test_dry_run_server_does_not_create(cp):
    ns = _name("kfgen-dry")
    out = cp.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=_app_manifest(ns), check=False)
    # The Namespace passes, but it is not stored, so NamespaceLifecycle admission rejects the
    # namespaced objects in the same dry run: dry-run whole bundles only against existing namespaces.
    assert f"namespace/{ns} serverside-applied (server dry run)" in out.stdout
    assert out.returncode != 0 and f'namespaces "{ns}" not found' in out.stderr
    assert cp.kubectl("get", "namespace", ns, check=False).returncode == 1


def test_pod_needs_its_service_account(cp):
    """ServiceAccount admission checks Pods (not Deployments) for an existing ServiceAccount;
    nothing creates the per-namespace "default" one without kube-controller-manager."""
    ns = _name("kfgen-pod")
    cp.kubectl("create", "namespace", ns)
    pod = {
        "apiVersion": "v1", "kind": "Pod", "metadata": {"name": "p", "namespace": ns},
        "spec": {"containers": [{"name": "c", "image": "registry.example/app:1.0"}]},
    }
    rejected = cp.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=json.dumps(pod), check=False)
    assert rejected.returncode != 0
    assert 'serviceaccount "default" not found' in rejected.stderr
    cp.kubectl("create", "serviceaccount", "default", "-n", ns)
    cp.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-", input=json.dumps(pod))


def test_crd_established_and_schema_enforced(cp):
    cp.kubectl("apply", "--server-side", "-f", "-", input=CRD)
    cp.kubectl("wait", "--for=condition=Established", f"crd/{CRD_NAME}", "--timeout=60s")

    good = _widget("good", 3)
    cp.kubectl("apply", "--server-side", "-f", "-", input=good)
    assert cp.kubectl_json("get", "widget", "good", "-n", "default")["spec"] == {"size": 3, "color": "red"}
    assert cp.kubectl("diff", "--server-side", "-f", "-", input=good, check=False).returncode == 0

    # server-side apply rejects a wrong type while building the typed patch (before validation) ...
    wrong_type = cp.kubectl("apply", "--server-side", "-f", "-", input=_widget("bad", "three"), check=False)
    assert wrong_type.returncode != 0
    assert ".spec.size: expected numeric (int or float), got string" in wrong_type.stderr
    # ... create/update go through the OpenAPI schema validation and say so
    created = cp.kubectl("create", "--dry-run=server", "-f", "-", input=_widget("bad", "three"), check=False)
    assert created.returncode != 0
    assert "spec.size: Invalid value" in created.stderr and "must be of type integer" in created.stderr
    too_small = cp.kubectl("apply", "--server-side", "-f", "-", input=_widget("bad", 0), check=False)
    assert too_small.returncode != 0
    assert "spec.size" in too_small.stderr and "greater than or equal to 1" in too_small.stderr

    bad_enum = cp.kubectl("apply", "--server-side", "--dry-run=server", "-f", "-",
                          input=_widget("bad", 1, color="pink"), check=False)
    assert bad_enum.returncode != 0 and "spec.color" in bad_enum.stderr

    unknown = _widget("bad", 1).replace("  color: red", "  colour: red")
    rejected = cp.kubectl("apply", "--server-side", "-f", "-", input=unknown, check=False)
    assert rejected.returncode != 0 and "spec.colour" in rejected.stderr  # strict field validation
    assert cp.kubectl("get", "widget", "bad", "-n", "default", check=False).returncode == 1

    # CRD deletion completes: its cleanup finalizer runs inside the apiserver
    cp.kubectl("delete", "-f", "-", input=good)
    cp.kubectl("delete", "--timeout=60s", "-f", "-", input=CRD)
    assert cp.kubectl("get", f"crd/{CRD_NAME}", check=False).returncode == 1


def test_failed_start_cleans_up():
    plane = ControlPlane(extra_apiserver_args=["--no-such-flag=1"], start_timeout=60)
    with pytest.raises(ControlPlaneError) as info:
        plane.start()
    assert "kube-apiserver exited" in str(info.value)
    assert "no-such-flag" in str(info.value)  # the log tail is in the message
    assert plane.pids.keys() == {"etcd", "kube-apiserver"}
    for pid in plane.pids.values():
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert plane.dir is None
    plane.stop()  # idempotent
