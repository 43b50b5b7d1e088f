"""Picking, sharding and running a project's tests.

A test runs the generated SDK's prompt with the test's `given` inputs. By default it
replays the answer recorded in the project (`recordings`); `record` calls the live
model and stores its answer, `live` calls it without storing. The live model is the
one the test names, or the prompt's own when the test names none or names a `replay`
model (a replay model has no live answer to record)."""

from __future__ import annotations

import enum
import fnmatch
import hashlib
import os
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import attrs

from promptlang import ir
from promptlang.runtime.convert import plain_inputs
from promptlang.runtime.errors import MissingRecording
from promptlang.runtime.errors import PromptError
from promptlang.testing import prices as price_table
from promptlang.testing import recordings
from promptlang.testing.assertions import FAILED
from promptlang.testing.assertions import PASSED
from promptlang.testing.assertions import SKIPPED
from promptlang.testing.assertions import Context
from promptlang.testing.assertions import Outcome
from promptlang.testing.assertions import judge
from promptlang.testing.capture import Capturing
from promptlang.sdk_import import Sdk

NO_LATENCY = "latency: this recording has no latency; re-record with --record"


class Mode(enum.Enum):
    REPLAY = "replay"
    RECORD = "record"
    LIVE = "live"


@attrs.frozen
class Case:
    """One thing to run: a prompt test, or one line of a `test intents` block."""

    title: str
    module: str
    prompt: str  # the prompt's qname, or `intents` for an intent case
    test: ir.PromptTestIR | None = None
    intent: ir.IntentCaseIR | None = None

    @property
    def ident(self) -> str:
        """What shards hash and `--only` may name: `module::title`."""
        return f"{self.module}::{self.title}"


@attrs.frozen
class Result:
    """How a case went. `file` and `line` point at its first failing `expect` line."""

    case: Case
    status: str
    duration: float
    outcomes: tuple[Outcome, ...] = ()
    message: str = ""
    file: str = ""
    line: int = 0


def intent_case(router, case: ir.IntentCaseIR) -> tuple[str, str]:
    """Route a `test intents` line's text and compare: the intent, and each slot the line
    names (compared as JSON values: an enum member by its name). Slots the line does not
    name are not compared, so `-> refund_request` passes whatever order id was read."""
    match = router.route(case.text)
    got = match.intent if match is not None else None
    if got != case.intent:
        closest = router.rank(case.text, 1)
        near = (f" (closest: {closest[0].intent} at {closest[0].confidence:.2f}, threshold "
                f"{router.threshold(router.by_qname[closest[0].intent]):.2f})") if closest and got is None else ""
        how = f" at {match.confidence:.2f} ({match.matcher})" if match is not None else ""
        return FAILED, f"routed to {got or 'none'}{how}{near}, expected {case.intent or 'none'}"
    if match is None:
        return PASSED, ""
    slots = plain_inputs(dict(match.slots))
    wrong = [f"{name} = {slots.get(name)!r}, expected {value!r}" for name, value in case.slots.items()
             if slots.get(name) != value]
    if wrong:
        return FAILED, f"routed to {got}, but " + "; ".join(wrong)
    return PASSED, ""


def cases(program: ir.ProgramIR) -> list[Case]:
    """Every test of the program's own modules (not the standard library's), sorted by
    module and title so that runs, shards and reports are in a stable order."""
    found = [Case(t.title, t.module, t.prompt, test=t) for t in program.tests
             if not t.module.startswith("std.")]
    for block in program.intent_tests:
        if block.module.startswith("std."):
            continue
        for item in block.cases:
            target = item.intent or "none"
            found.append(Case(f"{block.name}: {item.text!r} -> {target}", block.module,
                              "intents", intent=item))
    return sorted(found, key=lambda c: (c.module, c.title))


def select(found: Sequence[Case], only: str | None) -> list[Case]:
    """The cases `--only` names: a glob (`*`, `?`, `[...]`) or else a substring, matched
    case-insensitively against the title, the prompt and `module::title`."""
    if not only:
        return list(found)
    pattern = only.lower()
    is_glob = any(ch in pattern for ch in "*?[")

    def hit(text: str) -> bool:
        text = text.lower()
        return fnmatch.fnmatchcase(text, pattern) if is_glob else pattern in text

    return [c for c in found if hit(c.title) or hit(c.prompt) or hit(c.ident)]


def shard_of(case: Case, count: int) -> int:
    """The shard (1..count) of a case: a hash of `module::title`, so that a test stays in
    its shard when others are added and every test is in exactly one shard."""
    digest = hashlib.sha256(case.ident.encode()).digest()
    return int.from_bytes(digest[:8], "big") % count + 1


def parse_shard(text: str) -> tuple[int, int]:
    """`I/N` with 1 <= I <= N; `ValueError` otherwise."""
    index, sep, count = text.partition("/")
    if not sep or not index.isdigit() or not count.isdigit():
        raise ValueError(f"--shard takes I/N (such as 2/4), not {text!r}")
    i, n = int(index), int(count)
    if n < 1 or not 1 <= i <= n:
        raise ValueError(f"--shard {text}: I must be between 1 and N")
    return i, n


class Runner:
    """Runs cases of one project against its loaded SDK."""

    def __init__(self, sdk: Sdk, root: Path, files: dict[str, str], mode: Mode,
                 live_model=None, judge=None, prices=None):
        """`live_model` replaces every test's live model (recording against a stand-in
        server, as the tests and the examples' recording script do). `judge` gives
        `rubric` verdicts (`judging.Judge`; None: rubrics are skipped); `prices` are
        pops.toml's `[test.prices]`, over the shipped table."""
        self.sdk, self.root, self.files, self.mode = sdk, root, files, mode
        self.live_model, self.judge, self.prices = live_model, judge, prices or {}
        self.limiter = None  # a `pacing.Limiter` for live and recorded calls (--rate-limit)

    def run(self, chosen: Sequence[Case], concurrency: int = 4,
            progress=None) -> list[Result]:
        """Results in the order of `chosen`; at most `concurrency` calls at a time.
        `progress` (a `pacing.Progress`) hears the total, then each result as it ends."""
        for case in chosen:  # import in this thread: module loading is not our concurrency
            if case.test is not None:
                self.sdk.obj(case.prompt)
        if progress is None:
            one = self.run_one
        else:
            progress.start(len(chosen))

            def one(case: Case) -> Result:
                result = self.run_one(case)
                progress.result(result)
                return result
        with ThreadPoolExecutor(max_workers=max(1, concurrency)) as pool:
            return list(pool.map(one, chosen))

    def run_one(self, case: Case) -> Result:
        """Run a case; never raises for what the test or the model did."""
        file = self.files.get(case.module, "")
        if case.intent is not None:
            start = time.perf_counter()
            status, message = intent_case(self.sdk.router(), case.intent)
            return Result(case, status, time.perf_counter() - start, message=message, file=file,
                          line=case.intent.line)
        start = time.perf_counter()
        status, outcomes, message = self._call(case.test)
        line = next((o.line for o in outcomes if o.status == FAILED), 0)
        return Result(case, status, time.perf_counter() - start, tuple(outcomes), message,
                      file, line)

    def _call(self, test: ir.PromptTestIR) -> tuple[str, list[Outcome], str]:
        prompt = self.sdk.obj(test.prompt)
        try:
            arguments = prompt.arguments(test.given, "given")
        except (TypeError, ValueError) as error:
            return FAILED, [], f"the inputs do not fit the prompt: {error}"
        records: list = []
        providers = Capturing() if self.mode is not Mode.LIVE else None
        if self.limiter is not None and self.mode is not Mode.REPLAY:
            self.limiter.acquire()
        try:
            output = prompt(**arguments, model=self._model(test, prompt),
                            on_metrics=records.append, providers=providers)
        except MissingRecording:
            return FAILED, [], recordings.missing_message(self.root, test.prompt)
        except PromptError as error:
            return FAILED, [], f"{type(error).__name__}: {error}"
        finally:
            if providers is not None:
                providers.close()
        record = records[-1] if records else None
        latency_skip = ""
        if self.mode is Mode.REPLAY and providers is not None and providers.seen and record:
            answer = providers.seen[-1]  # under replay, the live call's recorded latency
            if "latency_s" in answer.raw:
                record = attrs.evolve(record, latency_s=answer.latency_s)
            else:
                latency_skip = NO_LATENCY
        elif providers is not None and providers.seen and record is not None:
            answer = providers.seen[-1]
            recordings.save(self.root, test.prompt, prompt.info.content_hash,
                            dict(record.inputs or {}), answer.text, answer.input_tokens,
                            answer.output_tokens, record.latency_s)
        priced = self._live(test, prompt)
        context = Context(self.judge.verdict if self.judge else None,
                          price_table.lookup(priced, self.prices), priced.describe(),
                          latency_skip)
        outcomes = [judge(e, output, record, context) for e in test.expects]
        statuses = {o.status for o in outcomes}
        if FAILED in statuses:
            status = FAILED
        elif statuses == {SKIPPED}:
            status = SKIPPED
        else:
            status = PASSED
        return status, outcomes, ""

    def _model(self, test: ir.PromptTestIR, prompt):
        if self.mode is Mode.REPLAY:
            return recordings.replay_model(self.root, test.prompt)
        return self._live(test, prompt)

    def _live(self, test: ir.PromptTestIR, prompt):
        """The model a live run calls (and `cost` prices, replayed or not)."""
        if self.live_model is not None:
            return self.live_model
        if test.model:
            named = self.sdk.obj(test.model)
            if named.provider != "replay":
                return named
        return prompt.model


def module_files(sources: dict, root: Path) -> dict[str, str]:
    """Each module's file, relative to the working folder when inside it (as editors
    and GitHub annotations want it)."""
    files = {}
    for source in sources.values():
        path = Path(source.path)
        if not path.is_absolute():
            path = root / path
        try:
            shown = os.path.relpath(path)
        except ValueError:
            shown = str(path)
        files[source.module] = shown if not shown.startswith("..") else str(path)
    return files
