"""Opaque identifiers: "P" or "A" followed by 11 base-32 characters.

A keyed bijection of 55-bit integers scrambles the running numbers, so the ids
are unique, depend on the seed, carry no order, and can never look like a CPR
number (they are not ten digits).
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

__all__ = ["encode_ids"]

_ALPHABET = np.frombuffer(b"0123456789ABCDEFGHJKMNPQRSTVWXYZ", dtype=np.uint8)
_BITS = 55
_MASK = np.uint64((1 << _BITS) - 1)


def _keys(seed: int, salt: int) -> tuple[np.uint64, np.uint64, np.uint64]:
    ss = np.random.SeedSequence([seed, salt, 0x1D5])
    a, b, c = ss.generate_state(3, dtype=np.uint64)
    return a | np.uint64(1), b & _MASK, c | np.uint64(1)


def _scramble(x: np.ndarray, seed: int, salt: int) -> np.ndarray:
    a, b, c = _keys(seed, salt)
    with np.errstate(over="ignore"):
        x = (x.astype(np.uint64) * a + b) & _MASK
        x ^= x >> np.uint64(27)
        x = (x * c) & _MASK
        x ^= x >> np.uint64(31)
    return x


def encode_ids(numbers: np.ndarray, *, seed: int, prefix: str) -> pa.StringArray:
    """Ids of running numbers ``numbers`` (distinct numbers give distinct ids)."""
    x = _scramble(np.asarray(numbers, np.int64), seed, ord(prefix))
    n = len(x)
    chars = np.empty((n, 12), np.uint8)
    chars[:, 0] = ord(prefix)
    for i in range(11):
        chars[:, 11 - i] = _ALPHABET[((x >> np.uint64(5 * i)) & np.uint64(31)).astype(np.int64)]
    offsets = np.arange(0, 12 * n + 1, 12, dtype=np.int32)
    return pa.StringArray.from_buffers(n, pa.py_buffer(offsets), pa.py_buffer(chars.tobytes()))
