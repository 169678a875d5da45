"""The per-layer multiplier hook: how a MAC layer turns codes into exact integer sums.

A :class:`ProductKernel` computes ``Y[n, o] = sum_k M(A[n, k], W[k, o])`` for an
integer product ``M`` (exact or approximate) as one GEMM-like call. The emulator
asks a kernel per MAC layer; approximate designs plug in here without the
emulator knowing how they are computed.

Exactness: BLAS is used on floats only when the sum is *proven* to stay within
the float's integer range (2**24 for float32, 2**53 for float64); otherwise an
int64 product is used.
"""

from __future__ import annotations

from typing import Protocol, runtime_checkable

import numpy as np

FLOAT32_EXACT = 1 << 24
FLOAT64_EXACT = 1 << 53
INT64_EXACT = 1 << 63
MIN_BLOCK = 64  # fan-in positions per float32 block below which one float64 GEMM is used instead


@runtime_checkable
class ProductKernel(Protocol):
    """Integer multiply-accumulate of activation codes with weight codes."""

    name: str

    def matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        """(N, K) int64 codes x (K, O) int64 codes -> (N, O) int64 sums of products."""
        ...


def exact_matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a @ w`` on integers, exactly, using float BLAS whenever a bound proves it exact.

    The bound is ``K * max|a| * max|w|``: no partial sum can exceed it in magnitude. When it
    does not fit float32 but blocks of at least ``MIN_BLOCK`` fan-in positions do, the fan-in
    is cut into such blocks (each an exact float32 GEMM) and the blocks are added in int64:
    cheaper than one float64 GEMM.
    """
    k = a.shape[-1]
    max_abs_product = _max_abs(a) * _max_abs(w)
    bound = k * max_abs_product
    if bound < FLOAT32_EXACT:
        return (a.astype(np.float32) @ w.astype(np.float32)).astype(np.int64)
    block = (FLOAT32_EXACT - 1) // max_abs_product
    if block >= MIN_BLOCK:
        af, wf = a.astype(np.float32), w.astype(np.float32)
        out = (af[:, :block] @ wf[:block]).astype(np.int64)
        for start in range(block, k, block):
            out += (af[:, start : start + block] @ wf[start : start + block]).astype(np.int64)
        return out
    if bound < FLOAT64_EXACT:
        return (a.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    if bound >= INT64_EXACT:
        raise OverflowError(f"a sum of {k} products up to {max_abs_product} may not fit in int64")
    return a.astype(np.int64) @ w.astype(np.int64)


def _max_abs(x: np.ndarray) -> int:
    return max(-int(x.min()), int(x.max())) if x.size else 0


def lookup_table(values: np.ndarray, codes: np.ndarray, dtype: type) -> np.ndarray:
    """``values`` (one row per code, codes ascending) re-ordered so that ``table[code]`` is the
    code's row for every code, negative ones included (numpy counts them from the end, which
    is the two's-complement order): a gather then needs no ``code - min`` pass."""
    out = np.empty(values.shape, dtype=dtype)
    out[np.asarray(codes) % len(codes)] = values
    return out


class ExactProduct:
    """The exact multiplier: plain integer GEMM."""

    name = "exact"

    def matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        return exact_matmul(a, w)


EXACT = ExactProduct()
