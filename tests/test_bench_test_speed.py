"""Smoke test of bench/test_speed.py at a tiny size: the recordings it writes make every
synthetic test pass, and it reports what it should. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _load(name: str):
    """bench/ is scripts, not a package: load a file of it by path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_test_speed_records_runs_and_reports(capsys):
    test_speed = _load("test_speed")
    data = test_speed.run(3, repeat=1, quiet=True)
    assert data["recordings"] == 3
    assert data["exit_codes"] == {"test": [0], "check": [0], "pass": [0]}
    assert set(data["medians"]) == {"test", "check", "pass"}
    assert data["tests_per_s_wall"] > 0
    assert data["goal"]["passed"] is False  # N = 3 is not the goal's size
    test_speed.print_report(data)
    out = capsys.readouterr().out
    assert "tests/second" in out and "goal " in out


def test_recordings_satisfy_each_kind_of_expectation(tmp_path):
    test_speed = _load("test_speed")
    sys.path.insert(0, str(REPO / "bench"))
    from gen_project import generate

    from promptlang.testing import session

    generate(tmp_path, 6)
    assert test_speed.write_recordings(tmp_path) == 6
    ran = session.run(str(tmp_path))
    assert [r.status for r in ran.results] == ["passed"] * 6
