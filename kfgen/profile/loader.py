"""Former home of the profile loader, split into :mod:`kfgen.profile.yaml` and :mod:`kfgen.profile.store`.

Kept only so that modules outside kfgen/profile/ that still import from here keep working while
they move to ``from kfgen.profile import ...``; delete it once nothing imports it.
"""

from kfgen.profile.store import check_profile_name, list_profiles, load_profile
from kfgen.profile.yaml import display, read_yaml

__all__ = ["check_profile_name", "display", "list_profiles", "load_profile", "read_yaml"]
