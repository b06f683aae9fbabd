"""Province scale (issue 26): the review page of 100,000 units in Chromium, and a real batch's peak memory.

    python bench/province.py                  # the review page at 100,000 units, against 1,000 in the same run
    python bench/province.py --batch 100000   # also: a real batch of that many generated files into csv,
                                              # json, xlsx and html, peak PSS of the process tree for each
    python bench/province.py --no-page --batch 100000 --outputs json    # one output alone

The page is built by the review page's own sink from rows scored for real (300 generated submissions,
scored with their findings), repeated under new unit names and totals: what a province's page holds,
without scoring 100,000 files first. Times are medians of 3 loads in Debian's chromium:
- ready: navigation until the page marks itself ready (data parsed, first page of the table drawn);
- sort: a click on 单位 until the table is drawn again (100,000 names compared by a collator);
- filter: typing a name until the table shows the matches;
- panel: a click on a unit until its panel is open.
Goal (issue 26): ready ≤ 3 s at 100,000 units; each batch output ≤ 400 MiB peak PSS.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT.parent))
sys.path.insert(0, str(ROOT))
from bench.generate import generate  # noqa: E402

def scored_rows(folder: Path, n: int = 300) -> list[dict]:
    from perfrules.engine.batch import score_one
    from perfrules.engine.limits import install_context
    install_context()
    generate(n, folder)
    rows = [score_one((str(p), None, (), False, True)) for p in sorted(folder.glob("*.yaml"))]
    return [r for r in rows if not r.get("error")]


def build_page(rows: list[dict], units: int, out: Path) -> dict:
    """The page of `units` units, written as batch writes it; time, peak RSS of this step, size."""
    import resource

    from perfrules.engine.sinks import Summary
    from perfrules.engine.review import HtmlSink
    start = time.perf_counter()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    sink = HtmlSink()
    sink.expect(units)
    for i in range(units):
        row = dict(rows[i % len(rows)])
        row["unit"] = f"{row['unit']}·{i:06d}"
        row["file"] = f"units/{i:06d}.yaml"
        row["total"] = row["total"] - Decimal(i % 7)
        if row["stated_total"] is not None:
            row["difference"] = row["stated_total"] - row["total"]
        sink.add(row)
    with open(out, "wb") as handle:   # the page comes in pieces (the sink streams it)
        for piece in sink.finish(Summary()):
            handle.write(piece)
    sink.close()
    return {"build_s": time.perf_counter() - start, "bytes": out.stat().st_size,
            "rss_growth_mib": (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024}


def in_chromium(path: Path, repeat: int = 3) -> dict:
    from playwright.sync_api import sync_playwright
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    times: dict[str, list[float]] = {"ready": [], "sort": [], "filter": [], "panel": []}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox", "--disable-gpu"])
        for _ in range(repeat):
            page = browser.new_page()
            start = time.perf_counter()
            page.goto(path.as_uri())
            page.wait_for_selector("body[data-ready=true]", timeout=120_000)
            times["ready"].append(time.perf_counter() - start)
            first = page.inner_text("#rows tr:first-child td:first-child")
            start = time.perf_counter()
            page.click("th[data-key=unit]")
            page.wait_for_function(f"document.querySelector('#rows tr td').textContent !== {first!r}", timeout=120_000)
            times["sort"].append(time.perf_counter() - start)
            start = time.perf_counter()
            page.fill("#q", "·000123")
            page.wait_for_function("document.querySelectorAll('#rows tr').length === 1", timeout=120_000)
            times["filter"].append(time.perf_counter() - start)
            start = time.perf_counter()
            page.click("#rows tr")
            page.wait_for_selector("#panel:not([hidden])")
            times["panel"].append(time.perf_counter() - start)
            page.close()
        browser.close()
    return {k: statistics.median(v) for k, v in times.items()}


def _pss_kib(root: int) -> int:
    """PSS of a process and its descendants (shared pages counted once in all), from smaps_rollup."""
    total, pids = 0, [root]
    while pids:
        pid = pids.pop()
        try:
            with open(f"/proc/{pid}/smaps_rollup") as f:
                total += next(int(line.split()[1]) for line in f if line.startswith("Pss:"))
            with open(f"/proc/{pid}/task/{pid}/children") as f:
                pids += [int(c) for c in f.read().split()]
        except (OSError, StopIteration, ValueError):
            continue
    return total


def batch_peak(folder: Path, out: Path) -> dict:
    from bench.run import PERFRULES, measure
    r = measure([*PERFRULES, "batch", str(folder), "-o", str(out), "--jobs", "2"], memory=_pss_kib)
    return {"wall_s": r["wall_s"], "peak_pss_mib": r["peak_tree_kib"] / 1024, "returncode": r["returncode"],
            "bytes": out.stat().st_size if out.exists() else 0}


def page_in_chromium(tmp: Path, units: int) -> None:
    rows = scored_rows(tmp / "sample")
    pages = {n: tmp / f"review-{n}.html" for n in (1000, units)}
    built = {n: build_page(rows, n, path) for n, path in pages.items()}
    opened = {n: in_chromium(path) for n, path in pages.items()}
    base, big = 1000, units
    print(f"review page, {big:,} units against 1,000 (medians of 3 loads in chromium)")
    print(f"  size      {built[big]['bytes'] / 1e6:7.1f} MB   vs {built[base]['bytes'] / 1e6:5.2f} MB   "
          f"({built[big]['bytes'] / built[base]['bytes']:.0f}×); built in {built[big]['build_s']:.1f} s")
    for key in ("ready", "sort", "filter", "panel"):
        a, b = opened[big][key], opened[base][key]
        print(f"  {key:8}  {a * 1000:7.0f} ms   vs {b * 1000:5.0f} ms   ({a / b:.1f}×)")
    print(f"  goal: ready ≤ 3,000 ms at 100,000 units: {'met' if opened[big]['ready'] <= 3 else 'NOT met'}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--batch", type=int, default=0, help="also run a real batch of this many generated files")
    parser.add_argument("--outputs", default="csv,json,xlsx,html", help="the batch outputs to measure")
    parser.add_argument("--no-page", action="store_true", help="skip the review page in chromium")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="perfrules-province-") as tmp:
        if not args.no_page:
            page_in_chromium(Path(tmp), args.units)
        if args.batch:
            folder = Path(tmp) / "units"
            generate(args.batch, folder)
            print(f"batch of {args.batch:,} generated files, --jobs 2: peak PSS of the process tree per output")
            for suffix in args.outputs.split(","):
                r = batch_peak(folder, Path(tmp) / f"汇总.{suffix}")
                print(f"  {suffix:5} {r['peak_pss_mib']:7.0f} MiB   {r['wall_s']:6.1f} s   {r['bytes'] / 1e6:7.1f} MB"
                      f"   {'≤ 400 MiB' if r['peak_pss_mib'] <= 400 else 'OVER 400 MiB'}")


if __name__ == "__main__":
    main()
