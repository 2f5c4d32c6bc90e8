"""Every example in a docstring of the core packages runs (the style rule: doctests are
collected). One test per module, so a broken example names its module."""

import doctest
import importlib
import pkgutil

import pytest

import geo

# ``geo.__main__`` runs the command line on import.
MODULES = sorted(m.name for m in pkgutil.walk_packages(geo.__path__, "geo.")
                 if not m.name.endswith("__main__"))


def test_every_core_module_is_listed():
    assert "geo.timeline" in MODULES and "geo.importers.dates" in MODULES
    assert "geo.store.duckdb" in MODULES


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples_run(name):
    module = importlib.import_module(name)
    result = doctest.testmod(module, optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{name}: {result.failed} of {result.attempted} examples failed"
