"""Render the self-evaluation report from versioned templates: Markdown, HTML, PDF (HTML → WeasyPrint), Word.

Templates live in `templates/<set>/<version>/` with a `template.yaml` manifest; a version may `extends` an
earlier one and then holds only the files (or Jinja blocks) it changes. Everything renders in a Jinja2
sandbox with StrictUndefined; HTML and Word output is autoescaped. Output is written atomically.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path as FsPath
from types import TracebackType
from typing import Any, Callable, Iterable, Iterator

import jinja2
from jinja2 import nodes
from jinja2.compiler import CodeGenerator
from jinja2.sandbox import SandboxedEnvironment

from .errors import Location, PerfrulesError, did_you_mean, error
from .limits import TEMPLATE_MAX_RANGE, TEMPLATE_MAX_REPEAT, TEMPLATE_OUTPUT_CHARS, TEMPLATE_SECONDS
from .yamlio import load_file

SHIPPED_TEMPLATES = FsPath(__file__).resolve().parent.parent / "templates"
FORMATS = {".md": "md", ".markdown": "md", ".html": "html", ".htm": "html", ".pdf": "pdf", ".docx": "docx"}
SOURCE_FILE = {"md": "report.md.j2", "html": "report.html.j2", "pdf": "report.html.j2", "docx": "report.docx"}
CJK_FAMILIES = ("Noto Serif CJK SC", "Noto Sans CJK SC", "Source Han Serif SC", "Source Han Sans SC",
                "SimSun", "Songti SC", "WenQuanYi Micro Hei", "WenQuanYi Zen Hei", "AR PL UMing CN")


@dataclass(frozen=True)
class TemplateSet:
    set: str
    version: str
    title: str
    description: str
    extends: str | None
    folder: FsPath
    root: FsPath

    @property
    def ref(self) -> str:
        return f"{self.set}@{self.version}"


# ------------------------------------------------------------------------------------------- confinement

def confined(path: FsPath, root: FsPath) -> FsPath:
    """`path`, when it resolves inside `root` (the template folder it was found in); a template file that is a
    link leaving its folder (to /etc/passwd, to a unit's upload) is refused, as `../` in a name is."""
    real, top = os.path.realpath(path), os.path.realpath(root)
    if real != top and not real.startswith(top.rstrip(os.sep) + os.sep):
        raise error(f"模板文件 {path.name} 指向模板目录之外（{display_template(path, root)}），拒绝读取",
                    Location(str(path)), "模板目录中的文件必须是目录里的普通文件，不能是指向别处的链接", code="E-TEMPLATE")
    return path


def display_template(path: FsPath, root: FsPath) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        return path.name


def confined_url(url: str, roots: list[FsPath]) -> bool:
    """Whether a PDF template may fetch `url`: a data: URL, or a file inside one of the template folders.
    Never another scheme (http, ftp), never a local file elsewhere."""
    from urllib.parse import unquote, urlparse
    from urllib.request import url2pathname
    parsed = urlparse(url)
    if parsed.scheme == "data":
        return True
    if parsed.scheme != "file" or parsed.netloc not in ("", "localhost"):
        return False
    real = os.path.realpath(url2pathname(unquote(parsed.path)))
    return any(real.startswith(os.path.realpath(r).rstrip(os.sep) + os.sep) for r in roots)


class ConfinedLoader(jinja2.FileSystemLoader):
    """Jinja's file loader, refusing a template, include or import that resolves outside its folder."""

    def get_source(self, environment: jinja2.Environment, template: str) -> tuple[str, str, Callable[[], bool]]:
        source, filename, uptodate = super().get_source(environment, template)
        path = FsPath(filename)
        root = next((FsPath(r) for r in self.searchpath if _under(path, FsPath(r))), FsPath(self.searchpath[0]))
        confined(path, root)
        return source, filename, uptodate


def _under(path: FsPath, root: FsPath) -> bool:
    return os.path.abspath(path).startswith(os.path.abspath(root).rstrip(os.sep) + os.sep)


def template_dirs(extra: Iterable[str | FsPath] = ()) -> list[FsPath]:
    dirs = [FsPath(d) for d in extra]
    dirs += [FsPath(d) for d in os.environ.get("PERFRULES_TEMPLATES", "").split(os.pathsep) if d]
    return dirs + [SHIPPED_TEMPLATES]


def list_templates(dirs: list[FsPath]) -> list[TemplateSet]:
    found: dict[str, TemplateSet] = {}
    for root in dirs:
        for manifest in sorted(root.glob("*/*/template.yaml")):
            ts = _read_manifest(manifest, root)
            found.setdefault(ts.ref, ts)
    return sorted(found.values(), key=lambda t: (t.set, t.version))


def _read_manifest(path: FsPath, root: FsPath) -> TemplateSet:
    doc = load_file(confined(path, root))
    data = doc.data if isinstance(doc.data, dict) else {}
    folder = path.parent
    return TemplateSet(set=folder.parent.name, version=folder.name, title=str(data.get("title", "")),
                       description=str(data.get("description", "")), extends=data.get("extends"),
                       folder=folder, root=root)


def find_template(ref: str, dirs: list[FsPath]) -> TemplateSet:
    available = list_templates(dirs)
    for ts in available:
        if ts.ref == ref:
            return ts
    raise error(f"找不到报告模板 '{ref}'", None, did_you_mean(ref, [t.ref for t in available])
                + "；用 perfrules templates list 查看全部", code="E-TEMPLATE")


def chain(ts: TemplateSet, dirs: list[FsPath]) -> list[TemplateSet]:
    """The set and the versions it extends, nearest first."""
    out = [ts]
    while out[-1].extends:
        parent = find_template(out[-1].extends, dirs)
        if parent in out:
            raise error(f"报告模板继承形成循环：{' → '.join(t.ref for t in out + [parent])}",
                        Location(str(out[-1].folder / 'template.yaml')), code="E-TEMPLATE")
        out.append(parent)
    return out


def source_for(ts: TemplateSet, fmt: str, dirs: list[FsPath]) -> FsPath:
    name = SOURCE_FILE[fmt]
    for member in chain(ts, dirs):
        candidate = member.folder / name
        if candidate.is_file() or candidate.is_symlink():
            return confined(candidate, member.root)
    raise error(f"报告模板 {ts.ref} 没有 {fmt} 格式（缺少 {name}）", Location(str(ts.folder)),
                "换一个模板，或在模板目录中添加该文件", code="E-TEMPLATE")


# ------------------------------------------------------------------------------------------- Jinja

# What a user's template can raise while it renders: each is the template's error, with its file and line.
TEMPLATE_FAILURES = (jinja2.TemplateError, TypeError, ValueError, ArithmeticError, LookupError, AttributeError,
                     RecursionError, MemoryError)

def _filters() -> dict[str, Callable[..., Any]]:
    def md(value: Any) -> str:
        # A table cell must not break the Markdown table: escape pipes, fold newlines.
        return str(value).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")
    return {"md": md}


class TemplateBudgetError(jinja2.exceptions.SecurityError):
    """A template that would run too long or produce too much: stopped, and said as the template's error."""


_WIDTH = re.compile(r"\d{6,}")   # a width or precision of 100,000 or more in a format string


class _BudgetedCodeGenerator(CodeGenerator):
    """Compiles `a ~ b` through the environment, so that string concatenation is measured like `+`."""

    def visit_Concat(self, node: nodes.Concat, frame: Any) -> None:
        self.write("environment.bounded_concat(")
        super().visit_Concat(node, frame)
        self.write(")")


class BudgetedEnvironment(SandboxedEnvironment):
    """The sandbox, plus budgets: a deadline checked on every call, range item and output chunk; repetition
    (`'a' * n`, `center(n)`, format widths, `**`) bounded before it allocates; output size bounded."""

    intercepted_binops = frozenset({"*", "**", "%", "+"})
    code_generator_class = _BudgetedCodeGenerator

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.deadline: float | None = None   # monotonic seconds; none until a render starts
        self.globals["range"] = self._range
        for name in ("center", "indent", "wordwrap", "format", "replace", "truncate", "join"):
            self.filters[name] = self._bounded_filter(self.filters[name], name)

    def start(self) -> None:
        self.deadline = time.monotonic() + TEMPLATE_SECONDS

    def tick(self) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise TemplateBudgetError(f"模板运行超过 {TEMPLATE_SECONDS:g} 秒，已停止（可能有过大的循环）")

    def _range(self, *args: Any) -> Iterator[int]:
        items = range(*args)
        if len(items) > TEMPLATE_MAX_RANGE:
            raise TemplateBudgetError(f"range() 最多 {TEMPLATE_MAX_RANGE} 项")
        for i, value in enumerate(items):
            if i % 1000 == 0:
                self.tick()
            yield value

    def _bounded_filter(self, func: Callable[..., Any], name: str) -> Callable[..., Any]:
        @functools.wraps(func)
        def bounded(*args: Any, **kwargs: Any) -> Any:
            self.tick()
            _check_sizes(args, kwargs)
            # Filters get (eval_context, value, …) or (value, …): the value is the first non-context argument.
            values = [a for a in args if not isinstance(a, jinja2.nodes.EvalContext)]
            _check_result(name, values[0] if values else None, values[1:])
            return func(*args, **kwargs)
        return bounded

    def call(__self, __context: Any, __obj: Any, *args: Any, **kwargs: Any) -> Any:  # noqa: N805 - Jinja's signature
        __self.tick()
        _check_sizes(args, kwargs)
        owner = getattr(__obj, "__self__", None)
        if isinstance(owner, str):
            name = getattr(__obj, "__name__", "")
            _check_result(name, owner if name == "replace" else args[0] if args else None,
                          list(args[1:]) if name != "replace" else list(args))
        return super().call(__context, __obj, *args, **kwargs)

    def call_binop(self, context: Any, operator: str, left: Any, right: Any) -> Any:
        self.tick()
        if operator == "**":
            if not (isinstance(right, int) and -64 <= right <= 64):
                raise TemplateBudgetError("模板中的乘方指数过大（上限 64）")
        elif operator == "*":
            for seq, times in ((left, right), (right, left)):
                if isinstance(seq, (str, list, tuple)) and isinstance(times, int) and \
                        len(seq) * max(times, 0) > TEMPLATE_MAX_REPEAT:
                    raise TemplateBudgetError(f"模板中的重复结果过长（上限 {TEMPLATE_MAX_REPEAT} 项）")
        elif operator == "%" and isinstance(left, str) and _WIDTH.search(left):
            raise TemplateBudgetError("模板格式字符串中的宽度过大")
        elif operator == "+" and isinstance(left, (str, list, tuple)) and isinstance(right, type(left)) and \
                len(left) + len(right) > TEMPLATE_OUTPUT_CHARS:
            raise TemplateBudgetError("模板拼接的结果过长")
        return super().call_binop(context, operator, left, right)

    def bounded_concat(self, text: Any) -> Any:
        self.tick()
        if len(text) > TEMPLATE_OUTPUT_CHARS // 4:
            raise TemplateBudgetError("模板用 ~ 拼接的文字过长")
        return text

    def render(self, template: jinja2.Template, **context: Any) -> str:
        """Render within the budgets: output is generated chunk by chunk, timed and counted."""
        self.start()
        parts: list[str] = []
        size = 0
        for chunk in template.generate(**context):
            size += len(chunk)
            if size > TEMPLATE_OUTPUT_CHARS:
                raise TemplateBudgetError(f"模板输出超过 {TEMPLATE_OUTPUT_CHARS} 个字符，已停止")
            self.tick()
            parts.append(chunk)
        return "".join(parts)


def _check_result(name: str, value: Any, rest: list[Any]) -> None:
    """Refuse a join or replace whose result would exceed the output budget, before it is built."""
    size = 0
    if name == "join" and isinstance(value, (list, tuple)):
        size = sum(len(str(item)) for item in value[:TEMPLATE_MAX_REPEAT + 1])
        if len(value) > TEMPLATE_MAX_REPEAT:
            size = TEMPLATE_OUTPUT_CHARS + 1
    elif name == "replace" and isinstance(value, str) and len(rest) >= 2 and isinstance(rest[0], str) and rest[0]:
        size = len(value) + value.count(rest[0]) * len(str(rest[1]))
    if size > TEMPLATE_OUTPUT_CHARS:
        raise TemplateBudgetError(f"模板中 {name} 的结果过长（上限 {TEMPLATE_OUTPUT_CHARS} 个字符）")


def _check_sizes(args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
    for value in (*args, *kwargs.values()):
        if isinstance(value, int) and not isinstance(value, bool) and abs(value) > TEMPLATE_MAX_REPEAT:
            raise TemplateBudgetError(f"模板中的宽度或次数 {value} 过大（上限 {TEMPLATE_MAX_REPEAT}）")
        if isinstance(value, str) and _WIDTH.search(value) and ("{" in value or "%" in value):
            raise TemplateBudgetError("模板格式字符串中的宽度过大")


_MD_INERT = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;", "[": "\\[", "]": "\\]"})


def md_inert(value: Any) -> Any:
    """Markdown's autoescape: every value a template prints is text, never HTML (<script>, <img onerror>)
    nor a link ([x](javascript:…), <javascript:…>). Entities and escapes show the same characters."""
    return value.translate(_MD_INERT) if isinstance(value, str) else value


def jinja_env(roots: list[FsPath], autoescape: bool | Callable[[str | None], bool],
              finalize: Callable[[Any], Any] | None = None) -> BudgetedEnvironment:
    env = BudgetedEnvironment(loader=ConfinedLoader([str(r) for r in roots]), autoescape=autoescape,
                              undefined=jinja2.StrictUndefined, keep_trailing_newline=True,
                              trim_blocks=True, lstrip_blocks=True, finalize=finalize)
    env.filters.update(_filters())
    return env


def _template_message(exc: Exception) -> str:
    message = str(exc.message if hasattr(exc, "message") and exc.message else exc)
    if isinstance(exc, jinja2.UndefinedError):
        return f"模板用到了未定义的变量：{message}"
    if isinstance(exc, TemplateBudgetError):
        return f"模板超出运行限制：{message}"
    if isinstance(exc, jinja2.exceptions.SecurityError):
        return f"模板做了沙箱不允许的操作：{message}"
    if isinstance(exc, RecursionError):
        return "模板递归过深（宏调用自身次数过多），已停止"
    if isinstance(exc, MemoryError):
        return "模板占用内存过多，已停止"
    return f"模板错误：{message}"


def _template_error(exc: Exception, tb: TracebackType | None, fallback: str) -> PerfrulesError:
    """Name the template file and line of a rendering error (Jinja rewrites tracebacks to template lines)."""
    file, line = fallback, getattr(exc, "lineno", None)
    while tb is not None:
        name = tb.tb_frame.f_code.co_filename
        if name.endswith((".j2", ".html", ".md")):
            file, line = name, tb.tb_lineno
        tb = tb.tb_next
    if isinstance(exc, jinja2.TemplateSyntaxError):
        file, line = exc.filename or file, exc.lineno
    hint = ("模板的运行限制见 docs/template-guide.md“安全”一节" if isinstance(exc, (TemplateBudgetError, RecursionError, MemoryError))
            else "检查模板中的变量名；可用变量见 docs/template-guide.md")
    return error(_template_message(exc), Location(file, line), hint, code="E-TEMPLATE")


def render_text(ts: TemplateSet, fmt: str, view: dict[str, Any], dirs: list[FsPath]) -> str:
    source = source_for(ts, fmt, dirs)
    roots = list(dict.fromkeys(t.root for t in chain(ts, dirs)))
    env = jinja_env(roots, autoescape=fmt in ("html", "pdf"), finalize=md_inert if fmt == "md" else None)
    name = source.relative_to(next(r for r in roots if source.is_relative_to(r))).as_posix()
    try:
        return env.render(env.get_template(name), r=view)
    except TEMPLATE_FAILURES as exc:
        raise _template_error(exc, exc.__traceback__, str(source)) from None


# ------------------------------------------------------------------------------------------- PDF

def cjk_font_available() -> bool:
    """Whether fontconfig knows a Chinese font that the report's CSS names (else the PDF would show boxes)."""
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return any(FsPath(p).exists() for p in ("/usr/share/fonts/opentype/noto", "/usr/share/fonts/truetype/wqy"))
    result = subprocess.run([fc_list, ":lang=zh", "family"], capture_output=True, text=True, timeout=30)
    families = result.stdout
    return any(name in families for name in CJK_FAMILIES)


def _fetcher(roots: list[FsPath]) -> Any:
    """WeasyPrint's URL fetcher, confined: a stylesheet or image of the template's own folder, or a data: URL;
    anything else (file:///etc/passwd, http://…) is refused and the PDF is made without it."""
    def check(url: str) -> None:
        if not confined_url(url, roots):
            raise ValueError(f"模板引用了模板目录之外的资源，未读取：{url[:80]}")
    try:
        from weasyprint.urls import URLFetcher

        class Confined(URLFetcher):   # type: ignore[misc]
            def fetch(self, url: str, headers: Any = None) -> Any:
                check(url)
                return super().fetch(url, headers)
        return Confined(allowed_protocols=("file", "data"))
    except ImportError:   # WeasyPrint before 68: a function
        from weasyprint import default_url_fetcher  # type: ignore[attr-defined]

        def fetch(url: str, *args: Any, **kwargs: Any) -> Any:
            check(url)
            return default_url_fetcher(url, *args, **kwargs)
        return fetch


def render_pdf(html: str, base: FsPath, roots: list[FsPath] | None = None) -> bytes:
    if not cjk_font_available():
        raise error("没有找到中文字体，生成的 PDF 会显示方框", None,
                    "Debian/Ubuntu：apt-get install fonts-noto-cjk；其他系统请安装思源宋体/黑体（Noto CJK）后重试",
                    code="E-FONT")
    try:
        from weasyprint import HTML
    except ImportError:
        raise error("生成 PDF 需要 WeasyPrint", None, "pip install 'perfrules[report]' 或 pip install weasyprint",
                    code="E-DEPENDENCY") from None
    return HTML(string=html, base_url=str(base), url_fetcher=_fetcher(roots or [base])).write_pdf()


# ------------------------------------------------------------------------------------------- Word

def render_docx(ts: TemplateSet, view: dict[str, Any], dirs: list[FsPath]) -> bytes:
    try:
        from docxtpl import DocxTemplate
    except ImportError:
        raise error("生成 Word 需要 docxtpl", None, "pip install docxtpl", code="E-DEPENDENCY") from None
    source = source_for(ts, "docx", dirs)
    doc = DocxTemplate(str(source))
    env = jinja_env([], autoescape=True)
    env.start()
    try:
        doc.render({"r": view}, jinja_env=env, autoescape=True)
    except TEMPLATE_FAILURES as exc:
        # Word XML has no useful line numbers; docxtpl keeps the text around the tag instead.
        context = " ".join(s.strip() for s in getattr(exc, "docx_context", []) if s.strip())
        raise error(_template_message(exc) + (f"（附近文字：{context[:80]}）" if context else ""), Location(str(source)),
                    "用 Word 打开该模板，检查 {{ }} 中的变量名", code="E-TEMPLATE") from None
    _merge_indicator_cells(doc.docx, view)
    _keep_headers_with_rows(doc.docx)
    _describe(doc.docx, view)
    from .wordfit import fit_columns
    fit_columns(doc.docx)
    with tempfile.TemporaryFile() as buf:
        doc.save(buf)
        buf.seek(0)
        return buf.read()


def _keep_headers_with_rows(document: Any, rows_after: int = 2) -> None:
    """A table's header never stands alone at the foot of a page: its repeated header rows and the first
    data rows under it are kept with the next row (Word, WPS and LibreOffice honour keep-with-next)."""
    from docx.oxml.ns import qn
    for table in document.tables:
        trs = list(table._tbl.tr_lst)
        headers = sum(1 for tr in trs if tr.trPr is not None and tr.trPr.find(qn("w:tblHeader")) is not None)
        if not headers:
            continue
        for tr in trs[: min(len(trs) - 1, headers + rows_after - 1)]:
            for p in tr.iter(qn("w:p")):
                p_pr = p.get_or_add_pPr()
                if p_pr.find(qn("w:keepNext")) is None:
                    p_pr.insert(0, p_pr.makeelement(qn("w:keepNext"), {}))


def _describe(document: Any, view: dict[str, Any]) -> None:
    """Document properties that describe the report: its title, the unit as author, the report's date."""
    import datetime as dt

    from .dates import parse_date
    from .reportview import rendering_date
    props = document.core_properties
    props.title = view["title"]
    props.author = view["unit"]
    props.subject = f"{view['year']}年度{view['table_title'].removesuffix('表')}报告"
    props.keywords = "预算绩效自评"
    props.comments = f"评分规则集 {view['provenance']['ruleset']}；由 perfrules 生成"
    props.last_modified_by = view["unit"]
    props.category = "绩效自评报告"
    day = parse_date(str(view.get("report_date_iso") or "")) or rendering_date()
    props.created = props.modified = dt.datetime(day.year, day.month, day.day)
    props.revision = 1


def _merge_indicator_cells(document: Any, view: dict[str, Any]) -> None:
    """Merge the 一级 / 二级 cells of the indicator table vertically, as in the official layout.

    Word's vertical merge is a mark on each cell (vMerge restart on the first, continue below), so the cells
    are marked directly: python-docx's `table.cell()` rebuilds the whole grid on every call, which made a
    500-row table take half a minute."""
    from docx.oxml.simpletypes import ST_Merge
    rows = view["indicator_rows"]
    for table in document.tables:
        header = [c.text.strip() for c in table.rows[0].cells] if table.rows else []
        if "一级指标" not in header or len(table.rows) < len(rows) + 1:
            continue
        grid = [list(tr.tc_lst) for tr in table._tbl.tr_lst]
        for col, (first_key, span_key) in enumerate((("level1_first", "level1_span"), ("level2_first", "level2_span"))):
            for i, row in enumerate(rows):
                span = row[span_key]
                if not (row[first_key] and span > 1):
                    continue
                grid[i + 1][col].vMerge = ST_Merge.RESTART
                for k in range(1, span):
                    below = grid[i + 1 + k][col]
                    below.vMerge = ST_Merge.CONTINUE
                    for extra in below.p_lst[1:]:
                        below.remove(extra)
                    for run in below.p_lst[0].r_lst if below.p_lst else []:
                        below.p_lst[0].remove(run)
        return
