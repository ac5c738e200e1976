"""The pre-build walk that finds exec-function generators kustomize would skip without --enable-exec."""

from __future__ import annotations

from pathlib import Path

from sealer_kustomize.preflight import exec_function_generators

ANNOTATED = (
    "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\n  annotations:\n"
    "    config.kubernetes.io/function: |\n      exec:\n        path: ksops\nfiles: []\n"
)
PLAIN = "apiVersion: viaduct.ai/v1\nkind: ksops\nmetadata:\n  name: g\nfiles: []\n"


def test_walks_resources_components_and_generator_dirs(tmp_path: Path) -> None:
    (tmp_path / "base").mkdir()
    (tmp_path / "base" / "kustomization.yaml").write_text("generators: [gen.yaml, plain.yaml]\n")
    (tmp_path / "base" / "gen.yaml").write_text(ANNOTATED)
    (tmp_path / "base" / "plain.yaml").write_text(PLAIN)
    (tmp_path / "comp").mkdir()
    (tmp_path / "comp" / "kustomization.yaml").write_text(
        "apiVersion: kustomize.config.k8s.io/v1alpha1\nkind: Component\ngenerators: [gens]\n"
    )
    (tmp_path / "comp" / "gens").mkdir()
    (tmp_path / "comp" / "gens" / "kustomization.yaml").write_text("resources: [g.yaml]\n")
    (tmp_path / "comp" / "gens" / "g.yaml").write_text(ANNOTATED.replace("config.kubernetes.io", "config.k8s.io"))
    (tmp_path / "overlay").mkdir()
    (tmp_path / "overlay" / "kustomization.yaml").write_text(
        "resources: [../base, https://example.com/remote.yaml, github.com/org/repo//x]\ncomponents: [../comp]\n"
    )
    (tmp_path / "unrelated").mkdir()
    (tmp_path / "unrelated" / "gen.yaml").write_text(ANNOTATED)

    assert exec_function_generators(tmp_path / "overlay") == [
        (tmp_path / "base" / "gen.yaml").resolve(),
        (tmp_path / "comp" / "gens" / "g.yaml").resolve(),
    ]


def test_plain_manifests_and_resources_are_fine(tmp_path: Path) -> None:
    (tmp_path / "kustomization.yaml").write_text("resources: [gen.yaml]\ngenerators: [plain.yaml]\n")
    (tmp_path / "gen.yaml").write_text(ANNOTATED)  # a resource, not a generator: kustomize never runs it
    (tmp_path / "plain.yaml").write_text(PLAIN)
    assert exec_function_generators(tmp_path) == []
