"""The shipped JSON Schemas are valid schemas (checked here rather than at every start of the tool)."""

import json
from importlib import resources

import jsonschema
import pytest


@pytest.mark.parametrize("name", ["submission-v1", "ruleset-v1"])
def test_schema_is_valid_against_its_meta_schema(name):
    schema = json.loads(resources.files("engine.schemas").joinpath(f"{name}.schema.json").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(schema).check_schema(schema)
