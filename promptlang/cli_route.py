"""`popsc route TEXT`: where the project's intent router sends a text, and how close
the other intents came, so authors can try sentences (and the unmatched ones the
gateway logs) before adding examples. Registered by `cli.py`."""

from __future__ import annotations

import json
import sys

import click

from promptlang.cli import EXIT_ERRORS
from promptlang.cli import _guard
from promptlang.cli import _print_diagnostics
from promptlang.cli import cli


@cli.command("route")
@click.argument("text")
@click.argument("path", required=False)
@click.option("--limit", type=click.IntRange(1, 50), default=3, show_default=True,
              help="How many of the closest intents to list.")
@click.option("--format", "fmt", type=click.Choice(["text", "json"]), default="text", show_default=True,
              help="A readable answer, or JSON.")
@_guard
def route_command(text: str, path: str | None, limit: int, fmt: str) -> None:
    """Route TEXT through the intents of the project at PATH, as the SDK and the gateway
    do: the intent it goes to (or none) with its slots and confidence, and the closest
    intents with their thresholds. The project is checked first; its errors are printed
    and nothing is routed."""
    from promptlang import driver
    from promptlang import sdk_import
    from promptlang.project import UsageError
    from promptlang.runtime.convert import plain_inputs

    try:
        result, program = driver.checked_program(path)
    except UsageError as error:
        raise click.UsageError(str(error))
    if program is None:
        _print_diagnostics(result.diagnostics, result.sources, "text")
        sys.exit(EXIT_ERRORS)
    with sdk_import.loaded(program) as sdk:
        router = sdk.router()
        match = router.route(text)
        ranked = [(m, router.threshold(router.by_qname[m.intent])) for m in router.rank(text, limit)]
    rows = [{"intent": m.intent, "confidence": m.confidence, "threshold": threshold,
             "matcher": m.matcher, "example": m.example, "slots": plain_inputs(dict(m.slots)),
             "missing": list(m.missing)} for m, threshold in ranked]
    if fmt == "json":
        click.echo(json.dumps({"text": text, "intent": match.intent if match else None,
                               "closest": rows}, indent=2, ensure_ascii=False))
        return
    click.echo(f"-> {_shown(match.intent, plain_inputs(dict(match.slots))) if match else 'none'}")
    for row in rows:
        mark = ">=" if row["confidence"] >= row["threshold"] else "< "
        click.echo(f"   {row['confidence']:.2f} {mark} {row['threshold']:.2f}  "
                   f"{_shown(row['intent'], row['slots'])}  ({row['matcher']}, closest example "
                   f"{row['example']!r}{', missing ' + ', '.join(row['missing']) if row['missing'] else ''})")


def _shown(intent: str, slots: dict) -> str:
    args = ", ".join(f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in slots.items())
    return f"{intent}({args})" if args else intent
