"""Tests in Debian's Chromium, driven by Playwright, plus the HTML and
accessibility checks (axe-core, the Nu HTML Checker) on the archive's pages."""

import json
import os
import shutil
import subprocess
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


def nu_checker_errors(paths) -> list[dict]:
    """The Nu HTML Checker's errors on these files (one Java process for all),
    each a message dict (its "url" ends in the file's name)."""
    java = shutil.which("java")
    if java is None:
        tool_missing("Java is not installed, so the Nu HTML Checker can't run")
    if not VNU_JAR.exists():
        tool_missing(f"the Nu HTML Checker (vnu.jar) is not installed ({INSTALL_HINT})")
    java_options = ["-Xss4m", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
    result = subprocess.run(
        [java, *java_options, "-jar", str(VNU_JAR), "--errors-only", "--format", "json"]
        + [str(path) for path in paths],
        capture_output=True,
        text=True,
        timeout=180,
    )
    try:
        messages = json.loads(result.stderr)["messages"]
    except ValueError:
        pytest.fail(f"the Nu HTML Checker did not run:\n{result.stderr}")
    errors = [m for m in messages if m.get("type") in ("error", "non-document-error")]
    if not errors and result.returncode != 0:
        pytest.fail(f"the Nu HTML Checker failed:\n{result.stderr}")
    return errors
