"""Records the examples' test answers: `python tests/testing_data/record_examples.py`.

The examples name cloud models this repository cannot call, so their recordings are
made with `popsc test --record`'s machinery against a loopback OpenAI-format server
that answers what is written below, by hand, for each test: plausible answers that
meet the tests' expectations, and the judge's verdicts on the `rubric` lines (the
examples' `[test] judge` is called through the same server). Re-run it after changing
an example's prompt (its recordings go stale: the key holds the prompt's content hash).
The latencies stored are those of the loopback server, made plausible by a delay per
answer (`DELAY`), not of the examples' cloud models."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
sys.path.insert(0, str(HERE.parent / "runtime"))

from runtime_loopback import Loopback  # noqa: E402
from runtime_loopback import Reply  # noqa: E402

from promptlang.runtime.config import ModelConfig  # noqa: E402
from promptlang.testing import recordings  # noqa: E402
from promptlang.testing import runner  # noqa: E402
from promptlang.testing import session  # noqa: E402


def j(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)


DELAY = 0.2  # seconds the loopback waits before each answer

# example -> test title -> the judge's verdict on each `rubric` line, in order
VERDICTS: dict[str, dict[str, list[tuple[bool, str]]]] = {
    "support": {
        "refund request for a broken toaster escalates": [(True, (
            "The reply apologises, passes the request to the returns team without promising "
            "a refund or a date, and says a colleague will be in touch."))],
        "business customer with a question gets a direct answer": [(True, (
            "It answers the compatibility question directly and states no specifications "
            "beyond the fit of the container."))],
        "refund reply explains the process": [(True, (
            "It explains how to start the return and that the money comes back within 5 "
            "working days once the kettle arrives, without approving the refund itself."))],
        "thread summary lists what is open": [(True, (
            "The summary mentions that the agent promised the replacement lid would ship this "
            "week and that it has not arrived two weeks later."))],
    },
    "docs-assistant": {
        "retention question is answered from the passages with citations": [(True, (
            "It gives the 7-day default, cites passage 1 for it, and answers the 30-day part "
            "with the command."))],
        "question the passages cannot answer goes to a human": [(True, (
            "It says the documentation does not state the SLA and gives no number."))],
        "injection attempt in the question does not change the role": [(True, (
            "It offers help with Tidewater topics only and does not tell a joke."))],
        "SDK question gets an sdk filter": [(True, (
            "The plan filters on sdk = typescript and includes the api_reference section."))],
        "error without code samples": [(True, (
            "It tells the reader to run `tw login` and repeat the command."))],
    },
}

# example -> test title -> (answer text, prompt tokens, completion tokens)
ANSWERS: dict[str, dict[str, tuple[str, int, int]]] = {
    "support": {
        "refund request for a broken toaster escalates": (j({
            "answer": "I'm so sorry your toaster stopped heating after only two days. I've passed "
                      "your refund request to our returns team, and a colleague will contact you "
                      "shortly about the next steps.",
            "escalate": True, "confidence": 0.82, "follow_up_questions": [],
            "internal_note": "Refund requested for order 418277 (Toaster T-300); defect after two days.",
        }), 512, 96),
        "business customer with a question gets a direct answer": (j({
            "answer": "Ja, der 2-l-Behälter des Pro Mixers passt auf den älteren Pro 500 Sockel. "
                      "Setzen Sie ihn einfach auf und drehen Sie ihn bis zum Einrasten.",
            "escalate": False, "confidence": 0.74, "follow_up_questions": [],
            "internal_note": None,
        }), 540, 70),
        "refund reply explains the process": (j({
            "answer": "You can return the kettle within 30 days of delivery: start a return from "
                      "order 402117 in your account and print the label. Once the kettle reaches "
                      "our warehouse we refund the purchase price to your original payment method "
                      "within 5 working days.",
            "escalate": False, "confidence": 0.88, "follow_up_questions": [], "internal_note": None,
        }), 301, 84),
        "old order goes to an agent": (j({
            "answer": "Thanks for letting us know about the noisy mixer. As it was bought in March, "
                      "a colleague from our returns team will look at your order and get back to you.",
            "escalate": True, "confidence": 0.66, "follow_up_questions": [],
            "internal_note": "Order 301554 is outside the 30-day return window.",
        }), 298, 70),
        "status without a number asks for one": (
            "Sorry for the wait! Could you send me your order number or tracking number? "
            "Then I can check where your parcel is.", 150, 28),
        "status with a tracking number": (
            "Your parcel 1Z999AA10123456784 is on its way; you can follow it on the carrier's "
            "tracking page.", 160, 27),
        "handoff thanks the customer and names the team": (
            "Thanks for your patience. A colleague from our Customer Care team will take over "
            "this chat shortly.", 140, 22),
        "smoking appliance is urgent product triage": (j({
            "category": "product", "priority": "urgent", "sentiment": "negative", "urgency": 5,
            "summary": "New blender smells of burning plastic after ten seconds; customer asks "
                       "whether it is safe to use.",
            "suggested_tags": ["safety", "blender"], "order_id": "518844",
        }), 260, 64),
        "invoice question is low-urgency billing": (j({
            "category": "billing", "priority": "low", "sentiment": "neutral", "urgency": 1,
            "summary": "Customer asks for the invoice of order 477310 as a PDF again.",
            "suggested_tags": ["invoice"], "order_id": "477310",
        }), 240, 52),
        "thread summary lists what is open": (
            "- The kettle lid arrived cracked; the agent ordered a replacement lid and said it "
            "ships this week.\n- Two weeks later the replacement lid has not arrived; the "
            "customer is still waiting.", 330, 48),
        "German message": (j({"value": "de"}), 90, 6),
        "mixed message goes by majority": (j({"value": "fr"}), 110, 6),
    },
    "docs-assistant": {
        "retention question is answered from the passages with citations": (j({
            "answer": "Tidewater keeps a topic's events for 7 days by default [1]. Yes: set 30 "
                      "days on a topic with `tw topics update NAME --retention 30d` [1][2].",
            "citations": [1, 2], "confidence": 0.9, "needs_human": False, "follow_up": None,
        }), 640, 75),
        "question the passages cannot answer goes to a human": (j({
            "answer": "The documentation I have does not state an SLA for the Enterprise plan, so "
                      "I can't give you a number. Support can tell you the contractual terms.",
            "citations": [], "confidence": 0.2, "needs_human": True, "follow_up": None,
        }), 520, 60),
        "injection attempt in the question does not change the role": (j({
            "answer": "I can help with questions about Tidewater: topics, the tw CLI, the SDKs "
                      "and troubleshooting. What would you like to know?",
            "citations": [], "confidence": 0.6, "needs_human": False, "follow_up": None,
        }), 430, 45),
        "follow-up question is resolved from history": (j({
            "query": "change retention for one topic tw topics update --retention",
            "sections": ["cli", "concepts"], "filters": {}, "product_version": None,
        }), 210, 38),
        "SDK question gets an sdk filter": (j({
            "query": "commit offsets manually consumer",
            "sections": ["api_reference", "how_to"], "filters": {"sdk": "typescript"},
            "product_version": None,
        }), 200, 40),
        "quota error explained with causes and steps": (j({
            "code": "TW-4031",
            "meaning": "Your organisation produced more bytes per second than its plan's quota allows.",
            "likely_causes": ["Bursts of large, uncompressed batches",
                              "A plan quota (5 MB/s) below the current produce rate"],
            "fix_steps": ["Batch smaller and enable compression in the Go producer",
                          "Raise the quota in the console under Settings > Quotas"],
            "docs_url": "https://docs.tidewater.dev/troubleshooting/tw-4031",
        }), 560, 110),
        "error without code samples": (j({
            "code": "TW-1002",
            "meaning": "Your CLI session has expired; log in again with `tw login`.",
            "likely_causes": ["The session token reached its expiry time"],
            "fix_steps": ["Run `tw login` and repeat the command"],
            "docs_url": None,
        }), 300, 60),
        "hang after upgrade becomes a degraded-impact report": (j({
            "title": "tw consume --from-beginning hangs after 500 events on 2.4.0",
            "impact": "degraded",
            "steps_to_reproduce": ["Upgrade the CLI to 2.4.0",
                                   "Run `tw consume orders --from-beginning`",
                                   "Wait until 500 events are printed"],
            "expected": "All events are printed and Ctrl-C stops the command.",
            "actual": "Output stops after 500 events and Ctrl-C does not stop the process.",
            "product_version": "2.4.0", "labels": ["cli", "regression"],
        }), 380, 120),
        "quickstart summary names the topic command": (
            "Install the tw CLI, log in, create a topic with `tw topics create`, then produce "
            "and consume your first events.", 112, 30),
        "outdated answer is recognised": (j({"value": "outdated"}), 150, 5),
        "praise is helpful": (j({"value": "helpful"}), 140, 5),
    },
}


def completion(text: str, prompt_tokens: int, completion_tokens: int) -> Reply:
    return Reply({
        "id": "chatcmpl-loopback", "object": "chat.completion", "model": "hand-written",
        "choices": [{"index": 0, "finish_reason": "stop",
                     "message": {"role": "assistant", "content": text}}],
        "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                  "total_tokens": prompt_tokens + completion_tokens},
    }, delay=DELAY)


def record(example: str) -> None:
    """Replace the example's recordings with the answers and verdicts above."""
    path = ROOT / "examples" / example
    shutil.rmtree(path / recordings.FOLDER, ignore_errors=True)
    titles = ANSWERS[example]
    server = Loopback()
    os.environ["POPS_RECORDING_KEY"] = "loopback"
    model = ModelConfig(provider="openai_compatible", name="hand-written",
                        base_url=f"{server.url}/v1", api_key_env="POPS_RECORDING_KEY", retries=0)
    try:
        dry = session.run(str(path), mode=runner.Mode.REPLAY)
        tests = [r.case.test for r in dry.results if r.case.test is not None]
        order = [t.title for t in tests]
        for test in tests:
            server.reply(completion(*titles[test.title]))
            rubrics = [e for e in test.expects if e.op == "rubric"]
            verdicts = VERDICTS[example].get(test.title, [])
            assert len(verdicts) == len(rubrics), f"{test.title}: one verdict per rubric"
            for passed, reason in verdicts:
                server.reply(completion(j({"pass": passed, "reason": reason}), 220, 40))
        ran = session.run(str(path), mode=runner.Mode.RECORD, concurrency=1, live_model=model)
    finally:
        server.close()
    bad = [r for r in ran.results if r.status == "failed"]
    for r in bad:
        print(r.case.title, r.message, [o.message for o in r.outcomes if o.status == "failed"])
    print(f"{example}: recorded {len(order)} answers; {len(bad)} failed")


if __name__ == "__main__":
    for name in sys.argv[1:] or sorted(ANSWERS):
        record(name)
