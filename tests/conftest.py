from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "examples" / "zizhou-hrss-2024.yaml"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture(scope="session", autouse=True)
def private_cache(tmp_path_factory):
    """The ruleset cache of the test run lives in a folder of its own (subprocesses inherit it): the tests
    neither read what an earlier run left in ~/.cache nor leave anything there."""
    import os
    folder = tmp_path_factory.mktemp("perfrules-cache")
    saved = os.environ.get("PERFRULES_CACHE_DIR")
    os.environ["PERFRULES_CACHE_DIR"] = str(folder)
    yield folder
    if saved is None:
        os.environ.pop("PERFRULES_CACHE_DIR", None)
    else:
        os.environ["PERFRULES_CACHE_DIR"] = saved


@pytest.fixture
def runner() -> CliRunner:
    return CliRunner()


@pytest.fixture
def write(tmp_path: Path):
    """Write a dedented text file into tmp_path and return its path."""
    def _write(name: str, text: str | bytes) -> Path:
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(text, bytes):
            path.write_bytes(text)
        else:
            path.write_text(textwrap.dedent(text), encoding="utf-8")
        return path
    return _write
