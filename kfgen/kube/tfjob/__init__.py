"""The Kubeflow TFJob (``kubeflow.org/v1``) in kfgen: one model, and the CRD derived from it.

* :mod:`kfgen.kube.tfjob.model` - the pydantic :class:`TFJob` the tf-job renderer builds;
* :mod:`kfgen.kube.tfjob.structural` - the converter from that model (and Kubernetes'
  ``PodTemplateSpec``) to a structural OpenAPI v3 schema;
* :mod:`kfgen.kube.tfjob.crd` - :func:`tfjob_crd`, :func:`tfjob_openapi_schema` and
  :func:`tfjob_validation_schema`.
"""

from kfgen.kube.quantity import QUANTITY_PATTERN
from kfgen.kube.tfjob.crd import tfjob_crd, tfjob_openapi_schema, tfjob_validation_schema
from kfgen.kube.tfjob.model import TFJob, tfjob_to_dict

__all__ = [
    "QUANTITY_PATTERN",  # the pattern the CRD's quantities use (tests/test_core.py reads it from here)
    "TFJob",
    "tfjob_crd",
    "tfjob_openapi_schema",
    "tfjob_to_dict",
    "tfjob_validation_schema",
]
