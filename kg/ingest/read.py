"""Readers: turn a file of any supported format and encoding into one decoded string.

Users feed whole folders of reports in mixed formats and encodings; every failure is an
`IngestError` with a one-line message naming the file, so the batch can go on.
"""

from __future__ import annotations

from pathlib import Path

SUPPORTED = (".txt", ".md", ".docx", ".pdf", ".html", ".htm")
_SKIP_NAMES = {"readme.md", "license", "license.md"}


class IngestError(Exception):
    """A file that cannot be read as a report; the message is one line and names it."""


def discover(paths: list[Path]) -> tuple[list[Path], list[str]]:
    """Expand files and folders into the sorted list of files to read.

    Returns the files and the one-line errors for paths that do not exist or are
    unsupported; folder members with other suffixes are skipped quietly.
    """
    files: list[Path] = []
    errors: list[str] = []
    for p in paths:
        if p.is_dir():
            for f in sorted(p.rglob("*")):
                if f.is_file() and f.suffix.lower() in SUPPORTED and f.name.lower() not in _SKIP_NAMES:
                    files.append(f)
        elif p.is_file():
            if p.suffix.lower() in SUPPORTED:
                files.append(p)
            else:
                errors.append(f"{p}: unsupported file type '{p.suffix or '(none)'}' (use {', '.join(SUPPORTED)})")
        else:
            errors.append(f"{p}: no such file or folder")
    seen: set[Path] = set()
    unique = []
    for f in files:
        r = f.resolve()
        if r not in seen:
            seen.add(r)
            unique.append(f)
    return unique, errors


CONTROL_BYTES = bytes([*range(9), *range(14, 32)])  # control characters but tab, line breaks, form feed


def looks_binary(data: bytes) -> bool:
    """NUL bytes or many control characters mean this is not a text file."""
    head = data[:8192]
    if b"\x00" in head:
        return True
    ctrl = len(head) - len(head.translate(None, CONTROL_BYTES))
    return bool(head) and ctrl / len(head) > 0.05


def decode_bytes(data: bytes, name: str) -> tuple[str, str]:
    """Decode UTF-8 (with or without BOM) or GB18030/GBK; return text and encoding."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace"), "utf-8-sig"
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16"), "utf-16"
    if looks_binary(data):
        raise IngestError(f"{name}: binary file, not a text document")
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    from charset_normalizer import from_bytes

    best = from_bytes(data).best()
    if best is None:
        raise IngestError(f"{name}: unknown text encoding (not UTF-8 or GB18030)")
    return str(best), best.encoding


def _read_docx(path: Path) -> str:
    import docx

    try:
        d = docx.Document(str(path))
    except Exception as exc:  # python-docx raises several unrelated types
        raise IngestError(f"{path}: not a readable .docx file ({type(exc).__name__})") from None
    parts = [p.text for p in d.paragraphs]
    for table in d.tables:
        for row in table.rows:
            parts.append("\t".join(c.text for c in row.cells))
    return "\n".join(parts)


def _read_pdf(path: Path) -> str:
    import logging

    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.ERROR)
    try:
        reader = PdfReader(str(path))
        pages = [page.extract_text() or "" for page in reader.pages]
    except Exception as exc:  # pypdf raises many types for damaged files
        raise IngestError(f"{path}: not a readable .pdf file ({type(exc).__name__})") from None
    return "\n".join(pages)


def _read_html(data: bytes, path: Path) -> tuple[str, str]:
    from bs4 import BeautifulSoup

    text, enc = decode_bytes(data, str(path))
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    return soup.get_text("\n"), enc


def read_file(path: Path) -> tuple[str, str]:
    """Read one file into (text, encoding) or raise IngestError."""
    suffix = path.suffix.lower()
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise IngestError(f"{path}: cannot read ({exc.strerror or exc})") from None
    if not data.strip():
        raise IngestError(f"{path}: empty document")
    if suffix == ".docx":
        text, enc = _read_docx(path), "docx"
    elif suffix == ".pdf":
        if not data.startswith(b"%PDF"):
            raise IngestError(f"{path}: not a PDF file (no %PDF header)")
        text, enc = _read_pdf(path), "pdf"
    elif suffix in (".html", ".htm"):
        text, enc = _read_html(data, path)
    else:
        text, enc = decode_bytes(data, str(path))
    if not text.strip():
        raise IngestError(f"{path}: empty document (no text could be extracted)")
    if not any("\u4e00" <= ch <= "\u9fff" for ch in text[:20000]):
        raise IngestError(f"{path}: no Chinese text found; is this a government work report?")
    return text, enc


__all__ = ["IngestError", "SUPPORTED", "discover", "read_file", "decode_bytes"]
