"""Diagnostics from `popsc lsp`: the compiler's own, with exact LSP ranges (UTF-16
columns), republished on change, for the changed module and the modules importing it."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from lsp_client import change
from lsp_client import diagnostics
from lsp_client import open_doc
from lsp_client import position_of
from lsp_client import send_text
from lsp_client import VERSIONS
from lsp_client import text
from lsp_client import uri

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROMPTS = "shop/prompts.pops"
TYPES = "shop/types.pops"


async def test_a_clean_file_opens_without_diagnostics(client):
    assert await open_doc(client, PROMPTS) == []


async def test_an_unknown_field_is_reported_at_the_field_with_utf16_columns(client):
    # Two emoji (two UTF-16 units each) before the mistake on the same line.
    body = text(PROMPTS).replace("{{ ticket.body }}", "🎫🎫 {{ ticket.bdy }}")
    found = await open_doc(client, PROMPTS, body)
    assert [(d.code, d.severity, d.source) for d in found] == [
        ("E0204", lsp.DiagnosticSeverity.Error, "popsc")]
    start = position_of(body, "bdy")
    assert found[0].range == lsp.Range(start, lsp.Position(start.line, start.character + 3))
    assert start.character == body.splitlines()[start.line].index("bdy") + 2
    assert found[0].message.startswith("record `Ticket` has no field `bdy`")
    assert "help: did you mean `body`?" in found[0].message


async def test_a_fix_clears_the_diagnostic(client):
    body = text(PROMPTS).replace("{{ tone }}", "{{ tones }}")
    assert [d.code for d in await open_doc(client, PROMPTS, body)] == ["E0203"]
    assert await change(client, PROMPTS, text(PROMPTS)) == []


async def test_a_change_rechecks_the_modules_that_import_it(client):
    await open_doc(client, PROMPTS)
    since = len(client.published)
    send_text(client, TYPES, text(TYPES).replace("  body: string\n", ""))
    found = await diagnostics(client, PROMPTS, VERSIONS[uri(PROMPTS)], since)
    assert [d.code for d in found] == ["E0204"]
    assert found[0].range.start == position_of(text(PROMPTS), "body }}")


async def test_a_syntax_error_is_one_diagnostic_at_its_place(client):
    body = text(TYPES).replace("  id: string\n", "  id: string = \n")
    found = await open_doc(client, TYPES, body)
    assert [d.code for d in found][:1] == ["E0101"]
    assert found[0].range.start.line == 5


async def test_secondary_labels_become_related_information(client):
    body = text(TYPES) + "\nenum Priority { a }\n"
    found = await open_doc(client, TYPES, body)
    duplicate = next(d for d in found if d.code == "E0205")
    assert duplicate.range.start == position_of(body, "Priority { a }")
    related = duplicate.related_information
    assert related and related[0].location.uri == uri(TYPES)
    assert related[0].location.range.start == position_of(body, "Priority")
