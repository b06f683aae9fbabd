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
