"""Build the Secret a ``secretFrom`` entry describes, from decrypted file contents.

Same result as KSOPS: ``files`` become ``stringData`` (key = given key or the
file's base name), ``envs`` are parsed as dotenv and merged into
``stringData`` (later keys win, as in KSOPS's map), ``binaryFiles`` become
base64 ``data``; ``type`` and the metadata (name, namespace, labels,
annotations, so also kustomize's ``needs-hash`` and ``behavior``) are copied.
Empty ``stringData``/``data``/``type`` are left out, as KSOPS's ``omitempty``.

Unlike KSOPS, text that is not UTF-8 is refused for ``stringData`` (Go would
emit it mangled) with a hint to use ``binaryFiles``.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from sealer.errors import FormatError
from sealer_kustomize.dotenv import parse_dotenv
from sealer_kustomize.manifest import SecretFrom
from sealer_kustomize.yamlio import quoted

__all__ = ["build_secret"]


def _text(data: bytes, *, source: str) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise FormatError(
            f"{source}: decrypted content is not UTF-8 text, so it cannot go in stringData",
            hint="list the file under binaryFiles to get it base64-encoded in data",
        ) from None


def build_secret(
    spec: SecretFrom,
    *,
    files: Sequence[bytes],
    binary_files: Sequence[bytes],
    envs: Sequence[bytes],
) -> dict[str, Any]:
    """The Secret object; the sequences hold plaintext in the order of the spec's lists."""
    string_data: dict[str, str] = {}
    for ref, data in zip(spec.files, files, strict=True):
        string_data[ref.key] = _text(data, source=ref.path)
    for path, data in zip(spec.envs, envs, strict=True):
        string_data.update(parse_dotenv(_text(data, source=path), source=path))
    binary_data = {
        ref.key: base64.b64encode(data).decode("ascii")
        for ref, data in zip(spec.binary_files, binary_files, strict=True)
    }

    metadata: dict[str, Any] = {"name": quoted(spec.name)}
    if spec.namespace:
        metadata["namespace"] = quoted(spec.namespace)
    if spec.labels:
        metadata["labels"] = {k: quoted(v) for k, v in spec.labels.items()}
    if spec.annotations:
        metadata["annotations"] = {k: quoted(v) for k, v in spec.annotations.items()}
    secret: dict[str, Any] = {"apiVersion": "v1", "kind": "Secret", "metadata": metadata}
    if spec.type:
        secret["type"] = quoted(spec.type)
    if string_data:
        secret["stringData"] = {k: quoted(v) for k, v in sorted(string_data.items())}
    if binary_data:
        secret["data"] = {k: quoted(v) for k, v in sorted(binary_data.items())}
    return secret
