"""Search at scale, for each engine on the same corpus: index rate, index
size, query latency per kind, save-to-searchable.

Generates a realistic corpus in memory (Chinese complaint text of 300-3,000
characters, 1-5 versions per record, several departments; deterministic, so
every engine gets the same records), indexes it through the same mapping and
writers as ``portal reindex``, then times a fixed mix of queries through the
same ``search()`` the portal and the API call, compares the totals of the
engines query by query, and times a save (a real records operation on the
embedded database) until the background indexer has made it searchable.

    .venv/bin/python bench/search.py --records 10000
    .venv/bin/python bench/search.py --records 100000 --engines tantivy --keep /tmp/idx100k
    .venv/bin/python bench/search.py --reuse /tmp/idx100k      # queries only
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta
from functools import lru_cache
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from records.access import Actor  # noqa: E402
from records.forms import register_all  # noqa: E402
from search_index import Indexer, IndexerThread, IndexStore, Search, search  # noqa: E402
from search_index.indexer import history_documents  # noqa: E402
from search_index.schema import document  # noqa: E402

register_all()

DEPARTMENTS = ["客服部", "工程部", "质检部", "物业一部", "物业二部", "销售部", "技术部", "办公室"]
SEVERITIES = ["general", "important", "major"]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"  # noqa: E501
PLACES = [
    "阳光花园",
    "锦绣华庭",
    "滨江名苑",
    "翠湖天地",
    "金色家园",
    "世纪新城",
    "碧桂园",
    "枫林小区",
    "东方明珠苑",
    "御景湾",
    "书香门第",
    "水岸华府",
    "春晓苑",
    "龙湖郦城",
]
PRODUCTS = [
    "空调",
    "热水器",
    "电梯",
    "门禁系统",
    "供暖管道",
    "燃气表",
    "净水器",
    "智能门锁",
    "地暖",
    "新风系统",
    "中央空调",
    "消防栓",
    "配电箱",
    "监控摄像头",
    "对讲机",
]
PROBLEMS = [
    "外机噪音很大",
    "漏水严重",
    "无法启动",
    "温度达不到设定值",
    "频繁跳闸",
    "有异味",
    "显示故障代码",
    "响应很慢",
    "安装不规范",
    "配件缺失",
    "维修后再次故障",
    "费用不透明",
    "服务人员态度差",
    "上门时间一再推迟",
    "质量问题反复出现",
    "交货延迟",
]
SENTENCES = [
    "客户{name}于{date}来电投诉，{place}{building}号楼{room}室的{product}{problem}。",
    "客户表示此前已经报修过两次，但问题一直没有得到彻底解决，要求公司给出书面答复。",
    "接线员记录了客户的联系方式，并承诺在三个工作日内安排维修人员上门检查。",
    "{dept}接到派单后，指派维修工程师{name}负责处理，预计{date}前完成。",
    "经现场检查，发现{product}的{part}存在{defect}，需要更换相关配件。",
    "维修人员已于{date}更换{part}，试运行正常，客户在维修单上签字确认。",
    "客户对处理结果基本满意，但对等待时间较长表示不满，建议改进派工流程。",
    "回访时客户反映{product}运行正常，对服务人员的专业态度表示认可。",
    "本次投诉属于{severity}投诉，责任类别为第{cls}类，已纳入月度统计。",
    "同一小区本月已出现类似投诉{count}起，质检部决定开展专项排查。",
    "纠正措施：加强安装质量检查，对维修人员进行专项培训，完善备件库存管理。",
    "预防措施：对同批次{product}开展全面巡检，提前更换存在隐患的{part}。",
    "客户要求赔偿因{problem}造成的损失，经协商后同意给予适当补偿。",
    "处理过程中与客户保持沟通，每日告知维修进度，客户情绪逐渐平稳。",
    "The customer reported that the {en} was noisy and asked for a written reply.",
    "技术部分析认为故障原因是{defect}，与使用环境潮湿有关。",
    "根据《客户投诉处理程序》的规定，本投诉应在十五个工作日内办结。",
    "部门负责人审核了处理方案，技术经理签字批准后实施。",
]
PARTS = ["压缩机", "电路板", "密封圈", "传感器", "阀门", "风机", "控制面板", "管道接头", "电源模块"]
DEFECTS = ["老化", "松动", "短路", "裂纹", "腐蚀", "安装偏差", "批次质量缺陷", "参数设置错误"]
RARE = [
    "冷凝水倒灌",
    "压敏电阻击穿",
    "钢化玻璃自爆",
    "铜管砂眼",
    "变频模块烧毁",
    "地漏返臭",
    "水锤效应",
    "冷媒泄漏",
    "接地不良",
    "谐波干扰",
]
ENGLISH = ["air conditioner", "water heater", "elevator", "door lock", "heating pipe"]
START = datetime(2021, 1, 1)


class Corpus:
    """Deterministic synthetic records with versions, generated on the fly."""

    def __init__(self, seed: int = 7):
        self.random = random.Random(seed)

    def name(self):
        r = self.random
        return (
            r.choice(SURNAMES) + r.choice("先生女士")
            if r.random() < 0.5
            else (r.choice(SURNAMES) + r.choice("伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"))
        )

    def sentence(self, when):
        r = self.random
        day = when + timedelta(days=r.randint(0, 20))
        return r.choice(SENTENCES).format(
            name=self.name(),
            date=day.strftime("%Y年%m月%d日"),
            place=r.choice(PLACES),
            building=r.randint(1, 30),
            room=r.randint(101, 3208),
            product=r.choice(PRODUCTS),
            problem=r.choice(PROBLEMS),
            dept=r.choice(DEPARTMENTS),
            part=r.choice(PARTS),
            defect=r.choice(DEFECTS),
            severity=r.choice(["重大", "一般"]),
            cls=r.randint(1, 3),
            count=r.randint(2, 9),
            en=r.choice(ENGLISH),
        )

    def text(self, when, low=300, high=3000):
        r = self.random
        target = int(min(high, max(low, r.lognormvariate(6.9, 0.6))))
        parts, size = [], 0
        while size < target:
            piece = self.sentence(when)
            if r.random() < 0.002:
                piece += f"现场发现{r.choice(RARE)}。"
            parts.append(piece)
            size += len(piece)
        return "".join(parts)

    def record(self, index: int):
        """A stored record and its stored versions, shaped as in MongoDB."""
        r = self.random
        created = START + timedelta(minutes=index * 2 + r.randint(0, 1))
        year = created.year
        number = f"QR-021-{year}-{index:07d}"
        department = r.choice(DEPARTMENTS)
        body = self.text(created)
        versions, when = [], created
        data = {
            "title": f"{r.choice(PLACES)}{r.choice(PRODUCTS)}{r.choice(PROBLEMS)}",
            "shift_date": created.date().isoformat(),
            "shift": "day",
            "handed_over_by": self.name(),
            "events": body,
            "severity": r.choice(SEVERITIES),
        }
        states = ["open", "handed_over", "accepted"]
        for version in range(1, r.randint(1, 5) + 1):
            if version > 1:
                when = when + timedelta(hours=r.randint(1, 200))
                data = {**data, "open_items": self.sentence(when)}
            versions.append(
                {
                    "number": number,
                    "version": version,
                    "data": data,
                    "title": data["title"],
                    "state": states[min(version - 1, 2)],
                    "department": department,
                    "changed_at": when,
                    "attachments": [],
                }
            )
        last = versions[-1]
        record = {
            "_id": index,
            "type": "handover_log",
            "number": number,
            "version": last["version"],
            "state": last["state"],
            "title": last["title"],
            "data": last["data"],
            "department": department,
            "created_by": "bench",
            "people": ["bench"],
            "created_at": created,
            "updated_at": when,
            "form_code": "GAEPC/QR-021",
            "attachments": [],
        }
        return record, versions


class PooledCorpus(Corpus):
    """A faster synthetic loader for large runs: the texts of ``pool`` records
    made by :class:`Corpus`, reused in turn by every further record, which keeps
    its own number, dates, department and ``_id`` (so counts, facets, dates and
    sorting stay as many as the records). The analysis of a repeated paragraph
    is cached, so loading costs Tantivy's indexing, not the Python analysis;
    posting lists are as long as the corpus, only the variety of text is the
    pool's."""

    def __init__(self, pool: int, seed: int = 7):
        super().__init__(seed)
        self.pool = pool
        self.base: list[tuple[dict, list[dict]]] = []
        # Each record holds ~8 distinct paragraphs (title, text, open items,
        # names...): the caches must hold the pool's, or a cyclic reuse
        # misses every time.
        from search_index import analysis

        for name in ("paragraph_words", "normal_paragraph", "_paragraph_gram_text"):
            cached = getattr(analysis, name)
            setattr(analysis, name, lru_cache(maxsize=pool * 12)(cached.__wrapped__))

    def record(self, index: int):
        if index < self.pool:
            made = super().record(index)
            self.base.append(made)
            return made
        base, base_versions = self.base[index % self.pool]
        created = START + timedelta(minutes=index * 2)
        shift = created - base["created_at"]
        number = f"QR-021-{created.year}-{index:07d}"
        department = DEPARTMENTS[(index * 7 + index // 13) % len(DEPARTMENTS)]
        versions = [
            {**v, "number": number, "department": department, "changed_at": v["changed_at"] + shift}
            for v in base_versions
        ]
        record = {
            **base,
            "_id": index,
            "number": number,
            "department": department,
            "created_at": created,
            "updated_at": versions[-1]["changed_at"],
        }
        return record, versions


def percentile(values, q):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(round(q * (len(ordered) - 1))))]


def size_of(path: Path) -> int:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file())


def build(
    store: IndexStore,
    count: int,
    chunk: int,
    limit_mb: int,
    procs: int,
    history: bool = True,
    pool: int = 0,
) -> dict:
    corpus = PooledCorpus(pool) if pool and pool < count else Corpus()
    generation = store.live()
    started = time.perf_counter()
    cpu_started = time.process_time()
    generating = 0.0  # making up the corpus is not indexing
    characters = versions_total = 0
    done = 0
    last_report = started
    options: dict = {"limitmb": limit_mb}
    if store.engine == "tantivy":
        options["rebuilding"] = True  # the writer memory of `portal reindex`
    elif procs > 1:
        options.update(procs=procs, multisegment=True)  # as `portal reindex --procs`
    while done < count:
        size = min(chunk, count - done)
        with generation.writers(**options) as writers:
            for index in range(done, done + size):
                made = time.perf_counter()
                record, versions = corpus.record(index)
                generating += time.perf_counter() - made
                characters += len(record["data"]["events"])
                versions_total += len(versions)
                writers["current"].add_document(**document(record))
                if history:
                    for doc in history_documents(record, versions):
                        writers["history"].add_document(**doc)
        done += size
        now = time.perf_counter()
        if now - last_report > 30 or done == count:
            print(
                f"  {store.engine}: indexed {done} records "
                f"({done / (now - started - generating):.0f}/s)",
                file=sys.stderr,
            )
            last_report = now
    seconds = time.perf_counter() - started - generating
    # CPU of this process and its threads (Tantivy indexes in threads; Whoosh's
    # analysing processes are not counted): the machine may be busy.
    cpu = time.process_time() - cpu_started - generating
    return {
        "records": count,
        "versions": versions_total if history else 0,
        "current_only": not history,
        "seconds": round(seconds, 1),
        "records_per_s": round(count / seconds),
        "cpu_ms_per_record_approx": round(cpu * 1000 / count, 2),
        "versions_per_s": round(versions_total / seconds),
        "avg_chars": round(characters / count),
    }


def query_mix(count: int):
    """The fixed mix: (class, Search, actor kind)."""
    r = random.Random(11)
    mix = []
    for _ in range(10):
        mix.append(
            (
                "common",
                Search(text=r.choice(["投诉", "客户", "维修", "空调 漏水", "回访 满意"])),
                "auditor",
            )
        )
        mix.append(("common+date", Search(text=r.choice(["投诉", "维修"]), sort="date"), "auditor"))
        mix.append(("rare", Search(text=r.choice(RARE)), "auditor"))
        mix.append(
            ("phrase", Search(text='"' + r.choice(PRODUCTS) + r.choice(PROBLEMS) + '"'), "auditor")
        )
        mix.append(
            (
                "filtered",
                Search(text=r.choice(["漏水", "噪音", "赔偿"]), severities=("major",)),
                "staff",
            )
        )
        when = START + timedelta(days=r.randint(0, max(1, count * 2 // 1440)))
        mix.append(
            ("as-of", Search(text=r.choice(["漏水", "噪音", "更换"]), as_of=when), "auditor")
        )
    return mix


def run_queries(
    store: IndexStore,
    count: int,
    rounds: int = 3,
    time_limit: float | None = None,
    history: bool = True,
) -> dict:
    actors = {
        "auditor": Actor("audit", "Audit", ("auditor",), None),
        "staff": Actor("bench", "Bench", ("staff",), DEPARTMENTS[0]),
    }
    mix = [item for item in query_mix(count) if history or item[0] != "as-of"]
    # Warm up: the first search opens the searchers and reads the columns.
    for _cls, request, who in mix[:6]:
        search(store, actors[who], request, time_limit=time_limit)
    timings: dict[str, list[float]] = {}
    totals: dict[str, list[int]] = {}
    every_total: list[tuple[int, dict]] = []
    partial: dict[str, list[bool]] = {}
    for _ in range(rounds):
        for cls, request, who in mix:
            started = time.perf_counter()
            found = search(store, actors[who], request, time_limit=time_limit)
            timings.setdefault(cls, []).append((time.perf_counter() - started) * 1000)
            totals.setdefault(cls, []).append(found.total)
            every_total.append((found.total, found.facets))
            partial.setdefault(cls, []).append(not found.complete)
    out = {}
    everything = []
    for cls, ms in timings.items():
        everything += ms
        out[cls] = {
            "p50_ms": round(percentile(ms, 0.5), 1),
            "p95_ms": round(percentile(ms, 0.95), 1),
            "median_hits": int(statistics.median(totals[cls])),
            "stopped_early": sum(partial[cls]),
        }
    out["all"] = {
        "p50_ms": round(percentile(everything, 0.5), 1),
        "p95_ms": round(percentile(everything, 0.95), 1),
        "queries": len(everything),
    }
    out["_totals"] = every_total
    return out


def save_to_searchable(store: IndexStore, samples: int = 20) -> dict:
    """Real saves on the embedded database, found by the background indexer."""
    from portal.database import connect, ensure_indexes
    from portal.database.embedded import EmbeddedDatabase
    from records.operations import create_record

    staff = Actor("bench", "Bench", ("staff",), DEPARTMENTS[0])
    delays = []
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        thread = IndexerThread(Indexer(store), interval=0.1)
        store.needs_rebuild = False  # the corpus is not in this database
        thread.start()
        try:
            for i in range(samples):
                word = f"独有标记{i:04d}"
                started = time.perf_counter()
                create_record(
                    staff,
                    "handover_log",
                    {
                        "title": "保存到可检索",
                        "shift_date": "2026-11-20",
                        "shift": "day",
                        "handed_over_by": "王芳",
                        "events": f"客户反映{word}问题，已登记。",
                    },
                )
                while not search(store, staff, Search(text=word)).total:
                    if time.perf_counter() - started > 60:
                        raise SystemExit(f"{word} not searchable after 60 s")
                    time.sleep(0.02)
                delays.append(time.perf_counter() - started)
        finally:
            thread.stop()
    ms = [d * 1000 for d in delays]
    return {
        "p50_ms": round(percentile(ms, 0.5)),
        "p95_ms": round(percentile(ms, 0.95)),
        "max_ms": round(max(ms)),
    }


def rebuild_from_database(engines: list[str], count: int, procs: int) -> dict:
    """``portal reindex``'s rebuild, from records loaded into the embedded
    database in bulk (the same synthetic corpus, written straight into the
    collections: the loader is not what is measured)."""
    from bson import ObjectId

    from portal.database import connect, ensure_indexes
    from portal.database.embedded import EmbeddedDatabase
    from search_index import analysis

    out = {}
    with tempfile.TemporaryDirectory() as scratch, EmbeddedDatabase(Path(scratch)) as server:
        connect(server.uri, "bench")
        ensure_indexes()
        from records.models import Record

        db = Record._get_db()
        corpus = Corpus()
        loaded = time.perf_counter()
        for start in range(0, count, 1000):
            records, versions = [], []
            for index in range(start, min(count, start + 1000)):
                record, own = corpus.record(index)
                record["_id"] = ObjectId()
                records.append(record)
                versions.extend({**v, "record_id": record["_id"]} for v in own)
            db.records.insert_many(records)
            db.record_versions.insert_many(versions)
        out["load_s"] = round(time.perf_counter() - loaded, 1)
        # A shared machine: what else ran beside the rebuilds.
        out["load_average_before"] = [round(load, 1) for load in os.getloadavg()]
        for engine in engines:
            for workers in sorted({1, procs}):
                # Each run analyses from scratch: no paragraph cached by the last.
                for cached in (
                    analysis.paragraph_words,
                    analysis.normal_paragraph,
                    analysis._paragraph_gram_text,
                    analysis._subwords,
                    analysis._term,
                    analysis._inside,
                ):
                    cached.cache_clear()
                with tempfile.TemporaryDirectory() as folder:
                    store = IndexStore(folder, engine=engine)
                    store.live()
                    before = _cpu_seconds(server.server_pid)
                    started = time.perf_counter()
                    # The commits of `portal reindex` (its default chunk).
                    result = Indexer(store, db=db).rebuild(
                        procs=workers, optimize=engine == "whoosh"
                    )
                    seconds = time.perf_counter() - started
                    spent = {
                        name: value - before[name]
                        for name, value in _cpu_seconds(server.server_pid).items()
                        if name in before
                    }
                    store.live().close()
                records = result["records"]
                out[f"{engine}_procs{workers}_records_per_s"] = round(records / seconds)
                out[f"{engine}_procs{workers}_cpu_ms_per_record"] = {
                    name: round(value * 1000 / records, 2) for name, value in spent.items()
                } | {"total": round(sum(spent.values()) * 1000 / records, 2)}
    return out


def _cpu_seconds(server_pid: int | None) -> dict:
    """CPU seconds so far of this process (all its threads: Tantivy's writer
    too), of its finished children (the analysing processes, once joined)
    and of the database server (Linux: from /proc): on a shared machine the
    CPU a rebuild costs per record says more than its rate."""
    import resource

    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out = {
        "main": own.ru_utime + own.ru_stime,
        "analysers": children.ru_utime + children.ru_stime,
    }
    try:
        with open(f"/proc/{server_pid}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        out["database"] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        pass  # not Linux, or the server is not ours: its share is not shown
    return out


def bench_engine(engine: str, root: Path, args) -> dict:
    report: dict = {"engine": engine}
    if args.reuse:
        meta = json.loads((root / "bench.json").read_text())
        report["build"] = meta["build"]
    else:
        if root.exists():
            shutil.rmtree(root)
        store = IndexStore(root, engine=engine)
        report["build"] = build(
            store,
            args.records,
            args.chunk,
            args.limit_mb,
            args.procs,
            history=not args.no_history,
            pool=args.pool,
        )
        if engine == "tantivy" or args.optimize:
            # As `portal reindex` does: Whoosh merges into one segment;
            # Tantivy finishes the merges its policy asks for before the
            # index goes live (never on the save path).
            started = time.perf_counter()
            store.live().optimize()
            report["build"]["optimize_s"] = round(time.perf_counter() - started, 1)
        store.live().close()
        (root / "bench.json").write_text(json.dumps({"build": report["build"]}))
    store = IndexStore(root, engine=engine)
    generation = store.live()
    report["index_mb"] = {
        name: round(size_of(root / generation.name / name) / 2**20, 1)
        for name in ("current", "history")
    }
    history = not args.no_history and not report["build"].get("current_only")
    records = report["build"]["records"]
    report["queries"] = run_queries(store, records, history=history)
    if engine == "whoosh":
        # The portal stops collecting after SEARCH_TIME_LIMIT (0.1 s by default).
        report["queries_capped_0.1s"] = run_queries(store, records, time_limit=0.1, history=history)
        report["queries_capped_0.1s"].pop("_totals")
    if not args.no_save:
        report["save_to_searchable"] = save_to_searchable(store)
    generation.close()
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument(
        "--engines", default="tantivy,whoosh", help="comma-separated: tantivy, whoosh"
    )
    parser.add_argument("--chunk", type=int, default=20_000, help="records per commit")
    parser.add_argument("--limit-mb", type=int, default=512)
    parser.add_argument(
        "--procs",
        type=int,
        default=2,
        help="Whoosh: analysing processes (Tantivy analyses in this "
        "process and indexes in one thread)",
    )
    parser.add_argument(
        "--no-optimize",
        dest="optimize",
        action="store_false",
        help="Whoosh: leave the segments unmerged",
    )
    parser.add_argument(
        "--no-history",
        action="store_true",
        help="index current versions only (no history index, no as-of queries)",
    )
    parser.add_argument(
        "--pool",
        type=int,
        default=0,
        metavar="N",
        help="faster synthetic loader: the texts of N generated records, reused in turn "
        "by the others (each keeps its own number, dates and department)",
    )
    parser.add_argument("--keep", help="build the indexes here (one folder per engine), keep them")
    parser.add_argument("--reuse", help="time queries on indexes built earlier with --keep")
    parser.add_argument("--no-save", action="store_true", help="skip save-to-searchable")
    parser.add_argument(
        "--rebuild-from-db",
        type=int,
        default=0,
        metavar="N",
        help="also time `portal reindex` of N records loaded into the embedded database",
    )
    args = parser.parse_args()
    import tantivy
    import whoosh

    engines = [name.strip() for name in args.engines.split(",") if name.strip()]
    base = Path(args.reuse or args.keep or tempfile.mkdtemp(prefix="bench-search-"))
    scratch = None if (args.reuse or args.keep) else base
    report = {
        "cpus": os.cpu_count(),
        "records": args.records,
        "versions": {"tantivy": tantivy.__version__, "whoosh": whoosh.versionstring()},
        "corpus": "synthetic, generated in memory (Corpus, seed 7); generation time "
        "not counted in the index rate"
        + (
            f"; the texts of {args.pool} records reused by the others (PooledCorpus)"
            if args.pool and args.pool < args.records
            else ""
        ),
    }
    results = {engine: bench_engine(engine, base / engine, args) for engine in engines}
    if len(results) > 1:
        # Same corpus, same queries: the counts and facets must agree.
        first, *others = engines
        for other in others:
            pairs = list(
                zip(
                    results[first]["queries"]["_totals"],
                    results[other]["queries"]["_totals"],
                    strict=True,
                )
            )
            report[f"{first}_vs_{other}_equal"] = {
                "totals": f"{sum(a[0] == b[0] for a, b in pairs)}/{len(pairs)}",
                "facets": f"{sum(a[1] == b[1] for a, b in pairs)}/{len(pairs)}",
            }
    for result in results.values():
        result["queries"].pop("_totals")
    report["engines"] = results
    if args.rebuild_from_db:
        report["rebuild_from_database"] = rebuild_from_database(
            engines, args.rebuild_from_db, args.procs
        )
    print(json.dumps(report, ensure_ascii=False, indent=1))
    if scratch:
        shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    main()
