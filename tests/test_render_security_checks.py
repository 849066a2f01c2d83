"""The checks every rendered object meets (kfgen.render.safety), whoever wrote it: Secrets without values in
clear, RBAC without wildcards, containers with an image and CPU and memory requests and limits. Through the
CLI: a ``manifests`` object or a patch that breaks one is an error at its line in the profile (exit 2, nothing
written) unless an opt-in names it; an object outside the profile's namespace is a warning. What prototypes
render is checked too: every prototype meets the rules with its defaults (tf-job and tf-cnn default their
training containers' resources), and a container without them would be refused at its instance."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from kfgen.cli import app
from kfgen.prototypes import tf_cnn, tf_job
from kfgen.prototypes.base import RenderContext, prototypes
from kfgen.render.safety import findings, pod_templates

RESOURCES = {"requests": {"cpu": "100m", "memory": "64Mi"}, "limits": {"cpu": "1", "memory": "128Mi"}}


def run(tmp_path: Path, text: str, monkeypatch: pytest.MonkeyPatch) -> tuple[int, str, Path]:
    (tmp_path / "profiles").mkdir(exist_ok=True)
    (tmp_path / "profiles" / "p.yaml").write_text(textwrap.dedent(text))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(app, ["render", "-p", "p", "--profiles-dir", "profiles", "--out-dir", "out"])
    return res.exit_code, res.output + (res.stderr if res.stderr_bytes is not None else ""), tmp_path / "out"


# --- the rules, on objects --------------------------------------------------------------------------


def deployment(*containers: dict, init: tuple[dict, ...] = ()) -> dict:
    spec: dict = {"containers": list(containers)}
    if init:
        spec["initContainers"] = list(init)
    return {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "d", "namespace": "n"},
            "spec": {"template": {"spec": spec}}}


def test_a_secret_with_values_is_found_an_empty_one_is_not() -> None:
    secret = {"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "s", "namespace": "n"}}
    assert findings(secret) == []
    assert findings({**secret, "data": {}}) == []
    [f] = findings({**secret, "stringData": {"password": "hunter2"}})
    assert f.rule == "secretValues" and f.pointer == "/stringData" and "password" in f.message
    assert "hunter2" not in f.message + (f.found or "")  # the value itself is never repeated
    assert "SealedSecret" in (f.hint or "") and "allowSecretValues" in (f.hint or "")


@pytest.mark.parametrize("field", ["verbs", "resources", "apiGroups", "nonResourceURLs"])
def test_an_rbac_wildcard_is_found_in_each_field(field: str) -> None:
    rule = {"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}
    role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "r"},
            "rules": [rule, {**rule, field: ["*"]}]}
    [f] = findings(role)
    assert (f.rule, f.pointer) == ("rbacWildcards", f"/rules/1/{field}")
    assert findings({**role, "rules": [rule]}) == []


AGGREGATED = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "reader"}}


@pytest.mark.parametrize("selector", [
    pytest.param({}, id="empty"),
    pytest.param({"matchLabels": {}}, id="no-labels"),
    pytest.param({"matchExpressions": []}, id="no-expressions"),
    pytest.param({"matchExpressions": [{"key": "example.com/private", "operator": "DoesNotExist"}]}, id="only-absent"),
    pytest.param({"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]}]}, id="only-not-in"),
])
def test_an_aggregation_selector_requiring_no_label_is_found(selector: dict) -> None:
    """It aggregates every ClusterRole (cluster-admin included, but those it excludes by a label)."""
    good = {"matchLabels": {"example.com/aggregate-to-reader": "true"}}
    [f] = findings({**AGGREGATED, "aggregationRule": {"clusterRoleSelectors": [good, selector]}})
    assert (f.rule, f.pointer) == ("rbacWildcards", "/aggregationRule/clusterRoleSelectors/1")
    assert "cluster-admin included" in f.message and "allowRbacWildcards: true" in (f.hint or "")
    assert findings({**AGGREGATED, "aggregationRule": {"clusterRoleSelectors": [selector]}},
                    frozenset({"rbacWildcards"})) == []


@pytest.mark.parametrize("selector", [
    {"matchLabels": {"example.com/aggregate-to-reader": "true"}},
    {"matchExpressions": [{"key": "example.com/aggregate-to-reader", "operator": "Exists"}]},
    {"matchExpressions": [{"key": "tier", "operator": "NotIn", "values": ["x"]},
                          {"key": "team", "operator": "In", "values": ["ml"]}]},
])
def test_an_aggregation_selector_requiring_a_label_is_not_found(selector: dict) -> None:
    assert findings({**AGGREGATED, "aggregationRule": {"clusterRoleSelectors": [selector]}}) == []
    assert findings({**AGGREGATED, "aggregationRule": {"clusterRoleSelectors": []}}) == []


def binding(kind: str, role: str, ref_kind: str = "ClusterRole") -> dict:
    meta = {"name": "b"} if kind == "ClusterRoleBinding" else {"name": "b", "namespace": "n"}
    return {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": kind, "metadata": meta,
            "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": ref_kind, "name": role},
            "subjects": [{"kind": "ServiceAccount", "name": "s", "namespace": "n"}]}


@pytest.mark.parametrize("kind, role, scope", [
    ("ClusterRoleBinding", "cluster-admin", "in every namespace"),
    ("RoleBinding", "cluster-admin", "in namespace n"),
    ("ClusterRoleBinding", "admin", "in every namespace"),
    ("ClusterRoleBinding", "edit", "in every namespace"),
])
def test_a_binding_to_an_admin_role_is_found(kind: str, role: str, scope: str) -> None:
    [f] = findings(binding(kind, role))
    assert (f.rule, f.pointer, f.found) == ("adminRoleBindings", "/roleRef/name", f"roleRef: ClusterRole {role}")
    assert f"grants ClusterRole {role} (" in f.message and scope in f.message
    assert f"if they really need {role}, set allowAdminRoleBindings: true" in (f.hint or "")


@pytest.mark.parametrize("kind, role, ref_kind", [
    ("RoleBinding", "admin", "ClusterRole"),  # one namespace: the documented way to hand one out
    ("RoleBinding", "edit", "ClusterRole"),
    ("ClusterRoleBinding", "view", "ClusterRole"),
    ("RoleBinding", "cluster-admin", "Role"),  # a Role of the namespace that happens to be called so
])
def test_other_bindings_are_not_found(kind: str, role: str, ref_kind: str) -> None:
    assert findings(binding(kind, role, ref_kind)) == []


def test_a_container_without_image_names_the_one_meant() -> None:
    ok = {"name": "serve", "image": "i:1", "resources": RESOURCES}
    [f] = findings(deployment(ok, {"name": "serv", "resources": RESOURCES}))
    assert f.rule == "image" and f.pointer == "/spec/template/spec/containers/1"
    assert "did you mean 'serve'?" in (f.hint or "")
    assert findings(deployment(ok)) == []


def test_missing_requests_and_limits_are_found_in_init_containers_too() -> None:
    ok = {"name": "a", "image": "i:1", "resources": RESOURCES}
    [f] = findings(deployment(ok, init=({"name": "setup", "image": "i:1",
                                         "resources": {"limits": {"cpu": "1", "memory": "1Gi"}}},)))
    assert f.rule == "resources" and f.pointer == "/spec/template/spec/initContainers/0/resources"
    assert "requests.cpu, requests.memory" in f.message and "limits" not in f.message


@pytest.mark.parametrize("obj, pointer", [
    ({"kind": "Pod", "spec": {"containers": []}}, "/spec"),
    ({"kind": "Job", "spec": {"template": {"spec": {"containers": []}}}}, "/spec/template/spec"),
    ({"kind": "CronJob", "spec": {"jobTemplate": {"spec": {"template": {"spec": {"containers": []}}}}}},
     "/spec/jobTemplate/spec/template/spec"),
    ({"kind": "TFJob", "spec": {"tfReplicaSpecs": {"Worker": {"template": {"spec": {"containers": []}}}}}},
     "/spec/tfReplicaSpecs/Worker/template/spec"),
])
def test_every_kind_of_pod_template_is_checked(obj: dict, pointer: str) -> None:
    [(at, spec)] = pod_templates(obj)
    assert at == pointer
    spec["containers"].append({"name": "c", "image": "i:1"})
    assert [f.rule for f in findings(obj)] == ["resources"]


# --- manifests --------------------------------------------------------------------------------------


MANIFESTS = """\
namespace: team-a
components:
  extra:
    prototype: manifests
    params:
{params}
      objects:
{objects}
"""


def manifests(params: str, objects: str) -> str:
    return MANIFESTS.format(params=textwrap.indent(textwrap.dedent(params), "      "),
                            objects=textwrap.indent(textwrap.dedent(objects), "        "))


SECRET = """\
- apiVersion: v1
  kind: Secret
  metadata: {name: db}
  stringData: {password: hunter2}
"""


def test_a_manifests_secret_with_values_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, manifests("", SECRET), monkeypatch)
    assert code == 2, text
    assert "profiles/p.yaml:8: components.extra.params.objects[0] /stringData: Secret team-a/db holds values" in text
    assert "hint:" in text and "SealedSecret" in text and "hunter2" not in text
    assert not (out / "p").exists()


def test_allow_secret_values_lets_it_through(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, manifests("allowSecretValues: true", SECRET), monkeypatch)
    assert code == 0, text
    assert (out / "p" / "07-secret-db.yaml").is_file()


ROLE = """\
- apiVersion: rbac.authorization.k8s.io/v1
  kind: Role
  metadata: {name: all}
  rules: [{apiGroups: [""], resources: [pods], verbs: ["*"]}]
"""


def test_a_manifests_rbac_wildcard_is_refused_unless_allowed(tmp_path: Path,
                                                             monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, manifests("", ROLE), monkeypatch)
    assert code == 2 and "/rules/0/verbs: Role team-a/all rule 0 grants '*' verbs" in text, text
    assert "allowRbacWildcards: true" in text
    code, text, _ = run(tmp_path, manifests("allowRbacWildcards: true", ROLE), monkeypatch)
    assert code == 0, text


CLUSTER_ADMIN = """\
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRoleBinding
  metadata: {name: ci-admin}
  roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
  subjects: [{kind: ServiceAccount, name: ci, namespace: team-a}]
"""


def test_a_manifests_binding_to_cluster_admin_needs_its_own_opt_in(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, manifests("", CLUSTER_ADMIN), monkeypatch)
    assert code == 2, text
    assert ("profiles/p.yaml:8: components.extra.params.objects[0] /roleRef/name: ClusterRoleBinding ci-admin grants "
            "ClusterRole cluster-admin (every verb on every resource) in every namespace to its subjects") in text
    assert "found:    roleRef: ClusterRole cluster-admin" in text
    code, text, _ = run(tmp_path, manifests("allowRbacWildcards: true", CLUSTER_ADMIN), monkeypatch)
    assert code == 2 and "grants ClusterRole cluster-admin" in text, text  # not a wildcard: its own opt-in
    code, text, _ = run(tmp_path, manifests("allowAdminRoleBindings: true", CLUSTER_ADMIN), monkeypatch)
    assert code == 0, text


AGGREGATE_ALL = """\
- apiVersion: rbac.authorization.k8s.io/v1
  kind: ClusterRole
  metadata: {name: everything}
  aggregationRule: {clusterRoleSelectors: [{}]}
"""


def test_a_manifests_role_aggregating_every_role_is_refused_unless_allowed(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, manifests("", AGGREGATE_ALL), monkeypatch)
    assert code == 2, text
    assert ("components.extra.params.objects[0] /aggregationRule/clusterRoleSelectors/0: ClusterRole everything "
            "aggregates the rules of every ClusterRole") in text
    code, text, _ = run(tmp_path, manifests("allowRbacWildcards: true", AGGREGATE_ALL), monkeypatch)
    assert code == 0, text


def test_a_manifests_workload_needs_requests_and_limits(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    job = """\
    - apiVersion: batch/v1
      kind: CronJob
      metadata: {name: nightly}
      spec:
        schedule: "0 3 * * *"
        jobTemplate:
          spec:
            template:
              spec:
                restartPolicy: Never
                containers: [{name: run, image: "registry.example/run:1", resources: {limits: {cpu: "1"}}}]
    """
    code, text, _ = run(tmp_path, manifests("", job), monkeypatch)
    assert code == 2, text
    assert ("/spec/jobTemplate/spec/template/spec/containers/0/resources: CronJob team-a/nightly: container 'run' "
            "has no requests.cpu, requests.memory, limits.memory") in text
    assert "expected: CPU and memory requests and limits on every container" in text
    fixed = job.replace('resources: {limits: {cpu: "1"}}',
                        'resources: {requests: {cpu: 100m, memory: 64Mi}, limits: {cpu: "1", memory: 64Mi}}, '
                        'securityContext: {allowPrivilegeEscalation: false, capabilities: {drop: [ALL]}, '
                        'runAsNonRoot: true, seccompProfile: {type: RuntimeDefault}}')
    code, text, _ = run(tmp_path, manifests("", fixed), monkeypatch)
    assert code == 0, text


# --- patches ---------------------------------------------------------------------------------------


SERVING = """\
namespace: team-a
components:
  serve:
    prototype: tf-serving
    params: {{modelPath: /models/m}}
    patches:
{patches}
"""


def serving(patches: str) -> str:
    return SERVING.format(patches=textwrap.indent(textwrap.dedent(patches), "      "))


def test_a_patch_with_a_container_name_typo_is_refused_with_did_you_mean(tmp_path: Path,
                                                                          monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, serving("""\
        - target: {kind: Deployment, name: serve}
          merge:
            spec: {template: {spec: {containers: [{name: serv, env: [{name: X, value: "1"}]}]}}}
        """), monkeypatch)
    assert code == 2, text
    assert ("profiles/p.yaml:7: components.serve.patches[0] /spec/template/spec/containers/1: patch 0: "
            "Deployment team-a/serve: container 'serv' has no image") in text
    assert "did you mean 'serve'?" in text
    assert "has no requests" not in text  # the empty container's missing resources follow from the typo
    assert not (out / "p").exists()


def test_a_correct_container_patch_passes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, serving("""\
        - target: {kind: Deployment, name: serve}
          merge:
            spec: {template: {spec: {containers: [{name: serve, env: [{name: X, value: "1"}]}]}}}
        """), monkeypatch)
    assert code == 0, text


def test_a_patch_removing_limits_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, serving("""\
        - target: {kind: Deployment, name: serve}
          jsonPatch:
            - {op: remove, path: /spec/template/spec/containers/0/resources/limits}
        """), monkeypatch)
    assert code == 2, text
    assert "container 'serve' has no limits.cpu, limits.memory" in text


CORE_SECRET_PATCH = """\
namespace: team-a
podSecurity: {{team-a: baseline}}
components:
  core:
    prototype: core
    params: {{reportUsage: false}}
    patches:
      - target: {{kind: Secret, name: tf-job-operator-webhook-cert}}
        merge: {{stringData: {{tls.key: secret}}}}
{extra}
"""


def test_a_patch_adding_secret_values_needs_its_own_opt_in(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, CORE_SECRET_PATCH.format(extra=""), monkeypatch)
    assert code == 2, text
    assert "components.core.patches[0] /stringData: patch 0: Secret team-a/tf-job-operator-webhook-cert" in text
    code, text, _ = run(tmp_path, CORE_SECRET_PATCH.format(extra="        allowSecretValues: true"), monkeypatch)
    assert code == 0, text


def test_a_patch_binding_cluster_admin_is_refused_unless_the_patch_opts_in(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    profile = """\
        namespace: team-a
        podSecurity: {team-a: baseline}
        components:
          core:
            prototype: core
            params: {reportUsage: false}
            patches:
              - target: {kind: ClusterRoleBinding, name: tf-job-operator-webhook}
                merge: {roleRef: {name: cluster-admin}}
        """
    code, text, _ = run(tmp_path, profile, monkeypatch)
    assert code == 2, text
    assert ("components.core.patches[0] /roleRef/name: patch 0: ClusterRoleBinding tf-job-operator-webhook grants "
            "ClusterRole cluster-admin") in text
    code, text, _ = run(tmp_path, profile + "        allowAdminRoleBindings: true\n", monkeypatch)
    assert code == 0, text


WILDCARD_ROLE_PATCH = """\
namespace: team-a
podSecurity: {{team-a: baseline}}
components:
  core:
    prototype: core
    params: {{reportUsage: false}}
    patches:
      - target: {{kind: {kind}, name: tf-job-operator}}
        merge: {{metadata: {{labels: {{tier: ops}}}}}}
        allowRbacWildcards: true
"""


@pytest.mark.parametrize("kind", ["Service", "Role"])
def test_a_patch_opt_in_covers_only_that_patch_change(kind: str, tmp_path: Path,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """A patch's allowRbacWildcards lets through the wildcard that patch adds, nothing else: not what the
    prototype rendered, on another object of the instance or on the very object the patch changes (were a
    prototype to render a wildcard, a kfgen bug, the render refuses it at the instance)."""
    from kfgen.prototypes.core import operator

    monkeypatch.setattr(operator, "_operator_secret_rules",
                        lambda: [{"apiGroups": [""], "resources": ["secrets"], "verbs": ["*"]}])
    code, text, out = run(tmp_path, WILDCARD_ROLE_PATCH.format(kind=kind), monkeypatch)
    assert code == 2, text
    assert ("profiles/p.yaml:4: components.core /rules/6/verbs: instance 'core': Role team-a/tf-job-operator rule 6 "
            "grants '*' verbs") in text
    assert not (out / "p").exists()


def test_an_object_outside_the_profile_namespace_warns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, _ = run(tmp_path, """\
        namespace: team-a
        components:
          extra:
            prototype: manifests
            namespace: team-b
            params:
              objects: [{apiVersion: v1, kind: ConfigMap, metadata: {name: c}, data: {a: b}}]
        """, monkeypatch)
    assert code == 0, text
    assert ("extra: objects in namespace team-b, not the profile's 'team-a': a whole-profile `kfgen apply -p p` "
            "(ApplySet pruning) refuses them; apply this instance with `kfgen apply -p p -c extra`") in text


# --- prototypes -------------------------------------------------------------------------------------

#: Param sets of every prototype (a new prototype needs its entry): the defaults, and the variants that add or
#: change containers. Each must render objects kfgen.render.safety finds nothing wrong with.
PROTOTYPE_PARAMS: dict[str, list[dict]] = {
    "core": [{}, {"reportUsage": True}],
    "manifests": [{"objects": [{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}}]}],
    "nvidia-device-plugin": [{}],
    "tf-cnn": [{}, {"num_gpus": 2, "num_ps": 2, "num_workers": 3}],
    "tf-job": [{"image": "registry.example/train:1"},
               {"image": "registry.example/train:1", "num_ps": 1, "num_workers": 2, "num_evaluators": 1,
                "num_gpus": 1, "resources": {"PS": {"requests": {"cpu": "250m"}}},
                "replicaSpecs": {"Worker": {"resources": {"limits": {"memory": "8Gi"}}}}}],
    "tf-serving": [{"modelPath": "/models/m"}, {"modelPath": "/models/m", "numGpus": 1},
                   {"modelPath": "/models/m", "deployHttpProxy": True, "httpProxyImage": "registry.example/proxy:1"}],
    "volume": [{"storage": "1Gi"}],
}


def test_every_prototype_is_covered() -> None:
    assert set(PROTOTYPE_PARAMS) == set(prototypes())


@pytest.mark.parametrize("name, params", [(name, params) for name, cases in sorted(PROTOTYPE_PARAMS.items())
                                          for params in cases])
def test_what_prototypes_render_meets_every_rule(name: str, params: dict) -> None:
    proto = prototypes()[name]
    ctx = RenderContext(profile="p", instance="x", namespace="team-a", kubernetes_version="1.37")
    objects = proto.render_instance(ctx, proto.params.model_validate(params)).objects
    assert objects
    assert [(o["kind"], f) for o in objects for f in findings(o)] == []


TRAINING = """\
namespace: team-a
components:
  job:
    prototype: tf-job
    params: {image: "registry.example/train:1", num_workers: 1, resources: {Worker: {requests: {cpu: 250m}}}}
  cnn:
    prototype: tf-cnn
"""


def test_training_jobs_without_resources_render_with_the_defaults(tmp_path: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    code, text, out = run(tmp_path, TRAINING, monkeypatch)
    assert code == 0, text
    defaults = {"requests": {"cpu": "1", "memory": "1Gi"}, "limits": {"cpu": "2", "memory": "4Gi"}}
    for name, expected in (("job", {"Chief": defaults, "Worker": {**defaults, "requests": {
            "cpu": "250m", "memory": "1Gi"}}}), ("cnn", {"PS": defaults, "Worker": defaults})):
        job = yaml.safe_load((out / "p" / f"99-tfjob-{name}.yaml").read_text())
        assert {rtype: spec["template"]["spec"]["containers"][0]["resources"]
                for rtype, spec in job["spec"]["tfReplicaSpecs"].items()} == expected, name


def test_a_prototype_container_without_resources_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The render's safety step holds prototype output to the rule too: were tf-job to render a container
    without requests and limits (a kfgen bug), the render refuses it at the instance and writes nothing."""
    original = tf_job.tfjob

    def without_resources(ctx: RenderContext, p: tf_job.TfJobParams) -> dict:
        job = original(ctx, p)
        for spec in job["spec"]["tfReplicaSpecs"].values():
            for container in spec["template"]["spec"]["containers"]:
                del container["resources"]
        return job

    monkeypatch.setattr(tf_job, "tfjob", without_resources)
    monkeypatch.setattr(tf_cnn, "tfjob", without_resources)
    code, text, out = run(tmp_path, TRAINING, monkeypatch)
    assert code == 2, text
    assert ("profiles/p.yaml:3: components.job /spec/tfReplicaSpecs/Chief/template/spec/containers/0/resources: "
            "instance 'job': TFJob team-a/job: container 'tensorflow' has no requests.cpu, requests.memory, "
            "limits.cpu, limits.memory") in text
    assert ("components.cnn /spec/tfReplicaSpecs/PS/template/spec/containers/0/resources: instance 'cnn': TFJob "
            "team-a/cnn: container 'tensorflow' has no requests.cpu") in text
    assert "4 problems; nothing was written." in text  # Chief and Worker of job, PS and Worker of cnn
    assert not (out / "p").exists()
