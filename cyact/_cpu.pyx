# cython: language_level=3
"""CPU features, asked at import to choose the kernel build (baseline flags)."""

cdef extern from "cyact_platform.h":
    int cy_cpu_has_avx2_fma() noexcept
    int cy_cpu_has_avx512() noexcept


def has_avx2_fma():
    """True when this CPU can run the AVX2+FMA build of the kernels."""
    return bool(cy_cpu_has_avx2_fma())


def has_avx512():
    """True when this CPU can run the AVX-512 (x86-64-v4) build of the kernels."""
    return bool(cy_cpu_has_avx512())
