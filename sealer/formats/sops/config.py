"""``.sops.yaml``: creation rules that pick keys and selectors per file, found as sops finds them.

- the file is ``.sops.yaml`` in the working directory or the nearest parent
  (up to 100 levels; a ``.sops.yml`` is ignored, as sops ignores it);
- the first rule whose ``path_regex`` matches (unanchored search, Go regexp)
  the file path *relative to the config file's directory* wins; a rule without
  ``path_regex`` matches everything;
- a rule gives age keys directly (``age:`` string with commas, or a list) or
  as ``key_groups`` (each with ``age:`` entries, and ``merge:``), with
  ``shamir_threshold`` and at most one selector (``encrypted_regex``...) plus
  ``mac_only_encrypted``.

Non-age key types in a rule are reported, since we cannot encrypt to them.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealer.errors import FormatError, InputError, KeyNotFoundError
from sealer.formats.sops.crypt import SELECTOR_NAMES, Selectors
from sealer.formats.sops.stores import StoreSettings

__all__ = ["CONFIG_NAME", "CreationRule", "SopsConfig", "find_config", "load_config", "store_settings_near"]

CONFIG_NAME = ".sops.yaml"
MAX_DEPTH = 100
_FOREIGN = ("pgp", "kms", "gcp_kms", "azure_keyvault", "hc_vault_transit_uri", "hc_vault")


class ConfigError(InputError):
    """``.sops.yaml`` is unreadable or has no rule for the file."""


@dataclass
class CreationRule:
    path_regex: str
    key_groups: list[list[str]]
    shamir_threshold: int = 0
    selectors: Selectors = field(default_factory=Selectors)


@dataclass
class SopsConfig:
    path: Path
    rules: list[CreationRule]
    stores: StoreSettings = field(default_factory=StoreSettings)

    def rule_for(self, filename: str) -> CreationRule:
        """The first rule matching ``filename`` (relative to the config's directory when inside it)."""
        if not self.rules:
            raise ConfigError(f"{self.path} has no creation_rules")
        config_dir = str(self.path.resolve().parent)
        target = os.path.abspath(filename) if filename else ""
        if target.startswith(config_dir + os.sep):
            target = target[len(config_dir) + 1 :]
        for rule in self.rules:
            if not rule.path_regex:
                return rule
            try:
                if re.search(rule.path_regex, target):
                    return rule
            except re.error as exc:
                raise ConfigError(f"{self.path}: path_regex {rule.path_regex!r} is invalid: {exc}") from None
        raise ConfigError(
            f"{self.path}: no creation rule matches {filename or '<stdin>'}",
            hint="add a rule whose path_regex matches it, or pass --age",
        )


def find_config(start: Path) -> Path | None:
    """``.sops.yaml`` in ``start`` or the nearest parent directory."""
    directory = start.resolve()
    for _ in range(MAX_DEPTH):
        candidate = directory / CONFIG_NAME
        if candidate.is_file():
            return candidate
        if directory.parent == directory:
            return None
        directory = directory.parent
    return None


def _key_list(value: Any, what: str, where: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [part.strip() for part in value.split(",") if part.strip()]
    if isinstance(value, list) and all(isinstance(v, str) for v in value):
        return [part.strip() for v in value for part in v.split(",") if part.strip()]
    raise ConfigError(f"{where}: {what} must be a string or a list of strings")


def _group(raw: Any, where: str) -> list[str]:
    if not isinstance(raw, dict):
        raise ConfigError(f"{where}: each key group must be a mapping")
    keys: list[str] = []
    for merged in raw.get("merge") or []:
        keys.extend(_group(merged, where))
    keys.extend(_key_list(raw.get("age"), "age", where))
    foreign = [name for name in _FOREIGN if raw.get(name)]
    if foreign:
        raise KeyNotFoundError(f"{where}: key group uses {', '.join(foreign)}; only age keys are supported here")
    return keys


def _rule(raw: Any, number: int, path: Path) -> CreationRule:
    where = f"{path} creation rule {number}"
    if not isinstance(raw, dict):
        raise ConfigError(f"{where} is not a mapping")
    foreign = [name for name in _FOREIGN if raw.get(name)]
    if raw.get("key_groups"):
        if not isinstance(raw["key_groups"], list):
            raise ConfigError(f"{where}: key_groups must be a list")
        groups = [_group(g, where) for g in raw["key_groups"]]
    else:
        if foreign:
            raise KeyNotFoundError(f"{where} uses {', '.join(foreign)}; only age keys are supported here")
        ages = _key_list(raw.get("age"), "age", where)
        groups = [ages] if ages else []
    threshold = raw.get("shamir_threshold") or 0
    if not isinstance(threshold, int) or isinstance(threshold, bool) or threshold < 0:
        raise ConfigError(f"{where}: shamir_threshold must be a non-negative integer")
    values = {}
    for name in SELECTOR_NAMES:
        value = raw.get(name) or ""
        if not isinstance(value, str):
            raise ConfigError(f"{where}: {name} must be a string")
        values[name] = value
    selectors = Selectors(**values, mac_only_encrypted=bool(raw.get("mac_only_encrypted")))
    if selectors.rule_count() > 1:
        raise ConfigError(f"{where}: use at most one of {', '.join(SELECTOR_NAMES)}")
    path_regex = raw.get("path_regex") or ""
    if not isinstance(path_regex, str):
        raise ConfigError(f"{where}: path_regex must be a string")
    return CreationRule(path_regex=path_regex, key_groups=groups, shamir_threshold=threshold, selectors=selectors)


def load_config(path: Path) -> SopsConfig:
    """Parse a ``.sops.yaml``."""
    from sealer.formats.sops import store_yaml
    from sealer.formats.sops.stores import to_plain

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read sops config {path}: {exc.strerror}") from None
    try:
        branches = store_yaml.load(data.decode("utf-8"))
    except (FormatError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path} is not valid YAML: {exc}") from None
    raw = to_plain(branches[0]) if branches else {}
    rules_raw = raw.get("creation_rules") or []
    if not isinstance(rules_raw, list):
        raise ConfigError(f"{path}: creation_rules must be a list")
    return SopsConfig(
        path=path, rules=[_rule(r, n + 1, path) for n, r in enumerate(rules_raw)], stores=_stores(raw, path)
    )


def _stores(raw: dict[str, Any], path: Path) -> StoreSettings:
    """``stores: {yaml: {indent: N}, json: {indent: N}, json_binary: {indent: N}}``."""
    section = raw.get("stores") or {}
    if not isinstance(section, dict):
        raise ConfigError(f"{path}: stores must be a mapping")

    def indent(name: str, default: int) -> int:
        entry = section.get(name) or {}
        value = entry.get("indent", default) if isinstance(entry, dict) else default
        if not isinstance(value, int) or isinstance(value, bool):
            raise ConfigError(f"{path}: stores.{name}.indent must be an integer")
        return value

    return StoreSettings(
        yaml_indent=indent("yaml", 0), json_indent=indent("json", -1), json_binary_indent=indent("json_binary", -1)
    )


def store_settings_near(start: Path, explicit: Path | None = None) -> StoreSettings:
    """The ``stores`` settings sops would apply when run in ``start`` (defaults without a config)."""
    path = explicit if explicit is not None else find_config(start)
    return load_config(path).stores if path is not None else StoreSettings()
