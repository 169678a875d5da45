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


@runtime_checkable
class ProductKernel(Protocol):
    """Integer multiply-accumulate of activation codes with weight codes."""

    name: str

    def matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        """(N, K) int64 codes x (K, O) int64 codes -> (N, O) int64 sums of products."""
        ...


def exact_matmul(a: np.ndarray, w: np.ndarray) -> np.ndarray:
    """``a @ w`` on integers, exactly, using float BLAS whenever a bound proves it exact.

    The bound is ``K * max|a| * max|w|``: no partial sum can exceed it in magnitude.
    """
    k = a.shape[-1]
    max_abs_product = int(np.abs(a).max(initial=0)) * int(np.abs(w).max(initial=0))
    bound = k * max_abs_product
    if bound < FLOAT32_EXACT:
        return (a.astype(np.float32) @ w.astype(np.float32)).astype(np.int64)
    if bound < FLOAT64_EXACT:
        return (a.astype(np.float64) @ w.astype(np.float64)).astype(np.int64)
    if bound >= INT64_EXACT:
        raise OverflowError(f"a sum of {k} products up to {max_abs_product} may not fit in int64")
    return a.astype(np.int64) @ w.astype(np.int64)


class ExactProduct:
    """The exact multiplier: plain integer GEMM."""

    name = "exact"

    def matmul(self, a: np.ndarray, w: np.ndarray) -> np.ndarray:
        return exact_matmul(a, w)


EXACT = ExactProduct()
