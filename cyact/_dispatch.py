"""Choose the kernel build for this CPU, once, at import.

The AVX2+FMA build is imported only where the CPU has both, so that it can
never run an illegal instruction; ``CYACT_KERNELS=baseline`` forces the
portable build (for testing it, or to rule it out when chasing a problem).
"""
import os

from . import _cpu
from . import _kernels_baseline

try:
    from . import _kernels_avx2
except ImportError:  # not x86-64: only the baseline build exists
    _kernels_avx2 = None

BUILDS = {"baseline": _kernels_baseline}
if _kernels_avx2 is not None and _cpu.has_avx2_fma():
    BUILDS["avx2"] = _kernels_avx2


def _initial():
    wanted = os.environ.get("CYACT_KERNELS", "auto").strip().lower()
    if wanted in ("", "auto"):
        return "avx2" if "avx2" in BUILDS else "baseline"
    if wanted not in BUILDS:
        raise ImportError(
            f"cyact: CYACT_KERNELS={wanted!r} is not available on this machine; "
            f"use one of {sorted(BUILDS) + ['auto']}")
    return wanted


def _fast_entries(module):
    """{kernel name: its fast-path entry} of a kernel module."""
    return {attr[:-5]: getattr(module, attr) for attr in dir(module) if attr.endswith("_fast")}


def use(build):
    """Switch the active kernel build ('baseline' or 'avx2'); for tests."""
    global name, kernels, fast
    if build not in BUILDS:
        raise ValueError(f"cyact: kernel build {build!r} is not available here; "
                         f"available: {sorted(BUILDS)}")
    name, kernels, fast = build, BUILDS[build], _fast_entries(BUILDS[build])


use(_initial())
