"""Prometheus metrics of prompt calls, labelled by prompt and version: what the
`monitor` blocks' objectives (latency percentiles, error rate, tokens, policy
violations, cost) are computed from."""

from __future__ import annotations

from collections.abc import Callable
from collections.abc import Sequence

from prometheus_client import CollectorRegistry
from prometheus_client import Counter
from prometheus_client import Histogram
from prometheus_client import generate_latest

from promptlang.runtime.config import ModelConfig
from promptlang.runtime.record import CallRecord

# What a call cost in US dollars from its provider, model name and tokens; None: unpriced.
Pricing = Callable[[str, str, int, int], float | None]


def list_price(provider: str, model: str, input_tokens: int, output_tokens: int) -> float | None:
    """The call's cost at the list prices popsc ships (`promptlang/testing/prices.json`,
    the table `popsc test` uses); None for a model the table does not have."""
    from promptlang.testing.prices import lookup  # the table is read only when needed

    price = lookup(ModelConfig(provider=provider, name=model))
    return price.cost(input_tokens, output_tokens) if price else None

LABELS = ("prompt", "version")
# Model calls take from a fraction of a second to a minute or two. The bounds people
# write in `slo latency_pNN < ...` (800ms, 1500ms, 2s, 3s, 4s, 8s, ...) are buckets, so
# that the monitoring target's rules count exactly the calls slower than the objective.
LATENCY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.8, 1.0, 1.5, 2.0, 2.5, 3.0, 4.0, 5.0, 8.0, 10.0,
                   15.0, 20.0, 30.0, 60.0, 120.0)


class Metrics:
    """The metric families of calls and of intent routing, registered in their own registry by default so that
    creating two (one per test, one per app) never clashes; pass
    `prometheus_client.REGISTRY` to expose them with the process's other metrics.
    `observe` is a call observer: `call(..., on_metrics=metrics.observe)`."""

    def __init__(self, registry: CollectorRegistry | None = None, *,
                 buckets: Sequence[float] = LATENCY_BUCKETS, pricing: Pricing = list_price) -> None:
        self.pricing = pricing
        self.registry = registry if registry is not None else CollectorRegistry()
        self.latency = Histogram(
            "popsc_prompt_latency_seconds", "Prompt call latency, retries and fallbacks included",
            LABELS, buckets=buckets, registry=self.registry)
        self.tokens = Counter(
            "popsc_prompt_tokens_total", "Tokens of every answer received, by direction",
            (*LABELS, "direction"), registry=self.registry)
        self.cost = Counter(
            "popsc_prompt_cost_usd_total",
            "Model spend in US dollars at list prices; calls to a model with no price add nothing",
            LABELS, registry=self.registry)
        self.errors = Counter(
            "popsc_prompt_errors_total", "Failed prompt calls, by error kind",
            (*LABELS, "kind"), registry=self.registry)
        self.violations = Counter(
            "popsc_policy_violations_total", "Runtime policy rule matches, by policy",
            (*LABELS, "policy"), registry=self.registry)
        self.intent_matches = Counter(
            "popsc_intent_matches_total", "Texts routed to an intent (confidence at or over its threshold)",
            ("intent",), registry=self.registry)
        self.intent_low_confidence = Counter(
            "popsc_intent_low_confidence_total",
            "Texts whose closest intent stayed under its threshold (counted as misses too)",
            ("intent",), registry=self.registry)
        self.intent_misses = Counter(
            "popsc_intent_misses_total", "Texts routed to no intent", registry=self.registry)

    def observe(self, record: CallRecord) -> None:
        """Count one finished call. Latency is observed for every call, failed or not, so
        that the histogram's count is the number of calls (the error rate's divisor)."""
        labels = (record.prompt_name, record.prompt_version)
        self.latency.labels(*labels).observe(record.latency_s)
        self.tokens.labels(*labels, "input").inc(record.input_tokens)
        self.tokens.labels(*labels, "output").inc(record.output_tokens)
        cost = self.pricing(record.provider, record.model, record.input_tokens, record.output_tokens)
        if cost:
            self.cost.labels(*labels).inc(cost)
        if record.error is not None:
            self.errors.labels(*labels, record.error.kind).inc()
        for violation in record.violations:
            self.violations.labels(*labels, violation.policy).inc()

    def observe_route(self, intent: str | None, closest: str | None) -> None:
        """Count one routed text: `intent` is where it went (None: nowhere), `closest` the
        best candidate that stayed under its threshold, if any. The match rate the
        `monitor` blocks speak of is matches / (matches + misses)."""
        if intent is not None:
            self.intent_matches.labels(intent).inc()
            return
        self.intent_misses.inc()
        if closest is not None:
            self.intent_low_confidence.labels(closest).inc()

    def exposition(self) -> bytes:
        """The registry in the Prometheus text format, for a `/metrics` endpoint."""
        return generate_latest(self.registry)
