"""The `integration` marker: tests that need something from outside the repository (a
published wheel from PyPI); `-m "not integration"` leaves them out."""


def pytest_configure(config):
    config.addinivalue_line("markers", "integration: needs a download (PyPI); CI runs it, -m 'not integration' skips")
