"""The ``apiserver.config.k8s.io/v1`` EncryptionConfiguration: file ⇄ model.

Parsing is as strict as the API server's (it decodes with strict field
checking: an unknown or duplicated field is a startup failure), and the model
keeps the file's order, because order is meaning here: the first provider of
an entry encrypts, the others only decrypt, and within a provider the first
key encrypts.

The file schema is not the model: ``secret`` values stay base64 text as in
the file (decoded only where a key is used) and are never shown by ``repr``.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass, field
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.error import YAMLError

from sealer import go_duration
from sealer.errors import FormatError, InputError

API_VERSION = "apiserver.config.k8s.io/v1"
KIND = "EncryptionConfiguration"
PROVIDER_KINDS = ("aesgcm", "aescbc", "secretbox", "identity", "kms")
KEYED_PROVIDERS = ("aescbc", "aesgcm", "secretbox")


@dataclass
class Key:
    name: str
    secret: str = field(repr=False)  # base64, as in the file

    def material(self) -> bytes:
        """The raw key bytes, decoded like Go's ``base64.StdEncoding`` (padding required; CR/LF ignored)."""
        return decode_secret(self.secret)


@dataclass
class KMSConfiguration:
    name: str
    endpoint: str
    api_version: str = ""  # "" means v1 to the API server's defaulting
    cachesize: int | None = None
    timeout: str | None = None  # Go duration text, e.g. "3s"

    @property
    def effective_api_version(self) -> str:
        return self.api_version or "v1"


@dataclass
class Provider:
    """One element of ``providers``. ``present`` lists every provider field set in the element.

    The API server rejects elements naming zero or several providers; we keep
    them parseable so validation can say so with the API server's words.
    """

    kind: str
    keys: list[Key] = field(default_factory=list)
    kms: KMSConfiguration | None = None
    present: tuple[str, ...] = ()


@dataclass
class ResourceConfiguration:
    resources: list[str]
    providers: list[Provider]


@dataclass
class EncryptionConfiguration:
    resources: list[ResourceConfiguration]

    def entries_for(self, resource: str) -> list[ResourceConfiguration]:
        """The entries whose providers the API server chains for ``resource`` (``secrets``, ``deployments.apps``).

        As ``transformerFromOverrides``: every entry naming the resource exactly,
        in file order (their provider lists are concatenated); else those naming
        ``*.<group>``; else those naming ``*.*``; else none (identity).
        """
        name, _, group = resource.partition(".")
        for wanted in ((group, name), (group, "*"), ("*", "*")):
            found = [e for e in self.resources
                     if any((r.partition(".")[2], r.partition(".")[0]) == wanted for r in e.resources)]
            if found:
                return found
        return []

    def entry_for(self, resource: str) -> ResourceConfiguration | None:
        """The first entry that governs ``resource`` (its first provider encrypts new writes)."""
        entries = self.entries_for(resource)
        return entries[0] if entries else None


def decode_secret(text: str) -> bytes:
    cleaned = text.replace("\r", "").replace("\n", "")
    try:
        return base64.b64decode(cleaned, validate=True)
    except (binascii.Error, ValueError):
        raise InputError("secrets must be base64 encoded") from None


def _yaml() -> YAML:
    yaml = YAML(typ="safe", pure=True)
    yaml.allow_duplicate_keys = False
    return yaml


def parse_duration(text: str) -> float:
    """Seconds in a Go ``time.ParseDuration`` string ("3s", "1m30s", "250ms"); InputError if Go refuses it.

    The grammar and the int64-nanoseconds bound are :mod:`sealer.go_duration`'s.
    The text is taken exactly as the file has it, surrounding blanks included: the API
    server hands the field to Go untrimmed, and this parser exists to predict its verdict.
    """
    try:
        return go_duration.parse_ns(text) / go_duration.SECOND
    except go_duration.GoDurationError as exc:
        raise InputError(f"invalid duration {text!r}", hint=exc.hint) from None


class _Strict:
    """Walks the decoded document, collecting errors with the API server's field paths."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def mapping(self, value: Any, path: str, allowed: tuple[str, ...]) -> dict[str, Any]:
        if value is None:
            return {}
        if not isinstance(value, dict):
            self.errors.append(f"{path or 'document'}: expected a mapping")
            return {}
        for key in value:
            if not isinstance(key, str) or key not in allowed:
                self.errors.append(f'strict decoding error: unknown field "{path + "." if path else ""}{key}"')
        return value

    def string(self, value: Any, path: str) -> str:
        if value is None:
            return ""
        if not isinstance(value, str):
            self.errors.append(f"{path}: expected a string")
            return ""
        return value

    def items(self, value: Any, path: str) -> list[Any]:
        if value is None:
            return []
        if not isinstance(value, list):
            self.errors.append(f"{path}: expected a list")
            return []
        return value


def loads(data: bytes) -> EncryptionConfiguration:
    """Parse an EncryptionConfiguration (YAML or JSON) as strictly as the API server; FormatError if not."""
    if not data.strip():
        raise FormatError("encryption provider configuration file is empty")
    try:
        documents = list(_yaml().load_all(data))
    except YAMLError as exc:
        raise FormatError(f"encryption configuration is not valid YAML: {exc.__class__.__name__}") from None
    documents = [d for d in documents if d is not None]
    if len(documents) != 1:
        raise FormatError("encryption configuration must be exactly one YAML document")
    strict = _Strict()
    top = strict.mapping(documents[0], "", ("apiVersion", "kind", "resources"))
    if top.get("apiVersion") != API_VERSION or top.get("kind") != KIND:
        raise FormatError(
            f"not an EncryptionConfiguration: apiVersion {top.get('apiVersion')!r}, kind {top.get('kind')!r}",
            hint=f"expected apiVersion {API_VERSION} and kind {KIND}",
        )
    entries: list[ResourceConfiguration] = []
    for i, raw_entry in enumerate(strict.items(top.get("resources"), "resources")):
        path = f"resources[{i}]"
        entry = strict.mapping(raw_entry, path, ("resources", "providers"))
        raw_names = strict.items(entry.get("resources"), f"{path}.resources")
        names = [strict.string(r, f"{path}.resources[{j}]") for j, r in enumerate(raw_names)]
        providers = [
            _provider(strict, raw, f"{path}.providers[{j}]")
            for j, raw in enumerate(strict.items(entry.get("providers"), f"{path}.providers"))
        ]
        entries.append(ResourceConfiguration(names, providers))
    if strict.errors:
        raise FormatError("; ".join(strict.errors))
    return EncryptionConfiguration(entries)


def _provider(strict: _Strict, raw: Any, path: str) -> Provider:
    element = strict.mapping(raw, path, PROVIDER_KINDS)
    present = tuple(k for k in PROVIDER_KINDS if element.get(k) is not None)
    if not present:
        return Provider(kind="", present=())
    kind = present[0]
    body = element[kind]
    sub = f"{path}.{kind}"
    if kind == "identity":
        strict.mapping(body, sub, ())
        return Provider("identity", present=present)
    if kind == "kms":
        kms = strict.mapping(body, sub, ("apiVersion", "name", "cachesize", "endpoint", "timeout"))
        cachesize = kms.get("cachesize")
        if cachesize is not None and (isinstance(cachesize, bool) or not isinstance(cachesize, int)):
            strict.errors.append(f"{sub}.cachesize: expected an integer")
            cachesize = None
        timeout = kms.get("timeout")
        if timeout is not None:
            timeout = strict.string(timeout, f"{sub}.timeout")
            try:
                parse_duration(timeout)
            except InputError:
                strict.errors.append(f'{sub}.timeout: time: invalid duration "{timeout}"')
        config = KMSConfiguration(
            name=strict.string(kms.get("name"), f"{sub}.name"),
            endpoint=strict.string(kms.get("endpoint"), f"{sub}.endpoint"),
            api_version=strict.string(kms.get("apiVersion"), f"{sub}.apiVersion"),
            cachesize=cachesize,
            timeout=timeout,
        )
        return Provider("kms", kms=config, present=present)
    keyed = strict.mapping(body, sub, ("keys",))
    keys = []
    for k, raw_key in enumerate(strict.items(keyed.get("keys"), f"{sub}.keys")):
        key = strict.mapping(raw_key, f"{sub}.keys[{k}]", ("name", "secret"))
        keys.append(Key(strict.string(key.get("name"), f"{sub}.keys[{k}].name"),
                        strict.string(key.get("secret"), f"{sub}.keys[{k}].secret")))
    return Provider(kind, keys=keys, present=present)


def to_document(config: EncryptionConfiguration) -> dict[str, Any]:
    """The file schema for ``config`` (plain dicts/lists in the API's field order)."""
    entries = []
    for entry in config.resources:
        providers: list[dict[str, Any]] = []
        for provider in entry.providers:
            if provider.kind == "identity":
                providers.append({"identity": {}})
            elif provider.kind == "kms" and provider.kms is not None:
                kms: dict[str, Any] = {}
                if provider.kms.api_version:
                    kms["apiVersion"] = provider.kms.api_version
                kms["name"] = provider.kms.name
                kms["endpoint"] = provider.kms.endpoint
                if provider.kms.cachesize is not None:
                    kms["cachesize"] = provider.kms.cachesize
                if provider.kms.timeout is not None:
                    kms["timeout"] = provider.kms.timeout
                providers.append({"kms": kms})
            elif provider.kind in KEYED_PROVIDERS:
                keys = [{"name": k.name, "secret": k.secret} for k in provider.keys]
                providers.append({provider.kind: {"keys": keys}})
        entries.append({"resources": list(entry.resources), "providers": providers})
    return {"apiVersion": API_VERSION, "kind": KIND, "resources": entries}


def dumps(config: EncryptionConfiguration) -> bytes:
    """YAML text the API server accepts (block style, field order as in the API docs)."""
    stream = io.StringIO()
    yaml = YAML(typ="safe", pure=True)
    yaml.default_flow_style = False
    yaml.sort_base_mapping_type_on_output = False  # type: ignore[assignment]
    yaml.dump(to_document(config), stream)
    return b"---\n" + stream.getvalue().encode()
