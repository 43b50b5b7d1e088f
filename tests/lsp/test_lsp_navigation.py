"""Hover, go to definition, find references, rename and the outline, across modules
and inside templates, from the real `popsc lsp`."""

from __future__ import annotations

import pytest
from lsprotocol import types as lsp

from lsp_client import open_doc
from lsp_client import position_of
from lsp_client import text
from lsp_client import uri

pytestmark = pytest.mark.asyncio(loop_scope="module")

PROMPTS = "shop/prompts.pops"
TYPES = "shop/types.pops"
TESTS = "shop/tests.pops"


def doc(rel: str) -> lsp.TextDocumentIdentifier:
    return lsp.TextDocumentIdentifier(uri=uri(rel))


def at(rel: str, needle: str, after: int = 0) -> dict:
    return {"text_document": doc(rel), "position": position_of(text(rel), needle, after)}


def span(rel: str, needle: str, length: int | None = None, after: int = 0) -> tuple:
    start = position_of(text(rel), needle, after)
    return (uri(rel), start.line, start.character, start.character + (length or len(needle)))


def spans(locations) -> list[tuple]:
    return sorted((l.uri, l.range.start.line, l.range.start.character, l.range.end.character)
                  for l in locations)


async def hover(client, rel, needle, after=0) -> str:
    await open_doc(client, rel)
    result = await client.text_document_hover_async(lsp.HoverParams(**at(rel, needle, after)))
    return result.contents.value if result else ""


async def test_hover_on_a_prompt_shows_signature_version_and_doc(client):
    shown = await hover(client, TESTS, "for answer", 5)
    assert "prompt answer(ticket: Ticket, tone: string) -> Reply" in shown
    assert "version `1.2.0`" in shown
    assert "Drafts a reply to a ticket." in shown


async def test_hover_on_a_template_field_shows_its_type_and_doc(client):
    shown = await hover(client, PROMPTS, "ticket.body", 8)
    assert "body: string" in shown
    assert "field of `Ticket`" in shown
    assert "What the customer wrote." in shown


async def test_hover_on_a_template_variable_shows_its_type(client):
    assert "tone: string" in await hover(client, PROMPTS, "{{ tone }}", 3)
    assert "(loop variable): string" in await hover(client, PROMPTS, "{{ tag }}", 3)


async def test_definition_of_a_prompt_used_in_another_module(client):
    await open_doc(client, TESTS)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(**at(TESTS, "for answer", 5)))
    assert spans([found]) == [span(PROMPTS, "answer(", 6)]


async def test_definition_of_a_field_read_in_a_template(client):
    await open_doc(client, PROMPTS)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(**at(PROMPTS, "ticket.body", 7)))
    assert spans([found]) == [span(TYPES, "body", 4)]


async def test_definition_of_a_template_variable_is_its_parameter(client):
    await open_doc(client, PROMPTS)
    found = await client.text_document_definition_async(
        lsp.DefinitionParams(**at(PROMPTS, "{{ tone }}", 3)))
    assert spans([found]) == [span(PROMPTS, "tone: string", 4)]


async def test_references_of_a_field_across_modules_and_templates(client):
    await open_doc(client, TYPES)
    found = await client.text_document_references_async(lsp.ReferenceParams(
        context=lsp.ReferenceContext(include_declaration=True), **at(TYPES, "body: string")))
    assert spans(found) == sorted([span(TYPES, "body", 4), span(PROMPTS, "body }}", 4),
                                   span(TESTS, "body:", 4)])


async def test_references_of_an_enum_member_include_test_values(client):
    await open_doc(client, TYPES)
    found = await client.text_document_references_async(lsp.ReferenceParams(
        context=lsp.ReferenceContext(include_declaration=False), **at(TYPES, "high")))
    assert spans(found) == sorted([span(TESTS, "high,", 4), span(TESTS, "== high", 4, 3)])


async def test_rename_a_record_everywhere_it_is_named(client):
    await open_doc(client, TYPES)
    edit = await client.text_document_rename_async(lsp.RenameParams(
        new_name="Case", **at(TYPES, "Ticket")))
    changed = {u: sorted((e.range.start.line, e.range.start.character) for e in edits)
               for u, edits in edit.changes.items()}
    body = text(PROMPTS)
    uses = [position_of(body, "Ticket)"), position_of(body, "Ticket, tone")]
    assert changed == {uri(TYPES): [(position_of(text(TYPES), "Ticket").line, 5)],
                       uri(PROMPTS): sorted((p.line, p.character) for p in uses)}
    assert all(e.new_text == "Case" for edits in edit.changes.values() for e in edits)


async def test_rename_a_prompt_renames_its_import_and_test_target(client):
    await open_doc(client, PROMPTS)
    edit = await client.text_document_rename_async(lsp.RenameParams(
        new_name="reply", **at(PROMPTS, "answer(", 0)))
    assert spans(lsp.Location(uri=u, range=e.range) for u, es in edit.changes.items() for e in es) \
        == sorted([span(PROMPTS, "answer("[:6]), span(TESTS, "answer"), span(TESTS, "for answer", 6, 4)])


async def test_rename_refuses_a_name_already_taken(client):
    await open_doc(client, TYPES)
    with pytest.raises(Exception, match="already declared"):
        await client.text_document_rename_async(lsp.RenameParams(
            new_name="Reply", **at(TYPES, "Ticket")))


async def test_outline_lists_declarations_with_their_fields(client):
    await open_doc(client, TYPES)
    found = await client.text_document_document_symbol_async(
        lsp.DocumentSymbolParams(text_document=doc(TYPES)))
    assert [(s.name, s.kind) for s in found] == [
        ("Priority", lsp.SymbolKind.Enum), ("Ticket", lsp.SymbolKind.Struct),
        ("Reply", lsp.SymbolKind.Struct)]
    assert [c.name for c in found[1].children] == ["id", "body", "priority", "tags"]


async def test_formatting_is_popsc_fmt_on_the_buffer(client):
    from promptlang.fmt import format_text

    messy = text(TYPES).replace("enum Priority { low, normal, high }", "enum Priority {low,normal,   high}")
    await open_doc(client, TYPES, messy)
    found = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(TYPES), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert len(found) == 1
    assert found[0].range.start == lsp.Position(line=0, character=0)
    assert found[0].new_text == format_text(messy, "shop/types.pops") == text(TYPES)


async def test_formatting_leaves_text_that_does_not_parse(client):
    await open_doc(client, TYPES, text(TYPES).replace("id: string", "id: string ="))
    found = await client.text_document_formatting_async(lsp.DocumentFormattingParams(
        text_document=doc(TYPES), options=lsp.FormattingOptions(tab_size=2, insert_spaces=True)))
    assert not found


async def test_definition_of_a_standard_library_template_opens_its_file(client):
    body = text(PROMPTS).replace("import shop.types as t\n", "import shop.types as t\nfrom std.templates import json_only\n") \
        .replace("    {{ ticket.body }}\n", "    {{ ticket.body }}\n    {{ json_only() }}\n")
    await open_doc(client, PROMPTS, body)
    found = await client.text_document_definition_async(lsp.DefinitionParams(
        text_document=doc(PROMPTS), position=position_of(body, "json_only()")))
    assert found.uri.endswith("/promptlang/stdlib/templates.pops")
