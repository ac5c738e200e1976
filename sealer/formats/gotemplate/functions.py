"""The function map the Sealed Secrets controller gives templates: Go's builtins, then Sprig's
``GenericFuncMap()`` minus ``env``, ``expandenv`` and ``getHostByName`` (which Bitnami deletes so a
template cannot read the controller's environment)."""

from __future__ import annotations

from sealer.formats.gotemplate.builtins import BUILTINS
from sealer.formats.gotemplate.funcs import FuncMap
from sealer.formats.gotemplate.sprig_case import CASE
from sealer.formats.gotemplate.sprig_collections import COLLECTIONS
from sealer.formats.gotemplate.sprig_encoding import ENCODING
from sealer.formats.gotemplate.sprig_math import MATH
from sealer.formats.gotemplate.sprig_misc import MISC
from sealer.formats.gotemplate.sprig_regex import REGEX
from sealer.formats.gotemplate.sprig_strings import STRINGS
from sealer.formats.gotemplate.sprig_url import URL

#: removed from Sprig's map by the Bitnami controller: using them is a parse error there too
REMOVED_BY_CONTROLLER = frozenset({"env", "expandenv", "getHostByName"})


def controller_funcs() -> FuncMap:
    """Builtins overridden by Sprig (Sprig's ``slice`` wins, as in Go's lookup order)."""
    table: FuncMap = dict(BUILTINS)
    for part in (STRINGS, CASE, MATH, COLLECTIONS, ENCODING, MISC, REGEX, URL):
        table.update(part)
    for name in REMOVED_BY_CONTROLLER:
        table.pop(name, None)
    return table
