"""Only for `scrapyd-deploy`, which builds the egg it uploads with `setup.py bdist_egg`; the
project's metadata is pyproject.toml's."""

from setuptools import setup

setup()
