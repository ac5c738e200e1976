"""sealer.api re-exports each area's names lazily, and refuses the names two areas share."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import sealer.api as facade


def test_the_ambiguous_table_is_exactly_the_shared_names() -> None:
    owners: dict[str, list[str]] = {}
    for area in facade._AREAS:
        for name in importlib.import_module(area).__all__:
            owners.setdefault(name, []).append(area)
    assert facade.AMBIGUOUS == {name: tuple(areas) for name, areas in owners.items() if len(areas) > 1}


@pytest.mark.parametrize("name", sorted(facade.AMBIGUOUS))
def test_a_shared_name_says_where_to_import_it_from(name: str) -> None:
    with pytest.raises(AttributeError) as caught:
        getattr(facade, name)
    for area in facade.AMBIGUOUS[name]:
        assert area in str(caught.value)


def test_unique_names_resolve_to_their_area() -> None:
    from sealer.api import at_rest, sops

    assert facade.decrypt_file is sops.decrypt_file
    assert facade.rotate_encryption_config is at_rest.rotate_encryption_config
    with pytest.raises(AttributeError):
        facade.no_such_function  # noqa: B018


AMBIGUOUS_LOOKUP = """
import sys
import sealer.api as facade
try:
    facade.rotate
except AttributeError:
    pass
print(sorted(m for m in sys.modules if m.startswith("sealer.api.")))
"""


def test_an_ambiguous_name_fails_before_any_area_is_imported() -> None:
    result = subprocess.run([sys.executable, "-c", AMBIGUOUS_LOOKUP], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
