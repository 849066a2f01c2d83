"""The ``core`` prototype: ksonnet's ``io.ksonnet.pkg.kubeflow-core``, rendered for current Kubernetes.

What it renders (same object names, ports, selectors and container names as ksonnet's core):

* JupyterHub: ConfigMap ``jupyterhub-config`` (a ``jupyterhub_config.py`` driven by the params),
  headless Service ``tf-hub-0``, Service ``tf-hub-lb``, StatefulSet ``tf-hub``, ServiceAccount
  ``jupyter-hub``, Role/RoleBinding ``jupyter-role`` (what KubeSpawner needs, nothing more).
  Current JupyterHub images run the proxy (configurable-http-proxy) as its own process, so the
  ``tf-hub`` pod has a ``proxy`` sidecar next to the ``tf-hub`` container; their shared API token is
  generated inside the pod at start-up (no Secret in the manifests).
* The TFJob operator (kubeflow/training-operator, limited to TFJob): Deployment, ServiceAccount and
  RBAC ``tf-job-operator``, the ``tfjobs.kubeflow.org`` CRD (from :func:`kfgen.kube.tfjob.tfjob_crd`), and
  the webhook plumbing training-operator v1.9 cannot start without: Service ``tf-job-operator``, the
  (initially empty) Secret ``tf-job-operator-webhook-cert`` it writes its self-signed certificate to, and
  the ValidatingWebhookConfiguration ``validator.training-operator.kubeflow.org`` (name fixed by the
  binary) it injects the CA into. With ``tfJobNamespaced`` (default) the operator only watches its
  own namespace and its RBAC is a Role; the webhook configuration is cluster-scoped either way.
  Only one operator fits in a cluster: a second core instance sets ``tfJobOperator: false``.
* The TFJob dashboard ``tf-job-dashboard`` (read-only RBAC), Ambassador (``ambassador``,
  ``ambassador-admin``), the ``k8s-dashboard`` route (``ambassadorKubernetesDashboardRoute``), and — only
  with ``reportUsage`` — the spartakus usage reporter.
* Notebook storage at ``jupyterNotebookPVCMount``: per-user claims (KubeSpawner creates them), or one
  shared claim for everyone (``jupyterNotebookStorage: shared``): with ``nfsServer`` a PersistentVolume
  ``<namespace>-notebooks-nfs`` and the claim ``notebooks-nfs`` bound to it, otherwise the ReadWriteMany
  claim ``notebooks-shared`` from ``jupyterNotebookStorageClassName``.
* The spawn page offers the images, CPU and memory choices (each the notebook's request and limit) and
  0 to ``jupyterNotebookMaxGpus`` GPUs, bounded by the profile's largest nodes.

Left out on purpose: ksonnet's ``disks`` (GCE persistent disks behind an NFS provisioner, which gave
notebooks shared storage: GCE-only, and its provisioner image is long gone — ``jupyterNotebookStorage:
shared`` replaces it);
the ``tf-job-operator-config`` ConfigMap (its one key configured the 2018 operator's gRPC shim;
training-operator v1 reads no config file); the GPU driver host-path mounts ksonnet added under
``cloud: aks|acsengine`` (the NVIDIA device plugin / GPU operator provides drivers today).

One module per sub-system: :mod:`~kfgen.prototypes.core.params` (:class:`CoreParams`),
:mod:`~kfgen.prototypes.core.jupyterhub` (with the ``jupyterhub_config.py.tmpl`` it fills in),
:mod:`~kfgen.prototypes.core.storage`, :mod:`~kfgen.prototypes.core.operator`,
:mod:`~kfgen.prototypes.core.dashboard`, :mod:`~kfgen.prototypes.core.gateway` (Ambassador),
:mod:`~kfgen.prototypes.core.spartakus`, :mod:`~kfgen.prototypes.core.network` and
:mod:`~kfgen.prototypes.core.exposure` (Ambassador and the dashboard outside the cluster: refused without
opt-in). This package keeps :data:`PROTOTYPE` (the registry finds it
here) and :func:`render`, which puts them together in ksonnet's order.
"""

from __future__ import annotations

from kfgen.prototypes.base import Prototype, RenderContext, Rendered
from kfgen.prototypes.core import dashboard, exposure, gateway, jupyterhub, network, operator, spartakus, storage
from kfgen.prototypes.core.params import CoreParams

__all__ = ["PROTOTYPE", "CoreParams", "render"]


def render(ctx: RenderContext, p: CoreParams) -> Rendered:
    """Every object of the core component, in ksonnet's order, and warnings. Pure: depends on ctx and p only."""
    exposure.check(ctx, p)
    parts = (jupyterhub, storage, operator, dashboard, gateway, spartakus, network)
    return Rendered([o for part in parts for o in part.objects(ctx, p)],
                    jupyterhub.security_warnings(p) + exposure.warnings(p) + exposure.unused_opt_ins(p))


PROTOTYPE = Prototype(
    name="core",
    summary="JupyterHub, the TFJob operator and dashboard, Ambassador, per-user or shared notebook storage "
            "and usage reporting",
    params=CoreParams,
    render=render,
    ksonnet="io.ksonnet.pkg.kubeflow-core",
    retired={
        "tfDefaultImage": "it configured the 2018 TFJob operator; training-operator v1 has no default image: "
                          "set the image on each TFJob (tf-job prototype: image)",
        "disks": "it gave notebooks shared storage: the GCE persistent disks it named, served behind an NFS "
                 "provisioner whose image is gone (GCE only), one claim mounted by every notebook; use "
                 "jupyterNotebookStorage: shared with jupyterNotebookPVCMount, on a ReadWriteMany StorageClass "
                 "(jupyterNotebookStorageClassName) or an existing NFS share (nfsServer, nfsPath)",
    },
)
