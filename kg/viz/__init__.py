"""The graph explorer: one self-contained HTML page, built with pyvis, opened offline.

The data comes from a build's store; a focus (an entity and its neighbourhood, a class,
a place with its sub-places) selects part of it; networkx computes the layout so the
browser never runs physics; pyvis assembles the nodes and edges and supplies
vis-network, which is inlined with our own script and styles (no CDN, no Bootstrap).
Every label and sentence reaches the page as JSON text and is shown with textContent.
"""

from __future__ import annotations

import json
import math
from collections import defaultdict
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

HERE = Path(__file__).resolve().parent


class VizError(Exception):
    """A focus that matches nothing, or a build that cannot be read."""


@lru_cache(maxsize=1)
def style() -> dict:
    return json.loads((HERE / "style.json").read_text(encoding="utf-8"))


@dataclass
class ExplorerData:
    nodes: dict[str, dict] = field(default_factory=dict)  # iri → {label, cls, alt, docs, years}
    edges: list[tuple[str, str, str]] = field(default_factory=list)  # (head, relation, tail)
    evidence: dict[tuple[str, str, str], list[dict]] = field(default_factory=dict)
    co_mentions: list[tuple[str, str, int]] = field(default_factory=list)
    observations: dict[str, list[dict]] = field(default_factory=dict)  # area iri → rows


def load_data(store) -> ExplorerData:
    """Everything the page shows, read from the store with the queries in queries.json."""
    from kg.query import run_query

    q = json.loads((HERE / "queries.json").read_text(encoding="utf-8"))

    def rows(name: str) -> list[dict[str, str]]:
        r = run_query(store, q[name])
        return [dict(zip(r.columns, row)) for row in r.rows]

    data = ExplorerData()
    for r in rows("entities"):
        data.nodes[r["e"]] = {"label": r["label"], "cls": r["class"], "alt": [], "docs": [], "years": []}
    for r in rows("alt_labels"):
        if r["e"] in data.nodes:
            data.nodes[r["e"]]["alt"].append(r["alt"])
    for r in rows("documents"):
        n = data.nodes.get(r["e"])
        if n is not None:
            if r["file"] not in n["docs"]:
                n["docs"].append(r["file"])
            if r["year"] and r["year"] not in n["years"]:
                n["years"].append(r["year"])
    data.edges = sorted(
        {(r["h"], r["p"], r["t"]) for r in rows("relations") if r["h"] in data.nodes and r["t"] in data.nodes}
    )
    for r in rows("evidence"):
        key = (r["h"], r["p"], r["t"])
        data.evidence.setdefault(key, []).append({"rule": r["rule"], "text": r["text"], "file": r["file"]})
    data.co_mentions = sorted(
        (r["a"], r["b"], int(r["n"])) for r in rows("co_mentions") if r["a"] in data.nodes and r["b"] in data.nodes
    )
    for r in rows("observations"):
        data.observations.setdefault(r["area"], []).append(
            {k: r[k] for k in ("indicator", "period", "status", "value", "unit", "file")}
        )
    for n in data.nodes.values():
        n["alt"].sort()
        n["docs"].sort()
        n["years"].sort()
    return data


def _graph(data: ExplorerData):
    import networkx as nx

    g = nx.Graph()
    g.add_nodes_from(data.nodes)
    g.add_edges_from((h, t) for h, _, t in data.edges)
    return g


def _find(data: ExplorerData, name: str) -> list[str]:
    hits = [iri for iri, n in data.nodes.items() if name == iri or name == n["label"] or name in n["alt"]]
    if not hits:
        raise VizError(f"no entity named '{name}' in the build")
    return hits


def select(
    data: ExplorerData, focus: str | None = None, depth: int = 1, cls: str | None = None, place: str | None = None
) -> set[str]:
    """The nodes a focused view shows; all nodes without a focus."""
    import networkx as nx

    keep = set(data.nodes)
    if focus:
        g = _graph(data)
        near: set[str] = set()
        for start in _find(data, focus):
            near |= set(nx.ego_graph(g, start, radius=depth))
        keep &= near
    if cls:
        if cls not in style()["classes"]:
            raise VizError(f"unknown class '{cls}' (use {', '.join(style()['classes'])})")
        keep &= {iri for iri, n in data.nodes.items() if n["cls"] == cls}
    if place:
        roots = set(_find(data, place))
        parents = defaultdict(set)
        for h, p, t in data.edges:
            if p == "locatedIn":
                parents[h].add(t)

        def inside(iri: str, seen: set[str]) -> bool:
            if iri in roots:
                return True
            return any(inside(t, seen | {t}) for t in parents.get(iri, ()) if t not in seen)

        keep &= {iri for iri in data.nodes if inside(iri, {iri})}
    if not keep:
        raise VizError("the focus selects no entity")
    return keep


def layout(data: ExplorerData, nodes: set[str], seed: int = 7) -> dict[str, tuple[float, float]]:
    """Positions from networkx, scaled to the page; fewer iterations for big graphs."""
    import networkx as nx

    g = _graph(data).subgraph(nodes)
    n = g.number_of_nodes()
    iterations = 60 if n <= 500 else (25 if n <= 2000 else 12)
    pos = nx.spring_layout(g, seed=seed, iterations=iterations, k=1.5 / math.sqrt(max(n, 1)))
    scale = 120 * math.sqrt(max(n, 1))
    return {k: (round(float(x) * scale, 1), round(float(y) * scale, 1)) for k, (x, y) in pos.items()}


def communities(data: ExplorerData, nodes: set[str]) -> dict[str, int]:
    import networkx as nx

    g = _graph(data).subgraph(nodes)
    groups = nx.community.louvain_communities(g, seed=7) if g.number_of_edges() else [set(g)]
    return {iri: i for i, grp in enumerate(sorted(groups, key=lambda s: (-len(s), sorted(s)[0]))) for iri in grp}


def _pinyin(text: str) -> str:
    from pypinyin import lazy_pinyin

    return "".join(lazy_pinyin(text, errors=lambda x: list(x))).lower()


def build_network(data: ExplorerData, nodes: set[str], community: bool = False):
    """A pyvis Network of the selected nodes, with positions, colours, shapes and sizes."""
    from pyvis.network import Network

    st = style()
    pos = layout(data, nodes)
    groups = communities(data, nodes) if community else {}
    degree: dict[str, int] = defaultdict(int)
    for h, _, t in data.edges:
        if h in nodes and t in nodes:
            degree[h] += 1
            degree[t] += 1
    net = Network(height="100%", width="100%", directed=True, cdn_resources="local")
    for iri in sorted(nodes):
        n = data.nodes[iri]
        c = st["classes"][n["cls"]]
        color = st["community_palette"][groups[iri] % len(st["community_palette"])] if groups else c["color"]
        x, y = pos[iri]
        net.add_node(
            iri,
            label=n["label"],
            shape=c["shape"],
            color=color,
            x=x,
            y=y,
            physics=False,
            size=8 + 4 * math.sqrt(degree[iri]),
        )
    for i, (h, p, t) in enumerate(data.edges):
        if h in nodes and t in nodes:
            net.add_edge(h, t, id=f"r{i}", label=p, rel=p, arrows="to", physics=False)
    for i, (a, b, count) in enumerate(data.co_mentions):
        if a in nodes and b in nodes:
            net.add_edge(
                a, b, id=f"c{i}", rel="coMentionedWith", dashes=True, hidden=True, value=count, arrows="", physics=False
            )
    return net


def page_data(data: ExplorerData, net, nodes: set[str]) -> dict:
    """The JSON the page script reads: vis nodes and edges plus the details of each node."""
    industries: dict[str, list[str]] = defaultdict(list)
    for h, p, t in data.edges:
        if p == "inIndustry" and h in nodes:
            industries[h].append(data.nodes[t]["label"])
    vis_nodes = []
    for n in net.nodes:
        info = data.nodes[n["id"]]
        vis_nodes.append(
            {
                "id": n["id"],
                "label": n["label"],
                "shape": n["shape"],
                "color": n["color"],
                "x": n["x"],
                "y": n["y"],
                "size": n["size"],
                "cls": info["cls"],
                "alt": info["alt"],
                "docs": info["docs"],
                "years": info["years"],
                "pinyin": _pinyin(info["label"]),
                "industries": sorted(industries.get(n["id"], [])),
            }
        )
    vis_edges = []
    for e in net.edges:
        item = {"id": e["id"], "from": e["from"], "to": e["to"], "rel": e["rel"]}
        if e["rel"] == "coMentionedWith":
            item.update({"dashes": True, "count": e.get("value", 1)})
        else:
            item["label"] = e["label"]
        vis_edges.append(item)
    details: dict[str, dict] = {}
    for h, p, t in data.edges:
        for me, other, direction in ((h, t, "out"), (t, h, "in")):
            if me in nodes:
                details.setdefault(me, {"relations": [], "observations": []})["relations"].append(
                    {
                        "rel": p,
                        "dir": direction,
                        "other": other,
                        "otherLabel": data.nodes[other]["label"],
                        "evidence": _unique_evidence(data.evidence.get((h, p, t), []))[:5],
                    }
                )
    for area, obs in data.observations.items():
        if area in nodes:
            details.setdefault(area, {"relations": [], "observations": []})["observations"] = sorted(
                obs, key=lambda o: (o["indicator"], o["period"], o["status"])
            )[:200]
    st = style()
    return {
        "nodes": vis_nodes,
        "edges": vis_edges,
        "details": details,
        "classes": st["classes"],
        "relations": st["relations"],
    }


def _unique_evidence(items: list[dict]) -> list[dict]:
    """One line per sentence: a repeated paragraph (a magazine reprint) says it once."""
    seen, out = set(), []
    for ev in sorted(items, key=lambda e: (e["text"] is None, e["file"] or "", e["text"] or "")):
        key = ev["text"] or ev["rule"]
        if key not in seen:
            seen.add(key)
            out.append(ev)
    return out


def _script_json(obj) -> str:
    """JSON that cannot close the <script> element it sits in, whatever the documents say."""
    text = json.dumps(obj, ensure_ascii=False, separators=(",", ":"))
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def render(payload: dict, title: str) -> str:
    import html

    import pyvis

    vis_dir = Path(pyvis.__file__).resolve().parent / "templates" / "lib" / "vis-9.1.2"
    template = (HERE / "explorer.html").read_text(encoding="utf-8")
    parts = {
        "{{TITLE}}": html.escape(title),
        "{{VIS_CSS}}": (vis_dir / "vis-network.css").read_text(encoding="utf-8"),
        "{{EXPLORER_CSS}}": (HERE / "explorer.css").read_text(encoding="utf-8"),
        "{{VIS_JS}}": (vis_dir / "vis-network.min.js").read_text(encoding="utf-8").replace("</script", "<\\/script"),
        "{{EXPLORER_JS}}": (HERE / "explorer.js").read_text(encoding="utf-8"),
        "{{DATA}}": _script_json(payload),
    }
    out = template
    for k, v in parts.items():
        out = out.replace(k, v)
    return out


def write_explorer(
    store,
    out: Path,
    focus: str | None = None,
    depth: int = 1,
    cls: str | None = None,
    place: str | None = None,
    community: bool = False,
) -> tuple[Path, int, int]:
    """Write the explorer page; returns (path, node count, contract edge count)."""
    data = load_data(store)
    if not data.nodes:
        raise VizError("the build holds no entities")
    nodes = select(data, focus, depth, cls, place)
    net = build_network(data, nodes, community)
    payload = page_data(data, net, nodes)
    title = (
        "policykg explorer"
        + (f" · {focus}" if focus else "")
        + (f" · {cls}" if cls else "")
        + (f" · {place}" if place else "")
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(render(payload, title), encoding="utf-8")
    return out, len(payload["nodes"]), sum(1 for e in payload["edges"] if e["rel"] != "coMentionedWith")
