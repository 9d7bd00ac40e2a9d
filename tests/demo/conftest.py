"""The demo's fixtures: the browser-test ones shared with tests/web."""

from tests.web.conftest import browser, live_server

__all__ = ["browser", "live_server"]
