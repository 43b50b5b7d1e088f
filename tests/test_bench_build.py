"""Smoke tests of bench/render_speed.py and bench/build_speed.py at a tiny size: they run
and report what they should. No timing is asserted."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def _load(name: str):
    """bench/ is scripts, not a package: load a file of it by path."""
    spec = importlib.util.spec_from_file_location(f"bench_{name}", REPO / "bench" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_render_speed_reports_every_variant_and_goal(capsys):
    render_speed = _load("render_speed")
    data = render_speed.run(n=3, repeat=1, min_time=0.001)
    assert set(data["synthetic"]["us"]) == {
        "generated_render", "generated_message_fn", "fstring_render", "fstring",
        "jinja2_render", "jinja2",
    }
    assert all(v > 0 for v in data["synthetic"]["us"].values())
    assert {"render_over_fstring_render", "message_fn_over_fstring",
            "jinja2_render_over_render"} <= set(data["synthetic"]["ratios"])
    assert "Note: " in data["synthetic"]["text"]
    assert set(data["example"]["us"]) == {"generated_render", "arguments_from_json"}
    assert len(data["goals"]) == 4 and all(isinstance(g["passed"], bool) for g in data["goals"])
    render_speed.print_report(data)
    assert "goal " in capsys.readouterr().out


def test_build_speed_reports_builds_changes_and_imports(capsys):
    build_speed = _load("build_speed")
    data = build_speed.run([3], repeat=1, quiet=True, import_runs=1)
    (row,) = data["summary"]
    for key in ("check_cold_cpu", "build_cold_cpu", "build_warm_cpu", "build_change_cpu",
                "build_over_check", "import_pass_cpu", "import_runtime_cpu",
                "import_package_cpu", "import_module_cpu", "import_from_p0_cpu",
                "import_all_cpu", "import_all_nopyc_cpu", "attrs_ms_per_class"):
        assert row[key] is not None, key
    assert row["changed_files"] == ["bundle.json", "python/synthetic/gen/part_000.py"]
    assert row["change_reported"][0].startswith("wrote 2 files")
    assert row["gen_records"] == 6
    assert [g["passed"] for g in data["goals"]][1] is True  # only what the change affects
    build_speed.print_table(data["summary"])
    build_speed.print_goals(data["goals"])
    out = capsys.readouterr().out
    assert "build/check" in out and "goal " in out
