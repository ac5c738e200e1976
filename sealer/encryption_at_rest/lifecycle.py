"""Generate, rotate and prune an EncryptionConfiguration — the key's whole life.

The order of operations is what keeps a cluster readable:

1. ``generate``: one entry with a fresh key; ``identity`` last only while
   migrating from plaintext (so existing unencrypted Secrets stay readable).
2. ``rotate``: a new key goes *first* (it encrypts new writes), old keys stay
   for reading. With several API servers, ``rotate(stage=True)`` puts it
   second first; once every server has restarted, ``promote`` moves it to the
   front — the Kubernetes documentation's two-restart procedure.
3. rewrite every object (``sealer rewrite-secrets``), audit etcd.
4. ``prune``: drop keys, KMS providers and ``identity`` that the audit shows
   nothing still uses — including old revisions etcd keeps until compaction.
   Without a complete audit, nothing is removed.

All functions return new objects and never print or log key material.
"""

from __future__ import annotations

import base64
import copy
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

from sealer.crypto import at_rest_ciphers
from sealer.encryption_at_rest.config import (
    KEYED_PROVIDERS,
    EncryptionConfiguration,
    Key,
    KMSConfiguration,
    Provider,
    ResourceConfiguration,
)
from sealer.encryption_at_rest.validation import AES_KEY_SIZES, SECRETBOX_KEY_SIZES, advise, validate
from sealer.errors import InputError

GENERATABLE = ("secretbox", "aesgcm", "aescbc", "kms")
DEFAULT_PROVIDER = "secretbox"


def new_key_name(existing: Iterable[str], *, now: dt.datetime | None = None) -> str:
    """``key-<UTC time>``: sortable, says when the key was made, unique among ``existing``."""
    stamp = (now or dt.datetime.now(dt.UTC)).strftime("%Y%m%dT%H%M%SZ")
    taken = set(existing)
    name = f"key-{stamp}"
    suffix = 2
    while name in taken:
        name = f"key-{stamp}-{suffix}"
        suffix += 1
    return name


def new_key(provider: str, *, size: int | None = None, name: str) -> Key:
    """A fresh random key the API server accepts for ``provider``; InputError for sizes it would refuse."""
    sizes = SECRETBOX_KEY_SIZES if provider == "secretbox" else AES_KEY_SIZES
    size = 32 if size is None else size
    if provider not in KEYED_PROVIDERS:
        raise InputError(f"provider {provider!r} has no local keys")
    if size not in sizes:
        raise InputError(
            f"{provider} keys must be {' or '.join(map(str, sizes))} bytes, not {size}",
            hint="the API server refuses other sizes at startup",
        )
    return Key(name=name, secret=base64.b64encode(at_rest_ciphers.random_key(size)).decode())


@dataclass
class Generated:
    config: EncryptionConfiguration
    key_name: str | None
    warnings: list[str] = field(default_factory=list)


def _check(config: EncryptionConfiguration) -> None:
    errors = validate(config)
    if errors:
        raise InputError("the API server would refuse this configuration: " + "; ".join(map(str, errors)))


def generate(
    *,
    provider: str = DEFAULT_PROVIDER,
    resources: Iterable[str] = ("secrets",),
    from_plaintext: bool = False,
    key_size: int | None = None,
    key_name: str | None = None,
    kms_name: str | None = None,
    kms_endpoint: str | None = None,
    kms_timeout: str | None = None,
) -> Generated:
    """A new configuration with one provider and a fresh key (or a KMS v2 plugin)."""
    resource_list = list(resources) or ["secrets"]
    if provider not in GENERATABLE:
        raise InputError(f"unknown provider {provider!r}", hint=f"choose one of {', '.join(GENERATABLE)}")
    name: str | None
    if provider == "kms":
        if not kms_name or not kms_endpoint:
            raise InputError("kms needs a plugin name and endpoint", hint="pass --kms-name and --kms-endpoint unix:///...")
        first = Provider("kms", kms=KMSConfiguration(name=kms_name, endpoint=kms_endpoint, api_version="v2",
                                                     timeout=kms_timeout), present=("kms",))
        name = kms_name
    else:
        name = key_name or new_key_name(())
        first = Provider(provider, keys=[new_key(provider, size=key_size, name=name)], present=(provider,))
    providers = [first]
    if from_plaintext:
        providers.append(Provider("identity", present=("identity",)))
    config = EncryptionConfiguration([ResourceConfiguration(resource_list, providers)])
    _check(config)
    return Generated(config, name, advise(config))


@dataclass
class Rotated:
    config: EncryptionConfiguration
    changes: list[str]
    warnings: list[str] = field(default_factory=list)


def _entries(config: EncryptionConfiguration, resource: str | None) -> list[ResourceConfiguration]:
    if resource is None:
        return config.resources
    entry = config.entry_for(resource)
    if entry is None:
        raise InputError(f"no entry of the configuration covers {resource!r}")
    return [entry]


def rotate(
    config: EncryptionConfiguration,
    *,
    provider: str | None = None,
    stage: bool = False,
    resource: str | None = None,
    key_size: int | None = None,
    now: dt.datetime | None = None,
) -> Rotated:
    """Add a fresh key in front (or second, ``stage``) of each entry, keeping every old key for reading.

    ``provider`` switches provider (e.g. ``aescbc`` → ``secretbox``): the new
    key then comes in a new provider element. An entry whose first provider
    is ``identity`` or ``kms`` needs ``provider`` to say what to add.
    """
    result = copy.deepcopy(config)
    changes: list[str] = []
    for entry in _entries(result, resource):
        label = ", ".join(entry.resources)
        first = entry.providers[0] if entry.providers else None
        kind = provider or (first.kind if first is not None else None)
        if kind not in KEYED_PROVIDERS:
            raise InputError(
                f"cannot rotate entry ({label}): its first provider is {first.kind if first else 'missing'}",
                hint="pass --provider secretbox|aesgcm|aescbc to add a local key (KMS keys rotate in the KMS)",
            )
        existing = [k.name for p in entry.providers for k in p.keys if p.kind == kind]
        key = new_key(kind, size=key_size, name=new_key_name(existing, now=now))
        position = "second (staged: restart every API server, then promote it)" if stage else "first"
        if first is not None and first.kind == kind:
            first.keys.insert(1 if stage else 0, key)
        else:
            target = next((p for p in entry.providers if p.kind == kind), None)
            if target is not None and stage:
                target.keys.insert(0, key)
            else:
                entry.providers.insert(1 if stage and entry.providers else 0,
                                       Provider(kind, keys=[key], present=(kind,)))
        changes.append(f"({label}): added {kind} key {key.name} {position}")
    _check(result)
    return Rotated(result, changes, advise(result))


def promote(config: EncryptionConfiguration, key_name: str, *, resource: str | None = None) -> Rotated:
    """Make ``key_name`` the write key: move its provider first and the key first within it."""
    result = copy.deepcopy(config)
    changes: list[str] = []
    for entry in _entries(result, resource):
        for index, candidate in enumerate(entry.providers):
            match = next((k for k in candidate.keys if k.name == key_name), None)
            if match is None:
                continue
            candidate.keys.remove(match)
            candidate.keys.insert(0, match)
            entry.providers.insert(0, entry.providers.pop(index))
            changes.append(f"({', '.join(entry.resources)}): {candidate.kind} key {key_name} now encrypts new writes")
            break
    if not changes:
        raise InputError(f"no key named {key_name!r} in the configuration")
    _check(result)
    return Rotated(result, changes, advise(result))


# -- prune ---------------------------------------------------------------------------------


@dataclass
class ResourceUsage:
    """What an audit saw stored for one resource (``secrets``, ``deployments.apps``), history included."""

    encodings: set[tuple[str, str | None, str | None]] = field(default_factory=set)  # (provider, version, name)
    plaintext: int = 0


@dataclass
class Usage:
    """An audit's evidence for pruning: per-resource usage and how complete the audit was."""

    resources: dict[str, ResourceUsage]
    covered: set[str]  # resources whose etcd prefix was scanned, even if empty
    all_resources: bool  # the whole registry was scanned
    history: bool  # old revisions were scanned too
    problems: int  # values that could not be classified or read


def prune(config: EncryptionConfiguration, usage: Usage) -> Rotated:
    """Remove keys/providers no stored value needs; refuse unless the audit was complete."""
    if not usage.history:
        raise InputError("refusing to prune: the audit did not include old revisions",
                         hint="etcd keeps old revisions until compaction; audit with history (the default)")
    if usage.problems:
        raise InputError(f"refusing to prune: the audit found {usage.problems} values it could not read",
                         hint="fix or explain them first (sealer etcd audit lists them)")
    result = copy.deepcopy(config)
    changes: list[str] = []
    for entry in result.resources:
        label = ", ".join(entry.resources)
        wildcard = any("*" in r for r in entry.resources)
        uncovered = [r for r in entry.resources if "*" not in r and r not in usage.covered]
        if (wildcard and not usage.all_resources) or uncovered:
            changes.append(f"({label}): unchanged, the audit did not cover "
                           f"{', '.join(uncovered) if uncovered else 'every resource (wildcard entry)'}")
            continue
        used: set[tuple[str, str | None, str | None]] = set()
        plaintext = 0
        for name, seen in usage.resources.items():
            if any(e is entry for e in result.entries_for(name)):
                used |= seen.encodings
                plaintext += seen.plaintext
        kept: list[Provider] = []
        for index, provider in enumerate(entry.providers):
            if provider.kind in KEYED_PROVIDERS:
                keys = [k for k_index, k in enumerate(provider.keys)
                        if (index == 0 and k_index == 0) or (provider.kind, "v1", k.name) in used]
                for k in provider.keys:
                    if k not in keys:
                        changes.append(f"({label}): removed unused {provider.kind} key {k.name}")
                if keys:
                    provider.keys = keys
                    kept.append(provider)
            elif provider.kind == "identity":
                if index == 0 or plaintext:
                    kept.append(provider)
                else:
                    changes.append(f"({label}): removed identity (no plaintext values remain)")
            elif provider.kind == "kms" and provider.kms is not None:
                version = provider.kms.effective_api_version
                if index == 0 or ("kms", version, provider.kms.name) in used:
                    kept.append(provider)
                else:
                    changes.append(f"({label}): removed unused kms provider {provider.kms.name}")
            else:
                kept.append(provider)
        entry.providers = kept
    _check(result)
    return Rotated(result, changes, advise(result))
