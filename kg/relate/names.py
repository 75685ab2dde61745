"""Relations that the structure of a name states.

A project named after its enterprise (吉林碳谷15万吨…项目 → undertakenBy 吉林碳谷), a
brand or joint venture named after its group (一汽红旗, 奥迪一汽 → subsidiaryOf 一汽), a
phase named after its project (…机场三期 → partOf …机场), a product named after its
maker (红旗H9 ← 红旗汽车), a project whose name holds an industry (…新能源汽车项目 →
inIndustry 新能源汽车产业).
"""

from __future__ import annotations

import re

from kg.records import Entity
from kg.relate.context import Context, Edges
from kg.relate.index import PrefixIndex, SubstringIndex
from kg.resolve import normalise, resolution_key


def _forms(e: Entity) -> list[str]:
    return sorted({normalise(e.label)} | {normalise(a) for a in e.alt_labels}, key=len, reverse=True)


def _evidence(ctx: Context, e: Entity, rule: str, confidence: float):
    m = ctx.first_mention(e)
    return ctx.evidence(m, rule, confidence) if m else None


def _prefix_owner(form: str, owners: PrefixIndex[Entity], joiners: tuple[str, ...]) -> list[tuple[str, Entity]]:
    """Owners whose form begins `form` (the longest), following 和/与/、 to a second owner."""
    out = []
    rest = form
    while True:
        hit = next(((f, values[0]) for f, values in owners.prefixes(rest, len(rest) - 1, 2)), None)
        if not hit:
            break
        out.append(hit)
        rest = rest[len(hit[0]) :]
        if not rest.startswith(joiners):
            break
        rest = rest[1:]
    return out


def undertaken_by_name(ctx: Context, edges: Edges) -> None:
    owners = PrefixIndex(
        (f, e) for e in ctx.entities if e.cls in ("Enterprise", "Organization") for f in _forms(e) if len(f) >= 2
    )
    for p in ctx.entities:
        if p.cls != "Project":
            continue
        for form in _forms(p):
            hits = _prefix_owner(form, owners, tuple(ctx.rules["names"]["owner_joiners"]))
            for _, owner in hits:
                edges.add(p, "undertakenBy", owner, _evidence(ctx, p, "name-begins-with-owner", 0.9))
            if hits:
                break


def subsidiary_by_name(ctx: Context, edges: Edges) -> None:
    """一汽红旗 → 一汽 from the name; 红旗汽车 → 一汽集团 from the table of known subsidiaries."""
    from kg.nlp.rules import GAZ_DIR, read_table

    ents = [e for e in ctx.entities if e.cls == "Enterprise"]
    by_key = {resolution_key(f, "Enterprise"): e for e in ents for f in _forms(e)}
    for children, parent in read_table(GAZ_DIR / "subsidiaries.tsv"):
        child = by_key.get(resolution_key(children.split(",")[0], "Enterprise"))
        group = by_key.get(resolution_key(parent, "Enterprise"))
        if child and group:
            edges.add(child, "subsidiaryOf", group, _evidence(ctx, child, "known-subsidiary", 0.9))
    forms = PrefixIndex((f, e) for e in ents for f in _forms(e) if len(f) >= 2)
    for e in ents:
        for form in _forms(e):
            parent = _group_in_name(form, forms, e)
            if parent is not None:
                edges.add(e, "subsidiaryOf", parent, _evidence(ctx, e, "name-contains-group", 0.8))


def _group_in_name(form: str, forms: PrefixIndex[Entity], child: Entity) -> Entity | None:
    """The other enterprise whose (longest) form begins `form`, or ends it after two characters."""
    for n in range(len(form) - 1, 1, -1):
        candidates = {form[:n]}
        if len(form) - n >= 2:
            candidates.add(form[-n:])
        for f in sorted(candidates):
            parent = next((p for p in forms.get(f) if p is not child), None)
            if parent is not None:
                return parent
    return None


def produces_by_name(ctx: Context, edges: Edges) -> None:
    makers = []
    for e in ctx.entities:
        if e.cls != "Enterprise":
            continue
        for f in _forms(e):
            makers.append((f, e))
            for suf in ctx.rules["names"]["maker_suffixes"]:
                if f.endswith(suf) and len(f) - len(suf) >= 2:
                    makers.append((f[: -len(suf)], e))
    index = PrefixIndex(makers)
    for p in ctx.entities:
        if p.cls != "Product":
            continue
        for form in _forms(p):
            hit = next((values[0] for _, values in index.prefixes(form, len(form) - 1, 0)), None)
            if hit:
                edges.add(hit, "produces", p, _evidence(ctx, p, "product-named-after-maker", 0.7))
                break


def part_of_by_name(ctx: Context, edges: Edges) -> None:
    phase = re.compile(ctx.rules["part_of"]["phase"])
    projects = [e for e in ctx.entities if e.cls == "Project"]
    wholes = PrefixIndex((f, e) for e in projects for f in _forms(e) if len(f) >= 4)
    for p in projects:
        for form in _forms(p):
            hit = next(
                (
                    w
                    for f, values in wholes.prefixes(form, len(form), 4)
                    if phase.fullmatch(form[len(f) :])
                    for w in values
                    if w is not p
                ),
                None,
            )
            if hit:
                edges.add(p, "partOf", hit, _evidence(ctx, p, "name-extends-project", 0.8))
                break


def part_of_by_component(ctx: Context, edges: Edges) -> None:
    """120万吨乙烯 is a component of 吉化120万吨乙烯转型升级项目, whose name holds it."""
    projects = [e for e in ctx.entities if e.cls == "Project"]
    parts = [(a, normalise(a.label)) for a in projects]
    parts = [(a, la) for a, la in parts if la[:1].isdigit() and not la.endswith(("项目", "工程"))]
    index = SubstringIndex([la for _, la in parts])
    wholes: list[list[Entity]] = [[] for _ in parts]
    for b in projects:
        lb = normalise(b.label)
        for k in index.within(lb):
            a, la = parts[k]
            if b is not a and len(lb) - len(la) >= 4:
                wholes[k].append(b)
    for (a, _), bs in zip(parts, wholes):
        for b in bs:
            edges.add(a, "partOf", b, _evidence(ctx, a, "name-inside-project", 0.6))


def industry_keys(ctx: Context) -> list[tuple[str, Entity]]:
    """(key, industry) for every industry form specific enough to find inside a name."""
    generic = set(ctx.rules["industry"]["generic_keys"])
    min_chars = ctx.rules["industry"]["min_key_chars"]
    keys = []
    for i in ctx.entities:
        if i.cls != "Industry":
            continue
        for f in _forms(i):
            k = resolution_key(f, "Industry")
            if len(k) >= min_chars and k not in generic:
                keys.append((k, i))
    unique = {(k, i.iri): (k, i) for k, i in keys}
    return [unique[x] for x in sorted(unique, key=lambda x: (-len(x[0]), x))]


def industry_by_name(ctx: Context, edges: Edges) -> None:
    keys = industry_keys(ctx)
    index = SubstringIndex([k for k, _ in keys])
    for e in ctx.entities:
        if e.cls not in ("Project", "Enterprise"):
            continue
        label = normalise(e.label)
        for i in index.within(label):
            k, ind = keys[i]
            if k != label:
                edges.add(e, "inIndustry", ind, _evidence(ctx, e, "name-contains-industry", 0.7))
