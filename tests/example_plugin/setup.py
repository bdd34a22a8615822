"""dcorlite-example: the smallest third-party dcorlite plugin.

Install it with ``pip install ./tests/example_plugin``; dcorlite finds it
through the ``dcorlite.plugins`` entry point (unless ``LOAD_ENTRY_POINTS`` is
off). ``tests/test_entry_points.py`` reads the entry point from this file.
"""
from setuptools import setup

setup(
    name="dcorlite-example",
    version="0.1.0",
    description="Example dcorlite plugin: the example_hello action and command",
    py_modules=["dcorlite_example"],
    install_requires=["dcorlite"],
    entry_points={"dcorlite.plugins": ["example = dcorlite_example"]},
)
