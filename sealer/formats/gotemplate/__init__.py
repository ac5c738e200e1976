"""Go ``text/template`` with Sprig functions, as the Sealed Secrets controller runs ``spec.template.data``.

A pure-Python engine: lexer -> parser -> tree -> executor, with Go's value rules
(see :mod:`.values`) and the controller's function map (:mod:`.functions`).
Parsed templates are cached by text (bounded LRU), since the controller renders
the same entries on every resync.

    >>> from sealer.formats.gotemplate import render_text
    >>> render_text("{{ .user | upper }}:{{ .pass | b64enc }}", {"user": "bob", "pass": "pw"})
    'BOB:cHc='
"""

from __future__ import annotations

from sealer.formats.gotemplate.engine import Template, compile_template, render_text
from sealer.formats.gotemplate.errors import GoTemplateError

__all__ = ["GoTemplateError", "Template", "compile_template", "render_text"]
