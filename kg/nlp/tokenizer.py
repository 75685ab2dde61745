"""Word segmentation for the pipeline: jieba's dictionary and HMM, run by jieba-rs.

spaCy's own Chinese tokenizer calls Python jieba, whose segmentation took more time than
all of our recognisers together. `rjieba` binds jieba-rs, a port of jieba with the same
dictionary and the same HMM; it gives the same words on our corpus (checked in
tests/test_nlp.py) about twenty times faster, so the CRF model trained on jieba words
stays valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from spacy.tokens import Doc
from spacy.util import get_words_and_spaces, registry
from spacy.vocab import Vocab

_SPACE = re.compile(r"\s")


class JiebaRsTokenizer:
    """Text → Doc with one token per jieba word (whitespace kept as spaCy expects)."""

    def __init__(self, vocab: Vocab) -> None:
        import rjieba

        self.vocab = vocab
        self.cut = rjieba.cut

    def __call__(self, text: str) -> Doc:
        words = [w for w in self.cut(text) if w]
        if _SPACE.search(text) is None:  # the usual paragraph: the words are the tokens
            return Doc(self.vocab, words=words, spaces=[False] * len(words))
        words, spaces = get_words_and_spaces(words, text)
        return Doc(self.vocab, words=words, spaces=spaces)

    # spaCy serialises a Language with its tokenizer; this one has no state of its own
    def to_bytes(self, **kwargs) -> bytes:
        return b""

    def from_bytes(self, data: bytes, **kwargs) -> JiebaRsTokenizer:
        return self

    def to_disk(self, path, **kwargs) -> None:
        return None

    def from_disk(self, path, **kwargs) -> JiebaRsTokenizer:
        return self


@registry.callbacks("policykg.lean_lexemes.v1")
def create_lean_lexemes() -> Callable:
    """The pipeline reads a token's text, offset and space only (ORTH, IDX, SPACY): the
    lexical attributes spaCy computes for each word it meets first (norm, shape, prefix,
    like_num, …) went unread, and computing them was most of the cost of making a Doc
    in a build's workers, whose renamed enterprises and projects are new words."""

    def lean(nlp):
        nlp.vocab.lex_attr_getters = {}
        return nlp

    return lean


@registry.tokenizers("policykg.jieba_rs.v1")
def create_tokenizer() -> Callable:
    def make(nlp) -> JiebaRsTokenizer:
        return JiebaRsTokenizer(nlp.vocab)

    return make
