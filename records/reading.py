"""Reading one attachment's text and page images, in a child process.

:mod:`records.extraction` runs ``python -m records.reading SOURCE OUTDIR
LIMITS`` with time and memory limits, so a hostile file (a corrupt PDF, an
image bomb, a PDF of thousands of pages) costs at most those limits and
never the portal's own process. The result is ``OUTDIR/result.json``; page
images are PNG files beside it. Failures are codes with parameters
(``{"ok": false, "reason": "encrypted"}``), translated where they are shown.
"""

from __future__ import annotations

import contextlib
import ctypes
import io
import json
import os
import re
import resource
import shutil
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

#: What the content is, by its first bytes (never by its name).
MAGIC = (
    (b"%PDF-", "pdf"),
    (b"\x89PNG\r\n\x1a\n", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"II*\x00", "image"),
    (b"MM\x00*", "image"),
    (b"PK\x03\x04", "zip"),
)
#: What a file's name says it is.
BY_EXTENSION = {
    ".pdf": "pdf",
    ".png": "image",
    ".jpg": "image",
    ".jpeg": "image",
    ".tif": "image",
    ".tiff": "image",
    ".docx": "docx",
    ".xlsx": "xlsx",
}
#: Tesseract models tried on a scan (one is kept per file, see :func:`ocr`).
OCR_LANGUAGES = ("chi_sim+eng", "chi_tra+eng")
#: A page with fewer characters than this in its text layer is a scan.
MIN_TEXT_CHARS = 3
#: OCR and preview resolution.
OCR_DPI = 300
PREVIEW_WIDTH = 1000
THUMB_WIDTH = 160

_CJK = r"\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef"
#: Tesseract puts spaces between Chinese characters; words are cut by the
#: search analysis, so they are joined again.
_CJK_GAP = re.compile(rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])")


class Refused(Exception):
    """The file cannot be read: ``reason`` is a code, ``params`` its values."""

    def __init__(self, reason: str, **params):
        super().__init__(reason)
        self.reason = reason
        self.params = params


def kind_of(content: bytes) -> str | None:
    """What ``content`` is by its magic bytes; zip files by what they hold."""
    for start, kind in MAGIC:
        if content.startswith(start):
            if kind != "zip":
                return kind
            try:
                names = set(zipfile.ZipFile(io.BytesIO(content)).namelist())
            except zipfile.BadZipFile:
                return None
            if "word/document.xml" in names:
                return "docx"
            if "xl/workbook.xml" in names:
                return "xlsx"
            return None
    return None


def tidy(text: str) -> str:
    """OCR or layer text as searched: Chinese characters joined, lines kept."""
    lines = [_CJK_GAP.sub("", line).strip() for line in text.replace("\r", "\n").split("\n")]
    return "\n".join(line for line in lines if line)


#: What Tesseract (or the loader starting it) says when the memory limit is too low.
_OUT_OF_MEMORY = ("failed to map segment", "bad_alloc", "cannot allocate memory", "out of memory")


def _tesseract(png: bytes, languages: str, limits: dict) -> tuple[str, float]:
    """Tesseract's text of a PNG and its mean confidence (0-100, by characters)."""
    program = shutil.which("tesseract")
    if program is None:
        raise Refused("no_ocr")
    # One thread: the other core stays with the portal.
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    try:
        done = subprocess.run(  # noqa: S603 - fixed program, arguments of our own
            # Page segmentation 4 (one column of lines of any size): the
            # automatic layout (3) measurably dropped whole lines of sparse
            # forms; columns read as one still give their words to search.
            [program, "stdin", "stdout", "-l", languages, "--psm", "4", "tsv"],
            input=png,
            capture_output=True,
            timeout=limits["page_seconds"],
            env=env,
            check=False,
        )
    except subprocess.TimeoutExpired as error:
        raise Refused("page_timeout", seconds=limits["page_seconds"]) from error
    if done.returncode != 0:
        # Tesseract inherits this process's memory limit: below what it needs
        # it cannot even map its libraries or models.
        said = done.stderr.decode("utf-8", "replace").lower()
        if any(sign in said for sign in _OUT_OF_MEMORY):
            raise Refused("too_much_memory")
        raise Refused("ocr_failed")
    lines: dict[tuple, list[str]] = {}
    weight = score = 0.0
    for row in done.stdout.decode("utf-8", "replace").splitlines()[1:]:
        cells = row.split("\t")
        if len(cells) < 12 or not cells[11].strip():
            continue
        word, confidence = cells[11].strip(), float(cells[10])
        lines.setdefault((int(cells[2]), int(cells[3]), int(cells[4])), []).append(word)
        weight += len(word)
        score += confidence * len(word)
    text = "\n".join(" ".join(words) for _key, words in sorted(lines.items()))
    return tidy(text), (score / weight if weight else 0.0)


def ocr(image, limits: dict) -> str:
    """The text Tesseract reads on a PIL image.

    Simplified and traditional Chinese are tried on the first page read and
    the one read with more confidence is kept for the file's other pages:
    with both models at once, Tesseract measurably read simplified scans as
    traditional characters (回访记录 as 回訪記錄)."""
    buffer = io.BytesIO()
    image.convert("L").save(buffer, "PNG")
    png = buffer.getvalue()
    chosen = limits.get("chosen")
    if chosen:
        return _tesseract(png, chosen, limits)[0]
    best: tuple[str, float, str] = ("", -1.0, limits["languages"][0])
    for languages in limits["languages"]:
        text, confidence = _tesseract(png, languages, limits)
        if confidence > best[1]:
            best = (text, confidence, languages)
    limits["chosen"] = best[2]
    return best[0]


def _scaled(image, width: int):
    from PIL import Image

    if image.width <= width:
        return image.copy()
    height = max(1, round(image.height * width / image.width))
    return image.resize((width, height), Image.Resampling.LANCZOS)


def _save_previews(image, number: int, out: Path, previews: list, limits: dict) -> None:
    if number > limits["preview_pages"]:
        return
    large = _scaled(image.convert("RGB"), PREVIEW_WIDTH)
    large.save(out / f"page-{number}.png", "PNG")
    entry = {"page": number, "large": f"page-{number}.png"}
    if number == 1:
        _scaled(large, THUMB_WIDTH).save(out / "thumb.png", "PNG")
        entry["thumb"] = "thumb.png"
    previews.append(entry)


def read_pdf(path: Path, out: Path, limits: dict) -> dict:
    import pypdfium2 as pdfium

    try:
        pdf = pdfium.PdfDocument(str(path))
    except pdfium.PdfiumError as error:
        text = str(error).lower()
        raise Refused("encrypted" if "password" in text else "corrupt_pdf") from error
    total = len(pdf)
    if total == 0:
        raise Refused("corrupt_pdf")
    read = min(total, limits["max_pages"])
    pages: list[dict] = []
    previews: list[dict] = []
    ocr_pages = 0
    for index in range(read):
        page = pdf[index]
        width, height = page.get_size()
        text = tidy(page.get_textpage().get_text_bounded())
        scanned = len(text.replace("\n", "")) < MIN_TEXT_CHARS
        image = None
        if scanned or index < limits["preview_pages"]:
            # Never render a page larger than the pixel limit (a page of
            # 14,400 inches is legal PDF).
            scale = OCR_DPI / 72 if scanned else PREVIEW_WIDTH / max(width, 1)
            if width * height * scale * scale > limits["max_pixels"]:
                scale = (limits["max_pixels"] / max(width * height, 1)) ** 0.5
            image = page.render(scale=scale).to_pil()
        if scanned:
            if ocr_pages >= limits["max_ocr_pages"]:
                break  # the pages after it are said to be unread
            text = ocr(image, limits)
            ocr_pages += 1
        if image is not None:
            _save_previews(image, index + 1, out, previews, limits)
        pages.append({"page": index + 1, "text": text, "ocr": scanned})
    return {
        "engine": f"pypdfium2 {pdfium.PYPDFIUM_INFO}" + (" + tesseract" if ocr_pages else ""),
        "language": limits.get("chosen") if ocr_pages else None,
        "pages": pages,
        "page_count": total,
        "previews": previews,
    }


def read_image(path: Path, out: Path, limits: dict) -> dict:
    from PIL import Image, ImageSequence

    # The header says how large the picture is; it is refused before a
    # single pixel is decoded (a 100,000 x 100,000 PNG is a few kilobytes).
    Image.MAX_IMAGE_PIXELS = None
    with Image.open(path) as image:
        if image.width * image.height > limits["max_pixels"]:
            raise Refused("image_too_large", width=image.width, height=image.height)
        frames = getattr(image, "n_frames", 1)
        pages: list[dict] = []
        previews: list[dict] = []
        for index, frame in enumerate(ImageSequence.Iterator(image)):
            if index >= limits["max_ocr_pages"]:
                break
            if frame.width * frame.height > limits["max_pixels"]:
                raise Refused("image_too_large", width=frame.width, height=frame.height)
            frame = frame.copy()
            frame.load()
            pages.append({"page": index + 1, "text": ocr(frame, limits), "ocr": True})
            _save_previews(frame, index + 1, out, previews, limits)
    return {
        "engine": "tesseract",
        "language": limits.get("chosen"),
        "pages": pages,
        "page_count": frames,
        "previews": previews,
    }


def read_docx(path: Path, out: Path, limits: dict) -> dict:
    import docx

    document = docx.Document(str(path))
    lines = [p.text for p in document.paragraphs]
    for table in document.tables:
        for row in table.rows:
            lines.append("  ".join(cell.text for cell in row.cells))
    return {
        "engine": "python-docx",
        "language": None,
        "pages": [{"page": 1, "text": tidy("\n".join(lines)), "ocr": False}],
        "page_count": 1,
        "previews": [],
    }


def read_xlsx(path: Path, out: Path, limits: dict) -> dict:
    import openpyxl

    # A file object: openpyxl judges a path by its name, and the source is
    # saved without one.
    handle = open(path, "rb")  # noqa: SIM115 - closed with the book below
    book = openpyxl.load_workbook(handle, read_only=True, data_only=True)
    pages = []
    for number, sheet in enumerate(book.worksheets, start=1):
        if number > limits["max_pages"]:
            break
        rows = []
        for row in sheet.iter_rows(values_only=True):
            cells = [str(value) for value in row if value not in (None, "")]
            if cells:
                rows.append("  ".join(cells))
        pages.append({"page": number, "label": sheet.title, "text": tidy("\n".join(rows))})
    book.close()
    handle.close()
    return {
        "engine": "openpyxl",
        "language": None,
        "pages": pages,
        "page_count": len(book.worksheets),
        "previews": [],
    }


READERS = {"pdf": read_pdf, "image": read_image, "docx": read_docx, "xlsx": read_xlsx}


def read(path: Path, filename: str, out: Path, limits: dict) -> dict:
    """The text and page images of the file at ``path`` (named ``filename``)."""
    with open(path, "rb") as handle:
        head = handle.read(8)
    kind = kind_of(path.read_bytes()) if head.startswith(b"PK") else kind_of(head)
    claimed = BY_EXTENSION.get(os.path.splitext(filename)[1].lower())
    if kind is None:
        raise Refused("unknown_type")
    if claimed != kind:
        raise Refused("type_mismatch", found=kind, named=claimed or "")
    try:
        result = READERS[kind](path, out, limits)
    except Refused:
        raise
    except MemoryError as error:
        raise Refused("too_much_memory") from error
    except Exception as error:  # noqa: BLE001 - whatever a damaged file raises
        raise Refused("damaged", kind=kind) from error
    result["kind"] = kind
    return result


def limit_self(limits: dict) -> None:
    """Bound what this process (and the Tesseract it starts) may cost, before
    any file is opened: address space, CPU seconds, no core dumps, a low
    priority, and an end with the worker that started it."""
    memory = limits["memory_mb"] * 1024 * 1024
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    resource.setrlimit(resource.RLIMIT_CPU, (limits["seconds"], limits["seconds"] + 5))
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    os.nice(10)  # the portal's own requests come first
    with contextlib.suppress(OSError, AttributeError):
        # Linux: killed if the worker's process dies (no orphan reading on).
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def main(argv: list[str]) -> int:
    source, out, limits = Path(argv[0]), Path(argv[1]), json.loads(argv[2])
    limit_self(limits)
    try:
        result = {"ok": True, **read(source, limits.get("filename", ""), out, limits)}
    except Refused as refused:
        result = {"ok": False, "reason": refused.reason, "params": refused.params}
    (out / "result.json").write_text(json.dumps(result, ensure_ascii=False), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
