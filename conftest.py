"""Repository-level pytest configuration: the dlspec plugin (options, profiles, backend parametrization)."""

pytest_plugins = ["dlspec.pytest_plugin"]
