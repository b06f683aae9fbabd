"""The shipped JSON Schemas are valid schemas (checked here rather than at every start of the tool)."""

import json
from importlib import resources

import jsonschema
import pytest


@pytest.mark.parametrize("name", ["submission-v1", "ruleset-v1"])
def test_schema_is_valid_against_its_meta_schema(name):
    schema = json.loads(resources.files("perfrules.engine.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)


# ------------------------------------------------------------------ the fast validators
import copy  # noqa: E402
import os  # noqa: E402
from pathlib import Path  # noqa: E402
import importlib.util  # noqa: E402
from decimal import Decimal as _D  # noqa: E402

from hypothesis import HealthCheck, given, settings, strategies as st  # noqa: E402


def _builder():
    spec = importlib.util.spec_from_file_location("build_validators", Path(__file__).parent.parent / "tools" / "build_validators.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("name", ["submission-v1", "ruleset-v1"])
def test_the_generated_validators_are_not_stale(name):
    builder = _builder()
    assert builder.module_path(name).read_text(encoding="utf-8") == builder.generate(name), \
        "the schema changed: run python tools/build_validators.py and commit the result"


_BASES: dict = {}
_BASE_FILES = {"submission-v1": "examples/zizhou-hrss-2024.yaml", "ruleset-v1": "rulesets/cn/project-2020.1.yaml"}
_VALUES = st.sampled_from([None, 0, 1, -1, _D("2.5"), "", "文字", "≥90%", True, [], {}, [1], {"x": 1}, 2024, 1990, 2101,
                           "unit-overall", "project", "a" * 300, "2025-03-10"])


@st.composite
def mutated_documents(draw, name):
    """A shipped document's data with a few values replaced, keys removed or unknown keys added, anywhere."""
    if name not in _BASES:
        from perfrules.engine.yamlio import load_file
        _BASES[name] = load_file(Path(__file__).parent.parent / _BASE_FILES[name]).data
    data = copy.deepcopy(_BASES[name])
    for _ in range(draw(st.integers(1, 4))):
        node, key = data, None
        for _ in range(draw(st.integers(0, 4))):
            keys = list(node.keys()) if isinstance(node, dict) else list(range(len(node))) if isinstance(node, list) else []
            if not keys:
                break
            key = draw(st.sampled_from(keys))
            if not isinstance(node[key], (dict, list)):
                break
            node = node[key]
        action = draw(st.sampled_from(["replace", "delete", "add"]))
        if isinstance(node, dict):
            keys = list(node)
            if action == "add" or not keys:
                node[draw(st.sampled_from(["extra", "targte", "unit", "points"]))] = copy.deepcopy(draw(_VALUES))
            elif action == "delete":
                node.pop(draw(st.sampled_from(keys)))
            else:
                node[draw(st.sampled_from(keys))] = copy.deepcopy(draw(_VALUES))
        elif isinstance(node, list) and node:
            node[draw(st.integers(0, len(node) - 1))] = copy.deepcopy(draw(_VALUES))
    return data


@settings(max_examples=int(os.environ.get("PERFRULES_FUZZ_EXAMPLES", "150")) * 2, deadline=None,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(["submission-v1", "ruleset-v1"]).flatmap(lambda n: st.tuples(st.just(n), mutated_documents(n))))
def test_fast_and_full_validators_agree(case):
    from perfrules.engine.schema import fast_validator, validator
    name, data = case
    fast, invalid = fast_validator(name)
    try:
        fast(data)
        fast_ok = True
    except invalid:
        fast_ok = False
    full_ok = not any(True for _ in validator(name).iter_errors(data))
    assert fast_ok == full_ok, data
