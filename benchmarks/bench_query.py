"""Saved queries on graphs of 10k, 100k and 1M triples: p50/p95 latency in Oxigraph, in
memory (`oxigraph`, what `kg serve` answers from) and in an on-disk store opened read-only
as `kg query` opens a build's (`oxigraph-disk`), and rdflib's own SPARQL engine beside them
on the smallest graph (same run, same queries).

    python -m benchmarks.bench_query [--dir output] [--repeat 5]

The graphs are made from the sample build: 10k is a random fifth of its triples, 100k and
1M are 2 and 20 copies of it with every resource IRI renamed per copy (labels kept, so the
label-anchored queries find one match per copy): reports of provinces that share nothing.
`1M-recurring` renames only what is a report's own (document, sentences, figures,
evidence) until the graph holds a million triples: years of one province's reports, whose
places, firms and programmes recur and become hubs.

A query is timed as `kg serve` answers it (its workers' `execute`: every row serialised to
SPARQL JSON by Oxigraph); in memory, also as Python rows (`python_p95_ms`: what `kg query`
and a notebook iterate).

Latencies are absolute, so the run also times bare jieba on the bundled corpus, before and
after the queries, and gives the worst p95 at each size scaled to the reference machine
(`benchmarks/common.py`: jieba in 0.15 s) as an estimate for comparing machines.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import REFERENCE_JIEBA_SECONDS, jieba_on_corpus, pct
from kg.server.worker import execute  # imported before any query is timed

ROOT = Path(__file__).resolve().parent.parent
ID = "https://w3id.org/policykg/id/"


# what a report has of its own: its document and sentences, figures, datasets and evidence
PER_REPORT = tuple(ID + kind for kind in ("doc/", "obs/", "dataset/", "evidence/"))


def renamed(triples, c: int, prefixes: tuple[str, ...]):
    """Copy `c` of the triples, the IRIs that start with one of `prefixes` renamed."""
    import pyoxigraph as ox

    def rename(t):
        if isinstance(t, ox.NamedNode) and c and t.value.startswith(prefixes):
            return ox.NamedNode(f"{t.value}-c{c}")
        return t

    return (ox.Quad(rename(t.subject), t.predicate, rename(t.object)) for t in triples)


def copies(triples, k: int):
    """`k` copies with every resource IRI renamed: like the reports of `k` provinces that
    share nothing."""
    for c in range(k):
        yield from renamed(triples, c, (ID,))


def recurring_copies(triples, at_least: int) -> list:
    """Copies with only a report's own IRIs renamed, until the graph holds `at_least`
    distinct triples: like years of one province's reports, which name the same places,
    firms and programmes. Those become hubs linked from every copy (the worst case for a
    store that walks a resource's triples on each look-up)."""
    out: dict = {}
    c = 0
    while len(out) < at_least:
        out.update(dict.fromkeys(renamed(triples, c, PER_REPORT)))
        c += 1
    return list(out)


def served(store, query: str) -> bytes:
    """The answer `kg serve` gives: its workers' own `execute`, every row in SPARQL JSON."""
    answer = execute(store, query, "json", "turtle", max_rows=10**7)
    assert answer.status == 200 and not answer.truncated, answer.status
    return answer.body


def timings(fn, repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
    return out


def main() -> None:
    import pyoxigraph as ox

    from kg.graph.store import StoreError, open_store, union_triples
    from kg.query import saved_queries, with_prefixes

    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=str(ROOT / "output"))
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("--json", default=str(ROOT / "output" / "bench_query.json"))
    a = ap.parse_args()
    try:
        base = union_triples(open_store(Path(a.dir)))
    except StoreError as exc:
        raise SystemExit(f"bench_query: {exc}") from None
    jieba_before = jieba_on_corpus()
    rng = random.Random(5)
    sizes = {
        "10k": [ox.Quad(t.subject, t.predicate, t.object) for t in base if rng.random() < 10000 / len(base)],
        "100k": list(copies(base, 2)),
        "1M": list(copies(base, 20)),
        "1M-recurring": recurring_copies(base, 1_000_000),
    }
    queries = {n: with_prefixes(p.read_text(encoding="utf-8")) for n, p in saved_queries().items()}
    rows = []
    folder = tempfile.TemporaryDirectory(prefix="bench-query-")
    for size, quads in sizes.items():
        store = ox.Store()
        store.bulk_extend(quads)
        on_disk = ox.Store(str(Path(folder.name) / size))
        on_disk.bulk_extend(quads)
        on_disk.flush()
        del on_disk
        on_disk = ox.Store.read_only(str(Path(folder.name) / size))
        for engine, st in (("oxigraph", store), ("oxigraph-disk", on_disk)):
            for name, q in queries.items():
                # as kg serve answers them: over the union, serialised to SPARQL JSON
                ts = timings(lambda q=q, st=st: served(st, q), a.repeat)
                row = {
                    "size": size,
                    "triples": len(store),
                    "query": name,
                    "engine": engine,
                    "p50_ms": round(pct(ts, 50) * 1000, 2),
                    "p95_ms": round(pct(ts, 95) * 1000, 2),
                }
                if engine == "oxigraph":  # and as Python rows (kg query's table, a notebook)
                    ts = timings(lambda q=q, st=st: list(st.query(q, use_default_graph_as_union=True)), a.repeat)
                    row["python_p95_ms"] = round(pct(ts, 95) * 1000, 2)
                rows.append(row)
        del on_disk
        if size == "10k":
            from rdflib import Graph

            g = Graph()
            g.parse(
                data=ox.serialize(
                    [ox.Triple(x.subject, x.predicate, x.object) for x in quads], format=ox.RdfFormat.N_TRIPLES
                ).decode(),
                format="nt",
            )
            for name, q in queries.items():
                ts = timings(lambda q=q, g=g: list(g.query(q)), 1)
                rows.append(
                    {
                        "size": size,
                        "triples": len(g),
                        "query": name,
                        "engine": "rdflib",
                        "p50_ms": round(ts[0] * 1000, 2),
                        "p95_ms": round(ts[0] * 1000, 2),
                    }
                )
        for engine in ("oxigraph", "oxigraph-disk"):
            ox_rows = [r for r in rows if r["size"] == size and r["engine"] == engine]
            worst = max(ox_rows, key=lambda r: r["p95_ms"])
            print(
                f"{size:>5} ({len(store)} triples): {engine} median p50 "
                f"{statistics.median(r['p50_ms'] for r in ox_rows):.2f} ms,"
                f" worst p95 {worst['p95_ms']:.1f} ms ({worst['query']})",
                flush=True,
            )
    jieba_after = jieba_on_corpus()
    slowness = (jieba_before + jieba_after) / 2 / REFERENCE_JIEBA_SECONDS
    print(
        f"jieba on the corpus: {jieba_before:.2f} s before, {jieba_after:.2f} s after"
        f" ({slowness:.1f}× the reference machine's {REFERENCE_JIEBA_SECONDS} s)"
    )
    for size in sizes:
        for engine in ("oxigraph", "oxigraph-disk"):
            ox_rows = [r for r in rows if r["size"] == size and r["engine"] == engine]
            over = sorted(r["query"] for r in ox_rows if r["p95_ms"] / slowness >= 100)
            worst = max(r["p95_ms"] for r in ox_rows) / slowness
            print(
                f"{size:>5} {engine}: worst p95 scaled to the reference machine {worst:.1f} ms;"
                f" at or over 100 ms: {', '.join(over) or 'none'}"
            )
    rd = [r for r in rows if r["engine"] == "rdflib"]
    ox10 = {r["query"]: r for r in rows if r["engine"] == "oxigraph" and r["size"] == "10k"}
    ratios = [r["p50_ms"] / max(ox10[r["query"]]["p50_ms"], 0.01) for r in rd]
    print(
        f"rdflib on 10k: median {statistics.median(r['p50_ms'] for r in rd):.1f} ms per query,"
        f" {statistics.median(ratios):.0f}× Oxigraph (median ratio)"
    )
    folder.cleanup()
    meta = {"jieba_s": [jieba_before, jieba_after], "reference_jieba_s": REFERENCE_JIEBA_SECONDS}
    Path(a.json).write_text(json.dumps({"machine": meta, "rows": rows}, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
