"""A content-addressed cache of parsed modules and check results, under `.popsc-cache/`.

Keys are hashes of everything a result depends on (the compiler's own code, the
module's text, and for check results the text of every module it imports,
transitively), so a stale entry can never be read: changing a file simply makes
new keys. Entries not used by the latest run are pruned, keeping the folder small."""

from __future__ import annotations

import functools
import hashlib
import os
import pickle
import tempfile
from pathlib import Path

import promptlang

_FORMAT = b"popsc-cache-1"


@functools.lru_cache(maxsize=1)
def code_fingerprint() -> str:
    """Identifies this build of popsc: its version and the size and mtime of its files."""
    digest = hashlib.sha256(_FORMAT + promptlang.__version__.encode())
    root = Path(promptlang.__file__).parent
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != "__pycache__")
        for name in sorted(files):
            if name.endswith((".py", ".lark", ".pops")):
                stat = os.stat(os.path.join(folder, name))
                digest.update(f"{folder}/{name}:{stat.st_size}:{stat.st_mtime_ns}".encode())
    return digest.hexdigest()


def key(*parts: str) -> str:
    digest = hashlib.sha256(code_fingerprint().encode())
    for part in parts:
        digest.update(b"\0" + part.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


class Cache:
    """Pickled values by key in one folder per kind; every failure is a miss."""

    def __init__(self, folder: Path | None):
        self.folder = folder
        self.used: set[Path] = set()

    def _path(self, kind: str, name: str) -> Path | None:
        return None if self.folder is None else self.folder / kind / f"{name}.pickle"

    def get(self, kind: str, name: str):
        path = self._path(kind, name)
        if path is None:
            return None
        try:
            with open(path, "rb") as handle:
                value = pickle.load(handle)
        except Exception:  # a missing, partial or foreign file is just a miss
            return None
        self.used.add(path)
        return value

    def put(self, kind: str, name: str, value) -> None:
        path = self._path(kind, name)
        if path is None:
            return
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
            with os.fdopen(fd, "wb") as handle:
                pickle.dump(value, handle, protocol=pickle.HIGHEST_PROTOCOL)
            os.replace(tmp, path)
            self.used.add(path)
        except OSError:
            return

    def prune(self, kinds: tuple[str, ...]) -> None:
        """Remove the entries of these kinds that this run did not use (a check does not
        touch what a build keeps, and the other way round)."""
        if self.folder is None or not self.folder.is_dir():
            return
        for kind in self.folder.iterdir():
            if kind.is_dir() and kind.name in kinds:
                for entry in kind.iterdir():
                    if entry not in self.used:
                        try:
                            entry.unlink()
                        except OSError:
                            pass
