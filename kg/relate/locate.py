"""pk:locatedIn: the most specific place the text supports.

Sources, in the order of the gold guideline: administrative containment of divisions; a
place named inside a name (长春龙嘉国际机场 → 长春市, 查干湖生态修复治理工程 → 查干湖);
a route between two places (松江河至长白 → their common parent); a level-named body
(省委 → the province); and the document's own region for what it presents as its own.
"""

from __future__ import annotations

import re

from kg.nlp.rules import Trie
from kg.records import Entity
from kg.relate.context import Context, Edges
from kg.resolve import normalise, place_iri


def locate(ctx: Context, edges: Edges) -> None:
    r = ctx.rules["locate"]
    no_default = re.compile(r["no_region_default"])
    national = re.compile(r["national_org_prefix"])
    street = re.compile(r["street_suffix"])
    route = re.compile(r["route"])
    level_body = re.compile(r["level_bodies"])
    national_enterprises = _national_enterprises()
    _hierarchy(ctx, edges)
    forms = {f: e.iri for e in ctx.entities if e.cls == "Place" for f in _forms(e) if len(f) >= 2}
    places = Trie(forms, compiled=False)  # short names: no compiled scan (nor numba) in the parent
    ancestors: dict[str, set[str]] = {}
    for e in ctx.entities:
        if e.cls not in ("Enterprise", "Project", "Organization", "Place") or e.code:
            continue
        label = normalise(e.label)
        named_in: dict[str, list[Entity]] = {}  # by the document's region: the same for each mention
        for m in e.mentions:
            doc = ctx.docs[m.doc_id]
            region = ctx.by_iri.get(place_iri(ctx.gaz.by_code[doc.region])) if doc.region else None
            ev = ctx.evidence(m, "", 0.0)
            body = level_body.match(label) if e.cls == "Organization" else None
            if body:
                target = _level_target(ctx, doc.region, body.group(1))
                if target:
                    edges.add(e, "locatedIn", target, _with(ev, "level-named-body", 0.8))
                continue
            named = named_in.get(doc.region)
            if named is None:
                named = []
                if not street.search(label):
                    rm = route.match(label)
                    if rm:
                        named = _route_parent(ctx, places, rm.group(1), rm.group(2), doc.region)
                    else:
                        named = _places_in(ctx, places, e, doc.region)
                named_in[doc.region] = named
            for t in named:
                edges.add(e, "locatedIn", t, _with(ev, "name-contains-place", 0.8))
            if region is None or region.iri == e.iri:
                continue
            if e.cls == "Place" and no_default.search(label):
                continue
            if e.cls == "Organization" and national.search(label):
                continue
            if e.cls == "Enterprise" and label in national_enterprises:
                continue
            if region.iri not in ancestors:
                ancestors[region.iri] = _ancestors(ctx, region)
            if not named or all(t.iri == region.iri or t.iri in ancestors[region.iri] for t in named):
                edges.add(e, "locatedIn", region, _with(ev, "document-region", 0.6))
    _keep_most_specific(ctx, edges)


def _with(ev, rule: str, confidence: float):
    from dataclasses import replace

    return replace(ev, rule=rule, confidence=confidence)


def _forms(e: Entity) -> set[str]:
    return {normalise(e.label)} | {normalise(a) for a in e.alt_labels}


def _national_enterprises() -> set[str]:
    """Forms of the abbreviation table's enterprises that have no home region."""
    from kg.nlp.rules import GAZ_DIR, read_table

    out = set()
    for row in read_table(GAZ_DIR / "enterprises.tsv"):
        if not any(f.startswith("@") for f in row):
            out.update(normalise(f) for f in row if f and not f.startswith("@"))
    return out


def _hierarchy(ctx: Context, edges: Edges) -> None:
    """Containment of divisions: evidence is the division table, not a sentence."""
    from kg.records import Evidence

    for e in ctx.entities:
        if not e.code:
            continue
        chain = ctx.gaz.ancestors(ctx.gaz.by_code[e.code])
        if chain and place_iri(chain[0]) in ctx.by_iri:
            edges.add(e, "locatedIn", ctx.by_iri[place_iri(chain[0])], Evidence("", -1, rule="gazetteer-hierarchy"))


def _ancestors(ctx: Context, place: Entity) -> set[str]:
    if not place.code:
        return set()
    return {place_iri(a) for a in ctx.gaz.ancestors(ctx.gaz.by_code[place.code])}


def _level_target(ctx: Context, region_code: str, level: str) -> Entity | None:
    if not region_code:
        return None
    d = ctx.gaz.by_code[region_code]
    chain = [d] + ctx.gaz.ancestors(d)
    want = {"省": "province", "市": "prefecture", "州": "prefecture", "县": "county"}[level]
    for x in chain:
        if x.level == want:
            return ctx.by_iri.get(place_iri(x))
    return None


def _places_in(ctx: Context, places: Trie, e: Entity, region_code: str) -> list[Entity]:
    province = region_code[:2] + "0000000000" if region_code else ""
    found: dict[str, Entity] = {}
    for form in sorted(_forms(e), key=len, reverse=True):
        for s, t, iri in places.scan(form):
            if t - s == len(form) or iri == e.iri:
                continue
            target = ctx.by_iri[iri]
            if target.code:
                d = ctx.gaz.lookup(form[s:t], province)
                if not d or place_iri(d) not in ctx.by_iri:
                    continue
                target = ctx.by_iri[place_iri(d)]
            found[target.iri] = target
        if found:
            break
    return list(found.values())


def _route_parent(ctx: Context, places: Trie, a: str, b: str, region_code: str) -> list[Entity]:
    """The lowest division containing both ends of a route, if any."""
    province = region_code[:2] + "0000000000" if region_code else ""
    chains = []
    for end in (a, b):
        d = None
        for s, t, _ in places.scan(end):
            d = ctx.gaz.lookup(end[s:t], province) or d
        if d is None:
            d = ctx.gaz.lookup(end, province)
        if d is None:
            return []
        chains.append([d] + ctx.gaz.ancestors(d))
    common = [x for x in chains[0] if x in chains[1]]
    if common and place_iri(common[0]) in ctx.by_iri:
        return [ctx.by_iri[place_iri(common[0])]]
    return []


def _keep_most_specific(ctx: Context, edges: Edges) -> None:
    """Drop a target that contains another target of the same entity."""
    parents: dict[str, set[str]] = {}
    for h, p, t in edges.edges:
        if p == "locatedIn":
            parents.setdefault(h, set()).add(t)

    def above(iri: str, seen: set[str]) -> set[str]:
        out = set()
        for t in parents.get(iri, ()):
            if t not in seen:
                seen.add(t)
                out |= {t} | above(t, seen)
        return out

    for h, targets in parents.items():
        for t in list(targets):
            if any(t in above(o, {h}) for o in targets if o != t):
                edges.remove(h, "locatedIn", t)
