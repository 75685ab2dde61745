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


def normalise(s: str) -> str:
    s = unicodedata.normalize("NFKC", s)
    return re.sub("[%s\\s]" % re.escape(QUOTES), "", s)


def _strip_suffixes(name: str, suffixes: list[str], min_rest: int = 2) -> str:
    changed = True
    while changed:
        changed = False
        for suf in suffixes:
            if name.endswith(suf) and len(name) - len(suf) >= min_rest:
                name = name[: -len(suf)]
                changed = True
                break
    return name


@lru_cache(maxsize=1)
def _enterprise_groups() -> dict[str, str]:
    from kg.nlp.rules import GAZ_DIR, read_table

    groups = {}
    for row in read_table(GAZ_DIR / "enterprises.tsv"):
        for f in row:
            groups[normalise(f)] = normalise(row[0])
    return groups


def resolution_key(surface: str, cls: str) -> str:
    """What two mentions must share to be one entity (within a class)."""
    rules = _rules()
    name = normalise(surface)
    if cls == "Enterprise":
        group = _enterprise_groups().get(name) or _enterprise_groups().get(
            _strip_suffixes(name, rules["enterprise_suffixes"])
        )
        return group or _strip_suffixes(name, rules["enterprise_suffixes"])
    if cls == "Programme":
        m = re.search(r"[“「『]([^“”「」『』]{2,})[”」』]", unicodedata.normalize("NFKC", surface))
        core = normalise(m.group(1)) if m else name
        return _strip_suffixes(core, rules["programme_suffixes"])
    if cls in rules["class_suffixes"]:
        return _strip_suffixes(name, rules["class_suffixes"][cls])
    return name


def slug(text: str) -> str:
    """Readable pinyin slug: words joined by '-', e.g. 吉林化纤 → jilin-huaxian."""
    import jieba
    from pypinyin import lazy_pinyin

    words = []
    for w in jieba.lcut(text, HMM=False):
        p = "".join(lazy_pinyin(w, errors=lambda x: list(x)))
        p = re.sub(r"[^a-z0-9]+", "", p.lower())
        if p:
            words.append(p)
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


def place_iri(d: Division) -> str:
    return f"{ID}place/{slug(d.name)}-{d.code[:6]}"


class Resolver:
    """Accumulates mentions across documents and yields entities."""

    def __init__(self) -> None:
        self.gaz = gazetteer()
        self.groups: dict[tuple[str, str], list[Mention]] = defaultdict(list)
        self.divisions: dict[str, Division] = {}

    def add(self, doc: Document, mentions: list[Mention]) -> None:
        province = doc.region[:2] + "0000000000" if doc.region else ""
        for m in mentions:
            if m.label == "Place":
                d = self.gaz.lookup(normalise(m.text), province)
                if d:
                    self.divisions[d.code] = d
                    self.groups[("division", d.code)].append(m)
                    continue
            self.groups[("key", resolution_key(m.text, m.label))].append(m)

    def entities(self) -> list[Entity]:
        out: dict[str, Entity] = {}
        used_iris: dict[str, str] = {}
        for (kind, key), mentions in sorted(self.groups.items()):
            if kind == "division":
                d = self.divisions[key]
                ent = self._division_entity(d)
            else:
                cls = Counter(m.label for m in mentions).most_common(1)[0][0]
                iri = f"{ID}{CLASS_PATH[cls]}/{slug(key)}"
                if used_iris.get(iri, key) != key:
                    iri += "-" + hashlib.sha1(key.encode()).hexdigest()[:6]
                used_iris[iri] = key
                forms = Counter(normalise(m.text) for m in mentions)
                label = max(forms, key=lambda f: (len(f), forms[f], f))
                ent = Entity(iri=iri, label=label, cls=cls)
            ent.mentions.extend(mentions)
            forms = {normalise(m.text) for m in mentions}
            if kind == "division" and self.divisions[key].name not in forms:
                ent.label = max(forms, key=lambda f: (len(f), f))
            ent.alt_labels |= forms - {ent.label}
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
