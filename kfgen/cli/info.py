"""``kfgen prototypes`` and ``kfgen params``: what a profile's components can be, and their parameters."""

from __future__ import annotations

import typer

from kfgen.cli.common import complete_prototype, fail


def prototypes() -> None:
    """List the prototypes a profile's components can use."""
    from kfgen.prototypes.base import prototypes as protos

    width = max(len(name) for name in protos())
    for name, proto in protos().items():
        typer.echo(f"{name:{width}}  {proto.summary}" + (f"  [ksonnet: {proto.ksonnet}]" if proto.ksonnet else ""))


def params(prototype: str = typer.Argument(..., metavar="PROTOTYPE", autocompletion=complete_prototype,
                                                help="Prototype name, e.g. core.")) -> None:
    """Show a prototype's parameters: name, type, default and doc."""
    from kfgen import actions as api
    from kfgen.errors import KfgenError

    try:
        proto = api.get_prototype(prototype)
    except KfgenError as exc:
        raise fail(exc, 2, "see 'kfgen prototypes'.") from None
    rows = api.param_docs(proto.params)
    typer.echo(f"{proto.name}: {proto.summary}\n")
    w_name = max(len(r.name) for r in rows)
    w_type = min(max(len(r.type) for r in rows), 40)
    for r in rows:
        typer.echo(f"  {r.name:{w_name}}  {r.type:{w_type}}  default: {r.default}")
        if r.doc:
            typer.echo(f"  {'':{w_name}}  {r.doc}")
