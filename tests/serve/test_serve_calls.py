"""`popsc serve` on loopback: typed calls with recorded answers, JSON errors naming the
field, provider failures that leak nothing, routing, feedback, metrics and JSON logs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from shop import ADA
from shop import ECHO
from shop import GREET
from shop import ORDER_HELP
from shop import ORDER_TEXT
from shop import PROMISE_TEXT
from shop import PROVIDER_KEY
from prometheus_client.parser import text_string_to_metric_families
from standin import Failure

from promptlang.serve.gateway import _hashed

BAD_REQUESTS = json.loads((Path(__file__).parent / "data" / "bad_requests.json").read_text())


def canary_key() -> str:
    """A rollout key whose draw lands in the 25% canary (this build's `greet`)."""
    return next(k for k in (f"user-{i}" for i in range(100)) if _hashed(k) < 0.25)


def test_a_prompt_takes_typed_json_and_answers_its_typed_output(gateway):
    response = gateway.client.post(f"/prompts/{GREET}", json=ADA,
                                   headers={"X-Rollout-Key": canary_key(), "X-Request-Id": "req-1"})
    assert response.status_code == 200
    assert response.json() == {"output": {"text": "Welcome back, Ada!", "tone": "warm", "words": 3},
                               "prompt": GREET, "version": "2.0.0", "track": "canary",
                               "request_id": "req-1"}
    assert response.headers["x-prompt-version"] == "2.0.0"
    assert response.headers["x-request-id"] == "req-1"


def test_a_string_output_is_a_json_string(gateway):
    response = gateway.client.post(f"/prompts/{ORDER_HELP}",
                                   json={"order_id": "123456", "question": ORDER_TEXT})
    assert response.status_code == 200
    assert response.json()["output"] == "Order 123456 left our warehouse yesterday."
    assert response.json()["track"] == "current"


@pytest.mark.parametrize("case", BAD_REQUESTS, ids=[c["why"] for c in BAD_REQUESTS])
def test_a_bad_request_is_a_4xx_naming_the_field(gateway, case):
    content = case["raw"].encode() if "raw" in case else json.dumps(case["body"]).encode()
    response = gateway.client.post(case["path"], content=content,
                                   headers={"content-type": "application/json"})
    assert response.status_code == case["status"], response.text
    error = response.json()["error"]
    assert error["code"] == case["code"]
    assert error.get("field") == case["field"]
    assert error["request_id"] == response.headers["x-request-id"]


def test_a_wrong_method_and_a_huge_body_are_json_errors_too(gateway):
    wrong = gateway.client.get(f"/prompts/{GREET}")
    assert (wrong.status_code, wrong.json()["error"]["code"]) == (405, "method_not_allowed")
    huge = gateway.client.post(f"/prompts/{GREET}", content=b"[" + b"1," * 600_000 + b"1]")
    assert (huge.status_code, huge.json()["error"]["code"]) == (413, "too_large")


def test_a_failing_provider_is_a_5xx_that_leaks_neither_key_nor_trace(gateway, standin):
    standin.failure = Failure(500, json.dumps({"error": {
        "message": f"Traceback (most recent call last): bad key {PROVIDER_KEY}"}}))
    try:
        response = gateway.client.post(f"/prompts/{ECHO}", json={"text": "hello"})
    finally:
        standin.failure = None
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "provider_error"
    assert PROVIDER_KEY not in response.text and "Traceback" not in response.text
    assert standin.seen[-1]["authorization"] == f"Bearer {PROVIDER_KEY}"  # from --env's secret


def test_a_live_call_goes_through_the_provider(gateway):
    response = gateway.client.post(f"/prompts/{ECHO}", json={"text": "hello there"})
    assert response.status_code == 200
    assert response.json()["output"] == "hello there"


def test_route_sends_free_text_to_the_intent_and_runs_its_prompt(gateway):
    found = gateway.client.post("/route", json={"text": ORDER_TEXT}).json()
    assert found["intent"] == "shop.prompts.order_question"
    assert found["slots"] == {"order_id": "123456"}
    assert (found["prompt"], found["output"]) == (ORDER_HELP, "Order 123456 left our warehouse yesterday.")
    nowhere = gateway.client.post("/route", json={"text": "do you sell garden gnomes"}).json()
    assert nowhere["intent"] is None


def test_route_names_the_slots_the_text_did_not_give_and_calls_nothing(gateway):
    found = gateway.client.post("/route", json={"text": "what happened to my order"}).json()
    assert found["intent"] == "shop.prompts.order_question"
    assert (found["missing"], found["output"], found["prompt"]) == (["order_id"], None, None)


def test_feedback_is_counted_against_the_prompt_version_that_answered(gateway):
    answer = gateway.client.post(f"/prompts/{GREET}", json=ADA,
                                 headers={"X-Rollout-Key": canary_key()})
    request_id = answer.headers["x-request-id"]
    accepted = gateway.client.post("/feedback", json={"request_id": request_id, "rating": "bad",
                                                      "comment": "too chirpy"})
    assert accepted.status_code == 202
    assert accepted.json() == {"accepted": True, "prompt": GREET, "version": "2.0.0"}
    assert metric(gateway, "popsc_feedback_total", prompt=GREET, version="2.0.0", rating="bad") >= 1


def test_metrics_are_scraped_and_parsed(gateway):
    gateway.client.post(f"/prompts/{ORDER_HELP}", json={"order_id": "123456", "question": ORDER_TEXT})
    gateway.client.post("/route", json={"text": "do you sell garden gnomes"})
    gateway.client.post(f"/prompts/{GREET}", json={"shopper": {}})
    assert metric(gateway, "popsc_prompt_latency_seconds_count", prompt=ORDER_HELP,
                  version="1.0.0") >= 1
    assert metric(gateway, "popsc_intent_misses_total") >= 1
    assert metric(gateway, "popsc_http_requests_total", endpoint=f"/prompts/{ORDER_HELP}",
                  status="200") >= 1
    assert metric(gateway, "popsc_http_requests_total", endpoint=f"/prompts/{GREET}",
                  status="422") >= 1
    assert metric(gateway, "popsc_prompt_tokens_total", prompt=ORDER_HELP, version="1.0.0",
                  direction="input") == 0  # replayed answers carry no token counts


def test_an_answer_an_output_rule_refuses_is_withheld_and_counted(gateway):
    before = metric(gateway, "popsc_policy_violations_total", prompt=ORDER_HELP, version="1.0.0",
                    policy="shop.prompts.no_promises")
    response = gateway.client.post(f"/prompts/{ORDER_HELP}",
                                   json={"order_id": "123456", "question": PROMISE_TEXT})
    assert response.status_code == 502
    assert response.json()["error"]["code"] == "policy_violation"
    assert "guarantee" not in response.text
    after = metric(gateway, "popsc_policy_violations_total", prompt=ORDER_HELP, version="1.0.0",
                   policy="shop.prompts.no_promises")
    assert after == before + 1


def test_logs_are_ecs_json_lines_with_pii_redacted(gateway):
    gateway.client.post(f"/prompts/{GREET}", json=ADA)
    lines = gateway.lines()
    assert all({"@timestamp", "log.level", "message", "ecs.version"} <= set(line) for line in lines)
    calls = [line["popsc"] for line in lines if line.get("popsc", {}).get("event") == "prompt_call"]
    greets = [c for c in calls if c["prompt"] == GREET]
    assert greets and all(c["inputs"]["shopper"]["email"] == "[redacted]" for c in greets)
    assert "ada@example.com" not in gateway.log.read_text()
    requests = [line for line in lines if "http" in line]
    assert requests and all(line["event"]["duration"] > 0 for line in requests)


def metric(gateway, name: str, **labels: str) -> float:
    """The value of one sample of `/metrics`, parsed by the Prometheus client's parser."""
    text = gateway.client.get("/metrics").text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == name and all(sample.labels.get(k) == v for k, v in labels.items()):
                return sample.value
    return 0.0
