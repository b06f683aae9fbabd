"""perfrules benchmarks, one command:  python bench/run.py  [--quick] [--only a|b|c|d|e|f]

Each measurement compares perfrules with a baseline in the same run and prints the ratio, with the min and
the median of several runs of both sides (the machine is shared: single runs swing). Like with like:
  a. engine-only scoring (a whole scorecard) vs a hand-written plain-Python scorer of the same ruleset (bench/handwritten.py),
     split into build() (the rows read into a Submission) and the scoring into a scorecard, each ÷ the hand-written run,
     and each side's cost per submission and per row (40 submissions cut or repeated to 2–24 rows, a least-squares line),
     both from already-parsed YAML and both parsing the target texts inside the timed loop (schema validation,
     which the hand-written scorer has no counterpart for, is left out and counted in b); the data is kept away
     from the cyclic GC
     (gc.freeze, collection off while timing) on both sides; both must give the same totals; a' is the same
     against the numbers-only plan (engine/plan.py, what replay uses), which builds no scorecard;
  b. `perfrules batch --jobs N` vs an N-process floor that only reads and parses the same files with PyYAML's
     C loader, for N = 1 and 2, wall time and CPU time (user + system of the whole process tree); both sides
     read cached bytecode (perfrules' is written first if missing or stale, whatever PYTHONDONTWRITEBYTECODE says);
     and `batch --jobs 1` vs the lowest floor, reading the files and parsing them with rapidyaml's C++ parser
     (no Python value made), CPU time;
  c. peak memory of the whole process tree (the sum over batch and its workers, sampled from /proc) at
     10,000 files vs at 100;
  d. start-up: `perfrules score` on one file vs `python -c "import yaml, click"`, with bytecode cached and
     uncached (an empty PYTHONPYCACHEPREFIX and PYTHONDONTWRITEBYTECODE), both reported;
  e. `perfrules score 自评表.xlsx` vs `perfrules score` of the same submission in YAML (the shipped
     example, converted), as whole commands and as the reading alone (load_submission in-process);
  f. the review page (`batch -o 汇总.html`) of 10,000 units opened in Debian's chromium until its table is
     interactive, vs the page of 100 units (skipped without chromium and playwright); bench/province.py
     measures it at 100,000 units.
Results go to bench/results/latest.json (and are printed). N is 10,000 (2,000 with --quick).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Callable

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from bench.handwritten import score as hand_score  # noqa: E402

PERFRULES = [sys.executable, "-c", "import sys; from perfrules.cli import main; sys.exit(main())"]


def runs(fn, repeat: int = 5) -> dict:
    """Wall-clock seconds of `repeat` runs of fn: min and median."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return {"min": min(times), "median": statistics.median(times)}


def interleaved(fns: dict, repeat: int = 9) -> dict:
    """runs() of several functions taken in turn, one repetition of each per round, so that a burst of load
    on a shared machine falls on every side alike rather than on whichever ran then."""
    times: dict = {name: [] for name in fns}
    for _ in range(repeat):
        for name, fn in fns.items():
            start = time.perf_counter()
            fn()
            times[name].append(time.perf_counter() - start)
    return {name: {"min": min(t), "median": statistics.median(t)} for name, t in times.items()}


def timed(fn, repeat: int = 3) -> float:
    return runs(fn, repeat)["min"]


def _ratio(a: dict, b: dict) -> dict:
    return {"min": a["min"] / b["min"], "median": a["median"] / b["median"]}


def engine_vs_handwritten(files: list[Path]) -> dict:
    import yaml

    from perfrules.engine.errors import PerfrulesError
    from perfrules.engine.plan import totals
    from perfrules.engine.ruleset import get_ruleset, search_path
    from perfrules.engine.scoring import score
    from perfrules.engine.submission import build
    from perfrules.engine.yamlio import load_file

    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    docs, raws = [], []
    for f in files:
        try:
            doc = load_file(f)
            score(build(doc), rs)
        except PerfrulesError:
            continue
        docs.append(doc)
        raws.append(yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    mismatched = sum(score(build(d), rs).total != hand_score(r) for d, r in zip(docs, raws))
    # Like with like: both sides parse the target texts inside the loop; the schema validation that build()
    # does first is not scoring (the hand-written scorer trusts its input) and is measured as part of (b).
    import perfrules.engine.submission as submission_module
    from perfrules.engine import methods, targets
    validate, submission_module.validate = submission_module.validate, (lambda *_a, **_k: [])

    def empty_caches() -> None:
        # Like a batch run: value texts, labels and figures repeated within the corpus are parsed and
        # formatted once, but nothing carries over from the previous repetition (the caches would otherwise
        # hold the whole corpus, and the engine would not parse inside the loop at all).
        for cached in (targets._parse_text, targets.normalise, targets.label_key, targets.split_weight, methods._fmt):
            cached.cache_clear()

    def engine_run() -> None:
        empty_caches()
        for d in docs:
            score(build(d), rs)

    def build_run() -> None:   # a's first stage alone: the rows read into a Submission, no scoring
        empty_caches()
        for d in docs:
            build(d)

    def plan_run() -> None:   # a': the numbers-only plan, as replay uses it (primed by the scoring above)
        empty_caches()
        for d in docs:
            totals(d, rs)
    planned = [totals(d, rs) for d in docs]
    plan_differ = sum(p is not None and p[0] != hand_score(r) for p, r in zip(planned, raws))
    gc.collect()
    gc.freeze()          # the loaded documents are never rescanned by the cyclic GC …
    gc.disable()         # … and no collection runs inside either timed loop
    try:
        costs = cost_model(docs[:40], raws[:40], lambda d: score(build(d), rs), hand_score)
        measured = interleaved({"engine": engine_run, "hand": lambda: [hand_score(r) for r in raws], "plan": plan_run,
                                "build": build_run})
        engine, hand, plan, built = measured["engine"], measured["hand"], measured["plan"], measured["build"]
    finally:
        gc.enable()
        gc.unfreeze()
        submission_module.validate = validate
    n = len(docs)
    return {"submissions": n, "engine_s": engine, "handwritten_s": hand, "ratio": _ratio(engine, hand),
            "engine_per_s": n / engine["min"], "handwritten_per_s": n / hand["min"], "totals_that_differ": mismatched,
            "plan_s": plan, "plan_ratio": _ratio(plan, hand), "plan_per_s": n / plan["min"],
            "plan_answered": sum(p is not None for p in planned), "plan_totals_that_differ": plan_differ,
            # a split in two: build() alone, and the rest (scoring into a scorecard), each ÷ the whole
            # hand-written run (the rest is engine - build, by the minima and by the medians)
            "build_s": built, "build_ratio": _ratio(built, hand), "cost_model": costs,
            "scoring_ratio": {k: (engine[k] - built[k]) / hand[k] for k in ("min", "median")}}


def cost_model(docs: list, raws: list, engine, hand, sizes=(2, 6, 12, 18, 24), repeat: int = 5) -> dict:
    """µs per submission and per row of each side (caches warm): each submission cut or repeated
    to every size in turn, the best of `repeat` timings of each, and a least-squares line through them."""
    import dataclasses

    points: dict = {"engine": [], "hand": []}
    for doc, raw in zip(docs, raws):
        rows, hand_rows = doc.data["indicators"], raw["indicators"]
        for k in sizes:
            sized = dataclasses.replace(doc, data={**doc.data, "indicators": (rows * k)[:k]})
            sized_raw = {**raw, "indicators": (hand_rows * k)[:k]}
            for side, fn, arg in (("engine", engine, sized), ("hand", hand, sized_raw)):
                best = min(_once(fn, arg) for _ in range(repeat))
                points[side].append((k, best * 1e6))
    out = {}
    for side, xy in points.items():
        slope, intercept = statistics.linear_regression([x for x, _ in xy], [y for _, y in xy])
        out[side] = {"us_per_submission": intercept, "us_per_row": slope}
    return out


def _once(fn, arg) -> float:
    start = time.perf_counter()
    fn(arg)
    return time.perf_counter() - start


def _tree_rss_kib(root: int) -> int:
    """Resident memory of a process and all its descendants, from /proc (KiB)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", encoding="utf-8") as handle:
                fields = handle.read().rsplit(")", 1)[1].split()
            children.setdefault(int(fields[1]), []).append(int(entry))
            rss[int(entry)] = int(fields[21]) * os.sysconf("SC_PAGE_SIZE") // 1024
        except (OSError, IndexError, ValueError):
            continue
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack += children.get(pid, [])
    return total


# Commands are measured as installed copies run: reading their bytecode, and writing it when it is missing or
# stale, whatever the shell sets (PYTHONDONTWRITEBYTECODE=1 would make every run of an edited checkout compile
# perfrules again, while the floor's PyYAML reads its cached bytecode).
BYTECODE_ENV = {k: v for k, v in os.environ.items() if k not in ("PYTHONDONTWRITEBYTECODE", "PYTHONPYCACHEPREFIX")}


def measure(cmd: list[str], memory: Callable[[int], int] | None = None) -> dict:
    """Wall time, CPU time (user + system of the whole tree) and the peak memory of the tree of one command:
    its RSS summed over the processes by default, or what `memory(pid)` reports (bench/province.py: PSS)."""
    memory = memory or _tree_rss_kib
    before = os.times()
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=BYTECODE_ENV)
    peak = [0]

    def sample() -> None:
        while proc.poll() is None:
            peak[0] = max(peak[0], memory(proc.pid))
            time.sleep(0.02)
    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    proc.wait()
    wall = time.perf_counter() - start
    sampler.join()
    after = os.times()
    cpu = (after.children_user - before.children_user) + (after.children_system - before.children_system)
    return {"wall_s": wall, "cpu_s": cpu, "peak_tree_kib": peak[0], "returncode": proc.returncode}


def run_batch(folder: Path, jobs: int) -> dict:
    out = folder.parent / f"{folder.name}-summary.csv"
    result = measure([*PERFRULES, "batch", str(folder), "-o", str(out), "--jobs", str(jobs)])
    if result["returncode"] not in (0, 4):   # 4: some (deliberately broken) files could not be scored
        raise SystemExit(f"perfrules batch failed on {folder}")
    return result


FLOOR = r"""
import sys, yaml
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
def parse(paths):
    for p in paths:
        try:
            yaml.load(Path(p).read_bytes(), Loader=yaml.CSafeLoader)
        except yaml.YAMLError:
            pass
jobs, files = int(sys.argv[1]), sorted(str(p) for p in Path(sys.argv[2]).rglob("*.yaml"))
if jobs == 1:
    parse(files)
else:
    with ProcessPoolExecutor(jobs) as pool:
        list(pool.map(parse, [files[i::jobs] for i in range(jobs)]))
"""


def parse_floor(folder: Path, jobs: int) -> dict:
    """The N-process floor: reading and parsing the same files with PyYAML's C loader, nothing else."""
    return measure([sys.executable, "-c", FLOOR, str(jobs), str(folder)])


RYML_FLOOR = r"""
import sys, ryml
from pathlib import Path
for p in sorted(Path(sys.argv[1]).rglob("*.yaml")):
    try:
        ryml.parse_in_place(bytearray(p.read_bytes()))
    except Exception:
        pass
"""


def ryml_floor(folder: Path) -> dict:
    """The lowest floor there is: reading the same files and parsing them with rapidyaml's C++ parser (no
    Python values made at all), one process. Its stderr (rapidyaml's account of the broken files) is dropped."""
    return measure([sys.executable, "-c", RYML_FLOOR, str(folder)])


def batch_vs_floor(folder: Path, n: int, repeat: int = 3) -> dict:
    out: dict = {"files": n}
    run_batch(folder.parent / "small", 1)   # bytecode written before anything is timed
    for jobs in (1, 2):
        batch = [run_batch(folder, jobs) for _ in range(repeat)]
        floor = [parse_floor(folder, jobs) for _ in range(repeat)]
        stats = {}
        for key in ("wall_s", "cpu_s"):
            b = {"min": min(r[key] for r in batch), "median": statistics.median(r[key] for r in batch)}
            f = {"min": min(r[key] for r in floor), "median": statistics.median(r[key] for r in floor)}
            stats[key] = {"batch": b, "floor": f, "ratio": _ratio(b, f)}
        out[f"jobs{jobs}"] = stats
    batch = [run_batch(folder, 1) for _ in range(repeat)]
    floor = [ryml_floor(folder) for _ in range(repeat)]
    b = {"min": min(r["cpu_s"] for r in batch), "median": statistics.median(r["cpu_s"] for r in batch)}
    f = {"min": min(r["cpu_s"] for r in floor), "median": statistics.median(r["cpu_s"] for r in floor)}
    out["ryml_floor"] = {"batch": b, "floor": f, "ratio": _ratio(b, f)}
    return out


def memory(big: Path, small: Path) -> dict:
    big_kib = max(run_batch(big, 2)["peak_tree_kib"] for _ in range(2))
    small_kib = max(run_batch(small, 2)["peak_tree_kib"] for _ in range(2))
    return {"tree_peak_kib_big": big_kib, "tree_peak_kib_100": small_kib, "ratio": big_kib / small_kib}


def startup() -> dict:
    seed = ROOT / "examples" / "zizhou-hrss-2024.yaml"
    score_cmd = [shutil.which("perfrules"), "score", str(seed)] if shutil.which("perfrules") else [*PERFRULES, "score", str(seed)]
    base_cmd = [sys.executable, "-c", "import yaml, click"]

    def timings(cmd: list[str], cached: bool, n: int = 7) -> dict:
        times = []
        for _ in range(n):
            env = dict(os.environ)
            env.pop("PYTHONDONTWRITEBYTECODE", None)   # cached means cached, whatever the shell sets
            env.pop("PYTHONPYCACHEPREFIX", None)
            with tempfile.TemporaryDirectory(prefix="perfrules-pyc-") as empty:
                if not cached:   # compile every module again: no bytecode found, none written
                    env.update(PYTHONDONTWRITEBYTECODE="1", PYTHONPYCACHEPREFIX=empty)
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=False, cwd=ROOT, env=env)
                times.append(time.perf_counter() - start)
        return {"min": min(times), "median": statistics.median(times)}
    # Warm the bytecode cache: write it even where the environment says not to (PYTHONDONTWRITEBYTECODE=1
    # made the first "cached" figures uncached for perfrules' own modules).
    subprocess.run(score_cmd, stdout=subprocess.DEVNULL, cwd=ROOT, env=BYTECODE_ENV)
    out = {}
    for label, cached in (("cached", True), ("uncached", False)):
        score, base = timings(score_cmd, cached), timings(base_cmd, cached)
        out[label] = {"perfrules_score_s": score, "import_yaml_click_s": base, "ratio": _ratio(score, base)}
    return out


def xlsx_vs_yaml() -> dict:
    from perfrules.engine.convert import convert
    from perfrules.engine.submission import load_submission
    seed = ROOT / "examples" / "zizhou-hrss-2024.yaml"
    with tempfile.TemporaryDirectory(prefix="perfrules-bench-xlsx-") as tmp:
        xlsx = Path(tmp) / "自评表.xlsx"
        convert(seed, xlsx)

        def median(cmd: list[str], runs: int = 7) -> float:
            times = []
            for _ in range(runs):
                start = time.perf_counter()
                subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
                times.append(time.perf_counter() - start)
            return statistics.median(times)
        tool = [shutil.which("perfrules")] if shutil.which("perfrules") else PERFRULES
        xlsx_s, yaml_s = median([*tool, "score", str(xlsx)]), median([*tool, "score", str(seed)])
        load_xlsx = timed(lambda: [load_submission(xlsx) for _ in range(20)], 3) / 20
        load_yaml = timed(lambda: [load_submission(seed) for _ in range(20)], 3) / 20
    return {"score_xlsx_s": xlsx_s, "score_yaml_s": yaml_s, "ratio": xlsx_s / yaml_s,
            "load_xlsx_ms": load_xlsx * 1000, "load_yaml_ms": load_yaml * 1000, "load_ratio": load_xlsx / load_yaml}


def review_page(big: Path | None = None, small: Path | None = None) -> dict:
    """Time from navigation until the page marks itself ready (data parsed, table rendered, handlers bound)."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        return {"skipped": "playwright is not installed"}
    if chromium is None:
        return {"skipped": "chromium is not installed"}
    with tempfile.TemporaryDirectory(prefix="perfrules-bench-review-") as tmp:
        pages = {}
        for n, folder in ((10000, big), (100, small)):
            if folder is None:
                folder = Path(tmp) / f"u{n}"
                generate(n, folder)
            out = Path(tmp) / f"review-{n}.html"
            subprocess.run([*PERFRULES, "batch", str(folder), "-o", str(out), "--jobs", "2"], cwd=ROOT,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            pages[n] = out
        times: dict[int, list[float]] = {10000: [], 100: []}
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
            for _ in range(5):
                for n, path in pages.items():
                    page = browser.new_page()
                    start = time.perf_counter()
                    page.goto(path.as_uri())
                    page.wait_for_selector("body[data-ready=true]")
                    times[n].append(time.perf_counter() - start)
                    page.close()
            browser.close()
        size = pages[10000].stat().st_size
    big_s, small_s = statistics.median(times[10000]), statistics.median(times[100])
    return {"units_10000_s": big_s, "units_100_s": small_s, "ratio": big_s / small_s, "min_10000_s": min(times[10000]),
            "page_bytes_10000": size}


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(l.split(":", 1)[1].strip() for l in open("/proc/cpuinfo", encoding="utf-8") if l.startswith("model name"))
    except (OSError, StopIteration):
        cpu = platform.processor()
    return {"cpu": cpu, "cores": os.cpu_count(), "python": platform.python_version(), "platform": platform.platform()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="2,000 files instead of 10,000")
    parser.add_argument("--only", choices=list("abcdef"), help="run one measurement alone")
    args = parser.parse_args()
    n = 2000 if args.quick else 10000
    wanted = set(args.only or "abcdef")
    results: dict = {"machine": machine(), "files": n}
    with tempfile.TemporaryDirectory(prefix="perfrules-bench-") as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        if wanted & set("abcf"):
            print(f"generating {n} + 100 submissions …", flush=True)
            files = generate(n, big)
            generate(100, small)
        if "a" in wanted:
            print("a. engine vs hand-written scorer …", flush=True)
            results["a_engine_vs_handwritten"] = engine_vs_handwritten(files[:2000])
        if "b" in wanted:
            print("b. batch vs the N-process parse-only floor …", flush=True)
            results["b_batch_vs_floor"] = batch_vs_floor(big, n)
        if "c" in wanted:
            print("c. peak memory of the process tree …", flush=True)
            results["c_memory"] = memory(big, small)
        if "f" in wanted:
            print("f. review page in chromium …", flush=True)
            results["f_review_page"] = review_page(big if n == 10000 else None, small)
    if "d" in wanted:
        print("d. start-up …", flush=True)
        results["d_startup"] = startup()
    if "e" in wanted:
        print("e. xlsx vs YAML …", flush=True)
        results["e_xlsx_vs_yaml"] = xlsx_vs_yaml()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / ("latest.json" if not args.only else f"latest-{args.only}.json")).write_text(
        json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(report(results))


def _r(x: dict) -> str:
    return f"{x['min']:.2f}× min, {x['median']:.2f}× median"


def report(results: dict) -> str:
    m = results["machine"]
    lines = [f"machine: {m['cpu']} ({m['cores']} cores), Python {m['python']}"]
    if "a_engine_vs_handwritten" in results:
        a = results["a_engine_vs_handwritten"]
        lines.append(f"a. engine / hand-written scorer      {_r(a['ratio'])}   ({a['engine_per_s']:.0f} vs "
                     f"{a['handwritten_per_s']:.0f} submissions/s; totals differing: {a['totals_that_differ']})")
        if "build_ratio" in a:
            lines.append(f"   of which build() / hand-written   {_r(a['build_ratio'])}; scoring {_r(a['scoring_ratio'])}")
        if "cost_model" in a:
            e, h = a["cost_model"]["engine"], a["cost_model"]["hand"]
            lines.append(f"   cost (caches warm): engine {e['us_per_submission']:.0f} µs per submission + {e['us_per_row']:.1f} µs"
                         f" per row; hand-written {h['us_per_submission']:.0f} µs + {h['us_per_row']:.1f} µs")
        if "plan_ratio" in a:
            lines.append(f"a'. numbers-only plan / hand-written  {_r(a['plan_ratio'])}   ({a['plan_per_s']:.0f} vs "
                         f"{a['handwritten_per_s']:.0f} submissions/s; answered {a['plan_answered']} of {a['submissions']},"
                         f" totals differing: {a['plan_totals_that_differ']})")
    if "b_batch_vs_floor" in results:
        b = results["b_batch_vs_floor"]
        for jobs in (1, 2):
            s = b[f"jobs{jobs}"]
            lines.append(f"b. batch --jobs {jobs} / {jobs}-process floor   CPU {_r(s['cpu_s']['ratio'])}; wall {_r(s['wall_s']['ratio'])}"
                         f"   ({s['cpu_s']['batch']['min']:.1f} vs {s['cpu_s']['floor']['min']:.1f} CPU s, "
                         f"{s['wall_s']['batch']['min']:.1f} vs {s['wall_s']['floor']['min']:.1f} s wall; {b['files']} files)")
        if "ryml_floor" in b:
            r = b["ryml_floor"]
            lines.append(f"b. batch --jobs 1 / read + rapidyaml parse floor   CPU {_r(r['ratio'])}   "
                         f"({r['batch']['min']:.2f} vs {r['floor']['min']:.2f} CPU s)")
    if "c_memory" in results:
        c = results["c_memory"]
        lines.append(f"c. tree peak RSS {results['files']} / 100 files   {c['ratio']:.2f}×   "
                     f"({c['tree_peak_kib_big'] / 1024:.0f} MiB vs {c['tree_peak_kib_100'] / 1024:.0f} MiB, batch and its workers)")
    if "d_startup" in results:
        for label in ("cached", "uncached"):
            d = results["d_startup"][label]
            lines.append(f"d. score / import yaml+click ({label:8})  {_r(d['ratio'])}   "
                         f"({d['perfrules_score_s']['median'] * 1000:.0f} ms vs {d['import_yaml_click_s']['median'] * 1000:.0f} ms median)")
    if "e_xlsx_vs_yaml" in results:
        e = results["e_xlsx_vs_yaml"]
        lines.append(f"e. score xlsx / score yaml   {e['ratio']:.2f}×   ({e['score_xlsx_s'] * 1000:.0f} ms vs "
                     f"{e['score_yaml_s'] * 1000:.0f} ms; reading alone {e['load_xlsx_ms']:.1f} vs {e['load_yaml_ms']:.1f} ms)")
    if "f_review_page" in results:
        lines.append(f"f. review page 10,000 / 100 units  {_review_line(results['f_review_page'])}")
    return "\n".join(lines)


def _review_line(f: dict) -> str:
    if "skipped" in f:
        return f"skipped: {f['skipped']}"
    return (f"{f['ratio']:.2f}×   ({f['units_10000_s'] * 1000:.0f} ms vs {f['units_100_s'] * 1000:.0f} ms to interactive; "
            f"page {f['page_bytes_10000'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
