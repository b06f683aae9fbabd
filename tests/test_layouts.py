"""Reports in the layouts that exist in the field, read cell by cell against a hand-written truth (issue 23):
Word files built from published templates (tests/layouts/build.py), and the same files printed to PDF by
LibreOffice. Each value is right, wrong or missed; wrong must be 0 (a value read wrong with no message is
the worst defect a reader can have), and in these layouts nothing is missed either."""

from __future__ import annotations

import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from perfrules.engine.api import score_file
from perfrules.engine.formats import load_document
from perfrules.engine.formats.layout import get_path
from perfrules.engine.yamlio import load_file

from .conftest import soffice
from .layouts.build import LAYOUTS, build_docx

HERE = Path(__file__).resolve().parent / "layouts"


def same(a: object, b: object) -> bool:
    if isinstance(a, (int, float, Decimal)) or isinstance(b, (int, float, Decimal)):
        try:
            return Decimal(str(a)).normalize() == Decimal(str(b)).normalize()
        except ArithmeticError:
            return False
    return str(a).replace(" ", "") == str(b).replace(" ", "")


def measure(data: dict, truth: dict) -> dict[str, list[str]]:
    """right / wrong / missed, leaf by leaf."""
    out: dict[str, list[str]] = {"right": [], "wrong": [], "missed": []}

    def check(path: str, expected: object, got: object) -> None:
        if expected is None:   # must stay blank (a merged goal, a score sheet's missing target)
            (out["right"] if got in (None, "") else out["wrong"]).append(f"{path}: {got!r} ≠ blank" if got else path)
        elif got is None or got == "":
            out["missed"].append(path)
        elif same(expected, got):
            out["right"].append(path)
        else:
            out["wrong"].append(f"{path}: {got!r} ≠ {expected!r}")
    for key, expected in truth.items():
        if key in ("indicators", "scores", "unread"):
            continue
        check(key, expected, get_path(data, key))
    rows = data.get("indicators") or []
    for i, row in enumerate(truth.get("indicators") or []):
        got = next((r for r in rows if r.get("name") == row["name"]), None)
        for field, expected in row.items():
            value = (got or {}).get(field)
            if field in ("level1", "level2") and value:   # 产出指标（50分） is the label 产出指标 with its weight
                from perfrules.engine.targets import label_key
                value = expected if label_key(value) == label_key(expected) else value
            check(f"indicators[{row['name']}].{field}", expected, value)
    extra = [r.get("name") for r in rows if r.get("name") not in {t["name"] for t in truth.get("indicators") or []}]
    out["wrong"] += [f"an indicator that is no indicator: {name}" for name in extra]
    return out


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("layouts")
    return {name: build_docx(name, folder) for name in LAYOUTS}


def run_layout(path: Path, name: str):
    """Read a layout file: the truth, the data, right / wrong / missed, and the import itself (its cells and
    its list of what it left unread), each checked against the file."""
    from perfrules.engine.formats.importdump import dump_import
    from .reading import check_cells, check_unread, importer_of
    truth = load_file(HERE / f"{name}.truth.yaml").data
    result = importer_of(path)(path, path.name)
    data = result.document.data
    assert load_document(path).data == data   # score reads what import writes
    check_cells(path, result)
    check_unread(result, truth.get("unread") or [])
    assert load_file_text(dump_import(result, path.name)) == load_file_text(dump_import(result, path.name).split("\n", 1)[1])
    return truth, data, measure(data, truth)


def load_file_text(text: str):
    from perfrules.engine.yamlio import load_text
    return load_text(text, "x.yaml").data


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_word_layout_reads_every_cell_right(built, name):
    truth, data, result = run_layout(built[name], name)
    assert result["wrong"] == [] and result["missed"] == [], result
    print(f"{name}: {len(result['right'])} right, 0 wrong, 0 missed")


@pytest.mark.parametrize("name", sorted(n for n in LAYOUTS if not LAYOUTS[n].get("report_of")))
def test_each_layout_kept_in_excel_reads_every_cell_right(tmp_path, name):
    """The same published layouts as a unit keeps them in Excel (one sheet, merged cells, numbers as numbers,
    percent formats): read by the same table model, cell by cell against the same truth."""
    from .layouts.build import build_xlsx
    truth, data, result = run_layout(build_xlsx(name, tmp_path), name)
    assert result["wrong"] == [] and result["missed"] == [], result


@pytest.fixture(scope="module")
def converted(tmp_path_factory):
    """Each layout kept in Excel, saved again by LibreOffice as Excel 97–2003 (.xls) and OpenDocument (.ods):
    the formats units still send. One LibreOffice run per format converts them all."""
    if shutil.which("soffice") is None:
        pytest.skip("LibreOffice (soffice) is not installed")
    from .layouts.build import build_xlsx
    folder = tmp_path_factory.mktemp("converted")
    sources = [build_xlsx(name, folder) for name in sorted(n for n in LAYOUTS if not LAYOUTS[n].get("report_of"))]
    for fmt in ("xls", "ods"):
        soffice(folder, fmt, sources)
    return folder


@pytest.mark.parametrize("fmt", ["xls", "ods"])
@pytest.mark.parametrize("name", sorted(n for n in LAYOUTS if not LAYOUTS[n].get("report_of")))
def test_each_layout_saved_as_xls_or_ods_reads_every_cell_right(converted, name, fmt):
    """The formats calamine and xlrd read: the same cells, the same truth, percent formats kept (a percent
    cell read as 0.95 would be a wrong value, and would fail here)."""
    path = converted / f"{name}.{fmt}"
    truth, data, result = run_layout(path, name)
    assert result["wrong"] == [] and result["missed"] == [], result


def test_operator_and_unit_columns_score_as_the_table_says(built, tmp_path):
    card = score_file(built["sichuan-project"])
    scores = {r.name: r.score for r in card.indicators}
    for name, expected in load_file(HERE / "sichuan-project.truth.yaml").data["scores"].items():
        assert scores[name] == expected, (name, scores[name])


@pytest.mark.slow
@pytest.mark.skipif(shutil.which("soffice") is None, reason="LibreOffice (soffice) is not installed")
@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_each_layout_as_pdf_reads_every_cell_right(built, tmp_path, name):
    soffice(tmp_path, "pdf", built[name])
    truth, data, result = run_layout(tmp_path / f"{name}.pdf", name)
    assert result["wrong"] == [] and result["missed"] == [], result


def test_the_seed_rebuilt_with_a_six_column_budget_table_scores_84(tmp_path):
    """The seed's indicators under the plain budget table 资金项目 / 全年预算数（万元） / 全年执行数（万元） / 分值 /
    执行率 / 得分: it scored 74 (中) when the budget table was skipped; read, it scores the seed's 84 (良)."""
    from .layouts import build
    seed = load_file(Path(__file__).resolve().parent.parent / "examples" / "zizhou-hrss-2024.yaml").data
    rows = [["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"]]
    for r in seed["indicators"]:
        rows.append([r["level1"], r["level2"], r["name"]] + ["" if r.get(k) is None else str(r[k])
                                                            for k in ("target", "actual", "points", "self_score")])
    build.LAYOUTS["seed-six-column"] = {"title": "子洲县人力资源和社会保障局2024年度单位整体支出绩效自评报告", "tables": [
        [["部门（单位）名称", "子洲县人力资源和社会保障局", "<<", "<<", "<<", "<<"]],
        [["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分"],
         ["年度资金总额", "559.03", "559.03", "10", "100%", "10"]],
        rows]}
    try:
        path = build.build_docx("seed-six-column", tmp_path)
    finally:
        del build.LAYOUTS["seed-six-column"]
    card = score_file(path, "cn/unit-overall@2024.1")
    assert (card.total, card.grade) == (Decimal(84), "良")


def test_a_bureau_adds_its_own_headers_without_code(tmp_path):
    """A header perfrules does not know (考核目标值) is read once a headers.yaml in a --rulesets folder names it."""
    from click.testing import CliRunner

    from perfrules.cli import main
    from .layouts import build
    build.LAYOUTS["own-header"] = {"title": "某县文旅局2024年度部门整体支出绩效自评报告", "tables": [
        [["部门（单位）名称", "某县文旅局", "<<", "<<", "<<"]],
        [["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "得分"], ["合计", "10", "10", "10", "10"]],
        [["一级指标", "二级指标", "三级指标", "考核目标值", "实际完成值", "分值", "得分"],
         ["产出指标", "数量指标", "演出场次", "≥20 场", "22 场", "90", "90"]]]}
    try:
        path = build.build_docx("own-header", tmp_path)
    finally:
        del build.LAYOUTS["own-header"]
    before = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "a.yaml")])
    assert before.exit_code == 4 and "没有年度指标值列" in before.output   # read as far as it goes, and said
    folder = tmp_path / "rs"
    folder.mkdir()
    (folder / "headers.yaml").write_text("indicators:\n  target: [考核目标值]\n", encoding="utf-8")
    after = CliRunner().invoke(main, ["import", str(path), "-o", str(tmp_path / "b.yaml"), "--rulesets", str(folder)])
    assert after.exit_code == 0, after.output
    assert load_file(tmp_path / "b.yaml").data["indicators"][0]["target"] == "≥20 场"
