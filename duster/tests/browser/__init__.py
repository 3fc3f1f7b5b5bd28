"""Tests in Debian's Chromium, driven by Playwright, plus the HTML and
accessibility checks (axe-core, the Nu HTML Checker) on the archive's pages."""

import os
from pathlib import Path
from typing import NoReturn

import pytest
from django.conf import settings

TOOLS = Path(settings.BASE_DIR) / "var" / "test-tools" / "node_modules"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run bin/install-test-tools"


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 or less: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")


def tool_missing(reason: str) -> NoReturn:
    """Skip on a machine without the tool; fail where it must be there (CI sets
    DUSTER_REQUIRE_TEST_TOOLS), so a broken install can't pass as a skip."""
    if os.environ.get("DUSTER_REQUIRE_TEST_TOOLS"):
        pytest.fail(reason)
    pytest.skip(reason)
