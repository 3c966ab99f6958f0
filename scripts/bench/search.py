#!/usr/bin/env python3
"""Search benchmark: 100,000 generated courseware records; yuanjiao's whoosh index against
SQLite FTS5 and tantivy over the same jieba-segmented text, in one run.

    .venv/bin/python scripts/bench/search.py [--items 100000] [--queries 300]
    .venv/bin/python scripts/bench/search.py --smoke     # seconds, for the test

tantivy is optional (`.venv/bin/pip install tantivy`); without it its rows are skipped.
Each engine answers the same queries the same way: every word required, the 20 best
results and the total count. Prints figures only.
"""

from __future__ import annotations

import argparse
import random
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO_ROOT))

from indexer.analysis import fold, pinyin_keys, words  # noqa: E402
from indexer.search_index import SearchIndex  # noqa: E402

CROPS = ["水稻", "玉米", "小麦", "大豆", "棉花", "油菜", "花生", "马铃薯", "蔬菜", "果树", "茶叶",
         "生猪", "肉牛", "奶牛", "家禽", "水产", "蜜蜂", "食用菌", "中药材", "苗木"]
ACTIONS = ["种植技术", "病虫害防治", "高产栽培", "科学施肥", "养殖技术", "疫病防治", "田间管理",
           "采收贮藏", "加工销售", "良种选育"]
POLICY = ["低保", "新农合", "养老保险", "土地流转", "惠农补贴", "危房改造", "精准扶贫", "乡村振兴",
          "村务公开", "三会一课", "党建", "民主评议", "科学发展观", "法律援助", "计划生育"]
FORMS = ["讲座", "问答", "解读", "辅导", "专题片", "案例", "经验交流", "知识讲座"]
THEMES = ["politics", "party", "policy", "technology", "culture"]


def generate(count: int, seed: int = 5) -> list[dict[str, Any]]:
    rng = random.Random(seed)
    docs = []
    for n in range(count):
        if rng.random() < 0.6:
            title = f"{rng.choice(CROPS)}{rng.choice(ACTIONS)}"
        else:
            title = f"{rng.choice(POLICY)}{rng.choice(FORMS)}"
        title += f"（第{rng.randint(1, 20)}讲）"
        body = "，".join(f"{rng.choice(CROPS)}{rng.choice(ACTIONS)}" for _ in range(3)) + \
            f"。{rng.choice(POLICY)}政策{rng.choice(FORMS)}。"
        docs.append({"id": str(n + 1), "title": title, "title_pinyin": title, "body": body,
                     "text": f"{title} {title} {body}",
                     "theme": rng.choice(THEMES), "kind": "video",
                     "duration": rng.randint(300, 3600),
                     "added": datetime(2020, 1, 1), "must_watch": False,
                     "sort_title": fold(title)})
    return docs


def queries(count: int, seed: int = 9) -> dict[str, list[str]]:
    rng = random.Random(seed)
    pinyin = {w: pinyin_keys(w)[0] for w in CROPS + POLICY}
    return {
        "one word": [rng.choice(CROPS + POLICY) for _ in range(count)],
        "two words": [f"{rng.choice(CROPS)} {rng.choice(ACTIONS)}" for _ in range(count)],
        "one pinyin": [pinyin[rng.choice(CROPS + POLICY)] for _ in range(count)],
        "two pinyin": [f"{pinyin[rng.choice(CROPS)]} {pinyin[rng.choice(POLICY)]}"
                       for _ in range(count)],
    }


def percentiles(times: list[float]) -> tuple[float, float]:
    ordered = sorted(times)
    return (statistics.median(ordered) * 1000,
            ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))] * 1000)


def timed(run: Callable[[str], int], asked: list[str]) -> tuple[float, float, int]:
    for text in asked[:10]:
        run(text)  # warm caches
    times, hits = [], 0
    for text in asked:
        started = time.perf_counter()
        hits += run(text) > 0
        times.append(time.perf_counter() - started)
    p50, p99 = percentiles(times)
    return p50, p99, hits


def segmented(text: str) -> str:
    return " ".join(words(text))


def build_fts5(folder: Path, docs: list[dict[str, Any]]) -> tuple[float, Callable[[str], int]]:
    path = folder / "fts5.sqlite3"
    connection = sqlite3.connect(path, check_same_thread=False)
    connection.execute("CREATE VIRTUAL TABLE docs USING fts5(id UNINDEXED, title, body, pinyin,"
                       " tokenize='unicode61 remove_diacritics 0')")
    started = time.perf_counter()
    with connection:
        connection.executemany("INSERT INTO docs VALUES (?, ?, ?, ?)", (
            (d["id"], segmented(d["title"]), segmented(d["body"]),
             " ".join(pinyin_keys(d["title"]))) for d in docs))
    built = time.perf_counter() - started

    def run(text: str) -> int:
        terms = words(text)
        ascii_only = all(t.isascii() and t.isalpha() for t in terms)
        if ascii_only:  # pinyin: prefix of the pinyin keys
            match = " AND ".join(f'pinyin:"{t}"*' for t in terms)
        else:
            match = " AND ".join(f'"{t}"' for t in dict.fromkeys(terms))
        top = connection.execute("SELECT id FROM docs WHERE docs MATCH ? ORDER BY rank "
                                 "LIMIT 20", (match,)).fetchall()
        total = connection.execute("SELECT count(*) FROM docs WHERE docs MATCH ?",
                                   (match,)).fetchone()[0]
        return total if top or total else 0

    return built, run


def build_tantivy(folder: Path, docs: list[dict[str, Any]]
                  ) -> tuple[float, Callable[[str], int]] | None:
    try:
        import tantivy
    except ImportError:
        return None
    builder = tantivy.SchemaBuilder()
    builder.add_text_field("id", stored=True, tokenizer_name="raw")
    for name in ("title", "body", "pinyin"):
        builder.add_text_field(name, tokenizer_name="whitespace")
    schema = builder.build()
    (folder / "tantivy").mkdir()
    index = tantivy.Index(schema, path=str(folder / "tantivy"))
    writer = index.writer()
    started = time.perf_counter()
    for d in docs:
        writer.add_document(tantivy.Document(
            id=d["id"], title=segmented(d["title"]), body=segmented(d["body"]),
            pinyin=" ".join(pinyin_keys(d["title"]))))
    writer.commit()
    index.reload()
    built = time.perf_counter() - started
    searcher = index.searcher()

    def run(text: str) -> int:
        terms = list(dict.fromkeys(words(text)))
        ascii_only = all(t.isascii() and t.isalpha() for t in terms)
        fields = ["pinyin"] if ascii_only else ["title", "body"]
        musts = []
        for term in terms:
            if ascii_only:
                query = tantivy.Query.regex_query(schema, "pinyin", f"{term}.*")
            else:
                query = tantivy.Query.boolean_query([
                    (tantivy.Occur.Should, tantivy.Query.term_query(schema, f, term))
                    for f in fields])
            musts.append((tantivy.Occur.Must, query))
        query = tantivy.Query.boolean_query(musts)
        return int(searcher.search(query, 20, count=True).count)

    return built, run


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--smoke", action="store_true", help="tiny sizes (the test)")
    args = parser.parse_args()
    if args.smoke:
        args.items, args.queries = 1000, 20
    docs = generate(args.items)
    asked = queries(args.queries)
    work = Path(tempfile.mkdtemp(prefix="yj-bench-search-"))
    try:
        index = SearchIndex(work / "whoosh")
        started = time.perf_counter()
        index.build({k: v for k, v in d.items() if k != "body"} for d in docs)
        whoosh_built = time.perf_counter() - started
        index.open()

        def whoosh_run(text: str) -> int:
            return index.search(None, text, per_page=20).total  # type: ignore[arg-type]

        engines: dict[str, tuple[float, int, Callable[[str], int]]] = {
            "whoosh (yuanjiao)": (whoosh_built, folder_size(work / "whoosh"), whoosh_run)}
        fts_built, fts_run = build_fts5(work, docs)
        engines["SQLite FTS5"] = (fts_built, (work / "fts5.sqlite3").stat().st_size, fts_run)
        made = build_tantivy(work, docs)
        if made is not None:
            engines["tantivy"] = (made[0], folder_size(work / "tantivy"), made[1])
        print(f"{args.items:,} records, {args.queries} queries of each kind; every word "
              "required, top 20 and the total")
        print(f"{'engine':<20}{'build s':>9}{'size MiB':>10}")
        for name, (built, size, _) in engines.items():
            print(f"{name:<20}{built:>9.1f}{size / 2**20:>10.1f}")
        print(f"{'engine':<20}{'queries':<12}{'p50 ms':>8}{'p99 ms':>8}{'found':>7}")
        figures: dict[tuple[str, str], tuple[float, float]] = {}
        for kind, texts in asked.items():
            for name, (_, _, run) in engines.items():
                p50, p99, hits = timed(run, texts)
                figures[(name, kind)] = (p50, p99)
                print(f"{name:<20}{kind:<12}{p50:>8.2f}{p99:>8.2f}{hits:>7}")
        for kind in asked:
            ours = figures[("whoosh (yuanjiao)", kind)]
            for other in [n for n in engines if n != "whoosh (yuanjiao)"]:
                theirs = figures[(other, kind)]
                print(f"{kind}: whoosh/{other} p50 {ours[0] / theirs[0]:.1f}x, "
                      f"p99 {ours[1] / theirs[1]:.1f}x")
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
