"""Flows of residents into and out of areas (definitions.md §4).

Moves into and out of areas, yearly flows, origin-destination matrices,
the decomposition of the resource-strong share, and retention
(definitions.md §4). See ``docs/flows.md``.

Person-level tables (:func:`moves`, :func:`retention_data`) stay inside the
research environment; the aggregate tables (:func:`yearly`, :func:`od_matrix`,
:func:`decompose`) and every figure's table go through disclosure control
before they leave. The figures (``plot_flow_rates``, ``plot_flow_diagrams``,
``plot_decomposition``; :mod:`cohort.flows.plots`) draw the released tables.
"""

from cohort.flows._decompose import COMPONENTS, ENTRANTS, LEAVERS, decompose, decomposition_long
from cohort.flows._moves import moves
from cohort.flows._od import od_matrix, od_pivot
from cohort.flows._retention import retention_cox, retention_data, retention_km
from cohort.flows._status import RESOURCE_STATUSES, ResourceDefinition
from cohort.flows._yearly import yearly

__all__ = [
    "COMPONENTS",
    "ENTRANTS",
    "LEAVERS",
    "RESOURCE_STATUSES",
    "ResourceDefinition",
    "decompose",
    "decomposition_long",
    "moves",
    "od_matrix",
    "od_pivot",
    "plot_decomposition",
    "plot_flow_diagram",
    "plot_flow_diagrams",
    "plot_flow_rates",
    "retention_cox",
    "retention_data",
    "retention_km",
    "yearly",
]

_PLOTS = ("plot_decomposition", "plot_flow_diagram", "plot_flow_diagrams", "plot_flow_rates")


def __getattr__(name: str):  # noqa: ANN202 - the figures load matplotlib only when used
    if name in _PLOTS:
        from cohort.flows import plots

        return getattr(plots, name)
    msg = f"module 'cohort.flows' has no attribute {name!r}"
    raise AttributeError(msg)
