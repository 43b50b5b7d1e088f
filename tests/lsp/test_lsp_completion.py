"""Completion from the real `popsc lsp`: fields after `.` in templates, enum members
in tests, type and prompt names, block keys."""

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


async def labels(client, rel: str, body: str, cursor: str, after: int | None = None) -> list[str]:
    """Open `rel` with `body`, and complete just after the first `cursor` in it (or
    `after` characters into it)."""
    await open_doc(client, rel, body)
    result = await client.text_document_completion_async(lsp.CompletionParams(
        text_document=lsp.TextDocumentIdentifier(uri=uri(rel)),
        position=position_of(body, cursor, len(cursor) if after is None else after)))
    return [item.label for item in result.items]


async def test_fields_of_a_record_after_a_dot_in_a_template(client):
    body = text(PROMPTS).replace("{{ ticket.body }}", "{{ ticket. }}")
    assert await labels(client, PROMPTS, body, "{{ ticket.") == ["id", "body", "priority", "tags"]


async def test_fields_of_loop_inside_a_for(client):
    body = text(PROMPTS).replace("#{{ tag }}", "#{{ loop. }}")
    found = await labels(client, PROMPTS, body, "{{ loop.")
    assert {"index", "first", "last", "length"} <= set(found)


async def test_variables_and_templates_inside_an_interpolation(client):
    body = text(PROMPTS).replace("{{ ticket.body }}", "{{  }}")
    found = await labels(client, PROMPTS, body, "{{  }}", 3)
    assert {"ticket", "tone", "header"} <= set(found)


async def test_enum_members_after_a_comparison_in_a_test(client):
    body = text(TESTS).replace("== high", "== ")
    assert await labels(client, TESTS, body, "output.priority == ") == ["low", "normal", "high"]


async def test_output_fields_in_an_expect(client):
    body = text(TESTS).replace("output.priority == high", "output.")
    assert await labels(client, TESTS, body, "expect output.") == ["answer", "priority"]


async def test_type_names_after_a_colon(client):
    body = text(TYPES).replace("  tags: list<string>\n", "  tags: list<string>\n  extra: \n")
    found = await labels(client, TYPES, body, "extra: ")
    assert {"string", "int", "list", "Priority", "Ticket", "Reply"} <= set(found)
    assert "low" not in found


async def test_prompt_names_after_for_in_a_test(client):
    body = text(TESTS) + '\ntest "more" for \n'
    assert "answer" in await labels(client, TESTS, body, 'test "more" for ')


async def test_block_keys_at_the_start_of_a_line_in_a_prompt(client):
    body = text(PROMPTS).replace('  version = "1.2.0"\n', '  version = "1.2.0"\n  \n')
    found = await labels(client, PROMPTS, body, '"1.2.0"\n  ')
    assert {"version", "model", "owner", "system", "user", "assistant"} <= set(found)


async def test_parameters_in_a_given_block(client):
    body = text(TESTS).replace("  given {\n", "  given {\n    \n")
    assert await labels(client, TESTS, body, "  given {\n    ") == ["ticket", "tone"]


async def test_models_after_model_equals(client):
    body = text(PROMPTS).replace("model = fast", "model = ")
    assert await labels(client, PROMPTS, body, "model = ") == ["fast"]


async def test_intents_after_an_arrow_in_intent_tests(client):
    body = text(TESTS) + 'intent refund { examples = ["refund please"] }\n\ntest intents {\n  "money back" -> \n}\n'
    assert await labels(client, TESTS, body, '"money back" -> ') == ["refund", "none"]


async def test_enum_members_for_a_field_of_an_object_in_given(client):
    body = text(TESTS).replace("priority: high,", "priority: ,")
    assert await labels(client, TESTS, body, "priority: ") == ["low", "normal", "high"]
