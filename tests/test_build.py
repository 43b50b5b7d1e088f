"""`popsc build`: the bundle and manifest, atomic and deterministic writes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import jsonschema
import pytest

from promptlang import driver
from promptlang.emit import files as files_mod
from promptlang.emit.files import FileSet
from promptlang.emit.files import FileSetError
from promptlang.emit.files import write

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = sorted(p.parent for p in (ROOT / "examples").glob("*/pops.toml"))


def _copy(example: Path, tmp_path: Path, name: str) -> Path:
    target = tmp_path / name
    shutil.copytree(example, target, ignore=shutil.ignore_patterns("build", ".popsc-cache"))
    return target


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_bundle_validates_against_its_schema(example, tmp_path):
    """The emitted bundle.json is valid under the emitted JSON Schema."""
    result = driver.build(str(_copy(example, tmp_path, "p")), use_cache=False)
    out = result.out
    schema = json.loads((out / "bundle.schema.json").read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.validate(json.loads((out / "bundle.json").read_text()), schema)
    manifest = json.loads((out / "manifest.json").read_text())
    assert {"bundle.json", "bundle.schema.json"} <= set(manifest["files"])


def test_same_sources_give_byte_identical_artifacts(tmp_path):
    """Two copies of a project, built apart, give the same bytes."""
    first = driver.build(str(_copy(EXAMPLES[0], tmp_path, "a")), use_cache=False).out
    second = driver.build(str(_copy(EXAMPLES[0], tmp_path, "b")), use_cache=True).out
    names = sorted(p.relative_to(first) for p in first.rglob("*") if p.is_file())
    assert names == sorted(p.relative_to(second) for p in second.rglob("*") if p.is_file())
    assert any(str(n).endswith(".py") for n in names)
    for name in names:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_prompt_content_hash_changes_with_its_template(tmp_path):
    """Editing a message changes that prompt's content hash and no other."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "pops.toml").write_text('[project]\nname = "p"\n')
    text = ('model m { provider = "openai", name = "x" }\n'
            'prompt a() {\n  model = m\n  user "hello"\n}\n'
            'prompt b() {\n  model = m\n  user "bye"\n}\n')
    (root / "m.pops").write_text(text)

    def hashes():
        out = driver.build(str(root), use_cache=False).out
        bundle = json.loads((out / "bundle.json").read_text())
        return {p["name"]: p["content_hash"] for p in bundle["program"]["prompts"]}

    before = hashes()
    (root / "m.pops").write_text(text.replace('"hello"', '"hello there"'))
    after = hashes()
    assert before["a"] != after["a"] and before["b"] == after["b"]


def test_nothing_is_written_when_the_check_fails(tmp_path):
    """A program with errors leaves no out folder."""
    root = tmp_path / "p"
    root.mkdir()
    (root / "pops.toml").write_text('[project]\nname = "p"\n')
    (root / "m.pops").write_text("type T { a: Nope }\n")
    result = driver.build(str(root), use_cache=False)
    assert result.check.has_errors and result.written == []
    assert not (root / "build").exists()


def test_stale_files_are_removed_and_others_kept(tmp_path):
    """Files of the previous build that are gone now are removed; files popsc did not
    write are left alone."""
    out = tmp_path / "out"
    old = FileSet()
    old.add("a.txt", "a")
    old.add("sub/b.txt", "b")
    write(old, out)
    (out / "mine.txt").write_text("not popsc's")
    new = FileSet()
    new.add("a.txt", "a2")
    write(new, out)
    assert (out / "a.txt").read_text() == "a2"
    assert not (out / "sub").exists()
    assert (out / "mine.txt").read_text() == "not popsc's"


def test_interrupted_build_leaves_the_previous_one(tmp_path, monkeypatch):
    """A failure while the new files are being written leaves the old build as it was."""
    out = tmp_path / "out"
    old = FileSet()
    old.add("a.txt", "old")
    write(old, out)
    new = FileSet()
    new.add("a.txt", "new")
    new.add("b.txt", "new")
    real = Path.write_bytes
    calls = []

    def failing(self, data):
        calls.append(self)
        if len(calls) == 2:
            raise OSError("disk full (simulated)")
        return real(self, data)

    monkeypatch.setattr(Path, "write_bytes", failing)
    with pytest.raises(OSError):
        write(new, out)
    monkeypatch.undo()
    assert (out / "a.txt").read_text() == "old"
    assert not (out / "b.txt").exists()
    assert json.loads((out / files_mod.MANIFEST).read_text())["files"].keys() == {"a.txt"}


@pytest.mark.parametrize("bad", ["../x", "/etc/x", "manifest.json", ""])
def test_emitters_cannot_write_outside_the_out_folder(bad):
    """Paths that leave the out folder (or clobber the manifest) are refused."""
    with pytest.raises(FileSetError):
        FileSet().add(bad, "x")


def _project_files(root: Path, files: dict[str, str]) -> Path:
    root.mkdir(parents=True, exist_ok=True)
    (root / "pops.toml").write_text('[project]\nname = "p"\n\n[build]\ntargets = ["python"]\n')
    for name, text in files.items():
        (root / name).write_text(text)
    return root


MODULES = {
    "types.pops": "type T { a: string }\n",
    "models.pops": 'model m { provider = "openai", name = "x", api_key = env("K") }\n',
    "one.pops": ('from types import T\nfrom models import m\n'
                 'prompt p1(t: T) {\n  model = m\n  user """{{ t.a }}"""\n}\n'),
    "two.pops": ('from models import m\n'
                 'prompt p2() {\n  model = m\n  user "two"\n}\n'),
    "rules.pops": 'policy guard {\n  deny words ["x"] in output\n}\n',
}


def test_rebuild_regenerates_only_what_a_change_affects(tmp_path):
    """A change to one module regenerates its SDK module and its importers' only; the
    cached modules are byte-identical to freshly generated ones."""
    root = _project_files(tmp_path / "p", MODULES)
    first = driver.build(str(root))
    assert {"python/p/types.py", "python/p/one.py", "python/p/two.py"} <= set(first.regenerated)
    again = driver.build(str(root))
    assert again.regenerated == [] and again.changed == []
    (root / "types.pops").write_text("type T { a: string, b: int = 1 }\n")
    changed = driver.build(str(root))
    assert changed.regenerated == ["python/p/one.py", "python/p/types.py"]
    assert "python/p/two.py" not in changed.changed
    fresh = driver.build(str(root), out=str(tmp_path / "fresh"), use_cache=False)
    for rel in fresh.written:
        assert (fresh.out / rel).read_bytes() == (changed.out / rel).read_bytes(), rel


def test_rebuild_follows_policies_applied_from_elsewhere(tmp_path):
    """`apply` in a module the prompt's module does not import still reaches its code."""
    root = _project_files(tmp_path / "p", MODULES)
    driver.build(str(root))
    (root / "apply.pops").write_text("from rules import guard\nimport two\napply guard to [two.p2]\n")
    result = driver.build(str(root))
    assert "python/p/two.py" in result.regenerated
    assert "guard" in (result.out / "python/p/two.py").read_text()


def test_awkward_names_build_type_check_and_render(tmp_path):
    """Names Python cannot use as they are (keywords, builtins, `self`, `from_data`,
    a project name starting with a digit, a module that is also a package) still give
    an SDK that passes mypy --strict and renders."""
    import subprocess
    import sys

    from promptlang import preview

    root = tmp_path / "p"
    shutil.copytree(ROOT / "tests" / "data" / "awkward_names", root)
    result = driver.build(str(root), out=str(tmp_path / "out"), use_cache=False,
                          targets=["python"])
    assert not result.check.has_errors
    package = result.out / "python" / "prompts_1_edge_case"
    assert (package / "sub" / "__init__.py").is_file() and (package / "sub" / "inner.py").is_file()
    checked = subprocess.run([sys.executable, "-m", "mypy", "--strict", "--cache-dir",
                              str(tmp_path / "mypy"), package.name],
                             cwd=package.parent, capture_output=True, text=True)
    assert checked.returncode == 0, checked.stdout
    from promptlang.project import UsageError

    with pytest.raises(UsageError, match="no --input given: input: missing fields `self`, `model`"):
        driver.render(str(root), "self", None, use_cache=False)
    given = tmp_path / "in.json"
    given.write_text(json.dumps({"self": {"class": "C", "self": None}, "model": "M",
                                 "on_metrics": "import"}))
    rendered = driver.render(str(root), "self", str(given), use_cache=False).rendered
    assert isinstance(rendered, preview.Rendered)
    assert rendered.messages == [("system", "C M 1 import"), ("user", "1")]


def test_a_build_with_nothing_changed_does_nothing(tmp_path, monkeypatch):
    """Same sources, same out folder still holding that build: no lowering, no emitting;
    a file removed or edited in the out folder makes the next build write it again."""
    import promptlang.lower

    root = _project_files(tmp_path / "p", MODULES)
    first = driver.build(str(root))

    def no_lowering(*args, **kwargs):
        raise AssertionError("lowered again")

    with monkeypatch.context() as patch:
        patch.setattr(promptlang.lower, "lower", no_lowering)
        again = driver.build(str(root))
    assert again.changed == [] and again.written == first.written
    (first.out / "python/p/one.py").write_text("# edited by hand\n")
    repaired = driver.build(str(root))
    assert repaired.changed == ["python/p/one.py"]
