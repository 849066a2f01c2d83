#!/usr/bin/env python3
"""Regenerate kfgen/kube/tfjob/crd_schema.json: the TFJob CRD's schemas, derived from the TFJob model.

Run after changing :mod:`kfgen.kube.tfjob.model` (or the structural converter, or the pinned
kubernetes-validate); ``tests/test_tfjob_crd_schema.py`` fails until you do::

    .venv/bin/python scripts/gen_tfjob_crd_schema.py           # write the file
    .venv/bin/python scripts/gen_tfjob_crd_schema.py --check   # exit 1 if it is out of date
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # the checkout's kfgen

from kfgen.kube.tfjob.crd import SCHEMA_FILE, shipped_schema_text  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--check", action="store_true", help="only report whether the file is up to date")
    args = ap.parse_args(argv)
    text = shipped_schema_text()
    current = SCHEMA_FILE.read_text(encoding="utf-8") if SCHEMA_FILE.is_file() else None
    if args.check:
        if current == text:
            print(f"{SCHEMA_FILE.name} is up to date")
            return 0
        print(f"{SCHEMA_FILE} is out of date: run scripts/gen_tfjob_crd_schema.py", file=sys.stderr)
        return 1
    if current != text:
        SCHEMA_FILE.write_text(text, encoding="utf-8")
        print(f"wrote {SCHEMA_FILE}")
    else:
        print(f"{SCHEMA_FILE.name} already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
