"""Collects every `tests/cases/**/*.txtar` as a test; `--update-golden` rewrites outputs."""

from __future__ import annotations

import difflib

import pytest

from golden import Archive
from golden import run_case


def pytest_addoption(parser):
    parser.addoption("--update-golden", action="store_true",
                     help="rewrite the out/ sections of golden cases instead of comparing")


def pytest_collect_file(parent, file_path):
    if file_path.suffix == ".txtar" and "cases" in file_path.parts:
        return GoldenFile.from_parent(parent, path=file_path)
    return None


class GoldenFile(pytest.File):
    def collect(self):
        yield GoldenCase.from_parent(self, name=self.path.stem)


class GoldenCase(pytest.Item):
    """One case: check its inputs, compare each out/ section with what popsc prints."""

    # No fixtures; but plugins' hooks (pytest-lsp's `pytest_runtest_call`) expect every
    # item to have them.
    funcargs: dict = {}

    def runtest(self):
        archive = Archive.parse(self.path.read_text(encoding="utf-8"))
        workdir = self.config._tmp_path_factory.mktemp(self.path.stem)
        actual = run_case(archive, workdir)
        expected = {k: v for k, v in archive.sections.items() if k.startswith("out/")}
        if self.config.getoption("--update-golden") or not expected:
            for name, text in actual.items():
                archive.sections[name] = text
            self.path.write_text(archive.format(), encoding="utf-8")
            if not expected:
                pytest.fail(f"wrote missing outputs of {self.path.name}; review them and run again")
            return
        for name, text in actual.items():
            if expected.get(name, "") != text:
                raise GoldenMismatch(name, expected.get(name, ""), text)

    def repr_failure(self, excinfo):
        if isinstance(excinfo.value, GoldenMismatch):
            name, want, got = excinfo.value.args
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                f"expected {name}", f"actual {name}"))
            return f"{self.path}: {name} differs (run pytest --update-golden to accept)\n{diff}"
        return super().repr_failure(excinfo)

    def reportinfo(self):
        return self.path, 0, f"golden: {self.path.name}"


class GoldenMismatch(Exception):
    """An out/ section differs from what popsc produces."""
