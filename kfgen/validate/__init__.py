"""Validate rendered objects and committed ``out/`` files against strict Kubernetes schemas, offline.

One module per job:

* :mod:`~kfgen.validate.objects`: in-process, every object against the strict (unknown fields are
  errors) JSON schema of its kind for the profile's ``kubernetesVersion`` (:mod:`kfgen.kube.schemas`;
  TFJob against :func:`kfgen.kube.tfjob.tfjob_validation_schema`);
* :mod:`~kfgen.validate.manifests`: manifest files as they are on disk (a strict YAML reader that
  keeps line numbers), each document validated with file and line;
* :mod:`~kfgen.validate.export`: the same schemas written in kubeconform's offline layout
  (``kfgen schemas export``);
* :mod:`~kfgen.validate.kubeconform`: finding, running and parsing kubeconform over those schemas;
* :mod:`~kfgen.validate.profiles`: one profile end to end (the profile, a fresh render through
  :class:`kfgen.actions.Workspace`, the committed files, drift, kubeconform): ``kfgen validate``.
* :mod:`~kfgen.validate.paths`: manifest files kfgen did not render, with the same schemas and
  errors (unknown CRD kinds and kustomizations skipped with a note): ``kfgen validate FILE_OR_DIR...``.

Both validators see the same integer ranges: JSON Schema ignores ``format: int32``/``int64``, the
API server does not (``replicas: 99999999999`` cannot be decoded into an int32), so every such
integer gets the format's ``minimum``/``maximum`` (:func:`kfgen.kube.schemas.bound_integers`), once
per schema, in the Kubernetes schemas and in the TFJob schema. Everything wrong is a
:class:`kfgen.errors.Problem`.
"""
