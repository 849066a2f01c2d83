"""kfgen: typed Kubeflow manifests from declarative profiles."""

__version__ = "0.1.0"
