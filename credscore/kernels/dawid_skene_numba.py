"""The numba loops behind :mod:`credscore.kernels.dawid_skene` (used only when numba is installed).

:func:`build` compiles the three loops for a given number of labels ``kk``
(``0``: any number, read from the arrays). With ``kk`` fixed, the loops over
labels unroll and the per-object posterior lives in a stack buffer of ``kk``
doubles that the compiler keeps in registers, so the product over an
object's answers is a chain of multiplications with no memory traffic. The
posterior is computed in linear space; see :mod:`credscore.kernels.dawid_skene` for
why that is exact enough and when an object is redone in log space. Every
compiled loop is cached on disk (``cache=True``), keyed by ``kk``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import numpy.typing as npt

from credscore.kernels.backend import jit

try:
    import llvmlite.ir as llvm_ir  # type: ignore[import-untyped]
    import numba
    from numba import types
    from numba.core import cgutils
    from numba.extending import intrinsic
except ImportError:  # pragma: no cover - the module is then only read, never used
    HAVE_NUMBA = False
else:
    HAVE_NUMBA = True

__all__ = ["build"]

FloatArray = npt.NDArray[np.float64]
IndexArray = npt.NDArray[np.int64]
AnyIndex = npt.NDArray[np.integer[Any]]


if HAVE_NUMBA:

    @intrinsic
    def _stack_doubles(typingctx: Any, size: Any) -> Any:  # pragma: no cover - compile time
        """A pointer to ``size`` (a compile-time constant) doubles on the stack."""
        if not isinstance(size, types.IntegerLiteral):
            return None
        n = int(size.literal_value)

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            ty = context.get_value_type(types.float64)
            return cgutils.alloca_once(builder, ty, size=n)  # type: ignore[no-untyped-call]

        sig = types.CPointer(types.float64)(size)  # type: ignore[no-untyped-call]
        return sig, codegen

    @intrinsic
    def _prefetch_row(
        typingctx: Any, table: Any, row: Any
    ) -> Any:  # pragma: no cover - compile time
        """Ask the CPU to bring row ``row`` of the 2-d ``table`` into cache, to be written."""

        def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
            ary = context.make_array(sig.args[0])(context, builder, args[0])
            zero = context.get_constant(types.intp, 0)
            ptr = cgutils.get_item_pointer(  # type: ignore[no-untyped-call]
                context, builder, sig.args[0], ary, [args[1], zero], wraparound=False
            )
            i8p = llvm_ir.IntType(8).as_pointer()
            i32 = llvm_ir.IntType(32)
            fnty = llvm_ir.FunctionType(llvm_ir.VoidType(), [i8p, i32, i32, i32])
            fn = cgutils.get_or_insert_function(  # type: ignore[no-untyped-call]
                builder.module, fnty, "llvm.prefetch.p0i8"
            )
            # (address, write, high locality, data cache)
            flags = [llvm_ir.Constant(i32, 1), llvm_ir.Constant(i32, 3), llvm_ir.Constant(i32, 1)]
            builder.call(fn, [builder.bitcast(ptr, i8p), *flags])
            return context.get_dummy_value()

        sig = types.none(table, types.intp)
        return sig, codegen


def build(kk: int, tiny: float) -> dict[str, Callable[..., Any]]:
    """Compile (or load from the disk cache) the loops for ``kk`` labels (0: any).

    ``tiny`` is the smallest posterior product kept in linear space (below it
    an object is redone in log space; see :mod:`credscore.kernels.dawid_skene`).

    Examples
    --------
    >>> import pytest; _ = pytest.importorskip("numba")
    >>> import numpy as np
    >>> loops = build(2, 1e-280)
    >>> tab = np.array([[0.9, 0.2, 0.0, 0.0]])   # one cell: conf row, then counts
    >>> total = np.zeros(2)
    >>> one = np.array([0])
    >>> loops["ds"](tab, np.array([0.5, 0.5]), one, one, np.array([0, 1]), total, False, 0)
    >>> total.round(4).tolist()
    [0.8182, 0.1818]
    """
    return {
        "ds": jit(_ds_loop(kk, tiny)),
        "oc": jit(_oc_loop(kk, tiny)),
        "claims": jit(_claims_loop(kk, tiny)),
    }


def _ds_loop(kk: int, tiny: float) -> Callable[..., None]:
    """The Dawid-Skene E-step and count pass for ``kk`` labels (0: any)."""
    size = kk if kk > 0 else 1

    def ds_loop(
        tab: FloatArray,
        prior: FloatArray,
        cell: AnyIndex,
        given: AnyIndex,
        start: IndexArray,
        total: FloatArray,
        vote: bool,
        ahead: int,
    ) -> None:  # pragma: no cover - compiled by numba
        # tab[c, :K] holds conf[c, :], tab[c, K:] receives the counts. When
        # tab is larger than the core's cache, the rows of the answers
        # ``ahead`` positions on are prefetched.
        n_k = kk if kk > 0 else prior.shape[0]
        n = cell.shape[0]
        buf: Any = _stack_doubles(size)  # type: ignore[call-arg]
        p = numba.carray(buf, size) if kk > 0 else np.empty(n_k)
        for i in range(start.shape[0] - 1):
            lo = start[i]
            hi = start[i + 1]
            if hi == lo:
                continue
            if ahead > 0:
                for a in range(lo + ahead, min(hi + ahead, n)):
                    _prefetch_row(tab, cell[a])
            if vote:
                for k in range(n_k):
                    p[k] = 0.0
                for a in range(lo, hi):
                    p[given[a]] += 1.0
                inv = 1.0 / (hi - lo)
            else:
                for k in range(n_k):
                    p[k] = prior[k]
                for a in range(lo, hi):
                    c = cell[a]
                    for k in range(n_k):
                        p[k] *= tab[c, k]
                low = p[0]
                for k in range(1, n_k):
                    low = min(low, p[k])
                if not low >= tiny:
                    # Some product left the normal range: redo in log space.
                    for k in range(n_k):
                        p[k] = np.log(prior[k])
                    for a in range(lo, hi):
                        c = cell[a]
                        for k in range(n_k):
                            p[k] += np.log(tab[c, k])
                    top = p[0]
                    for k in range(1, n_k):
                        top = max(top, p[k])
                    for k in range(n_k):
                        p[k] = np.exp(p[k] - top)
                z = 0.0
                for k in range(n_k):
                    z += p[k]
                inv = 1.0 / z
            for k in range(n_k):
                p[k] *= inv
                total[k] += p[k]
            for a in range(lo, hi):
                c = cell[a]
                for k in range(n_k):
                    tab[c, n_k + k] += p[k]

    return ds_loop


def _oc_loop(kk: int, tiny: float) -> Callable[..., None]:
    """The one-coin E-step and count pass for ``kk`` labels (0: any)."""

    def oc_loop(
        acc: FloatArray,
        wrong: FloatArray,
        prior: FloatArray,
        source: AnyIndex,
        given: AnyIndex,
        start: IndexArray,
        correct: FloatArray,
        total: FloatArray,
        vote: bool,
    ) -> None:  # pragma: no cover - compiled by numba
        n_k = kk if kk > 0 else prior.shape[0]
        # A heap buffer: the label given is a run-time index (a stack buffer
        # indexed so would not stay in registers anyway).
        p = np.empty(n_k)
        # Each answer multiplies every label by wrong[s] and the one given by
        # acc[s] instead: up to the object's normaliser, only the label given
        # by ratio[s] = acc[s] / wrong[s], one product per answer, not K.
        ratio = acc / wrong
        for i in range(start.shape[0] - 1):
            lo = start[i]
            hi = start[i + 1]
            if hi == lo:
                continue
            if vote:
                for k in range(n_k):
                    p[k] = 0.0
                for a in range(lo, hi):
                    p[given[a]] += 1.0
                inv = 1.0 / (hi - lo)
            else:
                for k in range(n_k):
                    p[k] = prior[k]
                for a in range(lo, hi):
                    p[given[a]] *= ratio[source[a]]
                # The ratios may exceed 1: kept in linear space while every
                # label stays within [tiny, 1 / tiny] (a NaN does not).
                inside = True
                for k in range(n_k):
                    if not tiny <= p[k] <= 1.0 / tiny:
                        inside = False
                if not inside:
                    for k in range(n_k):
                        p[k] = np.log(prior[k])
                    for a in range(lo, hi):
                        s = source[a]
                        g = given[a]
                        right = p[g] + np.log(acc[s])
                        w = np.log(wrong[s])
                        for k in range(n_k):
                            p[k] += w
                        p[g] = right
                    top = p[0]
                    for k in range(1, n_k):
                        top = max(top, p[k])
                    for k in range(n_k):
                        p[k] = np.exp(p[k] - top)
                z = 0.0
                for k in range(n_k):
                    z += p[k]
                inv = 1.0 / z
            for k in range(n_k):
                p[k] *= inv
                total[k] += p[k]
            for a in range(lo, hi):
                correct[source[a]] += p[given[a]]

    return oc_loop


def _claims_loop(kk: int, tiny: float) -> Callable[..., None]:
    """Final claim probabilities for ``kk`` labels (0: any)."""

    def claims_loop(
        conf: FloatArray,
        prior: FloatArray,
        cell: AnyIndex,
        start: IndexArray,
        claim_label: IndexArray,
        claim_start: IndexArray,
        out: FloatArray,
    ) -> None:  # pragma: no cover - compiled by numba
        n_k = kk if kk > 0 else prior.shape[0]
        p = np.empty(n_k)
        for i in range(start.shape[0] - 1):
            lo = start[i]
            hi = start[i + 1]
            c_lo = claim_start[i]
            c_hi = claim_start[i + 1]
            if c_hi == c_lo:
                continue
            for k in range(n_k):
                p[k] = prior[k]
            for a in range(lo, hi):
                c = cell[a]
                for k in range(n_k):
                    p[k] *= conf[c, k]
            low = p[0]
            for k in range(1, n_k):
                low = min(low, p[k])
            if not low >= tiny:
                for k in range(n_k):
                    p[k] = np.log(prior[k])
                for a in range(lo, hi):
                    c = cell[a]
                    for k in range(n_k):
                        p[k] += np.log(conf[c, k])
                # Normalise over the claimed labels only, which may all be
                # far below an unclaimed one.
                top = p[claim_label[c_lo]]
                for j in range(c_lo + 1, c_hi):
                    top = max(top, p[claim_label[j]])
                for k in range(n_k):
                    p[k] = np.exp(p[k] - top)
            z = 0.0
            for j in range(c_lo, c_hi):
                z += p[claim_label[j]]
            for j in range(c_lo, c_hi):
                out[j] = p[claim_label[j]] / z

    return claims_loop
