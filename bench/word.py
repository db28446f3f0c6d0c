"""How fast Word (and Excel) files are made.

Prints, on the embedded database:
- forms per second for single records of every type, rendered from the
  stored record (first file of a type builds its skeleton: shown apart), and
  through the whole download path (read, access check, render, audit entry);
- the time to build the complaint register of ``--rows`` rows (default
  10,000) as Word and as Excel, from rows as the register query returns them.

    .venv/bin/python bench/word.py [--records 20] [--rows 10000]
"""

from __future__ import annotations

import argparse
import io
import random
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from docx import Document  # noqa: E402

from portal.database import connect, ensure_indexes  # noqa: E402
from portal.database.embedded import EmbeddedDatabase  # noqa: E402
from portal.models import Department  # noqa: E402
from records.access import Actor  # noqa: E402
from records.calendar import seed_from_package  # noqa: E402
from records.clock import local_now  # noqa: E402
from records.forms import register_all  # noqa: E402
from records.store import database  # noqa: E402
from records.types import registry  # noqa: E402
from records.word import output  # noqa: E402
from records.word.forms import render_record  # noqa: E402
from records.word.registers import complaint_register, register_docx, register_xlsx  # noqa: E402
from records.word.samples import sample_doc  # noqa: E402
from records.word.texts import Texts  # noqa: E402

register_all()

ORG = "广东某检测中心"


def _insert_samples(per_type: int) -> list[str]:
    """Records of every type with sample values, written straight to the
    collection (the bench times output, not saving)."""
    numbers = []
    db = database()
    for record_type in registry:
        for n in range(per_type):
            doc = sample_doc(
                record_type,
                '暖气不热，多次报修未果。<客户> & "引号"\n第二行',
                number=f"{record_type.short_code}-2026-{n + 1:04d}",
            )
            doc.update(
                {
                    "year": 2026,
                    "seq": n + 1,
                    "department": "CS",
                    "created_by": "chen",
                    "title": "样例",
                    "attachments": [],
                    "history": [],
                }
            )
            db.records.insert_one(doc)
            numbers.append(doc["number"])
    return numbers


def _register_rows(count: int) -> list[dict]:
    rng = random.Random(6)
    now = local_now().replace(second=0, microsecond=0)
    return [
        {
            "number": f"QR-015-2026-{n + 1:05d}",
            "type": "complaint_sheet",
            "title": f"投诉 {n}：暖气不热，多次报修未果",
            "state": rng.choice(["received", "closed"]),
            "department": "CS",
            "handler": rng.choice(["wang", "li", None]),
            "data": {
                "received_at": (now - timedelta(minutes=rng.randrange(525600))).isoformat(),
                "customer": f"客户{rng.randrange(3000)} <分厂> & 总部",
                "subject": rng.choice(["attitude", "fees", "other"]),
                "severity": rng.choice(["general", "hot", "major"]),
                "reply_date": None,
            },
        }
        for n in range(count)
    ]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=20, help="records per type")
    parser.add_argument("--rows", type=int, default=10_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        seed_from_package()
        Department(code="CS", name="客服中心").save()
        numbers = _insert_samples(args.records)
        texts = Texts("zh_Hans")
        db = database()

        cold = []
        for record_type in registry:
            doc = db.records.find_one({"type": record_type.name})
            started = time.perf_counter()
            render_record(record_type, doc, texts, organisation=ORG)
            cold.append(time.perf_counter() - started)
        print(
            f"skeletons: {len(cold)} types built in {sum(cold):.2f} s "
            f"(slowest {max(cold) * 1000:.0f} ms), once per process"
        )

        docs = list(db.records.find({"number": {"$in": numbers}}))
        started = time.perf_counter()
        sizes = 0
        for doc in docs:
            made = render_record(registry.get(doc["type"]), doc, texts, organisation=ORG)
            sizes += len(made.content)
        seconds = time.perf_counter() - started
        print(
            f"render from the stored record: {len(docs)} forms in {seconds:.2f} s = "
            f"{len(docs) / seconds:.0f} forms/s (mean {sizes / len(docs) / 1024:.1f} KB)"
        )

        controller = Actor("chen", "陈静", ("controller",), "CS")
        sample = numbers[:: max(1, len(numbers) // 100)][:100]
        started = time.perf_counter()
        for number in sample:
            output.record_docx(controller, number, texts=texts, organisation=ORG)
        seconds = time.perf_counter() - started
        print(
            f"whole download (read, check, render, audit): {len(sample)} in {seconds:.2f} s "
            f"= {len(sample) / seconds:.0f} forms/s"
        )

        rows = _register_rows(args.rows)
        started = time.perf_counter()
        register = complaint_register(rows, texts, date(2026, 1, 1), date(2026, 12, 31))
        prepared = time.perf_counter() - started
        started = time.perf_counter()
        word = register_docx(register, texts, organisation=ORG, printed="bench")
        word_seconds = time.perf_counter() - started
        started = time.perf_counter()
        excel = register_xlsx(register, texts, organisation=ORG, printed="bench")
        excel_seconds = time.perf_counter() - started
        print(
            f"register of {args.rows} rows: values {prepared:.2f} s, Word {word_seconds:.2f} s "
            f"({len(word.content) / 1e6:.1f} MB), Excel {excel_seconds:.2f} s "
            f"({len(excel.content) / 1e6:.1f} MB); Word total "
            f"{prepared + word_seconds:.2f} s (target <= 15 s)"
        )
        started = time.perf_counter()
        reopened = Document(io.BytesIO(word.content))
        print(
            f"  python-docx reopens it with {len(reopened.tables[0].rows) - 1} rows in "
            f"{time.perf_counter() - started:.2f} s"
        )


if __name__ == "__main__":
    main()
