"""Residence spells from the simulation's address events, and "lives in" on a date."""

from __future__ import annotations

import numpy as np

from cohort.synth._dates import NEVER

__all__ = ["Spells", "spells_from_events"]


class Spells:
    """Residence spells [start, end) of a block, sorted by person and start."""

    def __init__(self, pid: np.ndarray, addr: np.ndarray, start: np.ndarray, end: np.ndarray):
        self.pid, self.addr, self.start, self.end = pid, addr, start, end

    def address_on(self, day: int, n_persons: int) -> np.ndarray:
        """Address index of every person on ``day`` (-1: not in the country)."""
        out = np.full(n_persons, -1, np.int64)
        m = (self.start <= day) & (day < self.end)
        out[self.pid[m]] = self.addr[m]
        return out


def spells_from_events(
    pid: np.ndarray, date: np.ndarray, addr: np.ndarray, prio: np.ndarray, death: np.ndarray
) -> Spells:
    """Spells from events; each sets a person's address (-1: abroad) from its date on.

    Later events of the same date win by priority. Spells end at the next event or
    at death.
    """
    order = np.lexsort((prio, date, pid))
    pid, date, addr = pid[order], date[order], addr[order]
    nxt = np.empty(len(pid), np.int64)
    nxt[:-1] = date[1:]
    same = np.zeros(len(pid), bool)
    same[:-1] = pid[1:] == pid[:-1]
    end = np.where(same, nxt, NEVER)
    end = np.minimum(end, death[pid])
    keep = (addr >= 0) & (date < end)
    return Spells(pid[keep], addr[keep], date[keep].astype(np.int32), end[keep].astype(np.int32))
