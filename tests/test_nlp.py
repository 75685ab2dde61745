"""Recognition on sentences written for the tests (not copied from the corpus)."""

from __future__ import annotations

from kg.ingest.structure import annotate
from kg.nlp import load, recognise
from kg.records import Document


def mentions(text: str) -> dict[str, str]:
    d = Document(id="t", path="t.txt", raw=text, text=text, offsets=list(range(len(text))))
    annotate(d)
    return {m.text: m.label for m in recognise(d, load())}


def test_pipeline_is_a_spacy_language_from_config() -> None:
    nlp = load()
    assert nlp.lang == "zh"
    assert nlp.pipe_names == ["policykg_rules", "policykg_crf", "policykg_entities", "policykg_nested"]
    assert type(nlp.tokenizer).__name__ == "JiebaRsTokenizer"


def test_places_from_the_gazetteer() -> None:
    m = mentions("全省推进长春市、延边州和公主岭市协同发展。")
    assert m.get("长春市") == "Place" and m.get("延边州") == "Place" and m.get("公主岭市") == "Place"


def test_quoted_programme_with_tail() -> None:
    m = mentions("我省深入实施“数智赋能”专项行动，推动产业升级。")
    assert m.get("“数智赋能”专项行动") == "Programme"


def test_suffix_grammar_project_and_enterprise() -> None:
    m = mentions("长岭新材料集团建设5万吨新型膜材料项目。")
    assert m.get("长岭新材料集团") == "Enterprise"
    assert any(label == "Project" and text.endswith("膜材料项目") for text, label in m.items())


def test_generic_nouns_are_not_entities() -> None:
    m = mentions("全年实施重点项目120个，其中新建项目80个。")
    assert "重点项目" not in m and "新建项目" not in m


def test_jieba_rs_words_are_jiebas_words() -> None:
    """The CRF model was trained on jieba's segmentation; the pipeline's faster jieba-rs
    must give the same words on the whole bundled corpus."""
    import jieba

    from kg.nlp.words import words
    from kg.pipeline import CORPUS

    jieba.initialize()
    for path in sorted(CORPUS.glob("*.txt")):
        for par in path.read_text(encoding="utf-8").split("\n"):
            assert words(par) == jieba.lcut(par), par[:40]
    nlp = load()
    doc = nlp.make_doc("吉林化纤集团 建设碳纤维项目")
    assert [t.text for t in doc] == [w for w in jieba.lcut("吉林化纤集团 建设碳纤维项目") if not w.isspace()]
    assert doc.text == "吉林化纤集团 建设碳纤维项目"


def test_compiled_crf_gives_crfsuites_tags() -> None:
    """The compiled inference must tag exactly as python-crfsuite does with the string
    features it was trained on, on every paragraph of the bundled corpus, whether the
    words' hashes come from the Doc or from the text."""
    import pycrfsuite

    from kg.nlp.components import CANDS, token_starts, word_hashes
    from kg.nlp.crf import MODELS, decode_bio, features
    from kg.nlp.crf_infer import CompiledCrf
    from kg.pipeline import CORPUS

    nlp = load()
    rules = nlp.get_pipe("policykg_rules")
    reference = pycrfsuite.Tagger()
    reference.open(str(MODELS / "ner.crfsuite"))
    compiled = CompiledCrf(MODELS / "ner.crfsuite")
    tagged = 0
    for path in sorted(CORPUS.glob("*.txt")):
        items, hashes = [], []
        for par in path.read_text(encoding="utf-8").split("\n"):
            if par:
                d = rules(nlp.make_doc(par))
                items.append((par, token_starts(d), d.user_data[CANDS]))
                hashes.append(word_hashes(d))
        expected = [reference.tag(features(*item)) for item in items]
        assert compiled.tag(compiled.emissions(items)) == expected, path.name
        with_hashes = [(*item, h) for item, h in zip(items, hashes)]
        assert compiled.tag(compiled.emissions(with_hashes)) == expected, path.name
        assert compiled.spans(with_hashes) == [decode_bio(i[0], t) for i, t in zip(items, expected)], path.name
        tagged += sum(t != "O" for tags in expected for t in tags)
    assert tagged > 5000


def test_compiled_crf_on_spaces_quotes_and_rare_characters() -> None:
    """Word hashes of tokens before a space, quotes across paragraphs, characters the
    model never saw (astral ones too) and one-character paragraphs, as crfsuite tags them."""
    import pycrfsuite

    from kg.nlp.components import CANDS, token_starts, word_hashes
    from kg.nlp.crf import MODELS, decode_bio, features
    from kg.nlp.crf_infer import CompiledCrf

    nlp = load()
    rules = nlp.get_pipe("policykg_rules")
    reference = pycrfsuite.Tagger()
    reference.open(str(MODELS / "ner.crfsuite"))
    compiled = CompiledCrf(MODELS / "ner.crfsuite")
    texts = [
        "吉林化纤集团 建设碳纤维项目，  长春市推进“数智赋能”专项行动",
        "“一主六双",
        "高质量发展战略”全面实施𠀋𠀾，ABC公司落户延边州。",
        "省",
        "「冰雪经济」『新型工业化』持续推进",
    ]
    items, hashes = [], []
    for par in texts:
        d = rules(nlp.make_doc(par))
        items.append((par, token_starts(d), d.user_data[CANDS]))
        hashes.append(word_hashes(d))
    expected = [reference.tag(features(*item)) for item in items]
    assert compiled.tag(compiled.emissions(items)) == expected
    assert compiled.tag(compiled.emissions([(*i, h) for i, h in zip(items, hashes)])) == expected
    assert compiled.spans(items) == [decode_bio(i[0], t) for i, t in zip(items, expected)]


def test_compiled_decoding_is_decode_bio() -> None:
    """Random label paths, stray I- tags, changes of class inside a span, one-character
    and Latin-only spans: the compiled decoder gives decode_bio's spans."""
    import random

    import numpy as np

    from kg.nlp.crf import decode_bio
    from kg.nlp.crf_kernels import bio_spans

    labels = ["O", "B-Place", "I-Place", "B-Project", "I-Project", "E-Project"]
    kinds = np.array([0, 1, 2, 1, 2, 3])
    classes = sorted({x[2:] for x in labels})
    cls = np.array([classes.index(x[2:]) for x in labels])
    rng = random.Random(7)
    texts = ["".join(rng.choice("吉林省AB1，") for _ in range(rng.randint(0, 40))) for _ in range(300)]
    paths = [[rng.randrange(len(labels)) for _ in t] for t in texts]
    bounds = np.cumsum([0] + [len(t) for t in texts])
    cps = np.array([ord(c) for c in "".join(texts)], dtype=np.int64)
    han = np.concatenate(([0], np.cumsum((cps >= 0x4E00) & (cps <= 0x9FFF))))
    found = bio_spans(np.array([y for p in paths for y in p], dtype=np.int64), bounds, kinds, cls, han)
    got: list[list] = [[] for _ in texts]
    for k, s, e, c in found.tolist():
        got[k].append((s, e, classes[c]))
    expected = [decode_bio(t, [labels[y] for y in p]) for t, p in zip(texts, paths)]
    assert got == expected
    assert sum(map(len, expected)) > 100


def test_trie_finds_the_longest_words_left_to_right() -> None:
    """The compiled trie scan: the longest word at each position, no overlaps, the scan
    going on after a word; the same as a plain scan over random words and texts (astral
    characters, one-character words, words that are prefixes of others)."""
    import random

    from kg.nlp.rules import Trie

    words = {"吉林": "Place", "吉林省": "Place", "吉林化纤": "Enterprise", "长春": "Place", "林省": "X"}
    for compiled in (True, False):
        trie = Trie(words, compiled=compiled)
        assert trie.scan("吉林省长春市吉林化纤集团吉林") == [
            (0, 3, "Place"),
            (3, 5, "Place"),
            (6, 10, "Enterprise"),
            (12, 14, "Place"),
        ]
        assert trie.scan("") == [] and Trie({}, compiled=compiled).scan("吉林") == []
        assert trie.scan("吉\0林省") == [(2, 4, "X")]  # a NUL is a character like any other

    def plain_scan(words: dict[str, str], text: str) -> list[tuple[int, int, str]]:
        out, i = [], 0
        while i < len(text):
            best = max((w for w in words if text.startswith(w, i)), key=len, default=None)
            if best is None:
                i += 1
            else:
                out.append((i, i + len(best), words[best]))
                i += len(best)
        return out

    rng = random.Random(3)
    alphabet = "吉林长春省市化纤A𠀋"
    for _ in range(300):
        words = {
            "".join(rng.choice(alphabet) for _ in range(rng.randint(1, 5))): rng.choice("XYZ")
            for _ in range(rng.randint(0, 30))
        }
        text = "".join(rng.choice(alphabet + "，\n ") for _ in range(rng.randint(0, 80)))
        assert Trie(words).scan(text) == plain_scan(words, text) == Trie(words, compiled=False).scan(text)


def test_recorded_spans_are_the_docs_entities() -> None:
    """The merger's and the nested recogniser's plain records (which `recognise` reads)
    name the same spans as doc.ents and doc.spans, and a Doc without them is read back."""
    from kg.nlp.components import ENTS, NESTED, SOURCES, entity_spans, nested_spans

    nlp = load()
    doc = nlp("吉林化纤集团建设年产3万吨碳纤维项目，长春市推进“数智赋能”专项行动和吉林碳谷扩能项目。")
    sources = doc.user_data[SOURCES]
    from_doc = [(e.start_char, e.end_char, e.label_, sources[(e.start_char, e.end_char)]) for e in doc.ents]
    assert entity_spans(doc) == from_doc and len(from_doc) >= 3
    nested = [(s.start_char, s.end_char, s.label_, s.kb_id_) for s in doc.spans["policykg_nested"]]
    assert nested_spans(doc) == nested and nested
    del doc.user_data[ENTS], doc.user_data[NESTED]
    assert entity_spans(doc) == from_doc and nested_spans(doc) == nested


def test_compiled_crf_searches_pairs_of_a_large_vocabulary(monkeypatch) -> None:
    """A model that knows too many characters for a table of every pair looks its pairs
    up by binary search, with the same tags."""
    from kg.nlp.components import CANDS, token_starts, word_hashes
    from kg.nlp.crf import MODELS
    from kg.nlp.crf_infer import CompiledCrf, _PairRows

    nlp = load()
    rules = nlp.get_pipe("policykg_rules")
    items = []
    for par in ["吉林化纤集团建设年产3万吨碳纤维项目", "长春市推进“数智赋能”专项行动，延边州冰雪经济持续升温。"]:
        d = rules(nlp.make_doc(par))
        items.append((par, token_starts(d), d.user_data[CANDS], word_hashes(d)))
    dense = CompiledCrf(MODELS / "ner.crfsuite")
    monkeypatch.setattr(_PairRows, "DENSE_LIMIT", 0)
    searched = CompiledCrf(MODELS / "ner.crfsuite")
    assert all(p.table is None for p in searched.bigram.values())
    assert all(p.table is not None for p in dense.bigram.values())
    assert searched.tag(searched.emissions(items)) == dense.tag(dense.emissions(items))
    assert searched.spans(items) == dense.spans(items) and any(searched.spans(items))


def test_lexemes_without_lexical_attributes_change_no_mention() -> None:
    """The pipeline computes no lexical attributes for new words (config.cfg's
    after_creation): the mentions of a whole report are those of a pipeline that does."""
    import spacy

    from kg.ingest import load_document
    from kg.nlp import CONFIG
    from kg.pipeline import CORPUS

    lean = load()
    assert lean.vocab.lex_attr_getters == {}
    cfg = spacy.util.load_config(CONFIG)
    del cfg["nlp"]["after_creation"]
    full = spacy.util.load_model_from_config(cfg, auto_fill=True)
    assert full.vocab.lex_attr_getters  # spaCy's Chinese defaults: norm, shape, like_num, …
    doc = load_document(sorted(CORPUS.glob("*.txt"))[-1])
    found = recognise(doc, lean)
    assert len(found) > 100
    assert found == recognise(doc, full)
    assert [t.norm_ for t in lean("吉林化纤集团")][0] == ""  # not computed: nothing reads them
