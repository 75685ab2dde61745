"""Relations that a sentence states between the entities it names.

Each rule looks at the occurrences of one sentence in text order and the words between
them: 支持E…建设P (undertakenBy), 实施G，推动P (implements), P纳入G (implements),
A、B、C三大工程 (partOf), E开发P (produces), and the topic sentence of a paragraph
(汽车产业集群稳步上台阶。一汽集团…) that ties what follows to an industry (inIndustry).
"""

from __future__ import annotations

import bisect
import re
from functools import lru_cache

from kg.records import Entity
from kg.relate.context import Context, Edges, Occ
from kg.relate.index import SubstringIndex

QUOTES = '“”‘’「」『』"'


def undertaken_by_clause(ctx: Context, edges: Edges) -> None:
    r = ctx.rules["undertaken"]
    for occs in ctx.occ.values():
        for i, p in enumerate(occs):
            if p.cls != "Project" or edges.has(p.entity.iri, "undertakenBy"):
                continue
            for e in reversed(occs[:i]):
                if e.cls not in ("Enterprise",) or e.end > p.start:
                    continue
                gap = ctx.between(e, p)
                if len(gap) > r["max_gap_chars"] or any(s in gap for s in r["stop_between"]):
                    break
                if any(t in gap for t in r["clause_triggers"]):
                    edges.add(
                        p.entity, "undertakenBy", e.entity, ctx.evidence(p.mention, "enterprise-then-project", 0.6)
                    )
                break


def _introduced_programmes(ctx: Context) -> list[tuple[list[Occ], int, Occ]]:
    """(top-level occurrences, index, programme) for each programme a trigger verb
    introduces (实施X); found once for the two rules that read them."""
    found = ctx.memo.get("introduced_programmes")
    if found is None:
        triggers = tuple(ctx.rules["implements"]["programme_triggers"])
        found = ctx.memo["introduced_programmes"] = []
        for occs in ctx.occ.values():
            top = ctx.top_level(occs)
            for i, g in enumerate(top):
                if g.cls == "Programme" and ctx.docs[g.mention.doc_id].text[max(0, g.start - 4) : g.start].endswith(
                    triggers
                ):
                    found.append((top, i, g))
    return found


def implements_after_programme(ctx: Context, edges: Edges) -> None:
    """实施G，推动P: projects after a programme that a trigger verb introduces implement it."""
    r = ctx.rules["implements"]
    for top, i, g in _introduced_programmes(ctx):
        for x in top[i + 1 :]:
            if x.cls == "Project" and x.start - g.end <= r["max_gap_chars"]:
                edges.add(x.entity, "implements", g.entity, ctx.evidence(x.mention, "programme-then-project", 0.6))


def implements_by_joining(ctx: Context, edges: Edges) -> None:
    """P纳入G, E入选G: a project or enterprise that joins a programme implements it."""
    r = ctx.rules["implements"]
    for occs in ctx.occ.values():
        top = ctx.top_level(occs)
        for i, g in enumerate(top):
            if g.cls != "Programme":
                continue
            x = next((o for o in reversed(top[:i]) if o.cls in ("Project", "Enterprise")), None)
            if x is None:
                continue
            gap = ctx.between(x, g)
            if len(gap) <= r["max_gap_chars"] and any(t in gap for t in r["join_triggers"]):
                edges.add(x.entity, "implements", g.entity, ctx.evidence(x.mention, "joins-programme", 0.7))


def part_of_by_joining(ctx: Context, edges: Edges) -> None:
    """…项目加入国家算力网: a project that joins a network or a larger project is part of it."""
    joins = ctx.rules["implements"]["join_triggers"]
    for occs in ctx.occ.values():
        top = ctx.top_level(occs)
        for i, x in enumerate(top):
            if x.cls != "Project":
                continue
            for y in top[i + 1 :]:
                gap = ctx.between(x, y)
                if len(gap) > 12:
                    break
                if y.cls == "Project" and any(t in gap for t in joins):
                    edges.add(x.entity, "partOf", y.entity, ctx.evidence(x.mention, "joins-project", 0.6))


def part_of_enumeration(ctx: Context, edges: Edges) -> None:
    r = ctx.rules["part_of"]
    count = re.compile(r["count_head"])
    seps = sorted(r["enum_separators"], key=len, reverse=True)
    for occs in ctx.occ.values():
        top = ctx.top_level(occs)
        for i, whole in enumerate(top):
            if whole.cls not in ("Programme", "Project") or i == 0:
                continue
            gap = ctx.between(top[i - 1], whole).strip(QUOTES)
            if not (count.match(whole.mention.text) or (gap and count.fullmatch(gap))):
                continue
            parts = [top[i - 1]]
            for j in range(i - 2, -1, -1):
                g = ctx.between(top[j], parts[-1]).strip(QUOTES)
                if g not in seps:
                    break
                parts.append(top[j])
            if len(parts) < 2 and not gap:
                continue
            for p in parts:
                if p.cls == whole.cls:
                    edges.add(p.entity, "partOf", whole.entity, ctx.evidence(p.mention, "enumeration-then-whole", 0.7))


def part_of_clause(ctx: Context, edges: Edges) -> None:
    """实施X，推行Y和Z: programmes introduced after a programme in one sentence are its parts."""
    r = ctx.rules["part_of"]
    for top, i, g in _introduced_programmes(ctx):
        doc = ctx.docs[g.mention.doc_id]
        for y in top[i + 1 :]:
            if y.cls != "Programme":
                continue
            gap = doc.text[g.end : y.start]
            if len(gap) > r["max_gap_chars"] or "。" in gap or ";" in gap:
                break
            if y.entity.label.endswith(tuple(r["never_parts"])):
                continue
            if ("," in gap or "，" in gap) and any(t in gap for t in r["sub_triggers"]):
                edges.add(y.entity, "partOf", g.entity, ctx.evidence(y.mention, "programme-then-subprogramme", 0.5))


def produces_clause(ctx: Context, edges: Edges) -> None:
    r = ctx.rules["produces"]
    for occs in ctx.occ.values():
        for i, p in enumerate(occs):
            if p.cls != "Product":
                continue
            for e in reversed(occs[:i]):
                if e.cls != "Enterprise" or e.end > p.start:
                    continue
                gap = ctx.between(e, p)
                if len(gap) > r["max_gap_chars"] or "。" in gap:
                    break
                if not gap or any(v in gap for v in r["verbs"]):
                    edges.add(e.entity, "produces", p.entity, ctx.evidence(p.mention, "enterprise-makes-product", 0.6))
                break


def industry_topics(ctx: Context, edges: Edges) -> None:
    """A short sentence that names an industry sets the topic until the paragraph ends.

    聚力打造世界级冰雪产业基地。加快建设北大湖度假区整体开发… ties the projects that
    follow to 冰雪产业; a new topic sentence or a new paragraph ends it.
    """
    r = ctx.rules["industry"]
    for doc in ctx.docs.values():
        topic: list[Occ] = []
        paragraph, par, counted = -1, 0, 0
        for s in doc.sentences:
            par += doc.text.count("\n", counted, s.start)  # line breaks before the sentence
            counted = max(counted, s.start)
            if par != paragraph:
                topic, paragraph = [], par
            occs = ctx.occ.get((doc.id, s.index), [])
            inds = [o for o in occs if o.cls == "Industry"]
            if inds and len(s.text) <= r["topic_sentence_max_chars"]:
                topic = inds
                continue
            for o in occs:
                if o.cls in ("Enterprise", "Project"):
                    for t in topic:
                        edges.add(
                            o.entity, "inIndustry", t.entity, ctx.evidence(o.mention, "paragraph-topic-industry", 0.5)
                        )


@lru_cache(maxsize=8)
def _separator(seps: str) -> re.Pattern:
    return re.compile("[" + re.escape(seps) + "]")


def _clause_index(text: str, start: int, end: int, seps: str):
    """position → the number of clause separators before it in text[start:end]."""
    cuts = [m.start() for m in _separator(seps).finditer(text, start, end)]

    def clause_of(pos: int) -> int:
        return bisect.bisect_left(cuts, pos)

    return clause_of


def industry_of_undertaker(ctx: Context, edges: Edges) -> None:
    """An enterprise works in the industries of the projects it undertakes."""
    by_iri = ctx.by_iri
    projects_industries: dict[str, list[str]] = {}
    for (h, p, t), _ in list(edges.edges.items()):
        if p == "inIndustry" and by_iri[h].cls == "Project":
            projects_industries.setdefault(h, []).append(t)
    for (h, p, t), ev in list(edges.edges.items()):
        if p != "undertakenBy":
            continue
        for ind in projects_industries.get(h, []):
            e = ctx.evidence_like(ev[0], "undertaker-of-industry-project", 0.5) if ev else None
            edges.add(by_iri[t], "inIndustry", by_iri[ind], e)


def industry_clause(ctx: Context, edges: Edges) -> None:
    """An enterprise or project and an industry in one sentence (做精“矿产开发”,加快吉恩镍业…).

    An industry named inside a programme of the sentence counts too: 实施汽车产业集群
    “上台阶”工程，推动…项目 ties the projects to 汽车产业.
    """
    from kg.relate.names import industry_keys

    keys = industry_keys(ctx)
    key_index = SubstringIndex([k for k, _ in keys])
    inside: dict[str, list[Entity]] = {}  # programme label → industries named inside it
    seps = ctx.rules["industry"]["clause_separators"]
    for (doc_id, index), occs in ctx.occ.items():
        top = ctx.top_level(occs)
        if not any(o.cls in ("Industry", "Programme") for o in top):
            continue  # no industry, named or inside a programme: nothing to tie
        doc = ctx.docs[doc_id]
        sent = doc.sentences[index]
        clause_of = _clause_index(doc.text, sent.start, sent.end, seps)
        inds: list[tuple[int, object]] = [(clause_of(o.start), o.entity) for o in top if o.cls == "Industry"]
        for g in top:
            if g.cls == "Programme":
                label = g.entity.label
                if label not in inside:
                    inside[label] = [keys[i][1] for i in key_index.within(label)]
                inds += [(clause_of(g.start), i) for i in inside[label]]
        for a in top:
            if a.cls not in ("Enterprise", "Project"):
                continue
            ca = clause_of(a.start)
            for cb, b in inds:
                # the industry opens the sentence (做精“矿产开发”，加快…) or shares the clause
                if cb == 0 or cb == ca:
                    edges.add(a.entity, "inIndustry", b, ctx.evidence(a.mention, "same-sentence-industry", 0.4))
