"""The generator manifest model: KSOPS's schema accepted as is, mistakes refused before any decryption."""

from __future__ import annotations

from typing import Any

import pytest
from sealer_kustomize.manifest import FileRef, generator_identity, is_generator, parse_generator

from sealer.errors import FormatError


def ksops(**fields: Any) -> dict[str, Any]:
    return {"apiVersion": "viaduct.ai/v1", "kind": "ksops", "metadata": {"name": "gen"}, **fields}


def test_ksops_manifest_with_every_field() -> None:
    generator = parse_generator(
        ksops(
            files=["./a.enc.yaml", "b.enc.json"],
            secretFrom=[
                {
                    "metadata": {
                        "name": "app",
                        "namespace": "prod",
                        "labels": {"app": "web"},
                        "annotations": {
                            "kustomize.config.k8s.io/needs-hash": "true",
                            "kustomize.config.k8s.io/behavior": "merge",
                        },
                    },
                    "type": "kubernetes.io/tls",
                    "files": ["./conf/app.enc.conf", "tls.crt=./tls.enc.crt"],
                    "binaryFiles": ["blob=./blob.enc"],
                    "envs": ["./app.enc.env"],
                }
            ],
        ),
        source="gen.yaml",
    )
    assert generator.label == "ksops/gen"
    assert generator.files == ("./a.enc.yaml", "b.enc.json")
    (secret,) = generator.secret_from
    assert secret.files == (FileRef("app.enc.conf", "./conf/app.enc.conf"), FileRef("tls.crt", "./tls.enc.crt"))
    assert secret.binary_files == (FileRef("blob", "./blob.enc"),)
    assert secret.envs == ("./app.enc.env",)
    assert secret.type == "kubernetes.io/tls"
    assert secret.metadata == {
        "name": "app",
        "namespace": "prod",
        "labels": {"app": "web"},
        "annotations": {"kustomize.config.k8s.io/needs-hash": "true", "kustomize.config.k8s.io/behavior": "merge"},
    }
    assert generator.all_paths() == [
        "./a.enc.yaml",
        "b.enc.json",
        "./conf/app.enc.conf",
        "./tls.enc.crt",
        "./blob.enc",
        "./app.enc.env",
    ]


def test_our_own_api_version_has_the_same_schema() -> None:
    obj = {"apiVersion": "sealer.dev/v1", "kind": "SopsGenerator", "metadata": {"name": "g"}, "files": ["x.yaml"]}
    assert is_generator(obj)
    assert parse_generator(obj, source="g.yaml").label == "SopsGenerator/g"


def test_an_empty_files_list_is_accepted_like_ksops() -> None:
    assert parse_generator(ksops(files=[]), source="g.yaml").all_paths() == []


@pytest.mark.parametrize(
    ("manifest", "expected"),
    [
        ({"apiVersion": "viaduct.ai/v1", "kind": "Ksops", "files": ["a.yaml"]}, "not a SOPS generator"),
        ({"apiVersion": "v1", "kind": "ConfigMap"}, "expected apiVersion viaduct.ai/v1 kind ksops"),
        (ksops(), "missing the required 'files' or 'secretFrom' field"),
        (ksops(files="a.yaml"), "'files' must be a list of file paths, not a string"),
        (ksops(files=["a.yaml", ""]), "'files[1]' must be a non-empty file path"),
        (ksops(file=["a.yaml"]), "unknown field 'file' in the generator"),
        (ksops(secretFrom={"metadata": {"name": "x"}}), "'secretFrom' must be a list"),
        (ksops(secretFrom=[{"files": ["a"]}]), "'secretFrom[0].metadata' is missing"),
        (ksops(secretFrom=[{"metadata": {"labels": {}}}]), "'secretFrom[0].metadata.name' is missing"),
        (ksops(secretFrom=[{"metadata": {"name": "x"}, "binaryfiles": ["a"]}]), "unknown field 'binaryfiles'"),
        (
            ksops(
                secretFrom=[{"metadata": {"name": "x", "annotations": {"kustomize.config.k8s.io/needs-hash": True}}}]
            ),
            "must be a string, not a boolean (quote the value",
        ),
        (ksops(secretFrom=[{"metadata": {"name": "x"}, "files": ["a=b=c"]}]), "has more than one '='"),
        (ksops(secretFrom=[{"metadata": {"name": "x"}, "files": ["my key=./a"]}]), "which Kubernetes rejects"),
        (ksops(secretFrom=[{"metadata": {"name": "x"}, "files": ["k="]}]), "has no path"),
        ("files: [a]", "must be a YAML mapping, not a string"),
    ],
)
def test_malformed_manifests_are_refused_with_the_field_named(manifest: Any, expected: str) -> None:
    with pytest.raises(FormatError) as caught:
        parse_generator(manifest, source="overlays/prod/secret-generator.yaml")
    assert expected in str(caught.value)
    assert str(caught.value).startswith("overlays/prod/secret-generator.yaml")
    assert "\n" not in str(caught.value)


def test_identity_ignores_annotations_that_kustomize_and_kpt_add() -> None:
    plain = ksops(files=["a"])
    annotated = ksops(files=["a"])
    annotated["metadata"] = {"name": "gen", "annotations": {"config.kubernetes.io/local-config": "true"}}
    assert generator_identity(plain) == generator_identity(annotated) == ("viaduct.ai/v1", "ksops", "", "gen")
