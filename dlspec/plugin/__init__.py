"""dlspec's pytest plugin, split by idea; `dlspec.pytest_plugin` is the module pytest loads and re-exports the hooks.

  options     the option table (pytest options and `dlspec audit`'s), the Hypothesis profiles, the run's settings
  selection   backend names and prefixes to backends; shards
  params      backend × device × dtype parametrization, the catalogue entries covering each item, their replay
  results     per-item records, outcomes, replay commands, the report and the catalogue's unused-entry warning
"""
