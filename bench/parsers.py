"""The YAML candidates, one command:  python bench/parsers.py [N]

Why engine/yamlfast.py is built on rapidyaml: each candidate reads the same N generated submissions
(bench/generate.py, 500 by default) from bytes already in memory, and the time per file is printed with
its ratio to the reference loader in the same run. What each gives matters as much as its speed: perfrules
needs the line of every value (for file:line in every message) and YAML 1.1 typing exactly as today.

- PyYAML full load (C loader): values, no positions; floats as binary floats.
- the reference loader (yamlio.load_reference): PyYAML's C composer and perfrules' walker; values, lines.
- the fast loader (yamlfast.load): rapidyaml and perfrules' walker; the same values and lines.
- rapidyaml's parse alone: a tree of the text, no Python value made (the floor).
- json.loads of the same data as JSON, and orjson and yaml-rs if they are installed: values, no positions.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
from bench.generate import generate  # noqa: E402


def per_file_us(fn, items: list, repeat: int = 5) -> float:
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        for item in items:
            try:
                fn(item)
            except Exception:  # noqa: BLE001 - the generated corpus has broken files on purpose
                pass
        times.append(time.perf_counter() - start)
    return min(times) / len(items) * 1e6


def main() -> None:
    import yaml

    from perfrules.engine import yamlfast, yamlio
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 500
    with tempfile.TemporaryDirectory(prefix="perfrules-parsers-") as tmp:
        paths = generate(n, Path(tmp))
        raws = [p.read_bytes() for p in paths]
    texts = [r.decode("utf-8") for r in raws]
    documents = [yamlio.load_reference(t, "x").data for t in texts if _reads(yamlio.load_reference, t)]
    as_json = [json.dumps(d, ensure_ascii=False, default=str).encode("utf-8") for d in documents]
    rows: list[tuple[str, float, str]] = []
    yamlfast.available()   # imports rapidyaml; its parse with its own stderr account of broken files kept quiet
    rows.append(("rapidyaml parse alone (no values)", per_file_us(lambda r: yamlfast._quiet_parse(bytearray(r)), raws),
                 "none"))
    rows.append(("fast loader (yamlfast.load)", per_file_us(lambda t: yamlfast.load(t, "x"), texts), "every value"))
    rows.append(("reference loader (yamlio.load_reference)", per_file_us(lambda t: yamlio.load_reference(t, "x"), texts),
                 "every value"))
    rows.append(("PyYAML full load, C loader", per_file_us(lambda r: yaml.load(r, Loader=yaml.CSafeLoader), raws), "none"))
    rows.append(("json.loads (the same data as JSON)", per_file_us(json.loads, as_json), "none"))
    for module, label in (("orjson", "orjson.loads (as JSON)"), ("yaml_rs", "yaml-rs loads")):
        try:
            lib = __import__(module)
        except ImportError:
            continue
        loads = getattr(lib, "loads")
        rows.append((label, per_file_us(loads, as_json if module == "orjson" else texts), "none"))
    reference = next(us for label, us, _ in rows if label.startswith("reference"))
    taken = sum(yamlfast.load(t, "x") is not None for t in texts)
    print(f"{n} generated submissions, µs per file (min of 5), ÷ the reference loader; the fast path took "
          f"{taken} of {len(texts)} (the rest, broken on purpose or outside its subset, go to the reference loader)")
    print(f"{'candidate':44} {'µs/file':>9} {'÷ reference':>12}  lines")
    for label, us, lines in rows:
        print(f"{label:44} {us:9.1f} {us / reference:11.2f}×  {lines}")


def _reads(load, text: str) -> bool:
    try:
        load(text, "x")
        return True
    except Exception:  # noqa: BLE001
        return False


if __name__ == "__main__":
    main()
