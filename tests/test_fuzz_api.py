"""A property-based fuzz of the API from its own OpenAPI document (schemathesis): whatever the
input, no answer is a server error. Bounded: a few examples per operation, a couple of minutes
in all."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error

from engine.clock import FrozenClock
from engine.services.access import Actor
from tests.conftest import PASSWORD
from web import create_app

EXAMPLES = 20  # per operation (bounded: the suite keeps under 15 minutes)


@pytest.fixture(scope="module")
def fuzzed_app(
    tmp_path_factory: pytest.TempPathFactory, template_database: tuple[Path, dict[str, Actor]]
) -> Iterator[Flask]:
    path = tmp_path_factory.mktemp("fuzz") / "fuzz.db"
    shutil.copyfile(template_database[0], path)
    site = create_app(
        {
            "TESTING": True,
            "DATABASE_AUTO_UPGRADE": True,
            "DATABASE_URL": f"sqlite:///{path}",
            "CLOCK": FrozenClock(),
            "SECRET_KEY": "fuzz",
            "WTF_CSRF_ENABLED": False,
        }
    )
    client = site.test_client()
    made = client.post("/api/v1/tokens", json={"username": "kaisa", "password": PASSWORD})
    site.config["FUZZ_TOKEN"] = made.json["token"]
    bearer = {"Authorization": f"Bearer {made.json['token']}"}
    person = client.post("/api/v1/clients", json={"full_name": "Fuzz Testinen"}, headers=bearer)
    client.post("/api/v1/instances", json={"client": person.json["id"], "process": "national"},
                headers=bearer)  # fmt: skip
    yield site
    site.extensions["polku"].db.dispose()


@pytest.fixture(scope="module")
def api_schema(fuzzed_app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/v1/openapi.json", fuzzed_app)


def test_no_input_answers_a_server_error(api_schema: Any, fuzzed_app: Flask) -> None:
    headers = {"Authorization": f"Bearer {fuzzed_app.config['FUZZ_TOKEN']}"}
    failures: list[str] = []
    operations = [
        result.ok()
        for result in api_schema.get_all_operations()
        # signing the fuzzer's own token out would leave every later operation at 401
        if result.ok().label != "DELETE /api/v1/tokens/current"
    ]
    assert len(operations) >= 15  # the OpenAPI document lists every operation
    for operation in operations:

        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            derandomize=True,  # the same examples every run: a failure can be reproduced
            phases=[Phase.explicit, Phase.generate],
            suppress_health_check=list(HealthCheck),
            database=None,
        )
        @given(case=operation.as_strategy())
        def examples(case: Any) -> None:
            case.call_and_validate(headers=headers, checks=[not_a_server_error])

        try:
            examples()
        except Exception as exc:  # every operation is tried; all failures are reported
            failures.append(f"{operation.label}: {str(exc)[:600]}")
    assert not failures, "\n\n".join(failures)
