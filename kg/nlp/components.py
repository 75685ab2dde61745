"""spaCy components of the policykg pipeline, registered as factories.

`policykg_rules` proposes candidates, `policykg_crf` tags characters, and
`policykg_entities` merges both into `doc.ents`, splitting jieba tokens where a name
boundary falls inside a word. Candidates travel in `doc.user_data`, plain data.

The merger and `policykg_nested` also record their spans as tuples (`ENTS`, `NESTED`),
which `kg.nlp.recognise` reads instead of making Span objects again; a component that
changes `doc.ents` or the nested spans after them must drop those records
(`entity_spans` and `nested_spans` then read the Doc itself).
"""

from __future__ import annotations

import bisect

from spacy.attrs import IDX, ORTH, SPACY
from spacy.language import Language
from spacy.tokens import Doc, Span

from kg.nlp.crf import MODELS, CrfTagger
from kg.nlp.rules import Candidate, RuleRecogniser

CANDS = "policykg_candidates"
PREDS = "policykg_crf"
SOURCES = "policykg_sources"
ENTS = "policykg_ents"  # (start, end, label, source) of doc.ents, as the merger set them
NESTED = "policykg_nested_spans"  # the same of doc.spans["policykg_nested"]
PROVINCE = "policykg_province"
TEXT = "policykg_text"


def doc_text(doc: Doc) -> str:
    """The Doc's text, joined once: spaCy rebuilds `doc.text` from its tokens at each call."""
    text = doc.user_data.get(TEXT)
    if text is None:
        text = doc.user_data[TEXT] = doc.text
    return text


def token_starts(doc: Doc) -> list[int]:
    """Character offsets of the tokens, read from the Doc's array (no Token objects made)."""
    return doc.to_array(IDX).tolist() if len(doc) else []


def word_hashes(doc: Doc) -> list[int]:
    """spaCy's string hash of each token's text with its trailing space: the words the
    CRF's word attributes name (`kg.nlp.crf.features` slices them by token starts)."""
    from spacy.strings import get_string_id

    if not len(doc):
        return []
    array = doc.to_array([ORTH, SPACY])
    hashes = array[:, 0].tolist()
    for i in array[:, 1].nonzero()[0].tolist():
        hashes[i] = get_string_id(doc[i].text + " ")
    return hashes


@Language.factory(
    "policykg_rules",
    default_config={
        "suffixes": "suffixes.tsv",
        "quoted": "quoted.tsv",
        "boundary_words": "boundary_words.txt",
        "enterprises": "enterprises.tsv",
        "max_name_chars": 18,
    },
)
def make_rules(
    nlp: Language, name: str, suffixes: str, quoted: str, boundary_words: str, enterprises: str, max_name_chars: int
) -> RulesComponent:
    return RulesComponent(RuleRecogniser(suffixes, quoted, boundary_words, enterprises, max_name_chars))


class RulesComponent:
    def __init__(self, recogniser: RuleRecogniser) -> None:
        self.recogniser = recogniser

    def __call__(self, doc: Doc) -> Doc:
        province = doc.user_data.get(PROVINCE, "")
        doc.user_data[CANDS] = self.recogniser.candidates(doc_text(doc), token_starts(doc), province)
        return doc


@Language.factory("policykg_crf", default_config={"model": "ner.crfsuite"})
def make_crf(nlp: Language, name: str, model: str) -> CrfComponent:
    return CrfComponent(CrfTagger(MODELS / model))


class CrfComponent:
    def __init__(self, tagger: CrfTagger) -> None:
        self.tagger = tagger

    def __call__(self, doc: Doc) -> Doc:
        return next(iter(self.pipe([doc])))

    def pipe(self, docs, batch_size: int = 1000):
        """Tag many paragraphs together: the CRF scores and decodes them in batches."""
        docs = list(docs)
        items = [(doc_text(d), token_starts(d), d.user_data.get(CANDS, []), word_hashes(d)) for d in docs]
        for doc, spans in zip(docs, self.tagger.predict_batch(items)):
            doc.user_data[PREDS] = spans
            doc.user_data["policykg_has_model"] = self.tagger.has_model
            yield doc


@Language.factory(
    "policykg_entities",
    default_config={
        "prefer": ["crf", "quoted", "enterprise_gazetteer", "suffix", "gazetteer"],
        "rules_outside_model": ["gazetteer", "enterprise_gazetteer"],
    },
)
def make_entities(nlp: Language, name: str, prefer: list[str], rules_outside_model: list[str]) -> EntityMerger:
    return EntityMerger(prefer, rules_outside_model)


class EntityMerger:
    """Choose non-overlapping spans: model spans first, then rule spans that fit around them."""

    def __init__(self, prefer: list[str], rules_outside_model: list[str]) -> None:
        self.rank = {s: i for i, s in enumerate(prefer)}
        self.outside = set(rules_outside_model)

    def choose(self, doc: Doc) -> list[Candidate]:
        """With a trained model, only the listed rule sources fill the gaps it leaves."""
        model = [Candidate(s, e, label, "crf") for s, e, label in doc.user_data.get(PREDS, [])]
        rules = list(doc.user_data.get(CANDS, []))
        if doc.user_data.get("policykg_has_model"):
            rules = [c for c in rules if c.source in self.outside]
        ordered = sorted(
            model + rules, key=lambda c: (self.rank.get(c.source, len(self.rank)), -(c.end - c.start), c.start)
        )
        taken = bytearray(len(doc_text(doc)) + 1)
        chosen = []
        for c in ordered:
            if any(taken[c.start : c.end]):
                continue
            taken[c.start : c.end] = b"\x01" * (c.end - c.start)
            chosen.append(c)
        chosen = self._extend_known_enterprises(sorted(chosen), doc.user_data.get(CANDS, []))
        return self._enumerated_quotes(chosen, doc.user_data.get(CANDS, []), doc_text(doc))

    @staticmethod
    def _extend_known_enterprises(chosen: list[Candidate], cands: list[Candidate]) -> list[Candidate]:
        """一汽 + 红旗… tagged apart, but 一汽红旗 is a known enterprise: take the known name."""
        known = [c for c in cands if c.source == "enterprise_gazetteer"]
        out = list(chosen)
        for k in known:
            head = next((c for c in out if c.label == "Enterprise" and c.start == k.start and c.end < k.end), None)
            if head is None:
                continue
            nxt = next((c for c in out if head.end <= c.start < k.end), None)
            out.remove(head)
            out.append(Candidate(k.start, k.end, "Enterprise", k.source))
            if nxt is not None:
                out.remove(nxt)
                if nxt.end - k.end >= 2:
                    out.append(Candidate(k.end, nxt.end, nxt.label, nxt.source))
        return sorted(out)

    @staticmethod
    def _enumerated_quotes(chosen: list[Candidate], cands: list[Candidate], text: str) -> list[Candidate]:
        """A quoted name listed with 、 next to a recognised programme is a programme too."""
        out = list(chosen)
        quotes = '“”‘’「」『』"'
        for q in (c for c in cands if c.source == "quoted_bare"):
            if any(not (q.end <= c.start or c.end <= q.start) for c in out):
                continue
            for c in out:
                if c.label != "Programme":
                    continue
                gap = text[c.end : q.start] if c.end <= q.start else text[q.end : c.start]
                if gap.strip(quotes) in ("、", "和", "及") and len(gap) <= 4:
                    out.append(q)
                    break
        return sorted(out)

    def __call__(self, doc: Doc) -> Doc:
        chosen = self.choose(doc)
        doc = split_at(doc, {c.start for c in chosen} | {c.end for c in chosen})
        spans = []
        sources = {}
        kept = []
        for c in chosen:
            span = doc.char_span(c.start, c.end, label=c.label)
            if span is not None:
                spans.append(span)
                sources[(c.start, c.end)] = c.source
                kept.append((c.start, c.end, c.label, c.source))
        doc.ents = spans
        doc.user_data[SOURCES] = sources
        # the same spans as plain tuples, for the later components and `recognise`: reading
        # doc.ents back makes a Span object per entity each time
        doc.user_data[ENTS] = kept
        return doc


@Language.factory("policykg_nested", default_config={"patterns": "nested.json"})
def make_nested(nlp: Language, name: str, patterns: str) -> NestedRecogniser:
    return NestedRecogniser(patterns)


class NestedRecogniser:
    """Names inside recognised names, in `doc.spans["policykg_nested"]` (ents cannot overlap)."""

    def __init__(self, patterns: str) -> None:
        import json
        import re

        from kg.nlp.rules import PATTERNS

        d = json.loads((PATTERNS / patterns).read_text(encoding="utf-8"))
        self.inner_sources = set(d["inner_sources"])
        self.outer = set(d["outer_classes"])
        self.lead = re.compile(d["leading_enterprise_before_quantity"])
        self.lead_classes = set(d["leading_enterprise_classes"])
        self.not_enterprise = set(d["not_enterprise"])
        self.phase_whole = re.compile(d["phase_whole"])

    def find(self, doc: Doc) -> list[Candidate]:
        cands = doc.user_data.get(CANDS, [])
        text = doc_text(doc)
        out = []
        for s, e, label, _ in entity_spans(doc):
            if label not in self.outer:
                continue
            inner = [
                c
                for c in cands
                if c.source in self.inner_sources and s <= c.start and c.end <= e and (c.end - c.start) < (e - s)
            ]
            lead = None
            if label in self.lead_classes:
                m = self.lead.match(text[s:e])
                if m and m.group(1) not in self.not_enterprise:
                    lead = (s, s + m.end(1))
                    # a leading place is a place, not an enterprise
                    if any(c.start == lead[0] and c.end == lead[1] for c in inner):
                        lead = None
            if lead:
                out.append(Candidate(lead[0], lead[1], "Enterprise", "nested:leading-enterprise"))
                # 吉林 inside 吉林碳谷 is part of the enterprise's name, not a place
                inner = [c for c in inner if c.label != "Place" or not (lead[0] <= c.start and c.end <= lead[1])]
            out.extend(Candidate(c.start, c.end, c.label, "nested:" + c.source) for c in inner)
            if label == "Project":
                # 延吉至长白高速延吉段 names the whole road it is a section of
                m = self.phase_whole.match(text[s:e])
                if m:
                    out.append(Candidate(s, s + m.end(1), "Project", "nested:phase-whole"))
        return sorted(set(out))

    def __call__(self, doc: Doc) -> Doc:
        found = self.find(doc)
        doc = split_at(doc, {c.start for c in found} | {c.end for c in found})
        group = []
        kept = []
        for c in found:
            span = doc.char_span(c.start, c.end, label=c.label, kb_id=c.source)
            if span is not None:
                group.append(span)
                kept.append((c.start, c.end, c.label, c.source))
        doc.spans["policykg_nested"] = group
        doc.user_data[NESTED] = kept
        return doc


def entity_spans(doc: Doc) -> list[tuple[int, int, str, str]]:
    """(start, end, label, source) of doc.ents: as the merger recorded them, else read
    from the Doc (a pipeline without the merger)."""
    kept = doc.user_data.get(ENTS)
    if kept is None:
        sources = doc.user_data.get(SOURCES, {})
        kept = [(e.start_char, e.end_char, e.label_, sources.get((e.start_char, e.end_char), "")) for e in doc.ents]
    return kept


def nested_spans(doc: Doc) -> list[tuple[int, int, str, str]]:
    """(start, end, label, source) of doc.spans["policykg_nested"], likewise."""
    kept = doc.user_data.get(NESTED)
    if kept is None:
        kept = [(sp.start_char, sp.end_char, sp.label_, sp.kb_id_) for sp in doc.spans.get("policykg_nested", [])]
    return kept


def split_at(doc: Doc, offsets: set[int]) -> Doc:
    """Split tokens so that every offset falls on a token boundary."""
    if not len(doc) or not offsets:
        return doc
    starts = doc.to_array(IDX).tolist()
    cuts: dict[int, list[int]] = {}
    for o in offsets:
        k = bisect.bisect_right(starts, o) - 1
        if k >= 0 and o > starts[k] and o < starts[k] + len(doc[k].text):
            cuts.setdefault(k, []).append(o - starts[k])
    if not cuts:
        return doc
    with doc.retokenize() as retok:
        for k, at in sorted(cuts.items()):
            tok = doc[k]
            bounds = [0] + sorted(at) + [len(tok.text)]
            orths = [tok.text[a:b] for a, b in zip(bounds, bounds[1:])]
            heads = [(tok, i) for i in range(len(orths))]
            retok.split(tok, orths, heads)
    return doc


__all__ = [
    "Span",
    "make_rules",
    "make_crf",
    "make_entities",
    "entity_spans",
    "nested_spans",
    "CANDS",
    "PREDS",
    "SOURCES",
    "PROVINCE",
    "ENTS",
    "NESTED",
]
