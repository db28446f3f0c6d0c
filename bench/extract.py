"""How fast attachments' text is read, and how soon a scan is searchable.

Prints:
- OCR pages per minute: a scanned PDF (A4 page images at 300 dpi of Chinese
  text drawn with Noto CJK, no text layer) read by the same limited child
  process as the worker, one file at a time and two at once (2 cores);
- text-PDF pages per second: a PDF made by LibreOffice from a Word file,
  with the page images of the viewer (the first 20 pages) and without;
- upload to searchable: a real attach on the embedded database, the reader
  and the background indexer running, until a word on the scan is found.

    .venv/bin/python bench/extract.py [--ocr-pages 6] [--text-pages 60] [--samples 3]
"""

from __future__ import annotations

import argparse
import io
import statistics
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import records.forms  # noqa: E402, F401 - registers the record types
from records.access import Actor  # noqa: E402
from records.extraction import Limits, run_reader  # noqa: E402
from tests import attachment_files as files  # noqa: E402

LINES = [
    "顾客满意度调查表 编号 QR-021-2026-{n:04d}",
    "客户名称：华东物业管理有限公司 第{n}号楼",
    "服务内容：空调外机噪音检修，更换减震垫",
    "客户意见：维修及时，服务态度良好，满意",
    "回访记录：三日后电话回访，设备运行正常",
    "客户签字：王先生    日期：2026年11月20日",
]


def scanned_pdf(pages: int) -> bytes:
    """An image-only PDF of A4 pages at 300 dpi, as a scanner makes them."""
    from PIL import Image, ImageDraw, ImageFont

    font = ImageFont.truetype(files.NOTO, 64)
    images = []
    for number in range(pages):
        image = Image.new("L", (2480, 3508), 255)
        draw = ImageDraw.Draw(image)
        for row in range(24):
            line = LINES[row % len(LINES)].format(n=number + 1)
            draw.text((200, 250 + row * 125), line, font=font, fill=0)
        images.append(image)
    out = io.BytesIO()
    images[0].save(out, "PDF", resolution=300, save_all=True, append_images=images[1:])
    return out.getvalue()


def text_pdf(pages: int, folder: Path) -> bytes:
    paragraphs = []
    for number in range(pages):
        paragraphs += [line.format(n=number + 1) for line in LINES] * 4
    # About one page per 24 lines; a break after each makes the count exact.
    source = folder / "long.docx"
    import docx
    from docx.enum.text import WD_BREAK

    document = docx.Document()
    for index, text in enumerate(paragraphs):
        paragraph = document.add_paragraph(text)
        if index % 24 == 23 and index + 1 < len(paragraphs):
            paragraph.add_run().add_break(WD_BREAK.PAGE)
    document.save(source)
    import shutil
    import subprocess

    subprocess.run(  # noqa: S603
        [
            shutil.which("soffice"),
            f"-env:UserInstallation=file://{folder}/lo",
            "--headless",
            "--convert-to",
            "pdf",
            "--outdir",
            str(folder),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    return (folder / "long.pdf").read_bytes()


def read_once(content: bytes, filename: str, limits: Limits) -> tuple[float, dict]:
    with tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        result = run_reader(content, filename, limits, Path(folder))
        seconds = time.perf_counter() - started
    if not result.get("ok"):
        raise SystemExit(f"{filename}: {result}")
    return seconds, result


def ocr_rate(pages: int) -> None:
    content = scanned_pdf(pages)
    limits = Limits(preview_pages=0)
    seconds, result = read_once(content, "scan.pdf", limits)
    found = sum("满意" in p["text"] for p in result["pages"])
    print(
        f"OCR, one file at a time: {pages} pages in {seconds:.1f} s = "
        f"{pages * 60 / seconds:.1f} pages/min ({found}/{pages} pages read back 满意; "
        f"{result['language']})"
    )
    started = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        list(pool.map(lambda _: read_once(content, "scan.pdf", limits), range(2)))
    both = time.perf_counter() - started
    print(
        f"OCR, two files at once (2 cores): {2 * pages} pages in {both:.1f} s = "
        f"{2 * pages * 60 / both:.1f} pages/min"
    )


def text_rate(pages: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        content = text_pdf(pages, Path(folder))
    for label, limits in (
        ("text only", Limits(preview_pages=0)),
        ("with the viewer's page images (first 20)", Limits()),
    ):
        seconds, result = read_once(content, "long.pdf", limits)
        count = result["page_count"]
        print(
            f"text PDF, {label}: {count} pages in {seconds:.2f} s = "
            f"{count / seconds:.0f} pages/s ({sum(len(p['text']) for p in result['pages']):,} "
            "characters)"
        )


def upload_to_searchable(samples: int) -> None:
    from portal.database import connect, ensure_indexes
    from portal.database.embedded import EmbeddedDatabase
    from records import extraction
    from records.attachments import attach_file
    from records.operations import create_record
    from search_index import Indexer, IndexerThread, IndexStore, Search, search

    staff = Actor("bench", "Bench", ("staff",), "CS")
    delays = []
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        store = IndexStore(Path(scratch) / "index")
        store.live()
        indexer = IndexerThread(Indexer(store), interval=0.1)
        indexer.start()
        stop = threading.Event()

        def reader():
            # What the worker thread does, polling as often as PORTAL_EXTRACT_POLL_SECONDS=0.2.
            while not stop.is_set():
                if extraction.work_once(Limits()) is None:
                    stop.wait(0.2)

        thread = threading.Thread(target=reader, daemon=True)
        thread.start()
        try:
            for i in range(samples):
                word = f"满意度{i:02d}号"
                record = create_record(
                    staff,
                    "handover_log",
                    {
                        "title": "扫描件",
                        "shift_date": "2026-11-20",
                        "shift": "day",
                        "handed_over_by": "王芳",
                        "events": "回访单已扫描",
                    },
                )
                png = files.scan_png([f"顾客{word}调查表", "客户签字确认"])
                started = time.perf_counter()
                attach_file(staff, record.number, "survey.png", png, base_version=1)
                while not search(store, staff, Search(text=f"顾客{word}")).total:
                    if time.perf_counter() - started > 120:
                        raise SystemExit(f"{word} not searchable after 120 s")
                    time.sleep(0.05)
                delays.append(time.perf_counter() - started)
        finally:
            stop.set()
            indexer.stop()
            thread.join(30)
    print(
        f"upload to searchable (one-page scan, {samples} samples): "
        f"median {statistics.median(delays):.1f} s, max {max(delays):.1f} s"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ocr-pages", type=int, default=6)
    parser.add_argument("--text-pages", type=int, default=60)
    parser.add_argument("--samples", type=int, default=3)
    args = parser.parse_args()
    ocr_rate(args.ocr_pages)
    text_rate(args.text_pages)
    upload_to_searchable(args.samples)


if __name__ == "__main__":
    main()
