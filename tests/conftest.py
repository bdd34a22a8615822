pytest_plugins = ["tests.fixtures.databases", "tests.fixtures.app", "tests.fixtures.data",
                  "tests.fixtures.server", "tests.fixtures.serve",
                  "tests.fixtures.nginx"]
