"""Ambassador routes, shared by the prototypes: ``Mapping`` documents in a Service annotation.

Ambassador 0.30 (ksonnet's, see ``core``'s ``ambassadorImage``) reads its routes from the
``getambassador.io/config`` annotation of Services in its namespace: one or more YAML documents of
``kind: Mapping``. A shared helper, not a prototype (no ``PROTOTYPE``: the registry skips it).

Typical use::

    from kfgen.prototypes import ambassador

    route = ambassador.mapping("web-mapping", "/web/", f"web.{ns}", rewrite="/")
    k8s.service("web", ns, annotations=ambassador.annotations(route), ...)
"""

from __future__ import annotations

from collections.abc import Mapping

from kfgen.output.yaml import to_yaml

#: The Service annotation Ambassador reads its configuration from.
ANNOTATION = "getambassador.io/config"

#: The fields :func:`mapping` writes itself, in the order it writes them.
_FIELDS = ("apiVersion", "kind", "name", "prefix", "method", "rewrite", "tls", "service")


def mapping(name: str, prefix: str, service: str, *, rewrite: str | None = None,
            tls: bool | None = None, method: str | None = None,
            extra: Mapping[str, str | bool | int] | None = None,
            api_version: str = "ambassador/v0") -> str:
    """One Ambassador ``Mapping`` document (the text that goes in a ``getambassador.io/config``
    annotation): requests under *prefix* go to *service* (``name.namespace[:port]``).

    The document starts with ``---`` and has no final newline; its keys are in the order above,
    then *extra*'s; unset (``None``) fields are left out. Written by kfgen's one YAML writer, so
    it quotes a value exactly when the rest of the output would."""
    clash = sorted(set(extra or {}) & set(_FIELDS))
    if clash:
        raise ValueError(f"extra must not repeat the mapping's own fields: {', '.join(clash)}")
    fields = dict(zip(_FIELDS, (api_version, "Mapping", name, prefix, method, rewrite, tls, service), strict=True))
    fields.update(extra or {})
    document = {key: value for key, value in fields.items() if value is not None}
    return "---\n" + to_yaml(document, sort_keys=False).removesuffix("\n")


def annotations(*mappings: str) -> dict[str, str]:
    """The ``getambassador.io/config`` annotation holding one or more :func:`mapping` documents."""
    if not mappings:
        raise ValueError("at least one mapping is needed")
    return {ANNOTATION: "\n".join(mappings)}
