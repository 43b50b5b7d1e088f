"""One `popsc test` run as a function: check, lower, load the SDK, pick and run the
cases. The command line prints what this returns; scripts and tests call it directly."""

from __future__ import annotations

from pathlib import Path

import attrs

from promptlang import driver
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.project import UsageError
from promptlang.testing import judging
from promptlang.testing import pacing
from promptlang.testing import runner
from promptlang import sdk_import as sdk


@attrs.frozen
class Session:
    """The check and, when it passed, the results (None when the project has errors)."""

    check: driver.CheckResult
    results: list[runner.Result] | None


def run(path: str | None, *, mode: runner.Mode = runner.Mode.REPLAY, only: str | None = None,
        shard: tuple[int, int] | None = None, concurrency: int = 4,
        live_model=None, rate_limit: float | None = None, progress=None) -> Session:
    """Run the tests of PATH (raises `project.UsageError` when PATH is no project).
    `rate_limit`: model calls per second across workers (not when replaying);
    `progress`: a `pacing.Progress` shown while the tests run."""
    result, program = driver.checked_program(path)
    if program is None:
        return Session(result, None)
    root = result.project.root or Path(path or ".").resolve().parent
    settings = result.project.config.get("test", {})
    judge_name = settings.get("judge")
    if judge_name is not None:
        _check_judge(judge_name, program)
    chosen = runner.select(runner.cases(program), only)
    if shard:
        chosen = [c for c in chosen if runner.shard_of(c, shard[1]) == shard[0]]
    with sdk.loaded(program, **sdk.cache_of(result)) as loaded:
        judge = None
        if judge_name is not None:
            live = None if mode is runner.Mode.REPLAY else (live_model or loaded.obj(judge_name))
            judge = judging.Judge(root, live, store=mode is runner.Mode.RECORD)
        run_ = runner.Runner(loaded, root, runner.module_files(result.sources, root), mode,
                             live_model, judge, settings.get("prices"))
        run_.limiter = pacing.Limiter(rate_limit) if rate_limit else None
        if judge is not None:
            judge.limiter = run_.limiter  # the judge's live calls count against the limit too
        return Session(result, run_.run(chosen, concurrency, progress))


def _check_judge(name: str, program) -> None:
    """`[test] judge` names a model of the project (`UsageError` with did-you-mean)."""
    models = [m.qname for m in program.models if not m.module.startswith("std.")]
    if name not in models:
        hint = did_you_mean(name, models) or ("the project's models are "
                                              + ", ".join(models) if models else "")
        raise UsageError(f"pops.toml: [test] judge = {name!r} is not a model of the project"
                         + (f"; {hint}" if hint else ""))
