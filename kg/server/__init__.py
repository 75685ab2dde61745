"""`kg serve`: the SPARQL 1.1 Protocol, a YASGUI query page and Linked Data pages.

Starlette on uvicorn over the Oxigraph store of a build. Safe by default: read-only
(SPARQL Update needs --allow-update and a bearer token), no federated SERVICE (it would
make the server fetch arbitrary URLs), a query timeout and a result-row cap, loopback.
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import dataclass
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import FileResponse, HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from kg.server.worker import GRAPH_TYPES, SOLUTION_TYPES, QueryPool

HERE = Path(__file__).resolve().parent
ID = "https://w3id.org/policykg/id/"
SERVICE = re.compile(r"\bSERVICE\b", re.IGNORECASE)


@dataclass
class Settings:
    build_dir: Path
    timeout: float = 10.0
    max_rows: int = 10000
    workers: int = 2
    allow_update: bool = False
    token: str = ""
    memory: bool | None = None  # None: in memory when all workers' copies fit (memory_budget)


# Builds are served from memory by default while the copies of all workers fit in half of
# the memory available when the server starts, at BYTES_PER_TRIPLE (a million triples took
# 0.34 GB in Oxigraph's in-memory store here; the rest is margin), against answers 4–10×
# slower from the on-disk store. Where the available memory cannot be read (no
# /proc/meminfo), up to MEMORY_TRIPLES in all.
BYTES_PER_TRIPLE = 500
MEMORY_TRIPLES = 4_000_000
MEMINFO = Path("/proc/meminfo")


def memory_budget() -> int:
    """How many triples all workers' in-memory copies may hold together."""
    try:
        found = re.search(r"^MemAvailable:\s+(\d+) kB", MEMINFO.read_text(encoding="ascii"), re.M)
    except (OSError, UnicodeDecodeError):
        found = None
    return int(found.group(1)) * 1024 // 2 // BYTES_PER_TRIPLE if found else MEMORY_TRIPLES


class ServeError(Exception):
    """Settings that cannot be served as asked; the message says why."""


def build_triples(build_dir: Path) -> int | None:
    """The triple count the build wrote in its manifest (None if it cannot be read)."""
    try:
        summary = json.loads((build_dir / "manifest.json").read_text(encoding="utf-8"))["summary"]
        return int(dict(summary)["triples"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def memory_source(settings: Settings) -> Path | None:
    """graph.ttl when the workers should hold the graph in memory, else None (on disk).
    Updates go to the on-disk store only, so --allow-update, and any build whose store
    took updates since its graph.ttl was written, are served from the disk."""
    from kg.graph.store import UPDATED_MARK

    graph = settings.build_dir / "graph.ttl"
    updated = (settings.build_dir / UPDATED_MARK).exists()
    if settings.memory:
        if settings.allow_update:
            raise ServeError("--allow-update writes to the on-disk store: it cannot be used with --memory")
        if not graph.is_file():
            raise ServeError(f"--memory needs {graph}: run 'kg build --dir {settings.build_dir}'")
        if updated:
            raise ServeError(
                "the store took SPARQL updates that graph.ttl does not hold: serve it with --disk"
                f" (or rebuild, which drops them; {UPDATED_MARK} marks it)"
            )
        return graph
    if settings.allow_update or settings.memory is False or not graph.is_file() or updated:
        return None
    n = build_triples(settings.build_dir)
    return graph if n is not None and n * settings.workers <= memory_budget() else None


def _strip_comments_and_strings(q: str) -> str:
    q = re.sub(r'"""[\s\S]*?"""|\'\'\'[\s\S]*?\'\'\'|"(?:[^"\\\n]|\\.)*"|\'(?:[^\'\\\n]|\\.)*\'', '""', q)
    q = re.sub(r"<[^<>\s]*>", "<>", q)
    return re.sub(r"#[^\n]*", "", q)


def uses_service(query: str) -> bool:
    return bool(SERVICE.search(_strip_comments_and_strings(query)))


def negotiate(request: Request, kinds: dict[str, str], default: str) -> str | None:
    """The format key the client asked for: ?format=, then the Accept header."""
    fmt = request.query_params.get("format")
    if fmt:
        return fmt if fmt in kinds else None
    accept = request.headers.get("accept", "*/*")
    best, best_q = None, -1.0
    for part in accept.split(","):
        bits = [b.strip() for b in part.split(";")]
        media = bits[0].lower()
        q = 1.0
        for b in bits[1:]:
            if b.startswith("q="):
                try:
                    q = float(b[2:])
                except ValueError:
                    q = 0.0
        for key, mt in kinds.items():
            if media == mt and q > best_q:
                best, best_q = key, q
        if media in ("*/*", "application/*", "text/*") and best is None and q > best_q:
            best_q = q
    if best is None and best_q >= 0:
        return default
    return best


def create_app(settings: Settings) -> Starlette:
    from kg.graph.store import STORE_DIR

    store_path = settings.build_dir / STORE_DIR
    if not store_path.is_dir():
        from kg.graph.store import StoreError

        raise StoreError(f"no build in {settings.build_dir}: run 'kg build --dir {settings.build_dir}' first")
    pool = QueryPool(
        store_path,
        1 if settings.allow_update else settings.workers,
        settings.timeout,
        settings.max_rows,
        memory_source(settings),
    )
    solution_kinds = dict(SOLUTION_TYPES)
    graph_kinds = dict(GRAPH_TYPES)

    async def run_query(request: Request, query: str) -> Response:
        import anyio

        if uses_service(query):
            return PlainTextResponse("federated SERVICE queries are disabled on this endpoint", status_code=400)
        sfmt = negotiate(request, solution_kinds, "json")
        gfmt = negotiate(request, graph_kinds, "turtle")
        if sfmt is None and gfmt is None:
            return PlainTextResponse(
                "not acceptable: ask for SPARQL results JSON/XML/CSV/TSV or Turtle/N-Triples/JSON-LD", 406
            )
        from kg.query import with_prefixes

        answer = await anyio.to_thread.run_sync(pool.query, with_prefixes(query), sfmt or "json", gfmt or "turtle")
        headers = {"X-Result-Truncated": "true"} if answer.truncated else {}
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type, headers=headers)

    async def run_update(request: Request, update: str) -> Response:
        import anyio

        if not settings.allow_update:
            return PlainTextResponse("SPARQL Update is disabled: this endpoint is read-only", status_code=403)
        auth = request.headers.get("authorization", "")
        if not (settings.token and hmac.compare_digest(auth, f"Bearer {settings.token}")):
            return PlainTextResponse("SPARQL Update needs 'Authorization: Bearer <token>'", status_code=401)
        if uses_service(update):
            return PlainTextResponse("federated SERVICE is disabled on this endpoint", status_code=400)
        answer = await anyio.to_thread.run_sync(pool.update, update)
        return Response(answer.body, status_code=answer.status, media_type=answer.media_type)

    async def sparql(request: Request) -> Response:
        if request.method == "GET":
            q = request.query_params.get("query")
            if q is None:
                if request.query_params.get("update") is not None:
                    return PlainTextResponse("SPARQL Update must be sent with POST", status_code=400)
                return HTMLResponse(query_page(settings))
            return await run_query(request, q)
        ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if ctype == "application/sparql-query":
            return await run_query(request, (await request.body()).decode("utf-8", errors="replace"))
        if ctype == "application/sparql-update":
            return await run_update(request, (await request.body()).decode("utf-8", errors="replace"))
        if ctype == "application/x-www-form-urlencoded":
            from urllib.parse import parse_qs

            form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
            if "query" in form:
                return await run_query(request, form["query"][0])
            if "update" in form:
                return await run_update(request, form["update"][0])
        return PlainTextResponse("send a query (GET ?query=, or POST form or application/sparql-query)", 400)

    async def health(request: Request) -> Response:
        import anyio

        count = "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }"
        answer = await anyio.to_thread.run_sync(pool.query, count, "json", "turtle")
        ok = answer.status == 200
        n = json.loads(answer.body)["results"]["bindings"][0]["n"]["value"] if ok else None
        return JSONResponse(
            {
                "status": "ok" if ok else "error",
                "triples": int(n) if n else None,
                "store": "memory" if pool.in_memory else "disk",
            },
            200 if ok else 503,
        )

    async def void(request: Request) -> Response:
        import anyio

        body = await anyio.to_thread.run_sync(void_description, pool, str(request.base_url))
        if body is None:
            return PlainTextResponse("the store did not answer: try again", 503)
        return Response(body, media_type="text/turtle")

    async def entity(request: Request) -> Response:
        import anyio

        from kg.server.pages import entity_page, entity_rdf

        iri = ID + request.path_params["path"]
        fmt = negotiate(request, {"html": "text/html", **graph_kinds}, "html")
        if fmt in graph_kinds:
            body, status = await anyio.to_thread.run_sync(entity_rdf, pool, iri, fmt)
            return Response(body, status_code=status, media_type=GRAPH_TYPES[fmt], headers={"Vary": "Accept"})
        html, status = await anyio.to_thread.run_sync(entity_page, pool, iri)
        return HTMLResponse(html, status_code=status, headers={"Vary": "Accept"})

    async def explorer(request: Request) -> Response:
        page = settings.build_dir / "explorer.html"
        if not page.exists():
            from kg.graph.store import open_store
            from kg.viz import write_explorer

            write_explorer(open_store(settings.build_dir), page)
        return FileResponse(page, media_type="text/html")

    async def home(request: Request) -> Response:
        return HTMLResponse(query_page(settings))

    routes = [
        Route("/", home),
        Route("/sparql", sparql, methods=["GET", "POST"]),
        Route("/health", health),
        Route("/.well-known/void", void),
        Route("/explorer", explorer),
        Route("/id/{path:path}", entity),
        Mount("/static", StaticFiles(directory=HERE / "static"), name="static"),
    ]
    app = Starlette(
        routes=routes,
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=["*"],
                allow_methods=["GET", "POST", "OPTIONS"],
                allow_headers=["Accept", "Content-Type", "Authorization"],
                expose_headers=["X-Result-Truncated"],
            )
        ],
        lifespan=_lifespan(pool),
    )
    app.state.pool = pool
    return app


def _lifespan(pool: QueryPool):
    from contextlib import asynccontextmanager

    @asynccontextmanager
    async def lifespan(app):
        yield
        pool.close()

    return lifespan


CLASS_VALUES = "VALUES ?c { pk:Enterprise pk:Organization pk:Project pk:Place pk:Programme pk:Industry pk:Product }"


def query_page(settings: Settings) -> str:
    from kg.graph.namespaces import PREFIXES
    from kg.query import saved_queries

    examples = {name: path.read_text(encoding="utf-8") for name, path in saved_queries().items()}
    payload = {"prefixes": {k: str(v) for k, v in PREFIXES.items()}, "examples": examples}
    data = (
        json.dumps(payload, ensure_ascii=False).replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    )
    template = (HERE / "templates" / "query.html").read_text(encoding="utf-8")
    return template.replace("{{DATA}}", data)


def void_description(pool: QueryPool, base: str) -> bytes | None:
    """The VoID description, or None if the store did not answer (timeout, worker lost)."""
    counts = {}
    for name, q in {
        "triples": "SELECT (COUNT(*) AS ?n) WHERE { ?s ?p ?o }",
        "entities": f"SELECT (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a ?c {CLASS_VALUES} }}",
    }.items():
        from kg.query import with_prefixes

        ans = pool.query(with_prefixes(q), "json", "turtle")
        if ans.status != 200:
            return None
        counts[name] = json.loads(ans.body)["results"]["bindings"][0]["n"]["value"]
    from kg.query import with_prefixes

    ans = pool.query(
        with_prefixes(f"SELECT ?c (COUNT(DISTINCT ?e) AS ?n) WHERE {{ ?e a ?c {CLASS_VALUES} }} GROUP BY ?c"),
        "json",
        "turtle",
    )
    if ans.status != 200:
        return None
    parts = "".join(
        f"    void:classPartition [ void:class <{b['c']['value']}> ; void:entities {b['n']['value']} ] ;\n"
        for b in json.loads(ans.body)["results"]["bindings"]
    )
    return (
        "@prefix void: <http://rdfs.org/ns/void#> .\n@prefix dcterms: <http://purl.org/dc/terms/> .\n\n"
        f"<{base}.well-known/void#policykg> a void:Dataset ;\n"
        '    dcterms:title "policykg knowledge graph of government work reports"@en ;\n'
        f"    void:sparqlEndpoint <{base}sparql> ;\n"
        f'    void:uriSpace "{ID}" ;\n'
        f"    void:triples {counts['triples']} ;\n"
        f"    void:entities {counts['entities']} ;\n"
        f"{parts}"
        "    void:vocabulary <https://w3id.org/policykg/ontology#> .\n"
    ).encode()
