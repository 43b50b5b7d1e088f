"""Finding a project's modules: linked folders, reserved names, pops.toml keys."""

from __future__ import annotations

import os

import pytest

from promptlang import driver

CONFIG = '[project]\nname = "t"\n'


def _codes(result):
    return [(d.span.file, d.code) for d in result.diagnostics]


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symbolic links")
def test_linked_folder_inside_the_root_is_followed(tmp_path):
    """A link to a folder inside the project gives its modules under the link's name
    too, and a link back up the tree does not loop."""
    (tmp_path / "pops.toml").write_text(CONFIG)
    (tmp_path / "real").mkdir()
    (tmp_path / "real" / "m.pops").write_text("type X { a: string }\n")
    os.symlink(tmp_path / "real", tmp_path / "linked")
    os.symlink(tmp_path, tmp_path / "real" / "up")
    (tmp_path / "main.pops").write_text("import linked.m\nimport real.m as r\ntype Y { x: linked.m.X, y: r.X }\n")
    assert driver.check(str(tmp_path), use_cache=False).diagnostics == []


def test_a_project_folder_named_std_is_refused(tmp_path):
    """`std.*` names belong to the standard library; a project file cannot take one."""
    (tmp_path / "pops.toml").write_text(CONFIG)
    (tmp_path / "std").mkdir()
    (tmp_path / "std" / "policies.pops").write_text("enum Mine { a }\n")
    (tmp_path / "main.pops").write_text("import std.policies\napply std.policies.no_secrets to *\n")
    assert _codes(driver.check(str(tmp_path), use_cache=False)) == [("std/policies.pops", "E0205")]


def test_top_level_key_in_config_says_where_it_belongs(tmp_path):
    """`name = ...` above `[project]` is reported with the section it belongs in."""
    (tmp_path / "pops.toml").write_text('name = "x"\n[project]\nname = "y"\n')
    result = driver.check(str(tmp_path), use_cache=False)
    assert [(d.code, d.message, d.help) for d in result.diagnostics] == [
        ("E0601", "unknown top-level key `name`", "put it under `[project]`")]


def test_warm_and_cold_runs_order_diagnostics_alike(tmp_path):
    """Diagnostics of pops.toml and of modules come in the same order from the cache."""
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\nfoo = 1\n')
    (tmp_path / "a.pops").write_text("type A { x: Nope }\n")
    cold = driver.check(str(tmp_path))
    warm = driver.check(str(tmp_path))
    assert cold.diagnostics == warm.diagnostics
    assert [d.span.file for d in cold.diagnostics] == ["a.pops", "pops.toml"]
