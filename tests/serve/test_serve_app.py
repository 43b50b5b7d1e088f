"""The application's error path in-process (Starlette's test client): an unexpected
exception in a handler is a 500 whose body names nothing of it, while the log line
carries the stack trace and the request id."""

from __future__ import annotations

import io
import json

from starlette.requests import Request
from starlette.routing import Route
from starlette.testclient import TestClient

from promptlang.serve import app as http
from promptlang.serve import logs
from promptlang.serve.gateway import Gateway


def test_an_unexpected_failure_is_a_500_that_shows_nothing_of_it():
    async def broken(request: Request, request_id: str):
        raise RuntimeError("sk-live-0123456789 in a stack frame")

    application = http.create(Gateway({}), {"openapi": "3.1.0"})
    application.router.routes.append(
        Route("/broken", http._handled(broken), methods=["POST"]))
    out = io.StringIO()
    with logs.configured("info", out), TestClient(application) as client:
        response = client.post("/broken", headers={"X-Request-Id": "req-9"})
    assert response.status_code == 500
    assert response.json() == {"error": {"code": "internal", "message": "the gateway failed; "
                                         "the log has the details", "request_id": "req-9"}}
    assert "sk-live" not in response.text and "Traceback" not in response.text
    lines = [json.loads(line) for line in out.getvalue().splitlines()]
    failed = [line for line in lines if "error" in line]
    assert failed and "sk-live-0123456789" in failed[0]["error"]["message"]
    assert "RuntimeError" in failed[0]["error"]["type"] and failed[0]["error"]["stack_trace"]
    assert failed[0]["http"]["request"]["id"] == "req-9"
