"""An OpenAI-compatible model server on loopback for the gateway's tests: it answers
`POST /v1/chat/completions` by echoing the last message, or with the failure a test
asked for (a status and a body, after a delay), and keeps each request's headers."""

from __future__ import annotations

import json
import threading
import time
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer

import attrs


@attrs.define
class Failure:
    """What the next requests get instead of an echo."""

    status: int = 500
    body: str = ""
    delay: float = 0.0


class StandIn:
    """A threaded HTTP server on 127.0.0.1, on a port the system picks."""

    def __init__(self) -> None:
        self.failure: Failure | None = None
        self.delay = 0.0
        self.seen: list[dict[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, args=(0.01,), daemon=True).start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v1"

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _answer(text: str) -> dict:
    return {"id": "chatcmpl-1", "object": "chat.completion", "model": "stand-in",
            "choices": [{"index": 0, "finish_reason": "stop",
                         "message": {"role": "assistant", "content": text}}],
            "usage": {"prompt_tokens": 5, "completion_tokens": 3, "total_tokens": 8}}


def _handler(server: StandIn) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            body = json.loads(self.rfile.read(int(self.headers.get("content-length", 0))))
            server.seen.append({k.lower(): v for k, v in self.headers.items()})
            failure = server.failure
            time.sleep(failure.delay if failure else server.delay)
            if failure is not None:
                status, payload = failure.status, failure.body.encode()
            else:
                status, payload = 200, json.dumps(_answer(body["messages"][-1]["content"])).encode()
            try:
                self.send_response(status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler
