from __future__ import annotations

from typing import Any

import pytest

from tests.charts import rendering


@pytest.fixture(scope="session")
def renders() -> dict[str, rendering.Rendered]:
    return rendering.render_all()


@pytest.fixture(scope="session")
def default_render(renders: dict[str, rendering.Rendered]) -> rendering.Rendered:
    return renders["default"]


@pytest.fixture(scope="session")
def crd() -> dict[str, Any]:
    return rendering.load_crd()
