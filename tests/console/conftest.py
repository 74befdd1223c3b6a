"""Every console test is bounded in time, as the Python client's are (SIGALRM; @pytest.mark.timeout_s)."""

from cluster_fixtures import fixtures

_bounded = fixtures._bounded  # autouse


def pytest_configure(config):
    config.addinivalue_line("markers", "timeout_s(seconds): the most a test may run")
