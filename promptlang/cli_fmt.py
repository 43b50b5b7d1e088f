"""The `popsc fmt` command (see promptlang/fmt/). Registered by `cli.py`."""

from __future__ import annotations

import sys

import click

from promptlang.cli import EXIT_ERRORS
from promptlang.cli import _guard
from promptlang.cli import _print_diagnostics
from promptlang.cli import cli


@cli.command("fmt")
@click.argument("paths", nargs=-1, metavar="[PATH]...")
@click.option("--check", is_flag=True,
              help="Write nothing; list the files that would change and exit 1 if any would.")
@click.option("--diff", "show_diff", is_flag=True,
              help="Write nothing; print what would change as a unified diff.")
@_guard
def fmt_command(paths: tuple[str, ...], check: bool, show_diff: bool) -> None:
    """Rewrite .pops files in the one canonical layout, comments kept.

    PATH is a .pops file or a project folder (every .pops of the project); without
    PATH, the project around the current folder. Files with syntax errors are reported
    and nothing is written."""
    from promptlang.fmt import batch
    from promptlang.project import UsageError

    try:
        result = batch.format_paths(paths)
    except UsageError as error:
        raise click.UsageError(str(error))
    if result.sink.has_errors():
        _print_diagnostics(result.sink.sorted(), result.sources, "text")
        sys.exit(EXIT_ERRORS)
    changed = result.changed
    if show_diff:
        for outcome in changed:
            click.echo(outcome.diff(), nl=False)
    elif check:
        for outcome in changed:
            click.echo(f"would reformat {outcome.shown}")
    else:
        batch.write(changed)
        for outcome in changed:
            click.echo(f"formatted {outcome.shown}")
    _summary(len(changed), len(result.outcomes) - len(changed), dry=check or show_diff)
    if check and changed:
        sys.exit(EXIT_ERRORS)


def _summary(changed: int, unchanged: int, dry: bool) -> None:
    verb = "would be reformatted" if dry else "reformatted"
    click.echo(f"{changed} file{'s' if changed != 1 else ''} {verb}, {unchanged} unchanged", err=True)
