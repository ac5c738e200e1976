"""Run one generator: decrypt its files, check them, build its Secrets.

Output order is KSOPS's: the decrypted ``files`` (each may hold several
documents) first, then one Secret per ``secretFrom`` entry. All files of the
generator go to the decryptor in one batch, so they are decrypted together on
its thread pool rather than list by list.

Each decrypted ``files`` document must be a Kubernetes object; otherwise
kustomize would fail later with an error that prints the document, which is
plaintext. We fail first, naming the file and the document number only.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sealer.errors import FormatError
from sealer_kustomize.decrypting import Decryptor
from sealer_kustomize.manifest import Generator
from sealer_kustomize.secret_builder import build_secret
from sealer_kustomize.yamlio import dump_all, load_all

__all__ = ["GeneratorOutput", "run_generator"]


@dataclass
class GeneratorOutput:
    """What one generator produced: decrypted manifests (raw and parsed) and built Secrets."""

    file_texts: list[str] = field(default_factory=list)
    file_objects: list[Any] = field(default_factory=list)
    secrets: list[dict[str, Any]] = field(default_factory=list)

    def objects(self) -> list[Any]:
        """Every generated object, in output order (for a KRM ResourceList)."""
        return [*self.file_objects, *self.secrets]

    def stream(self) -> str:
        """A YAML stream for a legacy exec plugin: decrypted files as they decrypt, then the Secrets."""
        chunks = [text if text.endswith("\n") else text + "\n" for text in self.file_texts]
        if self.secrets:
            chunks.append(dump_all(self.secrets))
        return "---\n".join(chunks)


def _check_objects(documents: list[Any], *, source: str) -> list[Any]:
    objects = []
    for number, doc in enumerate(documents, start=1):
        if doc is None:
            continue
        meta = doc.get("metadata") if isinstance(doc, Mapping) else None
        if (
            not isinstance(doc, Mapping)
            or not isinstance(doc.get("apiVersion"), str)
            or not isinstance(doc.get("kind"), str)
            or not isinstance(meta, Mapping)
            or not isinstance(meta.get("name") or meta.get("generateName"), str)
        ):
            raise FormatError(
                f"{source}: decrypted document {number} is not a Kubernetes object "
                "(it needs apiVersion, kind and metadata.name)",
                hint="to put a plain file into a Secret, list it under secretFrom files, binaryFiles or envs",
            )
        objects.append(doc)
    return objects


def run_generator(generator: Generator, decryptor: Decryptor) -> GeneratorOutput:
    """Decrypt everything ``generator`` lists and assemble its output."""
    plaintexts = iter(decryptor.decrypt_many(generator.all_paths()))
    output = GeneratorOutput()
    for path in generator.files:
        data = next(plaintexts)
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            raise FormatError(f"{path}: decrypted content is not UTF-8 YAML or JSON") from None
        output.file_texts.append(text)
        output.file_objects.extend(_check_objects(load_all(text, source=path, secret=True), source=path))
    for spec in generator.secret_from:
        files = [next(plaintexts) for _ in spec.files]
        binary = [next(plaintexts) for _ in spec.binary_files]
        envs = [next(plaintexts) for _ in spec.envs]
        output.secrets.append(build_secret(spec, files=files, binary_files=binary, envs=envs))
    return output
