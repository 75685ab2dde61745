"""Entity resolution: one node per real thing, with a stable readable IRI.

Surface forms are grouped by a key that ignores what reports vary (quotes, corporate
suffixes, 项目/工程, 产业/集群); places by their division code; enterprises also by the
abbreviation table. The IRI is minted from the key, not the label, so adding documents
that show a longer name does not rename a node.
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from collections import Counter, defaultdict
from functools import lru_cache
from pathlib import Path

from kg.gazetteer import Division, gazetteer
from kg.records import Document, Entity, Mention

ID = "https://w3id.org/policykg/id/"
DATA = Path(__file__).resolve().parent / "data" / "resolve.json"
QUOTES = "“”‘’\"'「」『』《》"


@lru_cache(maxsize=1)
def _rules() -> dict:
    return json.loads(DATA.read_text(encoding="utf-8"))


@lru_cache(maxsize=1 << 18)
def normalise(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[%s\\s]" % re.escape(QUOTES), "", s)


def _strip_suffixes(name: str, suffixes: list[str], min_rest: int = 2, once: bool = False) -> str:
    changed = True
    while changed:
        changed = False
        for suf in suffixes:
            if name.endswith(suf) and len(name) - len(suf) >= min_rest:
                name = name[: -len(suf)]
                changed = not once
                break
    return name


@lru_cache(maxsize=1)
def _enterprise_groups() -> dict[str, str]:
    from kg.nlp.rules import GAZ_DIR, read_table

    groups = {}
    for row in read_table(GAZ_DIR / "enterprises.tsv"):
        for f in row:
            if not f.startswith("@"):
                groups[normalise(f)] = normalise(row[0])
    for children, _parent in read_table(GAZ_DIR / "subsidiaries.tsv"):
        forms = [normalise(f) for f in children.split(",")]
        for f in forms:
            groups[f] = forms[0]
    return groups


@lru_cache(maxsize=1)
def _generic_quoted_tails() -> tuple[str, ...]:
    from kg.nlp.rules import PATTERNS, read_table

    return tuple(sorted({r[0] for r in read_table(PATTERNS / "quoted.tsv")}, key=len, reverse=True))


def _strip_modifiers(name: str) -> str:
    rest = re.sub(_rules()["modifier_prefixes"], "", name)
    return rest if len(rest) >= 2 else name


@lru_cache(maxsize=1 << 18)
def resolution_key(surface: str, cls: str, region_name: str = "") -> str:
    """What two mentions must share to be one entity (within a class).

    `region_name` is the document's region: 省政府 in a 吉林省 report is 吉林省政府.
    Cached: the same names recur in every report (a hundred reports, 185k mentions).
    """
    rules = _rules()
    name = normalise(surface)
    if cls == "Organization":
        m = re.match(rules["government_bodies"]["pattern"], name)
        if m and region_name and region_name.endswith(m.group(1)):
            name = region_name + name[len(m.group(1)) :]
        return name.replace("人民政府", "政府")
    if cls == "Enterprise":
        group = _enterprise_groups().get(name) or _enterprise_groups().get(
            _strip_suffixes(name, rules["enterprise_suffixes"])
        )
        return group or _strip_suffixes(name, rules["enterprise_suffixes"])
    if cls == "Programme":
        # “一主六双”高质量发展战略 is “一主六双”; “专精特新”中小企业培育计划 is not “专精特新”
        raw = unicodedata.normalize("NFKC", surface)
        m = re.search(r"[“「『]([^“”「」『』]{2,})[”」』](.*)$", raw)
        if m and (not m.group(2) or normalise(m.group(2)) in _generic_quoted_tails()):
            name = normalise(m.group(1))
        return _strip_suffixes(_strip_modifiers(name), rules["programme_suffixes"])
    if cls == "Industry":
        name = _strip_modifiers(name)
        for ch in rules["industry_drop_chars"]:
            name = name.replace(ch, "")
        return _strip_suffixes(name, rules["class_suffixes"][cls], once=True)
    if cls in rules["class_suffixes"]:
        return _strip_suffixes(name, rules["class_suffixes"][cls])
    return name


@lru_cache(maxsize=1 << 16)
def _word_pinyin(word: str) -> str:
    """pypinyin reads a word at a time (for polyphones); names share their words."""
    from pypinyin import lazy_pinyin

    p = "".join(lazy_pinyin(word, errors=lambda x: list(x)))
    return re.sub(r"[^a-z0-9]+", "", p.lower())


@lru_cache(maxsize=1 << 16)
def slug(text: str) -> str:
    """Readable pinyin slug: words joined by '-', e.g. 吉林化纤 → jilin-huaxian."""
    from kg.nlp.words import words as jieba_words

    words = [p for p in map(_word_pinyin, jieba_words(text, hmm=False)) if p]
    out = "-".join(words)[:80].strip("-")
    return out or hashlib.sha1(text.encode()).hexdigest()[:10]


CLASS_PATH = {
    "Enterprise": "enterprise",
    "Organization": "organization",
    "Project": "project",
    "Place": "place",
    "Programme": "programme",
    "Industry": "industry",
    "Product": "product",
}


Group = tuple[str, str]  # ("key", resolution key) or ("division", code): mentions of one name


def place_iri(d: Division) -> str:
    return f"{ID}place/{slug(d.name)}-{d.code[:6]}"


class Resolver:
    """Accumulates mentions across documents and yields entities."""

    def __init__(self) -> None:
        self.gaz = gazetteer()
        self.groups: dict[Group, list[Mention]] = defaultdict(list)
        self.divisions: dict[str, Division] = {}
        # kept up to date as documents arrive (while the build's workers recognise the next
        # ones), so that `entities()`, which the workers wait for, only reads them
        self._labels: dict[Group, Counter] = defaultdict(Counter)  # class guesses per group
        self._forms: dict[Group, Counter] = defaultdict(Counter)  # normalised surface forms per group
        self._owner: dict[str, Group] = {}  # a form → a name group that has it
        self._parent: dict[Group, Group] = {}  # groups sharing a form, joined (union-find)

    def add(self, doc: Document, mentions: list[Mention]) -> None:
        province = doc.region[:2] + "0000000000" if doc.region else ""
        region_name = self.gaz.by_code[doc.region].name if doc.region in self.gaz.by_code else ""
        for m in mentions:
            form = normalise(m.text)
            if m.label == "Place":
                d = self.gaz.lookup(form, province)
                if d:
                    if d.code not in self.divisions:
                        self.divisions[d.code] = d
                        place_iri(d)  # its slug made now, as below
                    group = ("division", d.code)
                    self.groups[group].append(m)
                    self._forms[group][form] += 1
                    continue
            group = ("key", resolution_key(m.text, m.label, region_name))
            if group not in self.groups:
                self._parent[group] = group
                slug(group[1])  # a new name's slug made now, not in `entities()`
            self.groups[group].append(m)
            self._labels[group][m.label] += 1
            self._forms[group][form] += 1
            owner = self._owner.setdefault(form, group)
            if owner != group:
                a, b = self._root(owner), self._root(group)
                if a != b:
                    self._parent[max(a, b)] = min(a, b)

    def _root(self, g: Group) -> Group:
        parent = self._parent
        while parent[g] != g:
            parent[g] = parent[parent[g]]
            g = parent[g]
        return g

    def _merged_groups(self) -> dict[Group, list[Group]]:
        """Groups that share a surface form are one entity, whatever class each guessed:
        each entity's groups (in order) under the first of them. The first is the same
        whatever order the documents came in, as a joined pair keeps the smaller root."""
        merged: dict[Group, list[Group]] = defaultdict(list)
        for g in sorted(self.groups):
            merged[self._root(g) if g[0] == "key" else g].append(g)
        return merged

    def _tally(self, tallies: dict[Group, Counter], members: list[Group]) -> Counter:
        """The members' counts added up, in the order the members' mentions come (ties in
        `most_common` go to the first met, as when the mentions were counted one by one)."""
        if len(members) == 1:
            return tallies[members[0]]
        total: Counter = Counter()
        for g in members:
            total.update(tallies[g])
        return total

    def entities(self) -> list[Entity]:
        out: dict[str, Entity] = {}
        used_iris: dict[str, str] = {}
        for (kind, key), members in sorted(self._merged_groups().items()):
            forms = self._tally(self._forms, members)
            if kind == "division":
                d = self.divisions[key]
                ent = self._division_entity(d)
            else:
                cls = self._tally(self._labels, members).most_common(1)[0][0]
                iri = f"{ID}{CLASS_PATH[cls]}/{slug(key)}"
                if used_iris.get(iri, key) != key:
                    iri += "-" + hashlib.sha1(key.encode()).hexdigest()[:6]
                used_iris[iri] = key
                label = max(forms, key=lambda f: (len(f), forms[f], f))
                ent = Entity(iri=iri, label=label, cls=cls)
            for g in members:
                ent.mentions.extend(self.groups[g])
            ent.alt_labels |= forms.keys() - {ent.label}
            if ent.iri in out:
                out[ent.iri].mentions.extend(ent.mentions)
                out[ent.iri].alt_labels |= ent.alt_labels - {out[ent.iri].label}
            else:
                out[ent.iri] = ent
        # administrative ancestors of mentioned places belong in the graph
        for d in list(self.divisions.values()):
            for a in self.gaz.ancestors(d):
                iri = place_iri(a)
                if iri not in out:
                    out[iri] = self._division_entity(a)
        return [out[k] for k in sorted(out)]

    def _division_entity(self, d: Division) -> Entity:
        return Entity(iri=place_iri(d), label=d.name, cls="Place", code=d.code, lon=d.lon, lat=d.lat)

    def iri_of(self, d: Division) -> str:
        return place_iri(d)
