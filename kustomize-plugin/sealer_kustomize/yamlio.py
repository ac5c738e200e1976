"""YAML in and out, with errors that never quote decrypted text.

One round-trip ruamel.yaml configuration for everything the plugin reads and
writes: KRM ResourceLists keep their comments and quoting (kpt writes items
back to the user's files), decrypted manifests keep their scalar styles, and
generated Secret values are always double-quoted so no YAML reader takes a
password such as ``on`` or ``0755`` for a boolean or a number.

Parse errors on *decrypted* text report only the line and column: ruamel's own
messages print the offending line, which would be secret material.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from typing import Any

from sealer.errors import FormatError

__all__ = ["dump_all", "load_all", "quoted", "yaml_instance"]


def yaml_instance() -> Any:
    """A fresh round-trip YAML object (instances are not thread-safe)."""
    from ruamel.yaml import YAML

    yaml = YAML(typ="rt")
    yaml.preserve_quotes = True
    yaml.width = 1 << 20  # never fold long values (certificates, tokens)
    yaml.indent(mapping=2, sequence=2, offset=0)
    return yaml


def load_all(data: bytes | str, *, source: str, secret: bool) -> list[Any]:
    """Every document of a YAML stream; ``secret`` keeps the content out of error messages."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return list(yaml_instance().load_all(data))
    except MarkedYAMLError as exc:
        where = ""
        mark = exc.problem_mark or exc.context_mark
        if mark is not None:
            where = f" at line {mark.line + 1}, column {mark.column + 1}"
        what = "decrypted content is not valid YAML" if secret else "not valid YAML"
        detail = "" if secret or not exc.problem else f": {exc.problem}"
        raise FormatError(f"{source}: {what}{where}{detail}") from None
    except YAMLError:
        what = "decrypted content is not valid YAML" if secret else "not valid YAML"
        raise FormatError(f"{source}: {what}") from None
    except UnicodeDecodeError:
        raise FormatError(f"{source}: not UTF-8 text") from None


def quoted(value: str) -> Any:
    """A string that is emitted in double quotes."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    return DoubleQuotedScalarString(value)


def dump_all(documents: Iterable[Any]) -> str:
    """A YAML stream of ``documents`` separated by ``---``."""
    stream = io.StringIO()
    yaml_instance().dump_all(list(documents), stream)
    return stream.getvalue()
