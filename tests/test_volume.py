"""volume: NFS and hostPath PersistentVolumes pre-bound to their claim, StorageClass claims; validated strictly."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from kfgen.prototypes.base import RenderContext, prototypes
from kfgen.validate.objects import validate_objects

CTX = RenderContext(profile="t", instance="data", namespace="team-a", kubernetes_version="1.37")


def render(params: dict[str, Any]) -> list[dict[str, Any]]:
    proto = prototypes()["volume"]
    objects = proto.render_instance(CTX, proto.params.model_validate(params)).objects
    problems = validate_objects(objects, "1.37")
    assert problems == [], [p.format() for p in problems]
    return objects


def test_nfs_volume_bound_to_its_claim() -> None:
    pv, pvc = render({"storage": "10Gi", "accessModes": ["ReadWriteMany"], "nfs": {"server": "10.0.0.5", "path": "/x"}})
    assert pv["kind"] == "PersistentVolume" and pv["metadata"]["name"] == "team-a-data"
    assert pv["spec"]["nfs"] == {"server": "10.0.0.5", "path": "/x"}
    assert pv["spec"]["claimRef"] == {"namespace": "team-a", "name": "data"}
    assert pv["spec"]["persistentVolumeReclaimPolicy"] == "Retain"
    assert pvc["metadata"] == {"name": "data", "namespace": "team-a", "labels": {"app": "data"}}
    assert pvc["spec"]["volumeName"] == "team-a-data" and pvc["spec"]["storageClassName"] == ""
    assert pvc["spec"]["resources"] == {"requests": {"storage": "10Gi"}}


def test_host_path_with_opt_in_and_volume_only() -> None:
    (pv,) = render({"storage": "1Gi", "allowHostPath": True, "hostPath": {"path": "/tmp/data", "type": "Directory"},
                    "claim": False, "name": "tfevent-volume"})
    assert pv["spec"]["hostPath"] == {"path": "/tmp/data", "type": "Directory"} and "claimRef" not in pv["spec"]


def test_static_volume_name_labels_and_class() -> None:
    """The volume's own name, extra labels, and one StorageClass written on both sides of a static pair
    (as the training operator's hostPath example has it: class 'standard', labels app/type)."""
    pv, pvc = render({"storage": "10Gi", "allowHostPath": True, "hostPath": {"path": "/tmp/data"},
                      "volumeName": "tfevent-volume", "labels": {"app": "tfjob", "type": "local"},
                      "storageClassName": "standard"})
    assert pv["metadata"] == {"name": "tfevent-volume", "labels": {"app": "tfjob", "type": "local"}}
    assert pv["spec"]["storageClassName"] == "standard"
    assert pvc["metadata"]["labels"] == {"app": "tfjob", "type": "local"}
    assert pvc["spec"]["storageClassName"] == "standard" and pvc["spec"]["volumeName"] == "tfevent-volume"


@pytest.mark.parametrize("params, expected", [
    ({"storage": "5Gi", "storageClassName": "fast"}, "fast"),
    ({"storage": "5Gi"}, None),
])
def test_storage_class_claim(params: dict[str, Any], expected: str | None) -> None:
    (pvc,) = render(params)
    assert pvc["kind"] == "PersistentVolumeClaim" and pvc["spec"].get("storageClassName") == expected


@pytest.mark.parametrize("params, fragment", [
    ({"storage": "1Gi", "hostPath": {"path": "/x"}}, "allowHostPath"),
    ({"storage": "1Gi", "nfs": {"server": "a", "path": "/x"}, "allowHostPath": True, "hostPath": {"path": "/x"}},
     "one of nfs, hostPath"),
    ({"storage": "1Gi", "volumeName": "pv-1"}, "volumeName names a static volume"),
    ({"storage": "1Gi", "claim": False}, "nothing to render"),
    ({"storage": "lots"}, "pattern"),
    ({"storage": "1Gi", "nfs": {"server": "a b", "path": "/x"}}, "pattern"),
])
def test_invalid_volume_params(params: dict[str, Any], fragment: str) -> None:
    with pytest.raises(ValidationError, match=fragment):
        prototypes()["volume"].params.model_validate(params)
