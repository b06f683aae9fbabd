"""定性分档 (tiers): a qualitative actual (已完成, 基本完成, 较好…) placed in a tier by words, and the unit's own
score taken when it falls in that tier's band."""

from __future__ import annotations

from decimal import Decimal
from functools import lru_cache
from typing import Any, Mapping

from .errors import human
from .methodkit import MethodInput, Note, ONE, Outcome, ParamError, Unscorable, ZERO, _check_list, _is_number, fmt
from .targets import normalise


DEFAULT_TIERS: list[dict[str, Any]] = [
    {"label": "达成年度指标", "min": Decimal("0.8"), "max": ONE, "max_inclusive": True, "default": ONE,
     "synonyms": ["达成", "达成预期指标", "达成年度目标", "完成", "已完成", "全部完成", "达到", "已达到", "建立", "已建立",
                  "好", "高", "提升", "提高",
                  "有所提升", "有所提高", "明显提升", "显著提升", "是", "满意", "优", "优秀", "达标", "增加", "有效"]},
    {"label": "部分达成年度指标并具有一定效果", "min": Decimal("0.6"), "max": Decimal("0.8"), "default": Decimal("0.7"),
     "synonyms": ["部分达成", "部分完成", "基本完成", "基本达成", "较好", "较高", "良", "良好", "基本满意"]},
    {"label": "未达成年度指标且效果较差", "min": ZERO, "max": Decimal("0.6"), "default": ZERO,
     "synonyms": ["未达成", "未达标", "未完成", "一般", "较差", "差", "低", "否", "不满意", "无"]},
]


def _check_tiers(p: Mapping[str, Any]) -> None:
    _check_words(p)
    _check_list(p, "tiers", "[{label: 达成年度指标, min: 0.8, max: 1}]")
    for i, tier in enumerate(p["tiers"]):
        if not isinstance(tier, dict) or "label" not in tier or \
                not (("min" in tier and "max" in tier) or "score" in tier):
            raise ParamError(f"tiers[{i}] 需要 label，以及 min、max（分值比例）或 score（分数）",
                             "例如 {label: 达成年度指标, min: 0.8, max: 1} 或 {label: 达到, score: 2}")
        unknown = set(tier) - {"label", "synonyms", "min", "max", "max_inclusive", "default", "score"}
        if unknown:
            raise ParamError(f"tiers[{i}] 有未知的键 {human(sorted(unknown))}",
                             "允许的键：label, synonyms, min, max, max_inclusive, default, score")
        for key in ("min", "max", "default", "score"):
            if key in tier and not _is_number(tier[key]):
                raise ParamError(f"tiers[{i}].{key} 应是数值，实际是 '{human(tier[key])}'")
        if "score" in tier:
            if Decimal(tier["score"]) < 0:
                raise ParamError(f"tiers[{i}].score 不能为负数")
            if "min" in tier or "max" in tier:
                raise ParamError(f"tiers[{i}] 写了 score 就不再写 min、max", "score 是该档的分数，min、max 是分值比例区间，二选一")
            continue
        if not ZERO <= Decimal(tier["min"]) <= Decimal(tier["max"]) <= ONE:
            raise ParamError(f"tiers[{i}] 的区间 [{tier['min']}, {tier['max']}] 应在 0 到 1 之间且 min ≤ max")


# The words that turn a qualitative actual into met, not met or partly met, beside each tier's synonyms:
# 已建立 against the target 建立 is met (a met prefix), 未建立 / 尚未完成 is not (a negation), 部分完成 is partly
# met (a partial prefix). A ruleset adds its own through the method's `words` parameter; what it lists is
# added to these, longest word first.
DEFAULT_WORDS: dict[str, list[str]] = {
    "met_prefixes": ["已经", "已", "均已", "全部", "全面", "如期", "按时", "按期", "顺利", "圆满", "有所"],
    "negations": ["尚未", "还未", "仍未", "未能", "未", "没有", "没", "不", "无法"],
    "partial": ["部分", "基本", "大部分", "大部", "初步"],
}


_WORD_KEYS = tuple(DEFAULT_WORDS)


def _check_words(p: Mapping[str, Any]) -> None:
    words = p.get("words")
    if words is None:
        return
    if not isinstance(words, dict):
        raise ParamError("words 应是映射", "例如 {negations: [暂未], met_prefixes: [业已]}")
    unknown = set(words) - set(_WORD_KEYS)
    if unknown:
        raise ParamError(f"words 有未知的键 {human(sorted(unknown))}", f"允许的键：{', '.join(_WORD_KEYS)}")
    for key, value in words.items():
        if not isinstance(value, list) or not all(isinstance(w, str) and w.strip() for w in value):
            raise ParamError(f"words.{key} 应是文字列表", f"例如 {key}: [{DEFAULT_WORDS[key][0]}]")


@lru_cache(maxsize=64)
def _word_lists(extra: tuple[tuple[str, tuple[str, ...]], ...]) -> dict[str, tuple[str, ...]]:
    added = dict(extra)
    return {key: tuple(sorted({normalise(w) for w in (*DEFAULT_WORDS[key], *added.get(key, ()))}, key=lambda w: -len(w)))
            for key in _WORD_KEYS}


def _words(p: Mapping[str, Any]) -> dict[str, tuple[str, ...]]:
    given = p.get("words") or {}
    return _word_lists(tuple((k, tuple(given.get(k, ()))) for k in _WORD_KEYS))


def _strip_prefix(text: str, prefixes: tuple[str, ...]) -> tuple[str | None, str]:
    """(the prefix the text starts with, the rest), the longest prefix first; (None, text) when none."""
    for word in prefixes:
        if text.startswith(word) and len(text) > len(word):
            return word, text[len(word):].lstrip()
    return None, text


def _tier_by_words(text: str, target: str | None, tiers: list[dict[str, Any]],
                   words: dict[str, tuple[str, ...]]) -> dict[str, Any] | None:
    """The tier a qualitative actual reads as by its words: the target's own words (with or without a met
    prefix) are met; a negation of them, or of a met word, is the last tier; a partial prefix the middle one."""
    met_words = _tier_words(tiers[0]["label"], tuple(tiers[0].get("synonyms", ())))
    _, core_target = _strip_prefix(target, words["met_prefixes"]) if target else (None, None)

    def is_met(core: str) -> bool:
        return core in met_words or (target is not None and core in (target, core_target))

    negation, rest = _strip_prefix(text, words["negations"])
    if negation is not None:
        if is_met(rest) or is_met(_strip_prefix(rest, words["met_prefixes"])[1]):
            return tiers[-1]
        return None
    partial, rest = _strip_prefix(text, words["partial"])
    if partial is not None:
        if len(tiers) > 2 and (is_met(rest) or is_met(_strip_prefix(rest, words["met_prefixes"])[1])):
            return tiers[1]
        return None
    _, core = _strip_prefix(text, words["met_prefixes"])
    if is_met(text) or is_met(core):
        return tiers[0]
    return None


def _tier_of(inp: MethodInput, tiers: list[dict[str, Any]], p: Mapping[str, Any] | None = None) -> dict[str, Any]:
    if inp.actual is None:
        raise Unscorable("缺少实际完成值，无法判断定性档次")
    text = inp.actual.qualitative or normalise(inp.actual.text)
    for tier in tiers:
        if text in _tier_words(tier["label"], tuple(tier.get("synonyms", ()))):
            return tier
    target = inp.target.qualitative if inp.target else None
    if target and (text == target or text == target.removeprefix("有所")):
        return tiers[0]
    by_words = _tier_by_words(text, target, tiers, _words(p or {}))
    if by_words is not None:
        return by_words
    names = "、".join(t["label"] for t in tiers)
    if inp.target is not None and inp.target.qualitative is not None and any(c.isdigit() for c in inp.target.text) \
            and inp.actual.is_number:
        raise Unscorable(f"年度指标值 '{inp.target.text}' 无法识别为数值或期限，实际 '{inp.actual.text}' 是数值，无法比较；"
                         "请把年度指标值写成 ≥90%、≤3 天、2024年12月31日前 这样的形式")
    raise Unscorable(f"实际完成值 '{inp.actual.text}' 无法对应到定性档次（{names}）；请用档次名称或其同义词")


@lru_cache(maxsize=256)
def _tier_words(label: str, synonyms: tuple[str, ...]) -> frozenset[str]:
    return frozenset({normalise(label), *(normalise(s) for s in synonyms)})


def _in_band(score: Decimal, low: Decimal, high: Decimal, high_inclusive: bool) -> bool:
    return low <= score and (score <= high if high_inclusive else score < high)


def tiers(inp: MethodInput, p: Mapping[str, Any]) -> Outcome:
    tier = _tier_of(inp, p["tiers"], p)
    met = tier is p["tiers"][0]
    said = inp.actual.text if inp.actual else ""
    if "score" in tier:   # absolute points per level, as some platforms write them ("达到 计 2 分")
        fixed = min(Decimal(tier["score"]), inp.points)
        return Outcome(fixed, lambda: f"实际“{said}”属于“{tier['label']}”档，按规则计 {fmt(fixed)} 分",
                       {"actual": said, "tier": tier["label"]}, met)
    low = inp.points * Decimal(tier["min"])
    high = inp.points * Decimal(tier["max"])
    inclusive = bool(tier.get("max_inclusive", False))
    band = lambda: f"[{fmt(low)}, {fmt(high)}{']' if inclusive else ')'}"  # noqa: E731 - deferred
    default = inp.points * Decimal(tier.get("default", tier["max"] if inclusive else tier["min"]))
    inputs = lambda: {"actual": said, "tier": tier["label"], "band": band()}  # noqa: E731 - deferred
    head = lambda: f"实际“{said}”属于“{tier['label']}”档，分值区间 {band()}"  # noqa: E731 - deferred
    own = inp.self_score
    if own is not None and _in_band(own, low, high, inclusive):
        return Outcome(own, lambda: f"{head()}，采用单位自评分 {fmt(own)} 分", inputs, met)
    if own is None:
        return Outcome(default, lambda: f"{head()}，单位未自评，按规则取 {fmt(default)} 分", inputs, met)
    note = Note("E-TIER-BAND", "error", f"自评分 {fmt(own)} 不在“{tier['label']}”档的区间 {band()} 内", "self_score")
    return Outcome(default, lambda: f"{head()}，自评分 {fmt(own)} 不在区间内，按规则取 {fmt(default)} 分",
                   inputs, met, (note,))
