"""Document structure: title, region, years, sections and sentences.

A figure means an actual result in the review section and a target in the plan
section; a city report's projects lie in that city. Later stages read both from here.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from functools import lru_cache
from pathlib import Path

from kg.gazetteer import gazetteer
from kg.records import Document, Sentence

DATA = Path(__file__).resolve().parent.parent / "data" / "structure.json"
SENT_END = "。！？!?；;"
CLOSERS = "”’」』）)】》\"'"


@lru_cache(maxsize=1)
def _cues() -> dict:
    d = json.loads(DATA.read_text(encoding="utf-8"))
    d["_section"] = {k: [re.compile(p) for p in v] for k, v in d["section_cues"].items()}
    # any of a kind's cues, as one pattern; no cue at all matches nothing
    d["_sentence"] = {k: re.compile("|".join(f"(?:{p})" for p in v) or "(?!)") for k, v in d["sentence_cues"].items()}
    cues = [c for kind in ("review", "plan") for c in d["tense_cues"][kind]]
    d["_any_tense_cue"] = re.compile("|".join(map(re.escape, sorted(cues, key=len, reverse=True))))
    return d


_SENTENCE_END = re.compile(f"[{re.escape(SENT_END)}][{re.escape(CLOSERS)}]*")


def split_sentences(text: str, start: int = 0) -> list[tuple[int, int]]:
    """Sentence spans over one paragraph; closing quotes stay with their sentence."""
    spans = []
    s = 0
    for m in _SENTENCE_END.finditer(text):
        if text[s : m.end()].strip():
            spans.append((start + s, start + m.end()))
        s = m.end()
    if text[s:].strip():
        spans.append((start + s, start + len(text)))
    return spans


def _is_heading(par: str) -> bool:
    cues = _cues()
    if len(par) > cues["heading_max_chars"]:
        return False
    body = par.rstrip(CLOSERS)
    return not body or body[-1] not in SENT_END


def _is_plan_heading(par: str) -> bool:
    """An unnumbered heading that opens with a call to act (推动高质量发展) heads the plan.

    Numbered sub-headings keep their section: review sections use imperative ones too.
    """
    numbered = re.match(r"^(?:[一二三四五六七八九十]+、|[(（][一二三四五六七八九十]+[)）]|\\d+[.、])", par)
    return not numbered and par.startswith(tuple(_cues()["plan_heading_verbs"]))


def classify_heading(par: str) -> str | None:
    """Which kind of section a heading opens, or None if it says nothing about that."""
    for kind in _cues()["_section"]:
        if any(p.search(par) for p in _cues()["_section"][kind]):
            return kind
    return None


def _paragraphs(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for par in text.split("\n"):
        if par.strip():
            out.append((pos, par))
        pos += len(par) + 1
    return out


def tense_score(text: str) -> int:
    """Review cues minus plan cues (structure.json `tense_cues`)."""
    if _cues()["_any_tense_cue"].search(text) is None:
        return 0  # most sentences: no cue, no count of each
    t = _cues()["tense_cues"]
    return sum(w * text.count(c) for c, w in t["review"].items()) - sum(w * text.count(c) for c, w in t["plan"].items())


def tense_override(text: str, section: str) -> str:
    """The sentence's own words decide when they clearly disagree with its position."""
    if section == "targets":
        return section
    margin = _cues()["tense_cues"]["override_margin"]
    score = tense_score(text)
    if section == "plan" and score >= margin:
        return "review"
    if section == "review" and score <= -margin:
        return "plan"
    return section


def is_column_layout(raw: str) -> bool:
    """Short lines mean a multi-column page: its blocks (and sections) come out of order."""
    import statistics

    lengths = [len(ln.strip()) for ln in raw.splitlines() if ln.strip()]
    return bool(lengths) and statistics.median(lengths) < 30


def segment(doc: Document) -> list[Sentence]:
    """Split into sentences, each with its section kind and heading path.

    In a multi-column layout the position of a sentence says little about its section,
    so there the sentence's own tense cues may override it.
    """
    cues = _cues()
    columns = is_column_layout(doc.raw)
    sentences: list[Sentence] = []
    first_section: dict[str, str] = {}  # a repeated sentence (a digest, a reprint) says one thing
    section = "review"
    headings: list[str] = []
    for pos, par in _paragraphs(doc.text):
        # a digest without headings: a paragraph that opens with the review year reviews it
        if doc.review_year and par.startswith(f"{doc.review_year}年") and section != "targets":
            section = "review"
        if _is_heading(par):
            kind = classify_heading(par)
            if kind:
                section = kind
                headings = [par]
            else:
                if section == "targets":  # a target list is short; what follows is the plan
                    section = "plan"
                elif _is_plan_heading(par):
                    section = "plan"
                headings = headings[:1] + [par]
        for s, e in split_sentences(par, pos):
            text = doc.text[s:e]
            kind = tense_override(text, section) if columns else section
            if cues["_sentence"]["targets"].search(text):  # any of the cues
                kind = "targets"
            kind = first_section.setdefault(text, kind) if len(text) >= 12 else kind
            sentences.append(Sentence(doc.id, len(sentences), s, e, text, kind, tuple(headings)))
    return sentences


def _first_year(patterns: list[str], text: str) -> int | None:
    for p in patterns:
        m = re.search(p, text)
        if m:
            return int(m.group(1))
    return None


def find_title(text: str) -> str:
    head = "\n".join(text.split("\n")[:40])[:6000]
    for p in _cues()["title_patterns"]:
        m = re.search(p, head)
        if m:
            return m.group(1)
    lines = [ln for ln in text.split("\n") if ln.strip()]
    return lines[0][:60].strip() if lines else ""


def find_years(text: str) -> tuple[int | None, int | None, int | None]:
    """(delivered, review, plan): explicit cues first, then each derived from another."""
    cues = _cues()
    head = text[:5000]
    delivered = _first_year(cues["delivered_patterns"], head)
    review = _first_year(cues["review_patterns"], text)
    plan = _first_year(cues["plan_patterns"], text)
    if delivered is None:
        delivered = plan or (review + 1 if review else None)
    if plan is None and delivered:
        plan = delivered
    if review is None and plan:
        review = plan - 1
    if delivered is None:
        years = Counter(int(y) for y in re.findall(r"(20\d{2})\s*年", text))
        if years:
            delivered = years.most_common(1)[0][0]
            plan = plan or delivered
            review = review or delivered - 1
    return delivered, review, plan


@lru_cache(maxsize=1)
def _names_longest_first() -> list[str]:
    return sorted((n for n in gazetteer().by_name if len(n) >= 2), key=len, reverse=True)


@lru_cache(maxsize=1)
def _name_heads() -> dict[str, set[int]]:
    """First two characters of a division name → the lengths of the names they begin."""
    heads: dict[str, set[int]] = {}
    for name in _names_longest_first():
        heads.setdefault(name[:2], set()).add(len(name))
    return heads


def _names_in(text: str) -> set[str]:
    """The division names (two characters or more) that occur in `text`, found in one pass
    instead of one search of the text per name."""
    heads = _name_heads()
    by_name = gazetteer().by_name
    found = set()
    for i in range(len(text) - 1):
        for n in heads.get(text[i : i + 2], ()):
            if text[i : i + n] in by_name:
                found.add(text[i : i + n])
    return found


def find_region(text: str, title: str) -> tuple[str, str]:
    """(division code, level) of the region the report speaks for.

    The level comes from how the text refers to itself (我省/全省 against 我市/全市);
    the division is the one of that level named in the title, else the most named.
    """
    cues = _cues()
    gaz = gazetteer()
    for name in _names_longest_first():
        if name in title:
            d = gaz.lookup(name)
            if d:
                return d.code, d.level
    level_counts = {lvl: sum(text.count(c) * w for c, w in cs.items()) for lvl, cs in cues["region_level_cues"].items()}
    level = max(level_counts, key=lambda k: (level_counts[k], k == "province"))
    counts: Counter[str] = Counter()
    present = _names_in(text)
    for name, divs in gaz.by_name.items():
        if name not in present:
            continue
        for d in divs:
            if d.level == level:
                counts[d.code] += text.count(name) * (2 if d.name == name else 1)
    if not counts:
        return "", level
    return counts.most_common(1)[0][0], level


def annotate(doc: Document) -> Document:
    """Fill the document's metadata and sentences in place and return it."""
    doc.title = find_title(doc.text)
    doc.year_delivered, doc.review_year, doc.plan_year = find_years(doc.text)
    doc.region, doc.region_level = find_region(doc.text, doc.title)
    doc.sentences = segment(doc)
    return doc
