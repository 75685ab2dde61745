"""Figures → observations: indicator, area, period, value, unit, measure type, status.

A clause holds the indicator before its figure (地区生产总值增长6.3%), or a verb before
it and the thing counted after (新建3000个5G基站). A figure with no indicator of its own
takes the one before it in the sentence (进出口总额1679.1亿元、增长7.7%); 分别 spreads a
list of indicators over a list of figures; a rank (居全国第7位) names what is ranked.
The section gives the status and the period; an explicit year in the sentence wins.
"""

from __future__ import annotations

import re
from collections import defaultdict
from functools import cache, lru_cache
from operator import attrgetter
from pathlib import Path
from typing import NamedTuple

from kg.measure.numbers import NUMERALS, Figure, find_figures, vocab
from kg.measure.registry import canonical_indicator
from kg.nlp.rules import HAN
from kg.records import Document, Entity, Evidence, Observation, Occurrences

CLAUSE_SPLIT = re.compile(r"[，,；;：:。！？!?]")
YEAR = re.compile(r"(?:^|到|至|在|截至|截止|于)(20\d{2})年")
NAME_CLASSES = {"Project", "Programme", "Product", "Organization", "Enterprise", "Industry"}
AREA_CLASSES = {"Enterprise", "Project", "Place"}
# the character patterns of the clause logic, compiled once (a call of re.search with a
# pattern string looks it up in re's cache every time); the word patterns are in
# units.json (`_word_patterns`)
COUNTED_OBJECT = re.compile(r"(?:\d+[A-Za-z]|[^，,；;。、等和及的0-9])[^，,；;。、等和及的\d]{1,15}")
OBJECT_START = re.compile(r"[\u4e00-\u9fffA-Za-z“]|\d+[A-Za-z]")
FIGURE_LIKE = re.compile(r"\d+(?:\.\d+)?(?:%|(?=[\u4e00-\u9fff]))")
LIST_MARK = re.compile(r"[、和及与]")


@cache
def _longest_first(name: str) -> tuple[list[str], tuple[str, ...]]:
    """A word list of units.json sorted longest first, and as a tuple for one
    startswith/endswith call; sorted once per process, not at every clause."""
    ordered = sorted((w for w in vocab()[name] if w), key=len, reverse=True)
    return ordered, tuple(ordered)


def _strip_words(text: str, words: str, leading: bool) -> str:
    """Strip the longest word of the list `words` (of units.json) from the start (or end),
    again while one matches."""
    ordered, any_of = _longest_first(words)
    if leading:
        while text and text.startswith(any_of):
            w = next(w for w in ordered if text.startswith(w))
            text = text[len(w) :]
    else:
        while text and text.endswith(any_of):
            w = next(w for w in ordered if text.endswith(w))
            text = text[: -len(w)]
    return text


def _clauses(text: str) -> list[tuple[int, str]]:
    out, pos = [], 0
    for m in CLAUSE_SPLIT.finditer(text):
        out.append((pos, text[pos : m.start()]))
        pos = m.end()
    out.append((pos, text[pos:]))
    return [(s, c) for s, c in out if c.strip()]


def _measure(prefix: str, indicator: str, unit: str) -> str:
    v = vocab()
    if unit == "位":
        return "rank"
    if unit == "个百分点":
        return "growth"
    if unit in ("%", "‰"):
        tail = prefix[-6:]
        if any(w in indicator for w in ("涨幅", "增速", "增幅")):
            return "growth"
        if _word_patterns().share_verb.search(tail):
            return "share"
        if any(w in tail for w in v["growth_words"] + v["decline_words"]):
            return "growth"
        if any(indicator.endswith(w) for w in v["share_words"]) or any(w in tail for w in ("达到", "占", "为")):
            return "share"
        return "growth" if "增" in prefix else "share"
    return "level"


def _year_of(sentence: str, upto: int, default: int | None, status: str, doc: Document) -> int | None:
    years = [int(m.group(1)) for m in YEAR.finditer(sentence[:upto])]
    if not years:
        return default
    y = years[-1]
    lo = (doc.review_year or y) - 3
    hi = (doc.plan_year or y) + 10
    if status == "actual" and doc.review_year and y > doc.review_year:
        return default
    return y if lo <= y <= hi else default


class _WordPatterns(NamedTuple):
    share_verb: re.Pattern  # 提高到, 达到, 控制在 before a percentage: a share, not a growth
    compared: re.Pattern  # 高于全国: a growth compared with a larger area's
    compared_with: re.Pattern
    leading_time: re.Pattern  # 2023年, 今年 before an indicator: not part of its name
    ordinal_nouns: frozenset[str]  # 第3批: an ordinal, not a rank


@cache
def _word_patterns() -> _WordPatterns:
    v = vocab()
    return _WordPatterns(
        re.compile(v["share_verb_pattern"]),
        re.compile(v["compared_pattern"]),
        re.compile(v["compared_with_pattern"]),
        re.compile(v["leading_time_pattern"]),
        frozenset(v["ordinal_nouns"]),
    )


@cache
def _may_state_a_figure() -> tuple[re.Pattern, re.Pattern, tuple[str, ...]]:
    """What every figure (`find_figures`: a digit, a Chinese numeral, 一半) or rank
    (`rank_pattern`) needs somewhere in its sentence; four sentences in ten have neither.
    The rank pattern's optional words before 第 make Python try them at every character, a
    sixth of finding the figures: it runs only where one of the words every rank needs
    (`rank_needs`) is present."""
    v = vocab()
    return re.compile(rf"[\d{NUMERALS}半]"), re.compile(v["rank_pattern"]), tuple(v["rank_needs"])


class ObservationExtractor:
    def __init__(self, doc: Document, region: Entity | None, occ: dict[int, list[tuple[int, int, Entity]]]):
        self.doc = doc
        self.region = region
        self.occ = occ  # sentence index → (start, end, entity) in document offsets
        self.v = vocab()
        self.numeral, self.rank, self.rank_needs = _may_state_a_figure()
        self.object_verbs = tuple(self.v["object_verbs"])
        self.region_names = sorted({region.label, *region.alt_labels}, key=len, reverse=True) if region else []
        self.region_prefix = re.compile("^(?:" + "|".join(map(re.escape, self.region_names)) + ")") if region else None

    def _area(self, sent_start: int, clause_start: int, sentence_index: int, clause: str = "") -> Entity | None:
        lead = len(clause) - len(_strip_words(clause, "leading_noise", leading=True)) if clause else 0
        for s, _e, ent in self.occ.get(sentence_index, []):
            rel = s - sent_start - clause_start
            if rel == lead and ent.cls in AREA_CLASSES and (self.region is None or ent.iri != self.region.iri):
                if ent.cls == "Place" and not ent.code:
                    continue  # zones and rivers: only a division is an area here
                return ent
        return self.region

    def _inside_name(self, start: int, end: int, sentence_index: int) -> bool:
        """120万吨乙烯项目: a number that is part of a name; not 新建2000个… mis-tagged as a name."""
        return any(
            s <= start and end <= e and ent.cls in NAME_CLASSES and not ent.label.startswith(self.object_verbs)
            for s, e, ent in self.occ.get(sentence_index, [])
        )

    def extract(self) -> list[Observation]:
        out: list[Observation] = []
        numeral, rank, needs = self.numeral, self.rank, self.rank_needs
        for sent in self.doc.sentences:
            # no numeral and no rank word (首位): no figure, whatever the clauses say
            text = sent.text
            has_numeral = numeral.search(text) is not None
            has_rank = any(w in text for w in needs) and rank.search(text) is not None
            if has_numeral or has_rank:
                out.extend(self._sentence(sent, has_numeral, has_rank))
        return out

    def _sentence(self, sent, has_numeral: bool, has_rank: bool) -> list[Observation]:
        """The sentence's observations; `has_numeral` and `has_rank` say whether its text
        has a numeral and a rank at all (a clause's match is a match in the sentence),
        so that the clauses are not searched for what the sentence lacks."""
        v = self.v
        numeral = self.numeral
        words = _word_patterns()
        status = "target" if sent.section in ("plan", "targets") else "actual"
        if status == "actual" and any(w in sent.text for w in ("力争", "确保", "预计")):
            status = "target"
        default_period = self.doc.plan_year if status == "target" else self.doc.review_year
        carried = ""
        unread: list[str] = []  # clauses without a figure since `carried` was last brought up to date
        area_carried = None
        last_names: list[str] = []
        results: list[Observation] = []
        for cstart, clause in _clauses(sent.text):
            figures = find_figures(clause) if has_numeral and numeral.search(clause) else []
            if not figures:
                # 粮食产量再创历史新高,达到837.3亿斤: a clause without a figure can name the
                # indicator; the latest that does is `carried`, read only when a figure or
                # a rank needs it (`_latest_named`)
                unread.append(clause)
            figures = [
                f
                for f in figures
                if not self._inside_name(sent.start + cstart + f.start, sent.start + cstart + f.end, sent.index)
            ]
            figures = _drop_modifiers(clause, figures)
            area = self._area(sent.start, cstart, sent.index, clause)
            # the first figure's own indicator, read once (the clause's subject, and the
            # first figure's indicator below when no list spreads over the figures)
            first = self._indicator(clause[: figures[0].start], clause, figures[0]) if figures else ("", 0)
            subjectless = bool(figures) and not first[0]
            if area is self.region and area_carried is not None and subjectless:
                area = area_carried
            elif area is not self.region:
                area_carried = area
            else:
                area_carried = None
            names = self._distributive(clause, figures)
            if not names and last_names and len(figures) == len(last_names) > 1:
                if not first[0]:
                    names = last_names
            last_names = names
            prev_end = 0
            if figures and unread:
                carried = _latest_named(unread, carried)
            for k, fig in enumerate(figures):
                prefix = clause[prev_end : fig.start]
                if names:
                    # 分别增长x%、y%: the verb after 分别 speaks for every figure of the list
                    prefix = clause[clause.find("分别") + 1 if "分别" in clause else 0 : figures[0].start]
                if names:
                    indicator, consumed = names[k], fig.end
                else:
                    indicator, consumed = first if k == 0 else self._indicator(prefix, clause, fig)
                if indicator in v["generic_level_bases"] and carried:
                    indicator = carried + indicator  # 新建院士工作站3家、总数达到13家
                if not indicator:
                    indicator = carried
                elif names and "分别" in clause:
                    carried = canonical_indicator(clause[: clause.index("分别")].strip("、和及")) or carried
                else:
                    carried = indicator if fig.unit not in ("个百分点",) else carried
                prev_end = max(fig.end, consumed)
                if not indicator:
                    continue
                measure = _measure(prefix, indicator, fig.unit)
                value = fig.value
                if measure == "growth" and any(w in prefix[-4:] for w in v["decline_words"]):
                    value = -value
                if words.compared.search(prefix):
                    indicator = carried + "增速" + words.compared_with.search(prefix).group(0)
                elif measure == "level" and prefix.rstrip().endswith("增加"):
                    indicator += "增加量"
                period = _year_of(sent.text, cstart + fig.start, default_period, status, self.doc)
                results.append(self._obs(area, indicator, period, value, fig, measure, status, sent, cstart))
            if has_rank:
                if unread:
                    carried = _latest_named(unread, carried)
                results.extend(self._ranks(clause, cstart, sent, carried, area, status, default_period))
        return [o for o in results if o is not None]

    def _indicator(self, prefix: str, clause: str, fig: Figure) -> tuple[str, int]:
        """(indicator, end of the words it used): before the figure, or verb + object after it."""
        v = self.v
        p = _strip_words(prefix.strip(), "leading_noise", leading=True)
        p = _word_patterns().leading_time.sub("", p)
        p = _strip_words(p, "leading_noise", leading=True)
        verbs, any_verb = _longest_first("object_verbs")
        verb = next((w for w in verbs if p.endswith(w)), "") if p.endswith(any_verb) else ""
        core = _strip_words(p, "trailing_verbs", leading=False).strip("、和及的")
        if self.region_prefix is not None:
            core = self.region_prefix.sub("", core)
        after = clause[fig.end :]
        m = COUNTED_OBJECT.match(after)
        obj = _strip_words(m.group(0), "trailing_verbs", leading=False) if m else ""
        counted = fig.unit in v["count_units"] and not fig.qualifier
        if obj and OBJECT_START.match(obj) and (verb or len(core) < 2 or counted):
            # 新建3000个5G基站, 、70个专项方案: the thing counted follows the figure
            return canonical_indicator((verb if verb else "") + obj), fig.end + m.end()
        # words run together from a broken layout (…增长6.8%地区生产总值): keep what follows the last figure
        garbled = bool(FIGURE_LIKE.search(core)) or len(core) > 16
        tail = FIGURE_LIKE.split(core)[-1]
        core = tail if len(tail) >= 2 else core
        if len(core) < 2:
            return "", fig.end
        known = _known_indicator(core) if garbled else ""
        return (known or canonical_indicator(core[-24:])), fig.end

    def _distributive(self, clause: str, figures: list[Figure]) -> list[str]:
        """A、B、C…分别增长x%、y%、z%: one indicator per figure, in order."""
        if "分别" not in clause or len(figures) < 2:
            return []
        head = clause[: clause.index("分别")]
        head = _strip_words(head, "leading_noise", leading=True)
        items = [x for x in re.split(r"[、和及]", head) if x]
        if len(items) != len(figures):
            return [canonical_indicator(head)] * len(figures) if len(head) >= 2 else []
        last = items[-1]
        tail = next((t for t in self.v["distributive_tails"] if t in last), "")
        if tail:
            base = last[last.index(tail) :]
            items = [x if tail in x else x + base for x in items]
        return [canonical_indicator(x) for x in items]

    def _ranks(self, clause, cstart, sent, carried, area, status, default_period) -> list[Observation]:
        out = []
        for m in self.rank.finditer(clause):
            n = m.group("n")
            if m.group("first"):
                value = 1.0
            elif n:
                from kg.measure.numbers import parse_value

                value = parse_value(n)
            else:
                continue
            if value is None or value > 100:
                continue
            if m.group("n") and not (m.group("verb") or m.group("scope") or m.group("suffix")):
                continue  # 科技是第一生产力: an ordinal, not a rank
            before = clause[: m.start()].split("、")[-1]
            if clause[m.end() : m.end() + 1] in _word_patterns().ordinal_nouns:
                continue
            base = self._indicator(before, clause, Figure(m.start(), m.end(), value, "位"))[0] or carried
            if not base:
                continue
            if base in self.v["generic_rank_bases"] and carried:
                base = carried + base  # 增速居全国第3位: the growth of what came before
            if ("增" in before or "增" in sent.text[:cstart]) and "增速" not in base:
                base += "增速"
            scope = m.group("scope") or ""
            indicator = base + scope + "排名"
            fig = Figure(m.start(), m.end(), value, "位")
            period = _year_of(sent.text, cstart + m.start(), default_period, status, self.doc)
            out.append(self._obs(area, indicator, period, value, fig, "rank", status, sent, cstart))
        return out

    def _obs(self, area, indicator, period, value, fig, measure, status, sent, cstart) -> Observation | None:
        if area is None or period is None:
            return None
        s = sent.start + cstart + fig.start
        e = sent.start + cstart + fig.end
        os_, oe = self.doc.original_span(s, e)
        ev = Evidence(self.doc.id, sent.index, os_, oe, "figure-in-clause", 0.7)
        return Observation(
            area=area.iri,
            indicator=indicator,
            period=period,
            value=round(value, 6),
            unit=fig.unit,
            measure=measure,
            status=status,
            qualifier=fig.qualifier,
            evidence=[ev],
            text=sent.text[max(0, cstart + fig.start - 12) : cstart + fig.end],
        )


def _drop_modifiers(clause: str, figures: list[Figure]) -> list[Figure]:
    """5000万元以上项目405个: a threshold before a noun modifies it; only 405个 is measured."""
    out = []
    for i, f in enumerate(figures):
        later = figures[i + 1 :]
        threshold = f.qualifier in ("以上", "以下") or f.unit in vocab()["modifier_units"]
        if later and threshold and HAN.match(clause[f.end : f.end + 1]):
            between = clause[f.end : later[0].start]
            if not LIST_MARK.search(between):
                continue
        out.append(f)
    return out


def _latest_named(clauses: list[str], carried: str) -> str:
    """`carried = _named_indicator(c) or carried` for each clause in turn, found from the
    latest clause back (the first that names one decides); `clauses` is emptied."""
    found = next((x for x in map(_named_indicator, reversed(clauses)) if x), "")
    clauses.clear()
    return found or carried


def _named_indicator(clause: str) -> str:
    """The longest registry indicator a clause names anywhere; of equally long ones the
    first in the registry, as max() over it would."""
    names, index = _registry_index()
    hits = index.within(clause)
    return canonical_indicator(names[max(hits, key=lambda i: len(names[i]))]) if hits else ""


@cache
def _registry_index():
    """The registry's names and the index of which occur in a text (positions ascending,
    so the first of equally long ones is the first in the registry)."""
    from kg.measure.registry import registry
    from kg.relate.index import SubstringIndex

    names = [n for n in registry() if n]
    return names, SubstringIndex(names)


def _known_indicator(core: str) -> str:
    """The longest registry indicator named in `core`, if little follows it."""
    from kg.measure.registry import registry

    best = ""
    for name in registry():
        i = core.rfind(name)
        if i >= 0 and len(core) - i - len(name) <= 4 and len(name) > len(best):
            best = name
    return canonical_indicator(best) if best else ""


Indexed = dict[int, list[tuple[int, int, int]]]  # the same as (start, -end, the entity's index in the entity list)


def document_inputs(docs: list[Document], entities: list[Entity]) -> dict[str, tuple[int | None, Indexed]]:
    """What the figures of one document depend on besides its text: its region's entity
    and the entities that occur in each of its sentences, as indices into `entities`
    (plain numbers: a worker is sent them cheaply, and the entities once, by
    `write_entity_table`)."""
    from kg.gazetteer import gazetteer
    from kg.resolve import place_iri

    gaz = gazetteer()
    index = {e.iri: k for k, e in enumerate(entities)}
    occ: dict[str, Indexed] = defaultdict(lambda: defaultdict(list))
    for k, e in enumerate(entities):
        for m in e.mentions:
            occ[m.doc_id][m.sentence].append((m.start, -m.end, k))
    out = {}
    for doc in docs:
        region = index.get(place_iri(gaz.by_code[doc.region])) if doc.region else None
        # by start, longest first, then in entity order (k rises as they were added); the
        # ends stay negated here, `with_entities` (in the worker) turns them back
        out[doc.id] = (region, {k: sorted(v) for k, v in occ[doc.id].items()})
    return out


def with_entities(entities: list[Entity], region: int | None, indexed: Indexed) -> tuple[Entity | None, Occurrences]:
    """`document_inputs` of one document with the indices replaced by the entities."""
    occurrences = {k: [(s, -t, entities[i]) for s, t, i in v] for k, v in indexed.items()}
    return (entities[region] if region is not None else None), occurrences


def write_entity_table(entities: list[Entity], path: Path) -> None:
    """The entities without their mentions (what figures and document graphs need), for
    the workers to read once each."""
    import pickle

    rows = [(e.iri, e.label, e.cls, sorted(e.alt_labels) if e.code else [], e.code, e.lon, e.lat) for e in entities]
    path.write_bytes(pickle.dumps(rows, protocol=pickle.HIGHEST_PROTOCOL))


@lru_cache(maxsize=2)
def read_entity_table(path: str, stamp: float) -> list[Entity]:
    """The table of `write_entity_table`, once per process and build (`stamp`: its mtime)."""
    import pickle

    rows = pickle.loads(Path(path).read_bytes())
    return [Entity(iri, label, cls, set(alt), [], code, lon, lat) for iri, label, cls, alt, code, lon, lat in rows]


def measure_document(doc: Document, region: Entity | None, occurrences: Occurrences) -> list[Observation]:
    return ObservationExtractor(doc, region, occurrences).extract()


def merge_observations(docs: list[Document], per_document: list[list[Observation]]) -> list[Observation]:
    """A fact stated twice (in one document or two) is one observation with both evidences."""
    merged: dict[str, Observation] = {}
    for observations in per_document:
        for o in observations:
            key = o.key
            if key in merged:
                merged[key].evidence.extend(o.evidence)
            else:
                merged[key] = o
    return _defer_to_full_reports(docs, [merged[k] for k in sorted(merged)])


def _defer_to_full_reports(docs: list[Document], observations: list[Observation]) -> list[Observation]:
    """A digest restating a report of the same region and year states its facts again.

    Where the two disagree on the period or status of the same figure, the fuller
    document (more sentences, more structure) is believed and the digest's copy joins it.
    """
    size = {d.id: len(d.sentences) for d in docs}
    edition = {d.id: (d.region, d.year_delivered) for d in docs}
    groups: dict[tuple, list[Observation]] = defaultdict(list)
    for o in observations:
        ed = edition[o.evidence[0].doc_id]
        groups[(o.area, o.indicator, o.value, o.unit, o.measure, ed)].append(o)
    out = []
    for group in groups.values():
        if len(group) == 1:
            out.extend(group)
            continue
        best = max(group, key=lambda o: (max(size[e.doc_id] for e in o.evidence), o.period, o.status))
        best_docs = {e.doc_id for e in best.evidence}
        for o in group:
            if o is best:
                continue
            if {e.doc_id for e in o.evidence} & best_docs:
                out.append(o)  # the same document says both: two facts, keep both
            else:
                best.evidence.extend(o.evidence)
        out.append(best)
    return sorted(out, key=attrgetter("key"))
