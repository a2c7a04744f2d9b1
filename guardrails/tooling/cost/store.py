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

A file is known by kind and name: the same name with the same size and mtime is skipped
without reading it; with another mtime its sha256 decides (same content: skipped; changed:
its lines are replaced), so loading a file again never counts it twice. A load is one
transaction: a bad file leaves the store as it was, and a store this run created is removed.
DuckDB reads the files itself (see file_plan), several in parallel.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from types import TracebackType

import duckdb

from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.cost.lines import DailyCost, LineRow, Progress
from guardrails.tooling.cost.sources.file_shape import LINE_COLUMNS, FilePlan, literal, path_list

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
"""


@dataclass(frozen=True)
class LoadResult:
    loaded: list[str]
    skipped: list[str]
    lines: int


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


class CostStore:
    """One open store; use as a context manager."""

    def __init__(self, path: Path) -> None:
        self.path = path.expanduser()
        self.created = not self.path.exists()
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.con = duckdb.connect(str(self.path))
        except OSError as exc:
            raise GuardrailsError(f"cost store {self.path}: cannot be opened ({exc})") from None
        except duckdb.IOException as exc:
            raise GuardrailsError(
                f"cost store {self.path}: cannot be opened; another guardrails run may "
                f"hold it ({str(exc).splitlines()[0]})"
            ) from None
        except duckdb.Error as exc:
            raise GuardrailsError(f"cost store {self.path}: not a DuckDB store ({exc})") from None
        # progress is tracked (query_progress feeds our bar) but never printed by DuckDB
        self.con.execute("SET enable_progress_bar = true")
        self.con.execute("SET enable_progress_bar_print = false")
        self.con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
        self.con.execute("SET preserve_insertion_order = false")
        self.con.execute("SET TimeZone = 'UTC'")
        self.con.execute(SCHEMA)

    def __enter__(self) -> CostStore:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.con.close()
        if exc is not None and self.created:
            # a failed first run leaves no store behind
            for leftover in (self.path, self.path.with_name(self.path.name + ".wal")):
                leftover.unlink(missing_ok=True)

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
        plan_of: Callable[[Path], FilePlan],
        *,
        progress: Progress | None = None,
        remote_times: dict[str, datetime] | None = None,
    ) -> LoadResult:
        """Load the files not yet in the store; `plan_of(path) -> FilePlan` checks each file
        (before anything is written)."""
        known = self._known(kind)
        fresh: list[tuple[Path, os.stat_result, str, int | None]] = []
        touched: list[tuple[int, int]] = []
        skipped: list[str] = []
        seen: set[str] = set()
        for path in paths:
            if path.name in seen:
                continue
            seen.add(path.name)
            try:
                stat = path.stat()
            except OSError as exc:
                raise GuardrailsError(f"{path}: cannot be read ({exc.strerror})") from None
            record = known.get(path.name)
            if record and (record.size, record.mtime_ns) == (stat.st_size, stat.st_mtime_ns):
                skipped.append(path.name)
                continue
            digest = sha256_of(path)
            if record and record.sha256 == digest:
                touched.append((record.file_id, stat.st_mtime_ns))
                skipped.append(path.name)
                continue
            fresh.append((path, stat, digest, record.file_id if record else None))
        plans = [(item, plan_of(item[0])) for item in fresh]  # raises before any write
        groups: dict[
            tuple[str, ...], list[tuple[tuple[Path, os.stat_result, str, int | None], FilePlan]]
        ] = {}
        for item, plan in plans:
            groups.setdefault(plan.signature, []).append((item, plan))
        total_lines = 0
        with self._transaction():
            for file_id, mtime_ns in touched:
                self.con.execute(
                    "UPDATE files SET mtime_ns = ? WHERE file_id = ?", [mtime_ns, file_id]
                )
            if progress is not None and fresh:
                progress.phase(f"loading {len(fresh)} {kind} file(s)", total=100 * len(groups))
            for members in groups.values():
                total_lines += self._load_group(kind, members, progress, remote_times or {})
            if fresh:
                self._check_currencies(kind)
        return LoadResult([i[0].name for i in fresh], skipped, total_lines)

    def _forget(self, file_id: int) -> None:
        for table in ("sums", "lines", "corrections", "files"):
            self.con.execute(f"DELETE FROM {table} WHERE file_id = ?", [file_id])

    def _load_group(
        self,
        kind: str,
        members: list[tuple[tuple[Path, os.stat_result, str, int | None], FilePlan]],
        progress: Progress | None,
        remote_times: dict[str, datetime],
    ) -> int:
        plan = members[0][1]
        ids: dict[str, int] = {}
        for (path, stat, digest, replaces), _ in members:
            if replaces is not None:
                self._forget(replaces)
            row = self.con.execute(
                "INSERT INTO files VALUES (nextval('file_ids'), ?, ?, ?, ?, ?, ?, 0, ?, now()) "
                "RETURNING file_id",
                [
                    kind,
                    path.name,
                    str(path),
                    stat.st_size,
                    stat.st_mtime_ns,
                    digest,
                    remote_times.get(path.name),
                ],
            ).fetchone()
            assert row is not None
            ids[str(path)] = int(row[0])
        reader = plan.reader.replace("{files}", path_list([Path(p) for p in ids]))
        file_id = (
            "CASE filename "
            + " ".join(f"WHEN {literal(p)} THEN {i}" for p, i in ids.items())
            + " END"
        )
        # Per line: read, hash the reference, add to its group. Dates are cast, tag sets
        # hashed and keys made once per group, not once per line.
        columns = ", ".join(
            f"{expr} AS {name}"
            for name, expr in zip(LINE_COLUMNS, plan.lines, strict=True)
            if name != "tagset"
        )
        tag_columns = "".join(f", {c}" for c in plan.tag_columns)
        with self._progress(progress):
            self.con.execute(
                f"""
                CREATE OR REPLACE TEMP TABLE incoming AS
                SELECT file_id, provider, CAST(day AS DATE) AS day, service, currency,
                       {plan.tagset} AS tagset{tag_columns},
                       hash(file_id, provider, day, service, currency, {plan.tagset}) AS key,
                       sum(billed) AS billed, sum(effective) AS effective, count(*) AS n,
                       list(ref) AS refs, list(billed) AS costs, list(effective) AS effs,
                       list(back) FILTER (WHERE back IS NOT NULL) AS backs
                FROM (SELECT {file_id} AS file_id, {columns}{tag_columns} FROM {reader})
                GROUP BY file_id, provider, day, service, currency{tag_columns}
                """
            )
        self.con.execute(
            "INSERT INTO sums SELECT file_id, key, provider, day, service, currency, tagset, "
            "billed, effective FROM incoming"
        )
        self.con.execute(
            "INSERT INTO lines SELECT file_id, key, unnest(refs), unnest(costs), unnest(effs) "
            "FROM incoming"
        )
        self.con.execute(
            "INSERT INTO corrections SELECT file_id, unnest(backs) FROM incoming "
            "WHERE backs IS NOT NULL AND len(backs) > 0"
        )
        self.con.execute(
            f"INSERT OR IGNORE INTO tagsets SELECT DISTINCT tagset, {plan.tags} FROM incoming"
        )
        counts = self.con.execute(
            "SELECT file_id, sum(n) FROM incoming GROUP BY file_id"
        ).fetchall()
        self.con.execute("DROP TABLE incoming")
        for fid, count in counts:
            self.con.execute("UPDATE files SET lines = ? WHERE file_id = ?", [count, fid])
        return sum(int(c) for _, c in counts)

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
        mixed = self.con.execute(
            "SELECT provider, string_agg(DISTINCT currency, ', ' ORDER BY currency) "
            "FROM sums JOIN files USING (file_id) WHERE kind = ? "
            "GROUP BY provider HAVING count(DISTINCT currency) > 1",
            [kind],
        ).fetchall()
        if mixed:
            what = "; ".join(f"{p.upper()} lines in {c}" for p, c in mixed)
            raise GuardrailsError(
                f"wrong currency mix in the {kind} data: {what}; one provider's spend must "
                "be in one currency (a store per tenancy: --store)"
            )

    @contextmanager
    def _transaction(self) -> Iterator[None]:
        self.con.execute("BEGIN TRANSACTION")
        try:
            yield
        except duckdb.Error as exc:
            self.con.execute("ROLLBACK")
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

    # -- reading ---------------------------------------------------------------------------

    def daily_costs(
        self,
        start: date,
        end: date,
        *,
        oci_kind: str,
        oci_keys: Sequence[str],
        other_keys: Sequence[str],
    ) -> list[DailyCost]:
        """Cost per provider, tag group, day, service and currency for start <= day < end.

        OCI lines come from files of `oci_kind` only (one source, never two at once), other
        providers' from FOCUS files. The group is the first of the keys present in a line's
        tag set, '' when none is. Lines a correction references are left out.
        """

        def lookup(keys: Sequence[str]) -> str:
            paths = [literal('$."' + k + '"') for k in keys]
            return "coalesce(" + ", ".join(f"json_extract_string(tags, {p})" for p in paths) + ")"

        rows = self.con.execute(
            f"""
            WITH scoped AS (
                SELECT file_id FROM files
                WHERE kind = $kind OR kind = 'focus'
            ),
            corrected AS (
                SELECT DISTINCT back FROM corrections WHERE file_id IN (SELECT file_id FROM scoped)
            ),
            replaced AS (
                SELECT key, sum(billed) AS billed, sum(effective) AS effective FROM lines
                WHERE ref IN (SELECT back FROM corrected)
                  AND file_id IN (SELECT file_id FROM scoped)
                GROUP BY key
            ),
            groups AS (
                SELECT tagset, {lookup(oci_keys)} AS oci_group,
                       {lookup(other_keys)} AS other_group
                FROM tagsets
            )
            SELECT s.provider,
                   coalesce(CASE WHEN s.provider = 'oci' THEN g.oci_group ELSE g.other_group END,
                            '') AS grp,
                   s.day, coalesce(s.service, ''), coalesce(s.currency, ''),
                   sum(s.billed - coalesce(r.billed, 0)),
                   sum(s.effective - coalesce(r.effective, 0))
            FROM sums s
            JOIN files f USING (file_id)
            LEFT JOIN replaced r USING (key)
            LEFT JOIN groups g USING (tagset)
            WHERE ((s.provider = 'oci' AND f.kind = $kind)
                   OR (s.provider <> 'oci' AND f.kind = 'focus'))
              AND s.day >= $start AND s.day < $end
            GROUP BY ALL
            ORDER BY 1, 2, 3, 4
            """,
            {"kind": oci_kind, "start": start, "end": end},
        ).fetchall()
        return [DailyCost(r[0], r[1], r[2], r[3], r[4], float(r[5] or 0.0), r[6]) for r in rows]
