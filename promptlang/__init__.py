"""promptlang: the `.pops` language and its compiler, `popsc`."""

__version__ = "0.1.0"

# The build targets pops.toml and `popsc build --target` may name; kept here, where the
# command line can read it without importing the compiler.
MATCHERS = ("lexical", "semantic")  # how the intent router compares texts
KNOWN_TARGETS = ("python", "ci", "kubernetes", "terraform", "monitoring", "docs")
