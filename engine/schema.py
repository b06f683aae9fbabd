"""JSON Schema validation with messages a budget clerk can act on.

Two validators per schema. The fast one (generated from the schema by tools/build_validators.py) answers
valid / invalid and is all that runs for a valid document. Only when it rejects one is jsonschema imported
and asked to explain: each jsonschema error becomes a `Diagnostic` with the file, the line of the offending
value (from the YAML marks) and its path, the common error kinds said in Chinese. jsonschema's verdict is
the one that counts; a differential test holds the two to the same verdicts.
"""

from __future__ import annotations

import importlib
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any, Callable

if TYPE_CHECKING:
    import jsonschema
    from jsonschema.exceptions import ValidationError

from .errors import Diagnostic, Path, did_you_mean, human
from .yamlio import Document

_TYPES = {"string": "文字", "number": "数值", "integer": "整数", "object": "映射（键: 值）", "array": "列表",
          "boolean": "true/false", "null": "空"}


@lru_cache(maxsize=None)
def fast_validator(name: str) -> tuple[Callable[[Any], Any], type[Exception]] | None:
    """The generated validator of a schema and the exception it raises for an invalid document."""
    try:
        module = importlib.import_module(f"{__package__}.schemas.fast_{name.replace('-', '_')}")
    except ImportError:   # pragma: no cover - the generated modules ship with the package
        return None
    return module.validate, module.JsonSchemaValueException


@lru_cache(maxsize=None)
def validator(name: str) -> "jsonschema.protocols.Validator":
    import jsonschema
    from importlib import resources   # (here: only a refused document needs the schema's text; 3 ms at start-up)
    text = resources.files(f"{__package__}.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8")
    schema = json.loads(text)
    cls = jsonschema.validators.validator_for(schema)
    # The schemas are ours and tests/test_schemas.py checks them against the meta-schema; checking them
    # again at every start would cost more than validating a submission.
    return cls(_inline_refs(schema, schema.get("$defs", {})))


def _inline_refs(node: Any, defs: dict[str, Any], stack: tuple[str, ...] = ()) -> Any:
    """Replace local `$ref`s by their definitions (recursive ones stay refs).

    Resolving a `$ref` costs a registry lookup on every visit; inlined, validation of a submission takes
    half the time (measured in bench/). The error paths and messages are the same."""
    if isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/") and ref.split("/")[-1] not in stack:
            name = ref.split("/")[-1]
            rest = {k: v for k, v in node.items() if k != "$ref"}
            return {**_inline_refs(defs[name], defs, stack + (name,)), **rest}
        return {k: _inline_refs(v, defs, stack) for k, v in node.items()}
    if isinstance(node, list):
        return [_inline_refs(v, defs, stack) for v in node]
    return node


def schema_json(name: str) -> dict[str, Any]:
    return dict(validator(name).schema)


class Unexplained(Exception):
    """A document the generated validator rejects, in a process that leaves saying why to another."""


_DEFER = False


def defer_explanations(on: bool = True) -> None:
    """From now on in this process, a rejected document raises Unexplained instead of importing jsonschema
    to explain it. Batch workers do this, and the parent explains the file: jsonschema and what it imports
    (about 4 MiB resident) are then loaded once per run, not once in every worker that meets a refusal."""
    global _DEFER
    _DEFER = on


def validate(doc: Document, name: str, code: str = "E-SCHEMA") -> list[Diagnostic]:
    fast = fast_validator(name)
    if fast is not None:
        check, invalid = fast
        try:
            check(doc.data)
            return []
        except invalid:
            if _DEFER:
                raise Unexplained(doc.file) from None
            # otherwise jsonschema explains (and has the last word)
    errors = sorted(validator(name).iter_errors(doc.data), key=lambda e: (list(map(str, e.absolute_path))))
    return [_diagnostic(doc, e, code) for e in _leaves(errors)]


def _leaves(errors: list["ValidationError"]) -> list["ValidationError"]:
    """For oneOf/anyOf, report the most relevant branch error rather than the umbrella message."""
    out = []
    for e in errors:
        if e.validator in ("oneOf", "anyOf") and e.context:
            # The branch that failed on something other than the value's type is the one the author meant.
            meant = [c for c in e.context if c.validator != "type"] or list(e.context)
            out.append(max(meant, key=lambda c: len(c.absolute_path)))
            continue
        out.append(e)
    return out


def _diagnostic(doc: Document, e: "ValidationError", code: str) -> Diagnostic:
    path: Path = tuple(e.absolute_path)
    message, hint, path = _describe(e, path)
    where = _named(doc, path)
    return Diagnostic(where + message, doc.loc(path), hint, code)


def _named(doc: Document, path: Path) -> str:
    """Name the object by what people search their file for: the indicator's or category's name."""
    data: Any = doc.data
    name = None
    for part in path:
        try:
            data = data[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(data, dict):
            label = data.get("name") or data.get("label") or data.get("title")
            if isinstance(label, str):
                name = label
    return f"在“{name}”中：" if name else ""


def _describe(e: "ValidationError", path: Path) -> tuple[str, str | None, Path]:
    v, expected = e.validator, e.validator_value
    hint = e.schema.get("description") if isinstance(e.schema, dict) else None
    if v == "required":
        missing = e.message.split("'")[1] if "'" in e.message else str(expected)
        return f"缺少必填项 '{missing}'", hint, path + (missing,)
    if v == "additionalProperties":
        allowed = sorted(e.schema.get("properties", {}))
        extra = sorted(set(e.instance) - set(allowed)) if isinstance(e.instance, dict) else []
        key = extra[0] if extra else "?"
        return f"未知的键 '{key}'", did_you_mean(key, allowed), path + (key,)
    if v == "type":
        kinds = expected if isinstance(expected, list) else [expected]
        want = " 或 ".join(_TYPES.get(str(k), str(k)) for k in kinds)
        return f"应为{want}，实际是 {_show(e.instance)}", hint, path
    if v == "enum":
        return f"值 {_show(e.instance)} 不在可选范围内：{', '.join(map(str, expected))}", hint, path
    if v == "const":
        return f"值 {_show(e.instance)} 应为 {expected}", _const_hint(path), path
    if v in ("minimum", "exclusiveMinimum"):
        return f"值 {_show(e.instance)} 太小（{'≥' if v == 'minimum' else '＞'}{expected}）", hint, path
    if v in ("maximum", "exclusiveMaximum"):
        return f"值 {_show(e.instance)} 太大（{'≤' if v == 'maximum' else '＜'}{expected}）", hint, path
    if v == "pattern":
        return f"值 {_show(e.instance)} 格式不对", hint, path
    if v == "maxLength":
        return f"文字过长（{len(e.instance)} 个字符，上限 {expected}）", hint or "请精简；限制见 docs/submission-format.md“限制”一节", path
    if v == "maxItems":
        return f"项数过多（{len(e.instance)} 项，上限 {expected}）", hint or "请检查是否重复粘贴；限制见 docs/submission-format.md“限制”一节", path
    if v in ("minItems", "minLength", "minProperties"):
        return "不能为空", hint, path
    if v == "maxProperties":
        return "只能填写一项", hint, path
    return e.message, hint, path


def _const_hint(path: Path) -> str | None:
    if path == ("schema_version",):
        return "本版本 perfrules 只支持 schema_version: 1"
    return None


def _show(value: Any) -> str:
    text = human(value) if not isinstance(value, str) else f"'{value}'"
    return text if len(text) <= 60 else text[:57] + "…"

