"""The one exception the engine raises; the SealedSecret adapter wraps it in a :class:`TemplateError`."""

from __future__ import annotations


class GoTemplateError(Exception):
    """A parse or execution failure, worded like Go's ``text/template`` errors.

    Messages carry template names, positions and template text only, never the
    data the template runs over: callers put them in Kubernetes status and events.
    """

    def __init__(self, message: str, *, parse: bool = False, refused: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.parse = parse
        self.refused = refused
