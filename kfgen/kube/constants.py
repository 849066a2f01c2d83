"""Names Kubernetes and the training operator fix, and kfgen's own labels: one home for each.

Every module that needs one of these imports it from here; nothing else spells them out.
"""

# the Kubernetes minor version a profile renders for when it names none (and the default schema set)
DEFAULT_KUBERNETES_VERSION = "1.37"

# the extended resource NVIDIA's device plugin advertises, and the taint key GPU nodes carry
GPU_RESOURCE = "nvidia.com/gpu"

# RFC 1123 label: namespaces, instance and profile names, most object names
DNS_LABEL_PATTERN = r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$"
DNS_LABEL_MAX = 63

# labels every rendered object carries
MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
PROFILE_LABEL = "kfgen.io/profile"
INSTANCE_LABEL = "kfgen.io/instance"

# the training operator's TFJob
TFJOB_GROUP = "kubeflow.org"
TFJOB_API_VERSION = "kubeflow.org/v1"
TFJOB_KIND = "TFJob"
TFJOB_REPLICA_TYPES: tuple[str, ...] = ("Chief", "Master", "PS", "Worker", "Evaluator")
