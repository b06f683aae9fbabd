"""Every bound perfrules puts on what it reads, in one place (documented in docs/ruleset-guide.md, "Limits").

A real self-evaluation is a few hundred lines with numbers of a dozen digits; these limits leave two orders
of magnitude of room and still make hostile input fail fast, with a message, in bounded time and memory.
Numbers are checked where they are read (YAML scalars, target texts, expression literals), so that no later
Decimal operation can overflow, underflow or lose exactness.
"""

from __future__ import annotations

import decimal
from decimal import Decimal, InvalidOperation

MAX_FILE_BYTES = 4 * 1024 * 1024      # a submission, ruleset or template manifest
MAX_DEPTH = 40                        # nesting of mappings and lists
MAX_NODES = 200_000                   # values after YAML aliases are expanded
MAX_ABS_NUMBER = Decimal(10) ** 15    # no budget, target or score comes near
MAX_NUMBER_CHARS = 40                 # a number as written, digits, separators and sign included
MAX_SIGNIFICANT_DIGITS = 28           # the precision of the engine's Decimal context
MAX_DECIMAL_PLACES = 12               # 0.000000000001 is the finest value a table can state
MAX_VALUE_CHARS = 500                 # one target or actual cell (a qualitative actual may be a sentence)
MAX_EXPRESSION_CHARS = 2000
MAX_EXPRESSION_DEPTH = 60             # nesting of an expression's syntax tree (a+b+c… nests once per term)

# Templates (a user's --templates run in the sandbox under these budgets).
TEMPLATE_SECONDS = 10.0
TEMPLATE_OUTPUT_CHARS = 20_000_000
TEMPLATE_MAX_REPEAT = 1_000_000       # 'x' * n, list * n and str.center(n) and the like
TEMPLATE_MAX_RANGE = 100_000          # items of one range()

# The engine's arithmetic: 28 significant digits; overflow, invalid operations and division by zero trap.
CONTEXT = decimal.Context(prec=MAX_SIGNIFICANT_DIGITS, rounding=decimal.ROUND_HALF_EVEN, Emax=99, Emin=-99,
                          traps=[decimal.InvalidOperation, decimal.DivisionByZero, decimal.Overflow])


def install_context() -> None:
    """Make CONTEXT the current Decimal context of this thread (the CLI and every batch worker call it)."""
    decimal.setcontext(CONTEXT.copy())


class NumberError(Exception):
    """A number outside the limits; the caller adds the location."""

    def __init__(self, message: str, hint: str):
        super().__init__(message)
        self.message = message
        self.hint = hint


def check_number(value: Decimal | int, text: str) -> Decimal:
    """`value` (read from `text`) as a Decimal within the limits, or NumberError saying which limit."""
    if isinstance(value, int):
        value = Decimal(value)
    if not value.is_finite():
        raise NumberError(f"数值 '{_short(text)}' 不是有限的数", "NaN 和无穷大不能用于金额或分数；请填写具体数值")
    if value.copy_abs() >= MAX_ABS_NUMBER:
        raise NumberError(f"数值 '{_short(text)}' 过大（绝对值上限 10^15）", "请检查是否多写了位数，或金额单位是否应为万元")
    _sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)   # finite, checked above
    if exponent >= -MAX_DECIMAL_PLACES:
        return value
    trailing = len(digits) - len("".join(map(str, digits)).rstrip("0"))
    if value and -(exponent + trailing) > MAX_DECIMAL_PLACES:
        raise NumberError(f"数值 '{_short(text)}' 的小数位过多（上限 {MAX_DECIMAL_PLACES} 位）",
                          "请四舍五入到合理的位数后再填写")
    return value


def parse_number(text: str) -> Decimal:
    """A number written as text (digits, sign, point, exponent), bounded before it is converted: a 5,000-digit
    integer or `1e-9999999` is refused here, never handed to int() or to arithmetic."""
    clean = text.strip().replace("_", "")
    if len(clean) > MAX_NUMBER_CHARS:
        raise NumberError(f"数值 '{_short(text)}' 位数过多（上限 {MAX_NUMBER_CHARS} 个字符）", "请检查是否多写了位数")
    try:
        value = Decimal(clean)
    except InvalidOperation:
        raise NumberError(f"'{_short(text)}' 不是数值", "请填写数字") from None
    return check_number(value, text)


def _short(text: str) -> str:
    text = str(text)
    return text if len(text) <= 40 else text[:20] + "…" + text[-8:] + f"（共 {len(text)} 个字符）"


def short(text: str) -> str:
    """A long value cut for a message."""
    return _short(text)


try:   # CPython's built-in SHA-256: the digest hashlib gives, without loading OpenSSL at every start (5 ms)
    from _sha256 import sha256 as _sha256   # type: ignore[import-not-found]   # Python 3.11
except ImportError:   # pragma: no cover - other Pythons
    try:
        from _sha2 import sha256 as _sha256   # type: ignore[import-not-found,no-redef]   # Python 3.12+
    except ImportError:
        from hashlib import sha256 as _sha256   # type: ignore[assignment]


def short_digest(data: bytes) -> bytes:
    """The first 16 bytes of the sha256 of `data`: a key that stands for a longer one (a collision is not a
    concern at 2^-128)."""
    return bytes(_sha256(data).digest()[:16])


def sha256_hex(data: bytes) -> str:
    """The sha256 of `data` in hex, as recorded in provenance lines and the server's records."""
    return str(_sha256(data).hexdigest())
