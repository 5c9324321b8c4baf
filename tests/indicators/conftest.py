"""Fixtures of the indicator tests: building tiny extracts."""

from __future__ import annotations

import hashlib
import importlib.util
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent


def _load(name: str, path: Path | None = None):
    # Helpers are loaded under unique names (tests run with --import-mode=importlib).
    full = f"_indicators{name}"
    if full not in sys.modules:
        spec = importlib.util.spec_from_file_location(full, path or HERE / f"{name}.py")
        mod = importlib.util.module_from_spec(spec)
        sys.modules[full] = mod
        spec.loader.exec_module(mod)
    return sys.modules[full]


_load("_build")
_load("_reference")
_load("_strategies")
_load("_published_study")
# The other engineer's pandas oracle of definitions §1 (for the generator's
# calibration), a second reference where it exists.
_ORACLE = HERE.parent / "oracles" / "social_balance.py"
if _ORACLE.is_file():
    _load("_oracle", _ORACLE)


@pytest.fixture(scope="session")
def _extract_cache(tmp_path_factory):
    cache: dict[str, object] = {}
    yield cache, tmp_path_factory.mktemp("indicator-extracts")
    for ex in cache.values():
        ex.close()


@pytest.fixture
def make_extract(_extract_cache):
    """``make_extract(world)`` -> an open Extract (read-only: shared by tests of one world).

    A world is written and read once per session (keyed by its content), since
    validating an extract takes a good part of a second.
    """
    build = sys.modules["_indicators_build"]
    cache, root = _extract_cache

    def make(world, *, extract_end="2019-12-31"):
        key = hashlib.sha1(repr((sorted(world.items()), extract_end)).encode()).hexdigest()
        if key not in cache:
            path = root / key
            build.write(world, path, extract_end=extract_end)
            cache[key] = build.read(path)
        return cache[key]

    return make
