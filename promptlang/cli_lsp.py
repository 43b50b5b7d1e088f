"""The `popsc lsp` command: the language server on stdin/stdout (promptlang/lsp/).
Registered by `cli.py`; pygls is imported only when the command runs."""

from __future__ import annotations

import click

from promptlang.cli import _guard
from promptlang.cli import cli


@cli.command("lsp")
@click.option("--stdio", is_flag=True, help="Talk over stdin/stdout (the default, and the only way).")
@_guard
def lsp_command(stdio: bool) -> None:
    """Run the language server for editors, on stdin and stdout.

    Diagnostics are those of `popsc check`; the server also answers hover, go to
    definition, find references, completion, document symbols, rename and formatting."""
    from promptlang.lsp.server import serve

    serve()
