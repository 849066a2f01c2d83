"""What a profile is, as pydantic models, and the validation of a loaded profile against them.

A profile is ksonnet's environment, declared: the namespace, the Kubernetes version, the cluster's
nodes (and, for the deploy commands, the kubectl context and API server it deploys to), and
``components``: instance name -> ``prototype`` + ``params``. The component union is built from the
prototype registry, discriminated on ``prototype``, so every prototype's params are checked with
its own model (and the JSON schema of profiles comes from the same place). Errors are told in the
user's terms by :mod:`kfgen.profile.diagnostics`.
"""

from __future__ import annotations

import re
from functools import cache, cached_property, lru_cache
from typing import Annotated, Any, Literal, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationError, create_model, field_validator

from kfgen.errors import KfgenError
from kfgen.kube.constants import DEFAULT_KUBERNETES_VERSION, DNS_LABEL_MAX, DNS_LABEL_PATTERN
from kfgen.kube.podsecurity import Level
from kfgen.profile.diagnostics import translate
from kfgen.profile.store import LoadedProfile
from kfgen.prototypes.base import Node, Params, RenderContext, prototypes
from kfgen.prototypes.params import DEFAULT_LIST, INT32_MAX, ParamError, Quantity, described, repeated
from kfgen.render.patches import Patch

NODE_NAME = described(r"^[a-z0-9]([-.a-z0-9]*[a-z0-9])?$",
                      "a node name: lower-case letters, digits, '-' and '.', "
                      "starting and ending with a letter or digit", short="a node name")
KUBERNETES_VERSION = described(r"^1\.[0-9]{2}$", "a Kubernetes minor version, as a string such as '1.37'",
                               short="a version string such as '1.37'")
KUBE_CONTEXT = described(r"^\S+$", "a kubectl context name: not empty, no spaces or other whitespace",
                         short="a kubectl context name")
SERVER_URL = described(r"^https?://[^\s/]+(/\S*)?$",
                       "an API server URL: http:// or https://, a host (and :port), no whitespace, "
                       "e.g. https://192.0.2.10:6443", short="an API server URL")


def _supported_version(version: str) -> str:
    """kubernetesVersion must be one kfgen has schemas for (what ``kfgen validate`` checks against)."""
    from kfgen.kube.schemas import shipped_versions  # lazily: it looks through the installed schema sets

    try:
        shipped = shipped_versions()
    except KfgenError:  # kubernetes-validate missing: `kfgen validate` says so; rendering needs no schemas
        return version
    if shipped and version not in shipped:
        raise ParamError(f"kfgen has no Kubernetes schemas for version {version}",
                         expected="one of: " + ", ".join(shipped),
                         hint=f"the newest supported version is '{shipped[-1]}'")
    return version


#: Namespace and instance names: DNS labels (instance names become object names and label values).
Name = Annotated[str, Field(pattern=DNS_LABEL_PATTERN, max_length=DNS_LABEL_MAX)]
KubernetesVersion = Annotated[str, Field(pattern=KUBERNETES_VERSION), AfterValidator(_supported_version)]
KubeContext = Annotated[str, Field(pattern=KUBE_CONTEXT)]
ServerURL = Annotated[str, Field(pattern=SERVER_URL)]
_STRICT = ConfigDict(extra="forbid", strict=True, frozen=True)


class Strict(BaseModel):
    model_config = _STRICT


class NodeSpec(Strict):
    """One machine of the cluster, as far as scheduling is concerned."""

    name: str = Field(description="Node name (kubernetes.io/hostname).", pattern=NODE_NAME, max_length=253)
    cpu: Quantity = Field("1", description="Allocatable CPU, as a Kubernetes quantity: a whole number or a string "
                                           "(e.g. 4, '3500m').")
    memory: Quantity = Field("1Gi", description="Allocatable memory, as a Kubernetes quantity: a whole number of "
                                                "bytes or a string (e.g. '16Gi').")
    gpus: int = Field(0, ge=0, le=INT32_MAX, description="nvidia.com/gpu devices on this node.")
    gpuModel: str | None = Field(None, description="GPU model, for people (e.g. 'GTX 1060 3GB').")
    labels: dict[str, str] = Field({}, description="Node labels, for nodeSelectors.")


class ClusterSpec(Strict):
    """Facts about the cluster the profile deploys to."""

    nodes: list[NodeSpec] = Field([], description="The cluster's nodes.")
    context: KubeContext | None = Field(
        None, description="kubectl context this profile deploys to; kfgen apply/diff/delete refuse any other.")
    server: ServerURL | None = Field(None, description="API server URL this profile deploys to.")

    @field_validator("nodes")
    @classmethod
    def _unique_names(cls, nodes: list[NodeSpec]) -> list[NodeSpec]:
        dupes = repeated([n.name for n in nodes])
        if dupes:
            raise ValueError(f"node names must be unique; repeated: {', '.join(dupes)}")
        return nodes


@cache
def _component_model(name: str, params: type[Params]) -> type[BaseModel]:
    cls_name = "".join(part.capitalize() for part in re.split(r"[-_]", name)) + "Component"
    return create_model(
        cls_name,
        __config__=_STRICT,
        __doc__=f"An instance of the '{name}' prototype.",
        prototype=(Literal[name], Field(description="The prototype this instance renders.")),  # type: ignore[valid-type]
        namespace=(Name | None, Field(None, description="Namespace for this instance (default: the profile's).")),
        # default {} is validated like a written one, so missing required params are reported
        params=(params, Field(default_factory=dict, validate_default=True, description=f"Parameters of '{name}'.")),
        patches=(list[Patch], Field(  # a factory: a [] default would be deep-copied for every instance
            default_factory=list, json_schema_extra=DEFAULT_LIST,
            description="Patches on the objects this instance renders (merge: strategic-merge style, or "
                        "jsonPatch: RFC 6902), applied before validation: the way to set a field kfgen has no "
                        "param for.")),
    )


def prototypes_used(data: Any) -> frozenset[str] | None:
    """The prototypes a profile's (merged, unvalidated) data names in ``components``, when every
    component names a known one; else None (no components, or one the full model must word)."""
    comps = data.get("components") if isinstance(data, dict) else None
    if not isinstance(comps, dict) or not comps:
        return None
    known = prototypes()
    names = [c.get("prototype") if isinstance(c, dict) else None for c in comps.values()]
    return frozenset(names) if all(isinstance(n, str) and n in known for n in names) else None


@lru_cache(maxsize=16)
def profile_model(names: frozenset[str] | None = None) -> type[BaseModel]:
    """The model of profiles. Without *names*: components may be instances of every prototype (the
    JSON schema of profiles, and the model errors are worded with). With *names* (e.g.
    :func:`prototypes_used`): instances of those prototypes only, the rest as in the full model, so
    data that names only those validates to the same values, with errors at the same places: enough to
    validate such a profile without importing the other prototypes' modules or building their models."""
    protos = prototypes()
    chosen = list(protos) if not names else sorted(names)
    comps = tuple(_component_model(n, protos[n].params) for n in chosen)
    Component = Annotated[Union[comps], Field(discriminator="prototype")]  # type: ignore[valid-type]  # noqa: UP007
    return create_model(
        "Profile",
        __config__=_STRICT,
        __doc__="A kfgen profile: ksonnet's environment, declared.",
        description=(str, Field("", description="What this profile is for.")),
        namespace=(Name, Field(
            "kubeflow", description="Default namespace of every component (ksonnet's env namespace).")),
        kubernetesVersion=(KubernetesVersion, Field(
            DEFAULT_KUBERNETES_VERSION, description="Minor version of the target cluster, e.g. '1.37'. "
                                                    "Selects the schemas output is validated against.")),
        cluster=(ClusterSpec, Field(default_factory=ClusterSpec, description="Facts about the cluster.")),
        podSecurity=(dict[Name, Level], Field(
            {}, description="Namespaces whose pods may run below the Pod Security Standard 'restricted', with the "
                            "level allowed (baseline or privileged; restricted is the default), e.g. {kubeflow: "
                            "baseline}. A pod below its namespace's level is a render error. Each Namespace kfgen "
                            "renders enforces, audits and warns at its level.")),
        components=(dict[Name, Component], Field(
            {}, description="Component instances: instance name -> prototype and params.")),
    )


class Profile:
    """A validated profile, with where each setting came from."""

    def __init__(self, loaded: LoadedProfile, model: BaseModel):
        self.name = loaded.name
        self.chain = loaded.chain
        self.sources = loaded.sources
        self.model = model

    @property
    def namespace(self) -> str:
        return self.model.namespace  # type: ignore[attr-defined]

    @property
    def kubernetes_version(self) -> str:
        return self.model.kubernetesVersion  # type: ignore[attr-defined]

    @property
    def pod_security(self) -> dict[str, str]:
        """Namespace -> the Pod Security Standard level its pods may meet, for the namespaces lowered below
        ``restricted`` (every other namespace is restricted)."""
        return self.model.podSecurity  # type: ignore[attr-defined, no-any-return]

    @property
    def cluster(self) -> ClusterSpec:
        """The cluster's nodes, and the kubectl context and API server the profile deploys to (if pinned)."""
        return self.model.cluster  # type: ignore[attr-defined, no-any-return]

    @cached_property
    def nodes(self) -> tuple[Node, ...]:
        """The cluster's nodes as the prototypes and checks see them (computed once: the model is frozen and
        every instance's render context holds them)."""
        return tuple(Node(n.name, n.gpus, str(n.cpu), str(n.memory), tuple(sorted(n.labels.items())))
                     for n in self.cluster.nodes)

    @property
    def components(self) -> dict[str, Any]:
        return dict(sorted(self.model.components.items()))  # type: ignore[attr-defined]

    def context(self, instance: str) -> RenderContext:
        model = self.model
        return RenderContext(profile=self.name, instance=instance,
                             namespace=model.components[instance].namespace or model.namespace,  # type: ignore[attr-defined]
                             kubernetes_version=model.kubernetesVersion, nodes=self.nodes)  # type: ignore[attr-defined]


def validate_profile(loaded: LoadedProfile) -> Profile:
    """The profile *loaded* as a :class:`Profile`, or a :class:`KfgenError` listing every problem.

    Validated first with the model of the prototypes the profile uses (:func:`prototypes_used`; the
    other prototypes are neither imported nor built into a model). A profile that model refuses is
    validated again with the full model, whose errors are the ones translated (so messages that
    list every prototype, or name one the profile does not use, read as they always did)."""
    # manifests' files: are read while validating, relative to the profile's directory
    context = {"profiles_dir": loaded.profiles_dir} if loaded.profiles_dir is not None else None
    names = prototypes_used(loaded.data)
    if names is not None:
        try:
            return Profile(loaded, profile_model(names).model_validate(dict(loaded.data), context=context))
        except ValidationError:
            pass  # worded by the full model below
    model = profile_model()
    try:
        return Profile(loaded, model.model_validate(dict(loaded.data), context=context))
    except ValidationError as exc:
        problems = translate(exc, loaded.data, loaded.sources, root=model, prototypes=prototypes())
        raise KfgenError(problems) from None
