"""Word files in the layouts of published self-evaluation tables, built cell for cell (issue 23).

Each layout is a list of tables; a table is rows of cells. A cell "<<" continues the cell to its left (a
horizontal merge, gridSpan), "^^" the cell above it (a vertical merge). Every layout notes its public source;
the figures are made up, the shapes are the published ones. The truth of each is in <name>.truth.yaml
beside this file, written by hand from the table, never from what perfrules reads.
"""

from __future__ import annotations

from pathlib import Path

HERE = Path(__file__).resolve().parent

IND = ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"]

LAYOUTS: dict[str, dict] = {
    # 财政部 财预〔2020〕10号 附件：项目支出绩效自评表，one table from 项目名称 to 总分.
    "mof2020-project": {"title": "某县2024年度职业技能培训项目支出绩效自评报告", "tables": [[
        ["项目名称", "职业技能培训补贴", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["主管部门", "某县人力资源和社会保障局", "<<", "<<", "实施单位", "某县就业服务中心", "<<", "<<"],
        ["项目资金（万元）", "", "年初预算数", "全年预算数", "全年执行数", "分值", "执行率", "得分"],
        ["^^", "年度资金总额", "120", "120", "114", "10", "95%", "9.5"],
        ["^^", "其中：当年财政拨款", "120", "120", "114", "—", "—", "—"],
        ["^^", "上年结转资金", "0", "0", "0", "—", "—", "—"],
        ["^^", "其他资金", "0", "0", "0", "—", "—", "—"],
        ["年度总体目标", "预期目标", "<<", "<<", "实际完成情况", "<<", "<<", "<<"],
        ["^^", "完成培训 600 人次", "<<", "<<", "完成培训 620 人次", "<<", "<<", "<<"],
        IND,
        ["产出指标", "数量指标", "培训人次", "≥600 人次", "620 人次", "30", "30", ""],
        ["^^", "质量指标", "取证率", "≥80%", "85%", "20", "20", ""],
        ["效益指标", "社会效益指标", "培训后就业率", "≥70%", "63%", "30", "27", "部分学员外出务工未登记"],
        ["满意度指标", "服务对象满意度指标", "学员满意度", "≥90%", "95%", "10", "10", ""],
        ["总分", "<<", "<<", "<<", "<<", "100", "96.5", ""],
    ]]},
    # 四川 部门预算项目支出绩效自评表（2023年度）as counties publish it: 指标性质 / 指标值 / 度量单位 / 完成值 /
    # 权重 / 得分 / 未完成原因分析, budget rows 总额 / 其中：财政资金 / 单位资金 / 其他资金, and 合计, 评价结论,
    # 存在问题, 改进措施 and the signatures under the indicators.
    "sichuan-project": {"title": "某县司法局2024年度项目支出绩效自评报告", "tables": [[
        ["项目名称", "法律援助经费", "<<", "<<", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["主管部门", "某县司法局", "<<", "<<", "实施单位", "某县法律援助中心", "<<", "<<", "<<", "<<"],
        ["预算执行情况（万元）", "年初预算", "调整后预算数", "预算执行数", "预算执行率", "权重", "得分", "原因", "<<", "<<"],
        ["总额", "50", "60", "57", "95%", "10", "9.5", "", "<<", "<<"],
        ["其中：财政资金", "50", "60", "57", "95%", "/", "/", "", "<<", "<<"],
        ["单位资金", "0", "0", "0", "0%", "/", "/", "", "<<", "<<"],
        ["一级指标", "二级指标", "三级指标", "指标性质", "指标值", "度量单位", "完成值", "权重", "得分", "未完成原因分析"],
        ["产出指标", "数量指标", "服务人次", "≥", "2", "万人次", "15000人次", "60", "45", "群众需求少于预期"],
        ["效益指标", "社会效益指标", "群众投诉率", "≤", "5", "%", "3", "30", "30", ""],
        ["合计", "<<", "<<", "<<", "<<", "<<", "<<", "90", "75", ""],
        ["评价结论", "项目总体完成，服务人次未达到目标。", "<<", "<<", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["存在问题", "宣传不足。", "<<", "<<", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["改进措施", "加强宣传。", "<<", "<<", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["项目负责人：张三", "<<", "<<", "<<", "<<", "财务负责人：李四", "<<", "<<", "<<", "<<"],
    ]]},
    # Platform exports (预算管理一体化系统): 指标名称 / 年初指标值 / 调整指标值 / 全年完成值 / 指标权重（分） /
    # 指标得分（分）; the adjusted target, when filled, is the one scored.
    "platform-adjusted": {"title": "某县农业农村局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县农业农村局", "<<", "<<", "<<", "<<", "<<"],
    ], [
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分", ""],
        ["年度资金总额", "800", "760", "10", "95%", "9.5", ""],
    ], [
        ["一级指标", "二级指标", "指标名称", "年初指标值", "调整指标值", "全年完成值", "指标权重（分）", "指标得分（分）"],
        ["产出指标", "数量指标", "高标准农田建设面积", "≥1000 亩", "≥1200 亩", "1250 亩", "50", "50"],
        ["效益指标", "经济效益指标", "农民人均增收", "≥500 元", "", "520 元", "40", "40"],
    ]]},
    # A two-row header: 绩效指标 over 年度指标值 | 实际完成值 (the header is not the table's first row either).
    "two-row-header": {"title": "某县民政局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县民政局", "<<", "<<", "<<", "<<"],
    ], [
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分"],
        ["合计", "300", "300", "10", "100%", "10"],
    ], [
        ["年度绩效指标完成情况", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["一级指标", "二级指标", "三级指标", "绩效指标", "<<", "分值", "得分"],
        ["^^", "^^", "^^", "年度指标值", "实际完成值", "^^", "^^"],
        ["产出指标", "数量指标", "救助人数", "≥300 人", "310 人", "50", "50"],
        ["满意度指标", "服务对象满意度指标", "救助对象满意度", "≥90%", "92%", "40", "40"],
    ]]},
    # Placeholder rows left as printed in the template (指标1, 指标2, ……) and a signature row under the table.
    "placeholders": {"title": "某县交通运输局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县交通运输局", "<<", "<<", "<<", "<<", "<<"],
    ], [
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分", ""],
        ["合计", "200", "180", "10", "90%", "9", ""],
    ], [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["产出指标", "数量指标", "道路养护里程", "≥120 公里", "125 公里", "50", "50"],
        ["^^", "^^", "指标1", "", "", "", ""],
        ["^^", "^^", "指标2", "", "", "", ""],
        ["^^", "^^", "……", "", "", "", ""],
        ["效益指标", "社会效益指标", "安全事故", "=0 起", "0 起", "40", "40"],
        ["填表人：王五", "<<", "<<", "联系电话：123", "<<", "<<", "<<"],
    ]]},
    # A table split over two pages: the second part has no header.
    "split-table": {"title": "某县水利局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县水利局", "<<", "<<", "<<", "<<", "<<"],
    ], [
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分", ""],
        ["合计", "500", "490", "10", "98%", "9.8", ""],
    ], [
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["产出指标", "数量指标", "河道清淤长度", "≥20 公里", "22 公里", "30", "30"],
    ], [
        ["产出指标", "质量指标", "工程验收合格率", "100%", "100%", "30", "30"],
        ["效益指标", "生态效益指标", "水质达标率", "≥95%", "96%", "30", "30"],
    ]]},
    # The seed's layout (子洲县 2024, 部门整体支出绩效自评表), as perfrules' own Word report prints it.
    "seed-report": {"report_of": "examples/zizhou-hrss-2024.yaml"},
    # 重庆 部门整体绩效自评表 (as published by district units): a flat indicator table with 指标名称 / 计量单位 /
    # 指标性质 / 年初指标值 / 调整指标值 / 全年完成值 / 得分系数 / 指标权重（分） / 指标得分（分） / 是否核心指标,
    # the budget as one row under 部门预算执行情况（万元）, and 自评总分 in the head.
    "chongqing-unit": {"title": "某区融媒体中心2024年度部门整体绩效自评报告", "tables": [[
        ["主管部门", "某区融媒体中心", "<<", "<<", "自评总分（分）", "97.6", "<<", "<<", "<<", "<<"],
        ["部门预算执行情况（万元）", "年初预算数", "全年（调整）预算数", "全年执行数", "执行率（%）", "执行率权重", "执行率得分（分）", "", "<<", "<<"],
        ["^^", "500", "520", "510", "98%", "10", "9.8", "", "<<", "<<"],
        ["当年绩效目标", "年初绩效目标", "<<", "全年（调整）绩效目标", "<<", "<<", "全年目标实际完成情况", "<<", "<<", "<<"],
        ["^^", "保障新闻宣传", "<<", "无", "<<", "<<", "较好完成新闻宣传", "<<", "<<", "<<"],
        ["指标名称", "计量单位", "指标性质", "年初指标值", "调整指标值", "全年完成值", "得分系数（%）", "指标权重（分）", "指标得分（分）", "是否核心指标"],
        ["播发稿件数量", "篇", "定量指标", "2200", "", "2859", "100%", "10", "10", "是"],
        ["财政供养人员控制率", "%", "定量指标", "100", "", "92", "100%", "2", "2", "否"],
    ]]},
    # Goals in one merged cell across 预期目标 and 实际完成情况: the text is the goal; the achievement is blank.
    "merged-goal": {"title": "某县林业局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县林业局", "<<", "<<", "<<", "<<", "<<"],
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分", ""],
        ["合计", "100", "100", "10", "100%", "10", ""],
        ["年度总体目标", "预期目标", "<<", "<<", "实际完成情况", "<<", "<<"],
        ["^^", "完成造林 500 亩", "<<", "<<", "<<", "<<", "<<"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分"],
        ["产出指标", "数量指标", "造林面积", "≥500 亩", "520 亩", "90", "90"],
    ]]},
    # A score sheet (评分标准 beside each row, no target column): what is there is read, the rest is said.
    "score-sheet": {"title": "某县统计局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县统计局", "<<", "<<", "<<"],
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "得分"],
        ["合计", "80", "80", "10", "10"],
        ["一级指标", "二级指标", "三级指标", "分值", "评分标准", "得分"],
        ["产出指标", "数量指标", "统计调查任务", "50", "按时完成得满分", "50"],
        ["效益指标", "社会效益指标", "数据使用", "40", "有所提升得满分", "36"],
    ]]},
    # A unit written once in the header (年度指标值（%） / 实际完成值（%）), bare numbers in the cells.
    "header-units": {"title": "某县卫生健康局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县卫生健康局", "<<", "<<", "<<", "<<"],
    ], [
        ["资金项目", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分"],
        ["合计", "1000", "950", "10", "95%", "9.5"],
    ], [
        ["一级指标", "二级指标", "三级指标", "年度指标值（%）", "实际完成值（%）", "分值", "得分"],
        ["产出指标", "质量指标", "疫苗接种率", "≥95", "97", "50", "50"],
        ["满意度指标", "服务对象满意度指标", "患者满意度", "≥90", "93", "40", "40"],
    ]]},
    # The 部门整体支出绩效自评表 of 财预〔2020〕10号 附件 with task rows (年度主要任务 | 任务名称 | 主要内容 |
    # 全年预算数 | 全年执行数 …) and the 金额合计 row, as the seed's report has it.
    "mof2020-unit-overall": {"title": "某县审计局2024年度部门整体支出绩效自评报告", "tables": [[
        ["部门（单位）名称", "某县审计局", "<<", "<<", "<<", "<<", "<<", "<<"],
        ["年度主要任务", "任务名称", "主要内容", "全年预算数（万元）", "全年执行数（万元）", "分值", "执行率", "得分"],
        ["^^", "审计项目经费", "开展审计项目", "30", "30", "—", "100%", "—"],
        ["^^", "办公经费", "日常运转", "20", "18", "—", "90%", "—"],
        ["金额合计", "<<", "<<", "50", "48", "10", "96%", "9.6"],
        ["年度总体目标", "预期目标", "<<", "<<", "实际完成情况", "<<", "<<", "<<"],
        ["^^", "完成审计项目 12 个", "<<", "<<", "完成审计项目 13 个", "<<", "<<", "<<"],
        ["一级指标", "二级指标", "三级指标", "年度指标值", "实际完成值", "分值", "得分", "偏差原因分析及改进措施"],
        ["产出指标", "数量指标", "审计项目数", "≥12 个", "13 个", "50", "50", ""],
        ["满意度指标", "服务对象满意度指标", "被审计单位满意度", "≥90%", "95%", "40", "40", ""],
    ]]},
}


def build_docx(name: str, folder: Path) -> Path:
    from docx import Document
    from docx.oxml.simpletypes import ST_Merge
    spec = LAYOUTS[name]
    if spec.get("report_of"):   # perfrules' own Word report of a submission
        from perfrules.engine.api import report_file
        path = folder / f"{name}.docx"
        report_file(HERE.parent.parent / spec["report_of"], path)
        return path
    doc = Document()
    doc.add_paragraph(spec["title"])
    for rows in spec["tables"]:
        width = max(len(r) for r in rows)
        table = doc.add_table(rows=len(rows), cols=width)
        table.style = "Table Grid"
        grid = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if text not in ("<<", "^^") and text:
                    table.rows[r].cells[c].paragraphs[0].text = text
        for r, row in enumerate(rows):   # vertical merges by marks, horizontal by merging cells
            for c, text in enumerate(row):
                if text == "^^":
                    grid[r - 1][c].vMerge = grid[r - 1][c].vMerge or ST_Merge.RESTART
                    grid[r][c].vMerge = ST_Merge.CONTINUE
        for r, row in enumerate(rows):
            c = 0
            while c < len(row):
                end = c + 1
                while end < len(row) and row[end] == "<<":
                    end += 1
                if end - c > 1:
                    table.cell(r, c).merge(table.cell(r, end - 1))
                c = end
        doc.add_paragraph("")
    path = folder / f"{name}.docx"
    doc.save(path)
    return path


def build_xlsx(name: str, folder: Path) -> Path:
    """The same layout as a unit keeps it in Excel: the title in a merged first row, then the tables one under
    the other on one sheet, a blank row between them, merges as marked; numbers typed as numbers where the
    cell is a plain number (120, 9.5), percentages as a percent-formatted fraction (95% → 0.95)."""
    from decimal import Decimal, InvalidOperation

    from openpyxl import Workbook
    spec = LAYOUTS[name]
    wb = Workbook()
    ws = wb.active
    ws.title = "自评表"
    width = max(len(r) for rows in spec["tables"] for r in rows)
    ws.cell(1, 1).value = spec["title"]
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=width)
    top = 3
    for rows in spec["tables"]:
        for r, row in enumerate(rows):
            for c, text in enumerate(row):
                if text in ("<<", "^^") or not text:
                    continue
                cell = ws.cell(top + r, c + 1)
                try:
                    if text.endswith("%") and text[:-1].replace(".", "", 1).isdigit():
                        cell.value, cell.number_format = Decimal(text[:-1]) / 100, "0%"
                    elif text.replace(".", "", 1).isdigit():
                        cell.value = int(text) if text.isdigit() else float(text)
                    else:
                        cell.value = text
                        cell.data_type = "s"   # =0 起 typed as text ('=0 起), not a formula
                except InvalidOperation:
                    cell.value = text
        for r, row in enumerate(rows):   # horizontal runs of <<, then vertical runs of ^^
            c = 0
            while c < len(row):
                end = c + 1
                while end < len(row) and row[end] == "<<":
                    end += 1
                if end - c > 1:
                    ws.merge_cells(start_row=top + r, start_column=c + 1, end_row=top + r, end_column=end)
                c = end
        for c in range(width):
            r = 0
            while r < len(rows):
                end = r + 1
                while end < len(rows) and c < len(rows[end]) and rows[end][c] == "^^":
                    end += 1
                if end - r > 1 and not (c + 1 < len(rows[r]) and rows[r][c + 1] == "<<"):
                    ws.merge_cells(start_row=top + r, start_column=c + 1, end_row=top + end - 1, end_column=c + 1)
                r = end
        top += len(rows) + 1
    path = folder / f"{name}.xlsx"
    wb.save(path)
    return path
