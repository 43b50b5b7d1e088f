"""Helpers for the language-server tests: the fixture project's files as URIs and
text, and waiting for the diagnostics the server publishes."""

from __future__ import annotations

import itertools
import sys
from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import ClientServerConfig
from pytest_lsp import LanguageClient

PROJECT = Path(__file__).parent / "project"
# How the tests start the server (here, not in conftest: `from conftest import` is
# ambiguous once another folder's conftest has been imported).
SERVER = ClientServerConfig(server_command=[sys.executable, "-m", "promptlang", "lsp"])


def uri(rel: str) -> str:
    return (PROJECT / rel).resolve().as_uri()


def text(rel: str) -> str:
    return (PROJECT / rel).read_text("utf-8")


_versions = itertools.count(1)
OPENED: set[str] = set()  # buffers a test opened, closed after it (the server is shared)


VERSIONS: dict[str, int] = {}  # the version each open buffer was last given


def send_text(client: LanguageClient, rel: str, body: str | None = None) -> int:
    """Open a buffer, or replace its text if open; returns the version sent."""
    version = VERSIONS[uri(rel)] = next(_versions)
    body = text(rel) if body is None else body
    if uri(rel) in OPENED:
        client.text_document_did_change(lsp.DidChangeTextDocumentParams(
            text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(rel), version=version),
            content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=body)]))
    else:
        OPENED.add(uri(rel))
        client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=lsp.TextDocumentItem(
            uri=uri(rel), language_id="pops", version=version, text=body)))
    return version


async def open_doc(client: LanguageClient, rel: str, body: str | None = None) -> list[lsp.Diagnostic]:
    """Open a buffer (the file's text unless `body`), or change it if it is open, and
    wait for its diagnostics."""
    since = len(client.published)
    return await diagnostics(client, rel, send_text(client, rel, body), since)


async def change(client: LanguageClient, rel: str, body: str) -> list[lsp.Diagnostic]:
    """Replace an open buffer's text and wait for its diagnostics."""
    assert uri(rel) in OPENED
    return await open_doc(client, rel, body)


def record_publications(client: LanguageClient) -> None:
    """Keep every publishDiagnostics the client receives, with its document version
    (the client itself keeps only the latest diagnostics of each file)."""
    client.published = []
    handle = client.protocol._handle_notification

    def capture(method, params):
        if method == lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS:
            client.published.append(params)
        return handle(method, params)

    client.protocol._handle_notification = capture


async def diagnostics(client: LanguageClient, rel: str, version: int | None,
                      since: int = 0) -> list[lsp.Diagnostic]:
    """The first diagnostics published for `rel` with this document version (None: a
    file that is not open) after the `since`-th publication, waiting for them."""
    while True:
        for params in client.published[since:]:
            if params.uri == uri(rel) and params.version == version:
                return list(params.diagnostics)
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)


def close_all(client: LanguageClient) -> None:
    for opened in sorted(OPENED):
        client.text_document_did_close(lsp.DidCloseTextDocumentParams(
            text_document=lsp.TextDocumentIdentifier(uri=opened)))
    OPENED.clear()


def position_of(body: str, needle: str, after: int = 0) -> lsp.Position:
    """The LSP position (UTF-16 columns) `after` characters into the first `needle`."""
    offset = body.index(needle) + after
    line = body.count("\n", 0, offset)
    column = offset - (body.rfind("\n", 0, offset) + 1)
    prefix = body[offset - column:offset]
    return lsp.Position(line=line, character=len(prefix.encode("utf-16-le")) // 2)
