"""Guarded YAML (and JSON) loading with line marks.

The reference loader composes the text into a node graph with PyYAML's safe C composer, then turns it into
plain Python data with our own walker, which:
- never builds a float: every YAML float becomes `decimal.Decimal` from its source text;
- refuses NaN and Infinity, duplicate keys, and any non-standard tag (no Python objects, ever);
- records the 1-based line of every value by its path, so that later stages can say `file:line`;
- bounds size, depth and the number of nodes after alias expansion (the "billion laughs" defence).
JSON is read by the same walker: a JSON document is a YAML document.

Most documents take a faster path to the same result (`yamlfast`: rapidyaml parses, the same typing and the
same line marks); whatever that path does not take, or would refuse, the reference loader reads and says.
"""

from __future__ import annotations

import codecs
import operator
import re
from pathlib import Path as FsPath
from typing import Any

import yaml

from . import yamlfast
from .document import Document
from .errors import Location, Path, PerfrulesError, error
from .files import read_input
from .limits import MAX_ABS_NUMBER, MAX_DEPTH, MAX_FILE_BYTES, MAX_NODES, sha256_hex
from .yamlscalar import MAP, MERGE, SEQ, STR, ScalarError, bad_tag, plain_tag, typed

__all__ = ["MAX_ABS_NUMBER", "MAX_DEPTH", "MAX_FILE_BYTES", "MAX_NODES", "Document", "load_file", "load_bytes",
           "load_text", "decode"]

_BaseLoader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
assert not _BaseLoader.yaml_path_resolvers   # what _Loader.resolve assumes of non-scalars
assert _BaseLoader.DEFAULT_SCALAR_TAG == STR


class _Loader(_BaseLoader):  # type: ignore[misc,valid-type]
    """The safe C loader with the implicit-type resolution of plain scalars memoised (`plain_tag`): a county's
    files repeat the same few hundred texts (100%, 产出指标, ≥90%), and resolving each runs a list of regexes."""

    def __init__(self, stream: Any) -> None:
        super().__init__(stream)
        # The C composer calls descend_resolver(parent, index) and ascend_resolver() around every node; with
        # no path resolvers (asserted at import) both do nothing, yet cost two Python frames per node. C
        # callables that take those arguments and do nothing in their stead: a tenth of composing.
        self.descend_resolver = operator.is_
        self.ascend_resolver = tuple

    def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
        # Called by the C composer for every node: scalars, the most common, first.
        if kind is _ScalarNode:
            if implicit == (True, False):   # a plain scalar: its tag depends on its text alone
                return plain_tag(value)
            return super().resolve(kind, value, implicit)
        if kind is _MappingNode:   # a safe loader has no path resolvers: the default tags
            return MAP
        if kind is _SequenceNode:
            return SEQ
        return super().resolve(kind, value, implicit)


_ScalarNode, _MappingNode, _SequenceNode = yaml.ScalarNode, yaml.MappingNode, yaml.SequenceNode


def decode(raw: bytes, file: str) -> tuple[str, str]:
    """Bytes to text. UTF-8 (with or without BOM) and UTF-16 with BOM are read as such; anything else
    that is valid GB18030 (which includes GBK and GB2312) is read as GB18030, since that is what
    Chinese office software saves by default."""
    if b"\x00" in raw and not raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise error("这是二进制文件，不是 YAML 或 JSON 文本", Location(file),
                    "请提供 UTF-8 或 GB18030 编码的 YAML/JSON 文本文件", code="E-ENCODING")
    if raw.startswith(codecs.BOM_UTF8):
        return raw[len(codecs.BOM_UTF8):].decode("utf-8", errors="strict"), "utf-8-sig"
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            pass
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return raw.decode("gb18030"), "gb18030"
    except UnicodeDecodeError as exc:
        raise error(f"无法识别文件编码（第 {exc.start} 字节起不是 UTF-8，也不是 GB18030）", Location(file),
                    "请用文本编辑器另存为 UTF-8 编码", code="E-ENCODING") from None


def load_file(path: str | FsPath, display_name: str | None = None) -> Document:
    name = display_name or str(path)
    raw = read_input(FsPath(path), name, MAX_FILE_BYTES, _too_large)
    return load_bytes(raw, name)


def _too_large(name: str, size: int) -> PerfrulesError:
    return error(f"文件过大（{size} 字节，上限 {MAX_FILE_BYTES} 字节）", Location(name),
                 "自评数据和规则集都应是几百行的文本；请检查是否选错了文件", code="E-LIMIT")


def load_bytes(raw: bytes, name: str) -> Document:
    if len(raw) > MAX_FILE_BYTES:
        raise _too_large(name, len(raw))
    text, encoding = decode(raw, name)
    doc = load_text(text, name)
    doc.sha256 = sha256_hex(raw)
    doc.encoding = encoding
    return doc


def load_text(text: str, name: str) -> Document:
    """The document in `text`: by the fast path where it applies (`yamlfast`), else by the reference loader.
    Both give the same values, types, lines and refusals (tests/test_yamlfast.py)."""
    return (yamlfast.ENABLED and yamlfast.load(text, name)) or load_reference(text, name)


def load_reference(text: str, name: str) -> Document:
    """PyYAML's safe C composer and perfrules' walker: every YAML document, every message."""
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else None
        what = exc.problem or exc.context or "语法错误"
        if "nesting depth" in what:   # PyYAML ≥ 6.0.4 has a depth limit of its own; say it as ours
            raise _too_deep(name, line, ()) from None
        raise syntax_error(text, name, line, what) from None
    except yaml.YAMLError as exc:
        raise error(f"YAML 读取错误：{_problem_cn(str(exc))}", Location(name), code="E-YAML") from None
    except RecursionError:
        raise _too_deep(name, None, ()) from None
    if node is None:
        raise error("文件是空的", Location(name), "请填写自评数据或规则集内容", code="E-EMPTY")
    doc = Document(data=None, file=name)
    walker = _Walker(doc)
    doc.data = walker.build(node, (), 0)
    return doc


# PyYAML's problems, in Chinese. The likely cause is found on the line itself or the lines just before it
# (PyYAML often notices a mistake a line late).
_PROBLEMS = (
    ("cannot start any token", "这里有不能出现在 YAML 中的字符"),
    ("could not find expected ':'", "找不到“键: 值”中的冒号"),
    ("mapping values are not allowed", "这里不能再出现“键: 值”"),
    ("did not find expected comment or line break", "这一行的值后面还有多余的内容"),
    ("while scanning a block scalar", "> 或 | 在 YAML 中表示多行文字的开始"),
    ("found character", "这里有不能出现在 YAML 中的字符"),
    ("while scanning a quoted scalar", "引号没有闭合"),
    ("while scanning an anchor", "& 在 YAML 中表示锚点"),
    ("while scanning an alias", "* 在 YAML 中表示别名"),
    ("while scanning a directive", "% 在行首表示 YAML 指令"),
    ("expected the node content", "这里缺少值"),
    ("expected a comment or a line break", "这一行的值后面还有多余的内容"),
    ("expected chomping or indentation indicators", "> 或 | 在 YAML 中表示多行文字的开始"),
    ("expected ',' or ']'", "方括号 [ ] 没有正确闭合"),
    ("expected ',' or '}'", "花括号 { } 没有正确闭合"),
    ("expected <block end>", "缩进不一致"),
    ("found unexpected end of stream", "文件在引号或括号内结束"),
    ("did not find expected key", "缩进不一致或缺少冒号"),
    ("did not find expected node content", "这里缺少值"),
    ("did not find expected '-' indicator", "列表项缩进不一致"),
    ("found undefined alias", "用到了未定义的别名（*）"),
    ("found duplicate anchor", "锚点（&）重复"),
    ("unacceptable character", "文件中有不可用的控制字符"),
)
# (Patterns, not compiled patterns: they are needed only for a syntax error, and re compiles each on its
# first search; a file that reads compiles none of them.)
_CAUSES = (
    (r"\t", "这一行用了 Tab 缩进；YAML 只能用空格缩进，请把 Tab 换成空格"),
    (r"：", "这一行用了全角冒号“：”；键和值之间要用半角冒号加空格“: ”"),
    (r":\s*[<>]=?\s*\S", "以 > 或 < 开头的值（如 >=90%）要加引号：\"≥90%\" 或 \">=90%\""),
    (r"\{[^}]*\d,\d{3}", "花括号 { } 里的英文逗号是分隔符：1,320.50 要写成 1320.50 或加引号"),
    (r"\{[^}]*[^\x00-\x7f],[^\x00-\x7f ]", "花括号 { } 里的英文逗号是分隔符：文字中的逗号请用中文逗号“，”或给文字加引号"),
    (r"^[^#'\"]*:\s+[^'\"{\[][^#]*:\s", "值里有“: ”（冒号加空格）：请给整个值加引号"),
)


_UNREADABLE = "这一行无法按 YAML 解析"


def _problem_cn(problem: str) -> str:
    for english, chinese in _PROBLEMS:
        if english in problem:
            return chinese
    return _UNREADABLE


def syntax_error(text: str, name: str, line: int | None, problem: str) -> PerfrulesError:
    """A YAML syntax error in Chinese, at the line of the mistake, with the likely cause. A .json file is read
    the same way (JSON is YAML's flow style) but is said to be JSON, with a hint about JSON's brackets,
    commas and quotes rather than YAML's indentation."""
    what = _problem_cn(problem)
    if name.lower().endswith(".json"):
        what = "这一处无法按 JSON 解析" if what == _UNREADABLE else what
        return error(f"JSON 语法错误：{what}", Location(name, line),
                     "检查该处的括号 [ ] { }、逗号和冒号是否齐全成对，键和文字是否都用英文双引号", code="E-YAML")
    hint = "检查该行的缩进、冒号和引号；含有冒号或 # 的文字请加引号"
    if line is not None:
        lines = text.splitlines()
        for candidate in (line, line - 1, line - 2):
            if 1 <= candidate <= len(lines):
                cause = next((c for pattern, c in _CAUSES if re.search(pattern, lines[candidate - 1])), None)
                if cause:
                    line, hint = candidate, cause
                    break
    return error(f"YAML 语法错误：{what}", Location(name, line), hint, code="E-YAML")


def _too_deep(name: str, line: int | None, path: Path) -> PerfrulesError:
    return error(f"嵌套层次过深（上限 {MAX_DEPTH} 层）", Location(name, line, path),
                 "真实的自评数据不会嵌套这么深；请检查文件是否损坏", code="E-LIMIT")


class _Walker:
    def __init__(self, doc: Document):
        self.doc = doc
        self.count = 0

    def build(self, node: yaml.Node, path: Path, depth: int) -> Any:
        self.count += 1
        if self.count > MAX_NODES:
            raise self._too_many(path)
        if depth > MAX_DEPTH:
            raise _too_deep(self.doc.file, node.start_mark.line + 1, path)
        lines = self.doc.lines
        if path not in lines:
            lines[path] = node.start_mark.line + 1
        if type(node) is _ScalarNode:   # most nodes: plain text is returned as it is
            if node.tag == STR and "\x00" not in node.value:
                return node.value
            return self._scalar(node, path)
        if isinstance(node, yaml.MappingNode):
            return self._mapping(node, path, depth)
        if isinstance(node, yaml.SequenceNode):
            if node.tag != SEQ:
                raise self._bad_tag(node, path)
            return [self.build(item, path + (i,), depth + 1) for i, item in enumerate(node.value)]
        return self._scalar(node, path)

    def _too_many(self, path: Path) -> PerfrulesError:
        return error(f"文档展开后的节点过多（上限 {MAX_NODES}），可能是别名（&/*）炸弹",
                     self.doc.loc(path), "请不要用别名反复引用大块内容", code="E-LIMIT")

    def _mapping(self, node: yaml.MappingNode, path: Path, depth: int) -> dict[str, Any]:
        if node.tag != MAP:
            raise self._bad_tag(node, path)
        out: dict[str, Any] = {}
        merged: dict[str, Any] = {}
        for key_node, value_node in node.value:
            tag = key_node.tag
            if tag == MERGE:
                merged.update(self._merge_source(value_node, path, depth))
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise error("映射的键必须是简单文字", self.doc.loc(path), code="E-YAML")
            key = key_node.value if tag == STR and "\x00" not in key_node.value else str(self._scalar(key_node, path))
            child = path + (key,)
            if node.flow_style and isinstance(value_node, yaml.ScalarNode) and value_node.value == "" \
                    and value_node.start_mark.index == key_node.end_mark.index:
                # {total: 1,320.50} or {name: 甲,乙}: YAML read the comma as a separator and made a key of
                # what followed it, with no value. Never a silent misreading.
                raise error(f"花括号 {{ }} 中“{key}”前的英文逗号被 YAML 当作分隔符，“{key}”成了一个没有值的键",
                            Location(self.doc.file, key_node.start_mark.line + 1, child),
                            "数字不要写千位分隔符（1,320.50 写成 1320.50）；文字中的逗号请用中文逗号“，”或给文字加引号",
                            code="E-YAML")
            if key in out:
                first = self.doc.lines.get(child)
                raise error(f"键 '{key}' 重复出现（第一次在第 {first} 行）",
                            Location(self.doc.file, key_node.start_mark.line + 1, child),
                            "删除或合并重复的键：YAML 只保留其中一个，另一个会被悄悄丢掉", code="E-DUPKEY")
            self.doc.lines[child] = key_node.start_mark.line + 1
            if type(value_node) is _ScalarNode and value_node.tag == STR and "\x00" not in value_node.value \
                    and depth < MAX_DEPTH:   # (at the depth limit, build() refuses it as before)
                # Plain text, the most common value: what build() would do, without the call (its line is
                # the key's, just recorded).
                self.count += 1
                if self.count > MAX_NODES:
                    raise self._too_many(child)
                out[key] = value_node.value
            else:
                out[key] = self.build(value_node, child, depth + 1)
        for key, value in merged.items():
            out.setdefault(key, value)
        return out

    def _merge_source(self, node: yaml.Node, path: Path, depth: int) -> dict[str, Any]:
        sources = node.value if isinstance(node, yaml.SequenceNode) else [node]
        merged: dict[str, Any] = {}
        for source in sources:
            value = self.build(source, path, depth + 1)
            if not isinstance(value, dict):
                raise error("合并键 << 只能引用映射", self.doc.loc(path), code="E-YAML")
            for key, item in value.items():
                merged.setdefault(key, item)
        return merged

    def _scalar(self, node: yaml.Node, path: Path) -> Any:
        try:
            return typed(node.tag, node.value)
        except ScalarError as exc:
            raise error(exc.message, self.doc.loc(path), exc.hint, code=exc.code) from None

    def _bad_tag(self, node: yaml.Node, path: Path) -> PerfrulesError:
        exc = bad_tag(node.tag)
        return error(exc.message, self.doc.loc(path), exc.hint, code=exc.code)
