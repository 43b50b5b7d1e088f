"""A model server on loopback for the runtime's tests: it records each request (path,
query, headers, JSON body) and answers with the replies a test scripted, in order:
recorded response bodies of the real APIs, error statuses, headers such as
Retry-After, and delays longer than a client's timeout."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from dataclasses import field
from http.server import BaseHTTPRequestHandler
from http.server import ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs
from urllib.parse import urlsplit

import attrs

DATA = Path(__file__).parent / "data"
OPENAI_KEY = "sk-test-openai-0123456789"
ANTHROPIC_KEY = "sk-ant-test-0123456789"


def data(name: str) -> dict:
    """A recorded response body from `tests/runtime/data`."""
    return json.loads((DATA / f"{name}.json").read_text(encoding="utf-8"))


@dataclass
class Reply:
    """What the server answers to one request."""

    body: object = None
    status: int = 200
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


@dataclass
class Seen:
    """A request as the server received it; header names in lower case."""

    method: str
    path: str
    query: dict[str, list[str]]
    headers: dict[str, str]
    body: object
    client_port: int = 0


class Loopback:
    """A threaded HTTP server on 127.0.0.1, on a port the system picks."""

    def __init__(self) -> None:
        self.replies: list[Reply] = []
        self.requests: list[Seen] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._server.block_on_close = False
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.01,),
                                        daemon=True)
        self._thread.start()

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def reply(self, *replies: Reply) -> None:
        """Queue replies, answered in order; a request with none queued gets a 599."""
        with self._lock:
            self.replies.extend(replies)

    def take(self, seen: Seen) -> Reply:
        with self._lock:
            self.requests.append(seen)
            if self.replies:
                return self.replies.pop(0)
        return Reply({"error": {"message": "no reply scripted"}}, status=599)

    def close(self) -> None:
        self._server.shutdown()
        self._server.server_close()


def _handler(server: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes

        def do_POST(self) -> None:  # noqa: N802 - the name http.server calls
            length = int(self.headers.get("content-length", 0))
            raw = self.rfile.read(length)
            url = urlsplit(self.path)
            seen = Seen("POST", url.path, parse_qs(url.query),
                        {k.lower(): v for k, v in self.headers.items()},
                        json.loads(raw) if raw else None, self.client_address[1])
            reply = server.take(seen)
            time.sleep(reply.delay)
            payload = reply.body if isinstance(reply.body, bytes) else json.dumps(reply.body).encode()
            try:
                self.send_response(reply.status)
                self.send_header("content-type", "application/json")
                self.send_header("content-length", str(len(payload)))
                for name, value in reply.headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting (a timeout test)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


@attrs.frozen
class Triage:
    """The output type of the structured-output tests."""

    category: str
    priority: str = attrs.field(validator=attrs.validators.in_(("low", "normal", "high")))
    summary: str = ""


TRIAGE_SCHEMA = {
    "title": "Triage",
    "type": "object",
    "properties": {
        "category": {"type": "string"},
        "priority": {"type": "string", "enum": ["low", "normal", "high"]},
        "summary": {"type": "string"},
    },
    "required": ["category", "priority", "summary"],
    "additionalProperties": False,
}


def parse_triage(text: str) -> Triage:
    """What the SDK's parse function does: JSON, then the attrs class and its validators."""
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("expected a JSON object")
    return Triage(**data)


def openai_answer(content: str, *, prompt_tokens: int = 10, completion_tokens: int = 5) -> dict:
    """The recorded chat completion with another message content and usage."""
    body = data("openai_structured_completion")
    body["choices"][0]["message"]["content"] = content
    body["usage"].update(prompt_tokens=prompt_tokens, completion_tokens=completion_tokens,
                         total_tokens=prompt_tokens + completion_tokens)
    return body
