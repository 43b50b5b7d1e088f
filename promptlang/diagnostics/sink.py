"""Collects diagnostics from every stage; the driver asks it whether to go on."""

from __future__ import annotations

from promptlang.diagnostics.codes import CODES
from promptlang.diagnostics.model import Diagnostic
from promptlang.diagnostics.model import Label
from promptlang.diagnostics.model import Severity
from promptlang.source import Span


class Sink:
    """An append-only list of diagnostics, deduplicated, sorted on the way out."""

    def __init__(self) -> None:
        self._items: list[Diagnostic] = []
        self._seen: set[tuple] = set()

    def add(self, diagnostic: Diagnostic) -> None:
        key = (diagnostic.code, diagnostic.span, diagnostic.message)
        if key not in self._seen:
            self._seen.add(key)
            self._items.append(diagnostic)

    def extend(self, diagnostics) -> None:
        for diagnostic in diagnostics:
            self.add(diagnostic)

    def report(
        self,
        code: str,
        span: Span,
        message: str,
        *,
        label: str = "",
        help: str | None = None,
        notes: tuple[str, ...] = (),
        secondary: tuple[Label, ...] = (),
        severity: Severity | None = None,
    ) -> None:
        """Add a diagnostic whose severity comes from the catalog unless given."""
        if severity is None:
            severity = CODES[code].severity
        self.add(Diagnostic(code, severity, message, span, label, secondary, notes, help))

    def has_errors(self) -> bool:
        return any(d.is_error for d in self._items)

    def sorted(self) -> list[Diagnostic]:
        return sorted(self._items, key=Diagnostic.sort_key)

    def __len__(self) -> int:
        return len(self._items)

    def __bool__(self) -> bool:
        return True  # an empty sink is still a sink: `sink or default` must not drop it
