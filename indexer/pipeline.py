"""The scan: discover -> plan -> examine (fingerprint, probe, classify) -> write.

Stages are plain functions and generators (the shape of beets' importer pipeline).
Examining runs in a thread pool, one ffprobe process per thread, so probes use every
core; all database writes happen in the calling thread, in small transactions, so
SQLite never sees two writers and a killed scan leaves only whole rows behind.
"""

from __future__ import annotations

import fcntl
import os
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor, as_completed
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session

from catalog.db import Database
from catalog.errors import YuanjiaoError
from catalog.library import scans
from catalog.library.items import get_or_create_root
from catalog.library.scans import KnownDisc, KnownFile
from catalog.settings import Settings
from indexer.examine import (
    Described,
    DescribedDisc,
    Examined,
    Failed,
    MoveCandidates,
    Moved,
    MovedDisc,
    examine_file,
)
from indexer.names import decode_name
from indexer.walk import FoundFile, FoundProblem, walk_root

# Reasons that do not change unless the file does: such files are not probed again
# while their size and mtime stay the same.
STABLE_REASONS = frozenset({"scan_empty", "scan_truncated", "scan_not_media", "scan_no_streams",
                            "scan_bad_document"})
BATCH_ROWS = 50
BATCH_SECONDS = 1.0


class ScanLocked(YuanjiaoError):
    status = 409


class RootMissing(YuanjiaoError):
    status = 404


@dataclass
class ScanResult:
    scan_id: int
    counts: Counter[str] = field(default_factory=Counter)
    missing_roots: list[Path] = field(default_factory=list)
    seconds: float = 0.0
    # Items added, changed, moved, restored or hidden: what the search index must redo.
    changed: set[int] = field(default_factory=set)
    changed_discs: set[int] = field(default_factory=set)

    def summary_fields(self) -> dict[str, Any]:
        keys = ("added", "updated", "moved", "unchanged", "removed", "errors")
        return {k: self.counts[k] for k in keys} | {"seconds": self.seconds}


class Progress:
    """What the scan tells whoever watches it (a rich bar, a page, nothing in tests)."""

    def found(self, count: int) -> None: ...
    def planned(self, total_work: int) -> None: ...
    def advanced(self, rel_path: str) -> None: ...


@contextmanager
def scan_lock(data_dir: Path) -> Iterator[None]:
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / "scan.lock"
    with open(path, "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError as exc:
            raise ScanLocked("scan_locked", path=str(path)) from exc
        yield


@dataclass
class RootPlan:
    root_id: int
    root_path: bytes
    work: list[tuple[FoundFile, Known | None]] = field(default_factory=list)
    problems: list[FoundProblem] = field(default_factory=list)
    restored: list[int] = field(default_factory=list)
    restored_discs: list[int] = field(default_factory=list)
    seen: set[bytes] = field(default_factory=set)
    kept_errors: set[bytes] = field(default_factory=set)
    unchanged: int = 0


Known = KnownFile | KnownDisc


def plan_root(root_id: int, root_path: bytes, known: list[Known],
              errors: dict[tuple[int, bytes], tuple[int | None, int | None]],
              progress: Progress) -> RootPlan:
    plan = RootPlan(root_id, root_path)
    by_path = {(isinstance(k, KnownDisc), k.rel_path_raw): k for k in known
               if k.root_id == root_id}
    for found in walk_root(root_path):
        if isinstance(found, FoundProblem):
            # Not seen: a catalogued file or folder that became a link out of the root (or
            # a broken one, or unreadable) leaves the catalog as a clean scan would leave it.
            plan.problems.append(found)
            continue
        plan.seen.add(found.rel_raw)
        progress.found(1)
        is_disc = found.category == "disc"
        existing = by_path.get((is_disc, found.rel_raw))
        same = (found.size, found.mtime_ns)
        if existing is not None and (existing.size, existing.mtime_ns) == same:
            plan.unchanged += 1
            if is_disc:
                # Its entries' errors stay as they are, like the disc.
                plan.kept_errors.add(found.rel_raw)
            if existing.missing:
                (plan.restored_discs if is_disc else plan.restored).append(existing.id)
            continue
        if (existing is None or existing.missing) and errors.get((root_id, found.rel_raw)) == same:
            plan.kept_errors.add(found.rel_raw)
            continue
        plan.work.append((found, existing))
    return plan


def _root_name(path: bytes) -> str:
    return decode_name(os.path.basename(path.rstrip(b"/")))


class Scanner:
    def __init__(self, db: Database, settings: Settings, progress: Progress | None = None) -> None:
        self.db = db
        self.settings = settings
        self.progress = progress or Progress()

    def scan(self, roots: Sequence[Path]) -> ScanResult:
        with scan_lock(self.settings.data_dir):
            return self._scan(roots)

    def _scan(self, roots: Sequence[Path]) -> ScanResult:
        started = time.monotonic()
        present = [r.resolve() for r in roots if r.is_dir()]
        with self.db.transaction() as session:
            run = scans.start_scan(session, [os.fsdecode(r) for r in roots])
            root_rows = [(get_or_create_root(session, r).id, os.fsencode(r)) for r in present]
        result = ScanResult(run.id, missing_roots=[r for r in roots if not r.is_dir()])
        root_ids = [rid for rid, _ in root_rows]
        with self.db.session() as session:
            known = scans.known_files(session, root_ids)
            discs = scans.known_discs(session, root_ids)
            errors = scans.known_errors(session, root_ids)
        plans = [plan_root(rid, path, [*known, *discs], errors, self.progress)
                 for rid, path in root_rows]
        seen = {(p.root_id, rel) for p in plans for rel in p.seen}
        candidates = MoveCandidates(
            [k for k in known if (k.root_id, k.rel_path_raw) not in seen],
            [d for d in discs if (d.root_id, d.rel_path_raw) not in seen])
        self._write_plan_basics(plans, result)
        self._examine_all(plans, candidates, result)
        self._finish(plans, candidates, result)
        result.seconds = time.monotonic() - started
        return result

    def _write_plan_basics(self, plans: list[RootPlan], result: ScanResult) -> None:
        with self.db.transaction() as session:
            for plan in plans:
                result.counts["unchanged"] += plan.unchanged
                for item_id in plan.restored:
                    scans.restore_item(session, item_id)
                for disc_id in plan.restored_discs:
                    scans.restore_disc(session, disc_id)
                result.changed.update(plan.restored)
                result.changed_discs.update(plan.restored_discs)
                for problem in plan.problems:
                    scans.record_error(session, result.scan_id, plan.root_id,
                                       decode_name(problem.rel_raw), problem.rel_raw,
                                       problem.reason, problem.detail)

    def _examine_all(self, plans: list[RootPlan], candidates: MoveCandidates,
                     result: ScanResult) -> None:
        total = sum(len(p.work) for p in plans)
        self.progress.planned(total)
        if not total:
            return
        workers = self.settings.effective_probe_workers
        pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="probe")
        futures: dict[Future[Examined], tuple[RootPlan, Known | None]] = {}
        try:
            for plan in plans:
                root_name = _root_name(plan.root_path)
                for found, existing in plan.work:
                    future = pool.submit(examine_file, found, existing, root_name, candidates,
                                         self.settings)
                    futures[future] = (plan, existing)
            self._write_results(futures, result)
        finally:
            # On Ctrl-C, queued probes are dropped; what was written stays written.
            pool.shutdown(wait=True, cancel_futures=True)

    def _write_results(self, futures: dict[Future[Examined], tuple[RootPlan, Known | None]],
                       result: ScanResult) -> None:
        pending: list[tuple[Examined, RootPlan, Known | None]] = []
        last_commit = time.monotonic()
        for future in as_completed(futures):
            plan, existing = futures.pop(future)  # let results go once written
            examined = future.result()
            pending.append((examined, plan, existing))
            self.progress.advanced(examined.found_rel_path)
            if len(pending) >= BATCH_ROWS or time.monotonic() - last_commit > BATCH_SECONDS:
                self._commit(pending, result)
                pending, last_commit = [], time.monotonic()
        self._commit(pending, result)

    def _commit(self, pending: list[tuple[Examined, RootPlan, Known | None]],
                result: ScanResult) -> None:
        if not pending:
            return
        with self.db.transaction() as session:
            for examined, plan, existing in pending:
                self._write_one(session, examined, plan, existing, result)

    def _write_one(self, session: Session, examined: Examined, plan: RootPlan,
                   existing: Known | None, result: ScanResult) -> None:
        found = examined.found
        result.counts["probed"] += examined.probed
        if isinstance(examined, Failed):
            # Size and mtime are kept only for lasting reasons, so a timeout or a read
            # error is tried again by the next scan.
            stable = examined.reason in STABLE_REASONS
            scans.record_error(session, result.scan_id, plan.root_id,
                               decode_name(found.rel_raw), found.rel_raw, examined.reason,
                               examined.detail, found.size if stable else None,
                               found.mtime_ns if stable else None)
            plan.kept_errors.add(found.rel_raw)
            if existing is not None and not existing.missing:
                self._hide(session, existing, result)
            return
        if isinstance(examined, Moved):
            # Saved whole under its old id: a rescan after a move gives what a clean scan
            # gives, but for the id, its history and a manual theme.
            scans.save_item(session, plan.root_id, examined.data, examined.item_id)
            result.counts["moved"] += 1
            result.changed.add(examined.item_id)
            return
        if isinstance(examined, MovedDisc):
            # Its items follow it to the new path first, so saving finds them by path.
            scans.move_disc(session, examined.disc_id, plan.root_id, decode_name(found.rel_raw),
                            found.rel_raw, found.mtime_ns)
            self._write_disc(session, examined, plan, examined.disc_id, result)
            result.counts["moved"] += 1
            return
        if isinstance(examined, DescribedDisc):
            self._write_disc(session, examined, plan, existing.id if existing else None,
                             result)
            result.counts["updated" if existing is not None else "added"] += len(
                examined.result.items)
            return
        assert isinstance(examined, Described)
        saved = scans.save_item(session, plan.root_id, examined.data,
                                existing.id if existing is not None else None)
        result.counts["updated" if existing is not None else "added"] += 1
        result.changed.add(saved.id)

    def _hide(self, session: Session, existing: Known, result: ScanResult) -> None:
        """A catalogued file or disc that no longer reads is hidden, as a clean scan would
        not catalogue it (kept for its history); it is shown again once it reads."""
        if isinstance(existing, KnownDisc):
            scans.mark_discs_missing(session, [existing.id])
            result.changed_discs.add(existing.id)
        else:
            scans.mark_missing(session, [existing.id])
            result.changed.add(existing.id)
        result.counts["removed"] += 1

    def _write_disc(self, session: Session, examined: DescribedDisc, plan: RootPlan,
                    disc_id: int | None, result: ScanResult) -> None:
        disc = examined.result
        scans.clear_disc_entry_errors(session, plan.root_id, disc.disc.rel_path_raw)
        saved = scans.save_disc(session, plan.root_id, disc.disc, disc_id, disc.items)
        result.changed_discs.add(saved.id)
        for error in disc.errors:
            scans.record_error(session, result.scan_id, plan.root_id, error.rel_path,
                               error.rel_path_raw, error.reason, error.detail)
        plan.kept_errors.add(disc.disc.rel_path_raw)

    def _finish(self, plans: list[RootPlan], candidates: MoveCandidates,
                result: ScanResult) -> None:
        scanned_roots = {p.root_id for p in plans}
        gone = [k.id for k in candidates.unclaimed()
                if k.root_id in scanned_roots and not k.missing]
        gone_discs = [d.id for d in candidates.unclaimed_discs()
                      if d.root_id in scanned_roots and not d.missing]
        with self.db.transaction() as session:
            scans.mark_missing(session, gone)
            scans.mark_discs_missing(session, gone_discs)
            result.counts["removed"] += len(gone) + len(gone_discs)
            result.changed.update(gone)
            result.changed_discs.update(gone_discs)
            result.changed.update(scans.items_of_discs(session, result.changed_discs))
            for plan in plans:
                keep = plan.kept_errors | {p.rel_raw for p in plan.problems}
                scans.clear_errors_except(session, plan.root_id, keep)
            result.counts["errors"] = scans.count_errors(session, list(scanned_roots))
            counts = {k: result.counts[k] for k in
                      ("added", "updated", "moved", "unchanged", "removed", "errors", "probed")}
            scans.finish_scan(session, result.scan_id, counts)
