import codecs
import os
from decimal import Decimal
from decimal import Decimal as D

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfrules.engine.errors import PerfrulesError
from perfrules.engine.yamlio import MAX_DEPTH, load_bytes, load_text


def test_floats_become_decimal_from_source_text():
    doc = load_text("a: 2.675\nb: 0.1\nc: 559.03\nd: 7\n", "x.yaml")
    assert doc.data == {"a": D("2.675"), "b": D("0.1"), "c": D("559.03"), "d": 7}
    assert all(not isinstance(v, float) for v in doc.data.values())


def test_lines_are_recorded_by_path():
    doc = load_text("a: 1\nitems:\n  - name: x\n    target: 5\n  - name: y\n", "x.yaml")
    assert doc.line(("items", 0, "target")) == 4
    assert doc.line(("items", 1)) == 5
    assert str(doc.loc(("items", 1, "name"))) == "x.yaml:5: $.items[1].name"


def test_dates_stay_text():
    assert load_text("d: 2025-03-10\n", "x.yaml").data == {"d": "2025-03-10"}


@pytest.mark.parametrize("text,code,fragment", [
    ("a: 1\na: 2\n", "E-DUPKEY", "重复"),
    ("a: .nan\n", "E-NUMBER", "不是有限的数"),
    ("a: .inf\n", "E-NUMBER", "不是有限的数"),
    ("a: !!python/object:os.system {}\n", "E-YAML", "不支持的 YAML 标签"),
    ("a: [1, 2\n", "E-YAML", "YAML 语法错误"),
    ("", "E-EMPTY", "空"),
    ("# only a comment\n", "E-EMPTY", "空"),
    ("a: !!binary aGVsbG8=\n", "E-YAML", "标签"),
])
def test_bad_yaml_is_a_clear_error(text, code, fragment):
    with pytest.raises(PerfrulesError) as info:
        load_text(text, "x.yaml")
    assert info.value.first.code == code
    assert fragment in info.value.first.message


def test_duplicate_key_names_both_lines():
    with pytest.raises(PerfrulesError) as info:
        load_text("unit: a\nyear: 1\nunit: b\n", "x.yaml")
    assert info.value.first.location.line == 3
    assert "第 1 行" in info.value.first.message


def test_alias_bomb_is_refused_quickly():
    lines = ["a0: &a0 [x, x, x, x, x, x, x, x, x, x]"]
    for i in range(1, 9):
        lines.append(f"a{i}: &a{i} [" + ", ".join([f"*a{i-1}"] * 10) + "]")
    with pytest.raises(PerfrulesError) as info:
        load_text("\n".join(lines) + "\n", "bomb.yaml")
    assert info.value.first.code == "E-LIMIT"


def test_deep_nesting_is_refused():
    text = "a: " + "[" * (MAX_DEPTH + 5) + "]" * (MAX_DEPTH + 5) + "\n"
    with pytest.raises(PerfrulesError) as info:
        load_text(text, "deep.yaml")
    assert info.value.first.code == "E-LIMIT"


@pytest.mark.parametrize("kind", ["text", "number", "list"])
def test_the_depth_limit_counts_a_value_as_deep_as_its_key(kind):
    """A value at depth MAX_DEPTH loads and one level deeper is refused, whatever the value is (plain text
    takes a shorter path through the loader than numbers and lists, and must stop at the same depth)."""
    value = {"text": "子洲县", "number": "5", "list": "[]"}[kind]

    def nested(levels: int) -> str:   # the value sits at depth levels + 1 (the root mapping is depth 0)
        return "k: " + "{a: " * levels + value + "}" * levels + "\n"
    load_text(nested(MAX_DEPTH - 1), "ok.yaml")
    with pytest.raises(PerfrulesError) as info:
        load_text(nested(MAX_DEPTH), "deep.yaml")
    assert info.value.first.code == "E-LIMIT"


def test_merge_keys_work():
    doc = load_text("base: &b {x: 1, y: 2}\nchild:\n  <<: *b\n  y: 3\n", "x.yaml")
    assert doc.data["child"] == {"x": 1, "y": 3}


@pytest.mark.parametrize("raw,encoding", [
    ("单位: 子洲县\n".encode("utf-8"), "utf-8"),
    (codecs.BOM_UTF8 + "单位: 子洲县\n".encode("utf-8"), "utf-8-sig"),
    ("单位: 子洲县\n".encode("gb18030"), "gb18030"),
    ("单位: 子洲县\n".encode("gbk"), "gb18030"),
    ("单位: 子洲县\n".encode("utf-16"), "utf-16"),
])
def test_encodings_are_detected(raw, encoding):
    doc = load_bytes(raw, "x.yaml")
    assert doc.data == {"单位": "子洲县"}
    assert doc.encoding == encoding


def test_binary_is_refused():
    with pytest.raises(PerfrulesError) as info:
        load_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00", "x.png")
    assert info.value.first.code == "E-ENCODING"


def test_json_is_read_as_yaml():
    doc = load_text('{"a": 1.10, "b": [1, 2]}', "x.json")
    assert doc.data == {"a": D("1.10"), "b": [1, 2]}


@pytest.mark.parametrize("name", ["x.json", "X.JSON"])
def test_a_json_syntax_error_is_said_as_json_with_a_hint_about_brackets_not_indentation(name):
    """A unit whose system exports JSON reads about JSON: brackets, commas and quotes, not YAML's indentation."""
    with pytest.raises(PerfrulesError) as info:
        load_text('{"unit": "x", "indicators": [}', name)
    d = info.value.first
    assert d.code == "E-YAML" and d.location.line == 1
    assert d.message.startswith("JSON 语法错误") and "双引号" in (d.hint or "") and "缩进" not in (d.hint or "")
    with pytest.raises(PerfrulesError) as info:
        load_text('unit: x\nindicators: [\n', "x.yaml")
    assert info.value.first.message.startswith("YAML 语法错误") and "缩进" in (info.value.first.hint or "")


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")) * 2, deadline=None)
@given(st.one_of(st.from_regex(r"\A[+-]?[0-9_]{1,18}\Z"), st.from_regex(r"\A[0-9]{1,3}\.[0-9]{0,4}\Z"),
                 st.integers(min_value=0, max_value=10 ** 16).map(str)))
def test_memoised_numbers_read_as_yaml_reads_them(text):
    """The fast paths for numbers (plain integers, repeated texts) give PyYAML's value, twice in a row."""
    import yaml
    expected = yaml.safe_load(f"v: {text}")["v"]
    for _ in range(2):
        try:
            got = load_text(f"v: {text}\n", "t.yaml").data["v"]
        except PerfrulesError:
            assert not isinstance(expected, (int, float)) or isinstance(expected, bool) or abs(expected) >= 10 ** 15 \
                or len(text) > 40 or (isinstance(expected, float) and len(text.split(".")[-1]) > 12)
            continue
        if isinstance(expected, float):
            assert got == Decimal(text), (text, got)
        else:
            assert got == expected and type(got) is type(expected), (text, got, expected)


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")) * 2, deadline=None)
@given(st.one_of(st.text(max_size=12), st.from_regex(r"\A[0-9]{1,6}(\.[0-9]{0,3})?\Z"),
                 st.sampled_from(["yes", "No", "~", "null", "2024-01-01", "=", "<<", ".inf", "0x1F", "0755", "089",
                                  "1_000", "1:30", "产出指标", "id", "true", "Off", "+1", "-.5", "1.", "1e3", ""])))
def test_plain_scalars_are_typed_as_pyyaml_types_them(text):
    """The resolver's shortcuts (no lookup for text that no implicit type can begin with, the memo for the
    rest) give the tag PyYAML's own resolver gives, every time a text recurs."""
    import yaml

    from perfrules.engine.yamlio import _Loader

    ours, theirs = _Loader(""), yaml.SafeLoader("")
    for _ in range(2):
        assert ours.resolve(yaml.ScalarNode, text, (True, False)) == theirs.resolve(yaml.ScalarNode, text, (True, False))
