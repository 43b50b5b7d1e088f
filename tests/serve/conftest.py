"""Fixtures of the gateway's tests: the `shop` project (and its previous build) copied
to a temporary folder with recorded answers, a stand-in model server on loopback, and
real `popsc serve` processes on loopback ports."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from shop import ADA
from shop import GREET
from shop import ORDER_HELP
from shop import ORDER_TEXT
from shop import PROMISE_TEXT
from shop import PROVIDER_KEY
from standin import StandIn

from promptlang import sdk_import
from promptlang.runtime.convert import plain_inputs
from promptlang.runtime.providers.replay import input_json
from promptlang.runtime.providers.replay import recording_key
from promptlang.runtime.providers.replay import write_recording
from promptlang.serve import source

PROJECTS = Path(__file__).parent / "projects"
# The recorded answers: (project, prompt, inputs, answer).
ANSWERS = [
    ("shop", GREET, ADA, {"text": "Welcome back, Ada!", "tone": "warm", "words": 3}),
    ("shop_stable", GREET, ADA, {"text": "Hello Ada.", "tone": "warm", "words": 2}),
    ("shop", ORDER_HELP, {"order_id": "123456", "question": ORDER_TEXT},
     "Order 123456 left our warehouse yesterday."),
    ("shop", ORDER_HELP, {"order_id": "123456", "question": PROMISE_TEXT},
     "We guarantee it arrives tomorrow."),
]


@pytest.fixture(scope="session")
def standin():
    server = StandIn()
    yield server
    server.close()


@pytest.fixture(scope="session")
def shop(tmp_path_factory, standin) -> Path:
    """A folder holding `shop/` (its models pointed at the stand-in) and `shop_stable/`;
    the recordings of `ANSWERS` are in `shop/recordings`, where the `recorded` model of
    a gateway started in `shop/` reads them."""
    root = tmp_path_factory.mktemp("serve")
    for name in ("shop", "shop_stable"):
        shutil.copytree(PROJECTS / name, root / name)
        models = root / name / "shop" / "prompts.pops"
        models.write_text(models.read_text().replace("__PROVIDER_URL__", standin.url))
    for project, qname, inputs, answer in ANSWERS:
        record(root / project, qname, inputs, answer, root / "shop" / "recordings")
    return root / "shop"


def record(project: Path, qname: str, data: dict, answer: object, folder: Path) -> None:
    """Store `answer` under the key the runtime computes for these inputs."""
    program = source.load(str(project)).program
    with sdk_import.loaded(program) as sdk:
        prompt = sdk.obj(qname)
        inputs = plain_inputs(prompt.arguments(data))
        text = answer if isinstance(answer, str) else json.dumps(answer)
        write_recording(folder, recording_key(prompt.info.content_hash, input_json(inputs)), text)


class Gateway:
    """A `popsc serve` process; its JSON log lines are in `log`."""

    def __init__(self, args: list[str], cwd: Path, log: Path, env: dict[str, str]) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "promptlang", "serve", *args, "--port", str(self.port)],
            cwd=cwd, stdout=self._out, stderr=subprocess.STDOUT, env={**os.environ, **env})
        self.client = httpx.Client(base_url=self.url, timeout=30)
        self._wait()

    def _wait(self) -> None:
        """Until `/healthz` answers (the process imports the SDK first)."""
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"popsc serve exited: {self.log.read_text()}")
            try:
                self.client.get("/healthz")
                return
            except httpx.TransportError:
                time.sleep(0.05)
        raise RuntimeError(f"popsc serve did not start: {self.log.read_text()}")

    def lines(self) -> list[dict]:
        """The log so far, each line parsed (a line that is not JSON fails the test)."""
        return [json.loads(line) for line in self.log.read_text().splitlines() if line]

    def stop(self) -> int:
        self.client.close()
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        code = self.process.wait(30)
        self._out.close()
        return code


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _starter(tmp_path_factory):
    """A factory of gateways, and the list of those it started."""
    started: list[Gateway] = []

    def run(args: list[str], cwd: Path, **env: str) -> Gateway:
        log = tmp_path_factory.mktemp("gateway-log") / "gateway.log"
        started.append(Gateway(args, cwd, log, env))
        return started[-1]

    return run, started


@pytest.fixture
def start(tmp_path_factory):
    """Gateways for one test, stopped when it ends."""
    run, started = _starter(tmp_path_factory)
    yield run
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="session")
def start_shared(tmp_path_factory):
    """Gateways that tests share, stopped at the end of the session."""
    run, started = _starter(tmp_path_factory)
    yield run
    for gateway in started:
        gateway.stop()


@pytest.fixture(scope="session")
def gateway(shop, start_shared) -> Gateway:
    """The shop's gateway in `production`: the provider key from the environment, and
    `greet` on a 25% canary over the stable build."""
    return start_shared([".", "--env", "production", "--stable", "../shop_stable"], shop,
                        TEST_SHOP_KEY=PROVIDER_KEY)
