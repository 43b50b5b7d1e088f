"""`popsc`, the command line: the only module that prints or chooses exit codes.

Exit codes: 0 success, 1 the program has errors, 2 the command was used wrongly,
3 popsc itself failed (a bug, reported as one)."""

from __future__ import annotations

import functools
import os
import sys
import traceback

import click

from promptlang import KNOWN_TARGETS
from promptlang import __version__

EXIT_ERRORS = 1
EXIT_USAGE = 2
EXIT_BUG = 3
FORMATS = ("text", "concise", "json", "sarif", "github")


def _guard(command):
    """Turn any unexpected exception into one line asking for a bug report (exit 3)."""

    @functools.wraps(command)
    def wrapper(*args, **kwargs):
        try:
            return command(*args, **kwargs)
        except (click.exceptions.Exit, click.ClickException, click.Abort, SystemExit):
            raise
        except KeyboardInterrupt:
            click.echo("interrupted", err=True)
            sys.exit(130)
        except Exception as error:  # a bug in popsc, never the user's mistake
            click.echo(
                f"internal error: {type(error).__name__}: {error}\n"
                f"this is a bug in popsc {__version__}; please report it with the command you ran"
                + ("" if os.environ.get("POPSC_DEBUG") else " (set POPSC_DEBUG=1 for details)"),
                err=True,
            )
            if os.environ.get("POPSC_DEBUG"):
                traceback.print_exc()
            sys.exit(EXIT_BUG)

    return wrapper


class _Group(click.Group):
    """Usage mistakes exit 2 (click's default) and never show a traceback."""


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="popsc", message="%(prog)s %(version)s")
def cli() -> None:
    """popsc: the compiler of the .pops language (prompts, intents, tests, policies)."""


def _use_color(stream) -> bool:
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    return hasattr(stream, "isatty") and stream.isatty()


@cli.command()
@click.argument("path", required=False)
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to print diagnostics.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the .popsc-cache folder.")
@_guard
def check(path: str | None, fmt: str, no_cache: bool) -> None:
    """Parse, resolve and type-check PATH (a project folder or a .pops file)."""
    from promptlang import driver
    from promptlang.project import UsageError

    try:
        result = driver.check(path, use_cache=not no_cache)
    except UsageError as error:
        raise click.UsageError(str(error))
    _print_diagnostics(result.diagnostics, result.sources, fmt)
    sys.exit(EXIT_ERRORS if result.has_errors else 0)


@cli.command()
@click.argument("path", required=False)
@click.option("--out", "out", type=click.Path(file_okay=False), help="Out folder (default: [build] out of pops.toml).")
@click.option("--format", "fmt", type=click.Choice(FORMATS), default="text", show_default=True,
              help="How to print diagnostics.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the .popsc-cache folder.")
@click.option("--target", "targets", multiple=True, type=click.Choice(KNOWN_TARGETS),
              help="A target to build (repeatable; default: [build] targets of pops.toml).")
@_guard
def build(path: str | None, out: str | None, fmt: str, no_cache: bool,
          targets: tuple[str, ...]) -> None:
    """Check PATH, then write the artifacts of the selected targets under the out folder,
    with bundle.json and manifest.json.

    Nothing is written when the check finds errors."""
    from promptlang import driver
    from promptlang.project import UsageError

    try:
        result = driver.build(path, out=out, use_cache=not no_cache,
                              targets=list(targets) if targets else None)
    except UsageError as error:
        raise click.UsageError(str(error))
    _print_diagnostics(result.check.diagnostics, result.check.sources, fmt)
    if result.check.has_errors:
        sys.exit(EXIT_ERRORS)
    for target in result.skipped:
        click.echo(f"note: target `{target}` is not built by popsc {__version__} yet; skipped",
                   err=True)
    built = ", ".join(result.targets) or "bundle only"
    unchanged = len(result.written) - len(result.changed)
    click.echo(f"wrote {len(result.changed)} files to {result.out} ({built})"
               + (f"; {unchanged} unchanged" if unchanged else ""), err=True)


@cli.command("render")
@click.argument("prompt")
@click.option("--input", "input_path", metavar="FILE",
              help="JSON object of the prompt's inputs ('-' reads standard input).")
@click.option("--project", "path", metavar="PATH", help="Project folder or file (default: the nearest pops.toml).")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="Messages as text, or as the JSON list chat APIs take.")
@click.option("--no-cache", is_flag=True, help="Ignore and do not write the .popsc-cache folder.")
@_guard
def render_command(prompt: str, input_path: str | None, path: str | None, fmt: str,
                   no_cache: bool) -> None:
    """Print the messages PROMPT renders to for the inputs in FILE.

    PROMPT is a prompt's name (`answer_ticket`) or qualified name
    (`support.prompts.answer_ticket`). The project is checked first; its errors are
    printed and nothing is rendered."""
    from promptlang import driver
    from promptlang import preview
    from promptlang.project import UsageError

    try:
        result = driver.render(path, prompt, input_path, use_cache=not no_cache)
    except UsageError as error:
        raise click.UsageError(str(error))
    if result.check.has_errors or result.rendered is None:
        _print_diagnostics(result.check.diagnostics, result.check.sources, "text")
        sys.exit(EXIT_ERRORS)
    output = preview.as_json(result.rendered) if fmt == "json" else preview.as_text(result.rendered)
    click.echo(output, nl=False)


def _print_diagnostics(diagnostics, sources, fmt: str) -> None:
    from promptlang.diagnostics.render import RENDERERS
    from promptlang.diagnostics.render import summary_line

    color = _use_color(sys.stdout)
    text = RENDERERS[fmt](diagnostics, sources, color=color, tool_version=__version__)
    if text:
        click.echo(text.rstrip("\n"))
    if fmt in ("text", "concise"):
        click.echo(summary_line(diagnostics), err=True)


@cli.command()
@click.argument("directory", required=False, default=".")
@click.option("--name", help="Project name (defaults to the folder's name).")
@_guard
def init(directory: str, name: str | None) -> None:
    """Create a new project in DIRECTORY: pops.toml, an example module, .gitignore."""
    from promptlang.scaffold import ScaffoldError
    from promptlang.scaffold import create_project

    try:
        written = create_project(directory, name)
    except ScaffoldError as error:
        raise click.UsageError(str(error))
    for path in written:
        click.echo(f"created {path}")
    click.echo(f"next: popsc check {directory}")


@cli.command()
@click.argument("code")
@_guard
def explain(code: str) -> None:
    """Print the long explanation of a diagnostic CODE (for example E0204)."""
    from promptlang.diagnostics.explain import explain as lookup

    text = lookup(code)
    if text is None:
        raise click.UsageError(f"unknown diagnostic code `{code}`; codes look like E0204 or W0211")
    click.echo(text.rstrip("\n"))


# Commands defined in modules of their own register themselves on `cli` when imported.
from promptlang import cli_testing  # noqa: E402,F401
from promptlang import cli_versions  # noqa: E402,F401
from promptlang import cli_lsp  # noqa: E402,F401
from promptlang import cli_serve  # noqa: E402,F401
from promptlang import cli_fmt  # noqa: E402,F401
from promptlang import cli_route  # noqa: E402,F401


def main() -> None:
    cli(prog_name="popsc")
