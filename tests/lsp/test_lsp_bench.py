"""Smoke test of bench/lsp_latency.py at a tiny size: it drives the real server through
changes and reports each figure. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def _load():
    spec = importlib.util.spec_from_file_location("bench_lsp_latency", REPO / "bench" / "lsp_latency.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_lsp_latency_runs_and_reports(capsys, tmp_path):
    bench = _load()
    data = bench.run(20, repeat=2, keep=str(tmp_path / "project"))
    module = data["module"]
    assert module["change_to_diagnostics_ms"]["n"] == 2
    assert module["diagnostic_counts"] == [0, 1]  # the edits alternate a mistake and its fix
    assert data["imported_by_all"]["file"] == "models.pops"
    assert data["goal"]["passed"] is False  # N = 20 is not the goal's size
    bench.print_report(data)
    out = capsys.readouterr().out
    assert "change -> diagnostics" in out and "not the goal's size" in out
