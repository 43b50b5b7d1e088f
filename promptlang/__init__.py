"""promptlang: the `.pops` language and its compiler, `popsc`."""

__version__ = "0.1.0"
