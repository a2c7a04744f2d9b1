"""The one input reader (`guardrails.tooling.inputs`) and the one atomic write
(`guardrails.runtime.atomic_write`): what each refuses, with its position, and the limits at,
just below and just above them."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from guardrails.runtime.atomic_write import atomic_file, copy_atomically, write_atomically
from guardrails.runtime.errors import GuardrailsError
from guardrails.tooling.inputs import (
    MAX_DEPTH,
    decode_text,
    parse_json,
    parse_yaml,
    read_ini,
    read_json,
    read_text,
)


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


# --- JSON ------------------------------------------------------------------------------------


@pytest.mark.parametrize("depth", [1, MAX_DEPTH - 1, MAX_DEPTH])
def test_json_nested_up_to_the_limit_is_read(depth):
    doc = parse_json(_nested(depth), "f.json")
    for _ in range(depth - 1):
        doc = doc[0]
    assert doc == []


@pytest.mark.parametrize("depth", [MAX_DEPTH + 1, 999, 5000])
def test_json_nested_past_the_limit_is_refused_where_it_goes_too_deep(depth):
    with pytest.raises(GuardrailsError) as info:
        parse_json(_nested(depth), "f.json")
    assert str(info.value) == (
        f"f.json: not valid JSON: nested deeper than {MAX_DEPTH} levels "
        f"(line 1, column {MAX_DEPTH + 1})"
    )


def test_brackets_inside_strings_do_not_count_as_nesting():
    text = json.dumps({"a": "[" * 500, "b": "]]]" * 300, "c": [[["x"]]]})
    assert parse_json(text, "f.json")["c"] == [[["x"]]]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('{"a": 1, "a": 2}', "key 'a' is given twice in one object (line 1, column 10)"),
        ('{"x": {"a": 1}, "y": {"a": 2}, "x": 3}', "key 'x' is given twice in one object"),
        ('[{"k": 1}, {"k": 1, "k": 2}]', "key 'k' is given twice in one object (line 1, column 21)"),
        ('{"a\\"b": 1, "a\\"b": 2}', "key 'a\"b' is given twice in one object"),
        ("[1, NaN]", "NaN is not a number JSON allows (line 1, column 5)"),
        ('{"x":\n  Infinity}', "Infinity is not a number JSON allows (line 2, column 3)"),
        ("[-Infinity]", "-Infinity is not a number JSON allows (line 1, column 2)"),
        ("[1e309]", "number 1e309 is too large (line 1, column 2)"),
        ('{"a": 1, 2}', "Expecting property name enclosed in double quotes (line 1, column 10)"),
    ],
)  # fmt: skip
def test_json_that_is_refused_names_the_problem_and_its_place(text, message):
    with pytest.raises(GuardrailsError) as info:
        parse_json(text, "f.json")
    assert str(info.value).startswith(f"f.json: not valid JSON: {message}")


@pytest.mark.parametrize("text", ['{"a": 1, "b": 1}', '[{"a": 1}, {"a": 2}]', "[1e308, -1e308]"])
def test_json_without_problems_is_read_as_python_reads_it(text):
    assert parse_json(text, "f.json") == json.loads(text)


@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False)
        | st.text(),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
        max_leaves=30,
    )
)  # fmt: skip
def test_any_finite_json_document_reads_back_the_same(doc):
    assert parse_json(json.dumps(doc), "f.json") == doc


# --- YAML ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("a: 1\na: 2\n", "key 'a' is given twice in one mapping (line 2, column 1)"),
        ("top:\n  b: 1\n  c: 2\n  b: 3\n", "key 'b' is given twice in one mapping (line 4, column 3)"),
        ("{a: 1, a: 2}", "key 'a' is given twice in one mapping (line 1, column 8)"),
        ("d: 2027-02-30\n", "'2027-02-30' is not a valid date"),
        (_nested(MAX_DEPTH + 1), f"nested deeper than {MAX_DEPTH} levels (line 1, column 101)"),
        ("a: [1, 2\n", "did not find expected ',' or ']'"),
    ],
)  # fmt: skip
def test_yaml_that_is_refused_names_the_problem_and_its_place(text, message):
    with pytest.raises(GuardrailsError) as info:
        parse_yaml(text, "f.yaml")
    assert f"f.yaml: not valid YAML: {message}" in str(info.value)


def test_yaml_merge_keys_may_be_overridden():
    doc = parse_yaml("base: &b {x: 1, y: 2}\nuse:\n  <<: *b\n  x: 3\n", "f.yaml")
    assert doc["use"] == {"x": 3, "y": 2}


def test_yaml_nested_to_the_limit_is_read():
    assert parse_yaml(_nested(MAX_DEPTH), "f.yaml") is not None


# --- bytes, files, INI -----------------------------------------------------------------------


def test_undecodable_bytes_are_named_with_line_and_column():
    with pytest.raises(
        GuardrailsError, match=r"^f: not UTF-8 text: byte 0xff at line 2, column 3$"
    ):
        decode_text(b"ok\nab\xffc", "f")


def test_a_byte_order_mark_is_dropped_and_positions_stay_right():
    assert decode_text(b"\xef\xbb\xbf{}", "f") == "{}"
    with pytest.raises(GuardrailsError, match="byte 0xff at line 1, column 2"):
        decode_text(b"\xef\xbb\xbfa\xff", "f")


def test_a_folder_a_fifo_and_a_missing_file_are_refused(tmp_path):
    with pytest.raises(GuardrailsError, match="is a directory, expected a plan"):
        read_text(tmp_path, "plan")
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    with pytest.raises(GuardrailsError, match="not a regular file, expected a usage file"):
        read_text(fifo, "usage file")  # would block forever if opened
    with pytest.raises(GuardrailsError, match="price book not found"):
        read_json(tmp_path / "none.json", "price book")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("user=a\n", "line 1 is outside a [section]"),
        ("[A]\nx=1\n[A]\n", "section [A] is given twice (line 3)"),
        ("[A]\nx=1\nx=2\n", "'x' is given twice in [A] (line 3)"),
    ],
)
def test_an_ini_file_is_read_strictly(tmp_path, text, message):
    path = tmp_path / "config"
    path.write_text(text)
    with pytest.raises(GuardrailsError) as info:
        read_ini(path, "OCI config file")
    assert str(info.value) == f"{path}: not a valid OCI config file: {message}"


def test_a_good_ini_file_is_read(tmp_path):
    path = tmp_path / "config"
    path.write_text("[DEFAULT]\nregion=eu-frankfurt-1\n[OTHER]\nuser=u\n")
    assert read_ini(path)["OTHER"]["region"] == "eu-frankfurt-1"


# --- the one atomic write --------------------------------------------------------------------


def test_an_interrupted_write_leaves_the_old_file_and_no_partial(tmp_path):
    target = tmp_path / "report.json"
    target.write_text("old")
    with pytest.raises(KeyboardInterrupt), atomic_file(target) as handle:
        handle.write("half of the new")
        raise KeyboardInterrupt
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]


def test_a_replaced_file_keeps_its_mode_and_a_new_one_gets_the_umask(tmp_path):
    kept = tmp_path / "kept.txt"
    kept.write_text("old")
    kept.chmod(0o640)
    write_atomically(kept, "new")
    assert kept.read_text() == "new" and stat.S_IMODE(kept.stat().st_mode) == 0o640
    umask = os.umask(0o022)
    try:
        fresh = tmp_path / "fresh.bin"
        write_atomically(fresh, b"\x00\x01")
        assert stat.S_IMODE(fresh.stat().st_mode) == 0o644  # not mkstemp's 0o600
    finally:
        os.umask(umask)
    copy_atomically(fresh, tmp_path / "copy.bin")
    assert (tmp_path / "copy.bin").read_bytes() == b"\x00\x01"


def test_no_folder_is_created_for_a_write(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomically(tmp_path / "missing" / "x.txt", "x")
    assert not (tmp_path / "missing").exists()


def test_text_is_written_as_utf8_without_newline_translation(tmp_path):
    path = Path(tmp_path / "t.txt")
    write_atomically(path, "é\r\n")
    assert path.read_bytes() == "é\r\n".encode()


# --- documents checked against their models (documents.py) ---------------------------------


def test_a_document_with_many_problems_names_the_first_five_and_counts_the_rest():
    from pydantic import BaseModel, ConfigDict

    from guardrails.tooling.documents import validate_document

    class Row(BaseModel):
        model_config = ConfigDict(extra="forbid")
        amount: float

    text = "[" + ", ".join(f'{{"amount": "x{i}"}}' for i in range(7)) + "]"
    with pytest.raises(GuardrailsError) as err:
        validate_document(list[Row], json.loads(text), "rows.json", text)
    message = str(err.value)
    assert message.startswith(
        "rows.json: [0].amount: must be a number (got 'x0') (line 1, column 13); "
        "[1].amount: must be a number (got 'x1') (line 1, column 31); "
    )
    assert message.endswith(
        "[4].amount: must be a number (got 'x4') (line 1, column 85); and 2 more"
    )
    assert "\n" not in message


def test_without_its_text_a_document_problem_has_no_position():
    from pydantic import BaseModel

    from guardrails.tooling.documents import validate_document

    class Doc(BaseModel):
        name: str

    with pytest.raises(GuardrailsError) as err:
        validate_document(Doc, {"name": 3}, "doc")
    assert str(err.value) == "doc: name: must be a string (got 3)"


def test_a_key_that_is_empty_or_not_printable_is_quoted_in_the_one_line_error():
    from pydantic import BaseModel, ConfigDict

    from guardrails.tooling.documents import validate_document

    class Doc(BaseModel):
        model_config = ConfigDict(extra="forbid")

    with pytest.raises(GuardrailsError) as err:
        validate_document(Doc, {"\n": 1, "": 2}, "doc")
    assert str(err.value) == ("doc: '\\n': is not a known setting; '': is not a known setting")
