"""Schemathesis exercises the gateway from its own OpenAPI document: generated requests,
valid and invalid, against the real server on loopback. Every answer must be a status
the document lists, with its content type and a body that fits its schema; requests
the document forbids must be refused with a 4xx. Inputs without a recording get the
documented 502 (`missing_recording`), so server errors as such are not a failure here;
provider failures are tested in test_serve_calls."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck
from hypothesis import settings
from schemathesis.checks import not_a_server_error


@pytest.fixture
def gateway_schema(gateway):
    return schemathesis.openapi.from_url(f"{gateway.url}/openapi.json")


schema = schemathesis.pytest.from_fixture("gateway_schema")


@schema.parametrize()
@settings(max_examples=15, deadline=None, suppress_health_check=list(HealthCheck))
def test_the_gateway_keeps_to_its_document(case):
    case.call_and_validate(excluded_checks=[not_a_server_error])
