"""Helpers for the Kustomize plugin tests: age keys made with pyrage, files encrypted by the real sops.

Nothing here is a stored fixture: every SOPS file is made at test time by
``.venv/bin/sops`` (3.x), so the tests are also the proof that what the real
sops writes, our plugin reads.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pyrage

BIN = Path(sys.executable).parent
SOPS = BIN / "sops"
KUBECTL = BIN / "kubectl"
SEALER_KUSTOMIZE = BIN / "sealer-kustomize"

# sops' own formats by file name, as both sops and the plugin infer them
_FORMATS = {".yaml": "yaml", ".yml": "yaml", ".json": "json", ".env": "dotenv"}


@dataclass(frozen=True)
class AgeKey:
    identity: str
    recipient: str
    key_file: Path


def make_age_key(directory: Path, name: str) -> AgeKey:
    identity = pyrage.x25519.Identity.generate()
    key_file = directory / f"{name}.txt"
    key_file.write_text(f"# test key {name}\n{identity}\n")
    key_file.chmod(0o600)
    return AgeKey(identity=str(identity), recipient=str(identity.to_public()), key_file=key_file)


def sops_format(path: Path) -> str:
    return _FORMATS.get(path.suffix, "binary")


def sops_encrypt(
    plaintext: bytes | str,
    target: Path,
    *,
    recipient: str,
    unencrypted_regex: str | None = "^(apiVersion|metadata|kind|type)$",
) -> Path:
    """Encrypt ``plaintext`` with the real sops into ``target`` (format from its name)."""
    data = plaintext.encode() if isinstance(plaintext, str) else plaintext
    fmt = sops_format(target)
    command = [str(SOPS), "encrypt", "--age", recipient, "--input-type", fmt, "--output-type", fmt]
    if unencrypted_regex and fmt in ("yaml", "json"):
        command += ["--unencrypted-regex", unencrypted_regex]
    command += ["--filename-override", target.name, "/dev/stdin"]
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "HOME": str(target.parent)}
    result = subprocess.run(command, input=data, capture_output=True, cwd=target.parent, env=env, check=False)
    assert result.returncode == 0, result.stderr.decode()
    target.write_bytes(result.stdout)
    return target


def marker(label: str) -> str:
    """A plaintext value that appears nowhere else, so leaks can be searched for."""
    return f"{label}-{uuid.uuid4().hex}"


def plugin_env(tmp: Path, key: AgeKey | None, **extra: str) -> dict[str, str]:
    """A clean environment for kustomize and the plugin: private HOME/TMPDIR/XDG, the venv on PATH."""
    for name in ("home", "tmp", "xdg"):
        (tmp / name).mkdir(exist_ok=True)
    env = {
        "PATH": f"{BIN}{os.pathsep}/usr/local/bin{os.pathsep}/usr/bin{os.pathsep}/bin",
        "HOME": str(tmp / "home"),
        "TMPDIR": str(tmp / "tmp"),
        "XDG_CONFIG_HOME": str(tmp / "xdg"),
        "LANG": "C.UTF-8",
    }
    if key is not None:
        env["SOPS_AGE_KEY_FILE"] = str(key.key_file)
    env.update(extra)
    return env


def files_containing(root: Path, needles: Mapping[str, str] | list[str]) -> list[Path]:
    """Every file under ``root`` whose bytes contain one of ``needles``."""
    wanted = [n.encode() for n in (needles.values() if isinstance(needles, Mapping) else needles)]
    hits = []
    for directory, _, names in os.walk(root):
        for name in names:
            path = Path(directory) / name
            try:
                data = path.read_bytes()
            except OSError:
                continue
            if any(n in data for n in wanted):
                hits.append(path)
    return hits


def secret_manifest(name: str, values: Mapping[str, str], *, annotations: Mapping[str, str] | None = None) -> str:
    lines = ["apiVersion: v1", "kind: Secret", "metadata:", f"  name: {name}"]
    if annotations:
        lines.append("  annotations:")
        lines += [f'    {k}: "{v}"' for k, v in annotations.items()]
    lines += ["type: Opaque", "stringData:"]
    lines += [f"  {k}: {v}" for k, v in values.items()]
    return "\n".join(lines) + "\n"
