"""The search index (whoosh), built from the catalog, and the searches members make.

The catalog is the truth; the index can be deleted and rebuilt at any time. Queries are
never parsed with whoosh's query language: they are analysed like the indexed text
(indexer/analysis.py) and built into term and prefix queries here, so quotes, colons,
brackets or a 10,000-character paste cannot make a syntax error. This module is the only
one that knows whoosh: another engine would replace this file alone.
"""

from __future__ import annotations

import fcntl
import html
import logging
import shutil
import threading
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC
from pathlib import Path
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session
from whoosh import collectors, index, sorting
from whoosh.fields import BOOLEAN, DATETIME, ID, NUMERIC, STORED, TEXT, Schema
from whoosh.query import And, Every, NumericRange, Or, Prefix, Query, Term

from catalog.db import Database
from catalog.library.items import visible_items
from catalog.library.models import Item
from indexer.analysis import chinese_analyzer, fold, pinyin_analyzer, pinyin_of, words
from indexer.did_you_mean import close_enough

logger = logging.getLogger(__name__)
MAX_QUERY_CHARS = 200  # longer pastes are cut: nobody types more into a search box
SORTS = ("relevance", "newest", "duration", "title")


def schema() -> Schema:
    chinese, pinyin = chinese_analyzer(), pinyin_analyzer()
    return Schema(
        id=ID(stored=True, unique=True, sortable=True),
        title=STORED(),
        # Title and body in one field, the title twice: one posting list per word keeps
        # an all-words query to a few intersections, and the title still weighs more.
        text=TEXT(analyzer=chinese),
        title_pinyin=TEXT(analyzer=pinyin, field_boost=2.0),
        theme=ID(stored=True, sortable=True),
        kind=ID(stored=True, sortable=True),
        # Whole seconds: whoosh-reloaded 2.7.5 cannot make a sortable float column.
        duration=NUMERIC(int, bits=32, stored=True, sortable=True),
        added=DATETIME(stored=True, sortable=True),
        must_watch=BOOLEAN(stored=True),
        sort_title=ID(sortable=True),
    )


def document(item: Item, must_watch: bool = False) -> dict[str, Any]:
    disc_label = item.disc.label if item.disc is not None else ""
    body = " ".join([item.description, disc_label, item.rel_path, " ".join(item.tags)])
    return {"id": str(item.id), "title": item.title, "title_pinyin": item.title,
            "text": f"{item.title} {item.title} {body}", "theme": item.theme,
            "kind": item.kind,
            "duration": round(item.duration or 0.0),
            "added": item.added_at.astimezone(UTC).replace(tzinfo=None),
            "must_watch": must_watch, "sort_title": fold(item.title)}


def _must_watch_ids(session: Session) -> set[int]:
    """Items with a must-watch notice whose deadline has not passed (as of indexing; the
    next update or reindex drops lapsed ones)."""
    from datetime import date

    from catalog.planning.models import MustWatch

    return set(session.scalars(select(MustWatch.item_id).where(
        MustWatch.deadline >= date.today())))


@dataclass
class Hit:
    id: int
    title: str
    highlighted: str  # HTML: the title escaped, matched words in <mark>
    theme: str
    kind: str
    duration: float | None


@dataclass
class Results:
    total: int
    page: int
    per_page: int
    hits: list[Hit]
    facets: dict[str, dict[str, int]] = field(default_factory=dict)
    suggestion: str | None = None
    source: str = "index"  # "catalog" while the index is being rebuilt


@dataclass(frozen=True)
class Filters:
    theme: str | None = None
    kind: str | None = None
    min_duration: float | None = None
    max_duration: float | None = None
    must_watch: bool | None = None


class SearchIndex:
    """One index folder. Writers take whoosh's lock file, so several server processes and
    the CLI can share the folder; a searcher is kept open and refreshed after writes."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self._index: Any = None
        self._searcher: Any = None
        self._columns: dict[str, list[Any]] = {}
        self._columns_of: Any = None
        self._guard = threading.Lock()
        self.rebuilding = threading.Event()

    # --- building ------------------------------------------------------------------------

    def open(self) -> bool:
        """Open the index; False when it is missing or unreadable (rebuild it then)."""
        try:
            if not index.exists_in(str(self.folder)):
                return False
            self._index = index.open_dir(str(self.folder))
            with self._index.searcher() as probe:
                probe.doc_count()
            return True
        except Exception as exc:  # whoosh raises many kinds on a damaged folder
            logger.warning("search index at %s is unreadable (%s); it will be rebuilt",
                           self.folder, exc)
            self._index = None
            return False

    def rebuild(self, db: Database) -> int:
        """Make the index anew from the catalog, in a fresh folder swapped in at the end,
        so searches keep answering from the old one (or the catalog) meanwhile."""
        with db.session() as session:
            musts = _must_watch_ids(session)
            return self.build(document(item, item.id in musts) for item in _items(session))

    def build(self, documents: Iterable[dict[str, Any]]) -> int:
        """The index of exactly these documents (see ``document``)."""
        self.rebuilding.set()
        self.folder.parent.mkdir(parents=True, exist_ok=True)
        lock = open(self.folder.with_name(self.folder.name + ".lock"), "w")  # noqa: SIM115
        try:
            # One rebuild at a time across processes (server workers, the CLI).
            fcntl.flock(lock, fcntl.LOCK_EX)
            fresh = self.folder.with_name(self.folder.name + ".new")
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.mkdir(parents=True)
            built = index.create_in(str(fresh), schema())
            count = 0
            writer = built.writer(limitmb=128)
            for fields in documents:
                writer.add_document(**fields)
                count += 1
            writer.commit()
            with self._guard:
                old = self.folder.with_name(self.folder.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                if self.folder.exists():
                    self.folder.rename(old)
                fresh.rename(self.folder)
                shutil.rmtree(old, ignore_errors=True)
                self._index = index.open_dir(str(self.folder))
                self._searcher = None
            return count
        finally:
            lock.close()
            self.rebuilding.clear()

    def update(self, db: Database, item_ids: Iterable[int]) -> None:
        """Bring these items up to date: added or changed ones indexed, vanished ones
        removed. One commit for all of them."""
        ids = sorted(set(item_ids))
        if not ids or self._index is None:
            return
        with db.session() as session:
            present = {i.id: i for i in _items(session, ids)}
            musts = _must_watch_ids(session)
        writer = self._index.writer(timeout=30.0)
        try:
            for item_id in ids:
                if item_id in present:
                    writer.update_document(**document(present[item_id], item_id in musts))
                else:
                    writer.delete_by_term("id", str(item_id))
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        self._searcher = None

    # --- searching -----------------------------------------------------------------------

    def search(self, db: Database, text: str, filters: Filters = Filters(),
               sort: str = "relevance", page: int = 1, per_page: int = 20) -> Results:
        text = text[:MAX_QUERY_CHARS]
        if self._index is None:
            return _catalog_search(db, text, filters, page, per_page)
        searcher = self._current_searcher()
        query = _build_query(text)
        restrict = _filter_query(filters)
        whole = And([query, restrict]) if restrict is not None else query
        # Facets over the query without the filters, counted from the columns: no
        # per-hit objects (whoosh's grouping costs far more). Without filters one walk
        # over the matches gives the facets, the total and the top hits together.
        wanted = page * per_page
        if sort == "relevance":
            # Every match must be seen (facets, total): no skipping of low-scoring blocks.
            child = collectors.TopCollector(limit=wanted, usequality=False)
        else:
            child = collectors.SortingCollector(_sort_facets(sort), limit=wanted)
        if restrict is None:
            walk = _KeepDocnums(child)
            searcher.search_with_collector(query, walk)
            matched, total = walk.docnums, len(walk.docnums)
        else:
            matched = list(searcher.docs_for_query(query))
            walk = _KeepDocnums(child)
            searcher.search_with_collector(whole, walk)
            total = len(walk.docnums)
        top = walk.results()
        facets = {name: dict(Counter(map(self._column(searcher, name).__getitem__, matched)))
                  for name in ("theme", "kind")}
        words_asked = _highlight_words(text)
        # Indexing the top hits directly: list(top) would ask for len(), which counts
        # every match once more.
        shown = range((page - 1) * per_page, min(wanted, top.scored_length()))
        hits = [Hit(int(r["id"]), r["title"], highlight(r["title"], words_asked), r["theme"],
                    r["kind"], r.get("duration") or None) for r in (top[n] for n in shown)]
        found = Results(total, page, per_page, hits, facets)
        if found.total == 0 and text.strip():
            found.suggestion = _suggest(searcher, text, restrict)
        return found

    def _column(self, searcher: Any, name: str) -> list[Any]:
        """A field's values for every document, read once per index generation: counting
        facets is then a C-speed lookup per match."""
        with self._guard:
            if self._columns_of is not searcher:  # a refreshed searcher: new documents
                self._columns, self._columns_of = {}, searcher
            if name not in self._columns:
                self._columns[name] = list(searcher.reader().column_reader(name))
            return self._columns[name]

    def _current_searcher(self) -> Any:
        with self._guard:
            if self._searcher is None:
                self._searcher = self._index.searcher()
            else:
                self._searcher = self._searcher.refresh()  # sees other processes' commits
            return self._searcher

    def close(self) -> None:
        with self._guard:
            if self._searcher is not None:
                self._searcher.close()
                self._searcher = None


def _items(session: Session, ids: list[int] | None = None) -> Iterable[Item]:
    from sqlalchemy.orm import selectinload

    query = visible_items().options(selectinload(Item.disc))
    if ids is not None:
        query = query.where(Item.id.in_(ids))
    return session.scalars(query.order_by(Item.id))


class _KeepDocnums(collectors.WrappingCollector):  # type: ignore[misc]
    """Passes every match on to the collector it wraps and remembers its number."""

    def __init__(self, child: Any) -> None:
        super().__init__(child)
        self.docnums: list[int] = []

    def collect_matches(self) -> None:
        child, offset, keep = self.child, self.offset, self.docnums.append
        for sub_docnum in child.matches():
            keep(offset + sub_docnum)
            child.collect(sub_docnum)


def _query_words(text: str) -> list[str]:
    """The words a hit must contain: jieba's words, and single characters only where
    they are not part of a longer word asked for (a document holding 水稻 holds 水 and
    稻; requiring them too would only make whoosh intersect long lists)."""
    asked = list(dict.fromkeys(words(text)))  # each word once, in order
    longer = [w for w in asked if len(w) > 1]
    return [w for w in asked if len(w) > 1 or not any(w in other for other in longer)]


def _build_query(text: str) -> Query:
    asked = _query_words(text)
    clauses: list[Query] = []
    for word in asked:
        if word.isascii() and word.isalpha():
            clauses.append(Or([Term("text", word), Prefix("title_pinyin", word)]))
        else:
            clauses.append(Term("text", word))
    if not clauses:
        return Every()
    if len(asked) > 1 and all(w.isascii() and w.isalpha() for w in asked):
        # "shui dao": pinyin typed with spaces between the syllables.
        return Or([And(clauses), Prefix("title_pinyin", "".join(asked))])
    return And(clauses)


def _filter_query(filters: Filters) -> Query | None:
    parts: list[Query] = []
    if filters.theme:
        parts.append(Term("theme", filters.theme))
    if filters.kind:
        parts.append(Term("kind", filters.kind))
    if filters.min_duration is not None or filters.max_duration is not None:
        low = None if filters.min_duration is None else int(filters.min_duration)
        high = None if filters.max_duration is None else int(round(filters.max_duration))
        parts.append(NumericRange("duration", low, high))
    if filters.must_watch is not None:
        parts.append(Term("must_watch", filters.must_watch))
    return And(parts) if parts else None


def _sort_facets(sort: str) -> Any:
    tie = sorting.FieldFacet("id")  # the same order on every page
    if sort == "newest":
        return [sorting.FieldFacet("added", reverse=True), tie]
    if sort == "duration":
        return [sorting.FieldFacet("duration"), tie]
    if sort == "title":
        return [sorting.FieldFacet("sort_title"), tie]
    return [sorting.ScoreFacet(), tie]


def _highlight_words(text: str) -> list[str]:
    return sorted({w for w in words(text) if not (w.isascii() and len(w) < 2)},
                  key=len, reverse=True)


def highlight(title: str, asked: list[str]) -> str:
    """The title as HTML with the asked words marked. Marks are placed on the folded
    title and carried over when folding kept its length (it does for CJK and full-width
    forms); otherwise the title is shown unmarked rather than marked in the wrong place."""
    folded = fold(title)
    if len(folded) != len(title) or not asked:
        return html.escape(title)
    marked = [False] * len(title)
    for word in asked:
        start = folded.find(word)
        while start >= 0:
            for n in range(start, start + len(word)):
                marked[n] = True
            start = folded.find(word, start + len(word))
    out, open_ = [], False
    for char, mark in zip(title, marked, strict=True):
        if mark and not open_:
            out.append("<mark>")
        elif not mark and open_:
            out.append("</mark>")
        open_ = mark
        out.append(html.escape(char))
    if open_:
        out.append("</mark>")
    return "".join(out)


def _suggest(searcher: Any, text: str, restrict: Query | None = None) -> str | None:
    """A near spelling that exists in the index and finds something, within the filters
    asked: a pinyin typo (``shuidoa`` → ``shuidao``) or a Chinese word typed with the
    wrong characters of the same sound (水到 → 水稻); what "near" is, is decided in
    indexer/did_you_mean.py. Single characters and short letters are left alone: nearly
    anything is one edit away from them."""
    asked = [w for w in dict.fromkeys(words(text)) if len(w) > 1 and not (
        w.isascii() and len(w) < 3)]
    whole = [w for w in asked if not (_is_cjk_char_of(w, asked))]
    if not whole or len(whole) > 4:
        return None
    changed, parts = False, []
    for word in whole:
        near = next((p for p in _proposals(searcher, word) if close_enough(word, p)), None)
        if near is not None:
            parts.append(near)
            changed = True
        else:
            parts.append(word)
    if not changed:
        return None
    candidate = " ".join(parts)
    query = _build_query(candidate)
    found = searcher.search(And([query, restrict]) if restrict is not None else query, limit=1)
    return candidate if found else None


def _proposals(searcher: Any, word: str) -> list[str]:
    """Spellings in the index that may be near ``word``. The corrector ranks what lies
    within the distance by frequency, so for Chinese, where one-character words crowd
    out the rest, the words of the same sound are looked up by their pinyin instead."""
    if word.isascii():
        return list(searcher.corrector("title_pinyin").suggest(word, limit=20, maxdist=2))
    found = []
    for hit in searcher.search(Term("title_pinyin", pinyin_of(word)), limit=5):
        found.extend(w for w in words(hit["title"]) if len(w) == len(word))
    if len(word) >= 4:  # one character changed in a long word
        found.extend(searcher.corrector("text").suggest(word, limit=50, maxdist=1))
    return found


def _is_cjk_char_of(word: str, others: list[str]) -> bool:
    # jieba's search mode also yields the parts of a long word; suggest for the word only.
    return any(word != other and word in other for other in others)


def _catalog_search(db: Database, text: str, filters: Filters, page: int, per_page: int
                    ) -> Results:
    """While the index is rebuilt: titles and descriptions containing every word (slower,
    no pinyin), so members still find things."""
    asked = [w for w in dict.fromkeys(words(text)) if len(w) > 1 or not w.isascii()]
    with db.session() as session:
        query = visible_items()
        for word in asked[:8]:
            like = f"%{word}%"
            query = query.where(or_(Item.title.ilike(like), Item.description.ilike(like)))
        if filters.theme:
            query = query.where(Item.theme == filters.theme)
        if filters.kind:
            query = query.where(Item.kind == filters.kind)
        found = list(session.scalars(query.order_by(Item.id)))
    if filters.min_duration is not None:
        found = [i for i in found if (i.duration or 0) >= filters.min_duration]
    if filters.max_duration is not None:
        found = [i for i in found if (i.duration or 0) <= filters.max_duration]
    facets: dict[str, dict[str, int]] = {"theme": {}, "kind": {}}
    for item in found:
        facets["theme"][item.theme] = facets["theme"].get(item.theme, 0) + 1
        facets["kind"][item.kind] = facets["kind"].get(item.kind, 0) + 1
    shown = found[(page - 1) * per_page:page * per_page]
    marks = _highlight_words(text)
    hits = [Hit(i.id, i.title, highlight(i.title, marks), i.theme, i.kind, i.duration)
            for i in shown]
    return Results(len(found), page, per_page, hits, facets, source="catalog")

