"""The `popsc lock` and `popsc diff` commands (see promptlang/versions.py and
promptlang/versions_diff.py). Registered by `cli.py`."""

from __future__ import annotations

import sys

import click

from promptlang.cli import EXIT_ERRORS
from promptlang.cli import EXIT_USAGE
from promptlang.cli import _guard
from promptlang.cli import _print_diagnostics
from promptlang.cli import cli


@cli.command("lock")
@click.argument("path", required=False)
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the .popsc-cache folder.")
@_guard
def lock_command(path: str | None, no_cache: bool) -> None:
    """Check PATH, then write pops.lock: each prompt's version and content hash.

    `popsc check` then fails when a prompt's content changes while its version does
    not, or its version goes backwards. Nothing is written when the check has errors."""
    from promptlang import versions
    from promptlang.project import UsageError

    try:
        result = versions.lock(path, use_cache=not no_cache)
    except UsageError as error:
        raise click.UsageError(str(error))
    shown = [d for d in result.check.diagnostics if d.code != "E0703"]
    if any(d.is_error for d in shown) or result.path is None:
        _print_diagnostics(shown, result.check.sources, "text")
        sys.exit(EXIT_ERRORS)
    for line in result.changes:
        click.echo(line)
    click.echo(f"{'wrote' if result.changes else 'unchanged:'} {result.path}", err=True)


@cli.command("diff")
@click.argument("rev")
@click.argument("path", required=False)
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A readable report, or JSON.")
@_guard
def diff_command(rev: str, path: str | None, fmt: str) -> None:
    """Compare the prompts at git revision REV with the working tree of PATH: prompts
    added and removed, versions, parameters, output types, models and message templates
    (as unified diffs)."""
    from promptlang import versions_diff
    from promptlang.project import UsageError

    try:
        result, changes = versions_diff.diff(rev, path)
    except UsageError as error:
        raise click.UsageError(str(error))
    except versions_diff.DiffError as error:
        click.echo(f"error: {error}", err=True)
        sys.exit(EXIT_USAGE if error.exit_code == 2 else EXIT_ERRORS)
    if changes is None:
        _print_diagnostics(result.diagnostics, result.sources, "text")
        sys.exit(EXIT_ERRORS)
    render = versions_diff.as_json if fmt == "json" else versions_diff.as_text
    click.echo(render(changes, rev), nl=False)
