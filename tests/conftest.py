import sys
import traceback

if sys.version_info[:2] == (3, 11):
    # Python 3.11 counts the depth of AST conversions in one counter per
    # interpreter. A thread formatting a traceback parses the failing line to
    # place its ^ marks; if that happens while the main thread parses or
    # compiles an AST (pytest's assertion rewriting, werkzeug compiling the
    # routes of a new app), the main thread fails with "SystemError: AST
    # constructor recursion depth mismatch" (pytest-dev/pytest#10763,
    # python/cpython#106905). Tracebacks in the test process mark whole
    # expressions instead of their operators.
    traceback._extract_caret_anchors_from_line_segment = lambda segment: None

pytest_plugins = ["tests.fixtures.databases", "tests.fixtures.app", "tests.fixtures.data",
                  "tests.fixtures.server", "tests.fixtures.serve",
                  "tests.fixtures.nginx", "tests.fixtures.s3"]
