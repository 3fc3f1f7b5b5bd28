"""Tests in Debian's Chromium, driven by Playwright, plus the HTML and
accessibility checks (axe-core, the Nu HTML Checker) on the archive's pages."""

from pathlib import Path

from django.conf import settings

TOOLS = Path(settings.BASE_DIR) / "var" / "test-tools" / "node_modules"
AXE_JS = TOOLS / "axe-core" / "axe.min.js"
VNU_JAR = TOOLS / "vnu-jar" / "build" / "dist" / "vnu.jar"
INSTALL_HINT = "run bin/install-test-tools"


def sideways_overflow(page) -> int:
    """How many CSS pixels the page is wider than the window (0 or less: it fits)."""
    return page.evaluate("document.documentElement.scrollWidth - window.innerWidth")
