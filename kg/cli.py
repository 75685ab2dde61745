"""The `kg` command line: parse arguments, call one function, print. No logic here."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

app = typer.Typer(
    add_completion=False,
    no_args_is_help=True,
    help="policykg: Chinese government work reports → a knowledge graph (RDF, SPARQL).",
    pretty_exceptions_enable=False,
)

DirOpt = typer.Option(
    Path("output"), "--dir", "-d", help="Build directory (graph.ttl, graph.nq and the Oxigraph store)."
)


_COUNTED = {"csv": "rows", "graphml": "nodes", "gexf": "nodes", "trig": "quads", "nq": "quads"}  # what export counts


def _fail(msg: str, code: int = 1) -> None:
    typer.echo(f"error: {msg}", err=True)
    raise typer.Exit(code)


@app.command()
def build(
    paths: list[Path] = typer.Argument(
        None, help="Files and folders to read (.txt .md .docx .pdf .html). Default: the bundled Jilin corpus."
    ),
    dir: Path = DirOpt,
    jobs: int = typer.Option(
        0,
        "--jobs",
        "-j",
        min=0,
        max=64,
        help="Processes that analyse documents in parallel; 0: one per core for a corpus of 20 documents a core"
        " or more, else one (the result is the same whatever the number).",
    ),
    timings: bool = typer.Option(False, "--timings", help="Also print the seconds each stage took."),
) -> None:
    """Read reports and write DIR/graph.ttl, DIR/graph.nq (named graphs) and DIR/store (Oxigraph); unchanged
    documents come from DIR/cache."""
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
    from rich.table import Table

    from kg.pipeline import build as run_build

    console = Console(stderr=True)
    with Progress(
        TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        task = progress.add_task("reading", total=None)

        def on_document(path: str, error: str | None, total: int) -> None:
            progress.update(task, total=total, advance=1, description=Path(path).name[:40])
            if error:
                progress.console.print(f"skipped: {error}", soft_wrap=True, markup=False, highlight=False)

        report = run_build(list(paths) if paths else None, dir, on_document, jobs=jobs or None)
    if report.up_to_date:
        Console(stderr=True).print(f"{dir} is up to date: inputs and pipeline unchanged since the last build")
    elif not report.documents:
        _fail("no readable documents" + (": " + "; ".join(report.errors) if report.errors else ""))
    table = Table(title=f"kg build → {report.graph_path}")
    table.add_column("what")
    table.add_column("count", justify="right")
    for k, v in report.summary():
        table.add_row(k, v)
    Console().print(table)
    if timings and report.timings:
        stages = Table(title="stages")
        stages.add_column("stage")
        stages.add_column("seconds", justify="right")
        for k, v in report.timings.items():
            stages.add_row(k, f"{v:.2f}")
        Console().print(stages)
    _ENDS_AT_ONCE["set"] = True  # everything is written: the records need not be freed one by one


_ENDS_AT_ONCE = {"set": False}  # set by a command once all is written; read by `main`


def _end_process_now(code: object) -> None:
    """End the process without tearing the interpreter down: after a large build that is
    a collection over every record and then freeing each (about a second at 100 times the
    sample, on one core). The exit handlers run first (multiprocessing's clean-up of the
    fork server's folder, logging), the output streams are flushed."""
    import atexit
    import os

    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (kg build | head): nothing left to say
            pass
    os._exit(code if isinstance(code, int) else 0)


@app.command()
def query(
    query: str = typer.Argument(
        ..., help="A SPARQL query, a .rq file, or the name of a saved query (see `kg queries`)."
    ),
    dir: Path = DirOpt,
    format: str = typer.Option("table", "--format", "-f", help="table | csv | json"),
) -> None:
    """Run a SPARQL query against a build."""
    from kg.graph.store import StoreError, open_store
    from kg.query import QueryError, format_result, resolve_query, run_query

    if format not in ("table", "csv", "json"):
        _fail(f"unknown format '{format}' (use table, csv or json)", 2)
    try:
        text = resolve_query(query)
        store = open_store(dir)
        result = run_query(store, text)
    except (QueryError, StoreError, OSError) as exc:
        _fail(str(exc))
    if format == "table" and result.kind != "graph":
        from rich.console import Console
        from rich.table import Table

        table = Table(show_lines=False)
        for c in result.columns:
            table.add_column(c, overflow="fold")
        for row in result.rows:
            table.add_row(*row)
        Console().print(table)
        typer.echo(f"{len(result.rows)} rows", err=True)
    else:
        sys.stdout.write(format_result(result, "json" if format == "table" else format))
        sys.stdout.write("\n")


@app.command()
def why(
    head: str = typer.Argument(
        ..., help="Label, alternative label or IRI of the head entity, e.g. 吉林碳谷15万吨碳纤维原丝二期项目"
    ),
    relation: str = typer.Argument(
        ..., help="locatedIn | undertakenBy | partOf | implements | inIndustry | subsidiaryOf | produces"
    ),
    tail: str = typer.Argument(..., help="Label, alternative label or IRI of the tail entity, e.g. 吉林碳谷"),
    dir: Path = DirOpt,
    format: str = typer.Option("text", "--format", "-f", help="text | csv | json"),
) -> None:
    """Print the evidence of a relation: the sentences, documents, offsets and rules behind it."""
    from kg.graph.store import StoreError, open_store
    from kg.query import QueryError, format_result, run_query, why_query

    try:
        result = run_query(open_store(dir), why_query(head, relation, tail))
    except (QueryError, StoreError) as exc:
        _fail(str(exc))
    if not result.rows:
        _fail(f"no {relation} edge from '{head}' to '{tail}' in {dir}")
    if format != "text":
        sys.stdout.write(format_result(result, format) + "\n")
        return
    for row in result.rows:
        r = dict(zip(result.columns, row))
        where = f"{r['file']} [{r['start']}:{r['end']}]" if r["file"] else "(administrative division table)"
        typer.echo(f"{r['head']} —{relation}→ {r['tail']}   rule {r['rule']} (confidence {r['confidence']})")
        typer.echo(f"  {where}")
        if r["sentence"]:
            typer.echo(f"  {r['sentence']}")


@app.command()
def indicators(
    dir: Path = DirOpt,
    area: str = typer.Option(None, "--area", "-a", help="Only this area (label or alternative label), e.g. 吉林省"),
    indicator: str = typer.Option(
        None, "--indicator", "-i", help="Only indicators whose name contains this, e.g. 地区生产总值"
    ),
    format: str = typer.Option("table", "--format", "-f", help="table | csv | json"),
) -> None:
    """Time series of the figures: actual and target by year, with the source document of each cell."""
    from kg.graph.store import StoreError, open_store
    from kg.query import QueryError, Result, format_result, indicator_series_query, pivot_series, run_query

    if format not in ("table", "csv", "json"):
        _fail(f"unknown format '{format}' (use table, csv or json)", 2)
    try:
        result = run_query(open_store(dir), indicator_series_query(area, indicator))
    except (QueryError, StoreError) as exc:
        _fail(str(exc))
    if not result.rows:
        _fail(
            "no observations match"
            + (f" area '{area}'" if area else "")
            + (f" indicator '{indicator}'" if indicator else "")
        )
    cols, rows = pivot_series(result)
    if format != "table":
        sys.stdout.write(format_result(Result("select", cols, rows), format) + "\n")
        return
    from rich.console import Console
    from rich.table import Table

    table = Table(title="kg indicators")
    for c in cols:
        table.add_column(c, overflow="fold")
    for row in rows:
        table.add_row(*row)
    Console().print(table)


@app.command()
def viz(
    dir: Path = DirOpt,
    output: Path = typer.Option(None, "--output", "-o", help="Where to write the page (default DIR/explorer.html)."),
    focus: str = typer.Option(
        None, "--focus", help="Show this entity (label, alternative label or IRI) and its neighbours."
    ),
    depth: int = typer.Option(1, "--depth", min=0, max=6, help="How many steps around --focus."),
    cls: str = typer.Option(None, "--class", help="Only this class: Enterprise, Organization, Project, Place, ..."),
    place: str = typer.Option(None, "--place", help="Only what lies in this place or its sub-places, e.g. 吉林市."),
    communities: bool = typer.Option(
        False, "--communities", help="Colour by community (networkx Louvain) instead of class."
    ),
) -> None:
    """Write an offline HTML explorer of the graph (open it by double-click)."""
    from kg.graph.store import StoreError, open_store
    from kg.viz import VizError, write_explorer

    try:
        path, n_nodes, n_edges = write_explorer(
            open_store(dir), output or dir / "explorer.html", focus, depth, cls, place, communities
        )
    except (StoreError, VizError) as exc:
        _fail(str(exc))
    typer.echo(f"wrote {path}: {n_nodes} nodes, {n_edges} relations")


@app.command()
def serve(
    dir: Path = DirOpt,
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on (loopback unless you say otherwise)."),
    port: int = typer.Option(8000, "--port", min=1, max=65535),
    timeout: float = typer.Option(10.0, "--timeout", min=0.1, help="Seconds a query may run before it is stopped."),
    max_rows: int = typer.Option(10000, "--max-rows", min=1, help="Most result rows (or triples) one answer holds."),
    workers: int = typer.Option(2, "--workers", min=1, max=32, help="Query worker processes."),
    allow_update: bool = typer.Option(False, "--allow-update", help="Accept SPARQL Update (needs --token)."),
    token: str = typer.Option("", "--token", envvar="KG_UPDATE_TOKEN", help="Bearer token required for updates."),
    memory: bool = typer.Option(
        None,
        "--memory/--disk",
        help="Answer from an in-memory copy of graph.ttl in each worker (faster, about 0.5 GB a worker per"
        " million triples) or from the on-disk store. Default: in memory while the workers' copies"
        " fit in half of the memory available at start (4,000,000 triples in all where that cannot"
        " be read); --allow-update, and a store that took updates, always use the disk.",
        show_default=False,
    ),
) -> None:
    """Serve the build: SPARQL 1.1 endpoint at /sparql, Linked Data at /id/…, the explorer at /explorer."""
    import uvicorn

    from kg.graph.store import StoreError
    from kg.server import ServeError, Settings, build_triples, create_app
    from kg.server.worker import WorkerError

    if allow_update and len(token) < 12:
        _fail("--allow-update needs --token (at least 12 characters)", 2)
    try:
        app_ = create_app(Settings(dir, timeout, max_rows, workers, allow_update, token, memory))
    except ServeError as exc:
        _fail(str(exc), 2)
    except (StoreError, WorkerError) as exc:
        _fail(str(exc))
    if host not in ("127.0.0.1", "localhost", "::1"):
        typer.echo(f"warning: listening on {host}, not only on this machine", err=True)
    triples = build_triples(dir)
    where = "in memory" if app_.state.pool.in_memory else "from the on-disk store"
    typer.echo(f"{f'{triples:,}' if triples is not None else 'the'} triples, answered {where}", err=True)
    typer.echo(f"SPARQL endpoint http://{host}:{port}/sparql · explorer http://{host}:{port}/explorer", err=True)
    uvicorn.run(app_, host=host, port=port, log_level="warning")


@app.command()
def export(
    format: str = typer.Option(..., "--format", "-f", help="ttl | nt | trig | nq | jsonld | graphml | gexf | csv"),
    dir: Path = DirOpt,
    output: Path = typer.Option(None, "--output", "-o", help="File to write (a folder for csv). Default: in DIR."),
) -> None:
    """Export the graph: RDF (Turtle, N-Triples, TriG, N-Quads, JSON-LD), GraphML/GEXF for Gephi, or CSV tables."""
    from kg.export import ExportError
    from kg.export import export as run_export
    from kg.graph.store import StoreError

    try:
        path, n = run_export(dir, format, output)
    except (ExportError, StoreError, OSError) as exc:
        _fail(str(exc))
    typer.echo(f"wrote {path} ({n} {_COUNTED.get(format, 'triples')})")


@app.command()
def push(
    endpoint: str = typer.Option(
        ..., "--endpoint", help="Graph Store URL, e.g. http://127.0.0.1:7878/store (Oxigraph)."
    ),
    graph: str = typer.Option(None, "--graph", help="Named graph IRI to replace; default: the store's default graph."),
    dir: Path = DirOpt,
) -> None:
    """Upload the graph to a triple store by the SPARQL 1.1 Graph Store HTTP Protocol (PUT)."""
    from kg.export import ExportError
    from kg.export import push as run_push
    from kg.graph.store import StoreError

    try:
        n = run_push(dir, endpoint, graph)
    except (ExportError, StoreError) as exc:
        _fail(str(exc))
    typer.echo(f"pushed {n} triples to {endpoint}" + (f" graph <{graph}>" if graph else " (default graph)"))


@app.command()
def queries() -> None:
    """List the saved queries (ontology/queries/*.rq)."""
    from kg.query import saved_queries

    for name, path in saved_queries().items():
        first = next((ln[1:].strip() for ln in path.read_text(encoding="utf-8").splitlines() if ln.startswith("#")), "")
        typer.echo(f"{name:40s} {first}")


@app.command()
def stats(dir: Path = DirOpt) -> None:
    """Counts of a build: documents, entities per class, relations per property, triples."""
    from rich.console import Console
    from rich.table import Table

    from kg.graph.store import StoreError, open_store
    from kg.query import QueryError, run_query
    from kg.stats import STATS_QUERIES

    try:
        store = open_store(dir)
        table = Table(title=f"kg stats ({dir})")
        table.add_column("what")
        table.add_column("count", justify="right")
        for title, q in STATS_QUERIES:
            for row in run_query(store, q).rows:
                table.add_row(title.format(*row[:-1]), row[-1])
    except (StoreError, QueryError) as exc:
        _fail(str(exc))
    Console().print(table)


def main() -> None:
    """Run the app; an unexpected error is one line (KG_DEBUG=1 shows the traceback)."""
    import os

    _ENDS_AT_ONCE["set"] = False  # a command run in-process before (a test) does not count
    try:
        app(standalone_mode=True)
    except SystemExit as exc:
        if _ENDS_AT_ONCE["set"] and exc.code in (0, None):
            _end_process_now(exc.code)
        raise
    except KeyboardInterrupt:
        raise
    except Exception as exc:  # a bug: say so in one line, keep the traceback for debugging
        if os.environ.get("KG_DEBUG"):
            raise
        typer.echo(f"error: internal error: {type(exc).__name__}: {exc} (set KG_DEBUG=1 for the traceback)", err=True)
        raise SystemExit(3) from None


if __name__ == "__main__":
    main()
