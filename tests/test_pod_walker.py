"""kfgen.kube.objects.pod_templates: the one reader of pod templates, and the three places that walk pods through
it (kfgen.render.safety's resource checks, the Pod Security check in kfgen.render.pipeline via
kfgen.kube.podsecurity, and kfgen.render.checks' GPU budget and node fit) see the same pods."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from kfgen.kube.objects import PodTemplate, pod_templates
from kfgen.render import checks, safety

Json = dict[str, Any]

NOTES = {"container.apparmor.security.beta.kubernetes.io/c": "runtime/default"}


def pod_spec(name: str) -> Json:
    return {"containers": [{"name": name, "image": "registry.example/app:1"}]}


def template(name: str) -> Json:
    return {"metadata": {"labels": {"app": name}, "annotations": dict(NOTES)}, "spec": pod_spec(name)}


def workload(kind: str, **spec: Any) -> Json:
    return {"apiVersion": "apps/v1", "kind": kind, "metadata": {"name": "w"}, "spec": {
        "template": template(kind.lower()), **spec}}


# (kind, the object, what the walker yields)
KINDS: list[tuple[str, Json, list[PodTemplate]]] = [
    ("Pod", {"kind": "Pod", "metadata": {"name": "p", "annotations": dict(NOTES)}, "spec": pod_spec("pod")},
     [PodTemplate("Pod", "", "/spec", NOTES, pod_spec("pod"), None)]),
    *((kind, workload(kind, replicas=3), [PodTemplate(kind, "", "/spec/template/spec", NOTES,
                                                      pod_spec(kind.lower()), 3)])
      for kind in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")),
    *((kind, workload(kind), [PodTemplate(kind, "", "/spec/template/spec", NOTES, pod_spec(kind.lower()), None)])
      for kind in ("DaemonSet", "Job")),
    ("CronJob", {"kind": "CronJob", "spec": {"schedule": "@daily", "jobTemplate": {"spec": {
        "template": template("cron")}}}},
     [PodTemplate("CronJob", "", "/spec/jobTemplate/spec/template/spec", NOTES, pod_spec("cron"), None)]),
    ("PodTemplate", {"apiVersion": "v1", "kind": "PodTemplate", "metadata": {"name": "t"},
                     "template": template("tpl")},
     [PodTemplate("PodTemplate", "", "/template/spec", NOTES, pod_spec("tpl"), None)]),
    ("TFJob", {"kind": "TFJob", "spec": {"tfReplicaSpecs": {
        "Worker": {"replicas": 2, "template": template("worker")},
        "Chief": {"template": {"spec": pod_spec("chief")}}}}},
     [PodTemplate("TFJob", "Chief", "/spec/tfReplicaSpecs/Chief/template/spec", {}, pod_spec("chief"), None),
      PodTemplate("TFJob", "Worker", "/spec/tfReplicaSpecs/Worker/template/spec", NOTES, pod_spec("worker"), 2)]),
]


@pytest.mark.parametrize("obj, expected", [k[1:] for k in KINDS], ids=[k[0] for k in KINDS])
def test_every_kind_with_pods(obj: Json, expected: list[PodTemplate]) -> None:
    before = copy.deepcopy(obj)
    found = pod_templates(obj)
    assert found == expected
    assert obj == before
    for t in found:  # the pointer leads to the pod spec, which is the object's own (not a copy)
        at: Any = obj
        for part in t.pointer.strip("/").split("/"):
            at = at[part]
        assert at is t.spec


@pytest.mark.parametrize("obj", [
    {"kind": "ConfigMap", "data": {"spec": "x"}},
    {"kind": "Service", "spec": {"template": template("svc")}},  # a template where no kind has one
    {"kind": "Deployment"},
    {"kind": "Deployment", "spec": None},
    {"kind": "Deployment", "spec": {"template": {"spec": "not a mapping"}}},
    {"kind": "Deployment", "spec": {"template": None}},
    {"kind": "CronJob", "spec": {"jobTemplate": None}},
    {"kind": "PodTemplate"},
    {"kind": "TFJob", "spec": {"tfReplicaSpecs": {"Worker": None, "PS": {"template": {}}}}},
    {"kind": "TFJob", "spec": {"tfReplicaSpecs": ["Worker"]}},
], ids=lambda o: f"{o['kind']}-{sorted(o)}")
def test_nothing_to_walk(obj: Json) -> None:
    assert pod_templates(obj) == []


def test_a_replica_type_is_escaped_in_the_pointer() -> None:
    obj = {"kind": "TFJob", "spec": {"tfReplicaSpecs": {"a/b~c": {"template": {"spec": pod_spec("x")}}}}}
    (t,) = pod_templates(obj)
    assert (t.replica, t.pointer) == ("a/b~c", "/spec/tfReplicaSpecs/a~1b~0c/template/spec")


@pytest.mark.parametrize("obj", [k[1] for k in KINDS], ids=[k[0] for k in KINDS])
def test_safety_podsecurity_and_checks_walk_the_same_pods(obj: Json) -> None:
    found = pod_templates(obj)
    assert safety.pod_templates(obj) == [(t.pointer, t.spec) for t in found]
    groups = checks.pod_groups(obj)
    if obj["kind"] == "PodTemplate":  # a template of pods something else may start: none of its own to count
        assert groups == []
        return
    assert [g.pod for g in groups] == [t.spec for t in found]
    assert [g.part for g in groups] == [f"replica {t.replica}" if t.replica else "" for t in found]
    counted = obj["kind"] in ("Deployment", "StatefulSet", "ReplicaSet", "ReplicationController")
    assert [g.replicas for g in groups] == [3 if counted else t.replicas or 1 for t in found]


def test_safety_checks_the_containers_of_every_kind() -> None:
    """Each kind's container without resources is a finding, at the walker's pointer."""
    for kind, obj, expected in KINDS:
        pointers = {f.pointer for f in safety.findings(obj) if f.rule == "resources"}
        assert pointers == {f"{t.pointer}/containers/0/resources" for t in expected}, kind


def test_gpus_of_a_cronjob_and_a_daemonset_count() -> None:
    gpu = {"resources": {"limits": {"nvidia.com/gpu": 2}}}
    cron = copy.deepcopy(next(obj for kind, obj, _ in KINDS if kind == "CronJob"))
    daemons = workload("DaemonSet", replicas=5)  # a DaemonSet's replicas field counts nothing: one pod per node
    for obj in (cron, daemons):
        pod_templates(obj)[0].spec["containers"][0].update(gpu)
    assert [(g.part, g.replicas, g.gpus) for g in checks.pod_groups(cron)] == [("", 1, 2)]
    assert [(g.part, g.replicas, g.gpus) for g in checks.pod_groups(daemons)] == [("", 1, 2)]
