"""The engine and the CLI are typed and type-check (mypy, settings in pyproject.toml)."""

from mypy import api

from .conftest import ROOT


def test_mypy_passes(monkeypatch):
    monkeypatch.chdir(ROOT)
    out, err, status = api.run(["--config-file", str(ROOT / "pyproject.toml"), "--no-incremental"])
    assert status == 0, out + err


def test_the_built_in_sha256_is_hashlibs():
    import hashlib
    import os

    from perfrules.engine.limits import sha256_hex
    for data in (b"", b"abc", os.urandom(100_000), "自评".encode("utf-8")):
        assert sha256_hex(data) == hashlib.sha256(data).hexdigest()


def test_a_user_error_crosses_a_process_boundary_whole():
    import pickle

    from perfrules.engine.errors import Location, error
    exc = error("第 3 行的值无法识别", Location("自评.yaml", 3, ("indicators", 0)), "写成 98%", code="E-TARGET")
    again = pickle.loads(pickle.dumps(exc))
    assert again.diagnostics == exc.diagnostics and str(again) == str(exc)


def test_every_python_package_of_the_source_is_in_the_wheel():
    """pyproject lists the packages a wheel holds; a package left out is missing from every non-editable
    install (engine/rulebook was, so `rulesets export` and `import` failed there while the editable install,
    which maps the whole folder, worked)."""
    import tomllib

    from .conftest import ROOT
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["setuptools"]["packages"])
    skip = {"tests", "bench", "tools", "docs", "examples", ".venv", "test-artifacts", "build", "dist"}
    found = {"perfrules." + ".".join(p.parent.relative_to(ROOT).parts) for p in ROOT.rglob("__init__.py")
             if p.parent != ROOT and p.parent.relative_to(ROOT).parts[0] not in skip}
    assert found <= listed, sorted(found - listed)
