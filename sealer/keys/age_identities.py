"""Where age identities come from, in the same places and order as sops 3.11 (``age/keysource.go``).

1. SSH keys: ``$SOPS_AGE_SSH_PRIVATE_KEY_FILE``, then ``~/.ssh/id_ed25519`` and
   ``~/.ssh/id_rsa`` if they exist;
2. ``$SOPS_AGE_KEY`` (the keys themselves), ``$SOPS_AGE_KEY_FILE`` (a keys
   file), ``$SOPS_AGE_KEY_CMD`` (a command whose output is a keys file);
3. ``<UserConfigDir>/sops/age/keys.txt`` (``$XDG_CONFIG_HOME`` or
   ``~/.config`` on Linux; ``~/Library/Application Support`` on macOS unless
   ``XDG_CONFIG_HOME`` is set; ``%AppData%`` on Windows).

All sources that exist are loaded; problems with one are remembered (to
explain a failure later) without stopping the others, as sops does. The
result names sources, never key material.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sealer.crypto import age

__all__ = ["IdentitySet", "discover", "user_config_dir"]

SOPS_AGE_KEY = "SOPS_AGE_KEY"
SOPS_AGE_KEY_FILE = "SOPS_AGE_KEY_FILE"
SOPS_AGE_KEY_CMD = "SOPS_AGE_KEY_CMD"
SOPS_AGE_SSH_PRIVATE_KEY_FILE = "SOPS_AGE_SSH_PRIVATE_KEY_FILE"
USER_CONFIG_PATH = Path("sops", "age", "keys.txt")


@dataclass
class IdentitySet:
    """Identities found, and for diagnostics where they came from, what failed and where nothing was."""

    identities: list[Any] = field(default_factory=list)
    sources: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    unused: list[str] = field(default_factory=list)

    def describe(self) -> str:
        parts = []
        if self.sources:
            parts.append("tried identities from " + ", ".join(self.sources))
        if self.errors:
            parts.append("errors while loading age identities: " + "; ".join(self.errors))
        if self.unused:
            parts.append("no keys in " + ", ".join(self.unused))
        return "; ".join(parts) or "no age identity sources"


def user_config_dir(env: Mapping[str, str]) -> Path | None:
    """Go's ``os.UserConfigDir`` (with sops' macOS ``XDG_CONFIG_HOME`` preference)."""
    if sys.platform == "win32":
        appdata = env.get("AppData") or env.get("APPDATA")
        return Path(appdata) if appdata else None
    if sys.platform == "darwin":
        if env.get("XDG_CONFIG_HOME"):
            return Path(env["XDG_CONFIG_HOME"])
        home = env.get("HOME")
        return Path(home, "Library", "Application Support") if home else None
    if env.get("XDG_CONFIG_HOME"):
        return Path(env["XDG_CONFIG_HOME"])
    home = env.get("HOME")
    return Path(home, ".config") if home else None


def _ssh(path: Path, result: IdentitySet) -> None:
    try:
        data = path.read_bytes()
    except OSError as exc:
        result.errors.append(f"failed to open {path}: {exc.strerror}")
        return
    if b"ENCRYPTED" in data or b"Proc-Type: 4,ENCRYPTED" in data:
        result.errors.append(f"{path} is a passphrase-protected SSH key; not supported")
        return
    try:
        result.identities.append(age.parse_ssh_identity(data, source=str(path)))
        result.sources.append(str(path))
    except age.AgeError as exc:
        result.errors.append(str(exc))


def _keys_text(text: str, source: str, result: IdentitySet) -> None:
    try:
        found = age.parse_identities(text, source=source)
    except age.AgeError as exc:
        result.errors.append(str(exc))
        return
    if found:
        result.identities.extend(found)
        result.sources.append(source)
    else:
        result.unused.append(source)


def discover(env: Mapping[str, str] | None = None) -> IdentitySet:
    """Load every age identity sops would load from ``env`` (default: ``os.environ``)."""
    env = os.environ if env is None else env
    result = IdentitySet()

    ssh_file = env.get(SOPS_AGE_SSH_PRIVATE_KEY_FILE)
    if ssh_file is not None:
        _ssh(Path(ssh_file), result)
    else:
        result.unused.append(SOPS_AGE_SSH_PRIVATE_KEY_FILE)
    home = env.get("HOME") or env.get("USERPROFILE")
    if home:
        for name in ("id_ed25519", "id_rsa"):
            path = Path(home, ".ssh", name)
            if path.exists():
                _ssh(path, result)

    readers: list[tuple[str, str]] = []
    if SOPS_AGE_KEY in env:
        readers.append((SOPS_AGE_KEY, env[SOPS_AGE_KEY]))
    else:
        result.unused.append(SOPS_AGE_KEY)
    if SOPS_AGE_KEY_FILE in env:
        try:
            readers.append((SOPS_AGE_KEY_FILE, Path(env[SOPS_AGE_KEY_FILE]).read_text(encoding="utf-8")))
        except (OSError, UnicodeDecodeError) as exc:
            reason = exc.strerror if isinstance(exc, OSError) else "not UTF-8 text"
            result.errors.append(f"failed to open {SOPS_AGE_KEY_FILE} file {env[SOPS_AGE_KEY_FILE]}: {reason}")
    else:
        result.unused.append(SOPS_AGE_KEY_FILE)
    if SOPS_AGE_KEY_CMD in env:
        import shlex
        import subprocess

        command = env[SOPS_AGE_KEY_CMD]
        try:
            argv = shlex.split(command)
            completed = subprocess.run(argv, capture_output=True, check=True, env=dict(env))
            readers.append((SOPS_AGE_KEY_CMD, completed.stdout.decode("utf-8", "replace")))
        except (ValueError, OSError, subprocess.CalledProcessError) as exc:
            result.errors.append(f"failed to execute command from {SOPS_AGE_KEY_CMD}: {type(exc).__name__}")
    else:
        result.unused.append(SOPS_AGE_KEY_CMD)

    config_dir = user_config_dir(env)
    if config_dir is not None:
        keys_file = config_dir / USER_CONFIG_PATH
        try:
            readers.append((str(keys_file), keys_file.read_text(encoding="utf-8")))
        except FileNotFoundError:
            if not readers and not result.identities:
                result.unused.append(str(keys_file))
        except (OSError, UnicodeDecodeError) as exc:
            result.errors.append(f"failed to open {keys_file}: {getattr(exc, 'strerror', None) or 'unreadable'}")

    for source, text in readers:
        _keys_text(text, source, result)
    return result
