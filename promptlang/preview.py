"""`popsc render PROMPT --input FILE`: the messages a prompt renders to for given inputs.

It runs the very code `popsc build` generates, not a second interpreter of templates:
the Python SDK is loaded from memory (`sdk_import.loaded`), and the prompt's own
`arguments` (JSON inputs to typed values, annotations checked) and `render` do the work.
What this prints is what the SDK sends."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import attrs

from promptlang import ir
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.project import UsageError
from promptlang.sdk_import import Sdk


@attrs.frozen
class Rendered:
    """The prompt rendered: its qualified name and its messages as (role, content)."""

    prompt: str
    messages: list[tuple[str, str]]


def find_prompt(program: ir.ProgramIR, name: str) -> ir.PromptIR:
    """The prompt `name` names: a qualified name, or a short one that only one module
    declares (`UsageError` otherwise, with the candidates)."""
    prompts = [p for p in program.prompts if not p.module.startswith("std.")]
    exact = [p for p in program.prompts if p.qname == name]
    matches = exact or [p for p in prompts if p.name == name]
    if len(matches) == 1:
        return matches[0]
    if matches:
        raise UsageError(f"`{name}` names several prompts: "
                         + ", ".join(f"`{p.qname}`" for p in matches) + "; give the full name")
    hint = did_you_mean(name, [p.name for p in prompts] + [p.qname for p in prompts])
    raise UsageError(f"no prompt `{name}` in the project" + (f"; {hint}" if hint else ""))


def read_inputs(path: str | None) -> object:
    """The JSON inputs of `--input` (`-` is standard input); none means no arguments."""
    if path is None:
        return {}
    try:
        text = sys.stdin.read() if path == "-" else Path(path).read_text("utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"cannot read {path}: {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise UsageError(f"{input_label(path)}:{error.lineno}:{error.colno}: not valid JSON: "
                         f"{error.msg}") from None


def input_label(path: str | None) -> str:
    """How messages name the inputs' source."""
    return "<stdin>" if path == "-" else (path or "no --input given")


def render(sdk: Sdk, prompt: ir.PromptIR, inputs: object, source: str) -> Rendered:
    """Render `prompt` with the loaded SDK; `UsageError` when the inputs do not fit its
    parameters (naming the field, as the SDK's own error does)."""
    compiled = sdk.obj(prompt.qname)
    try:
        arguments = compiled.arguments(inputs)
    except (TypeError, ValueError) as error:
        raise UsageError(f"{source}: {error}") from None
    messages = compiled.render(**arguments)
    return Rendered(prompt.qname, [(m.role, m.content) for m in messages])


def as_text(rendered: Rendered) -> str:
    """Each message under a `--- role ---` line, as a person reads them."""
    blocks = [f"--- {role} ---\n{content}" for role, content in rendered.messages]
    return "\n\n".join(blocks) + "\n"


def as_json(rendered: Rendered) -> str:
    """The messages as the chat APIs take them: a JSON list of {role, content}."""
    data = [{"role": role, "content": content} for role, content in rendered.messages]
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
