"""The pytest plugin: options, Hypothesis profiles, backend × device × dtype parametrization, the catalogue entries
covering each item (replayed first, then their regions routed: dlspec/deviations), replay commands on failure, and
per-item statistics for the report. The parts live in dlspec/plugin/ (one module per idea); this module is what
pytest loads — by the repository's conftest.py, and by `dlspec audit` with `-p dlspec.pytest_plugin`.
"""

from __future__ import annotations

import pytest

from .env import pin_threads

# Set before any framework is imported (adapters are imported lazily, at configure time).
pin_threads()

from .plugin import options  # noqa: E402  (after pin_threads)
from .plugin.options import PROFILES, pytest_addoption, pytest_report_header  # noqa: E402
from .plugin.params import (  # noqa: E402
    ImplParam,
    impl,
    pytest_generate_tests,
    pytest_pyfunc_call,
    pytest_runtest_call,
)
from .plugin.results import Results, pytest_runtest_makereport, replay_command  # noqa: E402
from .plugin.selection import in_shard, parse_shard, pytest_collection_modifyitems  # noqa: E402

__all__ = ["PROFILES", "ImplParam", "impl", "in_shard", "parse_shard", "pytest_addoption",
           "pytest_collection_modifyitems", "pytest_configure", "pytest_generate_tests", "pytest_pyfunc_call",
           "pytest_report_header", "pytest_runtest_call", "pytest_runtest_makereport", "replay_command"]


def pytest_configure(config: pytest.Config) -> None:
    options.pytest_configure(config)
    config.pluginmanager.register(Results(config), "dlspec-results")
