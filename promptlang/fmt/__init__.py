"""`popsc fmt`: one canonical layout for `.pops` files (see docs/language.md, Formatting).

`format_text` is the entry point, for the command line and the language server alike.
"""

from promptlang.fmt.api import FormatError
from promptlang.fmt.api import format_text

__all__ = ["FormatError", "format_text"]
