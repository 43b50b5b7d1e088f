"""What every check needs: the program, the module being checked, and where to report."""

from __future__ import annotations

import attrs

from promptlang.diagnostics.sink import Sink
from promptlang.resolve import Program
from promptlang.resolve import Scope


@attrs.define
class Ctx:
    """The checking context of one module."""

    program: Program
    scope: Scope
    sink: Sink

    @property
    def source(self):
        return self.scope.source
