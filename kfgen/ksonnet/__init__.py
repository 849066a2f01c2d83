"""Bringing ksonnet apps over: ``kfgen import`` reads a ksonnet 0.9–0.11 app and writes one profile per
environment. :mod:`~kfgen.ksonnet.app` reads the app (params evaluated with jsonnet, nothing else);
:mod:`~kfgen.ksonnet.convert` maps its components to kfgen's prototypes and writes the profiles."""

from kfgen.ksonnet.app import App, Component, Environment, KsParam, KsPrototype, read_app
from kfgen.ksonnet.convert import EnvImport, ImportResult, Mapped, Retired, Skipped, import_app

__all__ = ["App", "Component", "EnvImport", "Environment", "ImportResult", "KsParam", "KsPrototype", "Mapped",
           "Retired", "Skipped", "import_app", "read_app"]
