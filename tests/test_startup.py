"""What `perfrules score` builds when it starts is what scoring uses (issue 26, deliverable 5).

Every dataclass an imported module creates costs about half a millisecond of exec'd code, and every pattern
compiled at import a fraction of one; `score` is a command a unit runs many times. This runs `score` and
`check` in a fresh interpreter whose dataclass factory and re.compile are counted before perfrules is
imported, over three ordinary submissions (the shipped example, a generated one, and a small one with a
labelled target and a deviation), and asserts that every dataclass built and every pattern perfrules
compiled was used by them. A class or a pattern only some rare input needs is made when that input comes
(see engine/deadlines.py, engine/collect.py, the lazy patterns in engine/targets.py).
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LABELLED = """\
schema_version: 1
kind: unit-overall
year: 2024
unit: 测试单位
indicators:
  - {level1: 产出指标, level2: 数量指标, name: 培训人次, target: "2024 年底完成率 100%", actual: "100%", points: 5, self_score: 5}
  - {level1: 产出指标, level2: 数量指标, name: 宣传次数, target: "≥10 次", actual: "40 次", points: 5, self_score: 5}
"""

PROBE = textwrap.dedent("""
    import collections, contextlib, dataclasses, io, json, re, sys
    made, used = [], collections.Counter()
    process = dataclasses._process_class

    def counted(cls, *args, **kwargs):
        out = process(cls, *args, **kwargs)
        if out.__module__.startswith("perfrules"):
            init, name = out.__init__, out.__module__ + "." + out.__qualname__
            def __init__(self, *a, __init=init, __name=name, **k):
                used[__name] += 1
                return __init(self, *a, **k)
            out.__init__ = __init__
            made.append(name)
        return out
    dataclasses._process_class = counted

    patterns, pattern_use = [], collections.Counter()
    compile_ = re.compile

    class Counted:
        def __init__(self, name, pattern):
            self._name, self._pattern = name, pattern
        def __getattr__(self, attr):
            pattern_use[self._name] += 1
            return getattr(self._pattern, attr)

    def counting_compile(pattern, flags=0):
        compiled = compile_(pattern, flags)
        caller = sys._getframe(1).f_globals.get("__name__", "")
        if not caller.startswith("perfrules"):
            return compiled
        name = f"{caller}:{str(pattern)[:40]}"
        patterns.append(name)
        return Counted(name, compiled)
    re.compile = counting_compile

    from perfrules.cli import main
    for command in ("score", "check"):
        for file in sys.argv[1:]:
            sys.argv[1:] = [command, file] if command == "score" else [command, file] + sys.argv[2:]
            with contextlib.redirect_stdout(io.StringIO()):
                try:
                    main([command, file], standalone_mode=False)
                except SystemExit:
                    pass
    print(json.dumps({"made": made, "used": sorted(used), "patterns": patterns, "pattern_use": sorted(pattern_use)}))
""")


def test_score_builds_no_dataclass_and_compiles_no_pattern_it_does_not_use(tmp_path):
    from bench.generate import submission
    import random
    generated = tmp_path / "generated.yaml"
    generated.write_text(submission(random.Random(3), 1), encoding="utf-8")
    labelled = tmp_path / "labelled.yaml"
    labelled.write_text(LABELLED, encoding="utf-8")
    files = [str(ROOT / "examples" / "zizhou-hrss-2024.yaml"), str(generated), str(labelled)]
    result = subprocess.run([sys.executable, "-c", PROBE, *files], capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "PERFRULES_CACHE_DIR": str(tmp_path / "cache")}, timeout=120)
    assert result.returncode == 0, result.stderr
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert len(seen["made"]) > 15 and len(seen["patterns"]) > 5   # the probe counted (it would pass vacuously otherwise)
    assert sorted(set(seen["made"]) - set(seen["used"])) == []
    assert sorted(set(seen["patterns"]) - set(seen["pattern_use"])) == []
    # Modules of other commands and of other formats stay out of a score of a YAML file.
    probe_modules = textwrap.dedent("""
        import sys, contextlib, io
        from perfrules.cli import main
        with contextlib.redirect_stdout(io.StringIO()):
            try:
                main(["score", sys.argv[1]], standalone_mode=False)
            except SystemExit:
                pass
        print(" ".join(sorted(sys.modules)))
    """)
    result = subprocess.run([sys.executable, "-c", probe_modules, files[0]], capture_output=True, text=True, cwd=ROOT,
                            env={"PATH": "/usr/bin:/bin", "PERFRULES_CACHE_DIR": str(tmp_path / "cache")}, timeout=120)
    assert result.returncode == 0, result.stderr
    loaded = set(result.stdout.split())
    for module in ("zipfile", "tempfile", "shutil", "lzma", "bz2", "simpleeval", "perfrules.engine.expressions",
                   "perfrules.engine.collect", "perfrules.engine.batch", "perfrules.engine.render", "openpyxl",
                   "ryml", "perfrules.engine.deadlines"):
        assert module not in loaded, module
