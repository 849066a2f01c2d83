"""Parameter types that several prototypes share, one concern per module:

- :mod:`~kfgen.prototypes.params.patterns`: constrained values (patterns with their help texts, quantities)
- :mod:`~kfgen.prototypes.params.spec`: the strict base of nested param objects, shared checks
- :mod:`~kfgen.prototypes.params.scheduling`: resources and tolerations
- :mod:`~kfgen.prototypes.params.containers`: env and ports
- :mod:`~kfgen.prototypes.params.volumes`: volumes and mounts

Every name is importable from here (``from kfgen.prototypes.params import Resources``).
"""

from kfgen.prototypes.params.containers import (
    ContainerPort,
    EnvFrom,
    EnvFromSource,
    EnvValue,
    FieldRef,
    KeyRef,
    ObjectRef,
    render_env,
    unique_ports,
)
from kfgen.prototypes.params.patterns import (
    ABSOLUTE_PATH,
    DNS_LABEL,
    DNS_SUBDOMAIN,
    ENV_NAME,
    FIELD_PATH,
    IMAGE,
    INT32_MAX,
    PATTERN_HELP,
    PORT_NAME,
    QUALIFIED_NAME,
    QUANTITY_PATTERN,
    RESOURCE_NAME_PATTERN,
    SECRET_KEY,
    ParamError,
    PatternHelp,
    PullPolicy,
    Quantity,
    QuantityString,
    ResourceMap,
    ResourceName,
    described,
    quantity_value,
)
from kfgen.prototypes.params.scheduling import (
    GPU_TOLERATION,
    BoundedResources,
    LabelKey,
    Resources,
    Toleration,
)
from kfgen.prototypes.params.spec import (
    DEFAULT_LIST,
    DEFAULT_MAP,
    Spec,
    k8s_definition,
    repeated,
)
from kfgen.prototypes.params.volumes import (
    VOLUME_SOURCES,
    ConfigMapSource,
    EmptyDir,
    HostPathSource,
    KeyToPath,
    SecretSource,
    VolumeMount,
    pod_volumes,
)

__all__ = [
    "BoundedResources",
    "DEFAULT_LIST",
    "DEFAULT_MAP",
    "ABSOLUTE_PATH",
    "ConfigMapSource",
    "ContainerPort",
    "DNS_LABEL",
    "DNS_SUBDOMAIN",
    "ENV_NAME",
    "EmptyDir",
    "EnvFrom",
    "EnvFromSource",
    "EnvValue",
    "FIELD_PATH",
    "FieldRef",
    "GPU_TOLERATION",
    "HostPathSource",
    "IMAGE",
    "INT32_MAX",
    "KeyRef",
    "KeyToPath",
    "LabelKey",
    "ObjectRef",
    "PATTERN_HELP",
    "PORT_NAME",
    "ParamError",
    "PatternHelp",
    "PullPolicy",
    "QUALIFIED_NAME",
    "QUANTITY_PATTERN",
    "Quantity",
    "QuantityString",
    "RESOURCE_NAME_PATTERN",
    "ResourceMap",
    "ResourceName",
    "Resources",
    "SECRET_KEY",
    "SecretSource",
    "Spec",
    "Toleration",
    "VOLUME_SOURCES",
    "VolumeMount",
    "described",
    "k8s_definition",
    "pod_volumes",
    "quantity_value",
    "render_env",
    "repeated",
    "unique_ports",
]
