/* Platform services for cyact's kernels: the floating-point status flags, the
 * CPU features that choose the kernel build at import, and the OpenMP worker
 * threads' release before a fork.
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

/* Scratch memory for one kernel call: malloc, and for 4 MiB or more a
 * request for transparent huge pages, as NumPy makes for its own arrays (its
 * alloc.c). Why: glibc maps a block of 32 MiB or more afresh at every call,
 * and touching it page by page cost more than the work (float64 softmax
 * over axis 0 of (2e6, 2): 48 MiB of scratch, 12,000 page faults per call,
 * 45-60 ms). Where the system gives huge pages only on request (madvise
 * mode), this asks; elsewhere it is plain malloc. Freed with free(). */
#if defined(__linux__)
#include <sys/mman.h>
#endif
#include <stdint.h>
#include <stdlib.h>
static inline void *cy_scratch(size_t size)
{
    void *p = malloc(size);
#if defined(__linux__) && defined(MADV_HUGEPAGE)
    if (p != NULL && size >= ((size_t)1 << 22)) {
        uintptr_t offset = 4096u - (uintptr_t)p % 4096u;
        madvise((char *)p + offset, size - offset, MADV_HUGEPAGE);
    }
#endif
    return p;
}

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

/* Ends the calling thread's OpenMP worker threads; the next parallel loop
 * starts new ones (0.15-0.6 ms once, here). cyact._config calls it just before
 * every os.fork(): GNU OpenMP keeps a pool of idle workers per thread that
 * has run a parallel loop, and a forked child inherits the pool's records
 * but not its threads, so the child's first parallel loop would wait for
 * them forever (GCC bug 60035). With the pool ended first, the child starts
 * its own. 0 when done (or there was nothing to end); nonzero where the
 * runtime cannot (OpenMP before 5.0's omp_pause_resource_all, or a caller
 * inside a parallel region), and then the child must stay on one thread. */
#if defined(_OPENMP) && (_OPENMP >= 201811 || (!defined(__clang__) && __GNUC__ >= 9))
#include <omp.h>
static inline int cy_release_threads(void) { return omp_pause_resource_all(omp_pause_hard); }
#else
static inline int cy_release_threads(void) { return -1; }
#endif

#endif
