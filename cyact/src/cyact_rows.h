/* Reductions along a row for the softmax family: the maximum and a
 * compensated sum, vectorized without -ffast-math.
 *
 * Why in C, with GCC's vector extensions: a floating-point reduction is only
 * vectorized when the compiler may reorder it, and GCC 12 would not turn
 * eight explicit scalar lanes into vector code either (a max needs
 * -ffinite-math-only; the selects and the 2Sum were left scalar: softmax f32
 * over rows of 1000 ran at 2.7 ns per element, most of it in these two
 * loops). Here the order is chosen explicitly: independent lanes held in
 * one vector register, combined at the end in a fixed order, so the result
 * is the same for any thread count (CY_LANES below).
 *
 * One body serves float and double (CY_ROWS_DEFINE below). */
#ifndef CYACT_ROWS_H
#define CYACT_ROWS_H

#include <string.h>

#include "cyact_math.h"

/* Lanes: as many doubles as one vector register holds (8 with AVX-512, 4
 * with AVX, 2 otherwise). A wider generic vector is split by GCC, and its
 * comparisons then go element by element through memory (softmax float64 on
 * the AVX2 build: 7.3 ns per element with 8 lanes). The sums' order, so their
 * last bits, therefore differ between kernel builds, never between runs or
 * thread counts. */
#if defined(__AVX512F__)
#define CY_LANES 8
#elif defined(__AVX__)
#define CY_LANES 4
#else
#define CY_LANES 2
#endif

/* For omp simd loops that convert floats to doubles and sum them: on AVX-512,
 * 8 floats (half a register) per step, converted to one full register of
 * doubles; in GCC's own choice, 16, the upper half of each took an extract
 * (sum(x * g) over rows of 1000 floats: 0.173 -> 0.146 ns per element). On
 * AVX2 the same (4 floats) ran at half the speed of GCC's choice. */
#if defined(__AVX512F__)
#define CY__CVT_SIMDLEN simdlen(8)
#else
#define CY__CVT_SIMDLEN
#endif

typedef double cy__vd __attribute__((vector_size(CY_LANES * sizeof(double))));
typedef long long cy__vdm __attribute__((vector_size(CY_LANES * sizeof(double))));

/* Lanes where mask is all ones take a, the others b (mask from a vector
 * comparison: -1 or 0 per lane). */
#define CY__SELECT(VT, MT, mask, a, b) \
    ((VT)(((MT)(a) & (mask)) | ((MT)(b) & ~(mask))))

/* s += x lane by lane, c += the rounding error of each addition (2Sum,
 * Knuth: exact, and with no comparison, so it stays vector code). Pointers,
 * not vector values, so that no vector crosses a function boundary (-Wpsabi). */
static inline void cy__two_sum(cy__vd *s, const cy__vd *x, cy__vd *c)
{
    cy__vd t = *s + *x, bp = t - *s;
    *c += (*s - (t - bp)) + (*x - bp);
    *s = t;
}

/* One scalar 2Sum, for the tail and the final combination of the lanes. */
static inline double cy__two_sum1(double *s, double x)
{
    double t = *s + x, bp = t - *s;
    double err = (*s - (t - bp)) + (x - bp);
    *s = t;
    return err;
}

/* max of a row, NaN when the row holds a NaN (n >= 1): a NaN is kept in
 * lanes of its own (a comparison with NaN is false, so the max lanes alone
 * would drop it). The maximum is exact whatever the order, so these vectors
 * are a whole register of T (16 floats with AVX-512, not the 8 of the
 * sums), and two of them run side by side: one chain of compare-and-select
 * waited on its own latency (softmax float32: 16% of the time in the max);
 * four spilled registers on AVX2 and were slower on rows of 1000.
 * count given (log_softmax): *count = how many entries equal the maximum
 * (for a finite one), counted lane by lane beside the max: a lane restarts
 * at 1 where an entry beats its max. The pass waits on the latency of its
 * chains, so the count's operations cost less there than in the exps' pass
 * (log_softmax float32 over rows of 1000: 0.538 -> 0.504 ns per element on
 * AVX-512, 0.753 -> 0.672 on AVX2). Exact while a lane holds fewer than
 * 2^31 entries (rows below 2^34). */
#define CY_ROWS_DEFINE(T, I, SUFFIX)                                            \
typedef T cy__v##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(T))));     \
typedef T cy__r##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(double)))); \
typedef I cy__rm##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(double)))); \
                                                                                \
static inline __attribute__((always_inline)) T                                 \
cy__row_max##SUFFIX(const T *x, Py_ssize_t n, double *count)                   \
{                                                                               \
    enum { L = CY_LANES * sizeof(double) / sizeof(T), K = 2 };                  \
    const cy__r##SUFFIX zero = {0};                                             \
    const cy__rm##SUFFIX none = {0}, unit = none + 1;                           \
    cy__r##SUFFIX m[K], nan[K], v;                                              \
    cy__rm##SUFFIX c[K], gt, eq;                                                \
    Py_ssize_t i = 0;                                                           \
    T best = x[0], seen_nan = 0;                                                \
    double cnt = 0;                                                             \
    int j, k;                                                                   \
    if (n >= K * L) {                                                           \
        for (k = 0; k < K; k++) {                                               \
            memcpy(&m[k], x + k * L, sizeof v);                                 \
            nan[k] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, m[k] != m[k],    \
                                m[k], zero);                                    \
            c[k] = unit;                                                        \
        }                                                                       \
        for (i = K * L; i + K * L <= n; i += K * L)                             \
            for (k = 0; k < K; k++) {                                           \
                memcpy(&v, x + i + k * L, sizeof v);                            \
                gt = v > m[k];                                                  \
                if (count) {                                                    \
                    eq = v == m[k];                                             \
                    c[k] = CY__SELECT(cy__rm##SUFFIX, cy__rm##SUFFIX, gt,       \
                                      unit, c[k] - eq);                         \
                }                                                               \
                m[k] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, gt, v, m[k]);  \
                nan[k] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, v != v,      \
                                    v, nan[k]);                                 \
            }                                                                   \
        /* vectors first: a row of 1000 floats was a fifth lane by lane */    \
        for (k = 1; k < K; k++) {                                               \
            gt = m[k] > m[0];                                                   \
            if (count) {                                                        \
                eq = m[k] == m[0];                                              \
                c[0] = CY__SELECT(cy__rm##SUFFIX, cy__rm##SUFFIX, gt, c[k],     \
                                  c[0] + (c[k] & eq));                          \
            }                                                                   \
            m[0] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, gt, m[k], m[0]);   \
            nan[0] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX,                  \
                                nan[k] != nan[k], nan[k], nan[0]);              \
        }                                                                       \
        for (j = 0; j < L; j++) {                                               \
            best = m[0][j] > best ? m[0][j] : best;                             \
            seen_nan = nan[0][j] != nan[0][j] ? nan[0][j] : seen_nan;           \
        }                                                                       \
        if (count)                                                              \
            for (j = 0; j < L; j++)                                             \
                cnt += m[0][j] == best ? (double)c[0][j] : 0.0;                 \
    }                                                                           \
    for (; i < n; i++) {                                                        \
        cnt = x[i] > best ? 1.0 : cnt + (x[i] == best);                         \
        best = x[i] > best ? x[i] : best;                                       \
        seen_nan = x[i] != x[i] ? x[i] : seen_nan;                              \
    }                                                                           \
    if (count)                                                                  \
        *count = cnt;                                                           \
    return seen_nan != seen_nan ? seen_nan : best;                              \
}

/* The public names, on the build's best form of the row max. */
#define CY_ROWS_MAX_DEFINE(T, SUFFIX)                                           \
static inline T cy_row_max##SUFFIX(const T *x, Py_ssize_t n)                   \
{                                                                               \
    return CY__ROW_MAX(SUFFIX)(x, n, NULL);                                     \
}                                                                               \
                                                                                \
static inline T cy_row_max_count##SUFFIX(const T *x, Py_ssize_t n, double *count) \
{                                                                               \
    return CY__ROW_MAX(SUFFIX)(x, n, count);                                    \
}

/* *sum + *comp += the sum over i of x[i] op g[i], float64, compensated:
 * the rounding errors go to *comp, so the result is exact to about 1 ULP of
 * the sum of |terms| (a plain float64 sum over rows of 1000 was off by 17
 * ULP, and a serial sum through memory cost 5.6 ns per element). op (a
 * constant at each call, so the variants are compiled apart): 0, x[i]
 * alone; 1, x[i] * g[i]; 2, x[i] + g[i], the sum of a row's two halves
 * (cy_row_possumd). */
static inline __attribute__((always_inline)) void
cy__dotd(const double *x, const double *g, Py_ssize_t n, double *sum,
         double *comp, int op)
{
    /* two accumulators: the 2Sum's latency, not the memory, bounded one */
    cy__vd s[2] = {{0}}, c[2] = {{0}}, w, v;
    Py_ssize_t i = 0;
    int j, k;
    for (; i + 2 * CY_LANES <= n; i += 2 * CY_LANES)
        for (k = 0; k < 2; k++) {
            memcpy(&w, x + i + k * CY_LANES, sizeof w);
            if (op) {
                memcpy(&v, g + i + k * CY_LANES, sizeof v);
                w = op == 1 ? w * v : w + v;
            }
            cy__two_sum(&s[k], &w, &c[k]);
        }
    /* The lanes are combined in registers and reach *sum once. */
    double block = 0, block_err = 0;
    cy__two_sum(&s[0], &s[1], &c[0]);
    c[0] += c[1];
    for (j = 0; j < CY_LANES; j++)
        block_err += cy__two_sum1(&block, s[0][j]) + c[0][j];
    for (; i < n; i++)
        block_err += cy__two_sum1(&block, op == 0 ? x[i] : op == 1 ? x[i] * g[i]
                                                              : x[i] + g[i]);
    *comp += cy__two_sum1(sum, block) + block_err;
}

/* exp(x - m) of one float of a row (see cy_expf_row); 0 where x is m and
 * skip_max is set. */
static inline __attribute__((always_inline)) float
cy__row_expf1(float v, float m, int skip_max)
{
    float d = v - m, bv = d - v;
    /* d is 0 only where v is m (x - m is exact near 0); -inf gives 0 */
    return cy_expf_row(skip_max && d == 0.0f ? -1.0f / 0.0f : d,
                       (v - (d - bv)) + (-m - bv));
}

/* Pair i of cy_row_expsumf: exp(x[i] - m) + exp(x[i + h] - m), and out
 * (unless NULL) given both; kept: 0 and out left as it is (its places
 * rewritten with what they hold). */
static inline __attribute__((always_inline)) float
cy__expsum_pair(const float *x, float m, float *out, Py_ssize_t h, Py_ssize_t i,
                int kept)
{
    float e0 = cy__row_expf1(x[i], m, !out), e1 = cy__row_expf1(x[i + h], m, !out);
    if (out) {
        out[i] = kept ? out[i] : e0;
        out[i + h] = kept ? out[i + h] : e1;
    }
    return kept ? 0.0f : e0 + e1;
}

/* The exps of a float row with a finite maximum m, in float lanes
 * (cy_expf_row, with the rounding error of x - m), and their sum, in one
 * pass. The exps of x[i] and x[i + h] (h = n/2) are added in float and only
 * that sum is converted to double and summed there: the conversions, not
 * the exps, bounded the pass (float32 softmax on AVX-512: 0.385 -> 0.300 ns
 * per element for the pass, 1.14 -> 1.34 of PyTorch for the softmax). The
 * float additions add at most 2^-24 to the sum's relative error; the
 * double sum's n 2^-53 is far below. omp simd lets GCC vectorize the
 * reductions in lanes of its choice, fixed for a build, so no result
 * depends on the thread count.
 * out given (softmax): out[i] = exp(x[i] - m) (out may be x: each iteration
 * reads and writes the same two places), and the sum of all; the maxima
 * give exp(0) = 1 by themselves.
 * out NULL (log_softmax): the sum of the exps of all but the maxima, which
 * the caller counts (cy_row_max_countf): log1p(sum + maxima - 1) then keeps
 * relative accuracy where the sum is tiny, which the sum of all would lose
 * to the maxima's 1, also in the float pairs. An x so close to m that its
 * exp rounds to 1 (|m| < 1/2 only) stays in the sum, which is then at least
 * 1, and its pair's rounding within 2^-24 of it. */
static inline double cy_row_expsumf(const float *x, float m, float *out, Py_ssize_t n)
{
    /* The pairs beyond the last whole vector are one more vector, ending at
     * the last pair and overlapping the one before, whose pairs it keeps:
     * GCC's remainder loop for them is scalar. From a quarter of a vector
     * on, that vector costs less (AVX-512, ns per element for rows of 1008
     * floats: softmax 0.444 -> 0.419, log_softmax 0.504 -> 0.470; rows of
     * 40: 1.56 -> 1.45 and 2.36 -> 2.12; AVX2 alike); below, the pairs go
     * one by one. Not on the baseline build, where GCC's own loop over all
     * pairs ran 4% faster (softmax over rows of 1000). */
    enum { W = 2 * CY_LANES };
    const Py_ssize_t h = n / 2, hv = CY_LANES >= 4 ? h - h % W : h;
    double s = 0;
    float e;
    Py_ssize_t i, j;
    if (!out) {
#pragma omp simd reduction(+:s)
        for (i = 0; i < hv; i++)
            s += cy__expsum_pair(x, m, NULL, h, i, 0);
    } else {
#pragma omp simd reduction(+:s)
        for (i = 0; i < hv; i++)
            s += cy__expsum_pair(x, m, out, h, i, 0);
    }
    if (h - hv >= W / 4 && h >= W) {
#pragma omp simd reduction(+:s)
        for (j = 0; j < W; j++)
            s += cy__expsum_pair(x, m, out, h, h - W + j, j < W - (h - hv));
    } else {
        for (i = hv; i < h; i++)
            s += cy__expsum_pair(x, m, out, h, i, 0);
    }
    if (n & 1) {
        e = cy__row_expf1(x[n - 1], m, !out);
        if (out)
            out[n - 1] = e;
        s += e;
    }
    return s;
}

/* out[i] *= q for a row of float exps, q = 1/sum in double: q = qh + ql
 * (two floats), out = fma(e, qh, e ql), rounded once (a subnormal result
 * too), within a hair of e q rounded once. */
static inline void cy_row_scalef(float *out, Py_ssize_t n, double q)
{
    const float qh = (float)q, ql = (float)(q - (double)qh);
    Py_ssize_t i;
#pragma omp simd
    for (i = 0; i < n; i++)
        out[i] = CY__FMAF(out[i], qh, out[i] * ql);
}

/* The row's max (and count) with AVX-512's mask registers, for the same
 * result as cy__row_max (which it calls for short rows and for rows with a
 * NaN, found on the way: a rare case, and there the NaN returned is
 * cy__row_max's). Why: from the vector extensions' selects GCC made each
 * comparison a vector of ones and zeros and compared again for the
 * complement, ten operations per vector where seven serve (two compares, a
 * masked add and move for the count, a masked move for the max, a NaN test
 * ORed into a mask): the max and count over rows of 1000 floats ran at
 * 0.124 ns per element, slower than on the AVX2 build (0.109), and 0.084
 * here (doubles: 0.220 -> 0.156; log_softmax float32 in all: 0.510 ->
 * 0.485). The remainder (n not a multiple of the vector) is one masked
 * load, not a scalar loop. V: the vector type, S: its intrinsics' suffix
 * (ps, pd), E: the integer lanes' (epi32, epi64), M: the mask type. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define CY_ROWMAX512_DEFINE(T, IT, V, S, E, M, SUFFIX)                           \
/* one vector v (lanes outside rem are 0 and take no part) into chain m, c */  \
static inline __attribute__((always_inline)) void                              \
cy__rowmax512_step##SUFFIX(V *m, __m512i *c, M *nan, const T *p, M rem,         \
                           int count)                                           \
{                                                                               \
    const __m512i unit = _mm512_set1_##E(1);                                    \
    V v = _mm512_maskz_loadu_##S(rem, p);                                       \
    M gt = _mm512_mask_cmp_##S##_mask(rem, v, *m, _CMP_GT_OQ);                  \
    if (count) {                                                                \
        M eq = _mm512_mask_cmp_##S##_mask(rem, v, *m, _CMP_EQ_OQ);              \
        *c = _mm512_mask_add_##E(*c, eq, *c, unit);                             \
        *c = _mm512_mask_mov_##E(*c, gt, unit);                                 \
    }                                                                           \
    *m = _mm512_mask_mov_##S(*m, gt, v);                                        \
    *nan |= _mm512_mask_cmp_##S##_mask(rem, v, v, _CMP_UNORD_Q);                \
}                                                                               \
                                                                                \
static inline __attribute__((always_inline)) T                                 \
cy__row_max512##SUFFIX(const T *x, Py_ssize_t n, double *count)                \
{                                                                               \
    enum { L = 64 / sizeof(T), K = 2 };                                         \
    const M all = (M)-1;                                                        \
    V m[K];                                                                     \
    __m512i c[K];                                                               \
    M gt, eq, nan = 0;                                                          \
    Py_ssize_t i;                                                               \
    T lane[L], best;                                                            \
    IT cnts[L];                                                                 \
    double cnt = 0;                                                             \
    int j, k;                                                                   \
    if (n < K * L)                                                              \
        return cy__row_max##SUFFIX(x, n, count);                                \
    for (k = 0; k < K; k++) {                                                   \
        m[k] = _mm512_loadu_##S(x + k * L);                                     \
        c[k] = _mm512_set1_##E(1);                                              \
        nan |= _mm512_cmp_##S##_mask(m[k], m[k], _CMP_UNORD_Q);                 \
    }                                                                           \
    for (i = K * L; i + K * L <= n; i += K * L)                                 \
        for (k = 0; k < K; k++)                                                 \
            cy__rowmax512_step##SUFFIX(&m[k], &c[k], &nan, x + i + k * L, all,  \
                                       count != NULL);                          \
    /* the rest: whole vectors, then the remainder in one masked load */       \
    for (k = 0; k < K; k++)                                                     \
        if (i < n) {                                                            \
            cy__rowmax512_step##SUFFIX(                                         \
                &m[k], &c[k], &nan, x + i,                                      \
                n - i >= L ? all : (M)(((M)1 << (n - i)) - 1), count != NULL);   \
            i += L;                                                             \
        }                                                                       \
    if (nan)                                                                    \
        return cy__row_max##SUFFIX(x, n, count);                                \
    for (k = 1; k < K; k++) {                                                   \
        gt = _mm512_cmp_##S##_mask(m[k], m[0], _CMP_GT_OQ);                     \
        if (count) {                                                            \
            eq = _mm512_cmp_##S##_mask(m[k], m[0], _CMP_EQ_OQ);                 \
            c[0] = _mm512_mask_add_##E(c[0], eq, c[0], c[k]);                   \
            c[0] = _mm512_mask_mov_##E(c[0], gt, c[k]);                         \
        }                                                                       \
        m[0] = _mm512_mask_mov_##S(m[0], gt, m[k]);                             \
    }                                                                           \
    _mm512_storeu_##S(lane, m[0]);                                              \
    best = lane[0];                                                             \
    for (j = 1; j < L; j++)                                                     \
        best = lane[j] > best ? lane[j] : best;                                 \
    if (count) {                                                                \
        _mm512_storeu_si512(cnts, c[0]);                                        \
        for (j = 0; j < L; j++)                                                 \
            cnt += lane[j] == best ? (double)cnts[j] : 0.0;                     \
        *count = cnt;                                                           \
    }                                                                           \
    return best;                                                                \
}
#define CY__ROW_MAX(SUFFIX) cy__row_max512##SUFFIX
#else
#define CY__ROW_MAX(SUFFIX) cy__row_max##SUFFIX
#endif

CY_ROWS_DEFINE(float, int, f)
CY_ROWS_DEFINE(double, long long, d)
#if defined(__AVX512F__)
CY_ROWMAX512_DEFINE(float, int, __m512, ps, epi32, __mmask16, f)
CY_ROWMAX512_DEFINE(double, long long, __m512d, pd, epi64, __mmask8, d)
#endif
CY_ROWS_MAX_DEFINE(float, f)
CY_ROWS_MAX_DEFINE(double, d)

/* Sums and dots along a row, in double. double: compensated (cy__dotd):
 * the sum's relative error reaches every softmax output, and a plain
 * float64 sum of a long row exceeds the 4-ULP bound. float: the products
 * are exact in double and a plain double sum errs by at most n 2^-53, so a
 * loop GCC vectorizes under omp simd (lanes of its choice, fixed for a
 * build) serves (vector types converted from float went through extracts
 * and inserts). */
static inline double cy_row_dotd(const double *x, const double *g, Py_ssize_t n)
{
    double sum = 0, comp = 0;
    cy__dotd(x, g, n, &sum, &comp, 1);
    return sum + comp;
}

static inline double cy_row_sumd(const double *x, Py_ssize_t n)
{
    double sum = 0, comp = 0;
    cy__dotd(x, x, n, &sum, &comp, 0);
    return sum + comp;
}

/* The sum of a row of terms >= 0 (exps), float64: x[i] + x[i + h] (h = n/2)
 * rounded, then compensated (cy__dotd). Each pair's rounding is within
 * 2^-53 of the pair, so all of them within 2^-53 of the sum, since no term
 * is negative: the result is within about 2^-52 of the exact sum (those and
 * the last rounding), against 2^-53 for the fully compensated sum. Why: the
 * 2Sum's six additions per term bound the sum, and a pair takes one
 * addition more for two terms (softmax float64 over rows of 1000 on
 * AVX-512: 0.25 -> 0.14 ns per element for the sum, of 1.28 in all). The
 * float rows' exps are paired the same way. */
static inline double cy_row_possumd(const double *x, Py_ssize_t n)
{
    const Py_ssize_t h = n / 2;
    double sum = 0, comp = 0;
    cy__dotd(x, x + h, h, &sum, &comp, 2);
    if (n & 1)
        comp += cy__two_sum1(&sum, x[n - 1]);
    return sum + comp;
}

static inline __attribute__((always_inline)) double
cy__dotf(const float *x, const float *g, Py_ssize_t n, double *xx)
{
    double s = 0, q = 0;
    Py_ssize_t i;
#pragma omp simd reduction(+:s, q) CY__CVT_SIMDLEN
    for (i = 0; i < n; i++) {
        double xd = x[i];
        s += xd * (double)g[i];
        if (xx)
            q += xd * xd;
    }
    if (xx)
        *xx = q;
    return s;
}

static inline double cy_row_dotf(const float *x, const float *g, Py_ssize_t n)
{
    return cy__dotf(x, g, n, NULL);
}

/* softmax's vector-Jacobian product of a float row, out = y * (g - s) with
 * s = sum(g * y), in float lanes; 0 (nothing written) where the row needs
 * the float64 loop instead: a build without FMA, a non-finite y or g (then
 * s is not finite), |s| >= 2^64, or some |y| > 2^40 (sum y^2 > 2^80).
 *
 * Why: the float64 loop converts y and g to double and back, which bounds
 * it (0.42 ns per element against PyTorch's 0.20 on AVX-512).
 * Accuracy: s = sh + sl (two floats, sl within 2^-48 |s|); t = g - sh,
 * exact where the result cancels (g near s: Sterbenz), else within 1/2 ULP
 * of |g| + |s|; out = fma(y, t, -y sl) rounds once, beside the rounding of
 * y sl: within about 1/2 ULP of the result plus 1/2 ULP of |y| (|g| + |s|),
 * the scale in which the bound of 2 is stated. Keeping t's rounding error
 * (a 2Sum, within 1/2 ULP of the result alone) took six additions per
 * element, which bounded the pass: 0.306 -> 0.224 ns per element over rows
 * of 1000 on AVX-512, 0.279 -> 0.198 on AVX2. */
static inline int cy_softmax_vjp_rowf(const float *y, const float *g, float *out,
                                      Py_ssize_t n)
{
#if CY__HAS_FMAF
    double yy, s = cy__dotf(y, g, n, &yy);
    float sh, msl;
    Py_ssize_t i;
    /* (NaN fails too.) Under these bounds |y * sl| < 2^80: y * sl cannot
     * overflow where y * t does not, so an overflowing output has the sign
     * of g - s. */
    if (!(s < 0x1p64 && s > -0x1p64 && yy <= 0x1p80))
        return 0;
    sh = (float)s;
    msl = (float)((double)sh - s);
#pragma omp simd
    for (i = 0; i < n; i++)
        out[i] = __builtin_fmaf(y[i], g[i] - sh, y[i] * msl);
    return 1;
#else
    (void)y; (void)g; (void)out; (void)n;
    return 0;
#endif
}

/* log_softmax's vector-Jacobian product of a float row, out = g - exp(y) * s
 * with s = sum(g), in float lanes; 0 (nothing written) where the float64
 * loop must run: a build without FMA, a y above 0 or NaN (not a row of
 * log-probabilities), or s outside {0} and [2^-60, 2^32] (the sum and the
 * test of y share one pass).
 *
 * Why: in float64 the conversions and half-width exp bounded it (0.69 ns
 * per element against PyTorch's 0.45 on AVX-512).
 * How: exp(y) = (1 + uh) 2^n from the one-scale core, with 2^(n + 64)
 * normal for y >= -130 (n >= -188). s 2^-64 = a + al (two floats), b and bl
 * those times 2^(n + 64) (exact unless subnormal, then rounded once), so
 * exp(y) s = b (1 + uh) + bl (1 + uh). eh = fma(b, uh, b) rounds the first
 * term once; g - eh is exact where the result cancels (Sterbenz: g within
 * [eh/2, 2 eh]) and rounds within 1/2 ULP of |g| + |exp(y) s| elsewhere;
 * the small bl term comes last: three half-ULP roundings of that scale and
 * the polynomial's 2^-26.5, measured 1.47 (bound 2). Rounding g - b (b can
 * be 1.41 exp(y) s) and dropping al measured 1.71; making b (1 + uh) exact
 * (its product's error by an FMA and a Fast2Sum) cost a fifth of the speed.
 * Below y = -130, exp(y) |s| < 2^-155: it rounds to 0 beside any g, as the
 * clamp makes it. */
static inline int cy_log_softmax_vjp_rowf(const float *y, const float *g, float *out,
                                          Py_ssize_t n)
{
#if CY__HAS_FMAF
    double s = 0, m;
    float a, al;
    int bad = 0;
    Py_ssize_t i;
#pragma omp simd reduction(+:s) reduction(|:bad) CY__CVT_SIMDLEN
    for (i = 0; i < n; i++) {
        s += g[i];
        bad |= !(y[i] <= 0.0f);
    }
    m = s < 0 ? -s : s;
    if (bad || !(s == 0 || (m >= 0x1p-60 && m <= 0x1p32)))  /* NaN fails too */
        return 0;
    a = (float)(s * 0x1p-64);
    al = (float)(s * 0x1p-64 - (double)a);
#pragma omp simd
    for (i = 0; i < n; i++) {
        float scale, uh = cy__expf_scaled(y[i] > -130.0f ? y[i] : -130.0f, 64u, &scale);
        float b = scale * a, bl = scale * al;
        float eh = __builtin_fmaf(b, uh, b);
        out[i] = (g[i] - eh) - __builtin_fmaf(bl, uh, bl);
    }
    return 1;
#else
    (void)y; (void)g; (void)out; (void)n;
    return 0;
#endif
}

/* The float64 form of cy_log_softmax_vjp_rowf, given s = sum(g) (the
 * compensated sum): out = g - exp(y) * s for a row whose every y <= 0 (no
 * NaN; the caller checks); 0 (nothing written) where s is outside {0} and
 * [2^-800, 2^64]. exp(y) = (1 + uh) 2^n with 2^(n + 200) normal for y >=
 * -800; b = 2^(n + 200) (s 2^-200) is exact unless subnormal; below -800,
 * exp(y) |s| < 2^-1090 rounds to 0 beside any g. Why: the general loop's exp
 * (two scale factors, an error term, clamps on both sides) ran at 0.83-0.97
 * of PyTorch. Error: the roundings of b (1 + uh) and of g - that, each at
 * most 1/2 ULP of |g| + |exp(y) s|, the polynomial's 2^-53 and the sum's:
 * measured 1.42 of that scale (bound 2). */
static inline int cy_log_softmax_vjp_rowd(const double *y, const double *g, double *out,
                                          Py_ssize_t n, double s)
{
    double m = s < 0 ? -s : s, a = s * 0x1p-200;
    Py_ssize_t i;
    if (!(s == 0 || (m >= 0x1p-800 && m <= 0x1p64)))  /* NaN fails too */
        return 0;
#pragma omp simd
    for (i = 0; i < n; i++) {
        double scale, uh = cy__exp_scaled(y[i] > -800.0 ? y[i] : -800.0, 200u, &scale);
        double b = scale * a;
        out[i] = g[i] - CY__FMA(b, uh, b);
    }
    return 1;
}

static inline double cy_row_sumf(const float *x, Py_ssize_t n)
{
    double s = 0;
    Py_ssize_t i;
#pragma omp simd reduction(+:s) CY__CVT_SIMDLEN
    for (i = 0; i < n; i++)
        s += x[i];
    return s;
}

#endif
