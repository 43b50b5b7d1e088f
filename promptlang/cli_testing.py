"""The `popsc test` command (see promptlang/testing/). Registered by `cli.py`."""

from __future__ import annotations
