/* PReLU over blocks and maxout of 2 pieces, with GCC's vector extensions.
 *
 * Why in C: these are memory-bound loops over short blocks (prelu's per
 * channel blocks are often 100 elements), and the Cython loops left GCC with
 * run-time alias checks, scalar remainder loops and, for maxout, scalar
 * gathers of the interleaved pieces: 0.3-0.9 ns per element where streaming
 * the data costs 0.08-0.25. Here:
 * - a block's remainder is one more full vector ending at the block's end,
 *   overlapping the last full one: both are loaded before either is stored
 *   (out may be x or g itself: the same memory, never a partial overlap,
 *   which the wrappers copy away), so no block pays a scalar loop. Access
 *   stays in order: loading the remainder first, the prefetchers lost track
 *   (prelu_grad float64 at 4e6: 0.95 ns per element instead of 0.54);
 * - loads of a vector come before its stores, which keeps in-place use
 *   correct without any alias check;
 * - maxout's pieces are separated with two-source shuffles: with AVX-512
 *   across the vector (the in-lane shufps/unpck alternative measured no
 *   faster there: the loop is bound by memory, not by Zen 4's vpermt2ps),
 *   with AVX2 in float32 lane by lane (cy__pair_masks); its stores stream
 *   past the caches once a call's data would not fit in them (cy__vstore).
 * The selects give the results of the scalar definitions bit for bit
 * (NaN included); see the kernels' comments in _kernels.pyx.tp.
 */
#ifndef CYACT_BLOCKS_H
#define CYACT_BLOCKS_H

#include <stdint.h>
#include <string.h>
#include "cyact_rows.h"

/* Bytes of one full vector register; CY__AVX: 1 where it is AVX's. */
#if defined(__AVX512F__)
#define CY_VBYTES 64
#elif defined(__AVX__)
#define CY_VBYTES 32
#else
#define CY_VBYTES 16
#endif
#define CY__AVX (CY_VBYTES >= 32)


/* Store one full vector at p; stream: a non-temporal store, aligned to its
 * size, which skips reading the line into the caches first (the store of a
 * missing line otherwise loads it: maxout's separate out costs a third more
 * memory traffic) and leaves the caches to the input. Only for data that the
 * caches cannot hold anyway: its result is in memory, not in the caches,
 * for whatever reads it next. cy__stream_fence orders the streamed stores
 * before the stores after it (another thread may read the result). */
#if defined(__AVX512F__) || defined(__AVX__) || defined(__SSE2__)
#include <immintrin.h>
static inline __attribute__((always_inline)) void
cy__vstore(void *p, const void *v, int stream)
{
    if (!stream) {
        memcpy(p, v, CY_VBYTES);
        return;
    }
#if defined(__AVX512F__)
    _mm512_stream_si512((__m512i *)p, _mm512_loadu_si512(v));
#elif defined(__AVX__)
    _mm256_stream_si256((__m256i *)p, _mm256_loadu_si256((const __m256i *)v));
#else
    _mm_stream_si128((__m128i *)p, _mm_loadu_si128((const __m128i *)v));
#endif
}
#define cy__stream_fence() _mm_sfence()
#else
static inline __attribute__((always_inline)) void
cy__vstore(void *p, const void *v, int stream)
{
    (void)stream;
    memcpy(p, v, CY_VBYTES);
}
#define cy__stream_fence() ((void)0)
#endif

/* Elements of T in one block of maxout's pair split (cy__pair_masks). */
#define CY__PAIR_BLOCK(T)                                                       \
    (CY_VBYTES == 32 && sizeof(T) == 4 ? 4 : (int)(CY_VBYTES / sizeof(T)))

#define CY_BLOCKS_DEFINE(T, I, SUFFIX)                                           \
typedef T cy__pw##SUFFIX __attribute__((vector_size(CY_VBYTES)));              \
/* T's bits, read and written as an integer of its width. */                   \
typedef I cy__bits##SUFFIX __attribute__((may_alias));                          \
typedef I cy__pwm##SUFFIX __attribute__((vector_size(CY_VBYTES)));             \
/* CY_LANES elements: as many as CY_LANES doubles, for the derivative's sums. */ \
typedef T cy__ph##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(T))));    \
typedef I cy__phm##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(T))));   \
                                                                                \
/* *iota = 0, 1, 2, ... for the shuffles' indexes, as arithmetic on a       \
 * constant, which GCC folds: filled by a loop, they were left to run time  \
 * in one of the builds (AVX2 float64 inlined into its caller: 1.6 times    \
 * slower). */                                                                \
static inline __attribute__((always_inline)) void                              \
cy__iota##SUFFIX(cy__pwm##SUFFIX *iota)                                         \
{                                                                               \
    static const I iota_tab[16] = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12,    \
                                   13, 14, 15};                                 \
    memcpy(iota, iota_tab, sizeof *iota);                                       \
}                                                                               \
                                                                                \
/* PReLU of one value and of one vector: x > 0 ? x : alpha * x (a NaN x    \
 * gives alpha * x, a NaN). */                                                \
static inline __attribute__((always_inline)) T                                 \
cy__prelu1##SUFFIX(T u, T alpha)                                                \
{                                                                               \
    return u > 0 ? u : alpha * u;                                               \
}                                                                               \
                                                                                \
static inline __attribute__((always_inline)) cy__pw##SUFFIX                   \
cy__prelu_v##SUFFIX(cy__pw##SUFFIX v, cy__pw##SUFFIX a)                        \
{                                                                               \
    const cy__pw##SUFFIX zero = {0};                                            \
    return CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, v > zero, v, a * v);     \
}                                                                               \
                                                                                \
/* out[i] = x > 0 ? x : alpha * x over n elements, alpha one value (astep 0)  \
 * or one per element (astep 1). */                                            \
static inline __attribute__((always_inline)) void                              \
cy__prelu_fwd##SUFFIX(const T *x, const T *alpha, int astep, T *out,           \
                      Py_ssize_t n)                                             \
{                                                                               \
    enum { L = CY_VBYTES / sizeof(T) };                                         \
    const cy__pw##SUFFIX zero = {0};                                            \
    cy__pw##SUFFIX v, a, r, tail;                                               \
    Py_ssize_t i, last = n - n % L - L;  /* where the last full vector starts */ \
    if (n < L) {                                                                \
        for (i = 0; i < n; i++) {                                               \
            out[i] = cy__prelu1##SUFFIX(x[i], alpha[astep ? i : 0]);            \
        }                                                                       \
        return;                                                                 \
    }                                                                           \
    /* alpha in every lane: alpha - 0 keeps a -0 (0 + alpha would not). */    \
    a = alpha[0] - zero;                                                        \
    for (i = 0; i < last; i += L) {                                             \
        memcpy(&v, x + i, sizeof v);                                            \
        if (astep)                                                              \
            memcpy(&a, alpha + i, sizeof a);                                    \
        r = cy__prelu_v##SUFFIX(v, a);                                          \
        memcpy(out + i, &r, sizeof r);                                          \
    }                                                                           \
    /* The last full vector and the remainder's, which overlap: both loaded   \
     * before either store (see the top of this file). */                      \
    memcpy(&v, x + last, sizeof v);                                             \
    if (astep)                                                                  \
        memcpy(&a, alpha + last, sizeof a);                                     \
    r = cy__prelu_v##SUFFIX(v, a);                                              \
    if (last + L < n) {                                                         \
        memcpy(&v, x + n - L, sizeof v);                                        \
        if (astep)                                                              \
            memcpy(&a, alpha + n - L, sizeof a);                                \
        tail = cy__prelu_v##SUFFIX(v, a);                                       \
        memcpy(out + n - L, &tail, sizeof tail);                                \
    }                                                                           \
    memcpy(out + last, &r, sizeof r);                                           \
}                                                                               \
                                                                                \
/* cy__prelu_flat's elements i..e in scalar code, block by block: *m the    \
 * block (its slope's index), *rem its elements from i on; returns e. */     \
static inline __attribute__((always_inline)) Py_ssize_t                       \
cy__prelu_run##SUFFIX(const T *x, const T *alpha, T *out, Py_ssize_t i,        \
                      Py_ssize_t e, Py_ssize_t *m, Py_ssize_t *rem,             \
                      Py_ssize_t mid, Py_ssize_t inner)                         \
{                                                                               \
    for (; i < e; i++) {                                                        \
        out[i] = cy__prelu1##SUFFIX(x[i], alpha[*m]);                           \
        if (--*rem == 0) {                                                      \
            *m = *m + 1 == mid ? 0 : *m + 1;                                    \
            *rem = inner;                                                       \
        }                                                                       \
    }                                                                           \
    return e;                                                                   \
}                                                                               \
                                                                                \
/* Forward over blocks b0..b1 of inner >= L elements each, block b's slope   \
 * alpha[b % mid], as one run of vectors from out's next line on: a vector   \
 * across two blocks takes each lane's slope by a select. Why: block by      \
 * block, the vectors started where the blocks do, and at NumPy's offset     \
 * (see cy_to_line) blocks of 100 put most of them across two cache lines,   \
 * plus one overlapping vector per block: (N, 10, 100) in place, one        \
 * thread, block by block over this, 1.09-1.17 (float32) and 1.16-1.25      \
 * (float64) at 1e5, 4e6 and 1e7 elements, AVX2 1.09-1.16 and 1.12-1.37.     \
 * Slower, tried: a select per vector with the block's end tracked without   \
 * branches (0.111 ns per element against 0.066 at 1e5), and a table of a   \
 * period's slopes loaded beside x (0.145). */                                \
static inline void cy__prelu_flat##SUFFIX(const T *x, const T *alpha, T *out,  \
                                          Py_ssize_t b0, Py_ssize_t b1,         \
                                          Py_ssize_t mid, Py_ssize_t inner)     \
{                                                                               \
    enum { L = CY_VBYTES / sizeof(T) };                                         \
    const cy__pw##SUFFIX zero = {0};                                            \
    cy__pw##SUFFIX v, a, r;                                                     \
    cy__pwm##SUFFIX iota;                                                       \
    /* rem: the elements of block m from i on (at least 1) */                  \
    Py_ssize_t i = b0 * inner, end = b1 * inner, m = b0 % mid, next, rem = inner; \
    i = cy__prelu_run##SUFFIX(x, alpha, out, i,                                 \
                              i + cy_to_line(out + i, end - i, sizeof(T)),      \
                              &m, &rem, mid, inner);                            \
    cy__iota##SUFFIX(&iota);                                                    \
    while (i + L <= end) {                                                      \
        /* the vectors within block m, then the one across its end */          \
        a = alpha[m] - zero;  /* keeps a -0, as in cy__prelu_fwd */             \
        for (; rem >= L; i += L, rem -= L) {                                    \
            memcpy(&v, x + i, sizeof v);                                        \
            r = cy__prelu_v##SUFFIX(v, a);                                      \
            memcpy(out + i, &r, sizeof r);                                      \
        }                                                                       \
        next = m + 1 == mid ? 0 : m + 1;                                        \
        if (rem && i + L <= end) {  /* inner >= L: one boundary at most */      \
            memcpy(&v, x + i, sizeof v);                                        \
            a = CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, iota < (I)rem, a,   \
                           alpha[next] - zero);                                 \
            r = cy__prelu_v##SUFFIX(v, a);                                      \
            memcpy(out + i, &r, sizeof r);                                      \
            i += L;                                                             \
            rem += inner - L;                                                   \
        } else if (rem) {                                                       \
            break;                                                              \
        } else {                                                                \
            rem = inner;                                                        \
        }                                                                       \
        m = next;                                                               \
    }                                                                           \
    cy__prelu_run##SUFFIX(x, alpha, out, i, end, &m, &rem, mid, inner);         \
}                                                                               \
                                                                                \
/* Forward over blocks b0..b1 of inner elements each, block b's slope       \
 * alpha[b % mid] (the blocks of (outer, mid, inner) data in order, so that  \
 * threads can split them whatever outer is). */                              \
static inline void cy_prelu_fwd##SUFFIX(const T *x, const T *alpha, T *out,    \
                                        Py_ssize_t b0, Py_ssize_t b1,           \
                                        Py_ssize_t mid, Py_ssize_t inner)       \
{                                                                               \
    Py_ssize_t b, m, cnt, j;                                                    \
    if (inner >= (Py_ssize_t)(CY_VBYTES / sizeof(T))) {                         \
        cy__prelu_flat##SUFFIX(x, alpha, out, b0, b1, mid, inner);              \
        return;                                                                 \
    }                                                                           \
    /* runs of consecutive slopes, up to the end of alpha */                    \
    for (b = b0; b < b1; b += cnt) {                                            \
        m = b % mid;                                                            \
        cnt = mid - m < b1 - b ? mid - m : b1 - b;                              \
        if (inner == 1) {                                                       \
            cy__prelu_fwd##SUFFIX(x + b, alpha + m, 1, out + b, cnt);           \
            continue;                                                           \
        }                                                                       \
        for (j = 0; j < cnt; j++)                                               \
            cy__prelu_fwd##SUFFIX(x + (b + j) * inner, alpha + m + j, 0,        \
                                  out + (b + j) * inner, inner);                \
    }                                                                           \
}                                                                               \
                                                                                \
/* One vector of the derivative at x, g (see below): out's values into *r,   \
 * the sum's terms added to *s (and *c). */                                    \
static inline __attribute__((always_inline)) void                              \
cy__prelu_gstep##SUFFIX(const T *x, const T *g, const cy__ph##SUFFIX *a,       \
                        cy__ph##SUFFIX *r, cy__vd *s, cy__vd *c, int has_g,     \
                        const cy__vdm *skip)                                    \
{                                                                               \
    const cy__ph##SUFFIX zero = {0};                                            \
    const cy__vd dzero = {0};                                                   \
    cy__ph##SUFFIX v, gv = zero + 1, t;                                         \
    cy__vd xd, w;                                                               \
    memcpy(&v, x, sizeof v);                                                    \
    if (has_g)                                                                  \
        memcpy(&gv, g, sizeof gv);                                              \
    xd = __builtin_convertvector(v, cy__vd);                                    \
    w = has_g ? xd * __builtin_convertvector(gv, cy__vd) : xd;                  \
    w = CY__SELECT(cy__vd, cy__vdm, (xd > 0) | *skip, dzero, w);                \
    if (sizeof(T) == sizeof(float))                                             \
        *s += w;                                                                \
    else                                                                        \
        cy__two_sum(s, &w, c);                                                  \
    t = CY__SELECT(cy__ph##SUFFIX, cy__phm##SUFFIX, v <= zero, gv * *a, v);     \
    *r = CY__SELECT(cy__ph##SUFFIX, cy__phm##SUFFIX, v > zero, gv, t);          \
}                                                                               \
                                                                                \
/* 2 * CY_LANES elements of the derivative (see below), out stored. float:  \
 * out from one full vector, the sums from its halves (converted to double,  \
 * the dearest part): half-width selects for out cost 7% more. */           \
static inline __attribute__((always_inline)) void                              \
cy__prelu_gwide##SUFFIX(const T *x, const T *g, const cy__ph##SUFFIX *a,       \
                        const cy__pw##SUFFIX *aw, T *out, cy__vd *s,            \
                        cy__vd *c, int has_g)                                   \
{                                                                               \
    const cy__vdm none = {0};                                                   \
    const cy__pw##SUFFIX zero = {0};                                            \
    cy__ph##SUFFIX r0, r1;                                                      \
    cy__pw##SUFFIX v, gv = zero + 1, t;                                         \
    cy__prelu_gstep##SUFFIX(x, g, a, &r0, &s[0], &c[0], has_g, &none);          \
    if (sizeof(T) == sizeof(double))                                            \
        memcpy(out, &r0, sizeof r0);                                            \
    cy__prelu_gstep##SUFFIX(x + CY_LANES, g + CY_LANES, a, &r1, &s[1], &c[1],   \
                            has_g, &none);                                      \
    if (sizeof(T) == sizeof(double)) {                                          \
        memcpy(out + CY_LANES, &r1, sizeof r1);                                 \
        return;                                                                 \
    }                                                                           \
    memcpy(&v, x, sizeof v);                                                    \
    if (has_g)                                                                  \
        memcpy(&gv, g, sizeof gv);                                              \
    t = CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, v <= zero, gv * *aw, v);    \
    t = CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, v > zero, gv, t);           \
    memcpy(out, &t, sizeof t);                                                  \
}                                                                               \
                                                                                \
/* The derivative over n elements of one alpha: out = g * (x > 0 ? 1 :      \
 * alpha) (NaN x gives x), g = 1 when has_g is 0; and the sum of            \
 * g * min(x, 0) (NaN x included) added to the lanes vs, compensations vc    \
 * (CY_LANES doubles each, kept from block to block: folding the lanes to   \
 * one number per block, a chain of scalar 2Sums, cost more than the block). \
 * float: the products are exact in double and a block's lanes are plain    \
 * sums (of n / CY_LANES terms: far below float's rounding), added to vs by  \
 * a 2Sum; double: every term goes in by a 2Sum. */                          \
static inline __attribute__((always_inline)) void                              \
cy__prelu_grad##SUFFIX(const T *x, const T *g, T alpha, T *out, Py_ssize_t n,  \
                       double *vs, double *vc, int has_g)                       \
{                                                                               \
    enum { L = CY_LANES };                                                      \
    const cy__ph##SUFFIX zero = {0}, a = alpha - zero;  /* as in the forward */ \
    const cy__pw##SUFFIX wzero = {0}, aw = alpha - wzero;                       \
    const cy__vdm none = {0};                                                   \
    cy__ph##SUFFIX r, tail;                                                     \
    cy__vd s[2] = {{0}}, c[2] = {{0}}, sum, comp;                               \
    cy__vdm skip;                                                               \
    Py_ssize_t i = 0, rem = n % L, last = n - rem - L;                          \
    int j;                                                                      \
    if (n < L) {                                                                \
        for (i = 0; i < n; i++) {                                               \
            T u = x[i], gi = has_g ? g[i] : 1;                                  \
            vc[0] += cy__two_sum1(                                              \
                &vs[0], u > 0 ? 0.0 : (has_g ? (double)gi * u : (double)u));    \
            out[i] = u > 0 ? gi : (u <= 0 ? gi * alpha : u);                    \
        }                                                                       \
        return;                                                                 \
    }                                                                           \
    memcpy(&sum, vs, sizeof sum);                                               \
    memcpy(&comp, vc, sizeof comp);                                             \
    if (sizeof(T) == sizeof(double)) {                                          \
        s[0] = sum;                                                             \
        c[0] = comp;                                                            \
    }                                                                           \
    /* In order, so that the hardware prefetchers follow (the tail loaded   \
     * first cost a third at 4e6 elements); the last full vector and the     \
     * remainder's vector, which overlap, both loaded before either store,   \
     * the remainder's terms counted only in the lanes beyond the other.    \
     * Each step asks for its lines CY_STREAM_AHEAD bytes on, the next      \
     * blocks' past this one's end (see cyact_rows.h; (N, 10, 100) in place \
     * on the Intel Xeon VM, 4e6: float64 1.06-1.08 -> 0.77-0.80 ns per     \
     * element, float32 unchanged at 0.35-0.43). */                         \
    for (; i + 2 * L <= last; i += 2 * L) {                                     \
        cy_stream_lines(x + i, CY_STREAM_AHEAD, 2 * L * sizeof(T));             \
        if (has_g)                                                              \
            cy_stream_lines(g + i, CY_STREAM_AHEAD, 2 * L * sizeof(T));         \
        cy__prelu_gwide##SUFFIX(x + i, g + i, &a, &aw, out + i, s, c, has_g);   \
    }                                                                           \
    if (i < last) {                                                             \
        cy__prelu_gstep##SUFFIX(x + i, g + i, &a, &r, &s[0], &c[0], has_g, &none); \
        memcpy(out + i, &r, sizeof r);                                          \
    }                                                                           \
    cy__prelu_gstep##SUFFIX(x + last, g + last, &a, &r, &s[0], &c[0], has_g, &none); \
    if (rem) {                                                                  \
        for (j = 0; j < L; j++)                                                 \
            skip[j] = j < L - rem ? -1 : 0;                                     \
        cy__prelu_gstep##SUFFIX(x + n - L, g + n - L, &a, &tail, &s[1], &c[1],  \
                                has_g, &skip);                                  \
        memcpy(out + n - L, &tail, sizeof tail);                                \
    }                                                                           \
    memcpy(out + last, &r, sizeof r);                                           \
    if (sizeof(T) == sizeof(float)) {                                           \
        s[0] += s[1];                                                           \
        cy__two_sum(&sum, &s[0], &comp);                                        \
    } else {                                                                    \
        cy__two_sum(&s[0], &s[1], &c[0]);                                       \
        sum = s[0];                                                             \
        comp = c[0] + c[1];                                                     \
    }                                                                           \
    memcpy(vs, &sum, sizeof sum);                                               \
    memcpy(vc, &comp, sizeof comp);                                             \
}                                                                               \
                                                                                \
/* The derivative over outer rows o0..o1; acc: the sums of the mid alpha     \
 * elements, then their compensations; lanes: 2 * mid * CY_LANES doubles of  \
 * zeros, scratch for the lanes of the sums. */                                \
static inline void cy_prelu_grad##SUFFIX(const T *x, const T *g,               \
                                         const T *alpha, T *out, double *acc,   \
                                         double *lanes, Py_ssize_t b0,          \
                                         Py_ssize_t b1, Py_ssize_t mid,         \
                                         Py_ssize_t inner)                      \
{                                                                               \
    Py_ssize_t b, m, k;                                                         \
    double *vs, *vc, block, err;                                                \
    int j;                                                                      \
    for (b = b0, m = b0 % mid; b < b1; b++, m = m + 1 == mid ? 0 : m + 1) {     \
        k = b * inner;                                                          \
        vs = lanes + 2 * m * CY_LANES;                                          \
        vc = vs + CY_LANES;                                                     \
        if (g)                                                                  \
            CY__PRELU_GRAD_##SUFFIX(x + k, g + k, alpha[m], out + k, inner,     \
                                    vs, vc, 1);                                 \
        else                                                                    \
            CY__PRELU_GRAD_##SUFFIX(x + k, x + k, alpha[m], out + k, inner,     \
                                    vs, vc, 0);                                 \
    }                                                                           \
    /* The lanes folded in a fixed order, once per call. */                    \
    for (m = 0; m < mid; m++) {                                                 \
        vs = lanes + 2 * m * CY_LANES;                                          \
        vc = vs + CY_LANES;                                                     \
        block = err = 0;                                                        \
        for (j = 0; j < CY_LANES; j++)                                          \
            err += cy__two_sum1(&block, vs[j]) + vc[j];                         \
        acc[mid + m] += cy__two_sum1(&acc[m], block) + err;                     \
    }                                                                           \
}                                                                               \
                                                                                \
/* The shuffle indexes of maxout's pair split, in blocks of H elements.     \
 * AVX2's two-source shuffles (vshufps, vunpcklps) work inside 16-byte      \
 * lanes: float32 pairs are split lane by lane, and one cross-lane vpermpd  \
 * puts a vector of results in order (Zen 3, 1e5 elements, A/B runs: 2     \
 * pieces 1.28-1.73x and 4 pieces 1.43-1.87x as fast as the whole-vector    \
 * split's four vpermps and two blends per vector; 4e6: 1.19x, 1.15x;       \
 * backward 1.15x, 1.17x). float64 keeps the whole vector (one block): lane \
 * by lane its 4 pieces ran 0.90x as fast, 2 pieces 1.00x, backward 1.14x. \
 * AVX-512 has vpermt2ps and SSE2 one lane. even, odd: element j of the pairs' firsts and seconds \
 * from v0 and v1 side by side (indexes past L are v1's), the first half   \
 * of each block from v0's block and the second from v1's; the results     \
 * then stand in an order whose element fix[k] is group k's; lo, hi: back   \
 * from firsts and seconds (r0, r1, in that order) to the elements of v0    \
 * and v1. fix is its own inverse (it swaps the middle quarters with two    \
 * blocks, and is the identity with one), so it also brings values in      \
 * group order (grad) into the results' order. */                           \
static inline __attribute__((always_inline)) void                              \
cy__pair_masks##SUFFIX(cy__pwm##SUFFIX *even, cy__pwm##SUFFIX *odd,            \
                       cy__pwm##SUFFIX *lo, cy__pwm##SUFFIX *hi,               \
                       cy__pwm##SUFFIX *fix)                                    \
{                                                                               \
    /* Powers of 2: masks and shifts, which GCC folds into constants (a     \
     * division by H left the identity shuffle of float64 to run time). */  \
    enum { L = CY_VBYTES / sizeof(T), H = CY__PAIR_BLOCK(T) };                  \
    cy__pwm##SUFFIX iota, block, q, second, k;                                  \
    cy__iota##SUFFIX(&iota);                                                    \
    block = iota & -H;  /* where each element's block starts */                \
    q = iota & (H - 1);                                                         \
    *even = block + 2 * q + ((q >= H / 2) & (L - H));                           \
    *odd = *even + 1;                                                           \
    *lo = block + (q >> 1) + (q & 1) * L;                                       \
    *hi = *lo + H / 2;                                                          \
    second = iota >= L / 2;  /* groups from v1 */                               \
    k = iota - (second & (L / 2));                                              \
    *fix = ((k & -(H / 2)) << 1) + (second & (H / 2)) + (k & (H / 2 - 1));      \
}                                                                               \
                                                                                \
/* One group of maxout (see below), in scalar code: the first piece unless   \
 * the second beats it. */                                                      \
static inline __attribute__((always_inline)) void                              \
cy__maxout2_one##SUFFIX(const T *x, const T *g, T *out, Py_ssize_t k,          \
                        int backward)                                           \
{                                                                               \
    T p = x[2 * k], q = x[2 * k + 1], gs = g ? g[k] : 1;                        \
    int wins = (q > p) | ((q != q) & (p == p));                                 \
    if (!backward) {                                                            \
        out[k] = wins ? q : p;                                                  \
    } else {                                                                    \
        out[2 * k] = wins ? 0 : gs;                                             \
        out[2 * k + 1] = wins ? gs : 0;                                         \
    }                                                                           \
}                                                                               \
                                                                                \
/* The winners of the pairs of v0 and v1 (elements 2i and 2i + 1 of the two \
 * together, in order) into *r: the second only when it beats the first,    \
 * when the first is smaller or the second is NaN, unless the first is NaN:  \
 * two compares (the second masked by the first), where (b > a) | ((b != b) \
 * & (a == a)) takes three and cost 11% in the L1 cache. */                 \
static inline __attribute__((always_inline)) void                              \
cy__maxout_pairs##SUFFIX(const cy__pw##SUFFIX *v0, const cy__pw##SUFFIX *v1,   \
                         const cy__pwm##SUFFIX *even, const cy__pwm##SUFFIX *odd, \
                         cy__pw##SUFFIX *r, cy__pwm##SUFFIX *beats)            \
{                                                                               \
    cy__pw##SUFFIX a = __builtin_shuffle(*v0, *v1, *even);                     \
    cy__pw##SUFFIX b = __builtin_shuffle(*v0, *v1, *odd);                      \
    *beats = ~(a >= b) & (a == a);                                              \
    *r = CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, *beats, b, a);             \
}                                                                               \
                                                                                \
/* maxout over groups k0..k1 of 2 pieces: out[k] = the larger of x[2k] and  \
 * x[2k + 1] (the second only when larger, a NaN wins, the first NaN stays:  \
 * np.argmax's choice); backward: out[2k], out[2k + 1] = g[k] at that choice \
 * and 0 at the other (g = 1 when NULL). out may be x itself (backward).     \
 * stream: non-temporal stores (see cy__vstore), for calls whose data does   \
 * not fit in the caches. */                                                   \
static inline void cy_maxout2##SUFFIX(const T *x, const T *g, T *out,          \
                                      Py_ssize_t k0, Py_ssize_t k1,             \
                                      int backward, int stream)                 \
{                                                                               \
    enum { L = CY_VBYTES / sizeof(T) };                                         \
    const cy__pw##SUFFIX zero = {0};                                            \
    cy__pw##SUFFIX v0, v1, gk = zero + 1, r0, r1;                               \
    cy__pwm##SUFFIX even, odd, lo, hi, fix, beats;                              \
    Py_ssize_t k = k0, w = backward ? 2 : 1;  /* out's elements per group */   \
    cy__pair_masks##SUFFIX(&even, &odd, &lo, &hi, &fix);                        \
    /* Scalar groups up to a vector boundary: out's where the stores stream  \
     * (they need whole aligned vectors) or go backward (x and out are read \
     * and written alike), else x's, whose two loads per store weigh more;   \
     * then loads or stores do not straddle cache lines (see cy_to_line: at \
     * NumPy's offset, 2 pieces at 1e5 elements ran 1.11-1.24 times slower  \
     * than aligned, forward and backward; 1.00-1.04 so). */                  \
    {                                                                           \
        int by_out = backward || stream;                                        \
        uintptr_t p = (uintptr_t)(by_out ? out + w * k : x + 2 * k);            \
        size_t per = (by_out ? w : 2) * sizeof(T), d = (0 - p) % CY_VBYTES;     \
        if (p % sizeof(T) || d % per)  /* no whole number of groups reaches it */ \
            stream = 0;                                                         \
        else                                                                    \
            for (d /= per; d && k < k1; d--, k++)                               \
                cy__maxout2_one##SUFFIX(x, g, out, k, backward);                \
    }                                                                           \
    for (; k + L <= k1; k += L) {                                               \
        memcpy(&v0, x + 2 * k, sizeof v0);                                      \
        memcpy(&v1, x + 2 * k + L, sizeof v1);                                  \
        cy__maxout_pairs##SUFFIX(&v0, &v1, &even, &odd, &r0, &beats);           \
        if (!backward) {                                                        \
            if (CY__PAIR_BLOCK(T) < L)                                          \
                r0 = __builtin_shuffle(r0, fix);                                \
            cy__vstore(out + k, &r0, stream);                                   \
            continue;                                                           \
        }                                                                       \
        if (g) {                                                                \
            memcpy(&gk, g + k, sizeof gk);                                      \
            if (CY__PAIR_BLOCK(T) < L)                                          \
                gk = __builtin_shuffle(gk, fix);                                \
        }                                                                       \
        r0 = CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, beats, zero, gk);      \
        r1 = CY__SELECT(cy__pw##SUFFIX, cy__pwm##SUFFIX, beats, gk, zero);      \
        v0 = __builtin_shuffle(r0, r1, lo);                                     \
        v1 = __builtin_shuffle(r0, r1, hi);                                     \
        cy__vstore(out + 2 * k, &v0, stream);                                   \
        cy__vstore(out + 2 * k + L, &v1, stream);                               \
    }                                                                           \
    for (; k < k1; k++)                                                         \
        cy__maxout2_one##SUFFIX(x, g, out, k, backward);                        \
    if (stream)                                                                 \
        cy__stream_fence();                                                     \
}                                                                               \
                                                                                \
/* maxout group by group (cy__maxoutn below): the order of T's values as  \
 * an integer, equal for -0 and +0, above everything for a NaN (of either  \
 * sign), so that the strict '>' of the integers is np.argmax's choice (a   \
 * later piece wins only when larger, the first NaN stays). Arithmetic, no \
 * selects: s is 0 or all ones (the sign), (m ^ s) - s is m or -m.         \
 * Why integers: GCC turned float comparisons there into branches, which    \
 * random data mispredicts (about 3 ns per element). */                     \
static inline __attribute__((always_inline)) I                                 \
cy__order##SUFFIX(I b)                                                          \
{                                                                               \
    enum { SHIFT = 8 * sizeof(I) - 1 };                                         \
    const I top = (I)(~0ULL >> (64 - SHIFT));            /* largest I */       \
    const T inf = (T)(1.0 / 0.0);                                               \
    I m = b & top, inf_bits, s = b >> SHIFT, nan;                               \
    memcpy(&inf_bits, &inf, sizeof inf_bits);                                   \
    nan = (inf_bits - m) >> SHIFT;                       /* m > inf_bits */    \
    return (((m ^ s) - s) & ~nan) | (top & nan);                                \
}                                                                               \
                                                                                \
/* cy_maxoutn's loops over blocks of groups: the winners of a block, then  \
 * its results. by_piece 0: group by group, the pieces compared by their    \
 * order as integers (cy__order), for a constant pieces: GCC then unrolls  \
 * the pieces and vectorizes across groups, loading them with shuffles (it  \
 * turned float comparisons there into branches). 1: piece by piece, each   \
 * piece of every group of the block in one loop (strided loads), compared  \
 * as numbers, for any number of pieces. */                                   \
static inline __attribute__((always_inline)) void                              \
cy__maxoutn##SUFFIX(const T *x, const T *g, T *out, Py_ssize_t k0,             \
                    Py_ssize_t k1, Py_ssize_t pieces, int backward,             \
                    int by_piece)                                               \
{                                                                               \
    enum { B = 256 };                                  /* groups per block */  \
    const cy__bits##SUFFIX *xk;                                                 \
    I at[B], kk, b, m, a;                                                       \
    T mv[B], gb[B], v, w;                  /* mv: the winners, bits as in x */ \
    Py_ssize_t k, l, j, kb;                                                     \
    for (k = k0; k < k1; k += kb) {                                             \
        kb = k1 - k < B ? k1 - k : B;                                           \
        if (by_piece) {                                                         \
            const T *xv = x + k * pieces;                                       \
            for (l = 0; l < kb; l++) {                                          \
                mv[l] = xv[l * pieces];                                         \
                at[l] = 0;                                                      \
            }                                                                   \
            for (j = 1; j < pieces; j++)                                        \
                for (l = 0; l < kb; l++) {                                      \
                    v = xv[l * pieces + j];                                     \
                    w = mv[l];                                                  \
                    /* np.argmax's choice: larger, or the first NaN */        \
                    int wins = (v > w) | ((v != v) & (w == w));                 \
                    mv[l] = wins ? v : w;                                       \
                    at[l] = wins ? (I)j : at[l];                                \
                }                                                               \
        } else {                                                                \
            xk = (const cy__bits##SUFFIX *)x + k * pieces;                      \
            for (l = 0; l < kb; l++) {                                          \
                b = xk[l * pieces];                                             \
                m = cy__order##SUFFIX(b);                                       \
                a = 0;                                                          \
                for (j = 1; j < pieces; j++) {                                  \
                    kk = cy__order##SUFFIX(xk[l * pieces + j]);                 \
                    b = kk > m ? xk[l * pieces + j] : b;                        \
                    a = kk > m ? (I)j : a;                                      \
                    m = kk > m ? kk : m;                                        \
                }                                                               \
                memcpy(&mv[l], &b, sizeof b);                                   \
                at[l] = a;                                                      \
            }                                                                   \
        }                                                                       \
        if (!backward) {                                                        \
            for (l = 0; l < kb; l++)                                            \
                out[k + l] = mv[l];                                             \
            continue;                                                           \
        }                                                                       \
        /* g read before out is written (out may be x; with 1 piece, g). */    \
        for (l = 0; l < kb; l++)                                                \
            gb[l] = g ? g[k + l] : 1;                                           \
        memset(out + k * pieces, 0, (size_t)(kb * pieces) * sizeof(T));         \
        for (l = 0; l < kb; l++)                                                \
            out[(k + l) * pieces + at[l]] = gb[l];                              \
    }                                                                           \
}                                                                               \
                                                                                \
/* maxout forward over groups k0..k1 of 4 pieces: out[k] = the group's      \
 * first maximum (cy_maxoutn's result), by two rounds of cy_maxout2's step:  \
 * the winners of pieces 0, 1 and of 2, 3 (side by side in order), then of  \
 * those. The first of equal or NaN pieces stays in each round, and so in   \
 * the end. The groups beyond the last whole vector go through              \
 * cy__maxoutn. Why: group by group, GCC's code compared each piece's       \
 * integer order (cy__order) with shuffled loads: float32 with AVX-512 ran  \
 * at 0.15 ns per element at 1e5 elements, 0.156 at 4e6, where reading the  \
 * data costs 0.05; here 0.057 and 0.079 (float64: 0.32 -> 0.15 at 1e5;     \
 * AVX2 float32 0.234 -> 0.095, float64 0.333 -> 0.176; baseline float32   \
 * 0.37 -> 0.136). Not for the baseline build's float64, whose 2-double     \
 * vectors ran slower than its piece-by-piece loop (1.29 against 1.12).     \
 * stream: non-temporal stores from out's next line on, as cy_maxout2's      \
 * (one thread against x's lines and plain stores: AVX-512 float32 1.28 at  \
 * 4e6 elements and 1.24 at 1e7, float64 1.33 / 1.26; AVX2 1.34 / 1.44 and  \
 * 1.57 / 1.41; at the threshold, 17 MB, 1.05 and 1.23). */                 \
static inline void cy__maxout4##SUFFIX(const T *x, T *out, Py_ssize_t k0,       \
                                       Py_ssize_t k1, int stream)               \
{                                                                               \
    enum { L = CY_VBYTES / sizeof(T) };                                         \
    cy__pw##SUFFIX v0, v1, v2, v3, w0, w1, r;                                   \
    cy__pwm##SUFFIX even, odd, lo, hi, fix, beats;                              \
    /* the groups before x's next line, or out's where the stores stream or  \
     * whole groups do not reach x's (see cy_maxout2) */                       \
    Py_ssize_t k;                                                               \
    if ((uintptr_t)out % sizeof(T))  /* no boundary of out to reach */          \
        stream = 0;                                                             \
    k = stream || ((uintptr_t)0 - (uintptr_t)(x + 4 * k0)) % 64 % (4 * sizeof(T)) \
        ? k0 + cy_to_line(out + k0, k1 - k0, sizeof(T))                         \
        : k0 + cy_to_line(x + 4 * k0, k1 - k0, 4 * sizeof(T));                  \
    if (k > k0)                                                                 \
        cy__maxoutn##SUFFIX(x, NULL, out, k0, k, 4, 0, 0);                      \
    cy__pair_masks##SUFFIX(&even, &odd, &lo, &hi, &fix);                        \
    (void)lo;                                                                   \
    (void)hi;                                                                   \
    for (; k + L <= k1; k += L) {                                               \
        memcpy(&v0, x + 4 * k, sizeof v0);                                      \
        memcpy(&v1, x + 4 * k + L, sizeof v1);                                  \
        memcpy(&v2, x + 4 * k + 2 * L, sizeof v2);                              \
        memcpy(&v3, x + 4 * k + 3 * L, sizeof v3);                              \
        cy__maxout_pairs##SUFFIX(&v0, &v1, &even, &odd, &w0, &beats);           \
        cy__maxout_pairs##SUFFIX(&v2, &v3, &even, &odd, &w1, &beats);           \
        if (CY__PAIR_BLOCK(T) < L) {  /* pairs in order, for the next */      \
            w0 = __builtin_shuffle(w0, fix);                                    \
            w1 = __builtin_shuffle(w1, fix);                                    \
        }                                                                       \
        cy__maxout_pairs##SUFFIX(&w0, &w1, &even, &odd, &r, &beats);            \
        if (CY__PAIR_BLOCK(T) < L)                                              \
            r = __builtin_shuffle(r, fix);                                      \
        cy__vstore(out + k, &r, stream);                                        \
    }                                                                           \
    if (k < k1)                                                                 \
        cy__maxoutn##SUFFIX(x, NULL, out, k, k1, 4, 0, 0);                      \
    if (stream)                                                                 \
        cy__stream_fence();                                                     \
}                                                                               \
                                                                                \
/* maxout over groups k0..k1 of `pieces` (any number; 2 has cy_maxout2 above): \
 * out[k] = the group's first maximum, its bits as they are (a NaN's        \
 * too); backward: out[k pieces + j] = g[k] (1 when g is NULL) where j is    \
 * that maximum's piece, else 0. out may be x itself (backward): a block's  \
 * pieces and grads are read before its out is written. 4 pieces forward:  \
 * cy__maxout4 (with AVX, and float32 everywhere). Group by group for      \
 * 3, 4 and 8 pieces with AVX-512, and in float32 with AVX2 (AVX-512, 1e5   \
 * elements: float32 0.14-0.15 ns per element against 0.18-0.23 piece by    \
 * piece; float64 4 pieces at 4e6, 0.42 against 0.53); everything else      \
 * piece by piece, with the number of pieces left to run time, where GCC    \
 * vectorizes best (float64 with AVX2, 4 pieces, 1e5: 0.27 ns against 0.38; \
 * without AVX, 0.42 against 1.04). Before, the comparisons were branches:  \
 * 2.6-3.6 ns per element. stream: as cy_maxout2's, taken by 4 pieces       \
 * forward; the other loops store plainly. */                                \
static inline void cy_maxoutn##SUFFIX(const T *x, const T *g, T *out,          \
                                      Py_ssize_t k0, Py_ssize_t k1,             \
                                      Py_ssize_t pieces, int backward, int stream) \
{                                                                               \
    if ((CY__AVX || sizeof(T) == 4) && pieces == 4 && !backward) {              \
        cy__maxout4##SUFFIX(x, out, k0, k1, stream);                            \
        return;                                                                 \
    }                                                                           \
    switch (CY_VBYTES == 64 || (CY__AVX && sizeof(T) == 4) ? pieces : 0) {      \
    case 3: cy__maxoutn##SUFFIX(x, g, out, k0, k1, 3, backward, 0); break;      \
    case 4: cy__maxoutn##SUFFIX(x, g, out, k0, k1, 4, backward, 0); break;      \
    case 8: cy__maxoutn##SUFFIX(x, g, out, k0, k1, 8, backward, 0); break;      \
    default: cy__maxoutn##SUFFIX(x, g, out, k0, k1, pieces, backward, 1);       \
    }                                                                           \
}

/* A float block's lanes s added to the lanes vs by a 2Sum, its error to vc
 * (as cy__prelu_grad does): for the kernels below. */
static inline __attribute__((always_inline)) void
cy__prelu_lanes_add(double *vs, double *vc, const cy__vd *s)
{
    cy__vd sum, comp, t = *s;
    memcpy(&sum, vs, sizeof sum);
    memcpy(&comp, vc, sizeof comp);
    cy__two_sum(&sum, &t, &comp);
    memcpy(vs, &sum, sizeof sum);
    memcpy(vc, &comp, sizeof comp);
}

/* prelu_grad's blocks of float32 with AVX-512 (cy__prelu_grad's result
 * bit for bit: the same lanes of the sums, in the same order): intrinsics
 * with mask registers for the selects and the sums' terms (a masked FMA of
 * the products, exact in double, into each half's lanes). Why: from the
 * vector extensions' selects GCC made vectors of ones and zeros and
 * compared again for each complement (as in cyact_rows.h's row max), and
 * converted each half twice: blocks of 100 (the benchmark's layout) ran at
 * 0.30-0.40 ns per element at 1e5 elements, 0.33 at 4e6, against 0.235 and
 * 0.283 here (a plain g * x over the same arrays: 0.078 and 0.294). Masked
 * stores are slow on Zen 4 (one per block for the remainder cost 4e6
 * elements a third), so the remainder is the overlapping full vector of the
 * generic code, its lanes before the block's end left out of the sums. */
#if defined(__AVX512F__)
/* One vector: returns out's values, g * (v > 0 ? 1 : alpha) (NaN v gives
 * v); adds g v of the lanes in take that are not > 0 to s0 (lanes 0-7) and
 * s1 (8-15). */
static inline __attribute__((always_inline)) __m512
cy__prelu_gstep512f(__m512 v, __m512 gv, __m512 a, __mmask16 take, __m512d *s0,
                    __m512d *s1)
{
    const __m512 zero = _mm512_setzero_ps();
    __mmask16 pos = _mm512_cmp_ps_mask(v, zero, _CMP_GT_OQ);
    __mmask16 le = _mm512_cmp_ps_mask(v, zero, _CMP_LE_OQ);
    __m256 hv = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(v), 1));
    __m256 hg = _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(gv), 1));
    take &= (__mmask16)~pos;
    *s0 = _mm512_mask3_fmadd_pd(_mm512_cvtps_pd(_mm512_castps512_ps256(v)),
                                _mm512_cvtps_pd(_mm512_castps512_ps256(gv)), *s0,
                                (__mmask8)take);
    *s1 = _mm512_mask3_fmadd_pd(_mm512_cvtps_pd(hv), _mm512_cvtps_pd(hg), *s1,
                                (__mmask8)(take >> 8));
    return _mm512_mask_mov_ps(_mm512_mask_mov_ps(v, le, _mm512_mul_ps(gv, a)), pos, gv);
}

/* cy__prelu_gradf's contract (see CY_BLOCKS_DEFINE). */
static inline __attribute__((always_inline)) void
cy__prelu_grad512f(const float *x, const float *g, float alpha, float *out,
                   Py_ssize_t n, double *vs, double *vc, int has_g)
{
    enum { L = 16 };
    const __m512 a = _mm512_set1_ps(alpha), one = _mm512_set1_ps(1.0f);
    __m512d s0 = _mm512_setzero_pd(), s1 = s0;
    __m512 r, tail;
    __mmask16 k;
    cy__vd s;
    Py_ssize_t i, rem = n % L, last = n - rem - L;
    if (n < L) {
        k = (__mmask16)((1u << n) - 1);
        r = cy__prelu_gstep512f(_mm512_maskz_loadu_ps(k, x),
                                has_g ? _mm512_maskz_loadu_ps(k, g) : one, a, k, &s0, &s1);
        _mm512_mask_storeu_ps(out, k, r);
    } else {
        for (i = 0; i < last; i += L)
            _mm512_storeu_ps(out + i, cy__prelu_gstep512f(
                _mm512_loadu_ps(x + i), has_g ? _mm512_loadu_ps(g + i) : one, a,
                (__mmask16)0xffff, &s0, &s1));
        r = cy__prelu_gstep512f(_mm512_loadu_ps(x + last),
                                has_g ? _mm512_loadu_ps(g + last) : one, a,
                                (__mmask16)0xffff, &s0, &s1);
        if (rem) {
            tail = cy__prelu_gstep512f(_mm512_loadu_ps(x + n - L),
                                       has_g ? _mm512_loadu_ps(g + n - L) : one, a,
                                       (__mmask16)(0xffffu << (L - rem)), &s0, &s1);
            _mm512_storeu_ps(out + n - L, tail);
        }
        _mm512_storeu_ps(out + last, r);
    }
    s = (cy__vd)_mm512_add_pd(s0, s1);
    cy__prelu_lanes_add(vs, vc, &s);
}
#define CY__PRELU_GRAD_f cy__prelu_grad512f
#elif defined(__AVX2__) && defined(__FMA__)
/* The same with AVX2 (no mask registers): the selects are blends, the sums'
 * terms x zeroed where x > 0 or outside the block's remainder, before the
 * conversion. GCC's code ran 0.359 / 0.376 / 0.392 ns per element at 1e5 /
 * 4e6 / 1e7 (blocks of 100), this 0.244 / 0.299 / 0.304; grad_alpha bit for
 * bit the same. Blocks shorter than a vector take the generic code. */
static inline __attribute__((always_inline)) void
cy__prelu_gradf(const float *x, const float *g, float alpha, float *out, Py_ssize_t n,
                double *vs, double *vc, int has_g);

/* One vector: out's values; adds g x of the lanes in take (all ones or
 * zeros) that are not > 0 to s0 (lanes 0-3) and s1 (4-7). */
static inline __attribute__((always_inline)) __m256
cy__prelu_gstep256f(__m256 v, __m256 gv, __m256 a, __m256 take, __m256d *s0,
                    __m256d *s1)
{
    const __m256 zero = _mm256_setzero_ps();
    __m256 pos = _mm256_cmp_ps(v, zero, _CMP_GT_OQ);
    __m256 le = _mm256_cmp_ps(v, zero, _CMP_LE_OQ);
    __m256 vz = _mm256_and_ps(_mm256_andnot_ps(pos, v), take);
    *s0 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_castps256_ps128(vz)),
                          _mm256_cvtps_pd(_mm256_castps256_ps128(gv)), *s0);
    *s1 = _mm256_fmadd_pd(_mm256_cvtps_pd(_mm256_extractf128_ps(vz, 1)),
                          _mm256_cvtps_pd(_mm256_extractf128_ps(gv, 1)), *s1);
    return _mm256_blendv_ps(_mm256_blendv_ps(v, _mm256_mul_ps(gv, a), le), gv, pos);
}

static inline __attribute__((always_inline)) void
cy__prelu_grad256f(const float *x, const float *g, float alpha, float *out,
                   Py_ssize_t n, double *vs, double *vc, int has_g)
{
    enum { L = 8 };
    static const int lane[L] = {0, 1, 2, 3, 4, 5, 6, 7};
    const __m256 a = _mm256_set1_ps(alpha), one = _mm256_set1_ps(1.0f);
    const __m256 all = _mm256_castsi256_ps(_mm256_set1_epi32(-1));
    __m256d s0 = _mm256_setzero_pd(), s1 = s0;
    __m256 r, tail, take;
    cy__vd s;
    Py_ssize_t i, rem = n % L, last = n - rem - L;
    if (n < L) {
        cy__prelu_gradf(x, g, alpha, out, n, vs, vc, has_g);
        return;
    }
    for (i = 0; i < last; i += L)
        _mm256_storeu_ps(out + i, cy__prelu_gstep256f(
            _mm256_loadu_ps(x + i), has_g ? _mm256_loadu_ps(g + i) : one, a, all, &s0, &s1));
    r = cy__prelu_gstep256f(_mm256_loadu_ps(x + last),
                            has_g ? _mm256_loadu_ps(g + last) : one, a, all, &s0, &s1);
    if (rem) {
        take = _mm256_castsi256_ps(_mm256_cmpgt_epi32(
            _mm256_loadu_si256((const __m256i *)lane), _mm256_set1_epi32((int)(L - rem) - 1)));
        tail = cy__prelu_gstep256f(_mm256_loadu_ps(x + n - L),
                                   has_g ? _mm256_loadu_ps(g + n - L) : one, a, take, &s0, &s1);
        _mm256_storeu_ps(out + n - L, tail);
    }
    _mm256_storeu_ps(out + last, r);
    s = (cy__vd)_mm256_add_pd(s0, s1);
    cy__prelu_lanes_add(vs, vc, &s);
}
#define CY__PRELU_GRAD_f cy__prelu_grad256f
#else
#define CY__PRELU_GRAD_f cy__prelu_gradf
#endif
#define CY__PRELU_GRAD_d cy__prelu_gradd

CY_BLOCKS_DEFINE(float, int, f)
CY_BLOCKS_DEFINE(double, long long, d)

#endif
