"""Go ``text/template`` rendering for ``spec.template.data`` (Sealed Secrets semantics).

The controller renders each ``template.data`` entry with the decrypted values
as the template's data (``{{ .key }}``), plus Sprig functions.
Owned by the controller work (issue 3); the entry point's signature is a contract
other modules rely on.
"""

from __future__ import annotations

from collections.abc import Mapping

from sealer.errors import FormatError


class TemplateError(FormatError):
    """A ``template.data`` entry uses syntax or a function we do not support, or fails to render."""


def render(template: str, values: Mapping[str, bytes], *, entry: str = "") -> bytes:
    """Render one ``template.data`` entry over the decrypted ``values``.

    Raises :class:`TemplateError` naming ``entry`` (never the values) on failure.
    """
    raise TemplateError(f"template.data entry {entry!r}: Go templates are not supported yet")
