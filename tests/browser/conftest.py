"""What every browser test module shares: a server, Chromium, and people's pages.

A module that needs its server started otherwise (an admin password, say)
defines its own `server` fixture, which wins over this one.
"""

import pytest

from tests import browser


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with browser.running_server(tmp_path_factory) as running:
        yield running


@pytest.fixture(scope="module")
def chromium():
    with browser.chromium() as running:
        yield running


@pytest.fixture
def open_page(chromium):
    """Return a factory of pages, each its own person; all are closed afterwards."""
    contexts = []

    def open_(**options):
        page = browser.new_page(chromium, **options)
        contexts.append(page.context)
        return page

    yield open_
    for context in contexts:
        context.close()
