"""What the browser tests share: Debian's chromium driven by playwright through `executable_path` (nothing
downloads a browser), skipped where either is missing, and the folder for the screenshots a person looks at."""

from __future__ import annotations

import shutil

import pytest

from .conftest import ROOT

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
try:
    from playwright.sync_api import sync_playwright
except ImportError:   # pragma: no cover - the test extra installs it
    sync_playwright = None

BROWSER_TESTS = [
    pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install chromium)"),
    pytest.mark.skipif(sync_playwright is None, reason="playwright is not installed (pip install -e '.[test]')"),
    pytest.mark.slow,
]
ARTIFACTS = ROOT / "test-artifacts"


def launch(playwright, *extra_args: str):
    """Debian's chromium, headless, in a UTF-8 locale whatever the suite runs under (in LC_ALL=C it cannot
    read a file with a Chinese name into a file input), with no background networking."""
    import os
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    return playwright.chromium.launch(executable_path=CHROMIUM, env=env,
                                      args=["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                                            *extra_args])
