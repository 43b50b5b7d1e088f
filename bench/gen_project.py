"""Write a synthetic `.pops` project of N prompts, for timing `popsc check`.

Each prompt comes with its own enum, input and output records and one test, about 38
lines in all, 20 prompts per module under `gen/`. The text is seeded, so one (N, seed)
always gives the same bytes and timings from different runs compare like with like.

Usage: python bench/gen_project.py OUT_DIR N [--seed S]
"""

from __future__ import annotations

import argparse
import random
import sys
from dataclasses import asdict
from dataclasses import dataclass
from pathlib import Path

PROMPTS_PER_FILE = 20

PYPROJECT = '[project]\nname = "synthetic"\nversion = "0.1.0"\n'

MODELS = """\
model fast {
  provider = "openai"
  name = "gpt-4o-mini"
  api_key = env("OPENAI_API_KEY")
}
"""

# Pools the seed draws from, so prompts differ in names and values, not only in numbers.
TEXT_FIELDS = ("name", "title", "customer", "topic", "subject", "author")
COUNT_FIELDS = ("count", "limit", "quantity", "attempts", "rank", "size")
LIST_FIELDS = ("tags", "labels", "items", "keywords")
NOTE_FIELDS = ("note", "comment", "hint", "remark")
TONES = ("formal", "casual", "terse", "warm", "neutral", "playful", "direct", "gentle")
WORDS = ("alpha", "beta", "gamma", "delta", "omega", "sigma", "kappa", "zeta")


@dataclass
class Stats:
    """What was written: the figures a throughput report divides by."""

    root: str
    prompts: int
    files: int
    lines: int
    bytes: int

    def as_dict(self) -> dict:
        return asdict(self)


@dataclass
class Shape:
    """The names one prompt uses, drawn once so its types, template and test agree."""

    text: str
    count: str
    items: str
    note: str
    tones: tuple[str, ...]
    max_len: int


def draw_shape(rng: random.Random) -> Shape:
    """Pick field names and enum members for one prompt."""
    return Shape(
        text=rng.choice(TEXT_FIELDS),
        count=rng.choice(COUNT_FIELDS),
        items=rng.choice(LIST_FIELDS),
        note=rng.choice(NOTE_FIELDS),
        tones=tuple(rng.sample(TONES, 3)),
        max_len=rng.choice((80, 120, 200, 400)),
    )


def types_text(i: int, s: Shape) -> list[str]:
    """The enum and the two records (13 lines): every field kind the issue asks for."""
    return [
        f"enum Tone_{i} {{ {', '.join(s.tones)} }}",
        f"type Input_{i} {{",
        f"  {s.text}: string @max_len({s.max_len})",
        f"  {s.count}: int @range(0, 1000)",
        f"  {s.items}: list<string>",
        f"  tone: Tone_{i} = {s.tones[0]}",
        f"  {s.note}: string?",
        "}",
        f"type Output_{i} {{",
        f'  summary: string @max_len(1200) @description("Reply to request {i}")',
        "  score: float @range(0, 1)",
        "  done: bool",
        "}",
    ]


def template_lines(s: Shape) -> list[str]:
    """The 8-line user template: every input field, the optional one only under `if`."""
    return [
        f"    Request from {{{{ input.{s.text} }}}} about {{{{ input.{s.count} }}}} things.",
        "    Answer in a {{ input.tone }} tone.",
        f"    {{% if input.{s.note} %}}",
        f"    Note: {{{{ input.{s.note} }}}}",
        "    {% endif %}",
        "    Consider:",
        f"    {{% for x in input.{s.items} %}}- {{{{ x }}}}",
        "    {% endfor %}",
    ]


def prompt_text(i: int, s: Shape) -> list[str]:
    """The prompt declaration (16 lines): settings, a system line and the user template."""
    return [
        f"prompt p_{i}(input: Input_{i}) -> Output_{i} {{",
        '  version = "1.0.0"',
        "  model = fast",
        '  owner = "team-x"',
        f'  system """You are assistant {i}. Keep answers short."""',
        '  user """',
        *template_lines(s),
        '  """',
        "}",
    ]


def test_text(i: int, s: Shape, rng: random.Random) -> list[str]:
    """One test (6 lines) giving every required input field, expecting one output field."""
    words = ", ".join(f'"{w}"' for w in rng.sample(WORDS, rng.randint(1, 3)))
    given = (
        f'{s.text}: "{rng.choice(WORDS).title()}", '
        f"{s.count}: {rng.randint(0, 1000)}, {s.items}: [{words}]"
    )
    expect = rng.choice(("output.done == true", "output.done == false", "output.score == 0.5"))
    return [
        f'test "p_{i} works" for p_{i} {{',
        "  given {",
        f"    input = {{ {given} }}",
        "  }",
        f"  expect {expect}",
        "}",
    ]


def prompt_block(i: int, rng: random.Random) -> str:
    """All the text of prompt i: 38 lines, blank-line separated, ending in a newline."""
    s = draw_shape(rng)
    parts = [types_text(i, s), prompt_text(i, s), test_text(i, s, rng)]
    return "\n\n".join("\n".join(p) for p in parts) + "\n\n"


def module_text(first: int, count: int, rng: random.Random) -> str:
    """One `gen/part_NNN.pops` module: the import, then `count` prompts from `first`."""
    blocks = [prompt_block(i, rng) for i in range(first, first + count)]
    return "from models import fast\n\n" + "".join(blocks).rstrip("\n") + "\n"


def write(path: Path, text: str) -> tuple[int, int]:
    """Write one file; return its (lines, bytes) for the stats."""
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return text.count("\n"), len(text.encode("utf-8"))


def generate(root: Path, n_prompts: int, seed: int = 0) -> Stats:
    """Write the project under `root`; counts cover `.pops` files only (what is checked)."""
    root = Path(root)
    rng = random.Random(seed)
    write(root / "pops.toml", PYPROJECT)
    lines, size = write(root / "models.pops", MODELS)
    files = 1
    for first in range(0, n_prompts, PROMPTS_PER_FILE):
        count = min(PROMPTS_PER_FILE, n_prompts - first)
        name = f"gen/part_{first // PROMPTS_PER_FILE:03d}.pops"
        more_lines, more_bytes = write(root / name, module_text(first, count, rng))
        lines, size, files = lines + more_lines, size + more_bytes, files + 1
    return Stats(str(root), n_prompts, files, lines, size)


def main(argv: list[str] | None = None) -> int:
    """CLI: generate, then print the stats as one line."""
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir", type=Path)
    ap.add_argument("n", type=int, help="number of prompts")
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    stats = generate(args.out_dir, args.n, args.seed)
    print(f"{stats.prompts} prompts, {stats.files} .pops files, {stats.lines:,} lines, "
          f"{stats.bytes:,} bytes in {stats.root}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
