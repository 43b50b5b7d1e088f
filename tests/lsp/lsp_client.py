"""Helpers for the language-server tests: the fixture project's files as URIs and
text, and waiting for the diagnostics the server publishes."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types as lsp
from pytest_lsp import LanguageClient

PROJECT = Path(__file__).parent / "project"


def uri(rel: str) -> str:
    return (PROJECT / rel).resolve().as_uri()


def text(rel: str) -> str:
    return (PROJECT / rel).read_text("utf-8")


async def open_doc(client: LanguageClient, rel: str, body: str | None = None) -> list[lsp.Diagnostic]:
    """Open a buffer (the file's text unless `body`) and wait for its diagnostics."""
    client.diagnostics.pop(uri(rel), None)
    client.text_document_did_open(lsp.DidOpenTextDocumentParams(text_document=
        lsp.TextDocumentItem(uri=uri(rel), language_id="pops", version=1,
                             text=text(rel) if body is None else body)))
    return await diagnostics(client, rel)


async def change(client: LanguageClient, rel: str, body: str, version: int = 2) -> list[lsp.Diagnostic]:
    """Replace a buffer's text and wait for its diagnostics."""
    client.diagnostics.pop(uri(rel), None)
    client.text_document_did_change(lsp.DidChangeTextDocumentParams(
        text_document=lsp.VersionedTextDocumentIdentifier(uri=uri(rel), version=version),
        content_changes=[lsp.TextDocumentContentChangeWholeDocument(text=body)]))
    return await diagnostics(client, rel)


async def diagnostics(client: LanguageClient, rel: str) -> list[lsp.Diagnostic]:
    while uri(rel) not in client.diagnostics:
        await client.wait_for_notification(lsp.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    return list(client.diagnostics[uri(rel)])


def position_of(body: str, needle: str, after: int = 0) -> lsp.Position:
    """The LSP position (UTF-16 columns) `after` characters into the first `needle`."""
    offset = body.index(needle) + after
    line = body.count("\n", 0, offset)
    column = offset - (body.rfind("\n", 0, offset) + 1)
    prefix = body[offset - column:offset]
    return lsp.Position(line=line, character=len(prefix.encode("utf-16-le")) // 2)
