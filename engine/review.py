"""The review page: one self-contained HTML file a bureau head opens offline and understands at a glance.

`perfrules batch units/ -o 汇总.html` and `perfrules replay … -o 对比.html` write it. Nothing is fetched:
the styles, the small script written here and the data are inline, the charts are inline SVG drawn here,
and a Content-Security-Policy forbids any other source. The data is embedded as JSON (with `<` escaped) and
every value reaches the page through textContent, never as HTML. The table of units sorts and filters and
shows 100 rows a page; clicking a unit opens its panel (category scores, findings). Printed, it fits A4
landscape.

At a province's size (100,000 units) the page stays one file and usable: each unit carries at most
`PAGE_FINDINGS // units` of its findings (60 at most, 3 at least; the panel says how many more there are and
that the workbook's 问题清单 has them all), so the page is about half a kilobyte a unit; the table sorts with
one `Intl.Collator`, not a locale lookup per comparison.
"""

from __future__ import annotations

import html
from decimal import Decimal
from pathlib import Path as FsPath
from typing import Any, Iterable

from .methods import fmt
from .reportview import date_cn, rendering_date
from .scorecard import dumps
from .submission import KIND_LABELS

MAX_FINDINGS_PER_UNIT = 60
MIN_FINDINGS_PER_UNIT = 3
PAGE_FINDINGS = 300_000   # findings the page carries in all: about 30 MB of the page at most
ONE_PLACE = Decimal("0.1")


class HtmlSink:
    """Collects the batch rows and writes the review page at the end. Each unit's record is written as JSON
    to a spool as it comes (a temporary file past 1 MiB), and only what the cards and charts need stays in
    memory (`_stat`): a province's page (65 MB at 100,000 units) is streamed out, never held whole."""

    detail = True

    def __init__(self, roots: Iterable[str | FsPath] = ()) -> None:
        import tempfile

        from .files import relative_to_roots
        self.roots = [FsPath(r) for r in roots if FsPath(r).is_dir()]
        self.relative = relative_to_roots
        self.stats: list[tuple[Any, ...]] = []
        self.spool = tempfile.SpooledTemporaryFile(max_size=1 << 20, mode="w+b", prefix="perfrules-review-")
        self.back: str | None = None   # served live (perfrules serve): a link back to the round
        self.findings_per_unit = MAX_FINDINGS_PER_UNIT

    def expect(self, files: int) -> None:
        """Told how many files the run will score: the page's share of findings per unit (PAGE_FINDINGS)."""
        share = PAGE_FINDINGS // max(files, 1)
        self.findings_per_unit = max(MIN_FINDINGS_PER_UNIT, min(MAX_FINDINGS_PER_UNIT, share))

    def close(self) -> None:
        self.spool.close()

    def add(self, row: dict[str, Any]) -> None:
        findings = [list(f) for f in row.get("findings", [])]
        unit = [
            row["unit"], self.relative(row["file"], self.roots), KIND_LABELS.get(row["kind"], row["kind"]),
            fmt(row["total"]), row["total"], row["grade"],
            fmt(row["stated_total"]) if row["stated_total"] is not None else "", row["stated_total"],
            row.get("own_grade") or "", fmt(row["difference"]) if row["difference"] is not None else "",
            row["difference"], len(findings), row["errors"], findings[:self.findings_per_unit],
            [[label, fmt(points), fmt(score), fmt(own) if own is not None else ""] for label, points, score, own in row.get("categories", [])],
            row["ruleset"],
        ]
        self.spool.write(((b"," if self.stats else b"") + _json(unit).encode("utf-8")))
        self.stats.append(_stat(unit))

    def finish(self, summary: Any) -> Iterable[bytes]:
        failed = [[self.relative(e["file"], self.roots), e["message"]] for e in summary.errors]
        skipped = [[self.relative(f, self.roots), r] for f, r in summary.skipped]
        duplicates = [[unit, str(year), KIND_LABELS.get(kind, kind), [self.relative(f, self.roots) for f in files]]
                      for (unit, year, kind), files in summary.duplicates.items()]
        self.spool.seek(0)
        units = iter(lambda: self.spool.read(1 << 16), b"")
        return page_parts("绩效自评复核汇总", self.stats, units, failed, skipped, list(summary.grades()), back=self.back,
                          duplicates=duplicates)


def _json(value: Any) -> str:
    """Compact JSON for the page's data block, `<` escaped so that no text can end the script element."""
    return dumps(value, indent=None).replace("<", "\\u003c")


def _stat(unit: list[Any]) -> tuple[Any, ...]:
    """What the cards and charts read of a unit record: name, rule total, grade, own total, own grade, difference."""
    return (unit[0], unit[4], unit[5], unit[7], unit[8], unit[10])


# Column order of a unit record in the page's data (kept in step with the script below).
FIELDS = ["unit", "file", "kind", "total", "total_n", "grade", "own", "own_n", "own_grade", "diff", "diff_n",
          "findings_n", "errors", "findings", "categories", "ruleset"]


# The words of the page. A batch compares the unit's own totals with the rule's; a replay compares the old
# ruleset's totals with the new one's, and says so in every column, card and chart (the difference is always
# the second minus the first, with one sign).
REVIEW_WORDS = {"rule": "按规则复核", "rule_total": "按规则复核总分", "rule_grade": "复核等级", "own": "单位自评",
                "own_total": "单位自评总分", "own_grade": "自评等级", "diff": "差异（自评−规则）",
                "mean": "平均差异（自评−规则）", "top": "差异最大的十个单位（自评−规则）",
                "scatter": "单位自评总分与按规则复核总分（对角线上两者相同）"}
REPLAY_WORDS = {"rule": "新规则", "rule_total": "新规则总分", "rule_grade": "新规则等级", "own": "旧规则",
                "own_total": "旧规则总分", "own_grade": "旧规则等级", "diff": "变化（新−旧）", "mean": "平均变化（新−旧）",
                "top": "变化最大的十个单位（新−旧）", "scatter": "旧规则总分与新规则总分（对角线上两者相同）"}


def page(title: str, units: list[list[Any]], failed: list[list[str]], skipped: list[list[str]],
         grade_order: list[str], replay: dict[str, Any] | None = None, back: str | None = None,
         duplicates: list[list[Any]] | None = None) -> str:
    """The page of these unit records, whole (replay's: a county's, not a province's)."""
    pieces = (("," if i else "") + _json(u) for i, u in enumerate(units))
    return b"".join(page_parts(title, [_stat(u) for u in units], (p.encode("utf-8") for p in pieces), failed,
                               skipped, grade_order, replay, back, duplicates)).decode("utf-8")


def page_parts(title: str, stats: list[tuple[Any, ...]], units: Iterable[bytes], failed: list[list[str]],
               skipped: list[list[str]], grade_order: list[str], replay: dict[str, Any] | None = None,
               back: str | None = None, duplicates: list[list[Any]] | None = None) -> Iterable[bytes]:
    """The page, as pieces of UTF-8: `units` are the unit records already as JSON (comma-separated), `stats`
    what the cards and charts read of each (`_stat`). Figures stay Decimal: written into the data as exact
    numbers, drawn with Decimal arithmetic. `grade_order` is the ruleset's, best first (the labels are the
    ruleset's, not fixed here). A unit's difference is given unsigned (fmt) and signed once, where it is shown."""
    words = REPLAY_WORDS if replay else REVIEW_WORDS
    scored = len(stats)
    diffs = [u[5] for u in stats if u[5] is not None]
    mean = (sum(diffs, Decimal(0)) / len(diffs)).quantize(Decimal("0.01")) if diffs else None
    rule_grades = _count([u[2] for u in stats])
    own_grades = _count([u[4] for u in stats if u[4]])
    order = list(dict.fromkeys(grade_order + sorted(set(rule_grades) | set(own_grades))))
    duplicates = duplicates or []
    # Units, not files: a unit that sent two files is one unit (its files are listed under 重复提交); a file
    # that cannot be read counts as one unit, since nothing says whose it is.
    extra_files = sum(len(d[3]) - 1 for d in duplicates)
    cards = [("单位", f"{scored - extra_files + len(failed)}"), ("文件", f"{scored + len(failed)}"),
             ("已评分", f"{scored}"), ("无法评分", f"{len(failed)}"), ("重复提交", f"{len(duplicates)}"),
             (words["mean"], "—" if mean is None else (f"+{mean}" if mean > 0 else f"{mean}")),
             ("未读取的文件", f"{len(skipped)}")]
    charts = [
        _bars("等级分布", [(g, own_grades.get(g, 0), rule_grades.get(g, 0)) for g in order
                           if g in rule_grades or g in own_grades], (words["own"], words["rule"])),
        _scatter([(u[1], u[3], u[0]) for u in stats if u[1] is not None and u[3] is not None], words),
        _top([(u[0], u[5]) for u in stats if u[5]], words["top"]),
    ]
    rest = _json({"failed": failed, "skipped": skipped, "grades": order, "replay": replay, "words": words,
                  "duplicates": duplicates})
    cards_html = "".join(f'<div class="card"><div class="v">{html.escape(v)}</div><div class="k">{html.escape(k)}</div></div>'
                         for k, v in cards)
    link = (f'<p><a href="{html.escape(back)}" style="color:inherit">← 返回轮次</a></p>' if back else "")
    fields = {"title": html.escape(title), "back": link, "date": html.escape(date_cn(rendering_date())),
              "cards": cards_html, "charts": "".join(charts), "script": SCRIPT, "style": STYLE,
              **{f"w_{k}": html.escape(v) for k, v in words.items()}}
    head, tail = TEMPLATE.split("{data}")
    yield (head.format(**fields) + '{"fields":' + _json(FIELDS) + ',"units":[').encode("utf-8")
    yield from units
    yield ("]," + rest[1:] + tail.format(**fields)).encode("utf-8")


def _count(values: list[str]) -> dict[str, int]:
    out: dict[str, int] = {}
    for value in values:
        out[value] = out.get(value, 0) + 1
    return out


def _svg(width: int, height: int, body: str, label: str) -> str:
    return (f'<figure class="chart"><svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" role="img" '
            f'aria-label="{html.escape(label)}">{body}</svg><figcaption>{html.escape(label)}</figcaption></figure>')


def _bars(label: str, rows: list[tuple[str, int, int]], series: tuple[str, str]) -> str:
    width, height, left, bottom = 360, 220, 36, 30
    top = max([max(a, b) for _, a, b in rows] + [1])
    group = (width - left - 10) / max(1, len(rows))
    body = [f'<line x1="{left}" y1="{height - bottom}" x2="{width - 5}" y2="{height - bottom}" class="axis"/>']
    for i, (grade, own, rule) in enumerate(rows):
        x = left + i * group + group * 0.15
        for j, (value, cls) in enumerate(((own, "own"), (rule, "rule"))):
            h = (height - bottom - 36) * value / top
            bx = x + j * group * 0.35
            body.append(f'<rect x="{bx:.1f}" y="{height - bottom - h:.1f}" width="{group * 0.33:.1f}" height="{h:.1f}" class="{cls}">'
                        f'<title>{html.escape(grade)}：{series[j]} {value}</title></rect>')
            body.append(f'<text x="{bx + group * 0.16:.1f}" y="{height - bottom - h - 3:.1f}" class="n">{value}</text>')
        body.append(f'<text x="{x + group * 0.35:.1f}" y="{height - 10}" class="l">{html.escape(grade)}</text>')
    body.append(f'<rect x="{left}" y="4" width="10" height="10" class="own"/><text x="{left + 14}" y="13" class="k">{series[0]}</text>'
                f'<rect x="{left + 90}" y="4" width="10" height="10" class="rule"/><text x="{left + 104}" y="13" class="k">{series[1]}</text>')
    return _svg(width, height, "".join(body), label)


def _scatter(points: list[tuple[Decimal, Decimal, str]], words: dict[str, str] = REVIEW_WORDS) -> str:
    width, height, pad = 360, 220, 32
    values = [v for p in points for v in p[:2]]
    low, high = min(values + [Decimal(50)]), max(values + [Decimal(100)])
    span = (high - low) or Decimal(1)

    def sx(v: Decimal) -> Decimal:
        return (pad + (width - pad - 10) * (v - low) / span).quantize(ONE_PLACE)

    def sy(v: Decimal) -> Decimal:
        return (height - pad - (height - pad - 10) * (v - low) / span).quantize(ONE_PLACE)
    body = [f'<line x1="{sx(low)}" y1="{sy(low)}" x2="{sx(high)}" y2="{sy(high)}" class="diag"/>',
            f'<line x1="{pad}" y1="{height - pad}" x2="{width - 5}" y2="{height - pad}" class="axis"/>',
            f'<line x1="{pad}" y1="10" x2="{pad}" y2="{height - pad}" class="axis"/>',
            f'<text x="{width // 2}" y="{height - 6}" class="l">{words["rule_total"]}</text>',
            f'<text x="10" y="{height // 2}" class="l" transform="rotate(-90 10 {height // 2})">{words["own_total"]}</text>',
            f'<text x="{pad}" y="{height - pad + 12}" class="n">{fmt(low)}</text>'
            f'<text x="{width - 20}" y="{height - pad + 12}" class="n">{fmt(high)}</text>']
    step = max(1, -(-len(points) // 5000))   # at most 5,000 dots, taken evenly across the round: enough to see the
    for rule, own, unit in points[::step]:   # cloud (the first 5,000 files would be a few counties); every unit is in the table
        body.append(f'<circle cx="{sx(rule)}" cy="{sy(own)}" r="2.5" class="dot"><title>{html.escape(unit)}：'
                    f'{words["own"]} {fmt(own)}，{words["rule"]} {fmt(rule)}</title></circle>')
    return _svg(width, height, "".join(body), words["scatter"])


def _top(diffs: list[tuple[str, Decimal]], label: str = REVIEW_WORDS["top"]) -> str:
    largest = sorted(diffs, key=lambda d: (-abs(d[1]), d[0]))[:10]
    width, row, names, mid, reach = 360, 20, 138, 250, 80
    height = 24 + row * max(1, len(largest))
    top = max([abs(d) for _, d in largest] + [Decimal(1)])
    body = [f'<line x1="{mid}" y1="4" x2="{mid}" y2="{height - 4}" class="axis"/>']
    for i, (unit, diff) in enumerate(largest):
        y = 10 + i * row
        w = (reach * abs(diff) / top).quantize(ONE_PLACE)
        x = mid if diff > 0 else mid - w
        name = unit if len(unit) <= 11 else unit[:10] + "…"
        value = ("+" if diff > 0 else "") + fmt(diff)
        body.append(f'<text x="{names}" y="{y + 12}" class="r">{html.escape(name)}</text>'
                    f'<rect x="{x}" y="{y}" width="{w}" height="{row - 6}" class="{"pos" if diff > 0 else "neg"}">'
                    f'<title>{html.escape(unit)}：{value}</title></rect>'
                    f'<text x="{(mid + w + 3) if diff > 0 else mid + 3}" y="{y + 12}" class="n">{value}</text>')
    if not largest:
        body.append(f'<text x="{width // 2}" y="20" class="l">没有差异</text>')
    return _svg(width, height, "".join(body), label)


STYLE = """
:root { --own: #5b8def; --rule: #e08a2c; --pos: #d9534f; --neg: #3c9a5f; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei", sans-serif;
       margin: 0; color: #1d1d1d; background: #f6f7f9; font-size: 14px; }
header { background: #22406b; color: #fff; padding: 14px 24px; }
header h1 { margin: 0; font-size: 20px; } header p { margin: 4px 0 0; opacity: .85; font-size: 12px; }
main { padding: 16px 24px; }
.cards { display: flex; gap: 12px; flex-wrap: wrap; }
.card { background: #fff; border-radius: 6px; padding: 10px 16px; min-width: 140px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.card .v { font-size: 24px; font-weight: bold; } .card .k { color: #555; font-size: 12px; }
.charts { display: flex; gap: 12px; flex-wrap: wrap; margin: 16px 0; }
.chart { background: #fff; margin: 0; padding: 8px; border-radius: 6px; width: 380px; box-shadow: 0 1px 2px rgba(0,0,0,.08); }
.chart svg { width: 100%; height: auto; } .chart figcaption { font-size: 12px; color: #444; text-align: center; }
svg .own { fill: var(--own); } svg .rule { fill: var(--rule); } svg .pos { fill: var(--pos); } svg .neg { fill: var(--neg); }
svg .axis { stroke: #888; } svg .diag { stroke: #bbb; stroke-dasharray: 4 3; } svg .dot { fill: var(--own); fill-opacity: .6; }
svg text { font-size: 10px; fill: #333; } svg .l { text-anchor: middle; } svg .r { text-anchor: end; } svg .n { font-size: 9px; }
.controls { display: flex; gap: 10px; flex-wrap: wrap; align-items: center; margin: 8px 0; }
.controls input, .controls select, .controls button { font: inherit; padding: 4px 6px; }
table { border-collapse: collapse; width: 100%; background: #fff; }
th, td { border-bottom: 1px solid #e3e3e3; padding: 5px 8px; text-align: left; }
th { background: #eef2f7; cursor: pointer; user-select: none; white-space: nowrap; }
th[aria-sort="ascending"]::after { content: " ▲"; } th[aria-sort="descending"]::after { content: " ▼"; }
td.n { text-align: right; font-variant-numeric: tabular-nums; } tr.unit:hover { background: #f3f7ff; cursor: pointer; }
tr.unit.selected { background: #e4eeff; } .d-pos { color: var(--pos); } .d-neg { color: var(--neg); }
#panel { background: #fff; border: 1px solid #c9d6ea; border-radius: 6px; padding: 12px 16px; margin: 12px 0; }
#panel[hidden] { display: none; } #panel h2 { margin: 0 0 8px; font-size: 16px; }
.sev-错误 { color: #b00; } .sev-警告 { color: #a60; } .muted { color: #777; font-size: 12px; }
section.lists { margin-top: 16px; } section.lists li { font-size: 12px; }
@page { size: A4 landscape; margin: 10mm; }
@media print { body { background: #fff; } .controls, #pager { display: none; } .chart, .card { box-shadow: none; border: 1px solid #ccc; }
               header { background: none; color: #000; border-bottom: 2px solid #000; } tr { break-inside: avoid; } }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var DATA = JSON.parse(document.getElementById("data").textContent);
  var F = {}; DATA.fields.forEach(function (name, i) { F[name] = i; });
  var W = DATA.words;
  var PAGE = 100, state = { sort: "diff_n", dir: -1, page: 0, rows: [] };
  var ZH = new Intl.Collator("zh").compare;   // one collator: a locale lookup per comparison is slow at 100,000
  var $ = function (id) { return document.getElementById(id); };
  function cell(tr, text, cls) { var td = document.createElement("td"); td.textContent = text; if (cls) td.className = cls; tr.appendChild(td); return td; }
  function filter() {
    var q = $("q").value.trim().toLowerCase(), g = $("grade").value, min = parseFloat($("mindiff").value), withF = $("withf").checked;
    state.rows = DATA.units.filter(function (u) {
      if (q && (u[F.unit] + " " + u[F.file]).toLowerCase().indexOf(q) < 0) return false;
      if (g && u[F.grade] !== g) return false;
      if (!isNaN(min) && !(u[F.diff_n] !== null && Math.abs(u[F.diff_n]) >= min)) return false;
      if (withF && u[F.findings_n] === 0) return false;
      return true;
    });
    sort(); state.page = 0; render();
  }
  function sort() {
    var k = F[state.sort], d = state.dir;
    state.rows.sort(function (a, b) {
      var x = a[k], y = b[k];
      if (x === null || x === "") return 1; if (y === null || y === "") return -1;
      if (typeof x === "number") return (x - y) * d || ZH(a[F.unit], b[F.unit]);
      return ZH(String(x), String(y)) * d;
    });
  }
  function render() {
    var body = $("rows"); body.textContent = "";
    var pages = Math.max(1, Math.ceil(state.rows.length / PAGE));
    if (state.page >= pages) state.page = pages - 1;
    state.rows.slice(state.page * PAGE, state.page * PAGE + PAGE).forEach(function (u) {
      var tr = document.createElement("tr"); tr.className = "unit"; tr.dataset.file = u[F.file];
      cell(tr, u[F.unit]); cell(tr, u[F.kind]); cell(tr, u[F.total], "n"); cell(tr, u[F.grade]);
      cell(tr, u[F.own], "n"); cell(tr, u[F.own_grade]);
      var d = u[F.diff_n]; cell(tr, d === null ? "" : (d > 0 ? "+" : "") + u[F.diff], "n " + (d > 0 ? "d-pos" : d < 0 ? "d-neg" : ""));
      cell(tr, String(u[F.findings_n]), "n"); cell(tr, u[F.file], "muted");
      tr.addEventListener("click", function () { open(u, tr); });
      body.appendChild(tr);
    });
    $("count").textContent = "共 " + state.rows.length + " 个单位，第 " + (state.page + 1) + " / " + pages + " 页";
    $("prev").disabled = state.page === 0; $("next").disabled = state.page >= pages - 1;
    document.querySelectorAll("th[data-key]").forEach(function (th) {
      th.setAttribute("aria-sort", th.dataset.key === state.sort ? (state.dir > 0 ? "ascending" : "descending") : "none");
    });
  }
  function open(u, tr) {
    document.querySelectorAll("tr.selected").forEach(function (r) { r.classList.remove("selected"); });
    tr.classList.add("selected");
    var p = $("panel"); p.hidden = false;
    $("p-title").textContent = u[F.unit] + "（" + u[F.kind] + "，" + u[F.ruleset] + "）";
    $("p-totals").textContent = W.rule + " " + u[F.total] + " 分（" + u[F.grade] + "）；" + W.own + " " + (u[F.own] || "—") + " 分（" + (u[F.own_grade] || "—") + "）";
    var cats = $("p-cats"); cats.textContent = "";
    u[F.categories].forEach(function (c) { var tr2 = document.createElement("tr"); cell(tr2, c[0]); cell(tr2, c[1], "n"); cell(tr2, c[2], "n"); cell(tr2, c[3], "n"); cats.appendChild(tr2); });
    var list = $("p-findings"); list.textContent = "";
    if (!u[F.findings].length) { var none = document.createElement("li"); none.textContent = "没有发现问题"; list.appendChild(none); }
    u[F.findings].forEach(function (f) { var li = document.createElement("li"); li.className = "sev-" + f[0]; li.textContent = "[" + f[0] + "] " + f[1] + " " + f[2] + (f[3] ? "（" + f[3] + "）" : ""); list.appendChild(li); });
    if (u[F.findings_n] > u[F.findings].length) { var more = document.createElement("li"); more.className = "muted"; more.textContent = "另有 " + (u[F.findings_n] - u[F.findings].length) + " 项，见汇总工作簿的“问题清单”"; list.appendChild(more); }
    p.scrollIntoView({ block: "nearest" });
  }
  function lists() {
    var dups = (DATA.duplicates || []).map(function (d) { return [d[0] + "（" + d[1] + " 年度，" + d[2] + "）", d[3].join("、")]; });
    [["failed", DATA.failed], ["skipped", DATA.skipped], ["duplicates", dups]].forEach(function (pair) {
      var ul = $(pair[0]); pair[1].forEach(function (f) { var li = document.createElement("li"); li.textContent = f[0] + "：" + f[1]; ul.appendChild(li); });
      if (!pair[1].length) { var li = document.createElement("li"); li.textContent = "无"; ul.appendChild(li); }
    });
  }
  document.querySelectorAll("th[data-key]").forEach(function (th) {
    th.addEventListener("click", function () {
      if (state.sort === th.dataset.key) state.dir = -state.dir; else { state.sort = th.dataset.key; state.dir = th.dataset.key === "unit" ? 1 : -1; }
      sort(); render();
    });
  });
  // Text and number fields filter as one types ("input"); a "change" on blur would re-render the table under
  // the click that caused the blur, and that click would be lost.
  ["q", "mindiff"].forEach(function (id) { $(id).addEventListener("input", filter); });
  ["grade", "withf"].forEach(function (id) { $(id).addEventListener("change", filter); });
  $("prev").addEventListener("click", function () { state.page--; render(); });
  $("next").addEventListener("click", function () { state.page++; render(); });
  $("p-close").addEventListener("click", function () { $("panel").hidden = true; });
  var grades = {}; DATA.units.forEach(function (u) { grades[u[F.grade]] = true; });
  DATA.grades.forEach(function (g) {   // the ruleset's grades, best first
    if (!grades[g]) return; var o = document.createElement("option"); o.value = g; o.textContent = g; $("grade").appendChild(o);
  });
  lists(); filter();
  document.body.dataset.ready = "true";
})();
"""

TEMPLATE = """<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<style>{style}</style>
</head>
<body>
<header>{back}<h1>{title}</h1><p>perfrules 生成于 {date}。数字均为精确值；图表仅供一览。</p></header>
<main>
<section class="cards">{cards}</section>
<section class="charts">{charts}</section>
<section>
  <div class="controls">
    <label>单位或文件 <input id="q" type="search" placeholder="输入名称筛选"></label>
    <label>等级 <select id="grade"><option value="">全部</option></select></label>
    <label>差异绝对值 ≥ <input id="mindiff" type="number" min="0" step="1" style="width:5em"></label>
    <label><input id="withf" type="checkbox"> 只看有问题的</label>
    <span id="count" class="muted"></span>
  </div>
  <div id="panel" hidden>
    <button id="p-close" type="button" style="float:right">关闭</button>
    <h2 id="p-title"></h2><p id="p-totals"></p>
    <table><thead><tr><th>类别</th><th>分值</th><th>{w_rule}</th><th>{w_own}</th></tr></thead><tbody id="p-cats"></tbody></table>
    <h3>发现的问题</h3><ul id="p-findings"></ul>
  </div>
  <table id="units">
    <thead><tr><th data-key="unit">单位</th><th data-key="kind">类型</th><th data-key="total_n">{w_rule_total}</th><th data-key="grade">{w_rule_grade}</th>
      <th data-key="own_n">{w_own_total}</th><th data-key="own_grade">{w_own_grade}</th><th data-key="diff_n">{w_diff}</th>
      <th data-key="findings_n">问题数</th><th data-key="file">文件</th></tr></thead>
    <tbody id="rows"></tbody>
  </table>
  <div id="pager" class="controls"><button id="prev" type="button">上一页</button><button id="next" type="button">下一页</button></div>
</section>
<section class="lists">
  <h3>无法评分的文件</h3><ul id="failed"></ul>
  <h3>重复提交（同一单位、年度、类型不止一份，均已评分，请核实以哪一份为准）</h3><ul id="duplicates"></ul>
  <h3>未读取的文件</h3><ul id="skipped"></ul>
</section>
</main>
<script type="application/json" id="data">{data}</script>
<script>{script}</script>
</body>
</html>
"""
