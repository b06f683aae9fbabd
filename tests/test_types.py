"""The engine and the CLI are typed and type-check (mypy, settings in pyproject.toml)."""

from mypy import api

from .conftest import ROOT


def test_mypy_passes(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-incremental"])
    assert status == 0, out + err
