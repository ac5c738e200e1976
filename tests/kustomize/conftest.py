"""Session fixtures for the Kustomize plugin tests (helpers live in tests.kustomize.peers)."""

from __future__ import annotations

import pytest

from tests.kustomize.peers import AgeKey, make_age_key


@pytest.fixture(scope="session")
def age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    return make_age_key(tmp_path_factory.mktemp("age"), "main")


@pytest.fixture(scope="session")
def other_age_key(tmp_path_factory: pytest.TempPathFactory) -> AgeKey:
    return make_age_key(tmp_path_factory.mktemp("age-other"), "other")
