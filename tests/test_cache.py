"""The check cache: same answers warm or cold, and a change re-checks only what it affects."""

from __future__ import annotations

from promptlang import checks
from promptlang import driver

TYPES = 'type Ticket { body: string }\n'
USER = 'from types import Ticket\ntemplate t(x: Ticket) """{{ x.bdy }}"""\n'
OTHER = 'enum Color { red, green }\n'


def _project(tmp_path):
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\nversion = "0.1.0"\n')
    (tmp_path / "types.pops").write_text(TYPES)
    (tmp_path / "user.pops").write_text(USER)
    (tmp_path / "other.pops").write_text(OTHER)
    return tmp_path


def _count_checks(monkeypatch):
    seen = []
    real = checks.check_module

    def counting(program, scope):
        seen.append(scope.module)
        return real(program, scope)

    monkeypatch.setattr(checks, "check_module", counting)
    return seen


def test_warm_check_gives_the_same_diagnostics(tmp_path):
    """A second run answers from the cache with identical diagnostics."""
    root = _project(tmp_path)
    cold = driver.check(str(root))
    warm = driver.check(str(root))
    assert cold.diagnostics == warm.diagnostics
    assert [d.code for d in cold.diagnostics] == ["E0204"]
    assert warm.program is None  # nothing was re-checked
    assert (root / ".popsc-cache").is_dir()


def test_change_rechecks_only_the_file_and_its_dependents(tmp_path, monkeypatch):
    """Editing `types` re-checks `types` and `user` (which imports it), not `other`."""
    root = _project(tmp_path)
    driver.check(str(root))
    seen = _count_checks(monkeypatch)
    (root / "types.pops").write_text('type Ticket { bdy: string }\n')
    result = driver.check(str(root))
    assert sorted(seen) == ["types", "user"]
    assert result.diagnostics == []


def test_no_cache_writes_nothing(tmp_path):
    """`use_cache=False` leaves no cache folder behind."""
    root = _project(tmp_path)
    driver.check(str(root), use_cache=False)
    assert not (root / ".popsc-cache").exists()


def test_a_file_read_by_file_call_invalidates_the_cache(tmp_path):
    """Deleting a file named by `file("...")` is seen by the next (cached) check."""
    (tmp_path / "pops.toml").write_text('[project]\nname = "t"\n')
    (tmp_path / "notes.txt").write_text("hello")
    (tmp_path / "m.pops").write_text('type T { a: string = file("notes.txt") }\n')
    assert driver.check(str(tmp_path)).diagnostics == []
    (tmp_path / "notes.txt").unlink()
    assert [d.code for d in driver.check(str(tmp_path)).diagnostics] == ["E0315"]
    (tmp_path / "notes.txt").write_text("back")
    assert driver.check(str(tmp_path)).diagnostics == []
