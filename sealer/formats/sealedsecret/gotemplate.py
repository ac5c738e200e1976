"""Go ``text/template`` rendering for ``spec.template.data`` (Sealed Secrets semantics).

The Bitnami controller renders each ``template.data`` entry with
``template.New(key).Funcs(sprig.GenericFuncMap() minus env/expandenv/getHostByName)``
and executes it over ``map[string]string`` of the decrypted values, with the
default ``missingkey`` option (a missing key prints ``<no value>``). The engine in
:mod:`sealer.formats.gotemplate` reproduces that; this module adapts it to bytes and
to our error type. The entry point's signature is a contract other modules rely on.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from sealer.errors import FormatError


class TemplateError(FormatError):
    """A ``template.data`` entry uses syntax or a function we do not support, or fails to render."""


_UNDEFINED = re.compile(r'function "(env|expandenv|getHostByName)" not defined')


def render(template: str, values: Mapping[str, bytes], *, entry: str = "") -> bytes:
    """Render one ``template.data`` entry over the decrypted ``values``.

    Raises :class:`TemplateError` naming ``entry`` (never the values) on failure.
    """
    from sealer.formats.gotemplate import GoTemplateError, render_text

    data = {k: v.decode("utf-8", "surrogateescape") for k, v in values.items()}
    try:
        out = render_text(template, data, name=entry)
    except GoTemplateError as exc:
        hint = None
        if _UNDEFINED.search(exc.message):
            hint = (
                "the Sealed Secrets controller removes env, expandenv and getHostByName "
                "so templates cannot read its environment"
            )
        elif exc.refused:
            hint = "compute such values before sealing and seal the result"
        raise TemplateError(f"template.data entry {entry!r}: {exc.message}", hint=hint) from None
    return out.encode("utf-8", "surrogateescape")
