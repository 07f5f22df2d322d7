import sys
from pathlib import Path

TESTS = Path(__file__).resolve().parent
sys.path.insert(0, str(TESTS))


import pytest  # noqa: E402


@pytest.fixture(scope="session")
def chromium():
    """Debian's headless Chromium driven by Playwright (never a downloaded browser)."""
    from playwright.sync_api import sync_playwright

    from browser_support import CHROMIUM, CHROMIUM_ARGS

    assert Path(CHROMIUM).exists(), "Debian's chromium is needed: `make test` installs it (apt-get install chromium)"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="session")
def sample_server(tmp_path_factory):
    """The dashboard on the bundled sample, started once as a user would; its base URL. Browser tests
    that only look share it (a test that reloads or changes files starts its own)."""
    from browser_support import start_server

    process, base = start_server(tmp_path_factory.mktemp("sample-server"))
    yield base
    process.terminate()
    process.wait(timeout=10)
