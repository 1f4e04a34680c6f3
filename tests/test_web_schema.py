"""Schemathesis generates requests from the app's OpenAPI schema: no input may cause a 500, and
every JSON response must match the schema it declares."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, response_schema_conformance

from tests.engine_stack import stores
from tests.web_data import KEYS, build
from workers.redis.redis_server import ServerInfo
from workers.web import create_app

CHECKS = [not_a_server_error, response_schema_conformance, content_type_conformance]
SITES = Path(__file__).resolve().parents[1] / "examples" / "sites.toml"


@pytest.fixture(scope="module")
def api_schema(
    redis_server: ServerInfo, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[schemathesis.BaseSchema]:
    connection = redis.Redis.from_url(redis_server.url)
    connection.flushall()
    warc = tmp_path_factory.mktemp("schema") / "warc"
    build(connection, warc, n_docs=20, seed=9)
    app = create_app(stores(connection, KEYS, warc_dir=warc), warc, "schema-token", SITES)
    yield schemathesis.openapi.from_asgi("/openapi.json", app)
    connection.close()


def test_no_input_breaks_the_api(api_schema: schemathesis.BaseSchema) -> None:
    # schemathesis' pytest plugin does not load under pytest 9: drive each operation with hypothesis.
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck), database=None)
        def check(case: schemathesis.Case) -> None:
            case.call_and_validate(checks=CHECKS)

        check()
