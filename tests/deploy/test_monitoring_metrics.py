"""What the monitoring rules read from the gateway's metrics: a cost counter at list
prices, and latency buckets at the bounds objectives are written with."""

from __future__ import annotations

from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from promptlang import driver
from promptlang.driver import _project_info
from promptlang.emit import monitoring
from promptlang.lower import lower
from promptlang.runtime.metrics import LATENCY_BUCKETS
from promptlang.runtime.metrics import Metrics
from promptlang.runtime.record import CallRecord
from promptlang.runtime.record import PromptInfo

ROOT = Path(__file__).resolve().parents[2]


def _call(provider: str, model: str, latency: float = 1.2) -> CallRecord:
    return CallRecord(prompt=PromptInfo(name="support.prompts.answer_ticket", version="2.1.0"),
                      inputs=None, provider=provider, model=model, started_at=0.0,
                      latency_s=latency, attempts=1, input_tokens=1000, output_tokens=500)


def _samples(metrics: Metrics, name: str) -> dict[tuple, float]:
    families = text_string_to_metric_families(metrics.exposition().decode())
    return {tuple(sorted(s.labels.items())): s.value
            for f in families for s in f.samples if s.name == name}


def test_cost_is_counted_at_list_prices_per_prompt_and_version():
    """gpt-4o lists $2.50 per million input and $10 per million output tokens:
    1,000 in and 500 out cost $0.0075. A model without a price adds nothing."""
    metrics = Metrics()
    metrics.observe(_call("openai", "gpt-4o"))
    metrics.observe(_call("openai", "gpt-4o"))
    metrics.observe(_call("acme", "in-house-1"))
    cost = _samples(metrics, "popsc_prompt_cost_usd_total")
    assert cost == {(("prompt", "support.prompts.answer_ticket"), ("version", "2.1.0")): 0.015}


def test_pricing_can_be_given():
    metrics = Metrics(pricing=lambda provider, model, i, o: 0.5 if model == "in-house-1" else None)
    metrics.observe(_call("acme", "in-house-1"))
    assert list(_samples(metrics, "popsc_prompt_cost_usd_total").values()) == [0.5]


def test_every_latency_objective_of_the_examples_is_a_bucket():
    """The rules count calls slower than an objective with the bucket at its bound; the
    examples' bounds are all buckets, so the count is exact, not the bucket below."""
    bounds = set()
    for example in sorted((ROOT / "examples").glob("*/pops.toml")):
        result = driver.check(str(example.parent), use_cache=False, need_program=True)
        program = lower(result.program, _project_info(result.project))
        bounds |= {float(r["value"]) for env in program.environments
                   for r in env.settings.get("monitor", []) if r["metric"].startswith("latency_")}
    assert bounds and all(b in LATENCY_BUCKETS for b in bounds)
    assert all(monitoring.latency_bucket(b) == b for b in bounds)


def test_the_rules_bucket_labels_are_those_the_gateway_exports():
    """`le="1.5"`, `le="4.0"`: the rules select buckets by the text prometheus_client writes."""
    metrics = Metrics()
    metrics.observe(_call("openai", "gpt-4o", latency=3.2))
    exported = {dict(k)["le"] for k in _samples(metrics, "popsc_prompt_latency_seconds_bucket")}
    from prometheus_client.utils import floatToGoString
    assert {floatToGoString(b) for b in LATENCY_BUCKETS} <= exported
    assert {"1.5", "4.0", "0.8"} <= exported
