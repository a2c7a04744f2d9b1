"""The verdict of `make mutation`: every mutant that survives the in-process tests is either
killed by a test or accepted, one by one, in `tests/mutation/accepted.toml` with its kind and
the reason it cannot change a verdict or a sum; anything else fails the run.

    python -m tests.mutation.check          after `mutmut run`, from the project root
    python -m tests.mutation.check --draft  and an accepted.toml entry to start from for
                                            each survivor not accepted

A survivor is keyed by what stays put across unrelated edits: its file, its function and the
text of the mutated lines before and after (stripped), plus `occurrence` where the same change
can be made in more than one place of the function (the n-th, in source order). mutmut's
`__mutmut_N` numbers shift with any edit of the function and are never used.

Exit codes: 0 every survivor accepted and every entry still matching one; 1 survivors not
accepted, or entries that match no survivor any more (stale: remove them); 2 no mutation
results, mutants the run did not judge, or an accepted file that cannot be read; 3 a bug in
this checker (the trace goes to a file); 130 interrupted.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import tomllib
import traceback
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from guardrails.tooling.cli_support import (
    EXIT_ERROR,
    EXIT_INTERNAL,
    EXIT_INTERRUPTED,
    EXIT_OK,
    EXIT_VIOLATIONS,
)

ROOT = Path(__file__).resolve().parents[2]
ACCEPTED = Path(__file__).resolve().parent / "accepted.toml"
KINDS = {
    "message-text": "changes only the words of a message, never a verdict or a number",
    "unreachable-default": "a default or a key no input that reaches the code can exercise",
    "equivalent": "behaves exactly as the original on every input",
}
_KILLED = {"killed", "timeout", "caught by type check"}
_NOT_JUDGED = {"not checked", "check was interrupted by user"}
_FIELDS = {"file", "function", "before", "after", "occurrence", "kind", "reason"}


class CheckError(Exception):
    """What the user must fix before the check can judge (exit 2)."""


@dataclass(frozen=True)
class Mutant:
    name: str
    """mutmut's name, for `mutmut show NAME` (it changes with any edit of the function)."""
    status: str
    file: str
    function: str
    diff: str | None
    """The unified diff of the function, as `mutmut show` prints it (None: not read, for a
    function without survivors)."""


@dataclass(frozen=True)
class Key:
    file: str
    function: str
    before: str
    after: str
    occurrence: int
    """1-based, among the mutants of the function that make the same change."""
    places: int
    """How many mutants of the function make the same change."""


@dataclass(frozen=True)
class Entry:
    index: int
    """1-based position in the accepted file."""
    file: str
    function: str
    before: str
    after: str
    occurrence: int | None
    kind: str
    reason: str

    def describe(self) -> str:
        where = f" (occurrence {self.occurrence})" if self.occurrence else ""
        return (
            f"entry {self.index}: {self.file} {self.function}{where}: "
            f"`{self.before}` -> `{self.after}`"
        )


def changed_lines(diff: str) -> tuple[str, str]:
    """The removed and the added lines of a unified diff, each stripped, one per line."""
    before, after = [], []
    for line in diff.splitlines():
        if line.startswith(("---", "+++")):
            continue
        if line.startswith("-"):
            before.append(line[1:].strip())
        elif line.startswith("+"):
            after.append(line[1:].strip())
    return "\n".join(before), "\n".join(after)


def keys(mutants: Sequence[Mutant]) -> dict[str, Key]:
    """Each mutant's key (by mutmut name); `mutants` holds every mutant of the functions
    concerned, killed or not, in mutmut's order (source order within a function)."""
    seen: Counter[tuple[str, str, str, str]] = Counter()
    ordered: list[tuple[Mutant, tuple[str, str, str, str], int]] = []
    for mutant in sorted(mutants, key=lambda m: (m.file, m.function, _number(m.name))):
        change = (mutant.file, mutant.function, *changed_lines(mutant.diff or ""))
        seen[change] += 1
        ordered.append((mutant, change, seen[change]))
    return {
        mutant.name: Key(*change, occurrence=occurrence, places=seen[change])
        for mutant, change, occurrence in ordered
    }


def _number(name: str) -> int:
    return int(name.rpartition("__mutmut_")[2])


def load_accepted(text: str, path: Path = ACCEPTED) -> list[Entry]:
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise CheckError(f"{path}: {exc}") from exc
    unknown = set(doc) - {"survivor"}
    if unknown:
        raise CheckError(f"{path}: unknown table {sorted(unknown)[0]!r} (only [[survivor]])")
    entries: list[Entry] = []
    seen: dict[tuple[str, str, str, str, int | None], int] = {}
    for index, raw in enumerate(doc.get("survivor", []), start=1):
        where = f"{path}: [[survivor]] entry {index}"
        if set(raw) - _FIELDS:
            raise CheckError(f"{where}: unknown field {sorted(set(raw) - _FIELDS)[0]!r}")
        missing = [f for f in ("file", "function", "before", "after", "kind", "reason")
                   if not isinstance(raw.get(f), str)]  # fmt: skip
        if missing:
            raise CheckError(f"{where}: {missing[0]} is missing or not a string")
        if raw["kind"] not in KINDS:
            raise CheckError(
                f"{where}: kind {raw['kind']!r} is not one of {', '.join(sorted(KINDS))}"
            )
        if not raw["reason"].strip():
            raise CheckError(f"{where}: the reason is empty")
        occurrence = raw.get("occurrence")
        if occurrence is not None and (
            not isinstance(occurrence, int) or isinstance(occurrence, bool) or occurrence < 1
        ):
            raise CheckError(f"{where}: occurrence must be a whole number from 1")
        entry = Entry(index, raw["file"], raw["function"], raw["before"], raw["after"],
                      occurrence, raw["kind"], raw["reason"])  # fmt: skip
        identity = (entry.file, entry.function, entry.before, entry.after, entry.occurrence)
        if identity in seen:
            raise CheckError(f"{where}: the same survivor as entry {seen[identity]}")
        seen[identity] = index
        entries.append(entry)
    return entries


@dataclass(frozen=True)
class Verdict:
    accepted: dict[str, Entry]
    """Survivor name -> the entry that accepts it."""
    unaccepted: list[Mutant]
    stale: list[tuple[Entry, str]]
    """Entries that accept nothing, with why."""


def judge(survivors: Sequence[Mutant], key_of: dict[str, Key], entries: Sequence[Entry]) -> Verdict:
    by_change: dict[tuple[str, str, str, str], list[Mutant]] = {}
    for mutant in survivors:
        k = key_of[mutant.name]
        by_change.setdefault((k.file, k.function, k.before, k.after), []).append(mutant)
    accepted: dict[str, Entry] = {}
    stale: list[tuple[Entry, str]] = []
    for entry in entries:
        candidates = by_change.get((entry.file, entry.function, entry.before, entry.after), [])
        if entry.occurrence is None:
            places = {key_of[m.name].places for m in candidates}
            if places and max(places) > 1:
                stale.append((entry, f"the function makes this change in {max(places)} places: "
                                     f"say which with occurrence = 1..{max(places)}"))  # fmt: skip
                continue
            matched = candidates
        else:
            matched = [m for m in candidates if key_of[m.name].occurrence == entry.occurrence]
        if not matched:
            stale.append((entry, "matches no surviving mutant: remove it"))
            continue
        for mutant in matched:
            accepted[mutant.name] = entry
    unaccepted = [m for m in survivors if m.name not in accepted]
    return Verdict(accepted, unaccepted, stale)


def _toml_string(text: str) -> str:
    """`text` as a TOML string: a literal one where quotes or backslashes would need escapes
    (so that it reads as the code does)."""
    literal = f"'''{text}'''"
    if not set(text) & set('"\\') or "\n" in text:
        return json.dumps(text, ensure_ascii=False)
    if "'''" not in text and not text.endswith("'"):
        try:
            if tomllib.loads(f"v = {literal}")["v"] == text:
                return literal
        except tomllib.TOMLDecodeError:
            pass
    return json.dumps(text, ensure_ascii=False)


def draft_entry(key: Key) -> str:
    lines = [
        "[[survivor]]",
        f"file = {_toml_string(key.file)}",
        f"function = {_toml_string(key.function)}",
        f"before = {_toml_string(key.before)}",
        f"after = {_toml_string(key.after)}",
    ]
    if key.places > 1:
        lines.append(f"occurrence = {key.occurrence}")
    lines += ['kind = "TODO: message-text | unreachable-default | equivalent"',
              'reason = "TODO: why no input a provider can produce changes a verdict or a sum"']  # fmt: skip
    return "\n".join(lines)


# --- mutmut's results ------------------------------------------------------------------------


def read_mutants() -> list[Mutant]:
    """Every mutant of the last `mutmut run` (run from the project root), with the diff of
    those in functions that have a survivor (the rest need none)."""
    try:
        from mutmut.mutation.data import SourceFileMutationData
        from mutmut.mutation.diff_apply import get_diff_for_mutant
        from mutmut.stats import status_by_exit_code
        from mutmut.utils.file_utils import walk_mutatable_files
        from mutmut.utils.format_utils import orig_function_and_class_names_from_key
    except ImportError as exc:
        raise CheckError(
            f"cannot read mutmut's results ({exc}); this check reads those of mutmut 3.8 "
            "(pyproject.toml pins it)"
        ) from exc
    if not Path("mutants").is_dir():
        raise CheckError("no mutants/ folder: run `mutmut run` (or `make mutation`) first")
    found: list[tuple[str, str, str, str]] = []  # name, status, file, function
    for path in walk_mutatable_files():
        data = SourceFileMutationData(path=path)
        data.load()
        for name, exit_code in data.exit_code_by_key.items():
            function, cls = orig_function_and_class_names_from_key(name)
            qualified = f"{cls}.{function}" if cls else function
            found.append((name, status_by_exit_code[exit_code], str(path), qualified))
    if not found:
        raise CheckError("no mutation results in mutants/: run `mutmut run` first")
    with_survivor = {(f, fn) for _, status, f, fn in found if status not in _KILLED}
    return [
        Mutant(name, status, file, function,
               get_diff_for_mutant(name, path=file) if (file, function) in with_survivor else None)
        for name, status, file, function in found
    ]  # fmt: skip


# --- the command -----------------------------------------------------------------------------


def report(mutants: Sequence[Mutant], entries: Sequence[Entry], *, draft: bool,
           out: list[str]) -> int:  # fmt: skip
    """Append the report's lines to `out` and return the exit code."""
    not_judged = [m for m in mutants if m.status in _NOT_JUDGED]
    if not_judged:
        out.append(f"the run did not judge {len(not_judged)} mutants ({not_judged[0].status}: "
                   f"{not_judged[0].name}, ...): run `make mutation` again")  # fmt: skip
        return EXIT_ERROR
    survivors = [m for m in mutants if m.status not in _KILLED]
    key_of = keys([m for m in mutants if m.diff is not None])
    verdict = judge([m for m in survivors if m.status == "survived"], key_of, entries)
    unaccepted = verdict.unaccepted + [m for m in survivors if m.status != "survived"]
    killed = [m for m in mutants if m.status in _KILLED]
    timeouts = sum(m.status == "timeout" for m in killed)
    kinds = Counter(entry.kind for entry in verdict.accepted.values())
    by_kind = ", ".join(f"{kind} {kinds[kind]}" for kind in KINDS if kinds[kind])
    out.append(
        f"mutation: {len(mutants):,} mutants: {len(killed):,} killed"
        + (f" ({timeouts} by timeout)" if timeouts else "")
        + f", {len(survivors):,} survived: {len(verdict.accepted):,} accepted"
        + (f" ({by_kind})" if by_kind else "")
        + f", {len(unaccepted):,} not accepted; {len(verdict.stale)} stale entries"
    )
    for mutant in unaccepted:
        status = "" if mutant.status == "survived" else f" [{mutant.status}]"
        out += ["", f"not accepted{status}: {mutant.file} {mutant.function} ({mutant.name})",
                mutant.diff or ""]  # fmt: skip
        if draft and mutant.status == "survived":
            out += ["", draft_entry(key_of[mutant.name])]
    for entry, why in verdict.stale:
        out += ["", f"stale: {entry.describe()} {why}"]
    if unaccepted or verdict.stale:
        out += ["", f"Kill each survivor not accepted with a test, or accept it in "
                    f"{ACCEPTED.relative_to(ROOT)} (docs/mutation.md says how); a mutant no "
                    "test reaches needs a test."]  # fmt: skip
        return EXIT_VIOLATIONS
    return EXIT_OK


def _internal_error(exc: BaseException) -> int:
    fd, name = tempfile.mkstemp(prefix="guardrails-mutation-check-", suffix=".txt")
    with open(fd, "w", encoding="utf-8") as handle:
        handle.write("".join(traceback.format_exception(exc)))
    print(f"internal error: {type(exc).__name__}: {exc} (full trace in {name})", file=sys.stderr)
    return EXIT_INTERNAL


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tests.mutation.check",
        description="Fail unless every surviving mutant is accepted in accepted.toml.",
        epilog="exit codes: 0 all accepted; 1 survivors not accepted or stale entries; "
        "2 no results or an unreadable accepted file; 3 a bug in this check; 130 interrupted",
    )
    parser.add_argument("--draft", action="store_true",
                        help="print an accepted.toml entry to start from for each survivor "
                             "not accepted")  # fmt: skip
    args = parser.parse_args(list(argv) if argv is not None else None)
    try:
        os.chdir(ROOT)  # mutmut reads its results relative to the project root
        entries = load_accepted(ACCEPTED.read_text(encoding="utf-8"))
        out: list[str] = []
        code = report(read_mutants(), entries, draft=args.draft, out=out)
        print("\n".join(out))
        return code
    except CheckError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except OSError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except Exception as exc:
        return _internal_error(exc)


if __name__ == "__main__":
    sys.exit(main())
