"""Parity with ksonnet: every case in ../shared/reference/ksonnet-v0.1/ rendered by kfgen and compared
object by object with what ksonnet v0.1.0 rendered.

Each case file's header names the ksonnet prototype, the ``ks generate`` flags and the ``ks param set``
values; kfgen renders the matching prototype with those params (typed by the params model) and the
comparison below walks both outputs. Every difference it finds must be listed, with its reason, in
DELIBERATE: anything else fails, and so does an entry no case produces any more. Parameter variations
no reference covers live with each prototype (test_core.py, test_tf_job.py, test_tf_serving.py).

The reference folder is optional: without it these tests skip (set KFGEN_REFERENCE_DIR to point at it).
"""

from __future__ import annotations

import itertools
import json
import re
import types
import typing
from dataclasses import dataclass, field
from decimal import Decimal
from fnmatch import fnmatchcase
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import reference_dir

from kfgen.kube.quantity import parse_quantity
from kfgen.prototypes.base import RenderContext, prototypes

KSONNET_DIR = "ksonnet-v0.1"

# ---------------------------------------------------------------------------------------------------
# DELIBERATE: every way kfgen's output differs from ksonnet's in the reference cases, and why.
#
# Key: (case, kind, name) for an object only one side has -- its reason starts with "removed:" (in
# ksonnet's output only) or "added:" (in kfgen's only) -- or (case, kind, name, aspect) for a difference
# inside an object both have; the aspects are what compare_case() below calls them ("apiVersion",
# "container tf-hub image", "pod volumes", "Worker: pod tolerations", "grants secrets" ...). Set-like
# aspects (ports, containers, env names, mappings) come as "<aspect> removed" and "<aspect> added", so
# an entry for what kfgen adds never excuses losing something of ksonnet's. Shorthands: any part may be
# a tuple (the entry stands for every combination, and each must be used); name and aspect may be
# fnmatch patterns. Every difference must match exactly one entry, and every entry must match at least
# one difference.
# ---------------------------------------------------------------------------------------------------

A, B = "a-core-defaults", "b-core-reportusage-lb"
C = "c-tf-serving-gpu"
C_PROXY, C_PROXY_CONTAINER = f"{C}+http-proxy", f"{C}+http-proxy-container"  # see VARIANTS
D, F, EXAMPLE = "d-tf-job", "f-tf-cnn-defaults", "tf-operator-v0.1.0-examples-tf_job"
CORE, SERVING, TFJOBS = (A, B), (C, C_PROXY, C_PROXY_CONTAINER), (D, F, EXAMPLE)

DELIBERATE: dict[tuple[Any, ...], str] = {
    # --- API versions: what current Kubernetes (and training-operator) serves --------------------------
    (CORE + SERVING, "Deployment", "*", "apiVersion"):
        "extensions/v1beta1 -> apps/v1: the old group is not served since Kubernetes 1.16. apps/v1 requires "
        "spec.selector: kfgen sets it to the pod labels, which were the implicit selector before (compared: "
        "aspect 'selector'), and writes replicas explicitly (ksonnet's implicit default was 1)",
    (CORE, "StatefulSet", "tf-hub", "apiVersion"): "apps/v1beta1 -> apps/v1: not served since Kubernetes 1.16",
    (CORE, ("Role", "RoleBinding"), "*", "apiVersion"):
        "rbac.authorization.k8s.io/v1beta1 -> v1: not served since Kubernetes 1.22",
    (B, ("ClusterRole", "ClusterRoleBinding"), "spartakus", "apiVersion"):
        "rbac.authorization.k8s.io/v1beta1 -> v1: not served since Kubernetes 1.22",
    (CORE, "CustomResourceDefinition", "tfjobs.kubeflow.org", "apiVersion"):
        "apiextensions.k8s.io/v1beta1 -> v1: not served since Kubernetes 1.22; kfgen's CRD carries "
        "training-operator v1.9.0's structural schema",
    (CORE, "CustomResourceDefinition", "tfjobs.kubeflow.org", "served versions"):
        "v1alpha1 -> v1: no current training operator serves v1alpha1 (training-operator v1.9.0's CRD has only v1)",
    (TFJOBS, "TFJob", "*", "apiVersion"):
        "kubeflow.org/v1alpha1 -> kubeflow.org/v1: v1alpha1 is not served by any current training operator "
        "(training-operator v1.9.0's CRD has only v1)",

    # --- core: the TFJob operator is training-operator v1.9, namespaced, least privilege --------------
    (CORE, "ConfigMap", "tf-job-operator-config"):
        "removed: its one key (grpcServerFilePath) configured the 2018 operator's gRPC shim; "
        "training-operator v1 reads no config file",
    (CORE, "ClusterRole", "tf-job-operator"):
        "removed: tfJobNamespaced (default true) keeps the operator in its namespace: Role tf-job-operator",
    (CORE, "ClusterRoleBinding", "tf-job-operator"):
        "removed: RoleBinding tf-job-operator instead (tfJobNamespaced)",
    (CORE, "Role", "tf-job-operator"):
        "added: what training-operator needs for TFJobs, in its namespace only (was '*' on tfjobs, pods, "
        "CRDs, storage classes, jobs, deployments cluster-wide)",
    (CORE, "RoleBinding", "tf-job-operator"): "added: binds Role tf-job-operator to its ServiceAccount",
    (CORE, "ClusterRole", "tf-job-dashboard"):
        "removed: Role tf-job-dashboard instead (tfJobNamespaced); ksonnet's was the operator's '*' role",
    (CORE, "ClusterRoleBinding", "tf-job-dashboard"):
        "removed: RoleBinding tf-job-dashboard instead (tfJobNamespaced)",
    (CORE, "Role", "tf-job-dashboard"):
        "added: read-only (get/list/watch tfjobs, pods, services, events; pod logs)",
    (CORE, "RoleBinding", "tf-job-dashboard"): "added: binds Role tf-job-dashboard",
    (CORE, "Service", "tf-job-operator"):
        "added: training-operator v1.9 serves a validating webhook (443->9443) and metrics (8080)",
    (CORE, "Secret", "tf-job-operator-webhook-cert"):
        "added: created empty; training-operator writes its self-signed webhook certificate there and "
        "does not start without it (no secret material in the manifests)",
    (CORE, "ValidatingWebhookConfiguration", "validator.training-operator.kubeflow.org"):
        "added: training-operator v1.9 injects its CA here (name fixed by the binary) and starts its "
        "controllers only after that; limited to TFJobs in the namespace",
    (CORE, "ClusterRole", "tf-job-operator-webhook"):
        "added: get/list/watch webhook configurations and update that one: cluster-scoped, so not in the Role",
    (CORE, "ClusterRoleBinding", "tf-job-operator-webhook"): "added: binds ClusterRole tf-job-operator-webhook",
    (CORE, "Deployment", "tf-job-operator", tuple(f"container tf-job-operator {a}" for a in (
            "image", "command", "args", "command+args", "ports added", "volumeMounts", "livenessProbe",
            "readinessProbe")) + ("pod volumes", "pod ports added")):
        "changed: training-operator v1.9 (/manager limited to TFJob) with ports 8080 metrics, 8081 probes "
        "(liveness /healthz, readiness /readyz), 9443 webhook and the certificate volume; the 2018 binary "
        "(/opt/mlkube/tf-operator), its flags and its config volume are gone",
    # RBAC beyond ksonnet's grants to the same ServiceAccount (everything else kfgen grants is narrower)
    (CORE, "Role", "tf-job-operator", ("grants tfjobs/status.kubeflow.org", "grants tfjobs/finalizers.kubeflow.org")):
        "the v1 CRD has a status subresource and the operator's owner references block deletion through "
        "tfjobs/finalizers: RBAC grants subresources separately, and ksonnet's '*' on tfjobs (a v1alpha1 "
        "CRD without subresources) does not cover them",
    (CORE, "Role", "tf-job-operator", "grants secrets"):
        "the webhook certificate rotator reads Secrets through a cache of its namespace and writes only "
        "tf-job-operator-webhook-cert (resourceNames); the 2018 operator had no webhook",
    (CORE, "ClusterRole", "tf-job-operator-webhook",
     "grants validatingwebhookconfigurations.admissionregistration.k8s.io"):
        "the certificate rotator injects its CA into the (cluster-scoped) ValidatingWebhookConfiguration: "
        "get/list/watch, and update on validator.training-operator.kubeflow.org only",

    # --- core: the TFJob dashboard ----------------------------------------------------------------
    (CORE, "Deployment", "tf-job-dashboard", "container tf-job-dashboard image"):
        "ksonnet's gcr.io/kubeflow-images-staging/tf_operator build is gone and read v1alpha1 TFJobs; kfgen "
        "runs the last image Kubeflow shipped the dashboard in (Kubeflow 0.6/0.7, beside the first "
        "kubeflow.org/v1 operator)",
    (CORE, "Deployment", "tf-job-dashboard", "container tf-job-dashboard env names added"):
        "KUBEFLOW_NAMESPACE (tfJobNamespaced): the dashboard lists the TFJobs of its own namespace, all its "
        "Role lets it read",
    (CORE, "Role", "tf-job-dashboard", "grants pods/log"):
        "the dashboard shows pod logs; ksonnet's '*' on pods does not include the pods/log subresource "
        "(RBAC grants subresources separately)",

    # --- core: JupyterHub ------------------------------------------------------------------------------
    (CORE, "StatefulSet", "tf-hub", ("containers added", "initContainers added", "container tf-hub ports removed")):
        "changed: current JupyterHub images do not bundle the proxy: a 'proxy' sidecar (configurable-http-"
        "proxy, port 8000, which the Services target as before) and a 'proxy-token' init container join the "
        "'tf-hub' container, which keeps the hub API port 8081",
    (CORE, "StatefulSet", "tf-hub", ("container tf-hub volumeMounts", "pod volumes", "container tf-hub workingDir")):
        "the config is mounted read-only; the proxy's API token is shared through an in-memory emptyDir "
        "(generated in the pod, no Secret); the hub's working directory /srv/jupyterhub (jupyterhub.sqlite, "
        "cookie secret) is an emptyDir with the default params, as in ksonnet (a restarted hub forgets its state); "
        "jupyterHubStatePersistent (on by default with the native authenticator) puts it on a claim template",
    (CORE, "StatefulSet", "tf-hub", "container tf-hub image"):
        "ksonnet's gcr.io/kubeflow/jupyterhub-k8s:1.0.1 no longer exists; kfgen runs the current JupyterHub "
        "hub image (quay.io/jupyterhub/k8s-hub, param jupyterHubImage)",
    (CORE, "StatefulSet", "tf-hub", "container tf-hub readinessProbe"):
        "added: the pod is ready once the hub answers /hub/health on its API port 8081",
    (CORE, "StatefulSet", "tf-hub", "pod metadata"):
        "annotation checksum/jupyterhub-config: a changed jupyterhub_config.py rolls the hub pod (a "
        "ConfigMap change alone would not)",
    (CORE, "StatefulSet", "tf-hub", "spec.serviceName"):
        "ksonnet defect fixed: its serviceName was empty; kfgen names the headless Service tf-hub-0 that "
        "ksonnet rendered for the hub as the StatefulSet's governing Service",
    (CORE, "Role", "jupyter-role", "rules"):
        "changed: what KubeSpawner needs (pods create/get/list/watch/delete, events read; PVC verbs only with "
        "per-user notebook storage) instead of '*' on '*'",

    # --- core: Ambassador, spartakus -----------------------------------------------------------------
    (CORE, "Deployment", "ambassador", "pod metadata"):
        "ksonnet defect fixed: it put namespace: kubeflow into the pod template's metadata, where it means "
        "nothing (pods run in the Deployment's namespace)",
    (B, "Deployment", "spartakus-volunteer", "container volunteer image"):
        "spartakus v1.0.0 -> v1.1.0, the release later Kubeflow manifests (common/spartakus) ran, with the "
        "same volunteer flags",

    # --- every workload -----------------------------------------------------------------------------------
    (CORE + SERVING, "Deployment", "*", "container * securityContext"):
        "Pod Security Standard restricted (kfgen.kube.objects.security_context(): no privilege escalation, every "
        "capability dropped, seccomp RuntimeDefault, runAsNonRoot, with a non-root uid where the image sets none); "
        "Ambassador's pod is the baseline exception (its 0.30.1 image runs as root and binds port 80)",
    (CORE, "StatefulSet", "tf-hub", "container tf-hub securityContext"):
        "Pod Security Standard restricted: the hub runs as non-root uid 1000, no capabilities, no privilege "
        "escalation, seccomp RuntimeDefault",
    (CORE, ("Deployment", "StatefulSet"), "*", "container * resources"):
        "every container has CPU and memory requests and limits (core params *Resources, sensible defaults)",
    (SERVING, "Deployment", "inception", "pod automountServiceAccountToken"):
        "the model server never calls the Kubernetes API: no service-account token in its pods",
    (CORE, "NetworkPolicy", ("default-deny-ingress", "tfjob-replicas", "ambassador", "tf-hub", "jupyter-notebooks",
                             "tf-job-dashboard", "tf-job-operator")):
        "added: NetworkPolicies (core param networkPolicies, default on): ingress to the namespace's pods is denied "
        "except what the components need (the gateway's and hub's front doors, hub <-> notebooks, the webhook, "
        "Ambassador to the dashboard, TFJob replicas to each other)",
    (CORE, "Deployment", "tf-job-dashboard", "container tf-job-dashboard readinessProbe"):
        "added: the pod is ready once the dashboard listens on 8080 (TCP; the image has no health endpoint)",
    (SERVING, "NetworkPolicy", "inception"):
        "added: NetworkPolicy (tf-serving param networkPolicies, default on): the namespace's pods may reach the "
        "serving ports",
    (CORE, "Role", "ambassador", "rules"):
        "least privilege: Ambassador 0.30 only reads (kubewatch.py): its TLS Secrets by name (get on "
        "ambassador-certs and ambassador-cacert, was get/list/watch on every Secret), ConfigMaps list and get "
        "on ambassador-config (was create/update/patch on any), Services list/watch",
    (TFJOBS, "TFJob", "*", "*: pod securityContext"):
        "Pod Security Standard restricted for training pods: runAsNonRoot with uid/gid 1000 (the tensorflow images "
        "run as root by default) and seccomp RuntimeDefault",
    (TFJOBS, "TFJob", "*", "*: pod automountServiceAccountToken"):
        "training pods never call the Kubernetes API: no service-account token",
    (TFJOBS, "TFJob", "*", "*: container tensorflow resources"):
        "every container has CPU and memory requests and limits: ksonnet's TFJobs had none (an unbounded training "
        "pod can starve its node); tf-job and tf-cnn fill what resources.<type> leaves unset from their defaults, "
        "requests cpu 1 / memory 1Gi, limits cpu 2 / memory 4Gi (GPUs still from num_gpus, compared: aspect "
        "'<type>: container tensorflow gpu')",
    (TFJOBS, "TFJob", "*", "*: container tensorflow securityContext"):
        "kfgen.kube.objects.container()'s restricted defaults: no privilege escalation, every capability dropped, "
        "seccomp RuntimeDefault, runAsNonRoot",

    # --- tf-serving -------------------------------------------------------------------------------
    (SERVING, "Deployment", "inception", "container inception image"):
        "gcr.io/kubeflow-images-staging/tf-model-server-* no longer exist; today's pinned tensorflow/serving "
        "(-gpu with numGpus > 0)",
    (SERVING, "Deployment", "inception", "container inception command"):
        "the tensorflow/serving image has an entrypoint script, so the server binary is the container "
        "command and the flags are its args (ksonnet: all in args)",
    (SERVING, "Deployment", "inception", "container inception args"):
        "the server binary moved to command (the tensorflow/serving image has an entrypoint script); what "
        "runs, command and args together, is compared (aspect 'container inception command+args')",
    (C_PROXY, "Deployment", "inception", "container inception command+args"):
        "--rest_api_port=8000: without httpProxyImage the model server's own REST API serves the proxy port",
    (SERVING, "Deployment", "inception", "container inception readinessProbe"):
        "added: TCP 9000 opens once the model is loaded",
    (SERVING, "Deployment", "inception", "pod tolerations"):
        "numGpus > 0: the nvidia.com/gpu NoSchedule toleration, as tf-job's GPU replicas (GPU nodes carry the "
        "taint: without it the server never schedules on one)",
    (C, "Service", "inception", ("ports removed", "mappings removed")):
        "proxy port and mappings only with deployHttpProxy: ksonnet put port 8000 and the Ambassador "
        "mappings on every Service, routing to a port nothing listened on unless the proxy was deployed",
    (C_PROXY, "Service", "inception", "mapping tfserving-mapping-inception-* rewrite"):
        "native REST rewrites: without httpProxyImage the model server's own REST API serves port 8000; "
        "its paths are /v1/models/<model>[:predict] (names, prefixes, methods and service are ksonnet's)",
    (C_PROXY, "Deployment", "inception", ("container inception ports added", "pod ports added")):
        "native REST: without httpProxyImage the model server itself listens on 8000 (--rest_api_port)",
    (C_PROXY_CONTAINER, "Deployment", "inception", ("containers added", "pod ports added")):
        "deployHttpProxy with httpProxyImage adds the proxy container <name>-http-proxy that ksonnet's "
        "prototype defined but v0.1.0 could not render (deployHttpProxy crashed it), although it always "
        "rendered the port and routes pointing at it",

    # --- tf-job, tf-cnn: TFJob v1alpha1 -> v1 -----------------------------------------------------------
    ((D, EXAMPLE), "TFJob", "*", "spec fields"):
        "replicaSpecs -> tfReplicaSpecs: v1 keys replica specs by replica type in a map instead of a list of "
        "entries carrying tfReplicaType; terminationPolicy removed: v1 has none, the job ends when the chief "
        "(or, without one, worker 0) finishes, which is what ksonnet's policy said (compared: aspect 'chief')",
    (F, "TFJob", "mycnnjob", "spec fields"):
        "replicaSpecs -> tfReplicaSpecs (a map by replica type); terminationPolicy removed (v1 ends the job "
        "when worker 0 finishes, ksonnet's chief WORKER 0); tfImage removed: a v1alpha1-only field of "
        "tf-cnn's job, v1 has no job-level image",
    (TFJOBS, "TFJob", "*", "replica type names"):
        "MASTER -> Chief: v1 accepts Master only for backwards compatibility; the operator writes the "
        "lower-cased type into TF_CONFIG and TensorFlow 2 distribution strategies know 'chief', not "
        "'master'. WORKER/PS -> Worker/PS: v1 spelling of the replica types",
    (TFJOBS, "TFJob", "*", "*: pod restartPolicy"):
        "restartPolicy on the replica spec: v1 reads it there and derives the pod's from it (ExitCode is "
        "only valid there); ksonnet set it in the pod template. The effective policy is compared (aspect "
        "'<type>: restartPolicy')",
    (D, "TFJob", "myjob", "Worker: pod tolerations"):
        "GPU toleration on GPU workers: GPU node pools are commonly tainted nvidia.com/gpu:NoSchedule; "
        "workers with GPUs tolerate it unless the user gives tolerations",
    (F, "TFJob", "mycnnjob", "*: container tensorflow image"):
        "tf-cnn images gcr.io/kubeflow -> docker.io/kubeflow: the gcr.io copies are gone; the same builds "
        "(same tags) are on Docker Hub",
}


# --- cases: the reference files, their headers, kfgen's params ---------------------------------------

#: ksonnet's prototype file (the header's "prototype:" path, last part) -> kfgen's prototype.
KSONNET_PROTOTYPES = {
    "all.jsonnet": "core",
    "tf-serving-all-features.jsonnet": "tf-serving",
    "tf-job.jsonnet": "tf-job",
    "tf-cnn-benchmarks.jsonnet": "tf-cnn",
}

#: Reference files without a ksonnet header: the prototype they are compared against, and how the
#: equivalent params are read off the object itself.
HEADERLESS = {
    "tf-operator-v0.1.0-examples-tf_job.yaml": "tf-job",
}

#: Extra renders of a case with params added on top of its header's: ksonnet always rendered the HTTP
#: proxy's Service port and Ambassador routes (see DELIBERATE), kfgen renders them with deployHttpProxy,
#: so these compare them too. The case id is "<file stem>+<variant>".
VARIANTS: dict[str, dict[str, dict[str, Any]]] = {
    "c-tf-serving-gpu": {
        "http-proxy": {"deployHttpProxy": True},
        "http-proxy-container": {"deployHttpProxy": True, "httpProxyImage": "registry.example/tf-http-proxy:1"},
    },
}

DEFAULT_NAMESPACE = "kubeflow"

# Params kfgen needs beyond ksonnet's for a case to render at all: case b exposes the hub (LoadBalancer) with
# the dummy authenticator, which kfgen refuses unless the profile accepts the risk in so many words.
CONSENT: dict[str, dict[str, Any]] = {"b-core-reportusage-lb": {"jupyterHubAllowUnauthenticatedExternalAccess": True}}


class CaseError(Exception):
    """A reference file kfgen cannot be compared with (unknown prototype, unconvertible params…)."""


@dataclass(frozen=True)
class Case:
    id: str
    file: str
    prototype: str  # kfgen's
    instance: str
    namespace: str
    params: dict[str, Any]  # typed for kfgen
    ksonnet_params: dict[str, Any]  # as the header has them (strings)
    objects: list[dict[str, Any]] = field(repr=False)


def parse_header(text: str) -> dict[str, Any]:
    """The facts of a reference file's comment header (empty when it has none)."""
    header: dict[str, Any] = {}
    for line in text.splitlines():
        if not line.startswith("#"):
            if line.strip() and line.strip() != "---":
                break
            continue
        if m := re.match(r"^# prototype: (\S+)\s+component: (\S+)(?:\s+env namespace: (\S+))?", line):
            header["prototype"], header["component"] = m.group(1), m.group(2)
            if m.group(3):
                header["env_namespace"] = m.group(3)
        elif m := re.match(r"^# ks generate flags: (\{.*\})\s*$", line):
            header["flags"] = json.loads(m.group(1))
        elif m := re.match(r"^# ks param set: (\{.*\})\s*$", line):
            header["params"] = json.loads(m.group(1))
        elif m := re.match(r"^# objects: (\d+)\s*$", line):
            header["objects"] = int(m.group(1))
    return header


def _scalar_types(annotation: Any) -> list[Any]:
    """The scalar types a params field accepts, outermost union first (Annotated, Optional unwrapped)."""
    origin = typing.get_origin(annotation)
    if origin is typing.Annotated:
        return _scalar_types(typing.get_args(annotation)[0])
    if origin in (typing.Union, types.UnionType):
        return [t for arg in typing.get_args(annotation) for t in _scalar_types(arg)]
    if origin is typing.Literal:
        return sorted({type(v) for v in typing.get_args(annotation)}, key=lambda t: t.__name__)
    if annotation is type(None):
        return []
    return [origin or annotation]


def ksonnet_param(model: Any, name: str, value: Any) -> Any:
    """One ``ks param set`` value as kfgen's params model types it. ksonnet kept every param a string
    ("true", "2"); the conversion is explicit and refuses anything it does not know how to read."""
    fields = model.model_fields
    if name not in fields:
        raise CaseError(f"ksonnet param {name!r} has no kfgen counterpart (params: {', '.join(fields)})")
    if not isinstance(value, str):
        raise CaseError(f"ksonnet param {name}={value!r} is not a string")
    accepted = _scalar_types(fields[name].annotation)
    if str in accepted:
        return value
    if bool in accepted and value in ("true", "false"):
        return value == "true"
    if int in accepted and re.fullmatch(r"-?[0-9]+", value):
        return int(value)
    raise CaseError(f"cannot convert ksonnet param {name}={value!r} to {fields[name].annotation}")


def ksonnet_params(prototype: str, params: dict[str, Any]) -> dict[str, Any]:
    model = prototypes()[prototype].params
    return {name: ksonnet_param(model, name, value) for name, value in params.items()}


V1ALPHA1_TYPES = {"MASTER": "Chief", "WORKER": "Worker", "PS": "PS"}


def example_tf_job_params(objects: list[dict[str, Any]]) -> tuple[str, dict[str, Any]]:
    """tf-job params equivalent to a plain v1alpha1 TFJob (one image, no args): its replica counts."""
    if len(objects) != 1 or objects[0].get("kind") != "TFJob":
        raise CaseError("expected exactly one TFJob")
    job = objects[0]
    counts = {"MASTER": 0, "WORKER": 0, "PS": 0}
    images = set()
    for spec in job["spec"]["replicaSpecs"]:
        counts[spec["tfReplicaType"]] += spec.get("replicas", 1)
        for c in spec["template"]["spec"]["containers"]:
            images.add(c["image"])
            if set(c) - {"name", "image"}:
                raise CaseError(f"container fields {sorted(set(c) - {'name', 'image'})} have no tf-job param here")
    if len(images) != 1:
        raise CaseError(f"one image expected, found {sorted(images)}")
    params = {"image": images.pop(), "num_masters": counts["MASTER"], "num_workers": counts["WORKER"],
              "num_ps": counts["PS"]}
    return job["metadata"]["name"], params


def case_files(reference: Path) -> list[Path]:
    return sorted((reference / KSONNET_DIR).glob("*.yaml"))


def _in_file(path: Path, fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except CaseError as exc:
        raise CaseError(f"{path.name}: {exc}") from exc


def load_case(reference: Path, case_id: str) -> Case:
    stem, _, variant = case_id.partition("+")
    path = reference / KSONNET_DIR / f"{stem}.yaml"
    text = path.read_text(encoding="utf-8")
    objects = [d for d in yaml.safe_load_all(text) if d]
    header = parse_header(text)
    if header:
        for needed in ("prototype", "flags", "params"):
            if needed not in header:
                raise CaseError(f"{path.name}: header has no '{needed}' line")
        ksonnet_file = header["prototype"].rsplit("/", 1)[-1]
        if ksonnet_file not in KSONNET_PROTOTYPES:
            raise CaseError(f"{path.name}: ksonnet prototype {ksonnet_file!r} is not mapped to a kfgen prototype "
                            f"(add it to KSONNET_PROTOTYPES)")
        prototype = KSONNET_PROTOTYPES[ksonnet_file]
        if "objects" in header and header["objects"] != len(objects):
            raise CaseError(f"{path.name}: header says {header['objects']} objects, the file has {len(objects)}")
        instance = header["flags"]["name"]
        namespace = header["flags"].get("namespace") or header.get("env_namespace") or DEFAULT_NAMESPACE
        raw = header["params"]
        params = _in_file(path, ksonnet_params, prototype, raw)
    elif path.name in HEADERLESS:
        prototype = HEADERLESS[path.name]
        instance, params = _in_file(path, example_tf_job_params, objects)
        namespace, raw = DEFAULT_NAMESPACE, {}
    else:
        raise CaseError(f"{path.name}: no ksonnet header ('# prototype: …') and not a known example (HEADERLESS)")
    if variant:
        if variant not in VARIANTS.get(stem, {}):
            raise CaseError(f"{path.name}: unknown variant {variant!r}")
        params = {**params, **VARIANTS[stem][variant]}
    params = {**params, **CONSENT.get(stem, {})}
    return Case(case_id, path.name, prototype, instance, namespace, params, raw, objects)


def case_ids(reference: Path | None) -> list[str]:
    if reference is None:
        return []
    ids = []
    for path in case_files(reference):
        ids.append(path.stem)
        ids.extend(f"{path.stem}+{v}" for v in VARIANTS.get(path.stem, {}))
    return ids


def render_case(case: Case) -> list[dict[str, Any]]:
    proto = prototypes()[case.prototype]
    ctx = RenderContext(profile="parity", instance=case.instance, namespace=case.namespace, kubernetes_version="1.37")
    return proto.render_instance(ctx, proto.params.model_validate(case.params)).objects


# --- the comparison -----------------------------------------------------------------------------------

GPU = "nvidia.com/gpu"
CLUSTER_SCOPED = {"ClusterRole", "ClusterRoleBinding", "CustomResourceDefinition", "PersistentVolume", "Namespace",
                  "StorageClass", "ValidatingWebhookConfiguration", "MutatingWebhookConfiguration", "PriorityClass"}
WORKLOADS = {"Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job"}
AMBASSADOR = "getambassador.io/config"


@dataclass(frozen=True)
class Difference:
    key: tuple[str, ...]  # (case, kind, name) or (case, kind, name, aspect)
    detail: str

    def __str__(self) -> str:
        return f"{self.key}: {self.detail}"


class Diffs:
    def __init__(self, case: str) -> None:
        self.case = case
        self.found: list[Difference] = []

    def add(self, kind: str, name: str, aspect: str | None, detail: str) -> None:
        key = (self.case, kind, name) if aspect is None else (self.case, kind, name, aspect)
        self.found.append(Difference(key, detail))

    def compare(self, kind: str, name: str, aspect: str, ksonnet: Any, kfgen: Any) -> None:
        if ksonnet != kfgen:
            self.add(kind, name, aspect, f"ksonnet {_short(ksonnet)} -- kfgen {_short(kfgen)}")

    def compare_sets(self, kind: str, name: str, aspect: str, ksonnet: Any, kfgen: Any) -> None:
        """Set-like aspects are two: '<aspect> removed' (ksonnet's, gone) and '<aspect> added' (kfgen's, new),
        so that an entry for what kfgen adds cannot also excuse losing what ksonnet had."""
        theirs, ours = set(ksonnet), set(kfgen)
        if theirs - ours:
            self.add(kind, name, f"{aspect} removed",
                     f"{_short(sorted(theirs - ours))} (kfgen has {_short(sorted(ours))})")
        if ours - theirs:
            self.add(kind, name, f"{aspect} added",
                     f"{_short(sorted(ours - theirs))} (ksonnet had {_short(sorted(theirs))})")


def _short(value: Any, limit: int = 400) -> str:
    text = json.dumps(value, sort_keys=True, default=str)
    return text if len(text) <= limit else text[:limit] + "…"


def by_key(objects: list[dict[str, Any]], side: str) -> dict[tuple[str, str], dict[str, Any]]:
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for o in objects:
        key = (o["kind"], o["metadata"]["name"])
        assert key not in out, f"{side} renders two {key[0]} objects named {key[1]}"
        out[key] = o
    return out


def quantity(value: Any) -> Decimal:
    return parse_quantity(str(value))


def compare_case(case: Case, ours: list[dict[str, Any]]) -> list[Difference]:
    d = Diffs(case.id)
    ref, out = by_key(case.objects, "ksonnet"), by_key(ours, "kfgen")
    for kind, name in sorted(ref.keys() - out.keys()):
        d.add(kind, name, None, "removed: in ksonnet's output only")
    for kind, name in sorted(out.keys() - ref.keys()):
        d.add(kind, name, None, "added: in kfgen's output only")
    for key in sorted(ref.keys() & out.keys()):
        compare_objects(d, case, ref[key], out[key])
    compare_rbac(d, case, case.objects, ours)
    return d.found


def compare_objects(d: Diffs, case: Case, r: dict[str, Any], o: dict[str, Any]) -> None:
    kind, name = o["kind"], o["metadata"]["name"]
    d.compare(kind, name, "apiVersion", r["apiVersion"], o["apiVersion"])
    if kind in CLUSTER_SCOPED:
        d.compare(kind, name, "namespace", r["metadata"].get("namespace"), o["metadata"].get("namespace"))
    else:  # ksonnet's example files have none: kubectl puts them in the current namespace
        d.compare(kind, name, "namespace", r["metadata"].get("namespace", case.namespace),
                  o["metadata"].get("namespace"))
    d.compare(kind, name, "labels", r["metadata"].get("labels", {}), o["metadata"].get("labels", {}))
    r_ann = {k: v for k, v in r["metadata"].get("annotations", {}).items() if k != AMBASSADOR}
    o_ann = {k: v for k, v in o["metadata"].get("annotations", {}).items() if k != AMBASSADOR}
    d.compare(kind, name, "annotations", r_ann, o_ann)
    r_maps = {m.get("name"): m for m in mappings(r)}
    o_maps = {m.get("name"): m for m in mappings(o)}
    d.compare_sets(kind, name, "mappings", r_maps, o_maps)
    for mname in sorted(r_maps.keys() & o_maps.keys()):
        for key in sorted(r_maps[mname].keys() | o_maps[mname].keys()):
            d.compare(kind, name, f"mapping {mname} {key}", r_maps[mname].get(key), o_maps[mname].get(key))
    if kind == "Service":
        compare_service(d, kind, name, r["spec"], o["spec"])
    elif kind in WORKLOADS:
        compare_workload(d, kind, name, r["spec"], o["spec"])
    elif kind == "TFJob":
        compare_tfjob(d, kind, name, r["spec"], o["spec"])
    elif kind in ("Role", "ClusterRole"):
        d.compare(kind, name, "rules", sorted(map(str, rule_grants(r.get("rules", [])))),
                  sorted(map(str, rule_grants(o.get("rules", [])))))
    elif kind in ("RoleBinding", "ClusterRoleBinding"):
        d.compare(kind, name, "roleRef", r["roleRef"], o["roleRef"])
        d.compare(kind, name, "subjects", sorted(map(_short, r.get("subjects", []))),
                  sorted(map(_short, o.get("subjects", []))))
    elif kind in ("ConfigMap", "Secret"):
        d.compare(kind, name, "data keys", sorted({**r.get("data", {}), **r.get("stringData", {})}),
                  sorted({**o.get("data", {}), **o.get("stringData", {})}))
    elif kind == "CustomResourceDefinition":
        compare_crd(d, kind, name, r["spec"], o["spec"])
    elif kind == "ServiceAccount":
        pass  # name, namespace and labels above are all it has
    else:
        d.compare(kind, name, "spec", r.get("spec"), o.get("spec"))


def mappings(o: dict[str, Any]) -> list[dict[str, Any]]:
    """The Ambassador routes of an object, parsed (kfgen writes the same fields in its own order)."""
    text = o["metadata"].get("annotations", {}).get(AMBASSADOR, "")
    return [m for m in yaml.safe_load_all(text) if m]


def compare_service(d: Diffs, kind: str, name: str, r: dict[str, Any], o: dict[str, Any]) -> None:
    def ports(spec: dict[str, Any]) -> list[tuple[Any, ...]]:
        return [(p.get("name", ""), p["port"], p.get("targetPort", p["port"]), p.get("protocol", "TCP"),
                 p.get("nodePort", 0)) for p in spec.get("ports", [])]

    d.compare_sets(kind, name, "ports", ports(r), ports(o))
    d.compare(kind, name, "type", r.get("type", "ClusterIP"), o.get("type", "ClusterIP"))
    d.compare(kind, name, "selector", r.get("selector"), o.get("selector"))
    for key in sorted((r.keys() | o.keys()) - {"ports", "type", "selector"}):
        d.compare(kind, name, f"spec.{key}", r.get(key), o.get(key))


def compare_workload(d: Diffs, kind: str, name: str, r: dict[str, Any], o: dict[str, Any]) -> None:
    d.compare(kind, name, "replicas", r.get("replicas", 1), o.get("replicas", 1))
    r_labels = r["template"].get("metadata", {}).get("labels", {})
    o_labels = o["template"].get("metadata", {}).get("labels", {})
    # without spec.selector (extensions/v1beta1, apps/v1beta1) the pod labels were the selector
    d.compare(kind, name, "selector", r.get("selector", {"matchLabels": r_labels}), o.get("selector"))
    if not r_labels.items() <= o_labels.items():
        d.add(kind, name, "pod labels", f"ksonnet's pod labels {r_labels} are not all in kfgen's {o_labels}")
    r_meta = {k: v for k, v in r["template"].get("metadata", {}).items() if k != "labels"}
    o_meta = {k: v for k, v in o["template"].get("metadata", {}).items() if k != "labels"}
    d.compare(kind, name, "pod metadata", r_meta, o_meta)
    for key in sorted((r.keys() | o.keys()) - {"replicas", "selector", "template"}):
        d.compare(kind, name, f"spec.{key}", r.get(key), o.get(key))
    compare_pod(d, kind, name, "", r["template"]["spec"], o["template"]["spec"])


def container_ports(c: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [(p["containerPort"], p.get("name", ""), p.get("protocol", "TCP")) for p in c.get("ports", [])]


def compare_pod(d: Diffs, kind: str, name: str, prefix: str, r: dict[str, Any], o: dict[str, Any]) -> None:
    for group in ("containers", "initContainers"):
        r_c = {c["name"]: c for c in r.get(group, [])}
        o_c = {c["name"]: c for c in o.get(group, [])}
        d.compare_sets(kind, name, f"{prefix}{group}", r_c, o_c)
        for cname in sorted(r_c.keys() & o_c.keys()):
            compare_container(d, kind, name, f"{prefix}container {cname} ", r_c[cname], o_c[cname])
    # what the pod listens on, whichever container serves it (Services target pod ports)
    d.compare_sets(kind, name, f"{prefix}pod ports", {p[0] for c in r["containers"] for p in container_ports(c)},
                   {p[0] for c in o["containers"] for p in container_ports(c)})
    for key in sorted((r.keys() | o.keys()) - {"containers", "initContainers"}):
        d.compare(kind, name, f"{prefix}pod {key}", r.get(key), o.get(key))


def server_defaults(env_var: dict[str, Any]) -> dict[str, Any]:
    """An env var as the API server stores it: fieldRef.apiVersion defaults to v1. Both sides are
    compared after defaulting, so spelling the default out is not a difference."""
    field_ref = env_var.get("valueFrom", {}).get("fieldRef")
    if field_ref is None or "apiVersion" in field_ref:
        return env_var
    return {**env_var, "valueFrom": {**env_var["valueFrom"], "fieldRef": {"apiVersion": "v1", **field_ref}}}


def compare_container(d: Diffs, kind: str, name: str, prefix: str, r: dict[str, Any], o: dict[str, Any]) -> None:
    def env(c: dict[str, Any]) -> dict[str, dict[str, Any]]:
        return {e["name"]: server_defaults(e) for e in c.get("env", [])}

    def resources(c: dict[str, Any]) -> dict[str, dict[str, str]]:
        return {part: {res: str(quantity(v).normalize()) for res, v in values.items() if res != GPU}
                for part, values in c.get("resources", {}).items()
                if any(res != GPU for res in values)}

    def gpus(c: dict[str, Any]) -> dict[str, int]:
        return {part: int(values[GPU]) for part, values in c.get("resources", {}).items() if GPU in values}

    r_env, o_env = env(r), env(o)
    d.compare_sets(kind, name, f"{prefix}env names", r_env, o_env)
    d.compare(kind, name, f"{prefix}env values", {k: r_env[k] for k in r_env.keys() & o_env.keys()},
              {k: o_env[k] for k in r_env.keys() & o_env.keys()})
    d.compare_sets(kind, name, f"{prefix}ports", container_ports(r), container_ports(o))
    # what runs: a binary moved from args to command is the same program with the same flags
    d.compare(kind, name, f"{prefix}command+args", r.get("command", []) + r.get("args", []),
              o.get("command", []) + o.get("args", []))
    d.compare(kind, name, f"{prefix}resources", resources(r), resources(o))
    d.compare(kind, name, f"{prefix}gpu", gpus(r), gpus(o))
    for key in sorted((r.keys() | o.keys()) - {"name", "env", "ports", "resources"}):
        d.compare(kind, name, f"{prefix}{key}", r.get(key), o.get(key))


def compare_tfjob(d: Diffs, kind: str, name: str, r: dict[str, Any], o: dict[str, Any]) -> None:
    """A v1alpha1 TFJob (replicaSpecs: a list with tfReplicaType) against a v1 one (tfReplicaSpecs: a map)."""
    d.compare(kind, name, "spec fields", sorted(r), sorted(o))
    r_specs = {s["tfReplicaType"]: s for s in r.get("replicaSpecs", [])}
    o_specs = o.get("tfReplicaSpecs", {})
    d.compare(kind, name, "replica type names", sorted(r_specs), sorted(o_specs))
    mapped = {V1ALPHA1_TYPES.get(t, t): s for t, s in r_specs.items()}
    d.compare(kind, name, "replica types", sorted(mapped), sorted(o_specs))
    # ksonnet's terminationPolicy named the chief; v1 has none: the Chief replica, else Worker 0, ends the job
    # (v1alpha1's default policy: chief MASTER 0)
    chief = r.get("terminationPolicy", {}).get("chief", {"replicaName": "MASTER", "replicaIndex": 0})
    v1_chief = {"replicaName": "Chief" if "Chief" in o_specs else "Worker", "replicaIndex": 0}
    d.compare(kind, name, "chief", {"replicaName": V1ALPHA1_TYPES.get(chief["replicaName"], chief["replicaName"]),
                                    "replicaIndex": chief.get("replicaIndex", 0)}, v1_chief)
    for rtype in sorted(mapped.keys() & o_specs.keys()):
        rs, os_ = mapped[rtype], o_specs[rtype]
        prefix = f"{rtype}: "
        d.compare(kind, name, f"{prefix}replicas", rs.get("replicas", 1), os_.get("replicas", 1))
        r_pod, o_pod = rs["template"]["spec"], os_["template"]["spec"]
        d.compare(kind, name, f"{prefix}restartPolicy", rs.get("restartPolicy", r_pod.get("restartPolicy")),
                  os_.get("restartPolicy", o_pod.get("restartPolicy")))
        for key in sorted((rs.keys() | os_.keys()) - {"replicas", "template", "tfReplicaType", "restartPolicy"}):
            d.compare(kind, name, f"{prefix}{key}", rs.get(key), os_.get(key))
        d.compare(kind, name, f"{prefix}pod metadata", rs["template"].get("metadata", {}),
                  os_["template"].get("metadata", {}))
        compare_pod(d, kind, name, prefix, r_pod, o_pod)


def compare_crd(d: Diffs, kind: str, name: str, r: dict[str, Any], o: dict[str, Any]) -> None:
    d.compare(kind, name, "group", r["group"], o["group"])
    d.compare(kind, name, "names", {k: r["names"].get(k) for k in ("kind", "plural", "singular", "shortNames")},
              {k: o["names"].get(k) for k in ("kind", "plural", "singular", "shortNames")})
    d.compare(kind, name, "scope", r.get("scope", "Namespaced"), o.get("scope", "Namespaced"))
    r_versions = ([r["version"]] if "version" in r
                  else [v["name"] for v in r.get("versions", []) if v.get("served", True)])
    o_versions = [v["name"] for v in o.get("versions", []) if v.get("served", True)]
    d.compare(kind, name, "served versions", r_versions, o_versions)


# --- RBAC: what each subject may do ---------------------------------------------------------------------


@dataclass(frozen=True)
class Grant:
    group: str
    resource: str
    verb: str
    names: frozenset[str] | None = None  # resourceNames; None: every name

    def __str__(self) -> str:
        res = f"{self.resource}.{self.group}" if self.group else self.resource
        return f"{self.verb} {res}" + (f" {sorted(self.names)}" if self.names is not None else "")


def rule_grants(rules: list[dict[str, Any]]) -> set[Grant]:
    out = set()
    for rule in rules:
        names = frozenset(rule["resourceNames"]) if rule.get("resourceNames") else None
        for url in rule.get("nonResourceURLs", []):
            for verb in rule["verbs"]:
                out.add(Grant("nonResourceURL", url, verb))
        for group in rule.get("apiGroups", []):
            for resource in rule.get("resources", []):
                for verb in rule["verbs"]:
                    out.add(Grant(group, resource, verb, names))
    return out


def covers(wide: Grant, narrow: Grant) -> bool:
    """Whether a rule granting *wide* also allows *narrow*, as Kubernetes RBAC matches them: '*' is every
    group / verb / resource (subresources included); 'pods' does not cover 'pods/log'; '*/log' covers
    every resource's log; a rule without resourceNames covers every name."""
    if wide.group not in ("*", narrow.group) or wide.verb not in ("*", narrow.verb):
        return False
    if wide.resource not in ("*", narrow.resource):
        sub = narrow.resource.partition("/")[2]
        if not (sub and wide.resource == f"*/{sub}"):
            return False
    return wide.names is None or (narrow.names is not None and narrow.names <= wide.names)


@dataclass(frozen=True)
class Scoped:
    grant: Grant
    scope: str  # "cluster" or a namespace
    role: tuple[str, str]  # the (kind, name) of the Role / ClusterRole granting it


def subject_grants(objects: list[dict[str, Any]], default_ns: str) -> dict[str, list[Scoped]]:
    """subject ("ServiceAccount ns/name", "User name" …) -> what its bindings grant it, with the scope."""
    roles = {(o["kind"], o["metadata"]["name"], o["metadata"].get("namespace")): o for o in objects
             if o["kind"] in ("Role", "ClusterRole")}
    out: dict[str, list[Scoped]] = {}
    for b in objects:
        if b["kind"] not in ("RoleBinding", "ClusterRoleBinding"):
            continue
        bns = b["metadata"].get("namespace", default_ns) if b["kind"] == "RoleBinding" else None
        ref = b["roleRef"]
        role = roles.get((ref["kind"], ref["name"], bns if ref["kind"] == "Role" else None))
        grants = (rule_grants(role.get("rules", [])) if role
                  else {Grant("?", f"roleRef {ref['kind']} {ref['name']}", "*")})
        scope = "cluster" if b["kind"] == "ClusterRoleBinding" else bns
        for s in b.get("subjects", []):
            who = (f"ServiceAccount {s.get('namespace', bns or default_ns)}/{s['name']}"
                   if s["kind"] == "ServiceAccount" else f"{s['kind']} {s['name']}")
            out.setdefault(who, []).extend(Scoped(g, scope, (ref["kind"], ref["name"])) for g in grants)
    return out


def compare_rbac(d: Diffs, case: Case, ref: list[dict[str, Any]], ours: list[dict[str, Any]]) -> None:
    """kfgen may grant each subject only what ksonnet granted it (or less), and cluster-wide only what
    ksonnet granted cluster-wide. One difference per (granting role, resource), verbs in the detail."""
    theirs = subject_grants(ref, case.namespace)
    found: dict[tuple[str, str, str], list[str]] = {}
    for who, grants in subject_grants(ours, case.namespace).items():
        allowed = theirs.get(who, [])
        for sg in grants:
            wide = [a for a in allowed if covers(a.grant, sg.grant)]
            if wide and any(a.scope in ("cluster", sg.scope) for a in wide):
                continue
            res = f"{sg.grant.resource}.{sg.grant.group}" if sg.grant.group else sg.grant.resource
            aspect = f"grants {res}" if not wide else f"grants {res} cluster-wide"
            where = "cluster-wide" if sg.scope == "cluster" else f"in {sg.scope}"
            found.setdefault((sg.role[0], sg.role[1], aspect), []).append(f"{who}: {sg.grant} {where}")
    for (kind, name, aspect), what in sorted(found.items()):
        d.add(kind, name, aspect, "beyond what ksonnet granted: " + "; ".join(sorted(set(what))))


# --- matching the differences with DELIBERATE ------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    case: str
    kind: str
    name: str  # fnmatch pattern
    aspect: str | None  # fnmatch pattern; None: a whole object
    reason: str
    source: tuple[Any, ...]  # the DELIBERATE key it comes from

    def matches(self, diff: Difference) -> bool:
        case, kind, name, *aspect = diff.key
        if (case, kind) != (self.case, self.kind) or not fnmatchcase(name, self.name):
            return False
        if self.aspect is None or not aspect:
            return self.aspect is None and not aspect and diff.detail.split(":")[0] == self.reason.split(":")[0]
        return fnmatchcase(aspect[0], self.aspect)


def entries(table: dict[tuple[Any, ...], str] = DELIBERATE) -> list[Entry]:
    """The table with its shorthands expanded: one Entry per (case, kind, name, aspect) combination."""
    out = []
    for key, reason in table.items():
        parts = [p if isinstance(p, tuple) else (p,) for p in key]
        aspects = parts[3] if len(parts) == 4 else (None,)
        for case, kind, name, aspect in itertools.product(parts[0], parts[1], parts[2], aspects):
            out.append(Entry(case, kind, name, aspect, reason, key))
    return out


def explain(diffs: list[Difference], table: list[Entry]) -> tuple[dict[Difference, Entry], list[str]]:
    """Each difference's DELIBERATE entry, and what is wrong (unlisted or ambiguous differences)."""
    matched: dict[Difference, Entry] = {}
    problems = []
    for diff in diffs:
        hits = [e for e in table if e.matches(diff)]
        if len(hits) == 1:
            matched[diff] = hits[0]
        elif not hits:
            problems.append(f"not in DELIBERATE: {diff}")
        else:
            problems.append(f"matches {len(hits)} DELIBERATE entries {[h.source for h in hits]}: {diff}")
    return matched, problems


@cache
def case_differences(reference: Path, case_id: str) -> tuple[Difference, ...]:
    case = load_case(reference, case_id)
    return tuple(compare_case(case, render_case(case)))


# --- tests ---------------------------------------------------------------------------------------------

_REF = reference_dir()
CASE_IDS = case_ids(_REF) or ["(reference absent)"]


def test_every_reference_file_maps_to_a_kfgen_prototype(reference: Path) -> None:
    files = case_files(reference)
    assert files, f"no *.yaml in {reference / KSONNET_DIR}"
    problems = []
    for path in files:
        try:
            case = load_case(reference, path.stem)
            prototypes()[case.prototype].params.model_validate(case.params)
        except CaseError as exc:  # report every file at once
            problems.append(str(exc))
        except Exception as exc:  # noqa: BLE001 - e.g. kfgen refusing the params
            problems.append(f"{path.name}: {type(exc).__name__}: {exc}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_kfgen_matches_ksonnet_except_deliberate_differences(reference: Path, case_id: str) -> None:
    diffs = case_differences(reference, case_id)
    _, problems = explain(list(diffs), entries())
    assert not problems, f"{case_id}: {len(problems)} difference(s) with ksonnet not explained:\n" + "\n".join(problems)


def test_every_deliberate_entry_is_used(reference: Path) -> None:
    """A difference that went away (kfgen changed, or a case file did) takes its entry with it."""
    table = entries()
    used: set[Entry] = set()
    for case_id in case_ids(reference):
        try:
            diffs = case_differences(reference, case_id)
        except CaseError:
            continue  # test_every_reference_file_maps_to_a_kfgen_prototype reports it
        matched, _ = explain(list(diffs), table)
        used.update(matched.values())
    stale = [f"{e.source} (as {(e.case, e.kind, e.name, e.aspect)})" for e in table if e not in used]
    assert not stale, "DELIBERATE entries no case produces (remove them):\n" + "\n".join(stale)


def test_deliberate_table_is_well_formed() -> None:
    for key, reason in DELIBERATE.items():
        assert len(key) in (3, 4), key
        assert isinstance(reason, str) and len(reason) > 20, key
        if len(key) == 3:
            assert reason.split(":")[0] in ("removed", "added"), f"{key}: say 'removed:' or 'added:'"
        for part in key:
            assert part and all(isinstance(p, str) and p for p in (part if isinstance(part, tuple) else (part,))), key
    cases = {e.case for e in entries()}
    assert all(c.partition("+")[0] in {A, B, C, D, F, EXAMPLE} for c in cases)


#: API versions current Kubernetes (1.37) and training-operator no longer serve.
REMOVED_API_VERSIONS = {
    "extensions/v1beta1", "apps/v1beta1", "apps/v1beta2", "rbac.authorization.k8s.io/v1beta1",
    "apiextensions.k8s.io/v1beta1", "admissionregistration.k8s.io/v1beta1", "policy/v1beta1", "batch/v1beta1",
    "networking.k8s.io/v1beta1", "storage.k8s.io/v1beta1", "kubeflow.org/v1alpha1", "kubeflow.org/v1alpha2",
    "kubeflow.org/v1beta1",
}


@pytest.mark.parametrize("case_id", CASE_IDS)
def test_kfgen_renders_only_served_api_versions(reference: Path, case_id: str) -> None:
    ours = render_case(load_case(reference, case_id))
    old = sorted({(o["kind"], o["apiVersion"]) for o in ours if o["apiVersion"] in REMOVED_API_VERSIONS})
    assert not old


def _image_differences(reference: Path) -> list[tuple[str, str, str, str]]:
    found = []
    for case_id in case_ids(reference):
        try:
            diffs = case_differences(reference, case_id)
        except CaseError:
            continue  # test_every_reference_file_maps_to_a_kfgen_prototype reports it
        for diff in diffs:
            if len(diff.key) == 4 and diff.key[3].endswith(" image"):
                found.append((case_id, *diff.key[1:]))
    return found


def _container_image(o: dict[str, Any], aspect: str) -> str:
    """The image of the container an aspect like 'Worker: container tensorflow image' names."""
    m = re.fullmatch(r"(?:(\w+): )?container (\S+) image", aspect)
    assert m, aspect
    rtype, cname = m.groups()
    if o["kind"] == "TFJob":
        specs = (o["spec"].get("tfReplicaSpecs")
                 or {V1ALPHA1_TYPES[s["tfReplicaType"]]: s for s in o["spec"]["replicaSpecs"]})
        pod = specs[rtype]["template"]["spec"]
    else:
        pod = o["spec"]["template"]["spec"]
    (image,) = [c["image"] for c in pod["containers"] + pod.get("initContainers", []) if c["name"] == cname]
    return image


def test_replaced_images_keep_their_gpu_or_cpu_build(reference: Path) -> None:
    """Where kfgen runs another image than ksonnet, a GPU build stays a GPU build and a CPU one a CPU one."""
    diffs = _image_differences(reference)
    assert diffs
    for case_id, kind, name, aspect in diffs:
        case = load_case(reference, case_id)
        theirs = _container_image(by_key(case.objects, "ksonnet")[(kind, name)], aspect)
        ours = _container_image(by_key(render_case(case), "kfgen")[(kind, name)], aspect)
        assert ("gpu" in theirs) == ("gpu" in ours), (case_id, kind, name, theirs, ours)


def test_tf_cnn_images_are_the_same_builds_on_docker_hub(reference: Path) -> None:
    case = load_case(reference, F)
    ours = by_key(render_case(case), "kfgen")[("TFJob", case.instance)]
    theirs = by_key(case.objects, "ksonnet")[("TFJob", case.instance)]
    for rtype in ours["spec"]["tfReplicaSpecs"]:
        aspect = f"{rtype}: container tensorflow image"
        ksonnet_image = _container_image(theirs, aspect)
        assert ksonnet_image.startswith("gcr.io/kubeflow/")
        assert _container_image(ours, aspect) == "docker.io/" + ksonnet_image.removeprefix("gcr.io/")
        assert theirs["spec"]["tfImage"] == ksonnet_image  # the v1alpha1 job-level image was the same build


# --- the comparison itself (no reference needed) -------------------------------------------------------


@pytest.mark.parametrize("prototype, name, value, expected", [
    ("core", "reportUsage", "true", True),
    ("core", "reportUsage", "false", False),
    ("core", "usageId", "test-id", "test-id"),
    ("core", "jupyterHubServiceType", "LoadBalancer", "LoadBalancer"),
    ("tf-serving", "numGpus", "1", 1),
    ("tf-serving", "modelPath", "gs://kubeflow-models/inception", "gs://kubeflow-models/inception"),
    ("tf-serving", "deployHttpProxy", "true", True),
    ("tf-job", "num_workers", "2", 2),
    ("tf-job", "args", "--a=1,--b=2", "--a=1,--b=2"),  # str | list[str]: stays ksonnet's comma string
    ("tf-job", "image_gpu", "registry.example/x:1", "registry.example/x:1"),
    ("tf-cnn", "batch_size", "64", 64),
])
def test_ksonnet_string_params_are_typed_by_the_params_model(prototype: str, name: str, value: str,
                                                             expected: Any) -> None:
    got = ksonnet_param(prototypes()[prototype].params, name, value)
    assert got == expected and type(got) is type(expected)


@pytest.mark.parametrize("prototype, name, value, fragment", [
    ("core", "reportUsage", "yes", "cannot convert"),
    ("core", "reportUsage", True, "not a string"),
    ("tf-job", "num_workers", "two", "cannot convert"),
    ("tf-job", "num_workers", "1.5", "cannot convert"),
    ("core", "jupyterHubExternalIPs", "192.0.2.1", "cannot convert"),
    ("tf-job", "resources", "{}", "cannot convert"),
    ("core", "disks", "disk1", "no kfgen counterpart"),
])
def test_unconvertible_params_are_refused(prototype: str, name: str, value: Any, fragment: str) -> None:
    with pytest.raises(CaseError, match=fragment):
        ksonnet_param(prototypes()[prototype].params, name, value)


HEADER = """\
# case z: rendered from kubeflow/kubeflow tag v0.1.0
# prototype: vendor/kubeflow/%s  component: serve  env namespace: team-a
# ks generate flags: {"name": "serve"}
# ks param set: {"modelPath": "gs://bucket/m", "numGpus": "2"}
# objects: 0
"""


def test_header_gives_prototype_instance_namespace_and_typed_params(tmp_path: Path) -> None:
    (tmp_path / KSONNET_DIR).mkdir()
    (tmp_path / KSONNET_DIR / "z.yaml").write_text(HEADER % "tf-serving/prototypes/tf-serving-all-features.jsonnet")
    case = load_case(tmp_path, "z")
    assert (case.prototype, case.instance, case.namespace) == ("tf-serving", "serve", "team-a")
    assert case.params == {"modelPath": "gs://bucket/m", "numGpus": 2}
    assert case.ksonnet_params == {"modelPath": "gs://bucket/m", "numGpus": "2"}


@pytest.mark.parametrize("text, fragment", [
    (HEADER % "tf-serving/prototypes/tf-serving-simple.jsonnet", "'tf-serving-simple.jsonnet' is not mapped"),
    ("apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x}\n", "no ksonnet header"),
    (HEADER.replace("# objects: 0", "# objects: 2") % "core/prototypes/all.jsonnet", "header says 2 objects"),
    (HEADER.replace('# ks param set: {"modelPath": "gs://bucket/m", "numGpus": "2"}\n', "")
     % "tf-serving/prototypes/tf-serving-all-features.jsonnet", "no 'params' line"),
])
def test_a_case_file_kfgen_cannot_map_is_an_error(tmp_path: Path, text: str, fragment: str) -> None:
    """What makes test_every_reference_file_maps_to_a_kfgen_prototype fail for a new, unmapped file."""
    (tmp_path / KSONNET_DIR).mkdir()
    (tmp_path / KSONNET_DIR / "new-case.yaml").write_text(text)
    with pytest.raises(CaseError, match=re.escape(fragment)):
        load_case(tmp_path, "new-case")


@pytest.mark.parametrize("wide, narrow, covered", [
    (Grant("*", "*", "*"), Grant("kubeflow.org", "tfjobs/status", "update"), True),
    (Grant("", "pods", "*"), Grant("", "pods", "delete"), True),
    (Grant("", "pods", "*"), Grant("", "pods/log", "get"), False),  # subresources are separate
    (Grant("", "*/log", "get"), Grant("", "pods/log", "get"), True),
    (Grant("", "*/log", "get"), Grant("", "pods", "get"), False),
    (Grant("", "pods", "get"), Grant("", "pods", "list"), False),
    (Grant("apps", "deployments", "*"), Grant("", "deployments", "get"), False),
    (Grant("", "secrets", "update"), Grant("", "secrets", "update", frozenset({"cert"})), True),
    (Grant("", "secrets", "update", frozenset({"cert"})), Grant("", "secrets", "update"), False),
    (Grant("", "secrets", "update", frozenset({"a", "b"})), Grant("", "secrets", "update", frozenset({"b"})), True),
    (Grant("", "secrets", "update", frozenset({"a"})), Grant("", "secrets", "update", frozenset({"b"})), False),
    (Grant("", "pods", "get"), Grant("", "*", "get"), False),
    (Grant("", "pods", "get"), Grant("", "pods", "*"), False),
])
def test_rbac_coverage_follows_kubernetes_matching(wide: Grant, narrow: Grant, covered: bool) -> None:
    assert covers(wide, narrow) is covered


MAPPING = "---\napiVersion: ambassador/v0\nkind:  Mapping\nname: web-mapping\nprefix: /web/\nservice: web.kubeflow\n"


def _mini() -> list[dict[str, Any]]:
    """A small ksonnet-style render: Service, Deployment and cluster-wide RBAC for its ServiceAccount."""
    labels = {"app": "web"}
    return [
        {"apiVersion": "v1", "kind": "Service",
         "metadata": {"name": "web", "namespace": "kubeflow", "labels": dict(labels),
                      "annotations": {AMBASSADOR: MAPPING}},
         "spec": {"ports": [{"name": "http", "port": 80, "targetPort": 8080}], "selector": dict(labels),
                  "type": "ClusterIP"}},
        {"apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": "web", "namespace": "kubeflow"},
         "spec": {"replicas": 2, "template": {"metadata": {"labels": dict(labels)}, "spec": {
             "serviceAccountName": "web",
             "containers": [{"name": "web", "image": "img:1", "command": ["/srv"], "args": ["--a"],
                             "env": [{"name": "A", "value": "1"}], "ports": [{"containerPort": 8080}],
                             "resources": {"limits": {"cpu": 1, GPU: 1}}}]}}}},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRole", "metadata": {"name": "web"},
         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get", "list"]}]},
        {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "ClusterRoleBinding", "metadata": {"name": "web"},
         "roleRef": {"apiGroup": "rbac.authorization.k8s.io", "kind": "ClusterRole", "name": "web"},
         "subjects": [{"kind": "ServiceAccount", "name": "web", "namespace": "kubeflow"}]},
    ]


def _container(objs: list[dict[str, Any]]) -> dict[str, Any]:
    return objs[1]["spec"]["template"]["spec"]["containers"][0]


def _namespaced(objs: list[dict[str, Any]]) -> None:
    objs[2]["kind"], objs[3]["kind"], objs[3]["roleRef"]["kind"] = "Role", "RoleBinding", "Role"
    objs[2]["metadata"]["namespace"] = objs[3]["metadata"]["namespace"] = "kubeflow"


MUTATIONS = [
    pytest.param(lambda o: None, None, set(), id="identical"),
    pytest.param(lambda o: o[0]["spec"]["ports"][0].update(targetPort=8081), None, {("Service", "web", "ports removed"),
                 ("Service", "web", "ports added")}, id="service-target-port"),
    pytest.param(lambda o: o[0]["spec"]["ports"][0].update(name="web"), None, {("Service", "web", "ports removed"),
                 ("Service", "web", "ports added")}, id="service-port-name"),
    pytest.param(lambda o: o[0]["spec"]["ports"].clear(), None, {("Service", "web", "ports removed")},
                 id="service-port-lost"),
    pytest.param(lambda o: o[0]["metadata"].update(annotations={AMBASSADOR: MAPPING.replace("kind:  M", "kind: M")}),
                 None, set(), id="mapping-spelled-otherwise"),
    pytest.param(lambda o: o[0]["metadata"].update(annotations={AMBASSADOR: MAPPING + "rewrite: /\n"}), None,
                 {("Service", "web", "mapping web-mapping rewrite")}, id="mapping-rewrite"),
    pytest.param(lambda o: o[0]["metadata"].pop("annotations"), None, {("Service", "web", "mappings removed")},
                 id="mapping-lost"),
    pytest.param(lambda o: o[0]["spec"].update(type="NodePort"), None, {("Service", "web", "type")},
                 id="service-type"),
    pytest.param(lambda o: o[0]["spec"].pop("type"), None, set(), id="service-type-default-is-cluster-ip"),
    pytest.param(lambda o: o[0]["spec"].update(selector={"app": "other"}), None, {("Service", "web", "selector")},
                 id="service-selector"),
    pytest.param(lambda o: o[1]["spec"]["template"]["metadata"]["labels"].update(tier="x"), None, set(),
                 id="extra-pod-label"),
    pytest.param(lambda o: o[1]["spec"]["template"]["metadata"].update(labels={"run": "web"}), None,
                 {("Deployment", "web", "pod labels")}, id="pod-labels-lost"),
    pytest.param(lambda o: o[1]["spec"]["selector"]["matchLabels"].update(tier="x"), None,
                 {("Deployment", "web", "selector")}, id="workload-selector"),
    pytest.param(lambda o: o[1]["spec"].update(replicas=1), None, {("Deployment", "web", "replicas")},
                 id="replicas"),
    pytest.param(lambda o: _container(o).update(name="server"), None,
                 {("Deployment", "web", "containers removed"), ("Deployment", "web", "containers added")},
                 id="container-renamed"),
    pytest.param(lambda o: o[1]["spec"]["template"]["spec"]["containers"].append(
                     {"name": "side", "image": "side:1", "ports": [_container(o)["ports"].pop()]}), None,
                 {("Deployment", "web", "containers added"), ("Deployment", "web", "container web ports removed")},
                 id="port-moved-to-a-sidecar"),
    pytest.param(lambda o: _container(o).update(args=["--b"]), None,
                 {("Deployment", "web", "container web args"), ("Deployment", "web", "container web command+args")},
                 id="args"),
    pytest.param(lambda o: _container(o).update(command=["/bin/srv"]), None,
                 {("Deployment", "web", "container web command"), ("Deployment", "web", "container web command+args")},
                 id="command"),
    pytest.param(lambda o: _container(o).update(command=["/srv", "--a"], args=[]), None,
                 {("Deployment", "web", "container web command"), ("Deployment", "web", "container web args")},
                 id="flag-moved-to-command-same-program"),
    pytest.param(lambda o: _container(o).update(env=[{"name": "B", "value": "1"}]), None,
                 {("Deployment", "web", "container web env names removed"),
                  ("Deployment", "web", "container web env names added")}, id="env-name"),
    pytest.param(lambda o: _container(o).update(env=[{"name": "A", "value": "2"}]), None,
                 {("Deployment", "web", "container web env values")}, id="env-value"),
    pytest.param(lambda o: _container(o)["ports"].append({"containerPort": 9000}), None,
                 {("Deployment", "web", "container web ports added"), ("Deployment", "web", "pod ports added")},
                 id="container-port"),
    pytest.param(lambda o: _container(o).pop("ports"), None,
                 {("Deployment", "web", "container web ports removed"), ("Deployment", "web", "pod ports removed")},
                 id="container-port-lost"),
    pytest.param(lambda o: _container(o)["resources"]["limits"].update({GPU: 2}), None,
                 {("Deployment", "web", "container web gpu")}, id="gpu"),
    pytest.param(lambda o: _container(o)["resources"]["limits"].update(cpu="1000m"), None, set(),
                 id="same-quantity-other-spelling"),
    pytest.param(lambda o: _container(o)["resources"]["limits"].update(cpu="2"), None,
                 {("Deployment", "web", "container web resources")}, id="cpu-limit"),
    pytest.param(lambda o: _container(o).update(image="img:2"), None, {("Deployment", "web", "container web image")},
                 id="image"),
    pytest.param(lambda o: o[1]["spec"]["template"]["spec"].update(serviceAccountName="other"), None,
                 {("Deployment", "web", "pod serviceAccountName")}, id="service-account"),
    pytest.param(lambda o: o.pop(0), None, {("Service", "web")}, id="object-removed"),
    pytest.param(lambda o: o[2]["rules"].append({"apiGroups": [""], "resources": ["secrets"], "verbs": ["get"]}),
                 None, {("ClusterRole", "web", "rules"), ("ClusterRole", "web", "grants secrets")}, id="wider-rbac"),
    pytest.param(lambda o: o[2]["rules"][0].update(verbs=["get"]), None, {("ClusterRole", "web", "rules")},
                 id="narrower-rules-of-the-same-role"),
    pytest.param(_namespaced, None, {("ClusterRole", "web"), ("ClusterRoleBinding", "web"), ("Role", "web"),
                                     ("RoleBinding", "web")}, id="narrower-scope-only-renames"),
    pytest.param(lambda o: None, _namespaced,
                 {("ClusterRole", "web"), ("ClusterRoleBinding", "web"), ("Role", "web"), ("RoleBinding", "web"),
                  ("ClusterRole", "web", "grants pods cluster-wide")}, id="cluster-wide-where-ksonnet-was-namespaced"),
    pytest.param(lambda o: o[3]["subjects"][0].update(name="other"), None,
                 {("ClusterRoleBinding", "web", "subjects"), ("ClusterRole", "web", "grants pods")},
                 id="grants-to-another-subject"),
]


@pytest.mark.parametrize("mutate_kfgen, mutate_ksonnet, expected", MUTATIONS)
def test_the_comparison_reports_each_aspect(mutate_kfgen: Any, mutate_ksonnet: Any, expected: set) -> None:
    ref, ours = _mini(), _mini()
    if mutate_ksonnet:
        mutate_ksonnet(ref)
    ref[1]["apiVersion"] = "extensions/v1beta1"  # and no spec.selector: the pod labels were the selector
    ours[1]["spec"]["selector"] = {"matchLabels": {"app": "web"}}  # apps/v1 requires it
    mutate_kfgen(ours)
    case = Case("t", "t.yaml", "core", "web", "kubeflow", {}, {}, ref)
    found = {diff.key[1:] for diff in compare_case(case, ours)}
    assert found - {("Deployment", "web", "apiVersion")} == expected


def test_matching_needs_exactly_one_entry_and_the_right_direction() -> None:
    table = entries({
        (("t", "u"), "Deployment", "web", ("container web image", "container web args")): "because of a reason",
        ("t", "Service", "web"): "removed: because of a reason",
        ("t", "Deployment", "*", "container * image"): "an overlapping pattern, to be reported",
    })
    assert len(table) == 6
    image = Difference(("t", "Deployment", "web", "container web image"), "x")
    args = Difference(("u", "Deployment", "web", "container web args"), "x")
    removed = Difference(("t", "Service", "web"), "removed: in ksonnet's output only")
    added = Difference(("t", "Service", "web"), "added: in kfgen's output only")
    other = Difference(("t", "Deployment", "web", "container web ports"), "x")
    matched, problems = explain([image, args, removed, added, other], table)
    assert set(matched) == {args, removed}
    ambiguous, wrong_direction, unlisted = problems
    assert ambiguous.startswith("matches 2 DELIBERATE entries") and str(image) in ambiguous
    assert wrong_direction == f"not in DELIBERATE: {added}"  # the entry says removed
    assert unlisted == f"not in DELIBERATE: {other}"
