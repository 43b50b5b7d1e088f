"""The gateway's HTTP face, a Starlette application: `POST /prompts/<qualified name>`
per prompt, `POST /route`, `POST /feedback`, `GET /metrics`, `/healthz`, `/readyz` and
`/openapi.json`. Every answer is JSON (errors too, 404 and 405 included), carries
`X-Request-Id` (the caller's when it sends a sane one), and is logged as one line."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import time
from collections.abc import Awaitable
from collections.abc import Callable

import attrs
from prometheus_client import Counter
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.responses import Response
from starlette.routing import Route

from promptlang.serve.errors import Failure
from promptlang.serve.gateway import LOGGED
from promptlang.serve.gateway import RATINGS
from promptlang.serve.gateway import Gateway

log = logging.getLogger("promptlang.gateway")
METRICS_TYPE = "text/plain; version=0.0.4; charset=utf-8"  # Prometheus text format 0.0.4
MAX_BODY = 1 << 20  # a prompt's inputs are text, not uploads
MAX_COMMENT = 2000
MAX_TEXT = 10_000  # a chat message, not a document (the router reads its first 2,000)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")
Handler = Callable[[Request, str], Awaitable[Response]]


@attrs.define
class State:
    """What `/readyz` reads: the secrets of `--env` that were not found."""

    missing_secrets: list[str] = attrs.field(factory=list)


def create(gateway: Gateway, openapi: dict, state: State | None = None) -> Starlette:
    """The application serving `gateway`, documented by `openapi`."""
    state = state or State()
    document = JSONResponse(openapi).body  # rendered once
    requests = Counter("popsc_http_requests_total", "Requests answered, by endpoint and status",
                       ("endpoint", "status"), registry=gateway.metrics.registry)
    routes = [Route(f"/prompts/{qname}", _handled(_prompt(gateway, qname), requests),
                    methods=["POST"]) for qname in gateway.endpoints]
    routes += [
        Route("/route", _handled(_route(gateway), requests), methods=["POST"]),
        Route("/feedback", _handled(_feedback(gateway), requests), methods=["POST"]),
        Route("/metrics", _fixed(lambda: Response(gateway.metrics.exposition(),
                                                  media_type=METRICS_TYPE))),
        Route("/healthz", _fixed(lambda: JSONResponse({"status": "ok"}))),
        Route("/readyz", _fixed(lambda: _readiness(state))),
        Route("/openapi.json", _fixed(lambda: Response(document, media_type="application/json"))),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette):
        yield
        await gateway.providers.aclose()  # uvicorn has let the calls in flight finish

    return Starlette(routes=routes, lifespan=lifespan,
                     exception_handlers={HTTPException: _http_error})  # type: ignore[dict-item]


def _fixed(answer: Callable[[], Response]) -> Callable[[Request], Awaitable[Response]]:
    """An endpoint that reads nothing of the request (async: Starlette would run a plain
    function in a thread)."""
    async def endpoint(request: Request) -> Response:
        return answer()
    return endpoint


def _readiness(state: State) -> JSONResponse:
    if state.missing_secrets:
        return JSONResponse({"status": "not ready", "missing_secrets": state.missing_secrets},
                            status_code=503)
    return JSONResponse({"status": "ok"})


def _prompt(gateway: Gateway, qname: str) -> Handler:
    async def endpoint(request: Request, request_id: str) -> Response:
        data = await _json_body(request)
        served = await gateway.call(qname, data, request_id=request_id,
                                    key=request.headers.get("x-rollout-key"))
        return JSONResponse(
            {"output": served.output, "prompt": served.prompt, "version": served.version,
             "track": served.track, "request_id": request_id},
            headers={"X-Prompt-Version": served.version, "X-Prompt-Track": served.track})
    return endpoint


def _route(gateway: Gateway) -> Handler:
    async def endpoint(request: Request, request_id: str) -> Response:
        data = await _json_body(request)
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip() or len(text) > MAX_TEXT:
            raise Failure(422, "invalid_input", f"`text` must be a string of 1 to {MAX_TEXT} "
                          "characters, not only spaces", "text")
        found = await gateway.route(text, request_id=request_id,
                                    key=request.headers.get("x-rollout-key"))
        headers = {"X-Prompt-Version": str(found["version"])} if found.get("version") else {}
        return JSONResponse(found, headers=headers)
    return endpoint


def _feedback(gateway: Gateway) -> Handler:
    async def endpoint(request: Request, request_id: str) -> Response:
        data = await _json_body(request)
        if not isinstance(data, dict):
            raise Failure(422, "invalid_input", "the body must be a JSON object")
        about, rating, comment = data.get("request_id"), data.get("rating"), data.get("comment")
        if not isinstance(about, str) or not _REQUEST_ID.match(about):
            raise Failure(422, "invalid_input", "`request_id` must be the id of an answer",
                          "request_id")
        if rating not in RATINGS:
            raise Failure(422, "invalid_input", "`rating` must be \"good\" or \"bad\"", "rating")
        if comment is not None and (not isinstance(comment, str) or len(comment) > MAX_COMMENT):
            raise Failure(422, "invalid_input",
                          f"`comment` must be text of at most {MAX_COMMENT} characters", "comment")
        prompt, version = gateway.feedback(about, rating, comment)
        return JSONResponse({"accepted": True, "prompt": prompt, "version": version},
                            status_code=202)
    return endpoint


async def _json_body(request: Request) -> object:
    length = request.headers.get("content-length")
    if length is not None and length.isdigit() and int(length) > MAX_BODY:
        raise Failure(413, "too_large", f"the body is over {MAX_BODY} bytes")
    body = await request.body()
    if len(body) > MAX_BODY:
        raise Failure(413, "too_large", f"the body is over {MAX_BODY} bytes")
    try:
        return json.loads(body)
    except ValueError as error:
        raise Failure(400, "invalid_json", f"the body is not JSON: {error}") from None


def _handled(handler: Handler, requests: Counter | None = None
             ) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint with its request id, its failures as JSON errors (an unexpected one
    as a 500 whose details stay in the log), its log line and its count in `requests`
    (4xx included: bad requests are no prompt call, so the call metrics miss them)."""
    async def endpoint(request: Request) -> Response:
        start = time.perf_counter_ns()
        request_id = _request_id(request)
        LOGGED.set(None)  # each request runs in a context of its own
        try:
            response = await handler(request, request_id)
        except Failure as failure:
            response = JSONResponse(failure.body(request_id), status_code=failure.status,
                                    headers=failure.headers)
        except Exception:
            log.exception("request failed", extra={"http.request.id": request_id})
            response = JSONResponse(Failure(500, "internal", "the gateway failed; the log has "
                                            "the details").body(request_id), status_code=500)
        response.headers["X-Request-Id"] = request_id
        if requests is not None:
            requests.labels(request.url.path, str(response.status_code)).inc()
        _log_request(request, response.status_code, request_id, time.perf_counter_ns() - start)
        return response
    return endpoint


def _request_id(request: Request) -> str:
    """The caller's `X-Request-Id` when it is short and plain, else a new one."""
    given = request.headers.get("x-request-id")
    return given if given and _REQUEST_ID.match(given) else os.urandom(16).hex()


def _log_request(request: Request, status: int, request_id: str, duration_ns: int) -> None:
    """One line per request; a prompt call's audit entry (or feedback) under `popsc`."""
    extra: dict[str, object] = {
        "http.request.method": request.method, "http.request.id": request_id,
        "url.path": request.url.path, "http.response.status_code": status,
        "event.duration": duration_ns}
    logged = LOGGED.get()
    if logged is not None:
        extra["popsc"] = logged
    log.log(logging.WARNING if status >= 500 else logging.INFO, "%s %s %d", request.method,
            request.url.path, status, extra=extra)


async def _http_error(request: Request, error: HTTPException) -> Response:
    codes = {404: "not_found", 405: "method_not_allowed"}
    message = {404: f"no endpoint {request.url.path}",
               405: f"{request.url.path} does not take {request.method}"}.get(
        error.status_code, str(error.detail))
    request_id = _request_id(request)
    body = {"error": {"code": codes.get(error.status_code, "http_error"), "message": message,
                      "request_id": request_id}}
    return JSONResponse(body, status_code=error.status_code,
                        headers={**(error.headers or {}), "X-Request-Id": request_id})
