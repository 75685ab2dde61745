"""Relations that a sentence states between the entities it names.

Each rule looks at the occurrences of one sentence in text order and the words between
them: 支持E…建设P (undertakenBy), 实施G，推动P (implements), P纳入G (implements),
A、B、C三大工程 (partOf), E开发P (produces), and the topic sentence of a paragraph
(汽车产业集群稳步上台阶。一汽集团…) that ties what follows to an industry (inIndustry).
"""

from __future__ import annotations

import re

from kg.relate.context import Context, Edges, Occ


def _top_level(occs: list[Occ]) -> list[Occ]:
    """Occurrences not nested inside another occurrence of the sentence."""
    out = []
    for o in occs:
        if not any(
            x is not o and x.start <= o.start and o.end <= x.end and (x.end - x.start) > (o.end - o.start) for x in occs
        ):
            out.append(o)
    return out


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


def implements_clause(ctx: Context, edges: Edges) -> None:
    r = ctx.rules["implements"]
    for occs in ctx.occ.values():
        top = _top_level(occs)
        for i, g in enumerate(top):
            if g.cls != "Programme":
                continue
            doc = ctx.docs[g.mention.doc_id]
            before = doc.text[max(0, g.start - 4) : g.start]
            if any(before.endswith(t) for t in r["programme_triggers"]):
                for x in top[i + 1 :]:
                    if x.cls == "Project" and x.start - g.end <= r["max_gap_chars"]:
                        edges.add(
                            x.entity, "implements", g.entity, ctx.evidence(x.mention, "programme-then-project", 0.6)
                        )
            for x in reversed(top[:i]):
                if x.cls not in ("Project", "Enterprise"):
                    continue
                gap = ctx.between(x, g)
                if len(gap) <= r["max_gap_chars"] and any(t in gap for t in r["join_triggers"]):
                    edges.add(x.entity, "implements", g.entity, ctx.evidence(x.mention, "joins-programme", 0.7))
                break


def part_of_enumeration(ctx: Context, edges: Edges) -> None:
    r = ctx.rules["part_of"]
    count = re.compile(r["count_head"])
    seps = sorted(r["enum_separators"], key=len, reverse=True)
    for occs in ctx.occ.values():
        top = _top_level(occs)
        for i, whole in enumerate(top):
            if whole.cls not in ("Programme", "Project") or i == 0:
                continue
            gap = ctx.between(top[i - 1], whole)
            if not (count.match(whole.mention.text) or (gap and count.fullmatch(gap))):
                continue
            parts = [top[i - 1]]
            for j in range(i - 2, -1, -1):
                g = ctx.between(top[j], parts[-1])
                if g not in seps:
                    break
                parts.append(top[j])
            if len(parts) < 2 and not gap:
                continue
            for p in parts:
                if p.cls == whole.cls:
                    edges.add(p.entity, "partOf", whole.entity, ctx.evidence(p.mention, "enumeration-then-whole", 0.7))


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
    """A short sentence that opens with an industry sets the topic until the paragraph ends."""
    r = ctx.rules["industry"]
    for doc in ctx.docs.values():
        topic = None
        paragraph = -1
        for s in doc.sentences:
            par = doc.text.count("\n", 0, s.start)
            if par != paragraph:
                topic, paragraph = None, par
            occs = ctx.occ.get((doc.id, s.index), [])
            lead = next((o for o in occs if o.start - s.start <= 2), None)
            if lead and lead.cls == "Industry" and len(s.text) <= r["topic_sentence_max_chars"]:
                topic = lead
                continue
            if topic is None:
                continue
            for o in occs:
                if o.cls in ("Enterprise", "Project"):
                    edges.add(
                        o.entity, "inIndustry", topic.entity, ctx.evidence(o.mention, "paragraph-topic-industry", 0.5)
                    )


def industry_clause(ctx: Context, edges: Edges) -> None:
    """An enterprise or project and an industry in one clause (吉能集团加快向新能源产业转型)."""
    seps = ctx.rules["industry"]["clause_separators"]
    for (doc_id, _), occs in ctx.occ.items():
        doc = ctx.docs[doc_id]
        for i, a in enumerate(occs):
            if a.cls not in ("Enterprise", "Project"):
                continue
            for b in occs[i + 1 :]:
                if b.cls != "Industry" or b.start < a.end:
                    continue
                if any(c in seps for c in doc.text[a.end : b.start]):
                    break
                edges.add(a.entity, "inIndustry", b.entity, ctx.evidence(a.mention, "same-clause-industry", 0.5))
