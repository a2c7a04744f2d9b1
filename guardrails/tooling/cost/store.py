"""The local cost store: a DuckDB file that keeps every cost line loaded, so a daily run
reads only new files.

Tables:
- `files`: one row per loaded source file (kind, name, size, mtime, sha256, lines, the
  object's creation time when it came from `bling`) or Usage API fetch;
- `sums`: the file's cost summed per provider, day, service, currency and tag set (`key` is
  a hash of file and those); reports read this small table;
- `lines`: one narrow row per cost line: its file, its `sums` key, a 64-bit hash of its
  reference and its cost, so that a correction (which may come in a later file) can take
  the line it replaces out of the sums;
- `corrections`: the reference hashes that correction lines replace;
- `tagsets`: each distinct tag set once, as JSON object text.

Each file group is read by one DuckDB scan that sums as it reads (a hash aggregate over a
few thousand groups) and collects the lines' references in lists, which then become the
`lines` rows.

A file is known by where it came from and what it holds: its full path (or, downloaded,
its object name) and its sha256. The same path with the same size and mtime is skipped
without reading it; with another mtime its sha256 decides (same content: skipped; changed:
a re-delivery, its lines are replaced). The same name in two folders is two files; the
same content under two names is counted once, with a note. Loading a file again never
counts it twice.

A run is all or nothing (`store_session`): it works on a copy of the store under an
exclusive lock and puts the copy in place only when the whole run (loads and report)
succeeded; an error, a crash or Ctrl-C at any step leaves the store byte for byte as it was.
DuckDB reads the files itself (see file_shape), several in parallel.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import shutil
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import duckdb

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost import query
from guardrails.tooling.cost.lines import DailyCost, LineRow, Progress
from guardrails.tooling.cost.refusals import (
    refuse_bad_amount,
    refuse_bad_tags,
    refuse_mixed_currencies,
    refuse_repeated_references,
)
from guardrails.tooling.cost.sources.file_shape import (
    FileShape,
    duckdb_words,
    literal,
    path_list,
)

DUCKDB_MAGIC = b"DUCK"
"""Bytes 8-11 of every DuckDB database file."""
MEMORY_LIMIT = "700MB"
"""DuckDB spills to disk past this (the 10 M line benchmark stays under 1 GB)."""

SCHEMA = """
CREATE SEQUENCE IF NOT EXISTS file_ids;
CREATE TABLE IF NOT EXISTS files (
    file_id INTEGER PRIMARY KEY, kind VARCHAR NOT NULL, name VARCHAR NOT NULL,
    path VARCHAR, size BIGINT, mtime_ns BIGINT, sha256 VARCHAR, lines BIGINT,
    remote_time TIMESTAMP, loaded_at TIMESTAMP NOT NULL
);
CREATE TABLE IF NOT EXISTS tagsets (tagset UBIGINT PRIMARY KEY, tags VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS sums (
    file_id INTEGER NOT NULL, key UBIGINT NOT NULL, provider VARCHAR NOT NULL,
    day DATE NOT NULL, service VARCHAR, currency VARCHAR, tagset UBIGINT,
    billed DOUBLE, effective DOUBLE
);
CREATE TABLE IF NOT EXISTS lines (
    file_id INTEGER NOT NULL, key UBIGINT NOT NULL, ref UBIGINT, billed DOUBLE, effective DOUBLE
);
CREATE TABLE IF NOT EXISTS corrections (file_id INTEGER NOT NULL, back UBIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS meta (key VARCHAR PRIMARY KEY, value VARCHAR NOT NULL);
CREATE TABLE IF NOT EXISTS file_tenancies (file_id INTEGER NOT NULL, tenancy VARCHAR NOT NULL);
"""
SCHEMA_VERSION = "2"
"""1: files known by base name (before 2026-12); 2: by full path or object name."""


@dataclass(frozen=True)
class LoadResult:
    loaded: list[str]
    skipped: list[str]
    lines: int
    notes: list[str] = field(default_factory=list)
    """What the load decided that a reader should know (copies counted once)."""
    scope: list[str] = field(default_factory=list)
    """Every file (by identity) whose lines the run's report counts: loaded now or before."""


@dataclass(frozen=True)
class StoredFile:
    """One file (or API fetch) in the store, as `guardrails cost store list` shows it."""

    file_id: int
    kind: str
    name: str
    lines: int
    loaded_at: datetime
    sha256: str
    months: tuple[str, ...]
    tenancies: tuple[str, ...]


@dataclass(frozen=True)
class _Known:
    file_id: int
    size: int
    mtime_ns: int
    sha256: str


def sha256_of(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def damaged_store(exc: duckdb.Error) -> str:
    """Our words for a store DuckDB cannot open: locked by someone else, or damaged."""
    text = str(exc)
    if "lock" in text.lower():
        return "held by another program (not a guardrails run: those wait on the store's lock)"
    return (
        "damaged or not a guardrails cost store (empty, truncated or written by another "
        "program); move it away: the next run rebuilds the store from the cost files"
    )


def _check_store_file(path: Path) -> None:
    """A store file is a DuckDB database (its magic bytes), or GuardrailsError saying why not."""
    with path.open("rb") as handle:
        head = handle.read(12)
    if len(head) < 12 or head[8:12] != DUCKDB_MAGIC:
        what = "empty" if not head else "not a DuckDB database"
        raise GuardrailsError(
            f"cost store {path}: {what}, not a guardrails cost store; move it away: the next "
            "run rebuilds the store from the cost files"
        )


@contextlib.contextmanager
def _exclusive(path: Path) -> Iterator[None]:
    """Hold `<store>.lock`: one guardrails run per store at a time. The lock file exists
    only while a run holds it (a run that finds it gone after locking locks again)."""
    lock_path = path.with_name(path.name + ".lock")
    while True:
        fd = os.open(lock_path, os.O_CREAT | os.O_RDWR, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise GuardrailsError(
                f"cost store {path}: another guardrails run is using it (lock {lock_path}); "
                "wait for it to finish, or give this run its own --store"
            ) from None
        try:
            same = os.stat(lock_path).st_ino == os.fstat(fd).st_ino
        except FileNotFoundError:
            same = False
        if same:
            break
        os.close(fd)  # the holder before us removed it on its way out
    try:
        yield
    finally:
        lock_path.unlink(missing_ok=True)
        os.close(fd)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextlib.contextmanager
def store_session(path: Path, *, keep: bool = True) -> Iterator[CostStore]:
    """The store for one run, all or nothing: a copy under an exclusive lock, put in place
    (atomically, synced) only when the block ends without an exception. Any error, crash,
    SIGKILL or Ctrl-C leaves `path` byte for byte as it was (a run's leftover copy is
    removed by the next run). With `keep=False` (a look, a dry run) the copy is always
    dropped."""
    path = path.expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise GuardrailsError(f"cost store {path}: cannot be created ({exc.strerror})") from None
    with _exclusive(path):
        for leftover in path.parent.glob(f"{path.name}.run-*"):
            leftover.unlink(missing_ok=True)  # a crashed run's copy; the lock says it is dead
        work = path.with_name(f"{path.name}.run-{os.getpid()}")
        wal = path.with_name(path.name + ".wal")
        try:
            if path.exists():
                _check_store_file(path)
                if wal.exists():
                    # a store left by an older version mid-write: DuckDB folds its log in
                    # on close, so the copy below is the whole store
                    CostStore(path).con.close()
                shutil.copyfile(path, work)
            try:
                with CostStore(work) as store:
                    yield store
                    store.con.execute("CHECKPOINT")
                if not keep:
                    return
            except duckdb.Error as exc:
                # what reading the cost files raises is ours (GuardrailsError, with file and
                # line); a DuckDB error escaping to here is the store itself
                said = str(exc).splitlines()[0].replace(str(work), str(path))
                raise GuardrailsError(f"cost store {path}: {damaged_store(exc)} ({said})") from None
            _fsync(work)
            os.replace(work, path)
            _fsync(path.parent)
        finally:
            work.unlink(missing_ok=True)
            work.with_name(work.name + ".wal").unlink(missing_ok=True)


class CostStore:
    """One open store; use as a context manager. Runs open it through `store_session`."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path))
        except OSError as exc:
            raise GuardrailsError(f"cost store {self.path}: cannot be opened ({exc})") from None
        except duckdb.Error as exc:
            raise GuardrailsError(
                f"cost store {self.path}: {damaged_store(exc)} ({str(exc).splitlines()[0]})"
            ) from None
        # progress is tracked (query_progress feeds our bar) but never printed by DuckDB
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET TimeZone = 'UTC'")
        self._upgrade()

    def _upgrade(self) -> None:
        """Create the tables, or bring a store of an earlier schema to this one."""
        existed = self.con.execute(
            "SELECT count(*) FROM information_schema.tables WHERE table_name = 'files'"
        ).fetchone() != (0,)
        self.con.execute(SCHEMA)
        row = self.con.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        version = row[0] if row else ("1" if existed else SCHEMA_VERSION)
        if version == "1":
            # files were known by base name; the full path they were read from is their
            # identity now (downloads keep their object name)
            self.con.execute(
                "UPDATE files SET name = path WHERE path IS NOT NULL AND remote_time IS NULL"
            )
        elif version != SCHEMA_VERSION:
            raise GuardrailsError(
                f"cost store {self.path}: written by a newer guardrails (schema {version}); "
                "upgrade guardrails or give this run another --store"
            )
        self.con.execute("INSERT OR REPLACE INTO meta VALUES ('schema', ?)", [SCHEMA_VERSION])

    def __enter__(self) -> CostStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.con.close()

    # -- loading ---------------------------------------------------------------------------

    def _known(self, kind: str) -> dict[str, _Known]:
        rows = self.con.execute(
            "SELECT name, file_id, size, mtime_ns, sha256 FROM files WHERE kind = ?", [kind]
        ).fetchall()
        return {r[0]: _Known(r[1], r[2] or 0, r[3] or 0, r[4] or "") for r in rows}

    def remote_times(self, kind: str) -> dict[str, datetime]:
        """Name -> object creation time of files that came from object storage."""
        rows = self.con.execute(
            "SELECT name, remote_time FROM files WHERE kind = ? AND remote_time IS NOT NULL",
            [kind],
        ).fetchall()
        return {r[0]: r[1] for r in rows}

    def load_files(
        self,
        kind: str,
        paths: Sequence[Path],
        shape_of: Callable[[Path], FileShape],
        *,
        progress: Progress | None = None,
        remote_times: dict[str, datetime] | None = None,
    ) -> LoadResult:
        """Load the files not yet in the store; `shape_of(path) -> FileShape` checks each file
        (before anything is written). Files with `remote_times` are known by their object
        name, others by their full path."""
        remote = remote_times or {}

        def identity(path: Path) -> str:
            return path.name if path.name in remote else str(path.resolve())

        known = self._known(kind)
        by_content = {k.sha256: name for name, k in known.items() if k.sha256}
        fresh: list[tuple[Path, os.stat_result, str, int | None]] = []
        touched: list[tuple[int, int]] = []
        skipped: list[str] = []
        notes: list[str] = []
        scope: list[str] = []
        seen: set[str] = set()
        for path in paths:
            name = identity(path)
            if name in seen:
                continue
            seen.add(name)
            try:
                stat = path.stat()
            except OSError as exc:
                raise GuardrailsError(f"{path}: cannot be read ({exc.strerror})") from None
            record = known.get(name)
            if record and (record.size, record.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                skipped.append(name)
                scope.append(name)
                continue
            digest = sha256_of(path)
            if record and record.sha256 == digest:
                touched.append((record.file_id, stat.st_mtime_ns))
                skipped.append(name)
                scope.append(name)
                continue
            twin = by_content.get(digest)
            if twin is not None and twin != name:
                notes.append(f"{path}: the same content as {twin}, counted once")
                skipped.append(name)
                scope.append(twin)
                continue
            scope.append(name)
            by_content[digest] = name
            fresh.append((path, stat, digest, record.file_id if record else None))
        shapes = [(item, shape_of(item[0])) for item in fresh]  # raises before any write
        notes += [f"{item[0]}: {shape.note}" for item, shape in shapes if shape.note]
        groups: dict[
            tuple[str, ...], list[tuple[tuple[Path, os.stat_result, str, int | None], FileShape]]
        ] = {}
        for item, shape in shapes:
            groups.setdefault(shape.signature, []).append((item, shape))
        total_lines = 0
        with self._transaction():
            for file_id, mtime_ns in touched:
                self.con.execute(
                    "UPDATE files SET mtime_ns = ? WHERE file_id = ?", [mtime_ns, file_id]
                )
            if progress is not None and fresh:
                progress.phase(f"loading {len(fresh)} {kind} file(s)", total=100 * len(groups))
            new_ids: list[int] = []
            for members in groups.values():
                lines, ids = self._load_group(kind, members, progress, remote, identity)
                total_lines += lines
                new_ids += ids
            if fresh:
                self._check_currencies(kind)
                self._refuse_repeated_references(kind, new_ids)
                empty = self.con.execute(
                    f"SELECT path FROM files WHERE file_id IN ({', '.join(map(str, new_ids))}) "
                    "AND lines = 0 ORDER BY path"
                ).fetchall()
                notes += [f"{r[0]}: no cost lines (a header only)" for r in empty]
        return LoadResult([identity(i[0]) for i in fresh], skipped, total_lines, notes, scope)

    def _forget(self, file_id: int) -> None:
        for table in ("sums", "lines", "corrections", "file_tenancies", "files"):
            self.con.execute(f"DELETE FROM {table} WHERE file_id = ?", [file_id])

    def _load_group(
        self,
        kind: str,
        members: list[tuple[tuple[Path, os.stat_result, str, int | None], FileShape]],
        progress: Progress | None,
        remote_times: dict[str, datetime],
        identity: Callable[[Path], str],
    ) -> tuple[int, list[int]]:
        """Read one group of same-shape files; their line count and file ids."""
        shape = members[0][1]
        ids: dict[str, int] = {}
        for (path, stat, digest, replaces), _ in members:
            if replaces is not None:
                self._forget(replaces)
            row = self.con.execute(
                "INSERT INTO files VALUES (nextval('file_ids'), ?, ?, ?, ?, ?, ?, 0, ?, now()) "
                "RETURNING file_id",
                [
                    kind,
                    identity(path),
                    str(path),
                    stat.st_size,
                    stat.st_mtime_ns,
                    digest,
                    remote_times.get(path.name),
                ],
            ).fetchone()
            assert row is not None
            ids[str(path)] = int(row[0])
        reader = shape.reader.replace("{files}", path_list([Path(p) for p in ids]))
        file_id = (
            "CASE filename "
            + " ".join(f"WHEN {literal(p)} THEN {i}" for p, i in ids.items())
            + " END"
        )
        with self._progress(progress):
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE incoming AS "
                + query.scan_select(shape, file_id, reader)
            )
        paths = {i: Path(p) for p, i in ids.items()}
        self._refuse_bad_amounts(shape, paths)
        self._refuse_bad_tags(shape, paths)
        self.con.execute(f"INSERT INTO sums {query.SUMS}")
        self.con.execute(f"INSERT INTO file_tenancies {query.TENANCIES}")
        self.con.execute(f"INSERT INTO lines {query.LINES}")
        self.con.execute(f"INSERT INTO corrections {query.CORRECTIONS}")
        self.con.execute(f"INSERT OR IGNORE INTO tagsets {query.tagsets_select(shape)}")
        counts = self.con.execute(query.COUNTS).fetchall()
        self.con.execute("DROP TABLE incoming")
        for fid, count in counts:
            self.con.execute("UPDATE files SET lines = ? WHERE file_id = ?", [count, fid])
        return sum(int(c) for _, c in counts), list(ids.values())

    def _refuse_bad_amounts(self, shape: FileShape, paths: dict[int, Path]) -> None:
        """Non-finite costs (NaN, infinity) and magnitudes no real line has: refused with
        file and line (found by reading the file again: only on this error path)."""
        row = self.con.execute(query.BAD_AMOUNTS).fetchone()
        if row is None:
            return
        refuse_bad_amount(shape, paths[int(row[0])])

    def _refuse_bad_tags(self, shape: FileShape, paths: dict[int, Path]) -> None:
        """A tag set that is not a JSON object (`{not json`, `[1,2,3]`): refused with file,
        line and value."""
        if shape.tags_column is None:
            return
        row = self.con.execute(query.bad_tags_select(shape)).fetchone()
        if row is not None:
            refuse_bad_tags(shape, paths[int(row[0])])

    def _refuse_repeated_references(self, kind: str, new: list[int]) -> None:
        """A line reference (`lineItem/referenceNo`, `oci_ReferenceNumber`) is unique across
        files: one repeated is a copy or an edited copy of a loaded file, which would count
        twice. Refused, naming both files (which is right is the user's call)."""
        row = self.con.execute(query.repeated_references_select(kind, new)).fetchone()
        if row is None:
            return
        names = dict(
            self.con.execute(
                "SELECT file_id, name FROM files WHERE file_id IN (?, ?)", [row[0], row[1]]
            ).fetchall()
        )
        refuse_repeated_references(names[row[0]], names[row[1]], int(row[2]))

    def replace_lines(
        self, kind: str, name: str, rows: Sequence[LineRow], provider: str = "oci"
    ) -> None:
        """Replace what an earlier fetch under `name` stored (an API answer is the whole
        truth for its period, corrections included)."""
        with self._transaction():
            old = self.con.execute(
                "SELECT file_id FROM files WHERE kind = ? AND name = ?", [kind, name]
            ).fetchall()
            for (fid,) in old:
                self._forget(fid)
            row = self.con.execute(
                "INSERT INTO files VALUES (nextval('file_ids'), ?, ?, NULL, NULL, NULL, NULL, ?, "
                "NULL, now()) RETURNING file_id",
                [kind, name, len(rows)],
            ).fetchone()
            assert row is not None
            self.con.execute(
                "CREATE OR REPLACE TEMP TABLE incoming (day DATE, service VARCHAR, "
                "currency VARCHAR, billed DOUBLE, tags VARCHAR)"
            )
            self.con.executemany(
                "INSERT INTO incoming VALUES (?, ?, ?, ?, ?)",
                [(r.day, r.service, r.currency, r.billed, r.tags) for r in rows],
            )
            self.con.execute(
                "INSERT OR IGNORE INTO tagsets SELECT DISTINCT hash(tags), tags FROM incoming"
            )
            self.con.execute(
                "INSERT INTO sums SELECT $fid, hash($fid, $provider, day, service, currency, "
                "hash(tags)), $provider, day, service, currency, hash(tags), sum(billed), NULL "
                "FROM incoming GROUP BY ALL",
                {"fid": int(row[0]), "provider": provider},
            )
            self.con.execute("DROP TABLE incoming")
            self._check_currencies(kind)

    def _check_currencies(self, kind: str) -> None:
        mixed = self.con.execute(query.mixed_currencies_select(kind)).fetchall()
        refuse_mixed_currencies(kind, mixed)

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
            words = duckdb_words(str(exc))
            if words is not None:
                raise GuardrailsError(f"cannot load cost data: {words}") from None
            raise GuardrailsError(f"cannot load cost data: {str(exc).splitlines()[0]}") from None
        except BaseException:
            self.con.execute("ROLLBACK")
            raise
        self.con.execute("COMMIT")

    @contextmanager
    def _progress(self, progress: Progress | None) -> Iterator[None]:
        """Follow DuckDB's own progress of the running query (percent) on the bar."""
        if progress is None:
            yield
            return
        done = threading.Event()
        shown = [0]

        def poll() -> None:
            while not done.wait(0.2):
                try:
                    percent = int(self.con.query_progress())
                except duckdb.Error:
                    continue
                if percent > shown[0]:
                    progress.advance(percent - shown[0])
                    shown[0] = percent

        watcher = threading.Thread(target=poll, daemon=True)
        watcher.start()
        try:
            yield
        finally:
            done.set()
            watcher.join()
            progress.advance(max(0, 100 - shown[0]))

    # -- what the store holds (`guardrails cost store`) ----------------------------------------

    def inventory(self) -> list[StoredFile]:
        """Every file or fetch in the store, oldest first."""
        rows = self.con.execute(
            """
            SELECT f.file_id, f.kind, f.name, f.lines, f.loaded_at, f.sha256,
                   string_agg(DISTINCT strftime(s.day, '%Y-%m'), ' ' ORDER BY
                              strftime(s.day, '%Y-%m')) AS months,
                   string_agg(DISTINCT t.tenancy, ' ') AS tenancies
            FROM files f LEFT JOIN sums s USING (file_id)
            LEFT JOIN file_tenancies t USING (file_id)
            GROUP BY ALL ORDER BY f.file_id
            """
        ).fetchall()
        return [
            StoredFile(
                int(r[0]),
                str(r[1]),
                str(r[2]),
                int(r[3] or 0),
                r[4],
                str(r[5] or ""),
                tuple((r[6] or "").split()),
                tuple((r[7] or "").split()),
            )
            for r in rows
        ]

    def problems(self) -> list[str]:
        """What does not add up in the store (empty: it is consistent)."""
        found: list[str] = []
        orphans = self.con.execute(
            "SELECT count(*) FROM sums WHERE file_id NOT IN (SELECT file_id FROM files)"
        ).fetchone()
        if orphans and orphans[0]:
            found.append(f"{orphans[0]} summed group(s) belong to no file")
        mismatched = self.con.execute(
            """
            SELECT f.name, s.billed, l.billed FROM files f
            JOIN (SELECT file_id, sum(billed) AS billed FROM sums GROUP BY ALL) s USING (file_id)
            JOIN (SELECT file_id, sum(billed) AS billed, count(*) AS n FROM lines GROUP BY ALL)
                 l USING (file_id)
            WHERE abs(s.billed - l.billed) > 1e-6 * greatest(1, abs(s.billed))
            ORDER BY 1
            """
        ).fetchall()
        found += [
            f"{name}: its summed cost {total:.6f} is not the sum of its lines {lines:.6f}"
            for name, total, lines in mismatched
        ]
        counts = self.con.execute(
            """
            SELECT f.name, f.lines, count(l.file_id) FROM files f
            JOIN lines l USING (file_id) GROUP BY ALL HAVING f.lines <> count(l.file_id)
            ORDER BY 1
            """
        ).fetchall()
        found += [f"{name}: {n} lines recorded, {m} stored" for name, n, m in counts]
        for kind in ("classic", "focus"):
            ids = self.file_ids(kind)
            try:
                if ids:
                    self._refuse_repeated_references(kind, ids)
            except GuardrailsError as exc:
                found.append(str(exc))
        return found

    def forget(self, file_ids: Sequence[int]) -> None:
        """Take the files (ids) out of the store: the next run that names them reads them."""
        with self._transaction():
            for file_id in file_ids:
                self._forget(file_id)

    # -- reading ---------------------------------------------------------------------------

    def file_ids(self, kind: str, names: Sequence[str] | None = None) -> list[int]:
        """The ids of the files of `kind` (all, or those with the given identities)."""
        rows = self.con.execute("SELECT file_id, name FROM files WHERE kind = ?", [kind]).fetchall()
        wanted = None if names is None else set(names)
        return [int(i) for i, n in rows if wanted is None or n in wanted]

    def days_covered(self, ids: Sequence[int]) -> tuple[date | None, date | None]:
        """The first and last day with cost lines in the files (ids)."""
        if not ids:
            return None, None
        row = self.con.execute(
            f"SELECT min(day), max(day) FROM sums WHERE file_id IN ({', '.join(map(str, ids))})"
        ).fetchone()
        return (row[0], row[1]) if row else (None, None)

    def foreign_tenancies(self, ids: Sequence[int], tenancy: str) -> list[tuple[str, str]]:
        """(file, tenancy) of the files (ids) with OCI lines of another tenancy than
        `tenancy` (files loaded before tenancies were recorded are not known)."""
        if not ids:
            return []
        rows = self.con.execute(
            "SELECT name, tenancy FROM file_tenancies JOIN files USING (file_id) "
            f"WHERE file_id IN ({', '.join(map(str, ids))}) AND tenancy <> ? ORDER BY 1, 2",
            [tenancy],
        ).fetchall()
        return [(str(n), str(t)) for n, t in rows]

    def other_files(self, kinds: Sequence[str], used: Sequence[int]) -> list[str]:
        """Files of `kinds` in the store that a run did not use."""
        rows = self.con.execute("SELECT file_id, kind, name FROM files").fetchall()
        return sorted(n for i, k, n in rows if k in kinds and i not in set(used))

    def oci_lines_in(self, ids: Sequence[int]) -> list[str]:
        """Those of the files (ids) that hold OCI lines."""
        if not ids:
            return []
        rows = self.con.execute(
            "SELECT DISTINCT name FROM files JOIN sums USING (file_id) WHERE provider = 'oci' "
            f"AND file_id IN ({', '.join(map(str, ids))}) ORDER BY name"
        ).fetchall()
        return [str(r[0]) for r in rows]

    def daily_costs(
        self,
        start: date,
        end: date,
        *,
        oci_kind: str,
        oci_keys: Sequence[str],
        other_keys: Sequence[str],
        files: Sequence[int] | None = None,
    ) -> list[DailyCost]:
        """Cost per provider, tag group, day, service and currency for start <= day < end.

        OCI lines come from files of `oci_kind` only (one source, never two at once), other
        providers' from FOCUS files; with `files` (ids), only from those: the run's own.
        The group is the first of the keys present in a line's tag set, '' when none is.
        Lines a correction references are left out.
        """

        rows = self.con.execute(
            query.daily_costs_select(
                start,
                end,
                oci_kind=oci_kind,
                oci_keys=oci_keys,
                other_keys=other_keys,
                files=files,
            )
        ).fetchall()
        return [DailyCost(r[0], r[1], r[2], r[3], r[4], float(r[5] or 0.0), r[6]) for r in rows]
