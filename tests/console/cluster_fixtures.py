"""The Python client's test fixtures (clients/python/tests/conftest.py: a real cluster in its own
temporary folder on free loopback ports, always stopped; tests bounded in time), loaded under a
name of their own so that the console's tests use the same ones."""

import importlib.util
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
_spec = importlib.util.spec_from_file_location("jupiter_cluster_fixtures",
                                               REPO / "clients" / "python" / "tests" / "conftest.py")
fixtures = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(fixtures)
