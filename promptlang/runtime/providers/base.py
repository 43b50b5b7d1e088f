"""What every provider offers, and the HTTP plumbing the HTTP ones share: one pooled
client per provider instance, per-request timeouts from the model, and HTTP failures
turned into the runtime's typed errors."""

from __future__ import annotations

import abc
import asyncio
import contextlib
import email.utils
import os
import threading
import time
import typing as t
from collections.abc import Iterator
from collections.abc import Mapping
from collections.abc import Sequence
from datetime import datetime
from datetime import timezone

import attrs
import httpx

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import MissingApiKey
from promptlang.runtime.errors import ProviderError
from promptlang.runtime.errors import RateLimited
from promptlang.runtime.errors import Timeout
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message

JsonSchema = Mapping[str, object]

# Statuses worth the same request again: request timeout, conflict (both retried by the
# OpenAI and Anthropic SDKs), rate limit, and every server error (Anthropic's 529
# "overloaded" among them).
_RETRYABLE = frozenset({408, 409, 429})


class Provider(t.Protocol):
    """A way to get a completion. `key` identifies the call's prompt and inputs; only
    `replay` needs it, to find the recorded answer."""

    def complete(self, config: ModelConfig, messages: Sequence[Message], *,
                 json_schema: JsonSchema | None = None, key: str | None = None) -> Completion:
        """Ask the model once (no retries) and wait for its answer."""
        ...

    async def acomplete(self, config: ModelConfig, messages: Sequence[Message], *,
                        json_schema: JsonSchema | None = None,
                        key: str | None = None) -> Completion:
        """`complete`, without blocking the event loop."""
        ...

    def close(self) -> None:
        """Release the provider's connections."""
        ...

    async def aclose(self) -> None:
        """Release the provider's connections, asynchronous ones included."""
        ...


@attrs.frozen(kw_only=True)
class HttpRequest:
    """A request as a provider builds it, before a client sends it."""

    url: str
    headers: Mapping[str, str]
    body: Mapping[str, object]
    params: Mapping[str, str] = attrs.field(factory=dict)


def api_key(config: ModelConfig, *, required: bool) -> str | None:
    """The key from the variable the model names, and only from there. A named variable
    that is unset or empty is an error; so is naming none when the provider needs one."""
    if config.api_key_env is None:
        if required:
            raise MissingApiKey(None, config.describe())
        return None
    value = os.environ.get(config.api_key_env, "")
    if not value:
        raise MissingApiKey(config.api_key_env, config.describe())
    return value


def put(body: dict[str, object], key: str, value: object) -> None:
    """Set an optional request field: left out when unset, so that servers apply their
    own defaults and those not supporting a field never see it."""
    if value is not None and value != ():
        body[key] = list(value) if isinstance(value, tuple) else value


def retry_after(headers: httpx.Headers) -> float | None:
    """Seconds the server asks to wait: `retry-after-ms` (OpenAI), else `Retry-After` as
    seconds or as an HTTP date; None when absent or unreadable."""
    with contextlib.suppress(ValueError):
        if "retry-after-ms" in headers:
            return max(0.0, float(headers["retry-after-ms"]) / 1000)
    value = headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(0.0, float(value))
    with contextlib.suppress(TypeError, ValueError):
        when = email.utils.parsedate_to_datetime(value)
        return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())
    return None


def error_for(response: httpx.Response, model: str) -> ProviderError:
    """The typed error of an HTTP error response, with the provider's own message
    (`{"error": {"message": ...}}` in both the OpenAI and the Anthropic format)."""
    status = response.status_code
    message = f"{model}: HTTP {status}: {_error_message(response)}"
    if status == 429:
        return RateLimited(message, retry_after=retry_after(response.headers))
    return ProviderError(message, status=status,
                         retryable=status in _RETRYABLE or status >= 500,
                         retry_after=retry_after(response.headers))


def _error_message(response: httpx.Response) -> str:
    try:
        error = response.json().get("error")
        return str(error["message"]) if isinstance(error, dict) else str(error)
    except (ValueError, AttributeError, KeyError):
        return response.text[:500] or response.reason_phrase


@contextlib.contextmanager
def transport_errors(config: ModelConfig) -> Iterator[None]:
    """Turn httpx's failures to connect, send or receive into retryable typed errors."""
    try:
        yield
    except httpx.TimeoutException as error:
        raise Timeout(f"{config.describe()}: no answer within {config.timeout:g}s "
                      f"({type(error).__name__})") from error
    except httpx.TransportError as error:
        raise ProviderError(f"{config.describe()}: {type(error).__name__}: {error}",
                            retryable=True) from error


def shape_error(config: ModelConfig, what: str) -> ProviderError:
    """An answer the runtime cannot read: the same request would not read better."""
    return ProviderError(f"{config.describe()}: unexpected response: {what}", status=200)


class HttpProvider(abc.ABC):
    """A provider speaking JSON over HTTP. Subclasses say how to build the request and
    how to read the answer; this class sends it, sync or async, over clients created on
    first use and reused so that connections are pooled. The async client belongs to the
    event loop it was created on, so another loop (a second `asyncio.run`) gets its own."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._client: httpx.Client | None = None
        self._async: tuple[asyncio.AbstractEventLoop, httpx.AsyncClient] | None = None

    @abc.abstractmethod
    def request(self, config: ModelConfig, messages: Sequence[Message],
                json_schema: JsonSchema | None) -> HttpRequest:
        """The request asking `config`'s model for an answer to `messages`."""

    @abc.abstractmethod
    def completion(self, config: ModelConfig, data: Mapping[str, object],
                   json_schema: JsonSchema | None) -> Completion:
        """The completion in a decoded successful response (latency is set later)."""

    def complete(self, config: ModelConfig, messages: Sequence[Message], *,
                 json_schema: JsonSchema | None = None, key: str | None = None) -> Completion:
        """Send one request and read its answer."""
        request = self.request(config, messages, json_schema)
        started = time.perf_counter()
        with transport_errors(config):
            response = self._sync_client().post(
                request.url, params=request.params, headers=dict(request.headers),
                json=request.body, timeout=config.timeout)
        return self._read(config, json_schema, response, time.perf_counter() - started)

    async def acomplete(self, config: ModelConfig, messages: Sequence[Message], *,
                        json_schema: JsonSchema | None = None,
                        key: str | None = None) -> Completion:
        """Send one request and read its answer, asynchronously."""
        request = self.request(config, messages, json_schema)
        started = time.perf_counter()
        with transport_errors(config):
            response = await self._async_client().post(
                request.url, params=request.params, headers=dict(request.headers),
                json=request.body, timeout=config.timeout)
        return self._read(config, json_schema, response, time.perf_counter() - started)

    def close(self) -> None:
        """Close the sync client; forget the async one (closing it needs its loop)."""
        with self._lock:
            client, self._client, self._async = self._client, None, None
        if client is not None:
            client.close()

    async def aclose(self) -> None:
        """Close both clients, the async one if it belongs to the running loop."""
        with self._lock:
            pair, self._async = self._async, None
        if pair is not None and pair[0] is asyncio.get_running_loop():
            await pair[1].aclose()
        self.close()

    def _read(self, config: ModelConfig, json_schema: JsonSchema | None,
              response: httpx.Response, latency: float) -> Completion:
        if response.status_code >= 400:
            raise error_for(response, config.describe())
        try:
            data = response.json()
        except ValueError as error:
            raise shape_error(config, f"not JSON: {response.text[:200]!r}") from error
        if not isinstance(data, dict):
            raise shape_error(config, "not a JSON object")
        return attrs.evolve(self.completion(config, data, json_schema), latency_s=latency)

    def _sync_client(self) -> httpx.Client:
        with self._lock:
            if self._client is None:
                self._client = httpx.Client()
            return self._client

    def _async_client(self) -> httpx.AsyncClient:
        loop = asyncio.get_running_loop()
        with self._lock:
            if self._async is None or self._async[0] is not loop:
                self._async = (loop, httpx.AsyncClient())
            return self._async[1]


def count(data: object, name: str) -> int:
    """A token count from a usage object; 0 when the server leaves it out."""
    value = data.get(name) if isinstance(data, dict) else None
    return value if isinstance(value, int) else 0
