"""Profiles: YAML with positions, names and ``extends:``, the typed model, its errors, its JSON Schema.

Stages, one module each: :mod:`~kfgen.profile.yaml` reads one file into plain data and the line of
every value; :mod:`~kfgen.profile.store` finds profiles by name and resolves ``extends:`` into one
merged document; :mod:`~kfgen.profile.model` validates it into a :class:`Profile`, whose errors
:mod:`~kfgen.profile.diagnostics` tells in the user's terms; :mod:`~kfgen.profile.schema` is the
JSON Schema of profile files. Import the public names from here.
"""

from kfgen.profile.model import ClusterSpec, NodeSpec, Profile, profile_model, validate_profile
from kfgen.profile.schema import PROFILE_SCHEMA, profile_json_schema
from kfgen.profile.store import (
    LoadedProfile,
    check_profile_name,
    deep_merge,
    is_profile_name,
    list_profiles,
    load_profile,
    profile_path,
)
from kfgen.profile.yaml import MAX_ALIAS_VALUES, MAX_DEPTH, SourceMap, display, read_yaml

__all__ = [
    "MAX_ALIAS_VALUES", "MAX_DEPTH", "PROFILE_SCHEMA", "ClusterSpec", "LoadedProfile", "NodeSpec", "Profile",
    "SourceMap", "check_profile_name", "deep_merge", "display", "is_profile_name", "list_profiles",
    "load_profile", "profile_json_schema", "profile_model", "profile_path", "read_yaml", "validate_profile",
]
