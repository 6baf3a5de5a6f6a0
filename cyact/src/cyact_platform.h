/* Platform services for cyact's kernels: the floating-point status flags and
 * the CPU features that choose the kernel build at import.
 *
 * Why the flags: the kernels compute inf - inf, 0 * inf, exp of huge
 * arguments and the like inside selects, on purpose, and the status flags
 * they raise would otherwise leak into the caller's next NumPy operation as a
 * RuntimeWarning. Every kernel call saves the flags before and restores them
 * after, so a cyact call leaves the floating-point state as it found it.
 * On x86-64 only the SSE/AVX unit is used, so MXCSR is all there is to keep
 * (a few cycles); elsewhere the portable <fenv.h> calls are used.
 */
#ifndef CYACT_PLATFORM_H
#define CYACT_PLATFORM_H

#if defined(__x86_64__) || defined(_M_X64)
#include <immintrin.h>
typedef unsigned int cy_fpstate;
static inline cy_fpstate cy_fpstate_save(void) { return _mm_getcsr(); }
static inline void cy_fpstate_restore(cy_fpstate s) { _mm_setcsr(s); }
#else
#include <fenv.h>
typedef fexcept_t cy_fpstate;
static inline cy_fpstate cy_fpstate_save(void)
{
    fexcept_t s;
    fegetexceptflag(&s, FE_ALL_EXCEPT);
    return s;
}
static inline void cy_fpstate_restore(cy_fpstate s) { fesetexceptflag(&s, FE_ALL_EXCEPT); }
#endif

/* 1 when this CPU and OS can run the AVX2+FMA build of the kernels. */
static inline int cy_cpu_has_avx2_fma(void)
{
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
#else
    return 0;
#endif
}

/* 1 when this CPU and OS can run the AVX-512 (x86-64-v4) build. */
static inline int cy_cpu_has_avx512(void)
{
#if (defined(__GNUC__) || defined(__clang__)) && (defined(__x86_64__) || defined(__i386__))
    __builtin_cpu_init();
    return cy_cpu_has_avx2_fma() && __builtin_cpu_supports("avx512f")
        && __builtin_cpu_supports("avx512cd") && __builtin_cpu_supports("avx512vl")
        && __builtin_cpu_supports("avx512dq") && __builtin_cpu_supports("avx512bw");
#else
    return 0;
#endif
}

#endif
