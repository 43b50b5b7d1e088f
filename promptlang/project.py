"""Find a project and its sources: `pops.toml`, the `.pops` modules, and `std`."""

from __future__ import annotations

import importlib.resources
import os
import re
import tomllib
from pathlib import Path

import attrs

from promptlang import KNOWN_TARGETS
from promptlang import MATCHERS
from promptlang.diagnostics.sink import Sink
from promptlang.diagnostics.suggest import did_you_mean
from promptlang.source import SourceFile

CONFIG_NAME = "pops.toml"
CACHE_DIR = ".popsc-cache"
_SKIP_DIRS = {CACHE_DIR, ".git", "node_modules", "__pycache__", ".venv", "venv"}
_SECTIONS = {"project": {"name", "version", "description"}, "build": {"out", "targets"},
             "test": {"judge", "prices"}, "intents": {"matcher"}}
_PRICE_KEYS = ("input", "output")


class UsageError(Exception):
    """The command was pointed at something that is not a project or `.pops` file."""


@attrs.define
class Project:
    """The sources of one check: project modules by name, plus the standard library.

    `root` is None when a single file is checked on its own."""

    root: Path | None
    config: dict
    files: dict[str, SourceFile]
    real_paths: dict[str, str]
    config_source: SourceFile | None = None

    @property
    def out_dir(self) -> str:
        return str(self.config.get("build", {}).get("out", "build"))

    @property
    def targets(self) -> list[str] | None:
        """`[build] targets`, or None when pops.toml does not say."""
        targets = self.config.get("build", {}).get("targets")
        return [str(t) for t in targets] if isinstance(targets, list) else None


def find_root(start: Path) -> Path | None:
    """The nearest folder upward from `start` holding `pops.toml`."""
    for folder in [start, *start.parents]:
        if (folder / CONFIG_NAME).is_file():
            return folder
    return None


def locate(path: str | None) -> tuple[Path | None, Path | None]:
    """(project root, single file) for the PATH argument of a command."""
    target = Path(path) if path else Path.cwd()
    if not target.exists():
        raise UsageError(f"no such file or folder: {target}")
    if target.is_file():
        if target.name == CONFIG_NAME:
            return target.parent, None
        if target.suffix != ".pops":
            raise UsageError(f"not a .pops file: {target}")
        return None, target
    root = target if (target / CONFIG_NAME).is_file() else (None if path else find_root(target))
    if root is None:
        raise UsageError(f"no {CONFIG_NAME} in {target}" + ("" if path else " or any folder above it"))
    return root, None


def load(path: str | None, sink: Sink) -> Project:
    """Read the project (or single file) that PATH names, with its config checked."""
    root, single = locate(path)
    if single is not None:
        name = module_name_of(Path(single.name))
        source = _read(single, single.name, name, sink)
        return Project(None, {}, {name: source}, {name: str(single.resolve())})
    config_source = _read(root / CONFIG_NAME, CONFIG_NAME, "", sink)
    config = parse_config(config_source, sink)
    files: dict[str, SourceFile] = {}
    real: dict[str, str] = {}
    out = Path(str(config.get("build", {}).get("out", "build")))
    for rel in sorted(_discover(root, out, real)):
        name = module_name_of(rel)
        display = rel.as_posix()
        source = _read(root / rel, display, name, sink)
        if name == "std" or name.startswith("std."):
            sink.report("E0205", source.span(0, 0), f"module name `{name}` belongs to the standard library",
                        label="this file is ignored", help="rename the `std` folder of the project")
            continue
        files[name] = source
        real[name] = os.path.realpath(root / rel)
    return Project(root, config, files, real, config_source)


def _discover(root: Path, out: Path, real: dict[str, str]):
    """`.pops` files under the root. Linked folders are followed when they stay inside
    the root (but not a link back to a folder above, which would loop); a link to
    somewhere outside is not entered, its module prefix is recorded in `real` so that
    an import of a module in it is reported as leaving the project."""
    skip_out = (root / out).resolve() if not out.is_absolute() else out
    inside = os.path.realpath(root) + os.sep
    for folder, dirs, names in os.walk(root, followlinks=True):
        here = Path(folder)
        above = os.path.realpath(here) + os.sep
        keep = []
        for d in sorted(dirs):
            target = os.path.realpath(here / d)
            if d in _SKIP_DIRS or d.startswith(".") or Path(target) == skip_out:
                continue
            if not (target + os.sep).startswith(inside):
                real[".".join((here / d).relative_to(root).parts)] = target
                continue
            if above.startswith(target + os.sep):
                continue  # a link back up the tree
            keep.append(d)
        dirs[:] = keep
        for name in names:
            if name.endswith(".pops"):
                yield (here / name).relative_to(root)


def module_name_of(rel: Path) -> str:
    return ".".join(rel.with_suffix("").parts)


def _read(path: Path, display: str, module: str, sink: Sink) -> SourceFile:
    data = path.read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        text = data.decode("utf-8", errors="replace")
        source = SourceFile(display, text, module)
        sink.report("E0106", source.span(error.start, error.start + 1),
                    "this file is not valid UTF-8", label="this byte does not decode",
                    help="save the file as UTF-8")
        return source
    if text.startswith("\ufeff"):
        text = text[1:]
    return SourceFile(display, text, module)


def stdlib_sources() -> dict[str, SourceFile]:
    """The standard library, `std.<name>` from the package's `stdlib/` folder."""
    folder = importlib.resources.files("promptlang").joinpath("stdlib")
    sources = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".pops"):
            name = "std." + entry.name[: -len(".pops")]
            sources[name] = SourceFile(f"<std>/{entry.name}", entry.read_text("utf-8"), name)
    return sources


# ---- pops.toml -------------------------------------------------------------------

_TOML_POS = re.compile(r"at line (\d+), column (\d+)")


def parse_config(source: SourceFile, sink: Sink) -> dict:
    """The parsed `pops.toml`; mistakes are diagnostics pointing into the file."""
    try:
        data = tomllib.loads(source.text)
    except tomllib.TOMLDecodeError as error:
        offset = _toml_offset(source, str(error))
        message = re.sub(r"\s*\(at line \d+, column \d+\)|\s*at end of document", "", str(error))
        message = message.strip().rstrip(".")
        help = 'strings are quoted: `name = "acme-support"`' if "invalid value" in message.lower() else None
        sink.report("E0601", source.span(offset, offset + 1), f"invalid TOML: {message[:1].lower() + message[1:]}",
                    label="here", help=help)
        return {}
    _check_config(data, source, sink)
    return data


def _toml_offset(source: SourceFile, message: str) -> int:
    match = _TOML_POS.search(message)
    if not match:
        return 0
    line, col = int(match.group(1)), int(match.group(2))
    starts = source.line_starts()
    return min(starts[min(line, len(starts)) - 1] + col - 1, len(source.text))


def _key_span(source: SourceFile, key: str, section: str | None = None):
    """Where `key` is written (inside `[section]` when given); the file start if not found."""
    text, base = source.text, 0
    if section is not None:
        header = re.search(rf"(?m)^\s*\[\s*{re.escape(section)}\s*\]", text)
        if header:
            base = header.end()
            following = re.search(r"(?m)^\s*\[", text[base:])
            text = text[base : base + following.start()] if following else text[base:]
    match = re.search(rf"(?m)^\s*\[?\s*({re.escape(key)})\b", text)
    if match:
        return source.span(base + match.start(1), base + match.end(1))
    return source.span(0, 0)


def _check_config(data: dict, source: SourceFile, sink: Sink) -> None:
    for section, value in data.items():
        if section not in _SECTIONS:
            where = f"section `[{section}]`" if isinstance(value, dict) else f"top-level key `{section}`"
            help = did_you_mean(section, _SECTIONS)
            if not isinstance(value, dict):
                owner = next((s for s, keys in _SECTIONS.items() if section in keys), None)
                help = f"put it under `[{owner}]`" if owner else help
            sink.report("E0601", _key_span(source, section), f"unknown {where}",
                        label="not part of pops.toml", help=help)
            continue
        if not isinstance(value, dict):
            sink.report("E0601", _key_span(source, section), f"`{section}` must be a table")
            continue
        for key, item in value.items():
            if key not in _SECTIONS[section]:
                sink.report("E0601", _key_span(source, key, section), f"unknown key `{key}` in `[{section}]`",
                            label="not a key of this section",
                            help=did_you_mean(key, _SECTIONS[section])
                            or "its keys are " + ", ".join(f"`{k}`" for k in sorted(_SECTIONS[section])))
            elif key == "targets":
                _check_targets(item, source, sink)
            elif key == "prices":
                _check_prices(item, source, sink)
            elif key == "matcher" and item not in MATCHERS:
                sink.report("E0601", _key_span(source, key, section), f"unknown matcher {item!r}",
                            label="not a matcher",
                            help="write `matcher = \"lexical\"` (no model) or `matcher = \"semantic\"` "
                                 "(sentence embeddings, `promptlang[similarity]`)")
            elif not isinstance(item, str):
                sink.report("E0601", _key_span(source, key, section), f"`{key}` must be a string",
                            label="not a string", help=f'write `{key} = "..."`')
    if "project" not in data:
        sink.report("E0601", source.span(0, 0), "`pops.toml` has no `[project]` section",
                    label="expected `[project]`", help='add `[project]` with `name = "..."`')
    elif isinstance(data["project"], dict) and "name" not in data["project"]:
        sink.report("E0601", _key_span(source, "project"), "`[project]` has no `name`",
                    label="the project needs a name", help='add `name = "my-prompts"` under `[project]`')
    out = data.get("build", {}).get("out", "build") if isinstance(data.get("build"), dict) else "build"
    if isinstance(out, str) and (os.path.isabs(out) or ".." in Path(out).parts):
        sink.report("E0601", _key_span(source, "out"), "`out` must be a folder inside the project",
                    help='write a relative path such as `out = "build"`')


def _check_prices(prices, source: SourceFile, sink: Sink) -> None:
    """`[test.prices."model name"]` tables: `input` and `output`, US dollars per million
    tokens, numbers not below zero."""
    if not isinstance(prices, dict):
        sink.report("E0601", _key_span(source, "prices"), "`prices` must be a table of models",
                    help='write `[test.prices."gpt-4o-mini"]` with `input = 0.15` and `output = 0.6`')
        return
    for model, price in prices.items():
        span = _price_span(source, model)
        if not isinstance(price, dict):
            sink.report("E0601", span, f"the price of `{model}` must be a table",
                        help=f'write `[test.prices."{model}"]` with `input = ...` and `output = ...`')
            continue
        for key in price:
            if key not in _PRICE_KEYS:
                sink.report("E0601", span, f"unknown key `{key}` in the price of `{model}`",
                            label="not a key of a price",
                            help=did_you_mean(key, _PRICE_KEYS) or "its keys are `input`, `output`")
        for key in _PRICE_KEYS:
            value = price.get(key)
            if value is None:
                sink.report("E0601", span, f"the price of `{model}` has no `{key}`",
                            help=f"add `{key} = ...` (US dollars per million {key} tokens)")
            elif isinstance(value, bool) or not isinstance(value, (int, float)) or value < 0:
                sink.report("E0601", span, f"`{key}` of `{model}` must be a number, at least 0",
                            label="not a price",
                            help=f"US dollars per million {key} tokens, such as `{key} = 0.15`")


def _price_span(source: SourceFile, model: str):
    """Where the price of `model` is written: its table header or its key."""
    match = re.search(rf'(?m)^[ \t]*(\[[ \t]*test\.prices\.("?){re.escape(model)}\2[ \t]*\])',
                      source.text)
    if match is None:
        match = re.search(rf'(?m)^[ \t]*(("?){re.escape(model)}\2)[ \t]*=', source.text)
    if match is None:
        return _key_span(source, "prices")
    return source.span(match.start(1), match.end(1))


def _check_targets(targets, source: SourceFile, sink: Sink) -> None:
    if not isinstance(targets, list) or not all(isinstance(x, str) for x in targets):
        sink.report("E0601", _key_span(source, "targets"), "`targets` must be a list of strings")
        return
    for target in targets:
        if target not in KNOWN_TARGETS:
            sink.report("E0601", _key_span(source, "targets"), f"unknown target `{target}`",
                        help=did_you_mean(target, KNOWN_TARGETS)
                        or "targets are " + ", ".join(KNOWN_TARGETS))
