"""Write docs/api.md, the API reference, from the public modules' docstrings.

    python docs/make_api.py
"""

from __future__ import annotations

import importlib
import inspect
from pathlib import Path

MODULES = [
    "cohort",
    "cohort.extract",
    "cohort.engine",
    "cohort.exposure",
    "cohort.cohorts",
    "cohort.indicators",
    "cohort.flows",
    "cohort.survival",
    "cohort.did",
    "cohort.panels",
    "cohort.disclosure",
    "cohort.study",
    "cohort.synth",
    "cohort.exceptions",
]


def _first_paragraph(doc: str | None) -> str:
    if not doc:
        return ""
    text = inspect.cleandoc(doc)
    return text.split("\n\n", 1)[0].replace("\n", " ")


def _signature(obj: object) -> str:
    try:
        return str(inspect.signature(obj))  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return ""


def render() -> str:
    lines = ["# API reference", "",
             "Generated from the docstrings by `python docs/make_api.py`; the docstrings "
             "(with runnable examples) are the source.", ""]
    for name in MODULES:
        mod = importlib.import_module(name)
        lines += [f"## `{name}`", "", _first_paragraph(mod.__doc__), ""]
        for attr in getattr(mod, "__all__", []):
            obj = getattr(mod, attr, None)
            if obj is None or attr.startswith("_"):
                continue
            if inspect.isclass(obj) or inspect.isfunction(obj):
                sig = _signature(obj) if inspect.isfunction(obj) else ""
                kind = "class" if inspect.isclass(obj) else "function"
                lines.append(f"- **`{attr}{sig}`** ({kind}): {_first_paragraph(obj.__doc__)}")
            else:
                lines.append(f"- `{attr}` (constant)")
        lines.append("")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    out = Path(__file__).with_name("api.md")
    out.write_text(render(), encoding="utf-8")
