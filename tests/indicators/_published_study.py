"""The strategy's published values, read from the bundled study file (their one copy)."""

from __future__ import annotations

from pathlib import Path

BUNDLED = Path(__file__).resolve().parents[2] / "analyses" / "bagsvaerd.toml"
ESTATE, MUNICIPALITY = "area:vaerebro_park", "municipality:159"


def published() -> dict[str, tuple[int, float, float]]:
    """Per indicator: (year as social_balance counts it, estate %, municipality %)."""
    from cohort.study import load_study

    rows = load_study(BUNDLED).published
    by = {(r["indicator"], r["unit"]): r for r in rows}
    return {k: (by[k, ESTATE]["year"], by[k, ESTATE]["percent"], by[k, MUNICIPALITY]["percent"])
            for k, u in by if u == ESTATE}
