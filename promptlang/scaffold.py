"""`popsc init`: a small project that checks cleanly and shows each part of the language."""

from __future__ import annotations

import re
from pathlib import Path

CONFIG = """\
[project]
name = "{name}"
version = "0.1.0"

[build]
out = "build"
targets = ["python", "ci", "docs"]
"""

GITIGNORE = """\
build/
.popsc-cache/
"""

MODULE = '''\
// An example module: a typed prompt, a test for it and a policy that guards it.
// Check it with `popsc check`; `popsc explain CODE` tells more about any diagnostic.

import std.policies

enum Sentiment { positive, neutral, negative }

// What the caller passes in.
type Review {
  product: string @max_len(200)
  text: string @max_len(4000)
  author_email: string? @pii
}

// What the model must answer, as JSON validated against this record.
type Summary {
  sentiment: Sentiment
  headline: string @max_len(120) @description("One line a busy reader can skim")
  score: float @range(0, 1)
}

model default {
  provider = "openai"
  name = "gpt-4o-mini"
  temperature = 0.2
  max_tokens = 400
  timeout = 30s
  api_key = env("OPENAI_API_KEY")
}

// Summarises one product review.
prompt summarize_review(review: Review, language: string = "English") -> Summary {
  version = "0.1.0"
  model = default
  owner = "team-@NAME@"
  description = "Summarises one product review with its sentiment."

  system """
    You summarise product reviews for a busy product team. Answer in {{ language }}.
  """
  user """
    Product: {{ review.product }}
    Review:
    {{ review.text | truncate(2000) }}
  """
}

test "a glowing review is positive" for summarize_review {
  given {
    review = { product: "Kettle", text: "Boils fast, looks great, love it." }
  }
  expect output.sentiment == positive
  expect output.score >= 0.5
}

// House rules every prompt of this project must follow.
policy house_rules {
  severity = error
  forbid pii in prompt
  require owner
  require tests >= 1
  require model.max_tokens <= 1024
}

apply house_rules to *
apply std.policies.no_secrets to *
'''


class ScaffoldError(Exception):
    """The folder already holds a project."""


def project_name(directory: Path, name: str | None) -> str:
    raw = name or directory.resolve().name or "prompts"
    cleaned = re.sub(r"[^a-z0-9-]+", "-", raw.lower()).strip("-")
    return cleaned or "prompts"


def create_project(directory: str, name: str | None = None) -> list[str]:
    """Write the files of a new project; refuses to overwrite anything."""
    root = Path(directory)
    files = {
        "pops.toml": CONFIG.format(name=project_name(root, name)),
        ".gitignore": GITIGNORE,
        "prompts.pops": MODULE.replace("@NAME@", project_name(root, name)),
    }
    existing = [p for p in files if (root / p).exists()]
    if existing:
        raise ScaffoldError(f"{root} already has {', '.join(existing)}; choose an empty folder")
    root.mkdir(parents=True, exist_ok=True)
    for rel, text in files.items():
        (root / rel).write_text(text, encoding="utf-8")
    return [str(root / rel) for rel in files]

