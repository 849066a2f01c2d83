"""A container's environment (literal values, Secret/ConfigMap keys, downward-API fields, whole Secrets and
ConfigMaps) and ports: the vocabulary tf-job (and any workload prototype) shares."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field, model_validator

from kfgen.kube import objects as k8s
from kfgen.prototypes.params.patterns import DNS_SUBDOMAIN, ENV_NAME, FIELD_PATH, PORT_NAME, SECRET_KEY
from kfgen.prototypes.params.spec import Spec, repeated


class KeyRef(Spec):
    """One key of a Secret or ConfigMap."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the Secret or ConfigMap.")
    key: str = Field(pattern=SECRET_KEY, max_length=253, description="The key whose value is used.")
    optional: bool | None = Field(None, description="Start the container even if the object or key is missing.")


class FieldRef(Spec):
    """A field of the pod (downward API)."""

    fieldPath: str = Field(pattern=FIELD_PATH, description="The pod field, e.g. metadata.name or status.podIP.")


class EnvFrom(Spec):
    """Where one environment variable's value comes from: exactly one of the three."""

    secretKeyRef: KeyRef | None = Field(None, description="A key of a Secret (e.g. a password).")
    configMapKeyRef: KeyRef | None = Field(None, description="A key of a ConfigMap.")
    fieldRef: FieldRef | None = Field(None, description="A field of the pod (downward API).")

    @model_validator(mode="after")
    def _one(self) -> EnvFrom:
        if sum(v is not None for v in (self.secretKeyRef, self.configMapKeyRef, self.fieldRef)) != 1:
            raise ValueError("give exactly one of secretKeyRef, configMapKeyRef, fieldRef")
        return self

    def render(self) -> dict[str, Any]:
        if self.fieldRef is not None:  # apiVersion: what the server defaults (no diff on re-apply)
            return {"fieldRef": {"apiVersion": "v1", "fieldPath": self.fieldRef.fieldPath}}
        return self.model_dump(exclude_none=True)


#: An environment variable's value: a literal string, or where to read it from.
EnvValue = str | EnvFrom


def render_env(env: dict[str, EnvValue]) -> list[dict[str, Any]]:
    """A container's ``env``, sorted by name."""
    return [k8s.env_var(name, value) if isinstance(value, str) else {"name": name, "valueFrom": value.render()}
            for name, value in sorted(env.items())]


class ObjectRef(Spec):
    """A whole Secret or ConfigMap."""

    name: str = Field(pattern=DNS_SUBDOMAIN, max_length=253, description="Name of the Secret or ConfigMap.")
    optional: bool | None = Field(None, description="Start the container even if it is missing.")


class EnvFromSource(Spec):
    """Every key of a Secret or ConfigMap as environment variables (container envFrom)."""

    secretRef: ObjectRef | None = Field(None, description="A Secret whose keys become variables.")
    configMapRef: ObjectRef | None = Field(None, description="A ConfigMap whose keys become variables.")
    prefix: str | None = Field(None, pattern=ENV_NAME, description="Prefix added to every variable name.")

    @model_validator(mode="after")
    def _one(self) -> EnvFromSource:
        if (self.secretRef is None) == (self.configMapRef is None):
            raise ValueError("give exactly one of secretRef, configMapRef")
        return self

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


class ContainerPort(Spec):
    """A port the container listens on."""

    containerPort: int = Field(ge=1, le=65535, description="Port number.")
    name: str | None = Field(None, pattern=PORT_NAME, max_length=15, description="Port name (unique in the pod).")
    protocol: Literal["TCP", "UDP", "SCTP"] = Field("TCP", description="Protocol.")

    def render(self) -> dict[str, Any]:
        return self.model_dump(exclude_none=True)


def unique_ports(ports: list[ContainerPort]) -> list[ContainerPort]:
    """*ports*, refused when a name or a (port, protocol) repeats."""
    dupes = repeated([p.name for p in ports if p.name]) + repeated([f"{p.containerPort}/{p.protocol}" for p in ports])
    if dupes:
        raise ValueError(f"ports repeat: {', '.join(dupes)}")
    return ports
