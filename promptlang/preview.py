"""`popsc render PROMPT --input FILE`: the messages a prompt renders to for given inputs.

It runs the very code `popsc build` generates, not a second interpreter of templates:
the Python SDK is emitted into memory, imported from there, and the prompt's own
`arguments` (JSON inputs to typed values, annotations checked) and `render` do the work.
What this prints is what the SDK sends."""

from __future__ import annotations

import importlib.abc
import importlib.util
import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import attrs

from promptlang import ir
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.emit import python
from promptlang.emit.files import FileSet
from promptlang.emit.python.layout import Layout
from promptlang.project import UsageError


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


def render(program: ir.ProgramIR, prompt: ir.PromptIR, inputs: object, source: str) -> Rendered:
    """Render `prompt` with the generated SDK; `UsageError` when the inputs do not fit
    its parameters (naming the field, as the SDK's own error does)."""
    files = FileSet()
    python.emit(program, files)
    package = python.package_name(program)
    layout = Layout(program, package)
    with _imported_from(files, package):
        module = importlib.import_module(layout.dotted(prompt.module))
        compiled = getattr(module, layout.name_of[prompt.qname])
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


class _MemoryFinder(importlib.abc.MetaPathFinder, importlib.abc.Loader):
    """Imports the generated package from a FileSet, so nothing is written to disk."""

    def __init__(self, files: FileSet, package: str):
        self.sources: dict[str, tuple[str, bytes, bool]] = {}
        prefix = "python/"
        for path, content in files.files.items():
            if not path.startswith(prefix + package + "/") or not path.endswith(".py"):
                continue
            parts = path[len(prefix):-len(".py")].split("/")
            is_package = parts[-1] == "__init__"
            name = ".".join(parts[:-1] if is_package else parts)
            self.sources[name] = (path, content, is_package)

    def find_spec(self, fullname, path=None, target=None):
        if fullname not in self.sources:
            return None
        origin, _, is_package = self.sources[fullname]
        return importlib.util.spec_from_loader(fullname, self, origin=f"<popsc>/{origin}",
                                               is_package=is_package)

    def create_module(self, spec):
        return None

    def exec_module(self, module) -> None:
        origin, content, _ = self.sources[module.__name__]
        exec(compile(content, f"<popsc>/{origin}", "exec"), module.__dict__)


@contextmanager
def _imported_from(files: FileSet, package: str,
                   finder: _MemoryFinder | None = None) -> Iterator[None]:
    """While inside, `import <package>...` loads the generated modules from memory
    (through `finder`, a `_MemoryFinder` of `files`, when given: one that caches code)."""
    finder = finder or _MemoryFinder(files, package)
    _forget(package)
    sys.meta_path.insert(0, finder)
    try:
        yield
    finally:
        sys.meta_path.remove(finder)
        _forget(package)


def _forget(package: str) -> None:
    """Drop `package` and its modules from `sys.modules`, so the next import is fresh."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]
