"""Parse every `.pops` file of a project and nothing else: the floor under `popsc check`.

check_speed.py runs this as a whole process, next to `popsc check`, so the report can
say how many parses a check costs (start-up, grammar load and file reading included on
both sides). Exit 0 when every file parsed cleanly, 1 when any had a diagnostic.

Usage: python bench/parse_only.py PROJECT_DIR
"""

from __future__ import annotations

import sys
from pathlib import Path

from promptlang.diagnostics.sink import Sink
from promptlang.source import SourceFile
from promptlang.syntax.parser import parse

CACHE_DIR = ".popsc-cache"


def pops_files(root: Path) -> list[Path]:
    """The project's modules in a stable order, leaving out the checker's cache."""
    return sorted(p for p in root.rglob("*.pops") if CACHE_DIR not in p.parts)


def module_name(root: Path, path: Path) -> str:
    """`gen/part_000.pops` is module `gen.part_000`, as in the language tour."""
    return ".".join(path.relative_to(root).with_suffix("").parts)


def parse_project(root: Path) -> int:
    """Parse every module with one sink; return how many diagnostics it collected."""
    sink = Sink()
    for path in pops_files(root):
        text = path.read_text(encoding="utf-8")
        parse(SourceFile(str(path), text, module_name(root, path)), sink)
    return len(sink.sorted())


def main(argv: list[str]) -> int:
    """CLI: one argument, the project folder."""
    if len(argv) != 1:
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    problems = parse_project(Path(argv[0]))
    if problems:
        print(f"{problems} diagnostics", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
