"""Smoke test of bench/gateway_load.py at a tiny size: both servers start, every request
is answered 200, and the report has its figures. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_gateway_load_measures_both_servers_and_reports(capsys):
    spec = importlib.util.spec_from_file_location("bench_gateway_load",
                                                  REPO / "bench" / "gateway_load.py")
    bench = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = bench
    spec.loader.exec_module(bench)
    data = bench.run(requests=40, rounds=1, connections=2, max_seconds=30)
    assert data["failures"] == 0
    assert set(data["medians"]) == {"gateway", "minimal"}
    for name, runs in data["samples"].items():
        assert runs[0]["requests"] == 80, name  # 40 at one connection, 40 over two
        assert data["medians"][name]["rps"] > 0
    bench.print_report(data)
    assert "gateway adds" in capsys.readouterr().out
