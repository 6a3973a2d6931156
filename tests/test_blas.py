"""The recogniser multiplies through NumPy's BLAS on one thread, with the results of thinc's own ops."""

from __future__ import annotations

import numpy
import pytest
from thinc.api import NumpyOps
from threadpoolctl import ThreadpoolController

from paperkg.extractors.blas import OneThreadBlasOps
from paperkg.extractors.pipeline import load_pipeline


@pytest.mark.parametrize("trans1, trans2", [(False, False), (True, False), (False, True), (True, True)])
def test_blas_gemm_equals_thincs(trans1, trans2):
    rng = numpy.random.default_rng(0)
    x = rng.random((30, 30), dtype="f")
    y = rng.random((30, 30), dtype="f")
    expected = NumpyOps().gemm(x, y, trans1=trans1, trans2=trans2)
    assert numpy.allclose(OneThreadBlasOps().gemm(x, y, trans1=trans1, trans2=trans2), expected, rtol=1e-5)


def test_blas_gemm_writes_into_out():
    out = numpy.zeros((2, 2), dtype="f")
    result = OneThreadBlasOps().gemm(numpy.eye(2, dtype="f"), numpy.full((2, 2), 2, dtype="f"), out=out)
    assert result is out and out.tolist() == [[2, 2], [2, 2]]


def test_blas_gemm_leaves_the_thread_count_as_it_was():
    blas = ThreadpoolController().select(user_api="blas")
    with blas.limit(limits=2):
        OneThreadBlasOps().gemm(numpy.ones((300, 300), dtype="f"), numpy.ones((300, 300), dtype="f"))
        assert {info["num_threads"] for info in blas.info()} == {2}


def test_blas_every_layer_of_the_shipped_recogniser_uses_it():
    assert {type(layer.ops) for layer in load_pipeline().get_pipe("ner").model.walk()} == {OneThreadBlasOps}
