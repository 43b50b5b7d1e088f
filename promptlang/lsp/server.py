"""The pygls wiring: each LSP message handed to the package's functions, positions
converted at the edge. Diagnostics are the compiler's own, published per file.

On a change the edited module and its dependents are re-checked at once and their
diagnostics published; a full check (what `popsc check` adds across the program)
follows once typing pauses (`FULL_CHECK_DELAY`), or at once when a request needs the
whole program (references, rename)."""

from __future__ import annotations

import asyncio
import gc
import importlib.util
import logging
from pathlib import Path

from lsprotocol import types as lsp
from pygls.lsp.server import LanguageServer
from pygls.uris import from_fs_path
from pygls.uris import to_fs_path

import promptlang
from promptlang import project as proj
from promptlang.diagnostics.model import Severity
from promptlang.lsp import positions
from promptlang.lsp.state import ByFile
from promptlang.lsp.state import ProjectState

FULL_CHECK_DELAY = 0.3  # seconds of quiet after a change before the whole-program check
log = logging.getLogger(__name__)


class PopsServer(LanguageServer):
    """The server and the projects it has seen, by project folder (or lone file)."""

    def __init__(self) -> None:
        super().__init__("popsc", promptlang.__version__)
        self.states: dict[Path, ProjectState] = {}
        self.timers: dict[Path, asyncio.TimerHandle] = {}
        self.published: dict[str, list] = {}

    @property
    def encoding(self) -> str:
        """The negotiated position encoding (`utf-16` unless the client offered another)."""
        chosen = self.workspace.position_encoding or positions.UTF16
        return str(getattr(chosen, "value", chosen))

    # ---- projects ------------------------------------------------------------------
    def state_for(self, uri: str) -> tuple[ProjectState, str] | None:
        """The project a document belongs to and its display path (None: not a file)."""
        fs_path = to_fs_path(uri)
        if not fs_path or not fs_path.endswith(".pops"):
            return None
        path = Path(fs_path)
        root = proj.find_root(path.parent)
        target = root if root is not None else path
        if target not in self.states:
            if root is None and not path.is_file():
                return None  # an unsaved buffer outside any project: nothing to check it as
            try:
                self.states[target] = ProjectState(target)
            except (proj.UsageError, OSError) as error:
                self.window_log_message(lsp.LogMessageParams(
                    type=lsp.MessageType.Warning, message=f"popsc: {error}"))
                return None
        state = self.states[target]
        display = state.display_of(path)
        return (state, display) if display is not None else None

    def uri_of(self, state: ProjectState, display: str) -> str | None:
        path = state.path_of(display)
        return from_fs_path(str(path)) if path is not None else None

    # ---- diagnostics ------------------------------------------------------------------
    def publish(self, state: ProjectState, by_file: ByFile, always: str | None = None) -> None:
        """Publish what changed since the last time (and always for the file `always`,
        the one just edited, so its version is acknowledged)."""
        files = state.files()
        for display, found in by_file.items():
            if display.startswith("<std>"):
                continue  # the standard library is checked, not edited
            uri = self.uri_of(state, display)
            source = files.get(display)
            if uri is None or source is None:
                continue
            converted = [self.diagnostic(state, files, source, d) for d in found]
            if self.published.get(uri) == converted and display != always:
                continue
            self.published[uri] = converted
            doc = self.workspace.text_documents.get(uri)
            self.text_document_publish_diagnostics(lsp.PublishDiagnosticsParams(
                uri=uri, diagnostics=converted, version=doc.version if doc is not None else None))

    def diagnostic(self, state, files, source, d) -> lsp.Diagnostic:
        related = []
        for label in d.secondary:
            other, uri = files.get(label.span.file), self.uri_of(state, label.span.file)
            if other is not None and uri is not None:
                related.append(lsp.DiagnosticRelatedInformation(
                    location=lsp.Location(uri=uri, range=positions.to_range(other, label.span, self.encoding)),
                    message=label.message))
        message = d.message + "".join(f"\n{note}" for note in d.notes)
        if d.help:
            message += f"\nhelp: {d.help}"
        severity = lsp.DiagnosticSeverity.Error if d.severity is Severity.ERROR \
            else lsp.DiagnosticSeverity.Warning
        return lsp.Diagnostic(range=positions.to_range(source, d.span, self.encoding), message=message,
                              severity=severity, code=d.code, source="popsc",
                              related_information=related or None)

    def changed(self, state: ProjectState, display: str, text: str | None) -> None:
        """Re-check a changed module and its dependents now; the rest after a pause."""
        found = state.check_changed(state.set_text(display, text))
        if found is None:
            self.full_check(state, display)
            return
        self.publish(state, found, display)
        self.schedule(state)

    def schedule(self, state: ProjectState) -> None:
        timer = self.timers.pop(state.target, None)
        if timer is not None:
            timer.cancel()
        loop = asyncio.get_running_loop()
        self.timers[state.target] = loop.call_later(FULL_CHECK_DELAY, self.full_check, state, None, True)

    def full_check(self, state: ProjectState, display: str | None = None, idle: bool = False) -> None:
        timer = self.timers.pop(state.target, None)
        if timer is not None:
            timer.cancel()
        self.publish(state, state.check_all(), display)
        _settle_memory(collect=idle)

    def fresh(self, uri: str, whole: bool = False):
        """(state, module, program) for a request on `uri`, the program up to date for
        that module (the last change's often is), or for every module with `whole`
        (references and rename look everywhere)."""
        found = self.state_for(uri)
        if found is None:
            return None
        state, display = found
        module = state.module_of(display)
        program = state.program_for(module, whole)
        if program is None:
            self.full_check(state)
            program = state.program
        if module not in program.scopes:
            return None
        return state, module, program

    def offset(self, program, module: str, pos: lsp.Position) -> int:
        return positions.offset(program.scopes[module].source, pos, self.encoding)

    def location(self, state, span) -> lsp.Location | None:
        source = state.files().get(span.file)
        uri = self.uri_of(state, span.file)
        if source is None or uri is None:
            return None
        return lsp.Location(uri=uri, range=positions.to_range(source, span, self.encoding))


def _settle_memory(collect: bool) -> None:
    """Freeze what a full check leaves (the program and the cache live until the next
    one): out of the cyclic collector's sight, its collections during an edit stay
    short; a full collection over them was the slowest part of some edits. While the
    user pauses (`collect`), the garbage among them is collected first."""
    if collect:
        gc.unfreeze()
        gc.collect()
    gc.freeze()


server = PopsServer()


@server.feature(lsp.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: PopsServer, params: lsp.DidOpenTextDocumentParams) -> None:
    found = ls.state_for(params.text_document.uri)
    if found is not None:
        state, display = found
        ls.changed(state, display, params.text_document.text)


@server.feature(lsp.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: PopsServer, params: lsp.DidChangeTextDocumentParams) -> None:
    found = ls.state_for(params.text_document.uri)
    if found is not None:
        state, display = found
        text = ls.workspace.get_text_document(params.text_document.uri).source
        ls.changed(state, display, text)


@server.feature(lsp.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: PopsServer, params: lsp.DidCloseTextDocumentParams) -> None:
    found = ls.state_for(params.text_document.uri)
    if found is not None:
        state, display = found
        state.set_text(display, None)
        ls.schedule(state)


@server.feature(lsp.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: PopsServer, params: lsp.DidSaveTextDocumentParams) -> None:
    """A saved new file joins the project on disk: read the project again."""
    found = ls.state_for(params.text_document.uri)
    if found is not None and found[0].module_of(found[1]) not in found[0].project.files:
        found[0].reload()
        ls.schedule(found[0])


@server.feature(lsp.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched(ls: PopsServer, params: lsp.DidChangeWatchedFilesParams) -> None:
    for state in ls.states.values():
        state.reload()
        ls.schedule(state)


@server.feature(lsp.TEXT_DOCUMENT_HOVER)
def hover(ls: PopsServer, params: lsp.HoverParams) -> lsp.Hover | None:
    from promptlang.lsp.hover import hover_text

    found = ls.fresh(params.text_document.uri)
    if found is None:
        return None
    state, module, program = found
    result = hover_text(program, module, ls.offset(program, module, params.position))
    if result is None:
        return None
    text, occ = result
    location = ls.location(state, occ.span)
    return lsp.Hover(contents=lsp.MarkupContent(kind=lsp.MarkupKind.Markdown, value=text),
                     range=location.range if location else None)


@server.feature(lsp.TEXT_DOCUMENT_DEFINITION)
def definition(ls: PopsServer, params: lsp.DefinitionParams) -> lsp.Location | None:
    from promptlang.lsp import index

    found = ls.fresh(params.text_document.uri)
    if found is None:
        return None
    state, module, program = found
    occ = index.at(program, module, ls.offset(program, module, params.position))
    span = index.definition(program, occ.target) if occ is not None else None
    return ls.location(state, span) if span is not None else None


@server.feature(lsp.TEXT_DOCUMENT_REFERENCES)
def references(ls: PopsServer, params: lsp.ReferenceParams) -> list[lsp.Location] | None:
    from promptlang.lsp import index

    found = ls.fresh(params.text_document.uri, whole=True)
    if found is None:
        return None
    state, module, program = found
    occ = index.at(program, module, ls.offset(program, module, params.position))
    if occ is None:
        return None
    spans = {(o.span.file, o.span.start, o.span.end): o.span
             for o in index.references(program, occ.target)
             if params.context.include_declaration or not o.decl}
    return [loc for key in sorted(spans) if (loc := ls.location(state, spans[key])) is not None]


@server.feature(lsp.TEXT_DOCUMENT_PREPARE_RENAME)
def prepare_rename(ls: PopsServer, params: lsp.PrepareRenameParams):
    from promptlang.lsp.rename import renamable

    found = ls.fresh(params.text_document.uri, whole=True)
    if found is None:
        return None
    state, module, program = found
    occ = renamable(program, module, ls.offset(program, module, params.position))
    location = ls.location(state, occ.span) if occ is not None else None
    return location.range if location is not None else None


@server.feature(lsp.TEXT_DOCUMENT_RENAME)
def rename(ls: PopsServer, params: lsp.RenameParams) -> lsp.WorkspaceEdit | None:
    from promptlang.lsp.rename import RenameError
    from promptlang.lsp.rename import edits

    found = ls.fresh(params.text_document.uri, whole=True)
    if found is None:
        return None
    state, module, program = found
    try:
        spans = edits(program, module, ls.offset(program, module, params.position), params.new_name)
    except RenameError as error:
        raise ValueError(str(error)) from None
    changes: dict[str, list[lsp.TextEdit]] = {}
    for span in spans:
        location = ls.location(state, span)
        if location is not None:
            changes.setdefault(location.uri, []).append(lsp.TextEdit(range=location.range, new_text=params.new_name))
    return lsp.WorkspaceEdit(changes=changes)


_COMPLETION_KINDS = {
    "field": lsp.CompletionItemKind.Field, "record": lsp.CompletionItemKind.Struct,
    "enum": lsp.CompletionItemKind.Enum, "alias": lsp.CompletionItemKind.TypeParameter,
    "type": lsp.CompletionItemKind.TypeParameter, "prompt": lsp.CompletionItemKind.Function,
    "template": lsp.CompletionItemKind.Function, "model": lsp.CompletionItemKind.Class,
    "policy": lsp.CompletionItemKind.Interface, "intent": lsp.CompletionItemKind.Event,
    "key": lsp.CompletionItemKind.Property, "keyword": lsp.CompletionItemKind.Keyword,
    "member": lsp.CompletionItemKind.EnumMember, "variable": lsp.CompletionItemKind.Variable,
    "module": lsp.CompletionItemKind.Module, "function": lsp.CompletionItemKind.Function,
}


@server.feature(lsp.TEXT_DOCUMENT_COMPLETION,
                lsp.CompletionOptions(trigger_characters=[".", ":", "|", "<"]))
def completion(ls: PopsServer, params: lsp.CompletionParams) -> lsp.CompletionList | None:
    from promptlang.lsp.completion import complete

    found = ls.fresh(params.text_document.uri)
    if found is None:
        return None
    _, module, program = found
    source = program.scopes[module].source
    offset = positions.offset(source, params.position, ls.encoding)
    items = [lsp.CompletionItem(label=i.label, kind=_COMPLETION_KINDS.get(i.kind), detail=i.detail or None)
             for i in complete(program, module, source.text, offset)]
    return lsp.CompletionList(is_incomplete=False, items=items)


_SYMBOL_KINDS = {
    "enum": lsp.SymbolKind.Enum, "record": lsp.SymbolKind.Struct, "alias": lsp.SymbolKind.TypeParameter,
    "model": lsp.SymbolKind.Class, "template": lsp.SymbolKind.Function, "prompt": lsp.SymbolKind.Function,
    "intent": lsp.SymbolKind.Event, "policy": lsp.SymbolKind.Interface,
    "environment": lsp.SymbolKind.Namespace, "test": lsp.SymbolKind.Method,
    "field": lsp.SymbolKind.Field, "member": lsp.SymbolKind.EnumMember,
    "param": lsp.SymbolKind.Variable, "slot": lsp.SymbolKind.Variable,
}


@server.feature(lsp.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
def document_symbols(ls: PopsServer, params: lsp.DocumentSymbolParams):
    from promptlang.lsp.symbols import outline

    found = ls.fresh(params.text_document.uri)
    if found is None:
        return None
    _, module, program = found
    source = program.scopes[module].source

    def convert(item) -> lsp.DocumentSymbol:
        return lsp.DocumentSymbol(
            name=item.name, kind=_SYMBOL_KINDS.get(item.kind, lsp.SymbolKind.Object),
            range=positions.to_range(source, item.span, ls.encoding),
            selection_range=positions.to_range(source, item.name_span, ls.encoding), detail=item.detail or None,
            children=[convert(c) for c in item.children] or None)

    return [convert(item) for item in outline(program.scopes[module].ast)]


if importlib.util.find_spec("promptlang.fmt") is not None:

    @server.feature(lsp.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: PopsServer, params: lsp.DocumentFormattingParams):
        """`popsc fmt` on the buffer: one edit replacing the whole text, or none."""
        from promptlang.fmt import FormatError
        from promptlang.fmt import format_text
        from promptlang.source import SourceFile

        doc = ls.workspace.get_text_document(params.text_document.uri)
        try:
            formatted = format_text(doc.source, to_fs_path(params.text_document.uri) or "")
        except FormatError:  # text that does not parse is left as it is (diagnostics say why)
            return None
        if formatted == doc.source:
            return []
        source = SourceFile("", doc.source)
        whole = positions.to_range(source, source.span(0, len(doc.source)), ls.encoding)
        return [lsp.TextEdit(range=whole, new_text=formatted)]


def serve() -> None:
    """Run the server on stdin/stdout until the client ends the session."""
    logging.basicConfig(level=logging.WARNING)
    server.start_io()
