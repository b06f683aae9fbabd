"""Hostile PDFs, generated: part of the hostile corpus (issue 23 item 7). Each is refused, or read, within the
documented limits, with a clear message, in bounded time and memory; nothing in them is ever run."""

from __future__ import annotations

import io
import zlib
from pathlib import Path

EXPECTED = {
    "million-pages.pdf": ("E-LIMIT", "页"),
    "million-references.pdf": ("E-LIMIT", "引用过多"),
    "deep-nesting.pdf": ("E-FORMAT", ""),
    "huge-stream.pdf": ("E-LIMIT", "压缩炸弹"),
    "broken-xref.pdf": ("E-FORMAT", ""),
    "encrypted.pdf": ("E-FORMAT", "加密"),
    "javascript-and-files.pdf": ("E-FORMAT", "没有文字层"),
    "scanned.pdf": ("E-FORMAT", "没有文字层"),
    "empty.pdf": ("E-EMPTY", "空"),
}
CATALOG = b"<< /Type /Catalog /Pages 2 0 R >>"
PAGE = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 10 10] >>"


def pdf(objects: list[bytes]) -> bytes:
    out = io.BytesIO()
    out.write(b"%PDF-1.7\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    for offset in offsets:
        out.write(b"%010d 00000 n \n" % offset)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def write_all(folder: Path) -> list[str]:
    from pypdf import PdfWriter
    files: dict[str, bytes] = {}
    files["million-pages.pdf"] = pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1000000 >>", PAGE])
    files["million-references.pdf"] = pdf([CATALOG, b"<< /Type /Pages /Kids [" + b"3 0 R " * 200_000 + b"] /Count 1 >>", PAGE])
    files["deep-nesting.pdf"] = pdf([CATALOG[:-2] + b"/X " + b"[" * 50_000 + b"]" * 50_000 + b" >>",
                                     b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE])
    bomb = zlib.compress(b"0" * (64 * 1024 * 1024), 9)
    files["huge-stream.pdf"] = pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
                                    PAGE[:-2] + b"/Contents 4 0 R >>",
                                    b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(bomb) + bomb + b"\nendstream"])
    files["broken-xref.pdf"] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\nxref\n0 9\nGARBAGE\ntrailer << /Root 1 0 R >>\nstartxref\n99999\n%%EOF\n"
    writer = PdfWriter()
    writer.add_blank_page(100, 100)
    writer.encrypt("secret")
    buf = io.BytesIO()
    writer.write(buf)
    files["encrypted.pdf"] = buf.getvalue()
    files["javascript-and-files.pdf"] = pdf([
        b"<< /Type /Catalog /Pages 2 0 R /OpenAction << /S /JavaScript /JS (app.alert(1)) >> "
        b"/Names << /EmbeddedFiles << /Names [(x.txt) 4 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE, b"<< /Type /Filespec /F (x.txt) >>"])
    files["scanned.pdf"] = pdf([CATALOG, b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>", PAGE])
    files["empty.pdf"] = b""
    for name, content in files.items():
        (folder / name).write_bytes(content)
    assert set(files) == set(EXPECTED)
    return sorted(files)
