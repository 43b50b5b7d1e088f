"""Imports: cycles between modules, and imports nothing uses."""

from __future__ import annotations

from promptlang.checks.context import Ctx
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.sink import Sink
from promptlang.syntax import nodes as n


def check_unused_imports(ctx: Ctx) -> None:
    scope = ctx.scope
    for decl in scope.ast.decls:
        if isinstance(decl, n.Import):
            name = decl.alias.value if decl.alias else decl.path.text
            if name in scope.module_aliases and name not in scope.used:
                ctx.sink.report("W0211", decl.span, f"module `{decl.path.text}` is imported but never used",
                                label="unused import", help="remove this line")
        elif isinstance(decl, n.FromImport):
            for name in decl.names:
                if name.value in scope.imported and name.value not in scope.used:
                    ctx.sink.report("W0211", name.span, f"`{name.value}` is imported but never used",
                                    label="unused", help=f"remove `{name.value}` from this import")


def check_import_cycles(program, sink: Sink) -> None:
    """Report each cycle of imports once, naming every module on it."""
    edges = {name: sorted({t for t, _ in scope.imports}) for name, scope in program.scopes.items()}
    spans = {(name, t): span for name, scope in program.scopes.items() for t, span in scope.imports}
    reported: set[frozenset] = set()
    for start in sorted(edges):
        cycle = _shortest_cycle(edges, start)
        if cycle is None or frozenset(cycle) in reported or min(cycle) != start:
            continue
        reported.add(frozenset(cycle))
        hops = list(zip(cycle, cycle[1:] + cycle[:1]))
        path = " -> ".join(f"`{m}`" for m in cycle + [cycle[0]])
        secondary = tuple(Label(spans[hop], f"`{hop[0]}` imports `{hop[1]}` here") for hop in hops[1:])
        sink.report("E0202", spans[hops[0]], f"import cycle: {path}",
                    label=f"`{hops[0][0]}` imports `{hops[0][1]}` here", secondary=secondary,
                    help="move the declarations both modules need into a third module they both import")


def _shortest_cycle(edges, start):
    """Breadth-first: the shortest path from `start` back to itself, as a module list."""
    frontier = [[start]]
    seen = {start}
    while frontier:
        next_frontier = []
        for path in frontier:
            for target in edges.get(path[-1], ()):
                if target == start:
                    return path
                if target not in seen:
                    seen.add(target)
                    next_frontier.append(path + [target])
        frontier = next_frontier
    return None
