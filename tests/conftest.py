from __future__ import annotations

import os
import sys
import tempfile
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _run_against_the_checkout() -> None:
    """The suite tests this checkout whichever way perfrules is installed (editable or not): `perfrules` is
    made to resolve to the checkout, here and in every subprocess (PYTHONPATH), through a folder holding a
    link named perfrules. A non-editable install leaves out what only a checkout has (the ruleset cases,
    examples/), so testing the installed copy would test something else."""
    shim = Path(tempfile.mkdtemp(prefix="perfrules-checkout-"))
    (shim / "perfrules").symlink_to(ROOT, target_is_directory=True)
    sys.path.insert(0, str(shim))
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(shim), os.environ.get("PYTHONPATH")]))
    for name in [n for n in sys.modules if n == "perfrules" or n.startswith("perfrules.")]:
        del sys.modules[name]


# The clock of the suite: every date a golden file or digest holds comes from SOURCE_DATE_EPOCH, pinned here
# to the day the digests were taken (2026-11-27 UTC), so the suite passes on any day, in any time zone and
# locale (tested once under faketime with TZ and LANG moved; see README). A test of today's date sets its own.
PINNED_EPOCH = "1795737600"
os.environ["SOURCE_DATE_EPOCH"] = PINNED_EPOCH
_run_against_the_checkout()

import pytest  # noqa: E402
from click.testing import CliRunner  # noqa: E402

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


def soffice(tmp_path: Path, convert_to: str, source: Path | list[Path], outdir: Path | None = None) -> None:
    """LibreOffice headless conversion, in a profile of the test's own and a UTF-8 locale whatever the suite
    runs under (under LC_ALL=C it cannot write the sheet names of a CSV export). Several sources convert in
    one LibreOffice run."""
    import subprocess
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    sources = [str(p) for p in (source if isinstance(source, list) else [source])]
    subprocess.run(["soffice", "--headless", f"-env:UserInstallation=file://{tmp_path}/lo", "--convert-to", convert_to,
                    "--outdir", str(outdir or tmp_path), *sources], capture_output=True, timeout=120 + 60 * len(sources),
                   check=True, env=env)
