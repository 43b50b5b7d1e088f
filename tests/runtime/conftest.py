"""Fixtures of the runtime's tests: loopback model servers, API keys in a clean
environment, providers closed after each test and a backoff that records its sleeps
instead of sleeping."""

from __future__ import annotations

import pytest
from runtime_loopback import ANTHROPIC_KEY
from runtime_loopback import OPENAI_KEY
from runtime_loopback import Loopback

from promptlang.runtime.backoff import Backoff
from promptlang.runtime.providers import Providers

@pytest.fixture(autouse=True)
def environment(monkeypatch):
    """Only the variables a test sets: no real base URL, key or proxy leaks in."""
    for name in ("OPENAI_BASE_URL", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY",
                 "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("TEST_OPENAI_KEY", OPENAI_KEY)
    monkeypatch.setenv("TEST_ANTHROPIC_KEY", ANTHROPIC_KEY)
    monkeypatch.setenv("TEST_AZURE_KEY", "azure-test-key")


@pytest.fixture
def servers():
    """A factory of loopback servers, all shut down after the test."""
    started: list[Loopback] = []

    def start() -> Loopback:
        started.append(Loopback())
        return started[-1]

    yield start
    for server in started:
        server.close()


@pytest.fixture
def server(servers) -> Loopback:
    return servers()


@pytest.fixture
def providers():
    providers = Providers()
    yield providers
    providers.close()


@pytest.fixture
def sleeps() -> list[float]:
    """The delays the backoff was asked to wait, in order."""
    return []


@pytest.fixture
def backoff(sleeps) -> Backoff:
    async def asleep(seconds: float) -> None:
        sleeps.append(seconds)

    return Backoff(base=0.01, cap=0.04, sleep=sleeps.append, asleep=asleep)
