"""perfrules command line: parses arguments, calls the engine, prints, maps errors to exit codes.

Exit codes: 0 ok; 1 a problem with the user's files; 2 usage; 3 an internal bug (traceback with --debug);
4 (`check` only) the file was checked and error findings exist.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from perfrules.commands.kit import (EXIT_FINDINGS, _dumps, _Group, _input_folders, _json, common, emit, handled,
                                    jobs_option)
from perfrules.commands.rulesets import rulesets
from perfrules.engine import __version__
from perfrules.engine.errors import PerfrulesError


@click.group(cls=_Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="perfrules")
def main() -> None:
    """perfrules：预算绩效自评的声明式评分引擎。

    用版本化的 YAML 规则集给单位的绩效自评表评分、核对并出具报告。自评数据可以是 YAML、JSON、自评表工作簿（.xlsx，也读 .xls、WPS 的 .et
    和 .ods）、Word 自评报告（.docx）或 PDF 报告。

    \b
    例：
      perfrules score examples/zizhou-hrss-2024.yaml
      perfrules score examples/zizhou-hrss-2024.yaml --ruleset cn/project@2020.1 --format json
      perfrules init -o 自评表.xlsx          # 空白自评表 → 填写 → check → report
      perfrules batch 各单位/ -o 汇总.html    # 财政局：全县汇总与审阅页面
    """


@main.command()
@click.argument("file", type=click.Path())
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]",
              help="评分规则集；省略时按自评数据的 ruleset 字段，或按类型和年度自动选择。")
@common
@handled
def score(file: str, ruleset_ref: str | None, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """按规则集给一份自评数据评分。

    输出每个指标的规则得分与说明、分类小计、总分和等级，以及单位自评分与规则得分不一致之处。

    \b
    例：
      perfrules score examples/zizhou-hrss-2024.yaml
      perfrules score examples/zizhou-hrss-2024.yaml --ruleset cn/budget10-free90
      perfrules score examples/zizhou-hrss-2024.yaml --format json > scorecard.json
    """
    from perfrules.engine.api import score_file_with_checks
    card, check_counts = score_file_with_checks(file, ruleset_ref, ruleset_dirs)
    if output_format == "json":
        from perfrules.engine.scorecard import dumps
        emit(dumps({**card.to_json(), "check_counts": check_counts}))
    else:
        from perfrules.engine.textout import check_line, scorecard
        emit(scorecard(card))
        emit(check_line(check_counts, file))


@main.command()
@click.argument("file", type=click.Path())
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]", help="规则集；省略时自动选择（同 score）。")
@click.option("--strict", is_flag=True, help="警告也视为不通过（退出码 4）。")
@common
@handled
def check(file: str, ruleset_ref: str | None, strict: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """核对一份自评数据的自洽性：合计、比率、分数、日期、必填内容。

    逐条列出问题（错误 / 警告 / 提示），每条有稳定的代码、点明数字的中文说明和 文件:行号，按位置排序。

    \b
    退出码：0 没有错误级问题；4 有错误级问题（--strict 时警告也算）；1 文件本身无法读取。
    \b
    例：
      perfrules check examples/zizhou-hrss-2024.yaml
      perfrules check examples/zizhou-hrss-2024.yaml --format json | jq '.findings[].code'
    """
    from perfrules.engine.api import check_file
    card = check_file(file, ruleset_ref, ruleset_dirs)
    if output_format == "json":
        from perfrules.engine.scorecard import dumps
        emit(dumps({"ok": True, "file": card.file, "ruleset": f"{card.ruleset_id}@{card.ruleset_version}",
                    "total": card.total, "grade": card.grade, "counts": card.counts(),
                    "findings": [f.to_json() for f in card.findings]}))
    else:
        from perfrules.engine.textout import findings
        from perfrules.engine.methods import fmt
        emit(f"{card.file} · 规则集 {card.ruleset_id}@{card.ruleset_version} · 规则得分 {fmt(card.total)}（{card.grade}）")
        emit(findings(card.findings))
    counts = card.counts()
    if counts["error"] or (strict and counts["warning"]):
        sys.exit(EXIT_FINDINGS)


main.add_command(rulesets)


@main.command("test")
@click.argument("paths", nargs=-1, type=click.Path())
@click.option("-v", "--verbose", is_flag=True, help="通过的用例也逐条列出。")
@common
@handled
def test_cmd(paths: tuple[str, ...], verbose: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """运行规则集旁边的测试用例（x.test.yaml），每个用例一行 PASS / FAIL。

    PATH 可以是规则集、测试文件或目录；不给时运行搜索路径上的全部测试。
    规则集用到但没有任何用例覆盖的评分方法也算失败。退出码：0 全部通过；4 有失败；1 文件无法读取。

    \b
    例：
      perfrules test
      perfrules test rulesets/cn/unit-overall-2024.1.yaml -v
    """
    from perfrules.engine.ruleset import search_path
    from perfrules.engine.ruletest import discover, run_suite
    dirs = search_path(ruleset_dirs)
    files = discover(paths, dirs)
    suite = run_suite(files, dirs)
    if not suite.cases:   # nothing tested is not a pass
        from perfrules.engine.errors import error
        raise error("没有找到任何测试用例（规则集旁边的 *.test.yaml）", None,
                    "在规则集旁边新建 x.test.yaml 并写上 cases；见 docs/ruleset-guide.md“测试”一节", code="E-TEST")
    if output_format == "json":
        _json({"passed": suite.passed, "cases": [c.to_json() for c in suite.cases], "untested_methods": suite.untested})
    else:
        for case in suite.cases:
            if case.passed and not verbose:
                continue
            emit(f"{'PASS' if case.passed else 'FAIL'}  {case.ruleset} › {case.name}  ({case.location})")
            for failure in case.failures:
                emit(f"      {failure}")
        for ref, methods in suite.untested.items():
            if methods:
                emit(f"FAIL  {ref} 用到的方法没有任何用例覆盖：{', '.join(methods)}")
        failed = sum(1 for c in suite.cases if not c.passed)
        emit(f"{len(suite.cases)} 个用例：{len(suite.cases) - failed} 通过，{failed} 失败。")
    if not suite.passed:
        sys.exit(EXIT_FINDINGS)


@main.command("diff")
@click.argument("a", metavar="A")
@click.argument("b", metavar="B")
@common
@handled
def diff_cmd(a: str, b: str, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """比较两个规则集继承展开后的实际差异：权重、方法、参数、分档、等级、核对规则、模板。

    A、B 为 ID[@版本] 或规则集文件路径。

    \b
    例：
      perfrules diff cn/unit-overall@2024.1 shaanxi/zizhou-unit-overall@2025.1
      perfrules diff cn/unit-overall cn/project --format json
    """
    from perfrules.engine.diff import diff, text
    from perfrules.engine.ruleset import get_ruleset, search_path
    dirs = search_path(ruleset_dirs)
    ra, rb = get_ruleset(a, dirs), get_ruleset(b, dirs)
    changes = diff(ra, rb)
    if output_format == "json":
        _json({"a": ra.ref, "b": rb.ref, "changes": [c.to_json() for c in changes]})
    else:
        emit(text(ra, rb, changes))


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("--against", required=True, metavar="ID[@VERSION]", help="新规则集。")
@click.option("--baseline", metavar="ID[@VERSION]", help="原规则集；省略时用每份数据原本适用的规则集。")
@click.option("-o", "--output", "out", type=click.Path(dir_okay=False),
              help="写入文件而不是打印：.html（可离线打开的对比页面）、.csv、.json")
@click.option("--trust-submission-ruleset", "trust", is_flag=True,
              help="按自评数据中 ruleset 字段指定的规则集评分（默认按财政局适用的规则集，另行指定的只记为发现）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@jobs_option
@common(formats=("text", "json", "csv"))
@handled
def replay(paths: tuple[str, ...], against: str, baseline: str | None, out: str | None, trust: bool, force: bool,
           jobs: int | None, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """用新规则集重新评分一批自评数据，看总分和等级怎样变化。

    列出每份数据在原规则集与新规则集下的总分、等级和变化，哪些单位跨过等级界线，以及各等级的单位数。
    无法评分的文件单独列出，不中断；此时退出码为 4。结果与并行进程数无关（逐字节相同）。

    \b
    例：
      perfrules replay examples/ --against shaanxi/zizhou-unit-overall@2025.1 --baseline cn/unit-overall@2024.1
      perfrules replay units/ --against cn/project@2020.1 --format csv > replay.csv
      perfrules replay units/ --against shaanxi/zizhou-unit-overall@2025.1 -o 对比.html
    """
    from perfrules.engine import replay as rp
    if out:   # before any work: never replay a county and then find the output may not be written
        from pathlib import Path

        from perfrules.engine.collect import collect
        from perfrules.engine.files import check_output
        check_output(Path(out), [*collect(paths).files, *paths], force)
    from perfrules.engine.processes import auto_jobs
    after, rows = rp.replay(paths, against, baseline, ruleset_dirs, trust, auto_jobs() if jobs is None else jobs,
                            fallback=jobs is None)
    if out:
        from pathlib import Path

        from perfrules.engine.errors import Location, error
        from perfrules.engine.files import atomic_write
        suffix = Path(out).suffix.lower()
        writers = {".html": lambda: rp.to_html(after, rows), ".htm": lambda: rp.to_html(after, rows),
                   ".csv": lambda: rp.to_csv(rows),
                   ".json": lambda: _dumps({"against": after.ref, "rows": [r.to_json() for r in rows]})}
        if suffix not in writers:
            raise error(f"无法从扩展名 '{suffix or '（无）'}' 判断输出格式", Location(out), "请用 .html、.csv 或 .json 结尾",
                        code="E-USAGE")
        atomic_write(Path(out), writers[suffix](), [Path(p) for p in paths], force)
        emit(f"已写出 {out}")
        if any(r.error for r in rows):
            sys.exit(EXIT_FINDINGS)
        return
    if output_format == "json":
        _json({"against": after.ref, "rows": [r.to_json() for r in rows],
               "grades": [{"grade": g, "before": x, "after": y} for g, x, y in rp.grade_counts(rows, after)]})
    elif output_format == "csv":
        click.echo(rp.to_csv(rows), nl=False)
    else:
        emit(rp.text(after, rows))
    if any(r.error for r in rows):
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="汇总文件；格式由扩展名决定：.csv .json .xlsx .html（可离线打开的审阅页面）")
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]",
              help="统一使用的规则集；省略时每份数据按类型、年度、地区用其适用的规则集（不采用数据自己指定的）。")
@jobs_option
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@click.option("--trust-submission-ruleset", "trust", is_flag=True,
              help="按自评数据中 ruleset 字段指定的规则集评分（默认按财政局适用的规则集，另行指定的只记为发现）。")
@common
@handled
def batch(paths: tuple[str, ...], out: str, ruleset_ref: str | None, jobs: int | None, force: bool, trust: bool,
          output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """批量评分：一个县、一个省的全部自评数据，一次评完，写出汇总表。

    每份数据一行：单位、年度、规则集、规则总分、等级、自报总分、差异、错误数、警告数、文件。
    无法评分的文件不中断，逐个列出原因；目录中没有读取的其他文件也列出。终端上显示进度条。
    结果与文件顺序、并行进程数无关（逐字节相同）。输出文件不会是任何输入文件。
    退出码：0 全部评分；4 有文件无法评分（汇总照常写出）；1 无法写出汇总。

    \b
    例：
      perfrules batch units/ -o 汇总.xlsx
      perfrules batch units/ other/*.yaml -o 汇总.csv --jobs 4
      perfrules batch units/ -o 汇总.json --ruleset cn/unit-overall@2024.1
      perfrules batch units/ -o 汇总.html                 # 审阅页面：图表、可排序筛选的单位表
    """
    from pathlib import Path

    from perfrules.engine import batch as bt
    from perfrules.engine.collect import collect
    from perfrules.engine.errors import Location, error
    from perfrules.engine.files import atomic_write, check_output
    from perfrules.engine.sinks import SINKS
    make_sink = SINKS.get(Path(out).suffix.lower())
    if make_sink is None:
        raise error(f"无法从扩展名 '{Path(out).suffix or '（无）'}' 判断汇总格式", Location(out),
                    "汇总文件请用 .csv、.json、.xlsx 或 .html 结尾")
    asked = jobs is not None
    processes = bt.auto_jobs() if jobs is None else jobs
    with bt.workers(processes, fallback=not asked) as pool:   # started before the file list is made (see workers)
        processes = processes if pool is not None else 1
        found = collect(paths)
        inputs: list[str | Path] = [*found.files, *paths]
        check_output(Path(out), inputs, force)   # before any work: never score a file and then write over it
        sink = make_sink(paths)
        try:
            if sys.stderr.isatty() and output_format == "text":
                with click.progressbar(length=len(found.files), label="评分中", file=sys.stderr) as bar:
                    summary = bt.run(found, ruleset_ref, ruleset_dirs, processes, sink, bar.update, trust, pool)
            else:
                summary = bt.run(found, ruleset_ref, ruleset_dirs, processes, sink, trust_submission=trust, pool=pool)
            if pool is not None:
                pool.shutdown()   # the workers' memory is given back before the summary is written
            atomic_write(Path(out), sink.finish(summary), inputs, force)
        finally:
            sink.close()
    if output_format == "json":
        _json({"ok": not summary.errors, "output": out, **summary.to_json(), "errors": summary.errors})
    else:
        emit(bt.text_summary(summary))
        emit(f"\n已写出 {out}")
    if summary.errors:
        sys.exit(EXIT_FINDINGS)


@main.command()
@click.argument("file", type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="输出文件；格式由扩展名决定：.md .html .pdf .docx")
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]", help="规则集；省略时自动选择（同 score）。")
@click.option("--template", "template_ref", metavar="SET@VERSION", help="报告模板；省略时用规则集指定的模板。")
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(), callback=_input_folders,
              help="额外的模板目录（可重复；优先于 PERFRULES_TEMPLATES 和内置目录）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def report(file: str, out: str, ruleset_ref: str | None, template_ref: str | None, template_dirs: tuple[str, ...],
           force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """按官方格式生成自评报告（Markdown、HTML、PDF、Word），单位自评分与按规则复核的分数并列，结论以复核为准。

    报告末尾的附录列出单位自评分与规则得分不一致之处和核对发现的问题，并注明规则集、数据和模板的来源。
    写出是原子的：出错时不留下半个文件，也不会覆盖输入文件。

    \b
    例：
      perfrules report examples/zizhou-hrss-2024.yaml -o 自评报告.html
      perfrules report examples/zizhou-hrss-2024.yaml -o 自评报告.pdf
      perfrules report examples/zizhou-hrss-2024.yaml -o 自评报告.docx --template unit-overall@1
    """
    from perfrules.engine.api import report_file
    used = report_file(file, out, ruleset_ref, template_ref, ruleset_dirs, template_dirs, force)
    if output_format == "json":
        _json({"ok": True, "output": out, "template": used})
    else:
        emit(f"已生成 {out}（模板 {used}）")


@main.command("init")
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False), help="输出的 .xlsx 文件。")
@click.option("--ruleset", "ruleset_ref", metavar="ID[@VERSION]", help="按该规则集的类别生成下拉列表和指标行。")
@click.option("--kind", type=click.Choice(["unit-overall", "project"]), help="评价类型（未给 --ruleset 时用于选择规则集）。")
@click.option("--year", type=click.IntRange(1990, 2100), help="评价年度；默认上一年。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def init_cmd(out: str, ruleset_ref: str | None, kind: str | None, year: int | None, force: bool, output_format: str,
             ruleset_dirs: tuple[str, ...]) -> None:
    """生成空白的自评表（Excel 工作簿），按规则集的官方格式：基本信息、预算执行、绩效目标、绩效指标、
    自评结论、评价小组、评价报告，以及填表说明。黄色单元格为填写区，标签已锁定（无密码）。

    填好后可直接用于 check、score、report、batch。

    \b
    例：
      perfrules init -o 自评表.xlsx
      perfrules init --kind project --year 2024 -o 项目自评表.xlsx
      perfrules init --ruleset shaanxi/zizhou-unit-overall@2025.1 -o 自评表.xlsx
    """
    from pathlib import Path

    from perfrules.engine.errors import Location, error
    from perfrules.engine.files import atomic_write
    from perfrules.engine.convert import blank_form
    if Path(out).suffix.lower() != ".xlsx":
        raise error("自评表请用 .xlsx 结尾", Location(out), "例如 -o 自评表.xlsx", code="E-USAGE")
    atomic_write(Path(out), blank_form(ruleset_ref, kind, year, ruleset_dirs), (), force)
    if output_format == "json":
        _json({"ok": True, "output": out})
    else:
        emit(f"已生成 {out}：在黄色单元格中填写，然后运行 perfrules check {out}")


@main.command("convert")
@click.argument("source", metavar="IN", type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(dir_okay=False),
              help="输出文件；格式由扩展名决定：.yaml .json .xlsx")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def convert_cmd(source: str, out: str, force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """在 YAML、JSON、Excel（.xlsx）之间转换自评数据；也可从 Word 自评报告（.docx）转出。

    只转换有效的自评数据；YAML → xlsx → YAML 得到同一份数据。

    \b
    例：
      perfrules convert examples/zizhou-hrss-2024.yaml -o 自评表.xlsx
      perfrules convert 自评表.xlsx -o 自评数据.yaml
    """
    from pathlib import Path

    from perfrules.engine.convert import convert
    convert(Path(source), Path(out), ruleset_dirs, force)
    if output_format == "json":
        _json({"ok": True, "output": out})
    else:
        emit(f"已写出 {out}")


@main.command("import")
@click.argument("sources", metavar="FILE...", nargs=-1, required=True, type=click.Path())
@click.option("-o", "--output", "out", required=True, type=click.Path(),
              help="输出的 .yaml 文件；导入多个文件时为输出目录（每个文件一份 .yaml）。")
@click.option("--force", is_flag=True, help="覆盖已存在的输出文件（perfrules 写出后未经改动的文件不需要；输入文件在任何情况下都不会被覆盖）。")
@common
@handled
def import_cmd(sources: tuple[str, ...], out: str, force: bool, output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """从 Word 自评报告（.docx；有 LibreOffice 时也可 .doc）、PDF 报告或自评表工作簿（.xlsx、.xls、.et、.ods）读出自评数据，写成 YAML。

    按表头找自评表（指标表、预算表、年度总体目标、评价小组），按标题层级读评价报告正文，读出正文所述的总分和等级。
    每处需要解读的单元格在 YAML 中有注释，每个值的行尾注明读自哪个单元格（表2!R5C4、第3页!表2!R5C4、Sheet1!E12）；
    读不出的内容留空并列出，不猜测，退出码为 4；表格中没有读的列、行和单元格也逐一列出（不影响退出码）。

    \b
    例：
      perfrules import 自评报告.docx -o 自评数据.yaml
      perfrules import 收到的报告/*.docx -o 自评数据/
      perfrules import 自评报告.pdf -o 自评数据.yaml
      perfrules import 项目支出绩效自评表.xlsx -o 自评数据.yaml
    """
    from pathlib import Path

    from perfrules.engine.files import atomic_write
    from perfrules.engine.formats.docx_import import dump_import, import_document, import_legacy_doc
    from perfrules.engine.errors import Location, error
    target = Path(out)
    many = len(sources) > 1 or target.is_dir()
    if many and not target.is_dir():
        raise error("导入多个文件时 -o 应是已存在的目录", Location(out), f"先创建目录：mkdir {out}", code="E-USAGE")
    results: list[dict[str, Any]] = []
    from perfrules.engine.formats import sniff, workbook_kind
    for source in sources:
        path = Path(source)
        kind = sniff(path, source)   # by content, through the same regular-file check as score: a FIFO or a
        if kind == "empty":          # device is refused before a byte is read
            raise error("文件是空的（0 字节）", Location(source), "请确认选对了文件", code="E-EMPTY")
        legacy = kind == "ole" and path.suffix.lower() == ".doc"
        if kind == "pdf":
            from perfrules.engine.formats.pdf_import import import_pdf
            result = import_pdf(path, source, ruleset_dirs)
        elif workbook_kind(path, kind) is not None:   # a workbook's guard says what else a .xlsx is
            from perfrules.engine.formats.xlsx import import_workbook
            result = import_workbook(path, source, tuple(ruleset_dirs), workbook_kind(path, kind))
        elif not legacy and kind != "docx" and path.suffix.lower() != ".docx":
            raise error("只能导入 Word 文档（.docx，或有 LibreOffice 时的 .doc）、PDF 报告或自评表工作簿（.xlsx、.xls、.ods）",
                        Location(source), "其他格式请先另存为 .docx 或 .xlsx", code="E-FORMAT")
        else:
            if legacy:
                result = import_legacy_doc(path, source)
            else:   # a damaged .docx: its guard says so; a bureau's headers.yaml in --rulesets is read too
                result = import_document(path, source, tuple(ruleset_dirs))
        dest = target / (path.stem + ".yaml") if many else target
        atomic_write(dest, dump_import(result, path.name), [Path(s) for s in sources], force)
        results.append({"file": source, "output": str(dest), "indicators": len(result.document.data.get("indicators", [])),
                        "problems": result.problems, "unread": result.unread})
    if output_format == "json":
        _json({"ok": not any(r["problems"] for r in results), "imported": results})
    else:
        for r in results:
            emit(f"{r['file']} → {r['output']}：{r['indicators']} 个指标" + (f"，{len(r['problems'])} 处需要手工填写：" if r["problems"] else ""))
            for problem in r["problems"]:
                emit(f"  - {problem}")
            if r["unread"]:
                emit("  表格中未读的内容（不影响评分；详见输出文件开头）：")
                for line in r["unread"]:
                    emit(f"  · {line}")
    if any(r["problems"] for r in results):
        sys.exit(EXIT_FINDINGS)


@main.group()
def templates() -> None:
    """报告模板。

    \b
    例：
      perfrules templates list
    """


@templates.command("list")
@click.option("--templates", "template_dirs", multiple=True, type=click.Path(), callback=_input_folders,
              help="额外的模板目录。")
@common
@handled
def templates_list(template_dirs: tuple[str, ...], output_format: str, ruleset_dirs: tuple[str, ...]) -> None:
    """列出可用的报告模板（模板集@版本、标题、继承、可用格式、目录）。

    \b
    例：
      perfrules templates list
      perfrules templates list --templates ./my-templates --format json
    """
    from perfrules.engine import render
    dirs = render.template_dirs(template_dirs)
    items: list[dict[str, Any]] = []
    for ts in render.list_templates(dirs):
        formats = [f for f in ("md", "html", "pdf", "docx") if _has_format(render, ts, f, dirs)]
        items.append({"template": ts.ref, "title": ts.title, "extends": ts.extends, "formats": formats,
                      "folder": str(ts.folder)})
    if output_format == "json":
        _json(items)
        return
    from perfrules.engine.textout import table
    emit(table(["模板", "标题", "继承", "格式", "目录"],
               [[i["template"], i["title"], i["extends"] or "—", " ".join(i["formats"]), i["folder"]] for i in items]))


def _has_format(render: Any, ts: Any, fmt: str, dirs: Any) -> bool:
    try:
        render.source_for(ts, fmt, dirs)
        return True
    except PerfrulesError:
        return False


if __name__ == "__main__":
    main()


def _port_free(host: str, port: int) -> None:
    """Say at once when the address cannot be listened on (a port in use, an address not of this machine)."""
    import socket
    from perfrules.engine.errors import Location, error
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror:
        raise error(f"无法解析监听地址 {host}", Location(f"{host}:{port}"), "用本机的 IP 地址，或 0.0.0.0", code="E-USAGE") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            import errno
            busy = exc.errno == errno.EADDRINUSE
            raise error(f"端口 {port} 已被占用" if busy else f"无法在 {host}:{port} 监听（{exc.strerror}）",
                        Location(f"{host}:{port}"),
                        "换一个端口（--port 8080），或先停止占用它的程序" if busy else "检查 --host 是否为本机地址",
                        code="E-IO") from None


@main.command("serve")
@click.option("--data", "data_dir", default="perfrules-data", show_default=True, type=click.Path(file_okay=False),
              help="数据目录：SQLite 数据库、上传的文件（按 sha256 保存）、会话密钥。")
@click.option("--db", "db_url", metavar="URL", help="数据库地址，默认为数据目录中的 SQLite；"
              "PostgreSQL 例如 postgresql+psycopg://perfrules:密码@127.0.0.1/perfrules")
@click.option("--host", default="127.0.0.1", show_default=True, help="监听地址；内网访问用本机内网 IP 或 0.0.0.0。")
@click.option("--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="端口。")
@click.option("--threads", default=8, show_default=True, type=click.IntRange(1, 64), help="处理请求的线程数。")
@click.option("--workers", type=click.IntRange(0, 64), default=None,
              help="评分用的工作进程数；默认为 CPU 核数（0：在请求线程中评分）。")
@click.option("--secure-cookies", is_flag=True, help="会话 Cookie 只经 HTTPS 发送（在 HTTPS 反向代理之后时使用）。")
@click.option("--proxy", type=click.IntRange(0, 5), default=0, show_default=True,
              help="前面有几层反向代理（nginx 等）：信任其 X-Forwarded-For，登录限制按真实的客户端地址计。")
@click.option("--rulesets", "ruleset_dirs", multiple=True, type=click.Path(), callback=_input_folders,
              help="额外的规则集目录（可重复；优先于 PERFRULES_PATH 和内置目录）。")
@handled
def serve_cmd(data_dir: str, db_url: str | None, host: str, port: int, threads: int, workers: int | None,
              secure_cookies: bool, proxy: int, ruleset_dirs: tuple[str, ...]) -> None:
    """在本机运行评价平台：财政局建立轮次、加入单位；单位下载自评表、上传、查看评分、送审；
    财政局复核、退回、导出。首次启动时建立财政局账号 admin，密码只显示这一次。

    \b
    例：
      perfrules serve
      perfrules serve --data D:\\绩效自评 --host 0.0.0.0 --port 8080
      perfrules serve --db postgresql+psycopg://perfrules:密码@127.0.0.1/perfrules
      perfrules serve --db postgresql+psycopg://… --data /mnt/共享/perfrules --port 8001 --proxy 1   # 省级多台
    """
    import logging
    import signal

    from waitress import serve

    from perfrules.web.app import create_app, ensure_first_account
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    import os
    _port_free(host, port)   # before the data folder and the first account are made
    app = create_app(data_dir, db_url, ruleset_dirs, secure_cookies=secure_cookies,
                     workers=(os.cpu_count() or 1) if workers is None else workers, proxy=proxy)
    password = ensure_first_account(app)
    app.extensions["perfrules"]["scorer"].start()
    if password:
        emit(f"已建立财政局账号 admin，初始密码：{password}")
        emit("此密码只显示这一次：请登录后在“修改密码”中改掉。")
    emit(f"perfrules 评价平台：http://{host}:{port}/  （数据目录 {data_dir}；按 Ctrl+C 停止）")
    def stop(_signum: int, _frame: Any) -> None:   # a service manager's SIGTERM ends it as Ctrl+C does
        raise KeyboardInterrupt
    if hasattr(signal, "SIGTERM"):
        signal.signal(signal.SIGTERM, stop)
    try:
        serve(app, host=host, port=port, threads=threads, ident="perfrules", max_request_body_size=16 * 1024 * 1024)
    except KeyboardInterrupt:
        emit("已停止。")
    finally:
        app.extensions["perfrules"]["scorer"].close()
        app.extensions["perfrules"]["hasher"].close()
