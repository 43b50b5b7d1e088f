"""Where each declaration lands in the generated package, and how one generated module
names a declaration of another.

Each `.pops` module becomes one Python module at the same path under the package
(`support.prompts` -> `acme_support/support/prompts.py`), so the SDK reads like the
project and a change to one `.pops` file changes few generated files. Declarations keep
their `.pops` names; a name Python cannot use, or one that would hide a builtin or the
module's own imports, gets a trailing underscore (`class_`, `list_`).
"""

from __future__ import annotations

import builtins
import keyword
import re
from collections.abc import Iterable

from promptlang import ir

# Names every generated module binds for itself (see `module.py.j2`), and the parameters
# and locals of generated methods, which would hide a declaration of the same name.
_MODULE_IMPORTS = {"annotations", "attrs", "enum", "_v", "_rt", "_t"}
_METHOD_LOCALS = {"self", "this", "cls", "data", "where", "fields", "text"}
RESERVED = frozenset(dir(builtins)) | _MODULE_IMPORTS | _METHOD_LOCALS


def identifier(name: str) -> str:
    """A valid Python identifier for a `.pops` name (keywords get a trailing underscore)."""
    cleaned = re.sub(r"\W", "_", name)
    return cleaned + "_" if keyword.iskeyword(cleaned) else cleaned


def field_name(name: str) -> str:
    """A record field's Python name: as `identifier`, and `self_` for `self` (attrs
    classes cannot have a field of that name). The template compiler spells it the same."""
    name = identifier(name)
    return name + "_" if name == "self" else name


def reader_name(record: ir.RecordIR) -> str:
    """The name of a record's JSON reader, `from_data`, unless a field has that name."""
    fields = {field_name(f.name) for f in record.fields}
    name = "from_data"
    while name in fields:
        name += "_"
    return name


def camel(name: str) -> str:
    """`answer_ticket` -> `AnswerTicket`."""
    return "".join(part[:1].upper() + part[1:] for part in name.split("_") if part) or "X"


def has_runtime_rules(policy: ir.PolicyIR) -> bool:
    """Whether the SDK needs the policy: only `deny` rules are judged at run time."""
    return any(r.kind in ("deny_match", "deny_words") for r in policy.rules)


class Layout:
    """The Python module and name of every declaration the SDK holds."""

    def __init__(self, program: ir.ProgramIR, package: str):
        self.package = package
        self.module_of: dict[str, str] = {}  # qname -> .pops module
        self.name_of: dict[str, str] = {}  # qname -> Python name in that module
        self.class_of: dict[str, str] = {}  # prompt qname -> its class's name
        self.taken: dict[str, set[str]] = {}  # .pops module -> Python names bound there
        self._parents: set[str] | None = None  # modules that others are inside
        decls: list[tuple[str, str, str]] = [
            *((d.module, d.qname, d.name) for d in (*program.enums, *program.records)),
            *((d.module, d.qname, d.name) for d in (*program.models, *program.templates)),
            *((d.module, d.qname, d.name) for d in program.policies if has_runtime_rules(d)),
            *((d.module, d.qname, d.name) for d in program.prompts),
            *((d.module, d.qname, d.name) for d in program.intents),
        ]
        for module, qname, name in decls:
            self.module_of[qname] = module
            self.name_of[qname] = self.claim(module, identifier(name))
        for prompt in program.prompts:
            self.class_of[prompt.qname] = self.claim(prompt.module, camel(prompt.name) + "Prompt")

    def claim(self, module: str, wanted: str) -> str:
        """`wanted`, or a variant of it, now bound in `module`'s Python module."""
        taken = self.taken.setdefault(module, set())
        name = wanted
        while name in taken or name in RESERVED:
            name += "_"
        taken.add(name)
        return name

    def modules(self) -> list[str]:
        """The `.pops` modules that get a Python module, sorted."""
        return sorted(set(self.module_of.values()))

    def dotted(self, module: str) -> str:
        """The Python module of a `.pops` module: `acme_support.support.prompts`."""
        return ".".join([self.package, *(identifier(p) for p in module.split("."))])

    def path(self, module: str) -> str:
        """The file of a `.pops` module under the out folder. A module that is also the
        parent of others (`support` beside `support.prompts`) is its package's
        `__init__.py`."""
        parts = [identifier(p) for p in module.split(".")]
        if self.is_package(module):
            return "/".join(["python", self.package, *parts, "__init__.py"])
        return "/".join(["python", self.package, *parts]) + ".py"

    def is_package(self, module: str) -> bool:
        if self._parents is None:
            self._parents = {m.rsplit(".", i)[0] for m in set(self.module_of.values())
                             for i in range(1, m.count(".") + 1)}
        return module in self._parents

    def packages(self) -> list[str]:
        """Folders that need an `__init__.py` of their own (no module of that name)."""
        found: set[str] = set()
        modules = set(self.module_of.values())
        for module in modules:
            parts = module.split(".")
            for i in range(1, len(parts)):
                parent = ".".join(parts[:i])
                if parent not in modules:
                    found.add(parent)
        return sorted(found)


class ModuleScope:
    """The names one generated module uses: its own declarations by their names, others
    through `from <module> import <name>` lines collected as they are asked for."""

    def __init__(self, layout: Layout, module: str):
        self.layout, self.module = layout, module
        self.imports: set[tuple[str, str, str]] = set()  # (python module, name, local alias)

    def ref(self, qname: str, avoid: Iterable[str] = ()) -> str:
        """How code in this module names the declaration `qname`; `avoid` lists names
        the caller's code binds itself (a function's parameters), which an imported
        name must not be (the checker has already refused such clashes in one module)."""
        name = self.layout.name_of[qname]
        home = self.layout.module_of[qname]
        if home == self.module:
            return name
        avoid = set(avoid)
        dotted = self.layout.dotted(home)
        known = sorted(a for m, n, a in self.imports if (m, n) == (dotted, name) and a not in avoid)
        if known:
            return known[0]
        alias = self._alias(name, avoid)
        self.imports.add((dotted, name, alias))
        return alias

    def _alias(self, wanted: str, avoid: set[str]) -> str:
        taken = self.layout.taken.setdefault(self.module, set())
        bound = taken | {a for _, _, a in self.imports} | avoid
        alias = wanted
        while alias in bound or alias in RESERVED:
            alias += "_"
        return alias

    def import_lines(self) -> list[str]:
        """The `from ... import ...` lines, sorted, one name per line."""
        lines = []
        for module, name, alias in sorted(self.imports):
            lines.append(f"from {module} import {name}" + (f" as {alias}" if alias != name else ""))
        return lines
