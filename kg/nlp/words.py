"""jieba words of a text outside a spaCy Doc (for slugs and features).

Kept apart from `kg.nlp.tokenizer`, which registers a spaCy tokenizer and so imports
spaCy: the build's parent makes slugs but never runs the pipeline, and importing spaCy
there cost it more than a second.
"""

from __future__ import annotations


def words(text: str, hmm: bool = True) -> list[str]:
    """The words jieba-rs gives (jieba's dictionary and HMM)."""
    import rjieba

    return rjieba.cut(text, hmm)
