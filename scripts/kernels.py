"""Pin the float32 kernels before numpy loads, so training gives the same bits on any machine.

Float32 results depend on which SIMD kernels run: an AVX-512 matrix multiply rounds differently
from an AVX2 one, and numpy's own loops dispatch on the CPU too. Training scripts import this
module first: one thread, OpenBLAS's Haswell (AVX2 + FMA) kernels, numpy's AVX-512 loops off —
the same code path on every x86-64 machine with AVX2.
"""

import os

KERNELS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
           "OPENBLAS_CORETYPE": "Haswell",
           "NPY_DISABLE_CPU_FEATURES": "AVX512F,AVX512CD,AVX512_KNL,AVX512_KNM,AVX512_SKX,"
                                       "AVX512_CLX,AVX512_CNL,AVX512_ICL,AVX512_SPR"}


def pin() -> dict:
    """Set the variables (numpy and OpenBLAS read them when they load) and return them."""
    if "numpy" in __import__("sys").modules:
        raise RuntimeError("kernels.pin() must run before numpy is imported")
    os.environ.update(KERNELS)
    return dict(KERNELS)
