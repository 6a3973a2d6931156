"""Matrix products of the recogniser through NumPy's BLAS, on one thread.

thinc's CPU ops multiply matrices with the ``blis`` wheel, whose generic kernel (it runs on
CPUs with AVX2 too) is 2.5-3x slower than the OpenBLAS in NumPy's wheels on the recogniser's
shapes (17,000 x 144 by 144 x 144: 27 ms against 10 ms on one core). OpenBLAS would start a
thread per core for them, for no gain in time and twice the CPU, and would crowd a machine's
other ``--workers``, so each product runs on one thread.

>>> ops = OneThreadBlasOps()
>>> ops.gemm(numpy.ones((2, 3), dtype="f"), numpy.ones((3, 4), dtype="f")).tolist()[0]
[3.0, 3.0, 3.0, 3.0]
"""

from __future__ import annotations

import numpy
from spacy.language import Language
from thinc.api import NumpyOps
from threadpoolctl import ThreadpoolController

__all__ = ["OneThreadBlasOps", "use_numpy_blas"]


class OneThreadBlasOps(NumpyOps):
    """thinc's NumPy ops with ``gemm`` through ``numpy.dot`` (OpenBLAS), limited to one thread per call."""

    name = "paperkg_numpy"

    def __init__(self) -> None:
        super().__init__(use_blis=False)
        self._blas = ThreadpoolController().select(user_api="blas")

    def gemm(self, x, y, *, out=None, trans1=False, trans2=False):
        with self._blas.limit(limits=1):
            return super().gemm(x, y, out=out, trans1=trans1, trans2=trans2)


def use_numpy_blas(nlp: Language, component: str) -> None:
    """Every layer of ``component``'s model multiplies with :class:`OneThreadBlasOps`."""
    ops = OneThreadBlasOps()
    for layer in nlp.get_pipe(component).model.walk():  # type: ignore[attr-defined]
        layer.ops = ops
