"""perfrules benchmarks, one command:  python bench/run.py  [--quick]

Each measurement compares perfrules with a baseline in the same run and prints the ratio:
  a. engine-only scoring of pre-loaded submissions vs a hand-written plain-Python scorer of the same
     ruleset (bench/handwritten.py); both must give the same totals;
  b. end-to-end `perfrules batch` on N files vs a loop that only parses them with PyYAML's C loader;
  c. peak memory (max RSS) of `perfrules batch` on 100 vs N files;
  d. start-up: `perfrules score` on one file vs `python -c "import yaml, click"`;
  e. `perfrules score 自评表.xlsx` vs `perfrules score` of the same submission in YAML (the shipped
     example, converted), as whole commands and as the reading alone (load_submission in-process);
  f. the review page (`batch -o 汇总.html`) of 10,000 units opened in Debian's chromium until its table is
     interactive, vs the page of 100 units (skipped without chromium and playwright).
Results go to bench/results/latest.json (and are printed). N is 10,000 (2,000 with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import generate  # noqa: E402
from bench.handwritten import score as hand_score  # noqa: E402

PERFRULES = [sys.executable, "-c", "import sys; from cli import main; sys.exit(main())"]


def timed(fn, repeat: int = 3) -> float:
    """Best of `repeat` wall-clock runs: the least disturbed by the rest of the machine."""
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def engine_vs_handwritten(files: list[Path]) -> dict:
    import yaml

    from engine.errors import PerfrulesError
    from engine.ruleset import get_ruleset, search_path
    from engine.scoring import score
    from engine.submission import load_submission

    rs = get_ruleset("cn/unit-overall@2024.1", search_path())
    subs, raws = [], []
    for f in files:
        try:
            sub = load_submission(f)
            score(sub, rs)
        except PerfrulesError:
            continue
        subs.append(sub)
        raws.append(yaml.load(f.read_text(encoding="utf-8"), Loader=yaml.CSafeLoader))
    mismatched = sum(score(s, rs).total != hand_score(r) for s, r in zip(subs, raws))
    engine = timed(lambda: [score(s, rs) for s in subs])
    hand = timed(lambda: [hand_score(r) for r in raws])
    return {"submissions": len(subs), "engine_s": engine, "handwritten_s": hand,
            "engine_per_s": len(subs) / engine, "handwritten_per_s": len(subs) / hand,
            "ratio_engine_time_over_handwritten": engine / hand, "totals_that_differ": mismatched}


def run_batch(folder: Path, jobs: int) -> tuple[float, int]:
    """Wall time and peak RSS (KiB) of one `perfrules batch` in a child process."""
    out = folder.parent / f"{folder.name}-summary.csv"
    probe = ("import resource, subprocess, sys, time; t = time.perf_counter(); "
             "r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL); "
             "print(time.perf_counter() - t, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, r.returncode)")
    cmd = [sys.executable, "-c", probe, *PERFRULES, "batch", str(folder), "-o", str(out), "--jobs", str(jobs)]
    seconds, rss, code = subprocess.run(cmd, capture_output=True, text=True, check=True, cwd=ROOT).stdout.split()
    if code != "0":
        raise SystemExit(f"perfrules batch failed on {folder}")
    return float(seconds), int(rss)


def parse_only(files: list[Path]) -> float:
    import yaml

    def loop() -> None:
        for f in files:
            try:
                yaml.load(f.read_bytes(), Loader=yaml.CSafeLoader)
            except yaml.YAMLError:
                pass   # the bad files: perfrules reports them, the baseline just moves on
    return timed(loop, repeat=1)


def startup() -> dict:
    seed = ROOT / "examples" / "zizhou-hrss-2024.yaml"
    score_cmd = [shutil.which("perfrules") or "", "score", str(seed)] if shutil.which("perfrules") else [*PERFRULES, "score", str(seed)]
    base_cmd = [sys.executable, "-c", "import yaml, click"]

    def median(cmd: list[str]) -> float:
        runs = []
        for _ in range(7):
            start = time.perf_counter()
            subprocess.run(cmd, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
            runs.append(time.perf_counter() - start)
        return statistics.median(runs)
    score_s, base_s = median(score_cmd), median(base_cmd)
    return {"perfrules_score_s": score_s, "import_yaml_click_s": base_s, "ratio": score_s / base_s}


def xlsx_vs_yaml() -> dict:
    from engine.formats.convert import convert
    from engine.submission import load_submission
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
    parser.add_argument("--jobs", type=int, default=2, help="processes for the end-to-end batch (default 2)")
    parser.add_argument("--only", choices=["e", "f"], help="run one measurement alone (e: xlsx vs YAML; f: review page)")
    args = parser.parse_args()
    if args.only == "f":
        f = review_page()
        if "skipped" in f:
            print(f"f. skipped: {f['skipped']}")
        else:
            print(f"f. review page 10,000 / 100 units   {f['ratio']:.2f}×   ({f['units_10000_s'] * 1000:.0f} ms vs "
                  f"{f['units_100_s'] * 1000:.0f} ms to interactive, median of 5; min {f['min_10000_s'] * 1000:.0f} ms;"
                  f" page {f['page_bytes_10000'] / 1e6:.1f} MB)")
        return
    if args.only == "e":
        e = xlsx_vs_yaml()
        print(f"e. score xlsx / score yaml   {e['ratio']:.2f}×   ({e['score_xlsx_s'] * 1000:.0f} ms vs {e['score_yaml_s'] * 1000:.0f} ms;"
              f" reading alone {e['load_xlsx_ms']:.1f} ms vs {e['load_yaml_ms']:.1f} ms = {e['load_ratio']:.1f}×)")
        return
    n = 2000 if args.quick else 10000
    results: dict = {"machine": machine(), "files": n}
    with tempfile.TemporaryDirectory(prefix="perfrules-bench-") as tmp:
        big, small = Path(tmp) / "big", Path(tmp) / "small"
        print(f"generating {n} + 100 submissions …", flush=True)
        files = generate(n, big)
        generate(100, small)
        print("a. engine vs hand-written scorer …", flush=True)
        results["a_engine_vs_handwritten"] = engine_vs_handwritten(files[:2000])
        print("b. end-to-end batch vs parse-only …", flush=True)
        batch_s, rss_big = run_batch(big, args.jobs)
        batch_1, _ = run_batch(big, 1)
        parse_s = parse_only(files)
        results["b_batch_vs_parse"] = {"batch_s": batch_s, "jobs": args.jobs, "batch_jobs1_s": batch_1,
                                       "parse_only_s": parse_s, "ratio": batch_s / parse_s,
                                       "ratio_jobs1": batch_1 / parse_s, "files_per_s": n / batch_s}
        print("c. peak memory …", flush=True)
        _, rss_small = run_batch(small, args.jobs)
        results["c_memory"] = {"rss_100_kib": rss_small, f"rss_{n}_kib": rss_big, "ratio": rss_big / rss_small}
    print("d. start-up …", flush=True)
    results["d_startup"] = startup()
    print("e. xlsx vs YAML …", flush=True)
    results["e_xlsx_vs_yaml"] = xlsx_vs_yaml()
    print("f. review page in chromium …", flush=True)
    results["f_review_page"] = review_page()
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "latest.json").write_text(json.dumps(results, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    a, b, c, d, e = (results[k] for k in ("a_engine_vs_handwritten", "b_batch_vs_parse", "c_memory", "d_startup",
                                          "e_xlsx_vs_yaml"))
    print(f"""
machine: {results['machine']['cpu']} ({results['machine']['cores']} cores), Python {results['machine']['python']}
a. engine / hand-written time      {a['ratio_engine_time_over_handwritten']:.2f}×   ({a['engine_per_s']:.0f} vs {a['handwritten_per_s']:.0f} submissions/s; totals differing: {a['totals_that_differ']})
b. batch / parse-only time         {b['ratio']:.2f}×   (--jobs {b['jobs']}: {b['batch_s']:.1f} s; --jobs 1: {b['batch_jobs1_s']:.1f} s = {b['ratio_jobs1']:.2f}×; parse only {b['parse_only_s']:.1f} s; {n} files)
c. peak RSS {n} / 100 files      {c['ratio']:.2f}×   ({c[f'rss_{n}_kib'] / 1024:.0f} MiB vs {c['rss_100_kib'] / 1024:.0f} MiB)
d. perfrules score / import yaml+click   {d['ratio']:.2f}×   ({d['perfrules_score_s'] * 1000:.0f} ms vs {d['import_yaml_click_s'] * 1000:.0f} ms)
e. score xlsx / score yaml         {e['ratio']:.2f}×   ({e['score_xlsx_s'] * 1000:.0f} ms vs {e['score_yaml_s'] * 1000:.0f} ms; reading alone {e['load_xlsx_ms']:.1f} vs {e['load_yaml_ms']:.1f} ms = {e['load_ratio']:.1f}×)
f. review page 10,000 / 100 units  {_review_line(results['f_review_page'])}
written to bench/results/latest.json""")


def _review_line(f: dict) -> str:
    if "skipped" in f:
        return f"skipped: {f['skipped']}"
    return (f"{f['ratio']:.2f}×   ({f['units_10000_s'] * 1000:.0f} ms vs {f['units_100_s'] * 1000:.0f} ms to interactive; "
            f"page {f['page_bytes_10000'] / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
