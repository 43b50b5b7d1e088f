"""Time a generated prompt's `render` against a hand-written f-string and against jinja2.

Builds the synthetic project (bench/gen_project.py, N small) with `popsc build --target
python` into a temporary folder, imports the generated SDK, and times with `timeit`
(best of --repeat, per-call microseconds):

- `p_0.render(input=...)`: the public API, a list of two `Message`s;
- `_p_0_user(input)`: the compiled function of the user message alone;
- a hand-written f-string of the same user template, and a hand-written `render` that
  builds the same two messages with it;
- `jinja2.Environment(autoescape=False).from_string(body)` (compiled outside the timing)
  rendering the same user body from bundle.json with the same inputs (the enum as
  `.value`), alone and, like `render`, with the system body into two `Message`s.

Every variant is asserted once to give the identical text. Timing runs go round-robin
over the variants, so a moment of load on a shared machine does not spoil one of them.

Also times `answer_ticket` of examples/support (templates calling macros, an optional
block, filters), with the `given` of its first test in bundle.json read through
`p.arguments(given)` (timed too), against nothing: its macros have no plain-jinja2 twin.

Usage: python bench/render_speed.py [--n 20] [--repeat 7] [--min-time 0.2] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import json
import os
import platform
import shutil
import sys
import tempfile
import timeit
import types
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
sys.path.insert(0, str(BENCH))
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from gen_project import generate  # noqa: E402

GOAL_VS_FSTRING = 2.0  # generated at most this many times the f-string's time
GOAL_VS_JINJA = 5.0  # jinja2 at least this many times the generated render's time
EXAMPLE = REPO / "examples" / "support"
EXAMPLE_PROMPT = "support.prompts.answer_ticket"


# ---- the hand-written equivalents of p_0's user template (seed 0) -----------------------
#
#   Request from {{ input.topic }} about {{ input.attempts }} things.
#   Answer in a {{ input.tone }} tone.
#   {% if input.hint %}
#   Note: {{ input.hint }}
#   {% endif %}
#   Consider:
#   {% for x in input.tags %}- {{ x }}
#   {% endfor %}

P0_SYSTEM = "You are assistant 0. Keep answers short."


def fstring_user(input) -> str:
    """The user message of p_0 written by hand, as one would without popsc."""
    text = (f"Request from {input.topic} about {input.attempts} things.\n"
            f"Answer in a {input.tone.value} tone.\n")
    if input.hint:
        text += f"\nNote: {input.hint}\n"
    text += "\nConsider:\n"
    for x in input.tags:
        text += f"- {x}\n"
    return text


def fstring_render(message, input) -> list:
    """Both messages of p_0 written by hand: what `p_0.render` returns."""
    return [message("system", P0_SYSTEM), message("user", fstring_user(input))]


# ---- helpers -----------------------------------------------------------------------------


def calls_for(timer: timeit.Timer, min_time: float) -> int:
    """How many calls make one timeit run last about `min_time` seconds."""
    calls = 100
    while (spent := timer.timeit(calls)) < min_time / 10 and calls < 10**8:
        calls *= 10
    return max(1, int(calls * min_time / max(spent, 1e-9)))


def per_call_us(funcs: dict, repeat: int, min_time: float = 0.2) -> dict[str, float]:
    """µs per call of each function: the best of `repeat` timeit runs, each about
    `min_time` seconds. The runs go round-robin over the functions, so a moment of load
    on a shared machine cannot spoil every run of one of them."""
    timers = {name: timeit.Timer(func) for name, func in funcs.items()}
    calls = {name: calls_for(timer, min_time) for name, timer in timers.items()}
    best = dict.fromkeys(timers, float("inf"))
    for _ in range(repeat):
        for name, timer in timers.items():
            best[name] = min(best[name], timer.timeit(calls[name]) / calls[name])
    return {name: seconds * 1e6 for name, seconds in best.items()}


def build_sdk(project: Path, out: Path) -> Path:
    """`popsc build --target python` in process; returns the folder to put on sys.path."""
    from promptlang import driver

    result = driver.build(str(project), out=str(out), targets=["python"])
    if result.check.has_errors:
        raise SystemExit(f"{project} does not check: {result.check.diagnostics[:3]}")
    return out / "python"


def forget(package: str) -> None:
    """Drop a generated package from sys.modules (its folder is temporary)."""
    for name in [m for m in sys.modules if m == package or m.startswith(package + ".")]:
        del sys.modules[name]


@contextlib.contextmanager
def imported(folder: Path, module: str):
    """`module` of a generated SDK under `folder`, imported afresh and forgotten after
    (the smoke test runs in pytest's process, which other SDKs share)."""
    package = module.split(".")[0]
    forget(package)
    sys.path.insert(0, str(folder))
    importlib.invalidate_caches()
    try:
        yield importlib.import_module(module)
    finally:
        sys.path.remove(str(folder))
        forget(package)


def bundle_prompt(out: Path, qname: str) -> tuple[dict, list[dict]]:
    """The prompt `qname` from bundle.json, and its tests."""
    program = json.loads((out / "bundle.json").read_text("utf-8"))["program"]
    prompt = next(p for p in program["prompts"] if p["qname"] == qname)
    return prompt, [t for t in program["tests"] if t["prompt"] == qname]


# ---- the two measurements ----------------------------------------------------------------


def measure_synthetic(work: Path, n: int, repeat: int, min_time: float) -> dict:
    """p_0 of the synthetic project: generated vs f-string vs jinja2."""
    generate(work / "project", n, seed=0)
    folder = build_sdk(work / "project", work / "out")
    prompt, tests = bundle_prompt(work / "out", "gen.part_000.p_0")
    with imported(folder, "synthetic.gen.part_000") as module:
        return time_synthetic(module, prompt, tests, n, repeat, min_time)


def time_synthetic(module, prompt: dict, tests: list[dict], n: int, repeat: int,
                   min_time: float) -> dict:
    import jinja2

    bodies = {m["role"]: m["body"] for m in prompt["messages"]}  # one system, one user
    body = bodies["user"]
    given = dict(tests[0]["given"]["input"])  # topic, attempts, tags: the test's values
    given["tags"] = list(given["tags"]) + ["kappa"]
    inp = module.Input_0(**given, tone=list(module.Tone_0)[1], hint="mention the order id")
    p = module.p_0
    message = type(p.render(input=inp)[0])

    env = jinja2.Environment(autoescape=False)
    template = env.from_string(body)  # compiled once, outside the timing
    system_template = env.from_string(bodies["system"])
    plain = types.SimpleNamespace(topic=inp.topic, attempts=inp.attempts, tags=inp.tags,
                                  tone=inp.tone.value, hint=inp.hint)  # enums as .value

    rendered = p.render(input=inp)
    expected = rendered[1].content
    assert module._p_0_user(inp) == expected
    assert fstring_user(inp) == expected, (fstring_user(inp), expected)
    assert fstring_render(message, inp) == rendered
    assert template.render(input=plain) == expected, (template.render(input=plain), expected)
    jinja_render = lambda: [message("system", system_template.render(input=plain)),  # noqa: E731
                            message("user", template.render(input=plain))]
    assert jinja_render() == rendered
    assert "Note:" in expected and "- kappa" in expected  # both the if and the for ran

    timings = per_call_us({
        "generated_render": lambda: p.render(input=inp),
        "generated_message_fn": lambda: module._p_0_user(inp),
        "fstring_render": lambda: fstring_render(message, inp),
        "fstring": lambda: fstring_user(inp),
        "jinja2_render": jinja_render,
        "jinja2": lambda: template.render(input=plain),
    }, repeat, min_time)
    return {"prompt": "gen.part_000.p_0", "n": n, "body": body, "text": expected,
            "us": timings,
            "ratios": {
                "render_over_fstring_render":
                    timings["generated_render"] / timings["fstring_render"],
                "message_fn_over_fstring": timings["generated_message_fn"] / timings["fstring"],
                "jinja2_render_over_render": timings["jinja2_render"] / timings["generated_render"],
                "jinja2_over_render": timings["jinja2"] / timings["generated_render"],
                "jinja2_over_message_fn": timings["jinja2"] / timings["generated_message_fn"],
            }}


def measure_example(work: Path, repeat: int, min_time: float) -> dict | None:
    """answer_ticket of examples/support (a copy: no cache or build folder in the checkout),
    with its first test's `given`. None when the example is not there."""
    if not (EXAMPLE / "pops.toml").exists():
        return None
    copy = work / "support"
    shutil.copytree(EXAMPLE, copy, ignore=shutil.ignore_patterns(".popsc-cache", "build"))
    folder = build_sdk(copy, work / "support-out")
    package = next(p.name for p in folder.iterdir() if (p / "__init__.py").exists())
    _, tests = bundle_prompt(work / "support-out", EXAMPLE_PROMPT)
    given = tests[0]["given"]
    with imported(folder, f"{package}.support.prompts") as module:
        p = module.answer_ticket
        args = p.arguments(given)
        messages = p.render(**args)
        us = per_call_us({"generated_render": lambda: p.render(**args),
                          "arguments_from_json": lambda: p.arguments(given)}, repeat, min_time)
    return {"prompt": EXAMPLE_PROMPT, "test": tests[0]["title"],
            "messages": len(messages), "chars": sum(len(m.content) for m in messages), "us": us}


def run(n: int = 20, repeat: int = 7, min_time: float = 0.2) -> dict:
    """Everything this script measures, as one dict (the smoke test calls this with a
    tiny `min_time`, the seconds each timeit run lasts at least)."""
    with tempfile.TemporaryDirectory(prefix="pops-render-") as tmp:
        work = Path(tmp)
        synthetic = measure_synthetic(work, n, repeat, min_time)
        example = measure_example(work, repeat, min_time)
    r = synthetic["ratios"]
    goals = [
        {"goal": f"generated render() within {GOAL_VS_FSTRING}x of a hand-written f-string render",
         "value": r["render_over_fstring_render"],
         "passed": r["render_over_fstring_render"] <= GOAL_VS_FSTRING},
        {"goal": f"generated message function within {GOAL_VS_FSTRING}x of the f-string",
         "value": r["message_fn_over_fstring"],
         "passed": r["message_fn_over_fstring"] <= GOAL_VS_FSTRING},
        {"goal": f"jinja2 rendering both messages at least {GOAL_VS_JINJA}x slower than "
                 f"generated render()",
         "value": r["jinja2_render_over_render"],
         "passed": r["jinja2_render_over_render"] >= GOAL_VS_JINJA},
        {"goal": f"jinja2 rendering the user text at least {GOAL_VS_JINJA}x slower than the "
                 f"generated message function",
         "value": r["jinja2_over_message_fn"],
         "passed": r["jinja2_over_message_fn"] >= GOAL_VS_JINJA},
    ]
    return {"machine": {"python": sys.version.split()[0], "platform": platform.platform(),
                        "cpus": os.cpu_count(), "loadavg": os.getloadavg()},
            "repeat": repeat, "synthetic": synthetic, "example": example, "goals": goals}


def print_report(data: dict) -> None:
    s = data["synthetic"]
    us = s["us"]
    print(f"{s['prompt']} (synthetic N={s['n']}), {len(s['text'])} chars of user text; "
          f"best of {data['repeat']}, µs per call")
    rows = (("generated p_0.render(input=...)  [2 Messages]", "generated_render"),
            ("generated _p_0_user(input)       [text]", "generated_message_fn"),
            ("hand-written render, f-string    [2 Messages]", "fstring_render"),
            ("hand-written f-string            [text]", "fstring"),
            ("jinja2, both bodies into Messages [2 Messages]", "jinja2_render"),
            ("jinja2 Template.render(input=...) [text]", "jinja2"))
    for label, k in rows:
        print(f"  {label:<48} {us[k]:8.2f} µs")
    r = s["ratios"]
    print(f"  render / f-string render: {r['render_over_fstring_render']:.2f}x; "
          f"message fn / f-string: {r['message_fn_over_fstring']:.2f}x; "
          f"jinja2 (2 Messages) / render: {r['jinja2_render_over_render']:.2f}x; "
          f"jinja2 user text / render: {r['jinja2_over_render']:.2f}x; "
          f"jinja2 / message fn: {r['jinja2_over_message_fn']:.2f}x")
    e = data["example"]
    if e:
        print(f"{e['prompt']} with the given of test {e['test']!r} ({e['messages']} messages, "
              f"{e['chars']} chars): render {e['us']['generated_render']:.2f} µs, "
              f"arguments(given) from JSON {e['us']['arguments_from_json']:.2f} µs")
    for g in data["goals"]:
        print(f"goal {'PASS' if g['passed'] else 'MISS'} {g['goal']} (measured: {g['value']:.2f}x)")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=20, help="prompts in the synthetic project")
    ap.add_argument("--repeat", type=int, default=7, help="timeit repetitions (best is kept)")
    ap.add_argument("--min-time", type=float, default=0.2,
                    help="seconds each timeit run lasts at least")
    ap.add_argument("--json", type=Path, help="write the figures here")
    args = ap.parse_args(argv)
    data = run(args.n, args.repeat, args.min_time)
    print_report(data)
    if args.json:
        text = json.dumps(data, indent=2, ensure_ascii=False) + "\n"
        args.json.write_text(text, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
