"""A sample kustomization that uses every generator feature, its SOPS files made by the real sops.

The plaintext values are unique markers, so tests can both check the built
Secrets and search the disk and stderr for leaks.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from pathlib import Path

from tests.kustomize.peers import AgeKey, marker, secret_manifest, sops_encrypt

BINARY_BLOB_PREFIX = b"\x00\xff\xfe binary "


@dataclass
class SampleApp:
    """Where the app is and what its Secrets must contain once built."""

    root: Path
    values: dict[str, str] = field(default_factory=dict)
    blob: bytes = b""

    @property
    def markers(self) -> list[str]:
        """Every plaintext value, also as the base64 that a Secret's data holds."""
        return [*self.values.values(), *(b64(value) for value in self.values.values())]


def b64(value: str) -> str:
    return base64.b64encode(value.encode()).decode()


def data_secret(name: str, values: dict[str, str], *, behavior: str | None = None) -> str:
    """A Secret with base64 ``data`` (kustomize merges ``data``, not ``stringData``, for behavior: merge)."""
    annotations = f"  annotations:\n    kustomize.config.k8s.io/behavior: {behavior}\n" if behavior else ""
    body = "".join(f"  {key}: {b64(value)}\n" for key, value in values.items())
    return f"apiVersion: v1\nkind: Secret\nmetadata:\n  name: {name}\n{annotations}type: Opaque\ndata:\n{body}"


def write_sample_app(root: Path, key: AgeKey, *, kind: str = "ksops") -> SampleApp:
    """An app dir with a base Secret, a ksops generator (files + secretFrom) and a SopsGenerator."""
    app = SampleApp(root=root)
    v = app.values
    for name in ("db_password", "api_token", "merged", "json_value", "conf_line", "env_a", "env_b", "cm_value", "gen2"):
        v[name] = marker(name)
    app.blob = BINARY_BLOB_PREFIX + v["db_password"].encode()[:4]
    secrets = root / "secrets"
    secrets.mkdir(parents=True)
    base = root / "base"
    base.mkdir()
    (base / "kustomization.yaml").write_text("resources: [secret.yaml]\n")
    (base / "secret.yaml").write_text(data_secret("app-base", {"from_base": "public-default"}))

    sops_encrypt(
        secret_manifest("db", {"password": v["db_password"]}), secrets / "db.enc.yaml", recipient=key.recipient
    )
    sops_encrypt(
        data_secret("app-base", {"merged_key": v["merged"]}, behavior="merge"),
        secrets / "merge.enc.yaml",
        recipient=key.recipient,
    )
    multi = (
        secret_manifest("api", {"token": v["api_token"]}, annotations={"kustomize.config.k8s.io/needs-hash": "true"})
        + "---\n"
        + f"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: settings\ndata:\n  value: {v['cm_value']}\n"
    )
    sops_encrypt(multi, secrets / "multi.enc.yaml", recipient=key.recipient)
    json_secret = (
        '{"apiVersion": "v1", "kind": "Secret", "metadata": {"name": "from-json"},'
        f' "stringData": {{"value": "{v["json_value"]}"}}}}'
    )
    sops_encrypt(json_secret, secrets / "json.enc.json", recipient=key.recipient)
    sops_encrypt(f"line = {v['conf_line']}\n", secrets / "app.enc.conf", recipient=key.recipient)
    sops_encrypt(app.blob, secrets / "blob.enc.bin", recipient=key.recipient)
    sops_encrypt(f"ENV_A={v['env_a']}\nexport ENV_B={v['env_b']}\n", secrets / "app.enc.env", recipient=key.recipient)
    sops_encrypt(secret_manifest("second", {"v": v["gen2"]}), secrets / "second.enc.yaml", recipient=key.recipient)

    api_version = "viaduct.ai/v1" if kind == "ksops" else "sealer.dev/v1"
    (root / "secret-generator.yaml").write_text(
        f"""\
apiVersion: {api_version}
kind: {kind}
metadata:
  name: app-secrets
files:
  - ./secrets/db.enc.yaml
  - ./secrets/merge.enc.yaml
  - ./secrets/multi.enc.yaml
  - ./secrets/json.enc.json
secretFrom:
  - metadata:
      name: from-files
      namespace: prod
      labels:
        app: web
      annotations:
        kustomize.config.k8s.io/needs-hash: "true"
    type: Opaque
    files:
      - ./secrets/app.enc.conf
      - renamed.conf=./secrets/app.enc.conf
    binaryFiles:
      - blob=./secrets/blob.enc.bin
    envs:
      - ./secrets/app.enc.env
"""
    )
    (root / "second-generator.yaml").write_text(
        """\
apiVersion: sealer.dev/v1
kind: SopsGenerator
metadata:
  name: second
files: [./secrets/second.enc.yaml]
"""
    )
    (root / "kustomization.yaml").write_text(
        "resources:\n  - ./base\ngenerators:\n  - ./secret-generator.yaml\n  - ./second-generator.yaml\n"
    )
    return app


def check_built_objects(app: SampleApp, objects: list[dict]) -> None:  # type: ignore[type-arg]
    """Assert the build produced exactly what the sample app's generators describe."""
    v = app.values
    by_name = {obj["metadata"]["name"]: obj for obj in objects}
    assert by_name["db"]["stringData"] == {"password": v["db_password"]}
    # behavior: merge folded the encrypted Secret into the base one
    assert by_name["app-base"]["data"] == {"from_base": b64("public-default"), "merged_key": b64(v["merged"])}
    # needs-hash: kustomize added its content hash to the name
    (api,) = [o for name, o in by_name.items() if name.startswith("api-")]
    assert api["stringData"] == {"token": v["api_token"]}
    assert by_name["settings"]["data"] == {"value": v["cm_value"]}
    assert by_name["from-json"]["stringData"] == {"value": v["json_value"]}
    assert by_name["second"]["stringData"] == {"v": v["gen2"]}
    (built,) = [o for name, o in by_name.items() if name.startswith("from-files-")]
    assert built["metadata"]["namespace"] == "prod"
    assert built["metadata"]["labels"] == {"app": "web"}
    assert built["type"] == "Opaque"
    assert built["stringData"] == {
        "app.enc.conf": f"line = {v['conf_line']}\n",
        "renamed.conf": f"line = {v['conf_line']}\n",
        "ENV_A": v["env_a"],
        "ENV_B": v["env_b"],
    }
    assert base64.b64decode(built["data"]["blob"]) == app.blob
    assert len(objects) == 7
