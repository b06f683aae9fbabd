"""The fast loader (rapidyaml) is the reference loader (PyYAML's composer), faster: a differential test.

Over every YAML and JSON file in the project (and each again with Windows line ends), the hostile corpus and
generated documents, good and broken: where the fast path takes a document it gives the same values, of the
same types, in the same order, with the same line for every path; where the reference loader refuses one, the
fast path does not take it (so the message is the reference loader's). And the fast path is really taken:
on the project's own files, and on every generated submission.
"""

from __future__ import annotations

import os
import random
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfrules.engine import yamlfast, yamlio
from perfrules.engine.errors import PerfrulesError

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150"))


@pytest.fixture(autouse=True)
def _one_thread(monkeypatch):
    """The fast path stands aside in a process with threads (its parse points stderr away for a moment);
    earlier tests in this process may have left some (a server's), so here it is told there are none."""
    monkeypatch.setattr(yamlfast.threading, "active_count", lambda: 1)


def same(a, b, where="") -> None:
    """Equal and of the same type all the way down (1 == True == Decimal(1) in Python; not here), keys in order."""
    assert type(a) is type(b), f"{where}: {type(a).__name__} {a!r} ≠ {type(b).__name__} {b!r}"
    if isinstance(a, dict):
        assert list(a) == list(b), f"{where}: keys {list(a)} ≠ {list(b)}"
        for key in a:
            same(a[key], b[key], f"{where}/{key}")
    elif isinstance(a, list):
        assert len(a) == len(b), f"{where}: {len(a)} items ≠ {len(b)}"
        for i, (x, y) in enumerate(zip(a, b)):
            same(x, y, f"{where}/{i}")
    elif isinstance(a, Decimal):
        assert a.as_tuple() == b.as_tuple(), f"{where}: {a!r} ≠ {b!r}"   # 1.50 is not 1.5 here
    else:
        assert a == b, f"{where}: {a!r} ≠ {b!r}"


def compare(text: str, name: str = "t.yaml") -> str:
    """'fast', 'reference' (the fast path left it) or 'refused' (and the fast path left it too)."""
    fast = yamlfast.load(text, name)
    try:
        ref = yamlio.load_reference(text, name)
    except PerfrulesError as exc:
        assert fast is None, f"the fast path took a document the reference loader refuses: {exc}\n{text}"
        return "refused"
    if fast is None:
        return "reference"
    same(fast.data, ref.data)
    assert fast.lines == ref.lines, {p: (fast.lines.get(p), ref.lines.get(p)) for p in set(fast.lines) | set(ref.lines)
                                     if fast.lines.get(p) != ref.lines.get(p)}
    assert fast.file == ref.file
    return "fast"


def project_files() -> list[Path]:
    out = []
    for folder in ("rulesets", "examples", "tests", "templates", "docs", "bench"):
        for path in sorted((ROOT / folder).rglob("*")):
            if path.suffix in (".yaml", ".yml", ".json") and path.is_file() and path.stat().st_size < 4_000_000:
                out.append(path)
    return out


def test_the_fast_path_is_in_use_here():
    """rapidyaml is a dependency: were its node layout not as checked, every test below would pass on the
    reference loader alone and prove nothing."""
    assert yamlfast.available()


def test_batch_takes_the_fast_path_and_single_commands_do_not_pay_for_it(tmp_path):
    """`score` of one file does not import rapidyaml (8 ms it would not win back); a batch turns it on."""
    import subprocess
    import sys
    probe = ("import sys; from perfrules.cli import main; sys.argv = ['perfrules', 'score', {seed!r}];\n"
             "try:\n    main()\nexcept SystemExit:\n    pass\nprint('ryml' in sys.modules)")
    seed = str(ROOT / "examples" / "zizhou-hrss-2024.yaml")
    out = subprocess.run([sys.executable, "-c", probe.format(seed=seed)], capture_output=True, text=True, cwd=ROOT)
    assert out.stdout.strip().endswith("False"), out.stdout + out.stderr
    from perfrules.engine.batch import score_one
    was = yamlfast.ENABLED
    calls = []
    real = yamlfast.load
    try:
        yamlfast.load = lambda text, name: calls.append(name) or real(text, name)
        assert not score_one((seed, None, (), False, False)).get("error")
    finally:
        yamlfast.load, yamlfast.ENABLED = real, was
    assert calls and calls[0].endswith("zizhou-hrss-2024.yaml")


def test_every_project_file_reads_the_same_both_ways():
    outcomes: dict[str, list[str]] = {"fast": [], "reference": [], "refused": []}
    for path in project_files():
        raw = path.read_bytes()
        try:
            text, _ = yamlio.decode(raw, path.name)
        except PerfrulesError:
            continue
        outcomes[compare(text, path.name)].append(path.name)
        if "\n" in text and "\r" not in text:
            compare(text.replace("\n", "\r\n"), path.name)
    taken, read = len(outcomes["fast"]), len(outcomes["fast"]) + len(outcomes["reference"])
    assert read > 60 and len(outcomes["refused"]) > 10
    assert taken / read > 0.9, outcomes["reference"]


@pytest.mark.parametrize("folder", ["submissions", "rulesets"])
def test_the_hostile_corpus_is_refused_by_the_reference_loader_alone(folder):
    for path in sorted((ROOT / "tests" / "hostile" / folder).iterdir()):
        try:
            text, _ = yamlio.decode(path.read_bytes(), path.name)
        except PerfrulesError:
            continue
        compare(text, path.name)


def test_generated_submissions_take_the_fast_path(tmp_path):
    import subprocess
    import sys

    subprocess.run([sys.executable, str(ROOT / "bench" / "generate.py"), "40", str(tmp_path)], check=True,
                   capture_output=True)
    outcomes = [compare(p.read_text(encoding="utf-8"), p.name) for p in sorted(tmp_path.glob("*.yaml"))]
    assert outcomes.count("fast") >= 36, outcomes   # the generator writes a few broken files on purpose


# ---------------------------------------------------------------- generated documents

KEYS = ["name", "target", "actual", "points", "预算", "产出指标", "a b", "1", "2024", "true", "null", "~", "yes", "1.5",
        "0x1F", "name", "target", "单位", "level1", "level2", "budget", "total", "rate", "-x", "2025-03-10"]
ODD_KEYS = ["<<", "=", "-", "a:b", "#c", "[x]", "'q'", "\"d\"", "", "a: b", "1e400"]
GOOD = ["100%", "≥90%", "1320.50", "0", "007", "089", "0755", "0x1F", "0o17", "1_000", "1:30", "12:30:45", "+3", "-0",
        ".5", "1.", "1e5", "1.0e+5", "yes", "No", "on", "OFF", "y", "n", "true", "False", "null", "Null", "~", "",
        "2025-03-10", "2025-3-1", "2025-03-10 12:00:00", "神木市交通运输局", "完成年度任务，效果好", "x#c", "a  b", "-x",
        "1.0000000000001", "=", "<<", "it's", "0.1", "559.03", "中文：冒号", "http://x.cn/a", "1,320.50", "a:b"]
BAD = ["a: b", "x #c", "- x", "[a", "{b", "}", "]", ",", "'", '"', "|", ">", "%", "@x", "`x", " lead", "trail ",
       "9" * 45, "1e400", ".inf", "-.Inf", ".NaN", "?x", ":x", "&a", "*a", "!x", "a\tb"]
SCALARS = GOOD + BAD


def scalar(rnd: random.Random, text: str | None, block_ok: bool) -> str:
    if text is None:
        return rnd.choice(["", "~", "null"])
    style = rnd.random()
    if style < 0.6:
        return text
    if style < 0.75 and "'" not in text:
        return f"'{text}'"
    if style < 0.9 and '"' not in text:
        return f'"{text}"'
    if block_ok:
        header = rnd.choice(["|", "|-", "|+", "|2", "|-2", ">", ">-", "| # 说明", "|  ", "|x"])
        body = rnd.choice(["", "  ", "   ", "\n"]).join([text, "more", "  indented", "", "last"][:rnd.randint(1, 5)])
        return header + "\n" + body + rnd.choice(["", "\n", "\n\n"])
    return text


def flow(rnd: random.Random, value, depth: int) -> str:
    sep = rnd.choice([", ", ",", " , ", ",\n  "])
    if isinstance(value, dict):
        inner = sep.join(f"{scalar(rnd, k, False)}: {flow(rnd, v, depth + 1)}" if rnd.random() < 0.95
                         else scalar(rnd, k, False) for k, v in value.items())
        return "{" + rnd.choice(["", " ", "\n  "]) + inner + rnd.choice(["", " "]) + "}"
    if isinstance(value, list):
        return "[" + sep.join(flow(rnd, v, depth + 1) for v in value) + rnd.choice(["", ",", " "]) + "]"
    return scalar(rnd, value, False)


def block(rnd: random.Random, value, indent: int) -> list[str]:
    pad = " " * indent
    lines: list[str] = []
    items = value.items() if isinstance(value, dict) else enumerate(value)
    for key, item in items:
        head = f"{pad}{scalar(rnd, key, False)}:" if isinstance(value, dict) else f"{pad}-"
        if rnd.random() < 0.08:
            lines.append(rnd.choice(["", f"{pad}# 注释", "# comment: x", "   "]))
        if isinstance(item, (dict, list)) and item and rnd.random() < 0.7:
            step = rnd.choice([2, 4]) if isinstance(value, dict) or rnd.random() < 0.5 else 0
            if isinstance(value, list) and isinstance(item, dict) and rnd.random() < 0.6:
                inner = block(rnd, item, indent + 2)   # - key: value on the dash's line
                lines.append(f"{pad}- " + inner[0].lstrip(" ")) if inner else lines.append(head)
                lines.extend(inner[1:])
                continue
            if isinstance(value, dict) and isinstance(item, list) and rnd.random() < 0.3:
                step = 0   # an indentless sequence under its key
            lines.append(head + rnd.choice(["", " # c"]))
            lines.extend(block(rnd, item, indent + max(step, 2 if isinstance(value, list) else step)))
        elif isinstance(item, (dict, list)):
            lines.append(f"{head} {flow(rnd, item, 0)}")
        elif item is None:
            lines.append(head)
        else:
            text = scalar(rnd, item, True)
            if text[:1] in ("|", ">") and "\n" in text:
                first, rest = text.split("\n", 1)
                lines.append(f"{head} {first}")
                lines.extend((pad + "  " + part) if part.strip() else part for part in rest.split("\n"))
            else:
                lines.append(f"{head} {text}" + (" # 说明" if rnd.random() < 0.1 else ""))
    return lines


trees = st.recursive(
    st.one_of(st.sampled_from(GOOD), st.sampled_from(GOOD), st.sampled_from(GOOD), st.sampled_from(BAD), st.text(alphabet="ab中文 :-#,%0123456789.", max_size=6), st.none()),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(KEYS) | st.sampled_from(ODD_KEYS), inner, max_size=4)),
    max_leaves=14)


def mutate(rnd: random.Random, text: str) -> str:
    for _ in range(rnd.choice([0, 0, 1, 2])):
        at = rnd.randrange(len(text) + 1)
        if rnd.random() < 0.5 and text:
            text = text[:at] + text[at + 1:]
        else:
            text = text[:at] + rnd.choice(" :-{}[],#'\"|>\n?%") + text[at:]
    return text


@settings(max_examples=EXAMPLES * 4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees.filter(lambda t: isinstance(t, (dict, list))), st.randoms(use_true_random=False), st.booleans())
def test_generated_documents_read_the_same_both_ways(tree, rnd, broken):
    text = "\n".join(block(rnd, tree, 0)) + "\n"
    if broken:
        text = mutate(rnd, text)
    compare(text)


@settings(max_examples=EXAMPLES * 2, deadline=None)
@given(trees, st.randoms(use_true_random=False))
def test_generated_flow_documents_and_json_read_the_same_both_ways(tree, rnd):
    import json

    compare(flow(rnd, tree, 0) + "\n")
    compare(json.dumps(tree, ensure_ascii=False, indent=rnd.choice([None, 2])), "t.json")


def test_generated_documents_reach_the_fast_path_and_its_refusals():
    """The generator above is not vacuous: from a fixed seed, it makes documents the fast path takes (literal
    blocks, flow rows, typed keys among them), documents it leaves to the reference loader, and documents the
    reference loader refuses; all compared."""
    rnd = random.Random(2026)
    outcomes: dict[str, int] = {"fast": 0, "reference": 0, "refused": 0}
    literal_taken = 0
    for i in range(400):
        tree = _tree(rnd, 3)
        if not isinstance(tree, (dict, list)):
            continue
        text = "\n".join(block(rnd, tree, 0)) + "\n"
        if i % 3 == 0:
            text = mutate(rnd, text)
        outcome = compare(text)
        outcomes[outcome] += 1
        literal_taken += outcome == "fast" and ": |" in text
    assert outcomes["fast"] > 50 and outcomes["reference"] > 20 and outcomes["refused"] > 20, outcomes
    assert literal_taken > 2


def _tree(rnd: random.Random, depth: int):
    if depth == 0 or rnd.random() < 0.3:
        return rnd.choice(BAD) if rnd.random() < 0.01 else rnd.choice(GOOD + [None, "预算执行率", "完成"])
    if rnd.random() < 0.5:
        return [_tree(rnd, depth - 1) for _ in range(rnd.randint(1, 4))]
    return {rnd.choice(ODD_KEYS if rnd.random() < 0.01 else KEYS): _tree(rnd, depth - 1) for _ in range(rnd.randint(1, 4))}


@pytest.mark.parametrize("text", [
    "a: |\n  x\n  y\n", "a: |-\n  x\n\n", "a: |+\n  x\n\n\nb: 1\n", "a: |2\n   x\n  y\n", "- a: |\n    x\n  b: 1\n",
    "narrative:\n  - title: （一）概况\n    body: |-\n      第一段。\n\n        缩进的一行\n      第二段。\n", "a: | # 说明\n  x\n",
    "a: |\n\n  after a blank line\n", "a: |-\n  trailing spaces   \n", "'quoted key': |\n  x\n"])
def test_literal_blocks_take_the_fast_path_and_read_the_same(text):
    assert compare(text) == "fast"
    assert compare(text.replace("\n", "\r\n")) == "fast"


@pytest.mark.parametrize("text", [
    "a: >\n  folded\n  lines\n", "- |\n  item\n", "a: |x\n  y\n", "a: | - x\n", "a: &x 1\nb: *x\n", "a: !!str 1\n",
    "<<: {a: 1}\n", "? a\n: b\n", "--- \na: 1\n", "a: \"x\\ty\"\n", "a:\tb\n", "{a, b: 1}\n",
    "{total: 1,320.50}\n", "- []\n", "-\n- a\n", "a: @x\n", "a: %x\n", "a: b: c\n"])
def test_what_the_fast_path_leaves_is_read_by_the_reference_loader(text):
    assert compare(text) in ("reference", "refused")


def test_a_syntax_error_on_the_fast_path_says_nothing_but_perfrules_message(tmp_path):
    """rapidyaml writes its own English account of a syntax error to stderr before it raises; a user of
    batch sees only perfrules' message, in Chinese, at the line."""
    import subprocess
    import sys
    bad = tmp_path / "units"
    bad.mkdir()
    (bad / "broken.yaml").write_text("unit: 测试局\nindicators: [a, b\nyear: 2024\n", encoding="utf-8")
    out = subprocess.run([sys.executable, "-c", "import sys; from perfrules.cli import main; sys.exit(main())",
                          "batch", str(bad), "-o", str(tmp_path / "s.csv"), "--jobs", "1"],
                         capture_output=True, text=True, cwd=ROOT)
    assert "broken.yaml" in out.stdout + out.stderr and "YAML" in out.stdout + out.stderr
    assert "ERROR" not in out.stderr and "parse_engine" not in out.stderr and "[parse]" not in out.stdout + out.stderr
