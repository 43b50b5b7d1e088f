"""The always-emitted artifact: `bundle.json`, the IR of the program, and its schema.

`bundle.json` is compact JSON (sorted keys, no spaces): it is read by programs (the
gateway, later builds, `jq`), and for a large project indenting it costs more than
lowering the program. `bundle.schema.json` is indented for people."""

from __future__ import annotations

from promptlang import __version__
from promptlang import ir
from promptlang.emit.cache import EmitCache
from promptlang.emit.files import FileSet
from promptlang.emit.schema import bundle_schema


def emit(program: ir.ProgramIR, files: FileSet, cache: EmitCache | None = None) -> None:
    files.add_json("bundle.json", {
        "$schema": "bundle.schema.json",
        "generator": f"popsc {__version__}",
        "program": ir.to_data(program),
    }, compact=True)
    files.add_json("bundle.schema.json", bundle_schema())
