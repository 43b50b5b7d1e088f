"""The gateway's calls, without HTTP: JSON inputs in, the prompt's typed output out as
JSON, with the canary's choice of version, metrics per prompt and version, and one
audit line per call (its `@pii` inputs redacted) on the `promptlang.gateway` logger."""

from __future__ import annotations

import contextvars
import hashlib
import logging
import random
from collections import OrderedDict
from collections.abc import Mapping
from pathlib import Path

import attrs
from prometheus_client import Counter

from promptlang.runtime.audit import audit_entry
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.errors import PromptError
from promptlang.runtime.metrics import Metrics
from promptlang.runtime.record import CallRecord
from promptlang.runtime.text import to_plain
from promptlang.serve import errors
from promptlang.serve.providers import gateway_providers
from promptlang.serve.settings import Rollout

log = logging.getLogger("promptlang.gateway")
# What the request's log line carries under `popsc` (set while the request runs).
LOGGED: contextvars.ContextVar[dict | None] = contextvars.ContextVar("popsc_logged", default=None)
CURRENT, CANARY, STABLE = "current", "canary", "stable"
RATINGS = ("good", "bad")
REMEMBERED = 10_000  # request ids kept to label feedback with the prompt that served it


@attrs.frozen
class Endpoint:
    """One prompt: the SDK object of this build, and the previous build's when the
    prompt is in the canary (`weight` of the calls go to this build's)."""

    qname: str
    current: object
    stable: object | None = None
    weight: float = 1.0


@attrs.frozen
class Served:
    """A call's answer: the output as JSON data and which version gave it."""

    output: object
    prompt: str
    version: str
    track: str


class Gateway:
    """Calls the prompts of one SDK (and a previous build's, for the canary)."""

    def __init__(self, endpoints: Mapping[str, Endpoint], *, router: object | None = None,
                 metrics: Metrics | None = None, recordings: Path | None = None,
                 rng: random.Random | None = None) -> None:
        self.endpoints = dict(endpoints)
        self.router = router
        self.metrics = metrics or Metrics()
        self.replay = {qname: _replay_model(recordings, qname) for qname in self.endpoints} \
            if recordings is not None else {}
        self.providers = gateway_providers()
        self.rng = rng or random.Random()
        self.feedback_total = Counter(
            "popsc_feedback_total", "Feedback on answers, by rating",
            ("prompt", "version", "rating"), registry=self.metrics.registry)
        self._served: OrderedDict[str, tuple[str, str]] = OrderedDict()
        if router is not None:
            router.observer = self.metrics.observe_route  # type: ignore[attr-defined]

    async def call(self, qname: str, data: object, *, request_id: str,
                   key: str | None = None) -> Served:
        """The prompt's answer to `data` (its inputs as JSON); raises `errors.Failure`.
        `key` (a user or session id) keeps a caller on one side of the canary."""
        endpoint = self.endpoints[qname]
        track, prompt = self._choose(endpoint, key)
        try:
            arguments = prompt.arguments(data, "input")  # type: ignore[attr-defined]
        except (TypeError, ValueError) as error:
            raise errors.bad_input(error) from None
        info = prompt.info  # type: ignore[attr-defined]

        def observe(record: CallRecord) -> None:
            self.metrics.observe(record)
            _audit(record, request_id, track)

        try:
            output = await prompt.acall(  # type: ignore[attr-defined]
                **arguments, model=self.replay.get(qname), on_metrics=observe,
                providers=self.providers)
        except PromptError as error:
            raise errors.from_prompt_error(error) from None
        self._remember(request_id, info.name, info.version)
        return Served(to_plain(output), info.name, info.version, track)

    async def route(self, text: str, *, request_id: str, key: str | None = None) -> dict:
        """Where `text` goes: the intent, its slots, and when the route has every
        argument, the routed prompt's answer (through `call`, so the canary, metrics
        and the audit log see it as any call). No intent: `intent` is null."""
        match = self.router.route(text) if self.router is not None else None  # type: ignore[attr-defined]
        if match is None:
            LOGGED.set({"event": "route", "intent": None, "request_id": request_id})
            return {"intent": None, "request_id": request_id}
        found: dict[str, object] = {
            "intent": match.intent, "name": match.name, "confidence": round(match.confidence, 4),
            "matcher": match.matcher, "slots": to_plain(dict(match.slots)),
            "missing": list(match.missing), "prompt": None, "version": None, "track": None,
            "output": None, "request_id": request_id}
        if match.ready and match.prompt.info.name in self.endpoints:
            served = await self.call(match.prompt.info.name, to_plain(dict(match.arguments)),
                                     request_id=request_id, key=key)
            found.update(prompt=served.prompt, version=served.version, track=served.track,
                         output=served.output)
        logged = LOGGED.get() or {"event": "route", "request_id": request_id}
        LOGGED.set({**logged, "intent": match.intent, "confidence": found["confidence"]})
        return found

    def _choose(self, endpoint: Endpoint, key: str | None) -> tuple[str, object]:
        if endpoint.stable is None:
            return CURRENT, endpoint.current
        draw = _hashed(key) if key else self.rng.random()
        return (CANARY, endpoint.current) if draw < endpoint.weight else (STABLE, endpoint.stable)

    def _remember(self, request_id: str, prompt: str, version: str) -> None:
        self._served[request_id] = (prompt, version)
        if len(self._served) > REMEMBERED:
            self._served.popitem(last=False)

    def feedback(self, request_id: str, rating: str, comment: str | None) -> tuple[str, str]:
        """Count a rating of the answer to `request_id`; the prompt and version are
        those that served it when this process did (else empty labels)."""
        prompt, version = self._served.get(request_id, ("", ""))
        self.feedback_total.labels(prompt, version, rating).inc()
        LOGGED.set({"event": "feedback", "request_id": request_id, "prompt": prompt,
                    "version": version, "rating": rating, "comment": comment})
        return prompt, version


def _replay_model(recordings: Path, qname: str) -> ModelConfig:
    """Under `--recordings`, the model of every call: `<recordings>/<prompt>/`."""
    return ModelConfig(provider="replay", name="replay", recordings=str(recordings / qname))


def _hashed(key: str) -> float:
    """A stable draw in [0, 1) for a key: the same caller sees the same version."""
    return int.from_bytes(hashlib.sha256(key.encode()).digest()[:8], "big") / 2**64


def _audit(record: CallRecord, request_id: str, track: str) -> None:
    """Hand the runtime's audit entry (inputs redacted) to the request's log line: one
    line per request says what came in, which prompt version answered, and how."""
    entry = audit_entry(record)
    entry.update(request_id=request_id, track=track, event="prompt_call")
    LOGGED.set(entry)


def endpoints(current: object, program, stable: object | None, stable_program,
              rollout: Rollout | None) -> dict[str, Endpoint]:
    """An endpoint per prompt of the program's own modules; prompts in the rollout
    that the previous build has, with another text, get its version as `stable`."""
    found = {}
    stable_hashes = {p.qname: p.content_hash for p in stable_program.prompts} if stable_program else {}
    for prompt in program.prompts:
        if prompt.module.startswith("std."):
            continue
        obj = current.obj(prompt.qname)  # type: ignore[attr-defined]
        if (rollout is not None and stable is not None and prompt.qname in rollout.prompts
                and stable_hashes.get(prompt.qname, prompt.content_hash) != prompt.content_hash):
            previous = stable.obj(prompt.qname)  # type: ignore[attr-defined]
            found[prompt.qname] = Endpoint(prompt.qname, obj, previous, rollout.weight)
        else:
            found[prompt.qname] = Endpoint(prompt.qname, obj)
    return found
