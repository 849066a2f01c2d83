"""The JSON Schema of profile files (``schemas/profile.schema.json``), from the pydantic models.

Editors read it through the ``# yaml-language-server: $schema=...`` comment of a profile;
``kfgen schemas profile`` writes it and a test keeps the committed file in step with the models.
"""

from __future__ import annotations

import json
from pathlib import Path

from kfgen.profile.model import profile_model

PROFILE_SCHEMA = Path("schemas/profile.schema.json")
_EXTENDS = {"type": "string",
            "description": "Profile this one extends (deep merge; the child wins; null removes a key)."}


def profile_json_schema() -> str:
    """JSON Schema of profile files, from the pydantic models (components discriminated on prototype)."""
    schema = profile_model().model_json_schema(mode="validation")
    schema = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "kfgen profile", **schema}
    # `extends` is resolved by the loader before validation, so the model never sees it.
    schema["properties"] = {"extends": _EXTENDS, **schema["properties"]}
    # instance names are DNS labels: refuse other keys in editors too, not only in kfgen
    schema["properties"]["components"]["additionalProperties"] = False
    return json.dumps(schema, indent=2, ensure_ascii=False) + "\n"
