"""The on-disk ruleset cache only ever saves time: the same choice with and without it, never a stale answer
after an edit, and a corrupt or unwritable cache is ignored."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from perfrules.engine import diskcache
from perfrules.engine.ruleset import SHIPPED_DIR, _file_sha_cached, _header_cached, _scope_cached, choose

from .conftest import ROOT


def _fresh(monkeypatch, folder) -> None:
    monkeypatch.setenv("PERFRULES_CACHE_DIR", str(folder))
    diskcache.forget()
    for f in (_file_sha_cached, _header_cached, _scope_cached):
        f.cache_clear()


def _choose(tmp_path, name: str = "r"):
    return choose("unit-overall", 2025, "陕西省榆林市子洲县", [tmp_path / name])


def test_a_cached_choice_is_the_uncached_one_and_an_edit_is_seen(tmp_path, monkeypatch):
    shutil.copytree(SHIPPED_DIR, tmp_path / "r")
    _fresh(monkeypatch, "")                       # no cache
    uncached = _choose(tmp_path).ref
    _fresh(monkeypatch, tmp_path / "cache")
    assert _choose(tmp_path).ref == uncached
    diskcache.save()
    saved = json.loads(next((tmp_path / "cache").glob("rulesets-*.json")).read_text(encoding="utf-8"))
    assert any(k.startswith("scope:") for k in saved) and any(k.startswith("header:") for k in saved)
    _fresh(monkeypatch, tmp_path / "cache")       # a new process: answered from disk
    assert _choose(tmp_path).ref == uncached
    # An edit that narrows the chosen ruleset's scope changes the choice, same size and time stamp or not.
    chosen = next(p for p in (tmp_path / "r").rglob("*.yaml") if "zizhou" in p.name and ".test." not in p.name)
    text = chosen.read_text(encoding="utf-8")
    stat = chosen.stat()
    chosen.write_text(text.replace("陕西省榆林市子洲县", "陕西省榆林市米脂县"), encoding="utf-8")
    os.utime(chosen, ns=(stat.st_atime_ns, stat.st_mtime_ns))
    _fresh(monkeypatch, tmp_path / "cache")
    assert _choose(tmp_path).ref != uncached


def test_a_corrupt_cache_is_ignored(tmp_path, monkeypatch):
    (tmp_path / "cache").mkdir()
    (tmp_path / "cache" / f"rulesets-{__import__('perfrules.engine', fromlist=['x']).__version__}.json").write_text(
        "{not json", encoding="utf-8")
    shutil.copytree(SHIPPED_DIR, tmp_path / "r")
    _fresh(monkeypatch, tmp_path / "cache")
    assert _choose(tmp_path).ref.startswith("shaanxi/")
    diskcache.save()
    json.loads(next((tmp_path / "cache").glob("rulesets-*.json")).read_text(encoding="utf-8"))   # rewritten whole


def test_an_unwritable_cache_folder_is_ignored(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("x", encoding="utf-8")
    env = {**os.environ, "PERFRULES_CACHE_DIR": str(blocker / "cache")}
    result = subprocess.run([sys.executable, "-m", "perfrules", "score", str(ROOT / "examples" / "zizhou-hrss-2024.yaml")],
                            capture_output=True, text=True, env=env, cwd=ROOT)
    assert result.returncode == 0 and "Traceback" not in result.stderr


def test_checks_compile_lazily_only_after_a_clean_verdict(tmp_path, monkeypatch):
    from perfrules.engine import ruleset as rs_module
    from perfrules.engine.api import check_file
    from perfrules.engine.ruleset import get_ruleset
    shutil.copytree(SHIPPED_DIR, tmp_path / "r")
    seed = ROOT / "examples" / "zizhou-hrss-2024.yaml"

    def fresh_process():
        _fresh(monkeypatch, tmp_path / "cache")
        rs_module._COMPILED.clear()

    fresh_process()
    first = get_ruleset("cn/unit-overall@2024.1", [tmp_path / "r"])
    assert "checks" in first.__dict__            # no verdict yet: compiled whole, checks included
    findings = [f.to_json() for f in check_file(seed, "cn/unit-overall@2024.1", [tmp_path / "r"]).findings]
    diskcache.save()
    fresh_process()
    again = get_ruleset("cn/unit-overall@2024.1", [tmp_path / "r"])
    assert "checks" not in again.__dict__        # a clean verdict: compiled when first run
    assert [f.to_json() for f in check_file(seed, "cn/unit-overall@2024.1", [tmp_path / "r"]).findings] == findings
    # A broken check is refused at load, whatever the cache holds for other content.
    path = tmp_path / "r" / "cn" / "unit-overall-2024.1.yaml"
    path.write_text(path.read_text(encoding="utf-8").replace("checks:\n", "checks:\n  - {kind: no-such-check}\n", 1),
                    encoding="utf-8")
    fresh_process()
    import pytest

    from perfrules.engine.errors import PerfrulesError
    with pytest.raises(PerfrulesError, match="no-such-check"):
        get_ruleset("cn/unit-overall@2024.1", [tmp_path / "r"])


def test_the_verdict_depends_on_every_module_that_defines_a_method_or_a_check():
    """A cached verdict (this ruleset compiled cleanly) is keyed by the engine's code: a change to any module
    where a method, its parameters or a check kind is defined must decide every ruleset again. Held against
    the registries themselves, so a method or check family in a new module cannot be left out."""
    from perfrules.engine import checks, methods
    from perfrules.engine.rulecompile import verdict_sources
    sources = {p.resolve() for p in verdict_sources()}
    defining = {Path(sys.modules[m.func.__module__].__file__).resolve() for m in methods.REGISTRY.values()}
    defining |= {Path(sys.modules[m.check.__module__].__file__).resolve() for m in methods.REGISTRY.values() if m.check}
    defining |= {Path(sys.modules[k.func.__module__].__file__).resolve() for k in checks.KINDS.values()}
    defining |= {Path(methods.__file__).resolve(), Path(checks.__file__).resolve(),
                 Path(sys.modules[methods.Param.__module__].__file__).resolve(),
                 Path(sys.modules[checks.compile_check.__module__].__file__).resolve()}
    assert len(defining) >= 11 and defining <= sources, sorted(str(p) for p in defining - sources)
    assert all(p.exists() for p in sources)
