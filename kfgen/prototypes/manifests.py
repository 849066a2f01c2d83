"""manifests: plain Kubernetes objects, for anything no prototype covers.

``objects:`` lists the objects inline, as they would be written in a manifest file. ``files:`` names YAML files
(one or more documents each) relative to the profiles directory; they are read while the profile is validated
(the load stage, through the validation context the profile loader passes as ``profiles_dir``), never at render:
rendering stays pure. Either way the objects are labelled like every other object and validated strictly
against their kind's schema (unknown fields, wrong types and unknown kinds are errors at the object's line in
the profile, or the file's name). A namespaced object without ``metadata.namespace`` gets the instance's.
They meet the checks kfgen's own objects meet (:mod:`kfgen.render.safety`): no Secret values in clear (unless
``allowSecretValues``), no RBAC wildcards (unless ``allowRbacWildcards``), no binding to cluster-admin (unless
``allowAdminRoleBindings``), nothing reachable from outside the cluster (unless ``allowExternalExposure``), every
container with an image and CPU and memory requests and limits.
"""

from __future__ import annotations

import copy
import errno
import os
import stat
from pathlib import Path
from typing import Any

from pydantic import Field, PrivateAttr, ValidationInfo, field_validator, model_validator

from kfgen.errors import KfgenError, Problem, object_ref
from kfgen.prototypes.base import Params, Prototype, RenderContext, Rendered
from kfgen.prototypes.params import unused_opt_in
from kfgen.prototypes.params.spec import (
    AdminRoleBindingsOptIn,
    ExternalExposureOptIn,
    RbacWildcardsOptIn,
    SecretValuesOptIn,
)

#: Kinds without a namespace (every other kind gets the instance's namespace when it names none).
CLUSTER_SCOPED = frozenset({
    "APIService", "CertificateSigningRequest", "ClusterRole", "ClusterRoleBinding", "CSIDriver", "CSINode",
    "CustomResourceDefinition", "IngressClass", "MutatingWebhookConfiguration", "Namespace", "Node",
    "PersistentVolume", "PriorityClass", "RuntimeClass", "StorageClass", "ValidatingAdmissionPolicy",
    "ValidatingAdmissionPolicyBinding", "ValidatingWebhookConfiguration", "VolumeAttachment",
})


class ManifestsParams(Params):
    """Parameters of manifests."""

    objects: list[dict[str, Any]] = Field([], description="Kubernetes objects, inline (apiVersion, kind, metadata …).")
    files: list[str] = Field(
        [], description="YAML files of objects, relative to the profiles directory (read when the profile loads).")
    allowSecretValues: SecretValuesOptIn = False
    allowRbacWildcards: RbacWildcardsOptIn = False
    allowAdminRoleBindings: AdminRoleBindingsOptIn = False
    allowExternalExposure: ExternalExposureOptIn = False
    _loaded: list[dict[str, Any]] = PrivateAttr(default_factory=list)  # the objects read from files

    @field_validator("files", mode="after")
    @classmethod
    def _relative(cls, value: list[str]) -> list[str]:
        for f in value:
            if Path(f).is_absolute() or ".." in Path(f).parts:
                raise ValueError(f"{f!r}: files are named relative to the profiles directory, without '..'")
        return value

    @model_validator(mode="after")
    def _read(self, info: ValidationInfo) -> ManifestsParams:
        if not self.files:
            if not self.objects:
                raise ValueError("give objects (inline) or files")
            return self
        base = (info.context or {}).get("profiles_dir")
        if base is None:
            raise ValueError("files can only be read when kfgen's profile loader validates the profile")
        docs: list[dict[str, Any]] = []
        for name in self.files:
            docs.extend(_read_file(Path(base) / name, name))
        self._loaded = docs
        return self


def _read_regular(path: Path) -> str:
    """The text of *path*, which must be a regular file: a FIFO or a device is never read (it could block or
    never end). Opened without blocking, checked on the open descriptor."""
    fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    with os.fdopen(fd, "rb") as f:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise IsADirectoryError(errno.EISDIR, "Is a directory")
        if not stat.S_ISREG(mode):
            raise OSError(errno.EINVAL, "not a regular file (a FIFO, socket or device)")
        return f.read().decode("utf-8")


def _read_file(path: Path, name: str) -> list[dict[str, Any]]:
    import yaml

    try:
        text = _read_regular(path)
    except OSError as exc:
        raise ValueError(f"{name}: cannot read: {exc.strerror or exc}") from None
    except UnicodeDecodeError:
        raise ValueError(f"{name}: cannot read: not UTF-8 text") from None
    try:
        docs = [d for d in yaml.safe_load_all(text) if d is not None]
    except yaml.YAMLError as exc:
        raise ValueError(f"{name}: not valid YAML: {exc}") from None
    for i, d in enumerate(docs):
        if not isinstance(d, dict):
            raise ValueError(f"{name}: document {i} is not a mapping (a Kubernetes object)")
    return docs


def render(ctx: RenderContext, p: ManifestsParams) -> Rendered:
    from kfgen.render.safety import OPT_INS, allowed, findings
    from kfgen.validate.objects import validate_objects

    objects = []
    origins: list[tuple[str | int, ...]] = []
    for where, items in (("objects", p.objects), ("files", p._loaded)):
        for i, obj in enumerate(items):
            obj = copy.deepcopy(obj)
            meta = obj.get("metadata")
            if isinstance(meta, dict) and "namespace" not in meta and obj.get("kind") not in CLUSTER_SCOPED:
                meta["namespace"] = ctx.namespace
            objects.append(obj)
            origins.append(("components", ctx.instance, "params", "objects", i) if where == "objects"
                           else ("components", ctx.instance, "params", "files"))
    problems = []
    opt_ins = [rule for rule, name in OPT_INS.items() if getattr(p, name)]
    used: set[str] = set()  # the rules an opt-in of this instance allows something of
    for obj, origin in zip(objects, origins, strict=True):
        invalid = validate_objects([obj], ctx.kubernetes_version)
        for problem in invalid:
            at = f" {problem.pointer}" if problem.pointer else ""
            problems.append(Problem(f"{object_ref(obj)}{at}: {problem.message}", path=origin,
                                    expected=problem.expected, found=problem.found, hint=problem.hint))
        if not invalid:  # the checks kfgen's own output meets (kfgen.render.safety)
            found = findings(obj)
            used.update(f.rule for f in found)
            problems.extend(Problem(f.message, path=origin, pointer=f.pointer, expected=f.expected, found=f.found,
                                    hint=f.hint) for f in allowed(found, opt_ins))
    if problems:
        raise KfgenError(problems)
    return Rendered(objects, [unused_opt_in(OPT_INS[rule], _NOTHING_ALLOWED[rule])
                              for rule in opt_ins if rule not in used])


#: Why an opt-in of manifests allows nothing, by rule (kfgen.render.safety.OPT_INS), when none of the objects
#: has a finding of that rule.
_NOTHING_ALLOWED = {
    "secretValues": "no Secret among the objects carries data or stringData",
    "rbacWildcards": "no Role or ClusterRole among the objects has a '*' or an aggregationRule selecting every "
                     "ClusterRole",
    "adminRoleBindings": "no binding among the objects grants cluster-admin, or admin or edit cluster-wide",
    "externalExposure": "no object makes anything reachable from outside the cluster (no NodePort or LoadBalancer "
                        "Service, no externalIPs, no Ingress)",
}


PROTOTYPE = Prototype(
    name="manifests",
    summary="Plain Kubernetes objects (inline or from files), labelled and validated strictly like the rest.",
    params=ManifestsParams,
    render=render,
)
