"""Headless Debian Chromium driven by Playwright against Django's live test server."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("BIZWEEK_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


BIZWEEK = Path(sys.executable).with_name("bizweek")


def served_env(data: Path, **extra: str) -> dict[str, str]:
    """The environment of a `bizweek` process that keeps all its state in `data` (its own SQLite
    file and secret key), whatever database the test run itself uses."""
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
    }
    env.update(BIZWEEK_DATA_DIR=str(data), DEBUG="0", LOG_LEVEL="WARNING", **extra)
    return env


@pytest.fixture(scope="session")
def demo_template(tmp_path_factory) -> Path:
    """A migrated data directory with the demo event, built once per run (the demo takes about
    20 s of CPU): tests that serve the site in their own process each start from a copy."""
    data = tmp_path_factory.mktemp("demo-template")
    for command in (["migrate", "--noinput", "-v", "0"], ["demo", "--if-empty"]):
        subprocess.run(  # noqa: S603
            [BIZWEEK, *command], env=served_env(data), check=True, capture_output=True
        )
    return data


def pytest_collection_modifyitems(items):
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


@pytest.fixture(scope="session")
def playwright_driver():
    """One Playwright driver for the whole run: its event loop stays in this thread while open,
    so every browser (plain, WebRTC, media) is launched from it rather than from a second one."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (see .ci/run)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def new_page(browser, live_server, taxonomy):
    """Open pages in fresh browser contexts (one per person), with the given language."""
    contexts = []

    def factory(locale: str = "en-US", width: int = 1280):
        context = browser.new_context(
            base_url=live_server.url, locale=locale, viewport={"width": width, "height": 900}
        )
        context.set_default_timeout(15_000)
        contexts.append(context)
        return context.new_page()

    yield factory
    for context in contexts:
        context.close()


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
