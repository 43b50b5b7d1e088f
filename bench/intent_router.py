"""Measure the intent router of a generated SDK: how often it is right, and how fast.

Accuracy: builds bench/intents/project (`popsc build --target python`) into a temporary
folder, imports the package and routes every line of bench/intents/utterances.jsonl
(written for the project before any matcher ran on it) through its `route`. A line is
right when the intent is (its short name, or none for a negative) and the slots read are
exactly the labelled ones (slots the router did not fill are left out; enum members are
compared by name). Prints accuracy, intent-only accuracy, precision on negatives (routed
to none / all negatives), precision and recall of the positives, and every miss.

Speed: copies the project with 88 generated intents beside the 12 real ones (100 in all,
5 examples each, a third with an `int` slot and a third with an enum slot), builds it,
and times `route` over the same utterances on one core (the process is pinned to one CPU
where the OS allows it; routing is single threaded): `--repeat` rounds, each at least
`--min-time` CPU seconds, median per text. The baseline, timed in the same rounds, is
the least work any matcher does with a text: lower-casing it and splitting it into
words with one compiled regex. The ratio says how many baselines a match costs.

Usage: python bench/intent_router.py [--repeat 7] [--min-time 0.2] [--intents 100] [--json FILE]
"""

from __future__ import annotations

import argparse
import enum
import importlib
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
import typing as t
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

from promptlang import driver

PROJECT = BENCH / "intents" / "project"
DATA = BENCH / "intents" / "utterances.jsonl"
GOAL_ACCURACY = 0.90
GOAL_MATCHES_PER_S = 20_000
GOAL_INTENTS = 100
SWEEP = (0.3, 0.35, 0.4, 0.45, 0.5, 0.55, 0.6, 0.65, 0.7)


# ---- the data set ------------------------------------------------------------------------

def load_cases(path: Path = DATA) -> list[dict[str, t.Any]]:
    """The labelled utterances: dicts with `text`, `intent` (short name or None), `slots`."""
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f if line.strip()]


# ---- building and importing a project's SDK --------------------------------------------------

def build_package(project: Path, out: Path) -> t.Any:
    """Build `project`'s Python SDK into `out` (as `popsc build --target python` does,
    without touching the project's cache) and import its package."""
    result = driver.build(str(project), out=str(out), use_cache=False, targets=["python"])
    errors = [d for d in result.check.diagnostics if d.is_error]
    if errors or result.out is None:
        raise SystemExit(f"{project} does not build: {errors}")
    packages = sorted(p.parent.name for p in (out / "python").glob("*/__init__.py"))
    for name in [m for m in sys.modules if m.split(".")[0] == packages[0]]:
        del sys.modules[name]  # an earlier build of the same project in this process
    sys.path.insert(0, str(out / "python"))
    try:
        return importlib.import_module(packages[0])
    finally:
        sys.path.remove(str(out / "python"))


# ---- accuracy -----------------------------------------------------------------------------

def read_slots(match: t.Any) -> dict[str, t.Any]:
    """The slots a match filled, as the data set writes them (enum members as names)."""
    return {k: (v.name if isinstance(v, enum.Enum) else v)
            for k, v in match.slots.items() if v is not None}


def evaluate(route: t.Callable[[str], t.Any], cases: list[dict[str, t.Any]]) -> dict[str, t.Any]:
    """Route every case and score the answers; `misses` lists each wrong one."""
    right = intent_right = neg_right = pos_routed_right = routed = routed_right = 0
    misses = []
    matchers: dict[str, int] = {}
    per_intent: dict[str, list[int]] = {}
    for case in cases:
        match = route(case["text"])
        got = match.name if match is not None else None
        slots = read_slots(match) if match is not None else {}
        matchers[match.matcher if match is not None else "none"] = \
            matchers.get(match.matcher if match is not None else "none", 0) + 1
        ok_intent = got == case["intent"]
        ok = ok_intent and slots == case["slots"]
        right += ok
        tally = per_intent.setdefault(case["intent"] or "none", [0, 0])
        tally[0] += ok
        tally[1] += 1
        intent_right += ok_intent
        if case["intent"] is None:
            neg_right += got is None
        else:
            pos_routed_right += ok_intent
        if got is not None:
            routed += 1
            routed_right += ok_intent
        if not ok:
            misses.append({"text": case["text"], "expected": case["intent"],
                           "expected_slots": case["slots"], "got": got, "slots": slots,
                           "confidence": round(match.confidence, 3) if match else None,
                           "matcher": match.matcher if match else None})
    negatives = sum(c["intent"] is None for c in cases)
    positives = len(cases) - negatives
    return {"cases": len(cases), "positives": positives, "negatives": negatives,
            "accuracy": right / len(cases), "intent_accuracy": intent_right / len(cases),
            "negative_precision": neg_right / negatives if negatives else 1.0,
            "precision": routed_right / routed if routed else 1.0,
            "recall": pos_routed_right / positives if positives else 1.0,
            "matchers": dict(sorted(matchers.items())), "misses": misses,
            "per_intent": {k: tuple(v) for k, v in sorted(per_intent.items())}}


def sweep(rank: t.Callable[[str], list[t.Any]], cases: list[dict[str, t.Any]],
          thresholds: t.Sequence[float]) -> dict[str, t.Any]:
    """What the router's confidences would give with one threshold for every intent
    (the project's own thresholds are what `evaluate` scores): accuracy at each, and
    how often the closest intent of a positive is its labelled one. Calibration, not
    tuning: the data set is never changed to fit it."""
    best = [(c, (rank(c["text"]) or [None])[0]) for c in cases]
    top1 = [m is not None and m.name == c["intent"] for c, m in best if c["intent"] is not None]
    at = {}
    for threshold in thresholds:
        kept = [(c, m if m is not None and m.confidence >= threshold else None) for c, m in best]
        at[f"{threshold:.2f}"] = sum(
            (m.name if m else None) == c["intent"] and (read_slots(m) if m else {}) == c["slots"]
            for c, m in kept) / len(cases)
    return {"top1_positives": sum(top1) / len(top1) if top1 else 1.0, "accuracy_at": at}


# ---- the synthetic project of 100 intents ------------------------------------------------------

TOPICS = ("insurance policy", "travel notice", "overdraft", "standing order", "direct debit",
          "savings goal", "gift voucher", "tax certificate", "pension plan", "investment fund",
          "paperless billing", "loyalty points", "joint holder", "power of attorney",
          "safe deposit box", "cashback offer", "spending alerts", "round ups",
          "child account", "premium package", "payroll service", "merchant terminal")
ACTIONS = ("set up", "cancel", "change", "pause")


def synthetic_intent(i: int, action: str, topic: str) -> str:
    """Intent `i` of the generated ones: five examples about `action` on `topic`; every
    third has an `int` slot, every third an enum slot."""
    examples = [f"I want to {action} my {topic}", f"how do I {action} a {topic}",
                f"{action} {topic}", f"help me {action} the {topic} today"]
    slots = ""
    if i % 3 == 0:
        examples.append(f"{action} the {topic} for {{months}} months")
        slots = "  slots { months: int @range(1, 60) }\n"
    elif i % 3 == 1:
        examples.append(f"{action} the {topic} on my {{account}} account")
        slots = "  slots { account: t.AccountKind }\n"
    else:
        examples.append(f"can you {action} my {topic} please")
    name = f"{action.replace(' ', '_')}_{topic.replace(' ', '_')}"
    lines = ",\n".join(f'    "{e}"' for e in examples)
    return (f"// Generated: {action} {topic}.\nintent {name} {{\n  examples = [\n{lines},\n  ]\n"
            f"{slots}  threshold = 0.6\n}}\n")


def synthetic_project(root: Path, intents: int = GOAL_INTENTS) -> int:
    """Copy the real project to `root` and add generated intents up to `intents` in all;
    returns how many were added."""
    shutil.copytree(PROJECT, root, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    toml = (root / "pops.toml").read_text(encoding="utf-8")
    (root / "pops.toml").write_text(toml.replace('name = "northbank-chat"',
                                                 f'name = "northbank-chat-{intents}"'),
                                    encoding="utf-8")
    pairs = [(a, tp) for tp in TOPICS for a in ACTIONS][:intents - 12]
    body = "".join(synthetic_intent(i, a, tp) for i, (a, tp) in enumerate(pairs))
    (root / "bank" / "synthetic.pops").write_text(
        "// Generated by bench/intent_router.py for the speed measurement.\n"
        "import bank.types as t\n\n" + body, encoding="utf-8")
    return len(pairs)


# ---- speed --------------------------------------------------------------------------------

WORDS = re.compile(r"\w+")


def baseline(text: str) -> list[str]:
    """The least a matcher does with a text: lower-case it and split it into words."""
    return WORDS.findall(text.lower())


def one_core() -> str:
    """Pin this process to one CPU, where the OS allows it; says which."""
    if hasattr(os, "sched_setaffinity"):
        cpu = min(os.sched_getaffinity(0))
        os.sched_setaffinity(0, {cpu})
        return f"pinned to CPU {cpu}"
    return "not pinned (no sched_setaffinity)"


def per_text(fn: t.Callable[[str], t.Any], texts: list[str], min_time: float) -> float:
    """CPU seconds per text of `fn` over `texts`, looping until `min_time` has passed."""
    loops = 0
    start = time.process_time()
    while True:
        for text in texts:
            fn(text)
        loops += 1
        spent = time.process_time() - start
        if spent >= min_time:
            return spent / (loops * len(texts))


def time_speed(route: t.Callable[[str], t.Any], texts: list[str], repeat: int,
               min_time: float) -> dict[str, float]:
    """Medians of `repeat` rounds of `route` and the baseline, taken in turns."""
    routes, bases = [], []
    for _ in range(repeat):
        routes.append(per_text(route, texts, min_time))
        bases.append(per_text(baseline, texts, min_time))
    r, b = statistics.median(routes), statistics.median(bases)
    return {"route_us": r * 1e6, "matches_per_s": 1 / r, "baseline_us": b * 1e6,
            "baseline_per_s": 1 / b, "ratio": r / b}


def measure_speed(cases: list[dict[str, t.Any]], tmp: Path, intents: int, repeat: int,
                  min_time: float) -> dict[str, t.Any]:
    """Build the synthetic project of `intents` intents and time its router."""
    added = synthetic_project(tmp / "project", intents)
    package = build_package(tmp / "project", tmp / "out")
    count = len(package.router.intents)
    texts = [c["text"] for c in cases]
    start = time.process_time()
    package.route(texts[0])  # the router compiles its patterns and index on first use
    index_ms = (time.process_time() - start) * 1e3
    speed = time_speed(package.route, texts, repeat, min_time)
    return {"intents": count, "generated": added, "texts": len(texts), "index_ms": index_ms,
            "repeat": repeat, "min_time": min_time, **speed}


# ---- report -------------------------------------------------------------------------------

def _call(intent: str | None, slots: dict[str, t.Any]) -> str:
    if intent is None:
        return "none"
    inner = ", ".join(f"{k}={json.dumps(v)}" for k, v in sorted(slots.items()))
    return f"{intent}({inner})" if inner else intent


def print_accuracy(scores: dict[str, t.Any], intents: int) -> None:
    met = "met" if scores["accuracy"] >= GOAL_ACCURACY else "NOT met"
    print(f"Intent router on {DATA.relative_to(REPO)}: {scores['cases']} utterances, "
          f"{scores['positives']} for {intents} intents, {scores['negatives']} negatives")
    print(f"  accuracy (intent and slots)  {scores['accuracy']:.3f}   goal >= {GOAL_ACCURACY}: {met}")
    print(f"  intent accuracy              {scores['intent_accuracy']:.3f}")
    print(f"  precision on negatives       {scores['negative_precision']:.3f}   (routed to none / negatives)")
    print(f"  positives: precision         {scores['precision']:.3f}   (right intent / texts routed to one)")
    print(f"  positives: recall            {scores['recall']:.3f}   (right intent / positive texts)")
    print("  answers by matcher           " + ", ".join(f"{k} {v}" for k, v in scores["matchers"].items()))
    print("  right per intent             " + ", ".join(
        f"{k} {r}/{n}" for k, (r, n) in scores["per_intent"].items()))
    swept = scores["sweep"]
    print(f"  closest intent of a positive is its label (ignoring thresholds): "
          f"{swept['top1_positives']:.3f}")
    print("  accuracy with one threshold for all: " +
          ", ".join(f"{k} {v:.3f}" for k, v in swept["accuracy_at"].items()))
    print(f"misses ({len(scores['misses'])}):")
    for m in scores["misses"]:
        got = _call(m["got"], m["slots"])
        how = f" {m['confidence']} {m['matcher']}" if m["matcher"] else ""
        print(f"  {m['text']!r}\n      expected {_call(m['expected'], m['expected_slots'])}, got {got}{how}")


def print_speed(speed: dict[str, t.Any], pinned: str) -> None:
    met = "met" if speed["matches_per_s"] > GOAL_MATCHES_PER_S else "NOT met"
    print(f"Speed with {speed['intents']} intents ({speed['generated']} generated), "
          f"{speed['texts']} texts, {pinned}; median of {speed['repeat']} rounds of "
          f">= {speed['min_time']} s CPU")
    print(f"  route      {speed['matches_per_s']:>10,.0f} matches/s  {speed['route_us']:8.2f} us/text"
          f"   goal > {GOAL_MATCHES_PER_S:,}: {met}")
    print(f"  baseline   {speed['baseline_per_s']:>10,.0f} texts/s    {speed['baseline_us']:8.2f} us/text"
          "   (lower() + one regex findall)")
    print(f"  ratio      route costs {speed['ratio']:.1f} baselines; index built on first use "
          f"in {speed['index_ms']:.0f} ms CPU")


def run(repeat: int = 7, min_time: float = 0.2, intents: int = GOAL_INTENTS,
        quiet: bool = False, pin: bool = False) -> dict[str, t.Any]:
    """Both measurements, on one CPU if `pin` (for good: the script's process only);
    prints them unless `quiet`. Returns the numbers."""
    pinned = one_core() if pin else "not pinned"
    cases = load_cases()
    with tempfile.TemporaryDirectory(prefix="intent-router-") as tmp:
        package = build_package(PROJECT, Path(tmp) / "real")
        scores = evaluate(package.route, cases)
        scores["sweep"] = sweep(lambda text: package.router.rank(text, limit=1), cases,
                                SWEEP)
        real_intents = len(package.router.intents)
        speed = measure_speed(cases, Path(tmp), intents, repeat, min_time)
    if not quiet:
        print_accuracy(scores, real_intents)
        print()
        print_speed(speed, pinned)
    return {"accuracy": scores, "speed": speed, "pinned": pinned}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=7, help="timed rounds (median taken)")
    parser.add_argument("--min-time", type=float, default=0.2, help="CPU seconds per round")
    parser.add_argument("--intents", type=int, default=GOAL_INTENTS,
                        choices=range(12, 12 + len(TOPICS) * len(ACTIONS) + 1), metavar="12..100",
                        help="intents in the speed project (12 real, the rest generated)")
    parser.add_argument("--json", help="also write the numbers to this file")
    args = parser.parse_args(argv)
    data = run(args.repeat, args.min_time, args.intents, pin=True)
    if args.json:
        Path(args.json).write_text(json.dumps(data, indent=2, sort_keys=True) + "\n",
                                   encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
