"""Requests per second and latency of the saved queries against a running `kg serve`.

    python -m benchmarks.bench_server [--dir output] [--requests 200] [--concurrency 4] [--seconds 30]
                                      [--copies 20]

Starts the server on a free loopback port, sends each saved query `--requests` times from
`--concurrency` client threads (bounded in count and in time), and reports requests per
second with p50/p95 latency; the baseline is the same query run in-process on the store
the server answers from (in memory or on disk), measured in the same run, so the ratio
shows what HTTP, the worker processes and the JSON cost.

`--copies 20` serves instead a build of 20 renamed copies of the sample (about 1M
triples, as `bench_query` makes them): end to end, what the query criterion measures.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.common import free_port, pct

ROOT = Path(__file__).resolve().parent.parent


def copied_build(build: Path, k: int, folder: Path) -> Path:
    """A build folder (store, graph.ttl, manifest) holding `k` renamed copies of `build`."""
    import pyoxigraph as ox

    from benchmarks.bench_query import copies
    from kg.graph.store import STORE_DIR, open_store, union_triples

    quads = list(copies(union_triples(open_store(build)), k))
    store = ox.Store(str(folder / STORE_DIR))
    store.bulk_extend(quads)
    store.flush()
    del store
    with (folder / "graph.ttl").open("wb") as fh:
        ox.serialize([q.triple for q in quads], fh, format=ox.RdfFormat.N_TRIPLES)
    manifest = {"summary": [["triples", str(len(quads))]]}
    (folder / "manifest.json").write_text(json.dumps(manifest), encoding="utf-8")
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=str(ROOT / "output"))
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30.0, help="stop a query's run after this long")
    ap.add_argument("--copies", type=int, default=1, help="serve this many renamed copies of the build")
    ap.add_argument("--json", default=str(ROOT / "output" / "bench_server.json"))
    a = ap.parse_args()
    if a.copies < 1 or a.requests < 1 or a.concurrency < 1:
        ap.error("--copies, --requests and --concurrency must be at least 1")

    from kg.graph.store import STORE_DIR, StoreError
    from kg.query import run_query, saved_queries, with_prefixes
    from kg.server.worker import open_worker_store

    folder = tempfile.TemporaryDirectory(prefix="bench-server-")
    if a.copies > 1:
        try:
            a.dir = str(copied_build(Path(a.dir), a.copies, Path(folder.name)))
        except StoreError as exc:
            raise SystemExit(f"bench_server: {exc}") from None
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = Path(folder.name) / "serve.log"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--dir", a.dir, "--port", str(port), "--workers", str(a.concurrency)],
        stdout=subprocess.DEVNULL,
        stderr=log.open("wb"),
    )
    try:
        health = None
        deadline = time.time() + 300  # a large graph loads into each worker first
        while time.time() < deadline and proc.poll() is None and health is None:
            try:
                r = httpx.get(url + "/health", timeout=30)
                health = r.json() if r.status_code == 200 else None
            except httpx.HTTPError:
                time.sleep(0.3)
        if health is None:
            said = log.read_text(encoding="utf-8", errors="replace").strip().splitlines()
            raise SystemExit(f"bench_server: kg serve did not start ({said[-1] if said else 'no message'})")
        print(f"{health['triples']:,} triples, the server answers from {health['store']}", flush=True)
        # the store the server's workers answer from, opened here for the in-process baseline
        graph = str(Path(a.dir) / "graph.ttl") if health["store"] == "memory" else None
        store = open_worker_store(str(Path(a.dir) / STORE_DIR), graph)
        rows = []
        client = httpx.Client(timeout=30)
        for name, path in saved_queries().items():
            q = with_prefixes(path.read_text(encoding="utf-8"))
            t = time.perf_counter()
            for _ in range(20):
                run_query(store, q)
            base = (time.perf_counter() - t) / 20
            latencies: list[float] = []
            stop_at = time.perf_counter() + a.seconds

            def one(_, q=q, stop_at=stop_at):
                if time.perf_counter() > stop_at:
                    return None
                t0 = time.perf_counter()
                r = client.post(
                    url + "/sparql", content=q.encode(), headers={"Content-Type": "application/sparql-query"}
                )
                r.raise_for_status()
                return time.perf_counter() - t0

            t = time.perf_counter()
            with ThreadPoolExecutor(a.concurrency) as pool:
                latencies = [x for x in pool.map(one, range(a.requests)) if x is not None]
            wall = time.perf_counter() - t
            row = {
                "query": name,
                "requests": len(latencies),
                "rps": round(len(latencies) / wall, 1),
                "p50_ms": round(pct(latencies, 50) * 1000, 2),
                "p95_ms": round(pct(latencies, 95) * 1000, 2),
                "in_process_ms": round(base * 1000, 2),
                "p50_over_in_process": round(pct(latencies, 50) / base, 1) if base else None,
            }
            rows.append(row)
            print(
                f"{name:32s} {row['rps']:8.1f} req/s  p50 {row['p50_ms']:7.2f} ms  p95 {row['p95_ms']:7.2f} ms"
                f"  in-process {row['in_process_ms']:6.2f} ms  ratio {row['p50_over_in_process']}"
            )
        all_lat = [r["p50_ms"] for r in rows]
        worst = max(rows, key=lambda r: r["p95_ms"])
        print(
            f"median of p50 over the saved queries: {statistics.median(all_lat):.2f} ms;"
            f" worst p95 {worst['p95_ms']:.1f} ms ({worst['query']})"
        )
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        folder.cleanup()


if __name__ == "__main__":
    main()
