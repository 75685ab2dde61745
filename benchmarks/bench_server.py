"""Requests per second and latency of the saved queries against a running `kg serve`.

    python -m benchmarks.bench_server [--dir output] [--requests 200] [--concurrency 4] [--seconds 30]

Starts the server on a free loopback port, sends each saved query `--requests` times from
`--concurrency` client threads (bounded in count and in time), and reports requests per
second with p50/p95 latency; the baseline is the same query run in-process on the store,
measured in the same run, so the ratio shows what HTTP and the worker processes cost.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from benchmarks.common import free_port, pct

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", default=str(ROOT / "output"))
    ap.add_argument("--requests", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=4)
    ap.add_argument("--seconds", type=float, default=30.0, help="stop a query's run after this long")
    ap.add_argument("--json", default=str(ROOT / "output" / "bench_server.json"))
    a = ap.parse_args()

    from kg.graph.store import open_store
    from kg.query import run_query, saved_queries, with_prefixes

    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = subprocess.Popen(
        [sys.executable, "-m", "kg.cli", "serve", "--dir", a.dir, "--port", str(port), "--workers", str(a.concurrency)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.time() + 60
        while time.time() < deadline:
            try:
                if httpx.get(url + "/health", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                time.sleep(0.3)
        store = open_store(Path(a.dir))
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
        print(f"median of p50 over the saved queries: {statistics.median(all_lat):.2f} ms")
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(rows, indent=1), encoding="utf-8")
    finally:
        proc.terminate()
        proc.wait(timeout=10)


if __name__ == "__main__":
    main()
