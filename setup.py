"""Build cyact's extension modules.

The kernel template ``cyact/_kernels.pyx.tp`` is rendered once per build
variant and compiled with that variant's flags:

- ``baseline``: the architecture's default instruction set (SSE2 on x86-64),
  so the wheel runs on any CPU of its architecture;
- ``avx2`` (x86-64 only): ``-mavx2 -mfma``, imported at run time only on CPUs
  that have both (``cyact._dispatch``);
- ``avx512`` (x86-64 only): AVX-512 F/CD/VL/DQ/BW with 512-bit vectors, for
  CPUs that have them.

Flags: ``-O3`` to vectorize the point math, ``-fno-trapping-math`` so GCC may
if-convert selects whose untaken side would raise a floating-point flag.
``-falign-loops=64``: a loop that crosses a 64-byte boundary of the code takes
two of Zen 4's op-cache lines per iteration; which loops did moved from build
to build with unrelated code (in place at 1e5, the AVX2 build's float32 relu
ran at 0.074 ns per element in one build and 0.040 in the next, the baseline
build's 0.141 and 0.085: the same instructions, one loop 48 bytes into a line).
Against a build without it at 1e5, in place: AVX2 leaky_relu float32 1.56
faster, the rest of a sample of 14 functions per build 0.94-1.09.
Never ``-ffast-math``: it breaks NaN and inf handling, and a module linked with
it switches the whole process to flush-subnormals-to-zero on load.
"""
import os
import platform
from pathlib import Path

import numpy as np
from Cython import Tempita
from Cython.Build import cythonize
from setuptools import Extension, setup

HERE = Path(__file__).resolve().parent
PKG = HERE / "cyact"

IS_X86_64 = platform.machine().lower() in ("x86_64", "amd64")
VARIANTS = {"baseline": []}
if IS_X86_64:
    VARIANTS["avx2"] = ["-mavx2", "-mfma"]
    # x86-64-v4 (Skylake-X, Ice Lake, Zen 4): 512-bit vectors, which GCC only
    # uses for auto-vectorized loops when asked to prefer them.
    VARIANTS["avx512"] = ["-mavx512f", "-mavx512cd", "-mavx512vl", "-mavx512dq",
                          "-mavx512bw", "-mavx2", "-mfma", "-mprefer-vector-width=512"]

COMMON_FLAGS = ["-O3", "-fno-trapping-math", "-fno-inline-functions-called-once",
                "-falign-loops=64", "-fopenmp"]
# Extra flags for a sanitizer or debug build, e.g. CYACT_EXTRA_CFLAGS="-fsanitize=address".
EXTRA_FLAGS = os.environ.get("CYACT_EXTRA_CFLAGS", "").split()
MACROS = [
    ("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION"),
    # Cython's inline functions (the point math of _points.pxd) inlined for
    # sure: a module with many loops exhausts GCC's inlining budget, and a
    # call left in a loop stops its vectorization.
    ("CYTHON_INLINE", "__inline__ __attribute__((always_inline))"),
]


def render_kernels():
    """Write one .pyx per variant from the template (only when it changed)."""
    template = Tempita.Template((PKG / "_kernels.pyx.tp").read_text(),
                                name="_kernels.pyx.tp")
    for variant, flags in VARIANTS.items():
        text = template.substitute(COMPILE_FLAGS=" ".join(COMMON_FLAGS + flags + EXTRA_FLAGS))
        target = PKG / f"_kernels_{variant}.pyx"
        if not target.exists() or target.read_text() != text:
            target.write_text(text)


def extension(name, sources, flags=()):
    return Extension(
        name,
        sources=sources,
        include_dirs=[np.get_include(), str(PKG / "src")],
        define_macros=MACROS,
        extra_compile_args=COMMON_FLAGS + list(flags) + EXTRA_FLAGS,
        extra_link_args=["-fopenmp"] + EXTRA_FLAGS,
    )


render_kernels()
extensions = [
    extension(f"cyact._kernels_{variant}", [f"cyact/_kernels_{variant}.pyx"], flags)
    for variant, flags in VARIANTS.items()
]
extensions.append(extension("cyact._cpu", ["cyact/_cpu.pyx"]))

setup(
    ext_modules=cythonize(
        extensions,
        include_path=[str(PKG)],
        compiler_directives={"language_level": 3},
    ),
)
