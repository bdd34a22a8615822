pytest_plugins = ["tests.fixtures.app", "tests.fixtures.data", "tests.fixtures.server"]
