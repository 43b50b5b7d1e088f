"""The OpenAPI document is valid OpenAPI 3.1, and what the gateway answers fits it: every
`test` input of the support example, replayed from its recordings (`--recordings`), gets
a 200 whose body validates against the document's response schema. A build's
`bundle.json` serves as the project does."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import jsonschema
import pytest
from shop import ADA
from shop import GREET
from openapi_spec_validator import validate

from promptlang.serve import source

ROOT = Path(__file__).resolve().parents[2]
SUPPORT = ROOT / "examples" / "support"


@pytest.fixture(scope="module")
def support(start_shared):
    return start_shared([str(SUPPORT), "--recordings", str(SUPPORT / "tests" / "recordings")], ROOT)


def schema_of(document: dict, path: str, status: str = "200") -> dict:
    """The response schema of `path`, with the document's components beside it so that
    its `#/components/schemas/...` references resolve."""
    operation = document["paths"][path]["post"]
    schema = operation["responses"][status]["content"]["application/json"]["schema"]
    return {"$schema": "https://json-schema.org/draft/2020-12/schema",
            "components": document["components"], "allOf": [schema]}


def request_schema_of(document: dict, path: str) -> dict:
    schema = document["paths"][path]["post"]["requestBody"]["content"]["application/json"]["schema"]
    return {"components": document["components"], "allOf": [schema]}


def test_the_document_is_valid_openapi(gateway, support):
    for served in (gateway, support):
        document = served.client.get("/openapi.json").json()
        validate(document)
        assert document["openapi"] == "3.1.0"


def test_every_answer_of_the_support_example_fits_the_document(support):
    document = support.client.get("/openapi.json").json()
    tests = [t for t in source.load(str(SUPPORT)).program.tests if not t.module.startswith("std.")]
    assert len(tests) >= 10
    for test in tests:
        path = f"/prompts/{test.prompt}"
        jsonschema.validate(test.given, request_schema_of(document, path))
        response = support.client.post(path, json=test.given)
        assert response.status_code == 200, (test.title, response.text)
        jsonschema.validate(response.json(), schema_of(document, path))


def test_an_error_fits_the_document(gateway):
    document = gateway.client.get("/openapi.json").json()
    response = gateway.client.post(f"/prompts/{GREET}", json={"shopper": {}})
    assert response.status_code == 422
    jsonschema.validate(response.json(), schema_of(document, f"/prompts/{GREET}", "422"))


def test_a_request_schema_knows_what_may_be_left_out(gateway):
    document = gateway.client.get("/openapi.json").json()
    schema = request_schema_of(document, f"/prompts/{GREET}")
    jsonschema.validate({"shopper": {"name": "Ada"}}, schema)  # tone and visits have defaults
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate({"shopper": {"visits": 1}}, schema)


def test_a_builds_bundle_serves_like_the_project(shop, start, tmp_path):
    built = subprocess.run([sys.executable, "-m", "promptlang", "build", ".", "--out",
                            str(tmp_path / "out"), "--target", "python"], cwd=shop,
                           capture_output=True, text=True)
    assert built.returncode == 0, built.stderr
    assert source.read_bundle(tmp_path / "out" / "bundle.json") == source.load(str(shop)).program
    served = start([str(tmp_path / "out")], shop)
    response = served.client.post(f"/prompts/{GREET}", json=ADA)
    assert response.status_code == 200
    assert response.json()["output"]["text"] == "Welcome back, Ada!"
    assert (response.json()["version"], response.json()["track"]) == ("2.0.0", "current")
