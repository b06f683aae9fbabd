"""The fast path of the guarded loader: rapidyaml parses, perfrules types and marks.

Why rapidyaml (the candidates measured by `bench/parsers.py`): its C++ parser reads a county's submission in
about a thirtieth of the time of PyYAML's C composer, and, parsing in place, it leaves every scalar pointing into the buffer it
read, so a scalar's byte offset, and so its line, is known exactly. yaml-rs and orjson are fast too but give
no position at all; PyYAML's composer gives positions by building a Python object for every mark.

Its Python binding answers one node at a time, at about 0.4 µs a call, which would spend the gain. So the
tree's node array is read in one piece (`_records`): rapidyaml 0.15 stores each node as 18 machine words
(type; the key's tag, scalar and anchor as pointer and length; the value's likewise; parent, first and last
child, next and previous sibling). That layout is checked against the binding's own answers on a sample
document before the fast path is used at all (`_verified`); if it does not match, or rapidyaml is missing,
every document takes the reference loader.

It is the reference loader, faster; never a different reader:
- It takes only a subset of YAML: no tabs, lone carriage returns, unusual line breaks, control characters or
  BOMs; no anchors, aliases, tags, merge keys, directives, document markers, explicit keys, backslash escapes
  or plain scalars beginning with an indicator. What falls outside goes to the reference loader.
- Whatever it would refuse (duplicate keys, a number out of the limits, depth), whatever rapidyaml refuses,
  and whatever it cannot place to the line (an empty value in a flow collection or a list, an empty
  collection where its line is needed, a block scalar as a list item) also goes to the reference loader,
  which gives the message. So every refusal is the reference loader's own.
- Plain scalars are typed by `yamlscalar.plain_tag`, the reference loader's YAML 1.1 resolution; quoted and
  block scalars are text.
- Each path's line is the line of the node's start as PyYAML marks it: a key's first character (its quote,
  if quoted), a flow collection's bracket, a block list's first dash, a block mapping's first key.
`tests/test_yamlfast.py` holds the two loaders equal, value, type, order, line and refusal, over every YAML
file in the project, the hostile corpus and generated documents.
"""

from __future__ import annotations

import os
import re
import struct
import sys
import threading
from bisect import bisect_left
from typing import Any

from .document import Document
from .errors import Path
from .limits import MAX_DEPTH, MAX_NODES
from .yamlscalar import STR, TYPED_STARTS, ScalarError, plain_tag, typed

# rapidyaml and ctypes are imported on first use (`_verified`): importing them costs about 8 ms, which a
# command that reads a handful of files would not win back. The commands that read many files (batch) turn
# the fast path on for `yamlio.load_text` with `enable()`; `load` itself works whenever it is called.
ryml: Any = None
ctypes: Any = None
ENABLED = False


def enable() -> None:
    """Let `yamlio.load_text` take the fast path in this process (batch and its workers call it)."""
    global ENABLED
    ENABLED = True


# The patterns of the subset check and the walk, compiled on the first `load` (`_compile`): a process that
# never takes the fast path compiles none of them.
_OUTSIDE_CHARS: Any = None   # tab and the other controls, C1 (NEL among them), LS, PS, BOM, non-characters, \\
_LONE_CR: Any = None
_EXPLICIT_KEY: Any = None
_NEWLINE: Any = None
# What may follow a key before a literal block's first line: `: |`, a chomping and an indentation indicator,
# a comment. (Folded blocks, `>`, fold lines by rules the two parsers do not share: the reference loader.)
_LITERAL_HEADER: Any = None


def _compile() -> None:
    global _OUTSIDE_CHARS, _LONE_CR, _EXPLICIT_KEY, _NEWLINE, _LITERAL_HEADER
    _OUTSIDE_CHARS = re.compile("[\x00-\x09\x0b\x0c\x0e-\x1f\x7f-\x9f\u2028\u2029\ufeff\ufffe\uffff\\\\]").search
    _LONE_CR = re.compile("\r(?!\n)").search
    _EXPLICIT_KEY = re.compile("(?:^|[ ,\\[{])\\?(?:[ \r\n]|$)", re.M).search
    _NEWLINE = re.compile(b"\n")
    _LITERAL_HEADER = re.compile(rb" *: +\|(?:[1-9][+-]?|[+-][1-9]?)?(?: +#[^\n]*)?\r?\n").match


_NONE = (1 << 64) - 1
_REC = struct.Struct("<18Q")
# Node type bits of rapidyaml 0.15 (checked against the binding in _verified).
_KEY, _VAL, _MAP, _SEQ, _DOC = 1, 2, 4, 8, 16
_REFS = (1 << 6) | (1 << 7) | (1 << 8) | (1 << 9) | (1 << 10) | (1 << 11)   # KEYREF VALREF KEYANCH VALANCH KEYTAG VALTAG
_FLOW = (1 << 16) | (1 << 17)
_KEY_LITERAL, _KEY_FOLDED, _KEY_SQUO, _KEY_DQUO, _KEY_PLAIN = (1 << 21), (1 << 23), (1 << 25), (1 << 27), (1 << 29)
_VAL_LITERAL, _VAL_FOLDED, _VAL_SQUO, _VAL_DQUO, _VAL_PLAIN = (1 << 22), (1 << 24), (1 << 26), (1 << 28), (1 << 30)
_KEY_QUOTED, _VAL_QUOTED = _KEY_SQUO | _KEY_DQUO, _VAL_SQUO | _VAL_DQUO
_VAL_BLOCK = _VAL_LITERAL | _VAL_FOLDED
_VAL_STYLE = _VAL_PLAIN | _VAL_QUOTED | _VAL_BLOCK
# A mapping entry with a plain key and a plain scalar value, and nothing else (no anchor, tag or collection).
_SIMPLE = _KEY | _VAL | _KEY_PLAIN | _VAL_PLAIN
_SIMPLE_MASK = _SIMPLE | _REFS | _MAP | _SEQ | _KEY_QUOTED | _VAL_QUOTED | _VAL_BLOCK | (1 << 21) | (1 << 23) | (1 << 12) \
    | (1 << 13)
_STREAM = 32
# How a plain scalar's first character decides it: 1, it may be typed (a number, bool, null, date or <<, by
# plain_tag); 2, PyYAML refuses a plain scalar beginning so (an indicator: anchor, alias, tag, reserved, a
# stray bracket or comma), which rapidyaml may read as text or as an anchor; anything else, text.
_FIRST = {**{c: 1 for c in TYPED_STARTS}, **{c: 2 for c in "@`%]},&*!|>'\"#:?"}}
_KEYNIL, _VALNIL = 1 << 12, 1 << 13   # a key or value with no text at all (`key:`, `-`, `: x`)


# Plain scalars as read, by context (block 0, flow 1): source text → key, and source text → value. A county's
# files repeat the same few hundred (name, target, 产出指标, 100%, 5); every value is immutable (str, int,
# Decimal, bool, None). Bounded: short texts only, and no more once full.
_PLAIN_KEYS: tuple[dict[str, str], dict[str, str]] = ({}, {})
_PLAIN_VALUES: tuple[dict[str, Any], dict[str, Any]] = ({}, {})
_MEMO_ENTRIES, _MEMO_CHARS = 8192, 64
_MISS = object()


def _plain_key(text: str, flow: int) -> str:
    """A plain key's text as the reference loader makes it a key (2024 → '2024', true → 'True')."""
    if _FIRST.get(text[:1]) == 2 or ":" in text or _odd(text, flow):
        raise _Outside
    tag = plain_tag(text)
    key = text if tag == STR else str(typed(tag, text))
    memo = _PLAIN_KEYS[flow]
    if len(text) <= _MEMO_CHARS and len(memo) < _MEMO_ENTRIES:
        memo[text] = key
    return key


def _plain_value(text: str, flow: int) -> Any:
    """A plain scalar's value, typed as the reference loader types it."""
    if _FIRST.get(text[:1]) == 2 or _odd(text, flow):
        raise _Outside
    tag = plain_tag(text)
    value = text if tag == STR else typed(tag, text)
    memo = _PLAIN_VALUES[flow]
    if len(text) <= _MEMO_CHARS and len(memo) < _MEMO_ENTRIES:
        memo[text] = value
    return value


def _odd(text: str, flow: int) -> bool:
    """A plain scalar PyYAML would have ended sooner (at a comment, a `: `, or in a flow collection at a
    bracket or comma): rapidyaml and PyYAML may disagree on it, so the reference loader reads it."""
    if "#" in text or ":" in text and (flow or ": " in text or text[-1] == ":"):
        return True
    return bool(flow) and ("," in text or "[" in text or "]" in text or "{" in text or "}" in text)


class _Outside(Exception):
    """This document is for the reference loader."""


def _records(tree: Any) -> list[tuple[int, ...]]:
    """The tree's node array, one tuple of 18 words per node, read in one piece."""
    size = tree.size()
    array = ctypes.c_void_p.from_address(int(tree.this)).value   # Tree's first member: NodeData *m_buf
    return list(_REC.iter_unpack(ctypes.string_at(array, size * _REC.size)))


def _address(buf: bytearray) -> int:
    return ctypes.addressof(ctypes.c_char.from_buffer(buf))


def _check_layout() -> bool:
    """Whether the node array reads as this module assumes: every word against the binding's own answer."""
    global ryml, ctypes
    try:
        import ctypes as _ctypes

        import ryml as _ryml
    except ImportError:   # rapidyaml is a dependency; this is the guard if its wheel is missing here
        return False
    ryml, ctypes = _ryml, _ctypes
    if sys.byteorder != "little" or struct.calcsize("P") != 8 or not ryml.version.startswith("0.15."):
        return False
    sample = ('a: 1\nb: "two"\nc:\n  - x\n  - {d: 2.5, "e": \'f\'}\n  - [g, h]\nk: |\n  text\nm: >\n  folded\n'
              'n:\nseq:\n- p\n').encode()
    buf = bytearray(sample)
    tree = ryml.parse_in_place(buf)
    base = _address(buf)
    flags = {"KEY": _KEY, "VAL": _VAL, "MAP": _MAP, "SEQ": _SEQ, "DOC": _DOC, "FLOW_SL": 1 << 16, "FLOW_ML": 1 << 17,
             "KEY_LITERAL": _KEY_LITERAL, "KEY_FOLDED": _KEY_FOLDED, "KEY_SQUO": _KEY_SQUO, "KEY_DQUO": _KEY_DQUO,
             "KEY_PLAIN": _KEY_PLAIN, "VAL_LITERAL": _VAL_LITERAL, "VAL_FOLDED": _VAL_FOLDED, "VAL_SQUO": _VAL_SQUO,
             "VAL_DQUO": _VAL_DQUO, "VAL_PLAIN": _VAL_PLAIN, "KEYREF": 1 << 6, "VALREF": 1 << 7, "KEYANCH": 1 << 8,
             "VALANCH": 1 << 9, "KEYTAG": 1 << 10, "VALTAG": 1 << 11}
    if any(getattr(ryml, name) != bit for name, bit in flags.items()):
        return False
    records = _records(tree)
    for i, rec in enumerate(records):
        links = (tree.parent(i), tree.first_child(i), tree.last_child(i), tree.next_sibling(i), tree.prev_sibling(i))
        if rec[0] != tree.type(i) or rec[13:] != links:
            return False
        for has, get, (ptr, length) in ((tree.has_key, tree.key, rec[3:5]), (tree.has_val, tree.val, rec[9:11])):
            if has(i) and not tree.is_container(i) and get(i) is not None:
                if bytes(get(i)) != bytes(buf[ptr - base:ptr - base + length]):
                    return False
    return len(records) == 16 and bytes(buf[records[-1][9] - base:][:1]) == b"p"


_VERIFIED: list[bool] = []


def _verified() -> bool:
    if not _VERIFIED:
        try:
            _VERIFIED.append(_check_layout())
        except Exception:   # noqa: BLE001 - any surprise in the binding means: use the reference loader
            _VERIFIED.append(False)
    return _VERIFIED[0]


def available() -> bool:
    """Whether the fast path is in use on this machine (rapidyaml present, its layout as checked)."""
    return _verified()


def load(text: str, name: str) -> Document | None:
    """The document, as the reference loader would give it, or None: this one is for the reference loader."""
    if not text or threading.active_count() > 1:   # (threads: see _quiet_parse)
        return None
    if _OUTSIDE_CHARS is None:
        _compile()
    if _OUTSIDE_CHARS(text) or ("\r" in text and _LONE_CR(text)) or ("?" in text and _EXPLICIT_KEY(text)) \
            or not _verified():
        return None
    try:
        raw = text.encode("utf-8")
    except UnicodeEncodeError:   # a lone surrogate: the reference loader says where
        return None
    buf = bytearray(raw)
    try:
        tree = _quiet_parse(buf)
    except Exception:   # noqa: BLE001 - rapidyaml's refusal: the reference loader says what is wrong
        return None
    if tree.size() > MAX_NODES or tree.arena_size():   # arena: a scalar rapidyaml had to move out of the buffer
        return None
    doc = Document(data=None, file=name)
    try:
        doc.data = _Walk(tree, buf, raw, doc.lines).root()
    except (_Outside, ScalarError, UnicodeDecodeError, RecursionError):
        return None
    return doc


def _quiet_parse(buf: bytearray) -> Any:
    """rapidyaml's parse, with what it writes to stderr before raising (its own English account of a syntax
    error) sent to /dev/null: the user reads the reference loader's message instead. The process's stderr is
    pointed away for the parse alone, which is only safe while no other thread can write to it; so a process
    with threads (perfrules serve) takes the reference loader (checked in load)."""
    try:
        saved = os.dup(2)
    except OSError:   # no stderr at all (a daemon's): nothing to keep clean
        return ryml.parse_in_place(buf)
    try:
        os.dup2(_devnull(), 2)
        return ryml.parse_in_place(buf)
    finally:
        os.dup2(saved, 2)
        os.close(saved)


_DEVNULL: list[int] = []


def _devnull() -> int:
    if not _DEVNULL:
        _DEVNULL.append(os.open(os.devnull, os.O_WRONLY))
    return _DEVNULL[0]


class _Walk:
    def __init__(self, tree: Any, buf: bytearray, raw: bytes, lines: dict[Path, int]):
        self.nodes = _records(tree)
        self.buf = buf
        self.raw = raw
        self.base = _address(buf)
        self.end = len(buf)
        self.lines = lines
        self.newlines = [m.start() for m in _NEWLINE.finditer(raw)]

    def line(self, offset: int) -> int:
        return bisect_left(self.newlines, offset) + 1

    def root(self) -> Any:
        kind = self.nodes[0][0]
        if kind & (_DOC | _STREAM) or not kind & (_MAP | _SEQ | _VAL):
            raise _Outside
        self.lines[()] = self.line(self.start(0))
        if kind & _MAP:
            return self.mapping(0, (), 0)
        if kind & _SEQ:
            return self.sequence(0, (), 0)
        return self.scalar(self.nodes[0], 0)

    def text(self, ptr: int, length: int) -> str:
        offset = ptr - self.base   # in the buffer: nothing was moved to the arena (checked in load)
        return self.buf[offset:offset + length].decode()

    def scalar(self, rec: tuple[int, ...], flow: int) -> Any:
        kind = rec[0]
        if not kind & _VAL_STYLE or kind & (_REFS | _MAP | _SEQ | _VALNIL):
            raise _Outside
        text = self.text(rec[9], rec[10])
        if kind & _VAL_PLAIN:
            value = _PLAIN_VALUES[flow].get(text, _MISS)
            return _plain_value(text, flow) if value is _MISS else value
        return text

    def start(self, index: int) -> int:
        """The byte offset where PyYAML marks this node's start."""
        rec = self.nodes[index]
        kind = rec[0]
        if kind & (_MAP | _SEQ):
            first = rec[14]
            if first == _NONE:   # an empty collection: nothing inside it to find its bracket from
                raise _Outside
            if kind & _MAP:
                child = self.nodes[first]
                if not child[0] & _KEY:
                    raise _Outside
                inner = child[3] - self.base - (1 if child[0] & _KEY_QUOTED else 0)
            else:
                inner = self.start(first)
            if kind & _FLOW:
                return self._back(inner, b"[" if kind & _SEQ else b"{")
            if kind & _SEQ:
                return self._back(inner, b"-")
            return inner
        if not kind & _VAL_STYLE or kind & (_VAL_BLOCK | _VALNIL):   # an empty value, a block scalar's indicator
            raise _Outside
        return rec[9] - self.base - (1 if kind & _VAL_QUOTED else 0)

    def _back(self, offset: int, opener: bytes) -> int:
        """The offset of `opener` just before `offset`, with only blanks and line breaks between."""
        raw = self.raw
        i = offset - 1
        while i >= 0 and raw[i] in b" \r\n":
            i -= 1
        if i < 0 or raw[i:i + 1] != opener:
            raise _Outside
        return i

    def mapping(self, index: int, path: Path, depth: int) -> dict[str, Any]:
        nodes, lines, buf, base, newlines = self.nodes, self.lines, self.buf, self.base, self.newlines
        flow = 1 if nodes[index][0] & _FLOW else 0
        keys, values = _PLAIN_KEYS[flow], _PLAIN_VALUES[flow]
        out: dict[str, Any] = {}
        child = nodes[index][14]
        if depth >= MAX_DEPTH and child != _NONE:
            raise _Outside
        while child != _NONE:
            crec = nodes[child]
            kind = crec[0]
            start = crec[3] - base
            if kind & _SIMPLE_MASK == _SIMPLE:   # plain key, plain value: most of a submission
                text = buf[start:start + crec[4]].decode()
                key = keys.get(text) or _plain_key(text, flow)
                if key in out:   # refused by the reference loader, with the first key's line
                    raise _Outside
                where = path + (key,)
                lines[where] = bisect_left(newlines, start) + 1
                offset = crec[9] - base
                text = buf[offset:offset + crec[10]].decode()
                value = values.get(text, _MISS)
                out[key] = _plain_value(text, flow) if value is _MISS else value
                child = crec[16]
                continue
            if not kind & _KEY or kind & (_REFS | _KEYNIL) or not kind & (_KEY_PLAIN | _KEY_QUOTED) \
                    or not crec[4] and kind & _KEY_PLAIN:
                raise _Outside
            key = buf[start:start + crec[4]].decode()
            if kind & _KEY_PLAIN:
                key = keys.get(key) or _plain_key(key, flow)
            if key in out:
                raise _Outside
            where = path + (key,)
            lines[where] = bisect_left(newlines, start - (1 if kind & _KEY_QUOTED else 0)) + 1
            if kind & _MAP:
                out[key] = self.mapping(child, where, depth + 1)
            elif kind & _SEQ:
                out[key] = self.sequence(child, where, depth + 1)
            elif kind & _VAL_BLOCK:   # `key: |` text: a literal block only, under a header PyYAML takes
                header = start + crec[4] + (1 if kind & _KEY_QUOTED else 0)
                if kind & _VAL_FOLDED or not _LITERAL_HEADER(self.raw, header):
                    raise _Outside
                out[key] = self.text(crec[9], crec[10])
            elif kind & _VAL_QUOTED and not kind & _REFS:   # "≥90%": quoted text, as it stands
                offset = crec[9] - base
                out[key] = buf[offset:offset + crec[10]].decode()
            elif not kind & _VALNIL:
                out[key] = self.scalar(crec, flow)
            elif flow:   # {a, b: 1} or {total: 1,320.50}: the reference loader says what the comma did
                raise _Outside
            else:   # `key:` with nothing after it
                out[key] = None
            child = crec[16]
        return out

    def sequence(self, index: int, path: Path, depth: int) -> list[Any]:
        nodes, lines, newlines = self.nodes, self.lines, self.newlines
        flow = 1 if nodes[index][0] & _FLOW else 0
        out: list[Any] = []
        child = nodes[index][14]
        if depth >= MAX_DEPTH and child != _NONE:
            raise _Outside
        i = 0
        while child != _NONE:
            crec = nodes[child]
            kind = crec[0]
            where = path + (i,)
            lines[where] = bisect_left(newlines, self.start(child)) + 1
            if kind & _MAP:
                out.append(self.mapping(child, where, depth + 1))
            elif kind & _SEQ:
                out.append(self.sequence(child, where, depth + 1))
            else:
                out.append(self.scalar(crec, flow))
            child = crec[16]
            i += 1
        return out
