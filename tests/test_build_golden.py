"""Golden builds: every file `popsc build --target python` writes for each example, kept
under `tests/golden/build/<example>/` for review. `bundle.json` is stored indented (the
build writes it compact), so that a change to the IR reads as a diff.

`pytest tests/test_build_golden.py --update-golden` rewrites the goldens; review the
diff before committing it."""

from __future__ import annotations

import difflib
import json
import shutil
from pathlib import Path

import pytest

from promptlang import driver

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "build"
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))


def _reviewable(rel: str, content: bytes) -> bytes:
    if rel == "bundle.json":
        data = json.loads(content)
        return (json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False) + "\n").encode()
    return content


def _built(example: Path, tmp_path: Path) -> dict[str, bytes]:
    copy = tmp_path / example.name
    shutil.copytree(example, copy, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    result = driver.build(str(copy), out=str(tmp_path / "out"), use_cache=False,
                          targets=["python"])
    assert not result.check.has_errors
    return {rel: _reviewable(rel, (result.out / rel).read_bytes()) for rel in result.written}


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_build_matches_its_golden(example, tmp_path, request):
    actual = _built(example, tmp_path)
    folder = GOLDEN / example.name
    if request.config.getoption("--update-golden"):
        shutil.rmtree(folder, ignore_errors=True)
        for rel, content in actual.items():
            (folder / rel).parent.mkdir(parents=True, exist_ok=True)
            (folder / rel).write_bytes(content)
        return
    expected = {str(p.relative_to(folder)): p.read_bytes()
                for p in sorted(folder.rglob("*")) if p.is_file()}
    assert sorted(actual) == sorted(expected), "the build writes other files than the golden"
    for rel, content in actual.items():
        if content != expected[rel]:
            diff = difflib.unified_diff(expected[rel].decode().splitlines(),
                                        content.decode().splitlines(),
                                        f"golden/{rel}", f"built/{rel}", lineterm="", n=2)
            pytest.fail(f"{rel} differs from its golden (run with --update-golden and review):\n"
                        + "\n".join(list(diff)[:80]))
