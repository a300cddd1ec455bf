"""Schemathesis against ``/api/v1/openapi.json``, through the WSGI app: no 5xx, every response matches the
document. Bounded and derandomised for CI (``CITYOPS_FUZZ_EXAMPLES`` per operation, default 25); the
longer run is ``CITYOPS_FUZZ_EXAMPLES=1000 pytest tests/api/test_fuzz_api.py`` (README "Production")."""
from __future__ import annotations

import os
from typing import Any

import pytest

schemathesis = pytest.importorskip("schemathesis")
from hypothesis import HealthCheck, Phase  # noqa: E402
from hypothesis import settings as hsettings  # noqa: E402
from schemathesis.checks import not_a_server_error, response_schema_conformance  # noqa: E402

import app as cityops_app  # noqa: E402
from channels_helpers import TOKENS, bearer  # noqa: E402

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")
EXAMPLES = int(os.environ.get("CITYOPS_FUZZ_EXAMPLES", "25"))
CASES: list[str] = []


@pytest.fixture
def api_schema(settings_factory: Any, clock: Any) -> Any:
    web = cityops_app.create_app(settings_factory(api_tokens=TOKENS), clock, background=False)
    yield schemathesis.openapi.from_wsgi("/api/v1/openapi.json", web.server)
    web.services.db.dispose()


schema = schemathesis.pytest.from_fixture("api_schema")


@schema.parametrize()
@hsettings(max_examples=EXAMPLES, derandomize=True, deadline=None, database=None,
           suppress_health_check=list(HealthCheck), phases=[Phase.explicit, Phase.generate])
def test_api_answers_every_generated_request_within_its_schema(case: Any) -> None:
    CASES.append(case.operation.label)
    case.call_and_validate(headers=bearer(), checks=[not_a_server_error, response_schema_conformance])


def test_fuzz_case_count_is_reported() -> None:
    """Runs last in this module: prints how many cases the fuzzing ran (the closing note quotes it)."""
    print(f"\nschemathesis: {len(CASES)} cases over {len(set(CASES))} operations")
