"""Output JSON Schemas: valid schemas that accept the answers the types describe."""

from __future__ import annotations

import jsonschema
import pytest

from promptlang import driver
from promptlang.emit.json_schema import type_schema
from promptlang.lower import lower

SOURCE = '''
enum Mood { happy, sad }
type Inner { note: string? @max_len(5) }
type Out {
  mood: Mood
  score: float @range(0, 1)
  tags: list<string> @max_len(2)
  inner: Inner
  next: Out?
}
model m { provider = "openai", name = "x" }
prompt p() -> Out {
  model = m
  user "hi"
}
'''


@pytest.fixture(scope="module")
def schema():
    result = driver.check_texts({"main.pops": SOURCE})
    assert result.diagnostics == []
    program = lower(result.program, {})
    prompt = next(p for p in program.prompts if p.name == "p")
    made = type_schema(program, prompt.output)
    jsonschema.Draft202012Validator.check_schema(made)
    return made


def test_root_is_an_object_with_every_property_required(schema):
    """Providers want an object at the root, all properties required, no extras."""
    assert schema["type"] == "object"
    assert schema["required"] == ["mood", "score", "tags", "inner", "next"]
    assert schema["additionalProperties"] is False


def test_valid_answer_passes(schema):
    """An answer that fits the record validates, recursion included."""
    answer = {"mood": "happy", "score": 0.5, "tags": ["a"], "inner": {"note": None},
              "next": {"mood": "sad", "score": 1, "tags": [], "inner": {"note": "ok"}, "next": None}}
    jsonschema.validate(answer, schema)


@pytest.mark.parametrize("field, value", [
    ("mood", "angry"), ("score", 2), ("tags", ["a", "b", "c"]), ("inner", {"note": "too long"}),
])
def test_answers_breaking_constraints_fail(schema, field, value):
    """Enum members, @range, list @max_len and nested @max_len are enforced."""
    answer = {"mood": "happy", "score": 0.5, "tags": [], "inner": {"note": None}, "next": None}
    answer[field] = value
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(answer, schema)
