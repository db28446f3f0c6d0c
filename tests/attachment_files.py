"""Attachments the tests make themselves: scans drawn with Noto CJK, Word,
LibreOffice PDFs, Excel files, and hostile files."""

from __future__ import annotations

import io
import shutil
import struct
import subprocess
import zlib
from pathlib import Path

NOTO = "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"


def scan_png(lines: list[str], size: int = 48) -> bytes:
    """A PNG of ``lines`` drawn in black on white, as a scanner would give."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(NOTO, size)
    image = Image.new("RGB", (1400, 120 + 100 * len(lines)), "white")
    draw = ImageDraw.Draw(image)
    for row, line in enumerate(lines):
        draw.text((40, 60 + 100 * row), line, font=font, fill="black")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def docx_bytes(paragraphs: list[str], page_break_after: int | None = None) -> bytes:
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for index, text in enumerate(paragraphs):
        paragraph = document.add_paragraph(text)
        if page_break_after is not None and index == page_break_after:
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def libreoffice_pdf(paragraphs: list[str], folder: Path, page_break_after=None) -> bytes:
    """A PDF made by LibreOffice from a generated Word file."""
    source = folder / "form.docx"
    source.write_bytes(docx_bytes(paragraphs, page_break_after))
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    subprocess.run(  # noqa: S603
        [
            soffice,
            f"-env:UserInstallation=file://{folder}/lo-profile",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return (folder / "form.pdf").read_bytes()


def xlsx_bytes(rows: list[list]) -> bytes:
    import openpyxl

    book = openpyxl.Workbook()
    book.active.title = "回访"
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def many_pages_pdf(pages: int) -> bytes:
    """A text PDF of ``pages`` pages (one shared content stream, so a few KB
    per thousand pages)."""
    content = b"BT /F1 18 Tf 72 720 Td (long register page) Tj ET"
    kids = b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    objects += [
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R "
        b"/Resources << /Font << /F1 3 0 R >> >> >>"
    ] * pages
    return _pdf(objects, b"/Root 1 0 R")


def _pdf(objects: list[bytes], trailer: bytes) -> bytes:
    out = bytearray(b"%PDF-1.4\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    for offset in offsets:
        out += b"%010d 00000 n \n" % offset
    out += b"trailer\n<< /Size %d " % (len(objects) + 1) + trailer + b" >>\n"
    out += b"startxref\n%d\n%%%%EOF\n" % xref
    return bytes(out)


def corrupt_pdf() -> bytes:
    return b"%PDF-1.7\n1 0 obj << /Type /Catalog /Pages 2 0 R >>\nendobj\n" + b"\x00garbage" * 200


def encrypted_pdf() -> bytes:
    """A one-page PDF with an RC4 40-bit standard security handler whose user
    password is not empty: readers must ask for it."""
    import hashlib

    pad = bytes.fromhex("28BF4E5E4E758A4164004E56FFFA01082E2E00B6D0683E802F0CA9FE6453697A")
    user, owner = b"secret", b"owner"

    def rc4(key: bytes, data: bytes) -> bytes:
        s = list(range(256))
        j = 0
        for i in range(256):
            j = (j + s[i] + key[i % len(key)]) % 256
            s[i], s[j] = s[j], s[i]
        i = j = 0
        out = bytearray()
        for byte in data:
            i = (i + 1) % 256
            j = (j + s[i]) % 256
            s[i], s[j] = s[j], s[i]
            out.append(byte ^ s[(s[i] + s[j]) % 256])
        return bytes(out)

    owner_key = hashlib.md5((owner + pad)[:32]).digest()[:5]  # noqa: S324 - the PDF format's
    o_value = rc4(owner_key, (user + pad)[:32])
    file_id = b"0123456789abcdef"
    permissions = -4
    key = hashlib.md5(  # noqa: S324
        (user + pad)[:32] + o_value + struct.pack("<i", permissions) + file_id
    ).digest()[:5]
    u_value = rc4(key, pad)
    content = b"BT /F1 24 Tf 72 720 Td (secret page) Tj ET"

    def obj_key(number):
        return hashlib.md5(key + struct.pack("<i", number)[:3] + b"\0\0").digest()[:10]  # noqa: S324

    stream = rc4(obj_key(4), content)
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R >>",
        b"<< /Length %d >>\nstream\n" % len(stream) + stream + b"\nendstream",
        b"<< /Filter /Standard /V 1 /R 2 /O <"
        + o_value.hex().encode()
        + b"> /U <"
        + u_value.hex().encode()
        + b"> /P %d >>" % permissions,
    ]
    ids = file_id.hex().encode()
    return _pdf(objects, b"/Root 1 0 R /Encrypt 5 0 R /ID [<" + ids + b"> <" + ids + b">]")


def png_bomb(width: int = 100_000, height: int = 100_000) -> bytes:
    """A PNG whose header claims ``width`` x ``height`` pixels (a few KB)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    row = b"\0" + b"\xff" * 1000
    data = zlib.compress(row * 10, 9)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", data) + chunk(b"IEND", b"")
    )
