from conftest_e2e import launch  # noqa: F401  (fixture)
