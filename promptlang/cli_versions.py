"""The `popsc lock` and `popsc diff` commands (see promptlang/versions.py). Registered by
`cli.py`."""

from __future__ import annotations
