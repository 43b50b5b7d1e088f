"""The canary of the `rollout` block: `greet` is in production's 25% canary, so about a
quarter of its calls get this build's version (2.0.0) and the rest the `--stable`
build's (1.4.0); a rollout key keeps a caller on one side; metrics count each version."""

from __future__ import annotations

from collections import Counter

from conftest import ADA
from conftest import GREET
from test_serve_calls import metric

CALLS = 400
# Three and a half standard deviations of the binomial count (400 draws at 25%: 8.7
# calls): a correct split fails this about once in four thousand runs.
TOLERANCE = 30


def test_the_canary_gets_its_share_of_calls_within_tolerance(gateway):
    before = {v: metric(gateway, "popsc_prompt_latency_seconds_count", prompt=GREET, version=v)
              for v in ("2.0.0", "1.4.0")}
    versions = Counter()
    for _ in range(CALLS):
        response = gateway.client.post(f"/prompts/{GREET}", json=ADA)
        assert response.status_code == 200
        versions[(response.headers["x-prompt-version"], response.json()["track"])] += 1
    assert set(versions) == {("2.0.0", "canary"), ("1.4.0", "stable")}
    assert abs(versions[("2.0.0", "canary")] - CALLS * 0.25) <= TOLERANCE, versions
    for (version, _), count in versions.items():  # metrics per version agree with the headers
        after = metric(gateway, "popsc_prompt_latency_seconds_count", prompt=GREET, version=version)
        assert after - before[version] == count


def test_a_rollout_key_keeps_a_caller_on_one_version(gateway):
    for key in ("shopper-1", "shopper-2", "shopper-3", "shopper-4"):
        seen = {gateway.client.post(f"/prompts/{GREET}", json=ADA, headers={"X-Rollout-Key": key})
                .headers["x-prompt-version"] for _ in range(10)}
        assert len(seen) == 1, (key, seen)


def test_answers_differ_by_version(gateway):
    answers = {}
    for key in (f"k{i}" for i in range(40)):
        body = gateway.client.post(f"/prompts/{GREET}", json=ADA,
                                   headers={"X-Rollout-Key": key}).json()
        answers[body["version"]] = body["output"]["text"]
    assert answers == {"2.0.0": "Welcome back, Ada!", "1.4.0": "Hello Ada."}


def test_a_rollout_without_a_stable_build_serves_this_build_and_says_why(shop, start):
    served = start([".", "--env", "production"], shop, TEST_SHOP_KEY="unused")
    tracks = {served.client.post(f"/prompts/{GREET}", json=ADA).json()["track"] for _ in range(20)}
    assert tracks == {"current"}
    warnings = [line["message"] for line in served.lines() if line["log.level"] == "warning"]
    assert any("shop.prompts.greet serves this build's version" in w and "--stable" in w
               for w in warnings), warnings
