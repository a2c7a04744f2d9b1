"""The check `make mutation` ends with (tests/mutation/check.py): survivors keyed by their
function and mutated text, accepted only by a matching entry, stale entries refused, exit
codes as everywhere. Judged on made-up mutmut results; the real ones come from a run."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

from guardrails.tooling.cli_support import EXIT_ERROR, EXIT_OK, EXIT_VIOLATIONS
from tests.mutation.check import (
    ACCEPTED,
    CheckError,
    Mutant,
    changed_lines,
    draft_entry,
    judge,
    keys,
    load_accepted,
    report,
)

FILE = "policies/tag_rules.py"


def _diff(before: str, after: str, context: str = "    tags = resource.get('x')") -> str:
    return "\n".join([
        f"--- {FILE}", f"+++ {FILE}", "@@ -1,3 +1,3 @@", f" {context}",
        f"-    {before}", f"+    {after}", "     return out",
    ])  # fmt: skip


def _mutant(n: int, status: str, before: str = "continue", after: str = "break",
            function: str = "_check") -> Mutant:  # fmt: skip
    name = f"policies.tag_rules.x_{function}__mutmut_{n}"
    return Mutant(name, status, FILE, function, _diff(before, after))


def _entry(before: str = "continue", after: str = "break", **extra: object) -> str:
    fields = {"file": FILE, "function": "_check", "before": before, "after": after,
              "kind": "equivalent", "reason": "the loop ends there anyway", **extra}  # fmt: skip
    body = "\n".join(
        f"{k} = {v}" if isinstance(v, int) else f"{k} = '''{v}'''" for k, v in fields.items()
    )
    return "[[survivor]]\n" + body + "\n"


def test_changed_lines_are_the_mutated_lines_stripped() -> None:
    assert changed_lines(_diff("x = a <= b", "x = a < b")) == ("x = a <= b", "x = a < b")


def test_the_same_change_in_two_places_is_told_apart_by_occurrence() -> None:
    mutants = [_mutant(12, "killed"), _mutant(3, "survived", "x = 1", "x = 2"),
               _mutant(23, "survived")]  # fmt: skip
    key = keys(mutants)
    assert (key[mutants[0].name].occurrence, key[mutants[2].name].occurrence) == (1, 2)
    assert key[mutants[2].name].places == 2
    assert key[mutants[1].name].places == 1


def test_a_survivor_is_accepted_by_its_entry_and_only_that() -> None:
    survivor = _mutant(5, "survived", "x = 1", "x = 2")
    other = _mutant(6, "survived", "x = 1", "x = 3")
    entries = load_accepted(_entry("x = 1", "x = 2"))
    verdict = judge([survivor, other], keys([survivor, other]), entries)
    assert list(verdict.accepted) == [survivor.name]
    assert verdict.unaccepted == [other]
    assert verdict.stale == []


def test_an_entry_for_a_change_made_in_two_places_must_say_which() -> None:
    mutants = [_mutant(12, "killed"), _mutant(23, "survived")]
    key = keys(mutants)
    ambiguous = judge(mutants[1:], key, load_accepted(_entry()))
    assert ambiguous.unaccepted == mutants[1:]
    assert [why for _, why in ambiguous.stale] == [
        "the function makes this change in 2 places: say which with occurrence = 1..2"
    ]
    wrong = judge(mutants[1:], key, load_accepted(_entry(occurrence=1)))
    assert [why for _, why in wrong.stale] == ["matches no surviving mutant: remove it"]
    right = judge(mutants[1:], key, load_accepted(_entry(occurrence=2)))
    assert (list(right.accepted), right.unaccepted, right.stale) == ([mutants[1].name], [], [])


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("[[survivor]\n", r"accepted.toml: Expected '\]\]' .*\(at line 1, column 11\)"),
        ("[other]\n", "unknown table 'other'"),
        (_entry(kind="harmless"), "kind 'harmless' is not one of"),
        (_entry(reason=" "), "the reason is empty"),
        (_entry(occurrence=0), "occurrence must be a whole number from 1"),
        (_entry(mutant="x"), "unknown field 'mutant'"),
        (_entry().replace("before = '''continue'''\n", ""), "before is missing"),
        (_entry() + _entry(), "entry 2: the same survivor as entry 1"),
    ],
)
def test_an_accepted_file_that_cannot_be_read_is_refused(text: str, error: str) -> None:
    with pytest.raises(CheckError, match=error):
        load_accepted(text, Path("accepted.toml"))


def test_the_checked_in_file_reads() -> None:
    entries = load_accepted(ACCEPTED.read_text(encoding="utf-8"), ACCEPTED)
    assert all(e.reason.strip() and e.kind for e in entries)


@pytest.mark.parametrize("text", ["x = '''a'''", 'f"{x}\'"', 'strip("\'\\" ")', "say '''this'''"])
def test_a_draft_entry_reads_back_as_the_survivor(text: str) -> None:
    mutant = Mutant("m.x_f__mutmut_1", "survived", FILE, "f", _diff(text, "pass"))
    drafted = tomllib.loads(draft_entry(keys([mutant])[mutant.name]))["survivor"][0]
    assert (drafted["before"], drafted["after"], "occurrence" in drafted) == (text, "pass", False)


def test_exit_codes() -> None:
    killed, survivor = _mutant(1, "killed", "a", "b"), _mutant(2, "survived")
    out: list[str] = []
    assert report([killed, survivor], load_accepted(_entry()), draft=False, out=out) == EXIT_OK
    assert out == [
        "mutation: 2 mutants: 1 killed, 1 survived: 1 accepted (equivalent 1), 0 not accepted; "
        "0 stale entries"
    ]
    out = []
    assert report([killed, survivor], [], draft=True, out=out) == EXIT_VIOLATIONS
    assert out[2] == f"not accepted: {FILE} _check ({survivor.name})"
    assert 'kind = "TODO: message-text | unreachable-default | equivalent"' in out[-3]
    out = []
    assert report([killed], load_accepted(_entry()), draft=False, out=out) == EXIT_VIOLATIONS
    assert "stale: entry 1: " in out[2] and out[2].endswith(
        "matches no surviving mutant: remove it"
    )
    out = []
    unreached = _mutant(3, "no tests", "a", "c")
    assert report([killed, unreached], [], draft=False, out=out) == EXIT_VIOLATIONS
    assert out[2] == f"not accepted [no tests]: {FILE} _check ({unreached.name})"
    out = []
    assert report([_mutant(4, "not checked")], [], draft=False, out=out) == EXIT_ERROR
    assert out[0].startswith("the run did not judge 1 mutants (not checked:")
