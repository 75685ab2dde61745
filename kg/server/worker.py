"""Queries in worker processes, so that a runaway query can be stopped.

Oxigraph's Python API has no query timeout; a worker process that holds the store runs
one query at a time, and the server kills it when the time is up and starts a fresh one.
Results are capped and serialised in the worker.

A worker holds either a read-only handle on the build's on-disk store or, for a build
small enough, a copy of graph.ttl in an in-memory store: Oxigraph answers from memory
4–9× faster than from RocksDB at a million triples, where every look-up reads and decodes
a block. A worker says when its store is ready, so loading never counts against a query's
time.
"""

from __future__ import annotations

import multiprocessing as mp
import threading
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

SOLUTION_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv",
    "tsv": "text/tab-separated-values",
}
GRAPH_TYPES = {"turtle": "text/turtle", "ntriples": "application/n-triples", "jsonld": "application/ld+json"}


@dataclass
class Answer:
    status: int
    body: bytes
    media_type: str
    truncated: bool = False


def _term_json(t) -> dict:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return {"type": "uri", "value": t.value}
    if isinstance(t, ox.BlankNode):
        return {"type": "bnode", "value": t.value}
    d = {"type": "literal", "value": t.value}
    if t.language:
        d["xml:lang"] = t.language
    elif t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        d["datatype"] = t.datatype.value
    return d


def _term_xml(t) -> str:
    import pyoxigraph as ox

    if isinstance(t, ox.NamedNode):
        return f"<uri>{escape(t.value)}</uri>"
    if isinstance(t, ox.BlankNode):
        return f"<bnode>{escape(t.value)}</bnode>"
    if t.language:
        return f"<literal xml:lang={quoteattr(t.language)}>{escape(t.value)}</literal>"
    if t.datatype.value != "http://www.w3.org/2001/XMLSchema#string":
        return f"<literal datatype={quoteattr(t.datatype.value)}>{escape(t.value)}</literal>"
    return f"<literal>{escape(t.value)}</literal>"


def _csv_cell(t) -> str:
    if t is None:
        return ""
    v = t.value
    return '"' + v.replace('"', '""') + '"' if any(c in v for c in ',"\n\r') else v


def serialise_solutions(variables: list[str], rows: list[list], fmt: str) -> bytes:
    import json

    if fmt == "json":
        bindings = [{v: _term_json(t) for v, t in zip(variables, row) if t is not None} for row in rows]
        return json.dumps({"head": {"vars": variables}, "results": {"bindings": bindings}}, ensure_ascii=False).encode()
    if fmt == "xml":
        head = "".join(f"<variable name={quoteattr(v)}/>" for v in variables)
        body = "".join(
            "<result>"
            + "".join(
                f"<binding name={quoteattr(v)}>{_term_xml(t)}</binding>"
                for v, t in zip(variables, row)
                if t is not None
            )
            + "</result>"
            for row in rows
        )
        return (
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#">'
            f"<head>{head}</head><results>{body}</results></sparql>"
        ).encode()
    if fmt == "csv":
        lines = [",".join(variables)] + [",".join(_csv_cell(t) for t in row) for row in rows]
        return ("\r\n".join(lines) + "\r\n").encode()
    lines = ["\t".join("?" + v for v in variables)] + [
        "\t".join("" if t is None else str(t) for t in row) for row in rows
    ]
    return ("\n".join(lines) + "\n").encode()


def serialise_boolean(value: bool, fmt: str) -> bytes:
    import json

    if fmt == "json":
        return json.dumps({"head": {}, "boolean": value}).encode()
    if fmt == "xml":
        return (
            '<?xml version="1.0"?><sparql xmlns="http://www.w3.org/2005/sparql-results#"><head/>'
            f"<boolean>{str(value).lower()}</boolean></sparql>"
        ).encode()
    return (str(value).lower() + "\n").encode()


# Solutions are serialised by Oxigraph itself (in Rust, about ten times faster than term by
# term in Python: 10 ms against 100+ for 3,400 rows) into a buffer of 512 bytes a row of
# the cap, between 8 and 32 MB (room for a capped answer of ordinary rows); the row cap is
# then applied to the text. A larger answer is run again and capped while it is read, so a
# huge result never sits whole in a worker's memory, and costs at most one wasted buffer.
NATIVE_BYTES = 32 << 20
NATIVE_BYTES_MIN = 8 << 20


class _Full(Exception):
    pass


class _Buffer:
    """A file for Oxigraph's serialiser that refuses to grow past `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.parts: list[bytes] = []
        self.size = 0
        self.limit = limit

    def write(self, b) -> int:
        self.size += len(b)
        if self.size > self.limit:
            raise _Full
        self.parts.append(bytes(b))
        return len(b)

    def flush(self) -> None:
        pass


def cap_rows(body: bytes, fmt: str, max_rows: int) -> tuple[bytes, bool]:
    """Oxigraph's serialised solutions cut to `max_rows` rows, and whether any were cut."""
    import csv
    import io
    import json

    if fmt == "json":
        doc = json.loads(body)
        bindings = doc["results"]["bindings"]
        if len(bindings) <= max_rows:
            return body, False
        doc["results"]["bindings"] = bindings[:max_rows]
        return json.dumps(doc, ensure_ascii=False).encode(), True
    if fmt == "xml":  # "<" is escaped in values, so every "<result>" opens a row
        if body.count(b"<result>") <= max_rows:
            return body, False
        at = -1
        for _ in range(max_rows + 1):
            at = body.index(b"<result>", at + 1)
        return body[:at] + b"</results></sparql>", True
    if fmt == "tsv":  # newlines in values are escaped: one row a line
        lines = body.split(b"\n")
        if len(lines) - 2 <= max_rows:
            return body, False
        return b"\n".join(lines[: max_rows + 1]) + b"\n", True
    rows = list(csv.reader(io.StringIO(body.decode("utf-8"), newline="")))
    if len(rows) - 1 <= max_rows:
        return body, False
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n").writerows(rows[: max_rows + 1])
    return out.getvalue().encode(), True


def _native_solutions(res, fmt: str, max_rows: int, limit: int) -> tuple[bytes, bool] | None:
    import pyoxigraph as ox

    formats = {
        "json": ox.QueryResultsFormat.JSON,
        "xml": ox.QueryResultsFormat.XML,
        "csv": ox.QueryResultsFormat.CSV,
        "tsv": ox.QueryResultsFormat.TSV,
    }
    out = _Buffer(limit)
    try:
        res.serialize(out, formats[fmt])
    except _Full:
        return None
    except OSError:
        if out.size > limit:  # our refusal, as Oxigraph reports a failed write
            return None
        raise
    return cap_rows(b"".join(out.parts), fmt, max_rows)


def execute(
    store, query: str, solution_fmt: str, graph_fmt: str, max_rows: int, native_bytes: int = NATIVE_BYTES
) -> Answer:
    """Run one query against the store and serialise its answer (used inside a worker)."""
    import pyoxigraph as ox

    try:
        res = store.query(query, use_default_graph_as_union=True)
    except SyntaxError as exc:
        return Answer(400, ("malformed SPARQL: " + " ".join(str(exc).split())).encode(), "text/plain; charset=utf-8")
    except OSError as exc:
        return Answer(500, ("query failed: " + " ".join(str(exc).split())).encode(), "text/plain; charset=utf-8")
    if isinstance(res, ox.QueryBoolean):
        return Answer(200, serialise_boolean(bool(res), solution_fmt), SOLUTION_TYPES[solution_fmt])
    if isinstance(res, ox.QuerySolutions):
        limit = min(native_bytes, max(NATIVE_BYTES_MIN, 512 * max_rows))
        native = _native_solutions(res, solution_fmt, max_rows, limit)
        if native is not None:
            return Answer(200, native[0], SOLUTION_TYPES[solution_fmt], native[1])
        res = store.query(query, use_default_graph_as_union=True)
        variables = [v.value for v in res.variables]
        rows, truncated = [], False
        for sol in res:
            if len(rows) >= max_rows:
                truncated = True
                break
            rows.append([sol[v] for v in variables])
        return Answer(200, serialise_solutions(variables, rows, solution_fmt), SOLUTION_TYPES[solution_fmt], truncated)
    triples, truncated = [], False
    for t in res:
        if len(triples) >= max_rows:
            truncated = True
            break
        triples.append(t)
    fmt = {"turtle": ox.RdfFormat.TURTLE, "ntriples": ox.RdfFormat.N_TRIPLES, "jsonld": ox.RdfFormat.JSON_LD}[graph_fmt]
    body = ox.serialize(triples, format=fmt) or b""
    return Answer(200, body, GRAPH_TYPES[graph_fmt], truncated)


def open_worker_store(path: str, memory_source: str | None):
    """The store a worker answers from: the on-disk one read-only, or graph.ttl in memory."""
    import pyoxigraph as ox

    if memory_source is None:
        return ox.Store.read_only(path)
    store = ox.Store()
    store.bulk_load(path=memory_source, format=ox.RdfFormat.TURTLE)
    return store


def _one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__


def _answer(store, msg: tuple) -> Answer:
    """A query's answer; whatever goes wrong in Oxigraph is a 500 for this query only,
    never a dead worker (pyo3 panics are BaseExceptions)."""
    _, query, sfmt, gfmt, max_rows = msg
    try:
        return execute(store, query, sfmt, gfmt, max_rows)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        return Answer(500, ("query failed: " + _one_line(exc)).encode(), "text/plain; charset=utf-8")


def _update(path: str, update: str) -> Answer:
    import pyoxigraph as ox

    try:
        writable = ox.Store(path)
        writable.update(update)
        writable.flush()
        del writable
    except (SyntaxError, OSError) as exc:
        return Answer(400, ("malformed SPARQL update: " + _one_line(exc)).encode(), "text/plain")
    from kg.graph.store import UPDATED_MARK

    # the store now differs from graph.ttl: later servers must not answer from a copy of it
    (Path(path).parent / UPDATED_MARK).touch()
    return Answer(204, b"", "text/plain")


def _serve(path: str, conn, memory_source: str | None = None) -> None:
    import signal

    import pyoxigraph as ox

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for the server, which stops us
    try:
        store = open_worker_store(path, memory_source)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: BLE001
        conn.send(("failed", _one_line(exc)))
        return
    conn.send(("ready", None))
    while True:
        msg = conn.recv()
        if msg is None:
            return
        if msg[0] == "update":
            conn.send(_update(path, msg[1]))
            store = ox.Store.read_only(path)
            continue
        conn.send(_answer(store, msg))


# How long a worker may take to open its store (a large graph loads in memory at about
# 0.2 M triples a second on a slow core).
LOAD_TIMEOUT = 600.0


class WorkerError(Exception):
    """A query worker that could not open its store; the message says why."""


class QueryPool:
    """A few worker processes over one store; a query that overruns kills its worker.

    With `memory_source` (a build's graph.ttl) each worker answers from an in-memory copy
    of it instead of the on-disk store at `store_path`. A stopped worker is replaced in
    the background (retrying if it cannot start); a request finds no worker only while
    every worker stays busy or starting for three query timeouts (at least 30 s), and then
    gets 503."""

    def __init__(
        self,
        store_path: Path,
        workers: int = 2,
        timeout: float = 10.0,
        max_rows: int = 10000,
        memory_source: Path | None = None,
    ) -> None:
        self.path = str(store_path)
        self.memory_source = str(memory_source) if memory_source is not None else None
        self.timeout = timeout
        self.max_rows = max_rows
        self.ctx = mp.get_context("spawn")
        self.idle: list[tuple] = []
        self.lock = threading.Condition()
        self.closed = False
        self.replacing: list[threading.Thread] = []
        self.wait = max(30.0, 3 * timeout)  # longest a request waits for a free worker
        starting = [self._spawn() for _ in range(workers)]
        try:
            for worker in starting:
                self.idle.append(self._ready(worker))
        except WorkerError:
            for worker in starting:
                self._kill(worker)
            raise

    @property
    def in_memory(self) -> bool:
        return self.memory_source is not None

    def _spawn(self) -> tuple:
        parent, child = self.ctx.Pipe()
        proc = self.ctx.Process(target=_serve, args=(self.path, child, self.memory_source), daemon=True)
        proc.start()
        child.close()
        return proc, parent

    def _ready(self, worker: tuple) -> tuple:
        """The worker once its store is open (loading a large graph takes seconds)."""
        proc, conn = worker
        status, detail = "failed", f"no answer within {LOAD_TIMEOUT:g} s"
        try:
            if conn.poll(LOAD_TIMEOUT):
                status, detail = conn.recv()
        except (EOFError, OSError):
            proc.join(timeout=5)
            code = proc.exitcode
            detail = f"killed by signal {-code} (out of memory?)" if code and code < 0 else f"exit code {code}"
        if status != "ready":
            self._kill(worker)
            raise WorkerError(f"a query worker could not open the store: {detail}")
        return worker

    def _start(self) -> tuple:
        return self._ready(self._spawn())

    def _replace_later(self) -> None:
        """A fresh worker for one that was stopped, made ready off the request's thread;
        if it cannot start (the store being rebuilt, memory short) it tries again, less
        and less often, and says so on stderr."""

        def replace() -> None:
            import sys
            import time

            wait = 1.0
            while not self.closed:
                try:
                    self._give(self._start())
                    return
                except WorkerError as exc:
                    print(f"kg serve: {exc}; trying again in {wait:g} s", file=sys.stderr, flush=True)
                    time.sleep(wait)
                    wait = min(wait * 2, 60.0)

        thread = threading.Thread(target=replace, daemon=True)
        with self.lock:
            self.replacing = [t for t in self.replacing if t.is_alive()] + [thread]
        thread.start()

    def _take(self) -> tuple | None:
        with self.lock:
            if not self.idle:
                self.lock.wait_for(lambda: self.idle or self.closed, timeout=self.wait)
            if not self.idle or self.closed:
                return None
            return self.idle.pop()

    def _give(self, worker: tuple) -> None:
        with self.lock:
            if not self.closed:
                self.idle.append(worker)
                self.lock.notify()
                return
        self._stop(worker)

    @staticmethod
    def _kill(worker: tuple) -> None:
        proc, conn = worker
        proc.kill()
        proc.join()
        conn.close()

    @classmethod
    def _stop(cls, worker: tuple) -> None:
        """Asks the worker to end, and kills it if it does not within two seconds."""
        proc, conn = worker
        try:
            conn.send(None)
        except OSError:
            pass
        proc.join(timeout=2)
        cls._kill(worker)

    def run(self, message: tuple) -> Answer:
        worker = self._take()
        if worker is None:
            return Answer(
                503, b"no query worker is free (all busy or starting): try again", "text/plain; charset=utf-8"
            )
        proc, conn = worker
        try:
            conn.send(message)
            if conn.poll(self.timeout):
                answer = conn.recv()
                self._give(worker)
                return answer
            failure = Answer(503, f"query timed out after {self.timeout:g} s".encode(), "text/plain; charset=utf-8")
        except (EOFError, OSError):
            failure = Answer(500, b"the query worker stopped; a fresh one is starting", "text/plain; charset=utf-8")
        self._kill(worker)
        self._replace_later()
        return failure

    def query(self, query: str, solution_fmt: str, graph_fmt: str) -> Answer:
        return self.run(("query", query, solution_fmt, graph_fmt, self.max_rows))

    def update(self, update: str) -> Answer:
        return self.run(("update", update))

    def close(self) -> None:
        with self.lock:
            self.closed = True
            idle, self.idle = self.idle, []
            replacing = list(self.replacing)
            self.lock.notify_all()
        for worker in idle:
            self._stop(worker)
        for thread in replacing:  # a worker that becomes ready later is stopped by _give
            thread.join(timeout=5)
