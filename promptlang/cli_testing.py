"""The `popsc test` command (see promptlang/testing/). Registered by `cli.py`.

Exit codes: 0 every test passed (skipped ones allowed), 1 a test failed or the
project has errors, 2 the command was used wrongly."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import click

from promptlang.cli import EXIT_ERRORS
from promptlang.cli import _guard
from promptlang.cli import cli


@cli.command("test")
@click.argument("path", required=False)
@click.option("--only", "only", metavar="PATTERN",
              help="Run the tests whose title, prompt or module::title match (glob or substring).")
@click.option("--shard", "shard", metavar="I/N", help="Run shard I of N (1-based, deterministic).")
@click.option("--record", is_flag=True, help="Call the live models and store their answers.")
@click.option("--live", is_flag=True, help="Call the live models; store nothing.")
@click.option("--json", "json_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the results as JSON (format popsc-test-results/1).")
@click.option("--junit", "junit_file", type=click.Path(dir_okay=False), metavar="FILE",
              help="Write the results as JUnit XML.")
@click.option("--format", "fmt", type=click.Choice(["text", "github"]), default="text",
              show_default=True, help="How to print results.")
@click.option("--concurrency", type=click.IntRange(min=1), default=4, show_default=True,
              help="At most this many calls at a time.")
@click.option("--rate-limit", "rate_limit", type=click.FloatRange(min=0, min_open=True),
              metavar="N", help="At most N model calls per second, across workers "
              "(live and --record; replay is not limited).")
@_guard
def test_command(path: str | None, only: str | None, shard: str | None, record: bool,
                 live: bool, json_file: str | None, junit_file: str | None, fmt: str,
                 concurrency: int, rate_limit: float | None) -> None:
    """Run the `test` blocks of PATH: replayed from tests/recordings/ by default."""
    from promptlang.cli import _print_diagnostics
    from promptlang.project import UsageError
    from promptlang.testing import pacing
    from promptlang.testing import reports
    from promptlang.testing import runner
    from promptlang.testing import session

    if record and live:
        raise click.UsageError("--record and --live do not go together")
    try:
        shard_spec = runner.parse_shard(shard) if shard else None
    except ValueError as error:
        raise click.UsageError(str(error))
    progress = pacing.Progress(sys.stderr) if _show_progress(fmt) else None
    mode = runner.Mode.RECORD if record else runner.Mode.LIVE if live else runner.Mode.REPLAY
    try:
        ran = session.run(path, mode=mode, only=only, shard=shard_spec, concurrency=concurrency,
                          rate_limit=rate_limit, progress=progress)
    except UsageError as error:
        raise click.UsageError(str(error))
    finally:
        if progress is not None:
            progress.finish()
    if ran.results is None:
        _print_diagnostics(ran.check.diagnostics, ran.check.sources, "text")
        sys.exit(EXIT_ERRORS)
    results = ran.results
    click.echo(reports.github(results) if fmt == "github" else reports.text(results), nl=False)
    for file, content in ((json_file, lambda: reports.as_json(results, mode.value)),
                          (junit_file, lambda: reports.junit(results))):
        if file:
            Path(file).write_text(content(), encoding="utf-8")
    sys.exit(EXIT_ERRORS if reports.counts(results)[reports.FAILED] else 0)


def _show_progress(fmt: str) -> bool:
    """The progress line is for a person at a terminal: stderr is a TTY and the format
    is not `github`. `POPSC_PROGRESS=1` forces it, `POPSC_PROGRESS=0` turns it off."""
    forced = os.environ.get("POPSC_PROGRESS")
    if forced in ("0", "1"):
        return forced == "1"
    return fmt != "github" and sys.stderr.isatty()
