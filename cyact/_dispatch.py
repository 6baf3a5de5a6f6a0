"""Choose the kernel build for this CPU, once, at import.

A build is imported only where the CPU has its instruction set, so that it
can never run an illegal instruction; the widest one available is used.
``CYACT_KERNELS=baseline`` (or ``avx2``) forces a narrower build, for testing
it or to rule it out when chasing a problem. ``CYACT_STREAM_PREFETCH=0``
(or ``1``) turns every build's software prefetch ahead of streams off (or on).
"""
import os

from . import _cpu
from . import _kernels_baseline

BUILDS = {"baseline": _kernels_baseline}
# Imported only after the CPU check: importing runs the module's code.
if _cpu.has_avx2_fma():
    from . import _kernels_avx2
    BUILDS["avx2"] = _kernels_avx2
if _cpu.has_avx512():
    from . import _kernels_avx512
    BUILDS["avx512"] = _kernels_avx512


def _initial():
    wanted = os.environ.get("CYACT_KERNELS", "auto").strip().lower()
    if wanted in ("", "auto"):
        return list(BUILDS)[-1]
    if wanted not in BUILDS:
        raise ImportError(
            f"cyact: CYACT_KERNELS={wanted!r} is not available on this machine; "
            f"use one of {sorted(BUILDS) + ['auto']}")
    return wanted


def _stream_prefetch():
    """CYACT_STREAM_PREFETCH: 0 or 1 forces the kernels' requests ahead off or
    on; unset, -1, the CPU decides (cy_stream_requests_init)."""
    value = os.environ.get("CYACT_STREAM_PREFETCH", "")
    if value not in ("", "0", "1"):
        raise ValueError(f"cyact: CYACT_STREAM_PREFETCH={value!r} is not 0 or 1 (or unset: "
                         "the CPU decides)")
    return int(value) if value else -1


_forced = _stream_prefetch()
for _module in BUILDS.values():
    _module.set_stream_prefetch(_forced)


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
