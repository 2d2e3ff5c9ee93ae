"""For `scrapyd-deploy`, which builds an egg with `setup.py bdist_egg`; metadata: pyproject.toml."""

from setuptools import setup

setup()
