"""What software made a release: the distribution, its source, Python, the dependencies.

``source_sha256()`` hashes the installed package's source: every file under the
import package ``cohort`` (Python modules, the bundled study and data files),
except compiled bytecode (``__pycache__``, ``*.pyc``), in the order of their
relative paths (POSIX form, byte order). For each file the hash takes its path,
a NUL byte, its sha256 and a newline, so moving or renaming a file changes it
too. Two installations with the same ``source_sha256`` run the same code, whatever
the version string says (every commit reports ``0.1.0`` until a release bumps it).
"""

from __future__ import annotations

import copy
import functools
import hashlib
import re
import sys
from importlib import metadata
from pathlib import Path
from typing import Any

__all__ = ["DISTRIBUTION", "runtime_dependencies", "software", "software_differences",
           "source_sha256", "version_line"]

#: The distribution's name on the package index (the import name stays ``cohort``).
DISTRIBUTION = "cohort-registers"

_SKIP_DIRS = {"__pycache__"}
_SKIP_SUFFIXES = (".pyc", ".pyo")


def _package_root() -> Path:
    import cohort

    return Path(cohort.__file__).resolve().parent


def _source_files(root: Path) -> list[Path]:
    out = []
    for p in root.rglob("*"):
        rel = p.relative_to(root)
        if any(part in _SKIP_DIRS for part in rel.parts) or p.suffix in _SKIP_SUFFIXES:
            continue
        if p.is_file():
            out.append(p)
    return sorted(out, key=lambda p: p.relative_to(root).as_posix().encode())


def source_sha256(root: str | Path | None = None) -> str:
    """The hash of the package's source files, as ``"sha256:<hex>"`` (see the module)."""
    if root is None:
        return _installed_source_sha256()
    return _hash_tree(Path(root))


@functools.cache
def _installed_source_sha256() -> str:
    return _hash_tree(_package_root())


def _hash_tree(root: Path) -> str:
    h = hashlib.sha256()
    for f in _source_files(root):
        h.update(f.relative_to(root).as_posix().encode())
        h.update(b"\0")
        h.update(hashlib.sha256(f.read_bytes()).hexdigest().encode())
        h.update(b"\n")
    return "sha256:" + h.hexdigest()


@functools.cache
def _distribution() -> metadata.Distribution | None:
    """The installed distribution that provides the import package ``cohort``.

    Looked up once per process: the lookup reads the metadata of every installed
    distribution (about a second), and a release asks for it once per file.
    """
    names = metadata.packages_distributions().get("cohort", [])
    for name in (DISTRIBUTION, *names):
        try:
            return metadata.distribution(name)
        except metadata.PackageNotFoundError:
            continue
    return None


_REQ_NAME = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)")


def runtime_dependencies() -> list[str]:
    """The names of the runtime dependencies (``[project] dependencies`` of pyproject)."""
    dist = _distribution()
    reqs = (dist.requires if dist is not None else None) or _pyproject_dependencies()
    names = []
    for r in reqs:
        if "extra ==" in r.replace('"', "").replace("'", ""):
            continue  # an optional dependency ([test], [dev])
        m = _REQ_NAME.match(r)
        if m:
            names.append(m.group(1))
    return sorted(dict.fromkeys(names), key=str.lower)


def _pyproject_dependencies() -> list[str]:
    """From the source tree's pyproject.toml, when the package runs uninstalled."""
    import tomllib

    path = _package_root().parent / "pyproject.toml"
    try:
        return list(tomllib.loads(path.read_text(encoding="utf-8"))["project"]["dependencies"])
    except (OSError, KeyError, ValueError):
        return []


def _version(name: str) -> str:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return "not installed"


def software() -> dict[str, Any]:
    """The installed software, as the manifest records it."""
    return copy.deepcopy(_software())


@functools.cache
def _software() -> dict[str, Any]:
    import cohort

    dist = _distribution()
    return {
        "distribution": DISTRIBUTION,
        "version": dist.version if dist is not None else cohort.__version__,
        "source_sha256": source_sha256(),
        "python": ".".join(str(v) for v in sys.version_info[:3]),
        "dependencies": {n: _version(n) for n in runtime_dependencies()},
    }


def software_differences(recorded: Any) -> list[str]:
    """How the software recorded in a manifest differs from the installed one (empty: not)."""
    if not isinstance(recorded, dict):
        return ["the manifest records no software (an older version of cohort wrote it, "
                "without source_sha256)"]
    here = software()
    out = []
    for key in ("distribution", "version", "source_sha256", "python"):
        if recorded.get(key) != here[key]:
            out.append(f"{key}: {recorded.get(key)} in the release, {here[key]} installed")
    deps = recorded.get("dependencies")
    deps = deps if isinstance(deps, dict) else {}
    for name in sorted(set(deps) | set(here["dependencies"]), key=str.lower):
        there, mine = deps.get(name, "not recorded"), here["dependencies"].get(name,
                                                                               "not installed")
        if there != mine:
            out.append(f"{name} {there} in the release, {mine} installed")
    return out


def version_line() -> str:
    """``cohort --version``: the distribution, its version, its source hash and Python."""
    sw = software()
    return (f"{sw['distribution']} {sw['version']} (source {sw['source_sha256'][:19]}, "
            f"Python {sw['python']})")
