"""Calling a prompt's model the way the generated SDK needs it: input rules checked
before anything is sent, transient failures retried with backoff, the fallback models
tried in order, the answer checked against output rules and parsed into the output
type (the model gets one chance to repair an invalid answer), and one record of it all
for the observers.

`call` and `acall` are the same steps, blocking or not; the steps they share are plain
functions here so that the two stay in line.
"""

from __future__ import annotations

import logging
import time
import typing as t
from collections.abc import Callable
from collections.abc import Mapping
from collections.abc import Sequence

import attrs

from promptlang.runtime.backoff import DEFAULT_BACKOFF
from promptlang.runtime.backoff import Backoff
from promptlang.runtime.config import ModelConfig
from promptlang.runtime.config import model_chain
from promptlang.runtime.errors import InvalidOutput
from promptlang.runtime.errors import PromptError
from promptlang.runtime.errors import ProviderError
from promptlang.runtime.messages import Completion
from promptlang.runtime.messages import Message
from promptlang.runtime.policy import Policy
from promptlang.runtime.policy import Subject
from promptlang.runtime.policy import answer_texts
from promptlang.runtime.policy import find_violations
from promptlang.runtime.policy import raise_first_error
from promptlang.runtime.providers import Provider
from promptlang.runtime.providers import Providers
from promptlang.runtime.providers import default_providers
from promptlang.runtime.providers.base import JsonSchema
from promptlang.runtime.providers.replay import input_json
from promptlang.runtime.providers.replay import recording_key
from promptlang.runtime.record import CallRecord
from promptlang.runtime.record import PromptInfo
from promptlang.runtime.record import Violation

T = t.TypeVar("T")
Observer = Callable[[CallRecord], None]

# What a parse function raises for an answer that does not fit: ValueError by contract
# (json.JSONDecodeError is one), TypeError and KeyError as attrs validators and dict
# lookups raise them.
PARSE_ERRORS = (ValueError, TypeError, KeyError)

REPAIR = ("Your answer was not valid: {error}\n"
          "Reply again with the whole answer, corrected, in the required format.")

_log = logging.getLogger("promptlang.runtime")


@t.overload
def call(config: ModelConfig, messages: Sequence[Message], *, output: Callable[[str], T],
         json_schema: JsonSchema | None = None, policies: Sequence[Policy] = (),
         on_metrics: Observer | None = None, prompt: PromptInfo | None = None,
         inputs: Mapping[str, object] | None = None, providers: Providers | None = None,
         backoff: Backoff | None = None) -> T: ...


@t.overload
def call(config: ModelConfig, messages: Sequence[Message], *, output: None = None,
         json_schema: JsonSchema | None = None, policies: Sequence[Policy] = (),
         on_metrics: Observer | None = None, prompt: PromptInfo | None = None,
         inputs: Mapping[str, object] | None = None, providers: Providers | None = None,
         backoff: Backoff | None = None) -> str: ...


def call(config: ModelConfig, messages: Sequence[Message], *,
         output: Callable[[str], object] | None = None, json_schema: JsonSchema | None = None,
         policies: Sequence[Policy] = (), on_metrics: Observer | None = None,
         prompt: PromptInfo | None = None, inputs: Mapping[str, object] | None = None,
         providers: Providers | None = None, backoff: Backoff | None = None) -> object:
    """The parsed answer of `config`'s model (or a fallback) to `messages`: `output(text)`
    when given, else the text.

    `json_schema` asks for structured output; `policies` are the applied policies with
    runtime rules (input rules read every message about to be sent, output rules the
    answer); `on_metrics` receives the call's record (see `Metrics.observe`,
    `AuditLog.write`, `observers`); `prompt` and `inputs` (plain JSON data) label that
    record and key `replay` recordings. `providers` and `backoff` default to the
    process-wide ones. Raises a `PromptError`: `PolicyViolation`, `InvalidOutput`,
    a `ConfigurationError`, or the last model's `ProviderError`.
    """
    plan = _plan(config, messages, output, json_schema, policies, prompt, inputs, providers,
                 backoff)
    tally = _Tally.start(prompt, inputs, config)
    try:
        result = _run(plan, tally)
    except PromptError as error:
        _report(on_metrics, tally.record(error))
        raise
    _report(on_metrics, tally.record(None))
    return result


@t.overload
async def acall(config: ModelConfig, messages: Sequence[Message], *,
                output: Callable[[str], T], json_schema: JsonSchema | None = None,
                policies: Sequence[Policy] = (), on_metrics: Observer | None = None,
                prompt: PromptInfo | None = None, inputs: Mapping[str, object] | None = None,
                providers: Providers | None = None, backoff: Backoff | None = None) -> T: ...


@t.overload
async def acall(config: ModelConfig, messages: Sequence[Message], *, output: None = None,
                json_schema: JsonSchema | None = None, policies: Sequence[Policy] = (),
                on_metrics: Observer | None = None, prompt: PromptInfo | None = None,
                inputs: Mapping[str, object] | None = None, providers: Providers | None = None,
                backoff: Backoff | None = None) -> str: ...


async def acall(config: ModelConfig, messages: Sequence[Message], *,
                output: Callable[[str], object] | None = None,
                json_schema: JsonSchema | None = None, policies: Sequence[Policy] = (),
                on_metrics: Observer | None = None, prompt: PromptInfo | None = None,
                inputs: Mapping[str, object] | None = None, providers: Providers | None = None,
                backoff: Backoff | None = None) -> object:
    """`call` for asyncio code: the same steps, awaiting the provider and the backoff."""
    plan = _plan(config, messages, output, json_schema, policies, prompt, inputs, providers,
                 backoff)
    tally = _Tally.start(prompt, inputs, config)
    try:
        result = await _arun(plan, tally)
    except PromptError as error:
        _report(on_metrics, tally.record(error))
        raise
    _report(on_metrics, tally.record(None))
    return result


def observers(*callbacks: Observer) -> Observer:
    """One observer calling each of `callbacks` in turn (metrics and an audit log)."""
    def observe(record: CallRecord) -> None:
        for callback in callbacks:
            callback(record)
    return observe


@attrs.frozen(kw_only=True)
class _Plan:
    """What a call does, fixed before it starts."""

    models: tuple[ModelConfig, ...]
    messages: tuple[Message, ...]
    parse: Callable[[str], object]
    json_schema: JsonSchema | None
    policies: tuple[Policy, ...]
    key: str | None
    providers: Providers
    backoff: Backoff


@attrs.define(kw_only=True)
class _Tally:
    """What a call has done so far, across retries and fallbacks, for its record."""

    prompt: PromptInfo | None
    inputs: Mapping[str, object] | None
    started_at: float = attrs.field(factory=time.time)
    clock: float = attrs.field(factory=time.perf_counter)
    attempts: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    provider: str = ""
    model: str = ""
    violations: list[Violation] = attrs.field(factory=list)

    @classmethod
    def start(cls, prompt: PromptInfo | None, inputs: Mapping[str, object] | None,
              config: ModelConfig) -> _Tally:
        """A call to `config`'s model starts (its record names that model even when
        nothing is sent)."""
        tally = cls(prompt=prompt, inputs=inputs)
        tally.use(config)
        return tally

    def use(self, model: ModelConfig) -> None:
        """The call is now with `model`."""
        self.provider, self.model = model.provider, model.name or model.provider

    def begin(self, model: ModelConfig) -> None:
        """An attempt on `model` starts."""
        self.attempts += 1
        self.use(model)

    def add(self, completion: Completion) -> None:
        """An answer came back: its tokens were spent whatever happens next."""
        self.input_tokens += completion.input_tokens
        self.output_tokens += completion.output_tokens

    def record(self, error: PromptError | None) -> CallRecord:
        """The record of the finished call."""
        return CallRecord(prompt=self.prompt, inputs=self.inputs, provider=self.provider,
                          model=self.model, started_at=self.started_at,
                          latency_s=time.perf_counter() - self.clock, attempts=self.attempts,
                          input_tokens=self.input_tokens, output_tokens=self.output_tokens,
                          violations=tuple(self.violations), error=error)


@attrs.frozen
class _Invalid:
    """An answer that did not parse, and why."""

    error: str


def _text(text: str) -> str:
    return text


def _plan(config: ModelConfig, messages: Sequence[Message],
          output: Callable[[str], object] | None, json_schema: JsonSchema | None,
          policies: Sequence[Policy], prompt: PromptInfo | None,
          inputs: Mapping[str, object] | None, providers: Providers | None,
          backoff: Backoff | None) -> _Plan:
    models = model_chain(config)
    return _Plan(models=models, messages=tuple(messages), parse=output if output is not None else _text,
                 json_schema=json_schema, policies=tuple(policies),
                 key=_replay_key(models, prompt, inputs),
                 providers=providers or default_providers(), backoff=backoff or DEFAULT_BACKOFF)


def _replay_key(models: Sequence[ModelConfig], prompt: PromptInfo | None,
                inputs: Mapping[str, object] | None) -> str | None:
    """The recording key, computed only when a `replay` model may need it (so that other
    calls do not depend on the inputs being JSON data)."""
    if prompt is None or inputs is None or all(m.provider != "replay" for m in models):
        return None
    return recording_key(prompt.content_hash, input_json(inputs))


def _run(plan: _Plan, tally: _Tally) -> object:
    _enforce(plan, tally, "input", [m.content for m in plan.messages])
    failure: ProviderError | None = None
    for model in plan.models:
        if failure is not None:
            _log.warning("%s; falling back to %s", failure, model.describe())
        try:
            return _answer(plan, model, tally)
        except ProviderError as error:
            failure = error
    assert failure is not None
    raise failure


async def _arun(plan: _Plan, tally: _Tally) -> object:
    _enforce(plan, tally, "input", [m.content for m in plan.messages])
    failure: ProviderError | None = None
    for model in plan.models:
        if failure is not None:
            _log.warning("%s; falling back to %s", failure, model.describe())
        try:
            return await _aanswer(plan, model, tally)
        except ProviderError as error:
            failure = error
    assert failure is not None
    raise failure


def _answer(plan: _Plan, model: ModelConfig, tally: _Tally) -> object:
    """One model's answer, parsed; a second request when the first answer is invalid."""
    provider = plan.providers.for_config(model)
    text = _checked(plan, tally, _attempts(plan, provider, model, plan.messages, tally))
    result = _parse(plan, text)
    if not isinstance(result, _Invalid):
        return result
    messages = _repair(plan.messages, text, result.error)
    text = _checked(plan, tally, _attempts(plan, provider, model, messages, tally))
    return _parse_or_raise(plan, text)


async def _aanswer(plan: _Plan, model: ModelConfig, tally: _Tally) -> object:
    provider = plan.providers.for_config(model)
    text = _checked(plan, tally, await _aattempts(plan, provider, model, plan.messages, tally))
    result = _parse(plan, text)
    if not isinstance(result, _Invalid):
        return result
    messages = _repair(plan.messages, text, result.error)
    text = _checked(plan, tally, await _aattempts(plan, provider, model, messages, tally))
    return _parse_or_raise(plan, text)


def _attempts(plan: _Plan, provider: Provider, model: ModelConfig,
              messages: tuple[Message, ...], tally: _Tally) -> Completion:
    """A completion from `model`, retrying retryable failures up to `model.retries`."""
    retry = 0
    while True:
        tally.begin(model)
        try:
            completion = provider.complete(model, messages, json_schema=plan.json_schema,
                                           key=plan.key)
        except ProviderError as error:
            delay = _delay(plan, model, retry, error)
            if delay is None:
                raise
            plan.backoff.sleep(delay)
            retry += 1
        else:
            tally.add(completion)
            return completion


async def _aattempts(plan: _Plan, provider: Provider, model: ModelConfig,
                     messages: tuple[Message, ...], tally: _Tally) -> Completion:
    retry = 0
    while True:
        tally.begin(model)
        try:
            completion = await provider.acomplete(model, messages, json_schema=plan.json_schema,
                                                  key=plan.key)
        except ProviderError as error:
            delay = _delay(plan, model, retry, error)
            if delay is None:
                raise
            await plan.backoff.asleep(delay)
            retry += 1
        else:
            tally.add(completion)
            return completion


def _delay(plan: _Plan, model: ModelConfig, retry: int, error: ProviderError) -> float | None:
    """How long to wait before retrying `error`, or None when retries are over."""
    delay = plan.backoff.delay(retry, error) if retry < model.retries else None
    if delay is not None:
        _log.info("%s; retry %d of %d in %.2fs", error, retry + 1, model.retries, delay)
    return delay


def _enforce(plan: _Plan, tally: _Tally, subject: Subject, texts: list[str]) -> None:
    """Record the rules the texts break; raise for the first of an `error` policy."""
    violations = find_violations(plan.policies, subject, texts)
    tally.violations.extend(violations)
    raise_first_error(violations)


def _checked(plan: _Plan, tally: _Tally, completion: Completion) -> str:
    """The answer's text, once output rules have let it through."""
    _enforce(plan, tally, "output", answer_texts(completion.text))
    return completion.text


def _parse(plan: _Plan, text: str) -> object:
    try:
        return plan.parse(text)
    except PARSE_ERRORS as error:
        return _Invalid(_describe(error))


def _parse_or_raise(plan: _Plan, text: str) -> object:
    result = _parse(plan, text)
    if isinstance(result, _Invalid):
        raise InvalidOutput(result.error, text)
    return result


def _describe(error: Exception) -> str:
    return str(error) or type(error).__name__


def _repair(messages: tuple[Message, ...], answer: str, error: str) -> tuple[Message, ...]:
    """The conversation again, with the invalid answer and what is wrong with it."""
    return (*messages, Message("assistant", answer), Message("user", REPAIR.format(error=error)))


def _report(observer: Observer | None, record: CallRecord) -> None:
    """Hand the record over; a failing observer is logged, never the caller's problem."""
    if observer is None:
        return
    try:
        observer(record)
    except Exception:
        _log.exception("an observer of prompt calls failed")
