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
#include "cyact_tables.h"

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

/* How many elements of the given size precede the first 64-byte boundary at
 * or after p (at most n): loops begin their vectors there. Why: NumPy's large
 * arrays start 16 bytes into a page (glibc's mmap'd blocks), so every 64-byte
 * vector (a float32 zmm) straddles two cache lines, and half of the 32-byte
 * ones; begun at out's next line (the inputs at the same offset, as a rule),
 * a loop reads and writes whole lines. In place on 1e5 elements, aligned
 * against NumPy's offset: relu float32 0.039 against 0.061 ns per element,
 * relu_grad 0.087 / 0.105, float64 0.234 / 0.267; sigmoid and tanh, bound by
 * their arithmetic, 1.00-1.05. */
static inline Py_ssize_t cy_to_line(const void *p, Py_ssize_t n, size_t size)
{
    size_t k = ((size_t)0 - (size_t)p) % 64 / size;
    return (Py_ssize_t)k < n ? (Py_ssize_t)k : n;
}

/* Ask for the cache lines of the bytes [offset, offset + bytes) from base
 * before they are read: a hint, which never faults, so the lines may lie
 * past the end of base's array (the address is formed as an integer: no
 * pointer beyond the array). */
static inline void cy_prefetch_lines(const void *base, Py_ssize_t offset, Py_ssize_t bytes)
{
    uintptr_t p = (uintptr_t)base + (uintptr_t)offset;
    Py_ssize_t k;
    for (k = 0; k < bytes; k += 64)
        __builtin_prefetch((const void *)(p + (uintptr_t)k), 0, 3);
}

/* softmax's and log_softmax's float64 exps (_exps in _kernels.pyx.tp) go
 * through a row in chunks of this many elements, each first asking for the
 * same stretch of the next row (the rows of an array are consecutive): the
 * exps take the time the memory needs, and the next row's max pass reads
 * from the caches. Rows of 1000 in place, one thread, against PyTorch in
 * the same rounds, AVX-512: softmax float64 at 4e6 1.22-1.27 before,
 * 1.49-1.60 after, log_softmax 1.11-1.12 -> 1.39-1.42; the AVX2 build at 4e6
 * 2.57-2.64 -> 2.19-2.21 ns per element; 1e5 unchanged. The same requests
 * in the float32 exps' pass (cy_row_expsumf) ran 1e5 a tenth slower in
 * chunks of 128 groups (its sums' lanes then meet per chunk) on the AMD EPYC
 * VM of 2026-12-01; that pass asks instead for the first
 * CY_PREFETCH_NEXT_ROW bytes of the next row before it starts, one burst
 * (mixed there; on the Intel Xeon VM of 2026-12-02, rows of 1000, one
 * thread, in place: softmax float32 0.52-0.56 -> 0.49-0.50 ns per element
 * at 1e6 and 4e6, log_softmax 0.53-0.56 -> 0.50-0.53, 1e5 0.95-0.99 of the
 * time; the same request at the row's start, before its max pass, did no
 * better). In log_softmax_grad's float64
 * pass (cy_log_softmax_vjp_rowd, y and g asked for) 1e5 ran 0.88-0.93 of
 * its speed and 4e6 0.93-0.97: left out there. */
#define CY_PREFETCH_CHUNK 64
#define CY_PREFETCH_NEXT_ROW 4096
/* The transcendental elementwise loops (sigmoid, tanh, elu and their
 * derivatives from x; _kernels.pyx.tp's _<name>_range) go through an input
 * of at least CY_STREAM_MIN bytes in chunks of CY_STREAM_CHUNK, each first
 * asking for the chunk CY_STREAM_AHEAD bytes on. A loop that spends a
 * nanosecond per element keeps only a few lines of its input in flight,
 * and on a 2-core Intel Xeon VM (2026-12-02) the hardware prefetchers did
 * not make up for it: float64 tanh took 1.2 ns per element at 1e5 (in L2)
 * and 2.5-3.3 at 4e6, elu 3.6-4.1, sigmoid 1.4-1.5; with the requests
 * 1.20-1.24, 1.23 and 0.88 (one thread, in place, AVX-512; float32 elu
 * 0.73 -> 0.57, sigmoid 0.34 -> 0.32, tanh unchanged). Chunks of 1 KiB
 * asking 2-4 KiB ahead did best: 2-8 KiB chunks ran slower (a burst of
 * requests fills the line-fill buffers), 256-512 B no faster. Below
 * CY_STREAM_MIN (an input that fits in L2, as after the layer that made
 * it) the chunks cost 1e5 1-6% and the loop runs whole.
 * The sums and dot products of the backward rows (cy__row_sum_check,
 * cy__dotd) ask for a line of each input CY_STREAM_AHEAD bytes on per line
 * they read (past a row of 1000 floats: the next row's), on the same VM,
 * rows of 1000, one thread, g restored before each call: softmax_grad
 * float32 at 4e6 0.40 -> 0.30 ns per element, float64 1.06-1.18 ->
 * 0.78-0.80, log_softmax_grad 0.61 -> 0.45 and 1.84-1.88 -> 1.58-1.61;
 * 1e6 0.84-0.94 of the time, 1e5 0.80-1.00 (asking 1 or 2 KiB on, float32
 * at 4e6 0.85 and 0.77 of the time, 6 or 8 KiB as 4). */
#define CY_STREAM_CHUNK 1024
#define CY_STREAM_AHEAD 4096
#define CY_STREAM_MIN (1 << 20)

/* Whether these requests are made (cy_stream_lines): on x86 only on Intel's
 * CPUs, set once at the module's import (cy_stream_requests_init). Why: on
 * the AMD EPYC VM (Zen 4, 2026-12-02; rows of 1000 and prelu's (N, 10, 100),
 * 4e6, one thread, in place, one build with CYACT_STREAM_PREFETCH=1 and 0 in
 * alternate processes, medians of 9) the requests made the backward passes
 * slower, where its hardware prefetcher keeps up: without them softmax_grad
 * float32 and float64 ran 1.11x and 1.09x as fast, log_softmax_grad float32
 * 1.24x, prelu_grad float64 1.10x (float32 0.97x), tanh float64 1.08x.
 * Elsewhere (not x86) they stay on, as measured nowhere else. */
static int cy__stream_requests = 1;
/* forced: 0 or 1 sets it (CYACT_STREAM_PREFETCH), else the CPU decides */
static inline int cy_stream_requests_init(int forced)
{
#if defined(__x86_64__) || defined(__i386__)
    __builtin_cpu_init();
    cy__stream_requests = __builtin_cpu_is("intel");
#endif
    if (forced == 0 || forced == 1)
        cy__stream_requests = forced;
    return cy__stream_requests;
}
static inline void cy_stream_lines(const void *base, Py_ssize_t offset, Py_ssize_t bytes)
{
    if (cy__stream_requests)
        cy_prefetch_lines(base, offset, bytes);
}

/* Before the chunk of elements [i, i + CY_STREAM_CHUNK / size) of an array
 * of n: ask for the chunk CY_STREAM_AHEAD bytes further on, within the array. */
static inline void cy_stream_ahead(const void *base, Py_ssize_t i, Py_ssize_t n, size_t size)
{
    Py_ssize_t from = i * (Py_ssize_t)size + CY_STREAM_AHEAD, end = n * (Py_ssize_t)size;
    if (from < end)
        cy_stream_lines(base, from, end - from < CY_STREAM_CHUNK ? end - from : CY_STREAM_CHUNK);
}

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
 * four spilled registers on AVX2 and were slower on rows of 1000. */
#define CY_ROWS_DEFINE(T, I, SUFFIX)                                            \
typedef T cy__v##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(T))));     \
typedef T cy__r##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(double)))); \
typedef I cy__rm##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(double)))); \
                                                                                \
static inline __attribute__((always_inline)) T                                 \
cy__row_max##SUFFIX(const T *x, Py_ssize_t n)                                  \
{                                                                               \
    enum { L = CY_LANES * sizeof(double) / sizeof(T), K = 2 };                  \
    const cy__r##SUFFIX zero = {0};                                             \
    cy__r##SUFFIX m[K], nan[K], v;                                              \
    cy__rm##SUFFIX gt;                                                          \
    Py_ssize_t i = 0;                                                           \
    T best = x[0], seen_nan = 0;                                                \
    int j, k;                                                                   \
    if (n >= K * L) {                                                           \
        for (k = 0; k < K; k++) {                                               \
            memcpy(&m[k], x + k * L, sizeof v);                                 \
            nan[k] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, m[k] != m[k],    \
                                m[k], zero);                                    \
        }                                                                       \
        for (i = K * L; i + K * L <= n; i += K * L)                             \
            for (k = 0; k < K; k++) {                                           \
                memcpy(&v, x + i + k * L, sizeof v);                            \
                gt = v > m[k];                                                  \
                m[k] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, gt, v, m[k]);  \
                nan[k] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, v != v,      \
                                    v, nan[k]);                                 \
            }                                                                   \
        /* vectors first: a row of 1000 floats was a fifth lane by lane */    \
        for (k = 1; k < K; k++) {                                               \
            gt = m[k] > m[0];                                                   \
            m[0] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX, gt, m[k], m[0]);   \
            nan[0] = CY__SELECT(cy__r##SUFFIX, cy__rm##SUFFIX,                  \
                                nan[k] != nan[k], nan[k], nan[0]);              \
        }                                                                       \
        for (j = 0; j < L; j++) {                                               \
            best = m[0][j] > best ? m[0][j] : best;                             \
            seen_nan = nan[0][j] != nan[0][j] ? nan[0][j] : seen_nan;           \
        }                                                                       \
    }                                                                           \
    for (; i < n; i++) {                                                        \
        best = x[i] > best ? x[i] : best;                                       \
        seen_nan = x[i] != x[i] ? x[i] : seen_nan;                              \
    }                                                                           \
    return seen_nan != seen_nan ? seen_nan : best;                              \
}

/* sum + comp, a compensated sum's value. A sum that is not finite (a term
 * +-inf or NaN, or an overflow) is the value itself: its compensation is
 * NaN then (inf - inf inside the 2Sums), and adding it turned an infinite
 * sum into NaN (softmax_grad's dot with one infinite grad made the whole
 * float64 row NaN, where the others are -inf or +inf). */
static inline double cy_compensated(double sum, double comp)
{
    return sum - sum == 0 ? sum + comp : sum;
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
    for (; i + 2 * CY_LANES <= n; i += 2 * CY_LANES) {
        /* CY_STREAM_AHEAD bytes on, the arrays that come from memory: not
         * op 2's, a row's exps (cy_row_possumd: 4-7% slower with them) */
        if (op != 2)
            cy_stream_lines(x + i, CY_STREAM_AHEAD, 2 * sizeof w);
        if (op == 1)
            cy_stream_lines(g + i, CY_STREAM_AHEAD, 2 * sizeof w);
        for (k = 0; k < 2; k++) {
            memcpy(&w, x + i + k * CY_LANES, sizeof w);
            if (op) {
                memcpy(&v, g + i + k * CY_LANES, sizeof v);
                w = op == 1 ? w * v : w + v;
            }
            cy__two_sum(&s[k], &w, &c[k]);
        }
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

/* exp(x - m) of one float of a row (cy_expf_row); where skip_max is set
 * (log_softmax's sum), exp(x - m) 2^100 (cy_expf_row_lse), 0 where x is m,
 * and *nonmax counts the others (a NaN among them: it is not m). */
static inline __attribute__((always_inline)) float
cy__row_expf1(float v, float m, int skip_max, int *nonmax)
{
    float d = v - m, bv = d - v;
    /* d is 0 only where v is m (x - m is exact near 0); -inf gives 0 */
    int other = d != 0.0f;
    float err = (v - (d - bv)) + (-m - bv);
    float e = skip_max ? cy_expf_row_lse(d, err) : cy_expf_row(d, err);
    *nonmax += other;
    return skip_max && !other ? 0.0f : e;
}

/* Group i of cy_row_expsumf: the sum of exp(x[i + g h] - m) over g < G
 * (G = 2 or 4), and out (unless NULL) given each; kept: 0 and out left as
 * it is (its places rewritten with what they hold), nothing counted. */
static inline __attribute__((always_inline)) float
cy__expsum_group(const float *x, float m, float *out, Py_ssize_t h, Py_ssize_t i,
                 int kept, int *nonmax, int G)
{
    int c = 0;
    float e0 = cy__row_expf1(x[i], m, !out, &c), e1 = cy__row_expf1(x[i + h], m, !out, &c);
    float e2 = 0, e3 = 0;
    if (G == 4) {
        e2 = cy__row_expf1(x[i + 2 * h], m, !out, &c);
        e3 = cy__row_expf1(x[i + 3 * h], m, !out, &c);
    }
    if (out) {
        out[i] = kept ? out[i] : e0;
        out[i + h] = kept ? out[i + h] : e1;
        if (G == 4) {
            out[i + 2 * h] = kept ? out[i + 2 * h] : e2;
            out[i + 3 * h] = kept ? out[i + 3 * h] : e3;
        }
    }
    *nonmax += kept ? 0 : c;
    return kept ? 0.0f : G == 2 ? e0 + e1 : (e0 + e1) + (e2 + e3);
}

/* The exps of a float row with a finite maximum m, in float lanes
 * (cy_expf_row, with the rounding error of x - m), and their sum, in one
 * pass. The exps of a group, x[i + g h] for g < G (h = n/G), are added in
 * float and only that sum is converted to double and summed there: the
 * conversions, not the exps, bounded the pass (float32 softmax on AVX-512:
 * 0.385 -> 0.300 ns per element for the pass with pairs, 1.14 -> 1.34 of
 * PyTorch for the softmax). The float additions add at most 2^-24 (pairs)
 * or 2^-23 (quads) to the sum's relative error; the double sum's n 2^-53
 * is far below. omp simd lets GCC vectorize the reductions in lanes of its
 * choice, fixed for a build, so no result depends on the thread count. A
 * NaN in the row makes the sum NaN.
 * out given (softmax): pairs, out[i] = exp(x[i] - m) (out may be x: each
 * iteration reads and writes the same places), and the sum of all; the
 * maxima give exp(0) = 1 by themselves.
 * out NULL (log_softmax): quads, the sum of the exps of all but the maxima,
 * and in *maxima how many there are: log1p(sum + maxima - 1) then keeps
 * relative accuracy where the sum is tiny, which the sum of all would lose
 * to the maxima's 1, also in the float groups. An x so close to m that its
 * exp rounds to 1 (|m| < 1/2 only) stays in the sum, which is then at least
 * 1, and its group's rounding within 2^-23 of it. Why quads there: half the
 * conversions (log_softmax float32 over rows of 1000: 0.443 -> 0.430 ns per
 * element on AVX-512, 0.645 -> 0.607 on AVX2); softmax keeps pairs, whose
 * outputs carry the sum's error. Why the count here: the comparison with 0
 * is made for the sum anyway, and a pass of its own or counting beside the
 * max cost a tenth of log_softmax float32 (rows of 1000 on AVX-512), this
 * an add per vector. int lanes, exact for each chunk of 2^28 groups. */
static inline __attribute__((always_inline)) double
cy__expsum_groups(const float *x, float m, float *out, Py_ssize_t n, int G, double *maxima)
{
    /* The groups beyond the last whole vector are one more vector, ending
     * at the last group and overlapping the one before, whose groups it
     * keeps: GCC's remainder loop for them is scalar. From a quarter of a
     * vector on, that vector costs less (AVX-512, ns per element for rows
     * of 1008 floats: softmax 0.444 -> 0.419, log_softmax 0.504 -> 0.470;
     * rows of 40: 1.56 -> 1.45 and 2.36 -> 2.12; AVX2 alike); below, the
     * groups go one by one.
     * The sums are W lanes held in acc (two vector registers of doubles),
     * added at the end in a tree of log2 W steps in a fixed order. Why: in
     * an omp simd reduction GCC added its 16 lanes one after another, 16
     * dependent adds per row, and on rows of 32 those took a third of the
     * pass (float32 softmax, AVX-512, ns per element, medians of 4
     * alternating rounds: rows of 32 1.28 -> 1.11, 48 1.47 -> 1.23, 64
     * 0.89 -> 0.71, 1000 unchanged; AVX2 rows of 64 0.94 -> 0.87; the
     * baseline build, which had GCC's loop over all pairs, rows of 32 2.9
     * -> 2.1, 1000 unchanged). */
    enum { W = 2 * CY_LANES };
    const Py_ssize_t h = n / G, hv = h - h % W;
    const Py_ssize_t chunk = (Py_ssize_t)1 << 28;
    double s = 0, others = 0, acc[W];
    float e;
    Py_ssize_t i, j, k, end;
    int c;
    for (j = 0; j < W; j++)
        acc[j] = 0;
    for (k = 0; k < hv; k += chunk) {
        end = hv - k < chunk ? hv : k + chunk;
        c = 0;
        for (i = k; i < end; i += W) {
#pragma omp simd reduction(+:c)
            for (j = 0; j < W; j++)
                acc[j] += cy__expsum_group(x, m, out, h, i + j, 0, &c, G);
        }
        others += c;
    }
    c = 0;
    if (h - hv >= W / 4 && h >= W) {
#pragma omp simd reduction(+:c)
        for (j = 0; j < W; j++)
            acc[j] += cy__expsum_group(x, m, out, h, h - W + j, j < W - (h - hv), &c, G);
    } else {
        for (i = hv; i < h; i++)
            s += cy__expsum_group(x, m, out, h, i, 0, &c, G);
    }
    /* the lanes in a tree (log2 W dependent adds, not W), in a fixed order */
#pragma GCC unroll 8
    for (k = W / 2; k >= 1; k /= 2)
#pragma GCC unroll 16
        for (j = 0; j < k; j++)
            acc[j] += acc[j + k];
    s += acc[0];
    for (i = G * h; i < n; i++) {
        e = cy__row_expf1(x[i], m, !out, &c);
        if (out)
            out[i] = e;
        s += e;
    }
    if (maxima)
        *maxima = (double)n - (others + c);
    return s;
}

/* log_softmax's sum with AVX-512 or AVX2: what cy__expsum_groups gives for
 * out NULL (the exps of all but the maxima, scaled by 2^100, and the maxima
 * counted), its exps from a table of 2^(j/L) held in one register (L = 16
 * lanes with AVX-512, 8 with AVX2). x - m = d + err (2Sum) = (L E + j) ln2/L
 * + r, |r| <= ln2/2L and a hair; exp = 2^(E + 100) T[j] (1 + p(r)), p a
 * minimax polynomial of degree 3 (AVX-512; within 2^-29.2 of expm1 there) or
 * 4 (AVX2; 2^-32.3), T[j] = 2^(j/L) rounded (2^-25): the product rounded
 * once, about 1 ULP of float at most, as cy_expf_row_lse. One vpermd looks
 * T[j] up for every lane; T's entries hold 2^100 and minus j's bits, so that
 * adding t's bits, shifted, makes the scale. Why: cy_expf_row's polynomial of
 * degree 6 took 7 FMAs, these 3 or 4 and the lookup (log_softmax float32 over
 * rows of 1000, n = 1e6, AMD EPYC: 0.552 -> 0.469 ns per element with
 * AVX-512, 0.949 -> 0.803 with AVX2). The exps of a vector are counted by a
 * popcount of their mask (AVX2: a movmskps first); a vector masked to the
 * row's end takes the rest. Groups of four vectors are added in float
 * (2^-23 relative at most) before their conversion to double.
 * The ISA's words below: CY__LP(op) its intrinsic, its mask type (AVX-512's
 * registers, AVX2's vectors), a compare under a mask, a masked load, a
 * count, the lanes kept, a vector's halves and the scale from the table. */
#if defined(__AVX512F__)
#define CY__LSE_LANES 16
#define CY__LP(op) _mm512_##op
typedef __m512 cy__lsev;
typedef __m512i cy__lsei;
typedef __m512d cy__lsed;
typedef __mmask16 cy__lsem;
#define CY__LSE_ALL ((cy__lsem)0xFFFF)
#define CY__LSE_REST(k) ((cy__lsem)((1u << (k)) - 1))
#define CY__LSE_LOAD(valid, p) _mm512_maskz_loadu_ps(valid, p)
#define CY__LSE_CMP(mask, a, b, pred) _mm512_mask_cmp_ps_mask(mask, a, b, pred)
#define CY__LSE_COUNT(mask) __builtin_popcount((unsigned)(mask))
#define CY__LSE_KEEP(mask, v) _mm512_maskz_mov_ps(mask, v)
#define CY__LSE_LO(g) _mm512_castps512_ps256(g)
#define CY__LSE_HI(g) _mm256_castpd_ps(_mm512_extractf64x4_pd(_mm512_castps_pd(g), 1))
/* T[j] for the low bits of t, plus t's bits shifted: 2^(E + 100 + j/16) */
#define CY__LSE_SCALE(t, tab)                                                   \
    _mm512_castsi512_ps(_mm512_add_epi32(                                       \
        _mm512_permutexvar_epi32(_mm512_castps_si512(t), tab),                  \
        _mm512_slli_epi32(_mm512_castps_si512(t), 19)))
#define CY__LSE_POLY(r)                                                         \
    _mm512_fmadd_ps(_mm512_set1_ps(0x1.55559ap-3f), r, _mm512_set1_ps(0x1.00021ep-1f))
/* bits of 2^(j/16) + (100 << 23) - (j << 19) */
#define CY__LSE_TAB                                                              \
    _mm512_setr_epi32(0x71800000, 0x717daac3, 0x717b95c2, 0x7179c3d3, 0x717837f0, \
                      0x7176f532, 0x7175fed7, 0x7175583f, 0x717504f3, 0x717508a4, \
                      0x7175672a, 0x7176248c, 0x717744fd, 0x7178ccdf, 0x717ac0c7, \
                      0x717d257d)
#define CY__LSE_LOG2E 0x1.715476p+4f    /* L / ln2 */
#define CY__LSE_LN2HI 0x1.62e43p-5f     /* ln2 / L = HI + LO */
#define CY__LSE_LN2LO -0x1.05c61p-33f
#elif defined(__AVX2__) && defined(__FMA__)
#define CY__LSE_LANES 8
#define CY__LP(op) _mm256_##op
typedef __m256 cy__lsev;
typedef __m256i cy__lsei;
typedef __m256d cy__lsed;
typedef __m256 cy__lsem;
#define CY__LSE_ALL _mm256_castsi256_ps(_mm256_set1_epi32(-1))
#define CY__LSE_REST(k)                                                         \
    _mm256_castsi256_ps(_mm256_cmpgt_epi32(_mm256_set1_epi32(k),                \
                                           _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)))
#define CY__LSE_LOAD(valid, p) _mm256_maskload_ps(p, _mm256_castps_si256(valid))
#define CY__LSE_CMP(mask, a, b, pred) _mm256_and_ps(mask, _mm256_cmp_ps(a, b, pred))
#define CY__LSE_COUNT(mask) __builtin_popcount((unsigned)_mm256_movemask_ps(mask))
#define CY__LSE_KEEP(mask, v) _mm256_and_ps(mask, v)
#define CY__LSE_LO(g) _mm256_castps256_ps128(g)
#define CY__LSE_HI(g) _mm256_extractf128_ps(g, 1)
#define CY__LSE_SCALE(t, tab)                                                   \
    _mm256_castsi256_ps(_mm256_add_epi32(                                       \
        _mm256_permutevar8x32_epi32(tab, _mm256_castps_si256(t)),               \
        _mm256_slli_epi32(_mm256_castps_si256(t), 20)))
#define CY__LSE_POLY(r)                                                          \
    _mm256_fmadd_ps(_mm256_fmadd_ps(_mm256_set1_ps(0x1.554842p-5f), r,            \
                                    _mm256_set1_ps(0x1.555c76p-3f)), r, _mm256_set1_ps(0.5f))
/* bits of 2^(j/8) + (100 << 23) - (j << 20) */
#define CY__LSE_TAB                                                              \
    _mm256_setr_epi32(0x71800000, 0x717b95c2, 0x717837f0, 0x7175fed7, 0x717504f3, \
                      0x7175672a, 0x717744fd, 0x717ac0c7)
#define CY__LSE_LOG2E 0x1.715476p+3f
#define CY__LSE_LN2HI 0x1.62e43p-4f
#define CY__LSE_LN2LO -0x1.05c61p-32f
#endif

#ifdef CY__LSE_LANES
static inline __attribute__((always_inline)) cy__lsev
cy__lse_exps(const float *p, cy__lsev m, cy__lsem valid, cy__lsei tab, Py_ssize_t *nonmax)
{
    const cy__lsev lo = CY__LP(set1_ps)(CY_EXPF_ROW_LSE_LO);
    const cy__lsev magic = CY__LP(set1_ps)(CY__F_MAGIC);
    const cy__lsev zero = CY__LP(setzero_ps)();
    cy__lsev v = CY__LSE_LOAD(valid, p);
    cy__lsev d = CY__LP(sub_ps)(v, m), bv = CY__LP(sub_ps)(d, v);
    /* d's rounding error: NaN where x = -inf (d = -inf), made 0 by keep */
    cy__lsev err = CY__LP(add_ps)(CY__LP(sub_ps)(v, CY__LP(sub_ps)(d, bv)),
                                  CY__LP(sub_ps)(CY__LP(sub_ps)(zero, m), bv));
    /* not a maximum (a NaN neither: its NaN then reaches the sum) */
    cy__lsem other = CY__LSE_CMP(valid, d, zero, _CMP_NEQ_UQ);
    cy__lsem keep = CY__LSE_CMP(other, d, lo, _CMP_NLT_UQ);
    /* maxps returns its second operand for a NaN: d's NaN stays */
    cy__lsev dc = CY__LP(max_ps)(lo, d);
    cy__lsev t = CY__LP(fmadd_ps)(dc, CY__LP(set1_ps)(CY__LSE_LOG2E), magic);
    cy__lsev n = CY__LP(sub_ps)(t, magic);
    cy__lsev r = CY__LP(fnmadd_ps)(n, CY__LP(set1_ps)(CY__LSE_LN2HI), dc);
    r = CY__LP(add_ps)(CY__LP(fnmadd_ps)(n, CY__LP(set1_ps)(CY__LSE_LN2LO), r), err);
    cy__lsev e = CY__LP(fmadd_ps)(CY__LSE_POLY(r), CY__LP(mul_ps)(r, r), r);
    cy__lsev sc = CY__LSE_SCALE(t, tab);
    *nonmax += CY__LSE_COUNT(other);
    return CY__LSE_KEEP(keep, CY__LP(fmadd_ps)(sc, e, sc));
}

/* *s0, *s1 += the float lanes of g, converted to double, low and high half */
static inline __attribute__((always_inline)) void
cy__lse_add(cy__lsed *s0, cy__lsed *s1, cy__lsev g)
{
    *s0 = CY__LP(add_pd)(*s0, CY__LP(cvtps_pd)(CY__LSE_LO(g)));
    *s1 = CY__LP(add_pd)(*s1, CY__LP(cvtps_pd)(CY__LSE_HI(g)));
}

static inline double cy__lse_sumf(const float *x, float m, Py_ssize_t n, double *maxima)
{
    enum { L = CY__LSE_LANES };
    const cy__lsei tab = CY__LSE_TAB;
    const cy__lsev vm = CY__LP(set1_ps)(m);
    cy__lsed s0 = CY__LP(setzero_pd)(), s1 = CY__LP(setzero_pd)();
    cy__lsev g;
    double lanes[L / 2], sum = 0;
    Py_ssize_t i, c = 0;  /* c: the exps counted, a row of 2^31 too */
    int j;
    for (i = 0; i + 4 * L <= n; i += 4 * L) {
        g = CY__LP(add_ps)(CY__LP(add_ps)(cy__lse_exps(x + i, vm, CY__LSE_ALL, tab, &c),
                                          cy__lse_exps(x + i + L, vm, CY__LSE_ALL, tab, &c)),
                           CY__LP(add_ps)(cy__lse_exps(x + i + 2 * L, vm, CY__LSE_ALL, tab, &c),
                                          cy__lse_exps(x + i + 3 * L, vm, CY__LSE_ALL, tab, &c)));
        cy__lse_add(&s0, &s1, g);
    }
    for (; i < n; i += L) {
        g = cy__lse_exps(x + i, vm, n - i >= L ? CY__LSE_ALL : CY__LSE_REST((int)(n - i)), tab, &c);
        cy__lse_add(&s0, &s1, g);
    }
    CY__LP(storeu_pd)(lanes, CY__LP(add_pd)(s0, s1));
    for (j = 0; j < L / 2; j++)
        sum += lanes[j];
    *maxima = (double)(n - c);
    return sum;
}
#endif

static inline double cy_row_expsumf(const float *x, float m, float *out, Py_ssize_t n,
                                    double *maxima)
{
    if (out)
        return cy__expsum_groups(x, m, out, n, 2, NULL);
    /* log_softmax's exps come scaled by 2^100: back here, exactly */
    return
#ifdef CY__LSE_LANES
        cy__lse_sumf(x, m, n, maxima)
#else
        cy__expsum_groups(x, m, NULL, n, 4, maxima)
#endif
        / CY_EXPF_ROW_LSE_SCALE;
}

/* The exps of a pass of short float rows (cyact's _short_rows): e[i] =
 * exp(x[i] - m[i]) with m[i] the maximum of element i's row, as
 * cy__row_expf1 gives it (lse: log_softmax's), in vector lanes across the
 * rows. Two loops, so that skip_max is a constant in each (as cy__dotd's
 * op): each compiles to a vector loop of its own, without the other's
 * selects. */
static inline void cy_short_expsf(const float *x, const float *m, float *e, Py_ssize_t len,
                                  int lse)
{
    Py_ssize_t i;
    int c = 0;
    if (lse) {
#pragma omp simd reduction(+:c)
        for (i = 0; i < len; i++)
            e[i] = cy__row_expf1(x[i], m[i], 1, &c);
    } else {
#pragma omp simd reduction(+:c)
        for (i = 0; i < len; i++)
            e[i] = cy__row_expf1(x[i], m[i], 0, &c);
    }
}

/* out[i] = e[i] q for a row of float exps (e may be out), q = 1/sum in
 * double: q = qh + ql (two floats), out = fma(e, qh, e ql), rounded once (a
 * subnormal result too), within a hair of e q rounded once. */
static inline void cy_row_scalef(const float *e, float *out, Py_ssize_t n, double q)
{
    const float qh = (float)q, ql = (float)(q - (double)qh);
    Py_ssize_t i;
#pragma omp simd
    for (i = 0; i < n; i++)
        out[i] = CY__FMAF(e[i], qh, e[i] * ql);
}

/* Strips of columns (cyact's _cols_forward): S columns of length n, rows
 * inner apart, S a constant at each call (two vectors of the build's
 * registers: CY_COL_STRIPF floats, CY_COL_STRIPD doubles), so that GCC keeps
 * the strip's maxima, sums and counts in registers through the loop over the
 * rows and each row is S lanes of straight vector code. Why: the tile's
 * arrays of maxima and sums, loaded and stored again at every row in a loop
 * over a variable width, had float32 softmax over axis 0 of (1000, 100) at
 * 2.2 times and (1000, 16) at 3 times the time of the same work along rows.
 * Each element gets the rows' per-element exps and formulas (as
 * cy_short_expsf), the sums are in double, and each column's sum is added in
 * the same order whatever S (and the thread count). float32 softmax /
 * log_softmax over axis 0, medians of 5 alternating rounds against those
 * tiles (AVX-512, ms): (1000, 4000) 2.87 / 3.22 -> 2.21 / 2.22, (1000, 100)
 * 0.084 / 0.090 -> 0.050 / 0.051; float64 6.32 / 6.27 -> 4.19 / 4.45 and
 * 0.148 / 0.148 -> 0.117 / 0.121. */
#define CY_COL_STRIPF (4 * CY_LANES)
#define CY_COL_STRIPD (2 * CY_LANES)

#define CY_COLS_DEFINE(T, SUFFIX)                                               \
/* m[j] = the max of column j's numbers (NaN ignored: -inf for a column of   \
 * NaN, which the caller leaves to the rows' code, with the infinities) */    \
static inline __attribute__((always_inline)) void                              \
cy_col_max##SUFFIX(const T *x, Py_ssize_t n, Py_ssize_t inner, T *m, int S)     \
{                                                                               \
    T mm[CY_COL_STRIPF];                                                        \
    Py_ssize_t i;                                                               \
    int j;                                                                      \
    for (j = 0; j < S; j++)                                                     \
        mm[j] = (T)-__builtin_inff();                                           \
    for (i = 0; i < n; i++) {                                                   \
        const T *r = x + i * inner;                                             \
        _Pragma("omp simd")                                                     \
        for (j = 0; j < S; j++)                                                 \
            mm[j] = r[j] > mm[j] ? r[j] : mm[j];                                \
    }                                                                           \
    for (j = 0; j < S; j++)                                                     \
        m[j] = mm[j];                                                           \
}                                                                               \
                                                                                \
/* The outputs from the columns' constants: log_softmax x - m - q (out may   \
 * be x); softmax out (the exps) times 1/s = q + ql (cy__col_scale) */        \
static inline __attribute__((always_inline)) void                              \
cy_col_out##SUFFIX(const T *x, T *out, Py_ssize_t n, Py_ssize_t inner,          \
                   const T *m, const double *s, const T *q, const T *ql,        \
                   int S, int lse)                                              \
{                                                                               \
    T mm[CY_COL_STRIPF], qq[CY_COL_STRIPF], qql[CY_COL_STRIPF];                 \
    double ss[CY_COL_STRIPF];                                                   \
    Py_ssize_t i;                                                               \
    int j;                                                                      \
    for (j = 0; j < S; j++) {                                                   \
        mm[j] = m[j];                                                           \
        qq[j] = q[j];                                                           \
        qql[j] = lse ? 0 : ql[j];                                               \
        ss[j] = lse ? 0 : s[j];                                                 \
    }                                                                           \
    for (i = 0; i < n; i++) {                                                   \
        const T *r = x + i * inner;                                             \
        T *o = out + i * inner;                                                 \
        _Pragma("omp simd")                                                     \
        for (j = 0; j < S; j++)                                                 \
            o[j] = lse ? (r[j] - mm[j]) - qq[j]                                 \
                       : cy__col_scale##SUFFIX(o[j], ss[j], qq[j], qql[j]);     \
    }                                                                           \
}

/* b / s from 1/s = q + ql: float as cy_row_scalef, double cy_div_by */
static inline __attribute__((always_inline)) float
cy__col_scalef(float b, double s, float q, float ql)
{
    (void)s;
    return CY__FMAF(b, q, b * ql);
}
static inline __attribute__((always_inline)) double
cy__col_scaled(double b, double s, double q, double ql)
{
    return cy_div_by(b, s, q, ql);
}

CY_COLS_DEFINE(float, f)
CY_COLS_DEFINE(double, d)

/* The exps of a float strip with finite maxima m and their sums in double,
 * s: softmax stores them in out (which may be x); log_softmax's leave out
 * the maxima (lse, as cy_short_expsf), and k counts those. As in
 * cy_row_expsumf, the exps of G rows h = n / G apart (softmax pairs,
 * log_softmax quads) are added in float before their sum is converted and
 * added in double: half or a quarter of the conversions. */
static inline __attribute__((always_inline)) void
cy_col_expsf(const float *x, const float *m, float *out, double *s, int *k,
             Py_ssize_t n, Py_ssize_t inner, int S, int lse)
{
    const int G = lse ? 4 : 2;
    const Py_ssize_t h = n / G;
    float mm[CY_COL_STRIPF];
    double ss[CY_COL_STRIPF];
    int kk[CY_COL_STRIPF];
    Py_ssize_t i;
    int j, c = 0;
    for (j = 0; j < S; j++) {
        mm[j] = m[j];
        ss[j] = 0;
        kk[j] = 0;
    }
    for (i = 0; i < h; i++) {
        /* the next strip's lines in these rows (the columns S on), asked
         * for while the exps take their time: float32 over axis 0 of (1000,
         * 4000), 5 alternating rounds, softmax 2.46-2.98 ms against
         * 2.77-3.53 without, log_softmax 2.47-2.96 against 2.80-3.56
         * (float64, the same requests below, about even) */
        for (j = 0; j < G; j++)
            cy_prefetch_lines(x, ((i + j * h) * inner + S) * (Py_ssize_t)sizeof(float),
                              S * (Py_ssize_t)sizeof(float));
#pragma omp simd reduction(+:c)
        for (j = 0; j < S; j++) {
            const float *r = x + i * inner + j;
            float *o = out + i * inner + j;
            float e0 = cy__row_expf1(r[0], mm[j], lse, &c);
            float e1 = cy__row_expf1(r[h * inner], mm[j], lse, &c);
            if (lse) {
                float e2 = cy__row_expf1(r[2 * h * inner], mm[j], lse, &c);
                float e3 = cy__row_expf1(r[3 * h * inner], mm[j], lse, &c);
                kk[j] += (r[0] == mm[j]) + (r[h * inner] == mm[j])
                         + (r[2 * h * inner] == mm[j]) + (r[3 * h * inner] == mm[j]);
                ss[j] += (e0 + e1) + (e2 + e3);
            } else {
                o[0] = e0;
                o[h * inner] = e1;
                ss[j] += e0 + e1;
            }
        }
    }
    for (i = G * h; i < n; i++) {
        const float *r = x + i * inner;
        float *o = out + i * inner;
#pragma omp simd reduction(+:c)
        for (j = 0; j < S; j++) {
            float e = cy__row_expf1(r[j], mm[j], lse, &c);
            if (lse)
                kk[j] += r[j] == mm[j];
            else
                o[j] = e;
            ss[j] += e;
        }
    }
    for (j = 0; j < S; j++) {
        s[j] = ss[j];
        k[j] = kk[j];
    }
}

/* The same for a double strip, the exps scaled (cy_exp_rowd, with the
 * rounding error of x - m) and summed with compensation: s, c. */
static inline __attribute__((always_inline)) void
cy_col_expsd(const double *x, const double *m, double *out, double *s, double *c,
             int *k, Py_ssize_t n, Py_ssize_t inner, int S, int lse)
{
    double mm[CY_COL_STRIPD], ss[CY_COL_STRIPD], cc[CY_COL_STRIPD];
    int kk[CY_COL_STRIPD];
    Py_ssize_t i;
    int j;
    for (j = 0; j < S; j++) {
        mm[j] = m[j];
        ss[j] = 0;
        cc[j] = 0;
        kk[j] = 0;
    }
    for (i = 0; i < n; i++) {
        const double *r = x + i * inner;
        double *o = out + i * inner;
        cy_prefetch_lines(r, S * (Py_ssize_t)sizeof(double), S * (Py_ssize_t)sizeof(double));
#pragma omp simd
        for (j = 0; j < S; j++) {
            double v = r[j], d = v - mm[j], bv = d - v;
            double err = (v - (d - bv)) + (-mm[j] - bv);
            double e = lse ? cy_exp_rowd_lse(d, err) : cy_exp_rowd(d, err);
            cc[j] += cy__two_sum1(&ss[j], e);
            if (lse)
                kk[j] += v == mm[j];
            else
                o[j] = e;
        }
    }
    for (j = 0; j < S; j++) {
        s[j] = ss[j];
        c[j] = cc[j];
        k[j] = kk[j];
    }
}

/* The strips of softmax's (lse: log_softmax's) vector-Jacobian product
 * (cyact's _cols_vjp): the columns' sums of g y (lse: of g) in double, then
 * y (g - s) (lse: g - exp(y) s), rounded once, as the rows' general forms;
 * out may be y or g. */
static inline __attribute__((always_inline)) void
cy_col_vjpf(const float *y, const float *g, float *out, Py_ssize_t n, Py_ssize_t inner,
            int S, int lse)
{
    double ss[CY_COL_STRIPF];
    Py_ssize_t i;
    int j;
    for (j = 0; j < S; j++)
        ss[j] = 0;
    for (i = 0; i < n; i++) {
        const float *yr = y + i * inner, *gr = g + i * inner;
#pragma omp simd
        for (j = 0; j < S; j++)
            ss[j] += lse ? (double)gr[j] : (double)yr[j] * (double)gr[j];
    }
    for (i = 0; i < n; i++) {
        const float *yr = y + i * inner, *gr = g + i * inner;
        float *o = out + i * inner;
#pragma omp simd
        for (j = 0; j < S; j++)
            o[j] = lse ? (float)(gr[j] - cy_exp_of_float(yr[j]) * ss[j])
                       : (float)(yr[j] * (gr[j] - ss[j]));
    }
}

/* The same in double, the sums compensated (2Sum, finished by
 * cy_compensated). */
static inline __attribute__((always_inline)) void
cy_col_vjpd(const double *y, const double *g, double *out, Py_ssize_t n, Py_ssize_t inner,
            int S, int lse)
{
    double ss[CY_COL_STRIPD], cc[CY_COL_STRIPD];
    Py_ssize_t i;
    int j;
    for (j = 0; j < S; j++) {
        ss[j] = 0;
        cc[j] = 0;
    }
    for (i = 0; i < n; i++) {
        const double *yr = y + i * inner, *gr = g + i * inner;
#pragma omp simd
        for (j = 0; j < S; j++)
            cc[j] += cy__two_sum1(&ss[j], lse ? gr[j] : yr[j] * gr[j]);
    }
    for (j = 0; j < S; j++)
        ss[j] = cy_compensated(ss[j], cc[j]);
    for (i = 0; i < n; i++) {
        const double *yr = y + i * inner, *gr = g + i * inner;
        double *o = out + i * inner;
#pragma omp simd
        for (j = 0; j < S; j++)
            o[j] = lse ? gr[j] - cy_exp(yr[j]) * ss[j] : yr[j] * (gr[j] - ss[j]);
    }
}

/* The row's max with AVX-512's mask registers, for the same result as
 * cy__row_max (which it calls for short rows and for rows with a NaN, found
 * on the way: a rare case, and there the NaN returned is cy__row_max's).
 * Why: from the vector extensions' selects GCC made each comparison a
 * vector of ones and zeros and compared again for the complement, where a
 * compare, a masked move and a NaN test ORed into a mask serve (doubles
 * over rows of 1000: 0.220 -> 0.156 ns per element, with a count then). The
 * remainder (n not a multiple of the vector) is one masked load, not a
 * scalar loop. V: the vector type, S: its intrinsics' suffix (ps, pd), M:
 * the mask type. */
#if defined(__AVX512F__)
#include <immintrin.h>
#define CY_ROWMAX512_DEFINE(T, V, S, M, SUFFIX)                                 \
/* one vector v (lanes outside rem are 0 and take no part) into chain m */     \
static inline __attribute__((always_inline)) void                              \
cy__rowmax512_step##SUFFIX(V *m, M *nan, const T *p, M rem)                     \
{                                                                               \
    V v = _mm512_maskz_loadu_##S(rem, p);                                       \
    *m = _mm512_mask_mov_##S(*m, _mm512_mask_cmp_##S##_mask(rem, v, *m,         \
                                                           _CMP_GT_OQ), v);     \
    *nan |= _mm512_mask_cmp_##S##_mask(rem, v, v, _CMP_UNORD_Q);                \
}                                                                               \
                                                                                \
static inline __attribute__((always_inline)) T                                 \
cy__row_max512##SUFFIX(const T *x, Py_ssize_t n)                               \
{                                                                               \
    enum { L = 64 / sizeof(T), K = 2 };                                         \
    const M all = (M)-1;                                                        \
    V m[K];                                                                     \
    M nan = 0;                                                                  \
    Py_ssize_t i;                                                               \
    T lane[L], best;                                                            \
    int j, k;                                                                   \
    if (n < K * L)                                                              \
        return cy__row_max##SUFFIX(x, n);                                       \
    for (k = 0; k < K; k++) {                                                   \
        m[k] = _mm512_loadu_##S(x + k * L);                                     \
        nan |= _mm512_cmp_##S##_mask(m[k], m[k], _CMP_UNORD_Q);                 \
    }                                                                           \
    for (i = K * L; i + K * L <= n; i += K * L)                                 \
        for (k = 0; k < K; k++)                                                 \
            cy__rowmax512_step##SUFFIX(&m[k], &nan, x + i + k * L, all);        \
    /* the rest: whole vectors, then the remainder in one masked load */       \
    for (k = 0; k < K; k++)                                                     \
        if (i < n) {                                                            \
            cy__rowmax512_step##SUFFIX(                                         \
                &m[k], &nan, x + i,                                             \
                n - i >= L ? all : (M)(((M)1 << (n - i)) - 1));                 \
            i += L;                                                             \
        }                                                                       \
    if (nan)                                                                    \
        return cy__row_max##SUFFIX(x, n);                                       \
    for (k = 1; k < K; k++)                                                     \
        m[0] = _mm512_mask_mov_##S(m[0], _mm512_cmp_##S##_mask(m[k], m[0],      \
                                                              _CMP_GT_OQ), m[k]); \
    _mm512_storeu_##S(lane, m[0]);                                              \
    best = lane[0];                                                             \
    for (j = 1; j < L; j++)                                                     \
        best = lane[j] > best ? lane[j] : best;                                 \
    return best;                                                                \
}
#define CY__ROW_MAX(SUFFIX) cy__row_max512##SUFFIX
#else
#define CY__ROW_MAX(SUFFIX) cy__row_max##SUFFIX
#endif

CY_ROWS_DEFINE(float, int, f)
CY_ROWS_DEFINE(double, long long, d)
#if defined(__AVX512F__)
CY_ROWMAX512_DEFINE(float, __m512, ps, __mmask16, f)
CY_ROWMAX512_DEFINE(double, __m512d, pd, __mmask8, d)
#endif

/* The public names, on the build's best form of the row max. */
static inline float cy_row_maxf(const float *x, Py_ssize_t n) { return CY__ROW_MAX(f)(x, n); }
static inline double cy_row_maxd(const double *x, Py_ssize_t n) { return CY__ROW_MAX(d)(x, n); }

/* The max of a row's numbers (n >= 1), a NaN ignored; -inf where the row
 * holds no number. For the exps of softmax and log_softmax, which let a NaN
 * through to their sum, and take the NaN-aware cy_row_max only where this is
 * not finite. Why: cy_row_max's NaN lanes and selects bound it, where four
 * chains of the machine's max (which keeps its second operand, the max so
 * far, against a NaN) are bound by the loads (rows of 1000 floats on
 * AVX-512: 0.073 -> 0.035 ns per element; log_softmax's max and count had
 * 0.104). Intrinsics: GCC's own max reduction (omp simd) gave 0.043 with
 * chains over the row's quarters, and reading four places at once cost the
 * passes after it more. Builds without x86 vectors take cy_row_max, whose
 * NaN sends the callers to it anyway. P: the intrinsics' prefix, S: their
 * suffix (ps, pd). */
#if defined(__SSE2__)
#include <immintrin.h>
#define CY_ROWS_MAXNUM_DEFINE(T, V, P, S, SUFFIX)                               \
static inline T cy_row_maxnum##SUFFIX(const T *x, Py_ssize_t n)                \
{                                                                               \
    enum { W = sizeof(V) / sizeof(T) };                                         \
    const T none = (T)(-1.0 / 0.0);                                             \
    V m0 = P##_set1_##S(none), m1 = m0, m2 = m0, m3 = m0;                       \
    T lane[W], best = none;                                                     \
    Py_ssize_t i = 0;                                                           \
    int j;                                                                      \
    for (; i + 4 * W <= n; i += 4 * W) {                                        \
        m0 = P##_max_##S(P##_loadu_##S(x + i), m0);                             \
        m1 = P##_max_##S(P##_loadu_##S(x + i + W), m1);                         \
        m2 = P##_max_##S(P##_loadu_##S(x + i + 2 * W), m2);                     \
        m3 = P##_max_##S(P##_loadu_##S(x + i + 3 * W), m3);                     \
    }                                                                           \
    for (; i + W <= n; i += W)                                                  \
        m0 = P##_max_##S(P##_loadu_##S(x + i), m0);                             \
    P##_storeu_##S(lane, P##_max_##S(P##_max_##S(m0, m1), P##_max_##S(m2, m3))); \
    for (j = 0; j < W; j++)                                                     \
        best = lane[j] > best ? lane[j] : best;                                 \
    for (; i < n; i++)                                                          \
        best = x[i] > best ? x[i] : best;                                       \
    return best;                                                                \
}
#if defined(__AVX512F__)
CY_ROWS_MAXNUM_DEFINE(float, __m512, _mm512, ps, f)
CY_ROWS_MAXNUM_DEFINE(double, __m512d, _mm512, pd, d)
#elif defined(__AVX__)
CY_ROWS_MAXNUM_DEFINE(float, __m256, _mm256, ps, f)
CY_ROWS_MAXNUM_DEFINE(double, __m256d, _mm256, pd, d)
#else
CY_ROWS_MAXNUM_DEFINE(float, __m128, _mm, ps, f)
CY_ROWS_MAXNUM_DEFINE(double, __m128d, _mm, pd, d)
#endif
#else
static inline float cy_row_maxnumf(const float *x, Py_ssize_t n) { return cy_row_maxf(x, n); }
static inline double cy_row_maxnumd(const double *x, Py_ssize_t n) { return cy_row_maxd(x, n); }
#endif

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
    return cy_compensated(sum, comp);
}

static inline double cy_row_sumd(const double *x, Py_ssize_t n)
{
    double sum = 0, comp = 0;
    cy__dotd(x, x, n, &sum, &comp, 0);
    return cy_compensated(sum, comp);
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
    return cy_compensated(sum, comp);
}

/* A float64 row's exps with AVX-512 (CY_ROW_EXPD 1; elsewhere the
 * kernels' loops over cy_exp_rowd and cy_exp_rowd_lse, which GCC
 * vectorizes): buf[i] = exp(x[i] - m) as cy_exp_rowd (lse 0) or
 * cy_exp_rowd_lse (lse 1) give it, scaled alike and 0 where they give 0,
 * from the table of 2^(j/16) (cyact_tables.h): d = x[i] - m, err its
 * rounding error (2Sum), d + err = (16 k + j) ln2/16 + r, exp = 2^k (T_j +
 * T_lo,j) (1 + a), a = exp(r) - 1: T_j + (T_j a + T_lo,j), the smaller
 * term's rounding below 2^-58 of the result, where cy_exp_rowd's 1 + (a +
 * ...) rounds a term of up to 0.41; with |r| <= ln2/32 the rounding errors
 * of r need no term of their own (cy_exp_rowd's rl (1 + a)). Returns how
 * many d are not 0 (NaN counts), log_softmax's entries other than the
 * maxima. Why: the loop is bound by the vector pipes, and this takes 8
 * fewer operations per vector (degree 5 instead of 11; no rl): rows of 1000
 * on the AMD EPYC VM, the exps alone 0.75-0.78 -> 0.64-0.70 ns per element
 * (lse 1.10 times as fast); softmax float64 in all 1.15 times as fast at 1e5
 * and 4e6, log_softmax 1.07 and 1.02 (A/B, alternate processes, medians). */
#if defined(__AVX512F__)
#define CY_ROW_EXPD 1
static inline __attribute__((always_inline)) __m512d
cy__row_expd8(__m512d xv, __m512d mv, int lse, __mmask8 *nonzero)
{
    __m512d d = _mm512_sub_pd(xv, mv), bv = _mm512_sub_pd(d, xv);
    __m512d err = _mm512_add_pd(_mm512_sub_pd(xv, _mm512_sub_pd(d, bv)),
                                _mm512_sub_pd(_mm512_sub_pd(_mm512_setzero_pd(), mv), bv));
    __m512d r, th, tl, s;
    __mmask8 live;
    *nonzero = _mm512_cmp_pd_mask(d, _mm512_setzero_pd(), _CMP_NEQ_UQ);
    /* as in cy__exp_rowd: a NaN d (x NaN) flows through; lse: d = 0 gives 0 */
    live = lse ? _mm512_mask_cmp_pd_mask(*nonzero, d, CY__PD1(-1300.0), _CMP_NLT_UQ)
               : _mm512_cmp_pd_mask(d, CY__PD1(-746.0), _CMP_NLT_UQ);
    r = cy__exp16_reduce8(d, err, lse ? 900 : 64, &th, &tl, &s);
    return _mm512_maskz_mul_pd(
        live, _mm512_add_pd(th, _mm512_fmadd_pd(th, cy__expm1_16_8(r), tl)), s);
}

static inline Py_ssize_t cy_row_expd(const double *x, double m, double *buf, Py_ssize_t n,
                                     int lse)
{
    const __m512d mv = _mm512_set1_pd(m);
    Py_ssize_t i, others = 0;
    __mmask8 nz, rest;
    __m512d e;
    for (i = 0; i + 8 <= n; i += 8) {
        e = cy__row_expd8(_mm512_loadu_pd(x + i), mv, lse, &nz);
        _mm512_storeu_pd(buf + i, e);
        others += __builtin_popcount(nz);
    }
    if (i < n) {
        rest = (__mmask8)((1u << (n - i)) - 1);
        e = cy__row_expd8(_mm512_maskz_loadu_pd(rest, x + i), mv, lse, &nz);
        _mm512_mask_storeu_pd(buf + i, rest, e);
        others += __builtin_popcount(nz & rest);
    }
    return others;
}
#else
#define CY_ROW_EXPD 0
static inline Py_ssize_t cy_row_expd(const double *x, double m, double *buf, Py_ssize_t n,
                                     int lse)
{
    (void)x, (void)m, (void)buf, (void)n, (void)lse;
    return 0;
}
#endif

static inline double cy_row_dotf(const float *x, const float *g, Py_ssize_t n)
{
    double s = 0;
    Py_ssize_t i;
#pragma omp simd reduction(+:s) CY__CVT_SIMDLEN
    for (i = 0; i < n; i++)
        s += (double)x[i] * (double)g[i];
    return s;
}

/* A sum over a float row in double and a check of y, for the float lanes
 * of the softmax family's vector-Jacobian products (dot, a constant at each
 * call). dot = 1: sum(y * g), and nothing to check (a non-finite y makes
 * the sum non-finite: check may be NULL). dot = 0: sum(g), and *check = 1
 * where some y is above 0 or NaN, else 0.
 *
 * Where x86 has AVX2 and FMA: intrinsics, four chains of sums over
 * consecutive vectors of converted floats, 256 bits wide in the AVX-512
 * build too. Why: GCC's omp simd reduction keeps one chain, which waited on
 * the FMA's or addition's latency; the conversions bound four, and Zen 4
 * runs them faster 256 bits at a time (rows of 1000 floats, AVX-512 build:
 * the dot 0.146 ns per element before, 0.133 with 512-bit vectors, 0.100
 * with 256 and a bound on |y| taken beside it, 0.086 without; the sum of g
 * and test of y 0.110 -> 0.094). The chains meet in a fixed order,
 * then a row's last floats (fewer than one vector) are added one by one in
 * order, so a row shorter than a vector sums in its own order, as before. */
#if defined(__AVX2__) && defined(__FMA__)
#include <immintrin.h>
static inline __attribute__((always_inline)) double
cy__row_sum_check(const float *y, const float *g, Py_ssize_t n, int dot, float *check)
{
    const __m256 zero = _mm256_setzero_ps();
    __m256d s[4], t;
    __m256 m[2];
    __m128 mr = _mm_setzero_ps(), vr;
    double lane[4], sum = 0;
    int bad = 0;
    Py_ssize_t i = 0;
    int j, k;
    for (k = 0; k < 4; k++)
        s[k] = _mm256_setzero_pd();
    m[0] = m[1] = zero;
    for (; i + 16 <= n; i += 16) {
        /* a line of each, CY_STREAM_AHEAD bytes on (past the row: the next) */
        cy_stream_lines(y + i, CY_STREAM_AHEAD, 64);
        cy_stream_lines(g + i, CY_STREAM_AHEAD, 64);
        for (k = 0; k < 4; k++) {
            t = _mm256_cvtps_pd(_mm_loadu_ps(g + i + 4 * k));
            s[k] = dot ? _mm256_fmadd_pd(_mm256_cvtps_pd(_mm_loadu_ps(y + i + 4 * k)), t, s[k])
                       : _mm256_add_pd(s[k], t);
        }
        /* y's check in whole float vectors: half the operations of doubles */
        for (k = 0; k < 2 && !dot; k++)
            m[k] = _mm256_or_ps(m[k], _mm256_cmp_ps(_mm256_loadu_ps(y + i + 8 * k), zero,
                                                    _CMP_NLE_UQ));
    }
    for (; i + 4 <= n; i += 4) {
        vr = _mm_loadu_ps(y + i);
        t = _mm256_cvtps_pd(_mm_loadu_ps(g + i));
        s[0] = dot ? _mm256_fmadd_pd(_mm256_cvtps_pd(vr), t, s[0]) : _mm256_add_pd(s[0], t);
        if (!dot)
            mr = _mm_or_ps(mr, _mm_cmp_ps(vr, _mm_setzero_ps(), _CMP_NLE_UQ));
    }
    _mm256_storeu_pd(lane, _mm256_add_pd(_mm256_add_pd(s[0], s[1]), _mm256_add_pd(s[2], s[3])));
    for (j = 0; j < 4; j++)
        sum += lane[j];
    if (!dot)
        bad = (_mm256_movemask_ps(_mm256_or_ps(m[0], m[1])) | _mm_movemask_ps(mr)) != 0;
    for (; i < n; i++) {
        sum += dot ? (double)y[i] * (double)g[i] : (double)g[i];
        bad |= !dot && !(y[i] <= 0.0f);
    }
    if (check)
        *check = (float)bad;
    return sum;
}
#else
static inline __attribute__((always_inline)) double
cy__row_sum_check(const float *y, const float *g, Py_ssize_t n, int dot, float *check)
{
    double s = 0;
    int bad = 0;
    Py_ssize_t i;
    if (dot) {
#pragma omp simd reduction(+:s) CY__CVT_SIMDLEN
        for (i = 0; i < n; i++)
            s += (double)y[i] * (double)g[i];
    } else {
#pragma omp simd reduction(+:s) reduction(|:bad) CY__CVT_SIMDLEN
        for (i = 0; i < n; i++) {
            s += g[i];
            bad |= !(y[i] <= 0.0f);
        }
    }
    if (check)
        *check = (float)bad;
    return s;
}
#endif

/* softmax's vector-Jacobian product of a float row, out = y * (g - s) with
 * s = sum(g * y), in float lanes; 0 (nothing written) where the row needs
 * the float64 loop instead: a build without FMA, a non-finite y or g (then
 * s is not finite), or s outside {0} and [2^-100, 2^24).
 *
 * Why: the float64 loop converts y and g to double and back, which bounds
 * it (0.42 ns per element against PyTorch's 0.20 on AVX-512).
 * Accuracy: s = sh - msl (two floats; sh normal, msl within 2^-48 |s| of
 * sh - s, as s >= 2^-100); t = g - sh, exact where the result cancels (g
 * near s: Sterbenz), else within 1/2 ULP of |g| + |s|; out = fma(y, t, y
 * msl) rounds once, beside the rounding of y msl: within about 1/2 ULP of
 * the result plus 1/2 ULP of |y| (|g| + |s|), the scale in which the bound
 * of 2 is stated. Keeping t's rounding error (a 2Sum, within 1/2 ULP of the
 * result alone) took six additions per element, which bounded the pass:
 * 0.306 -> 0.224 ns per element over rows of 1000 on AVX-512, 0.279 ->
 * 0.198 on AVX2. Overflow: with |s| < 2^24, |msl| <= 1/2, so y msl is
 * finite for every finite y and the output overflows only where the result
 * does, with its sign. (The bound was |y| <= 2^40 with |s| < 2^64, a
 * maximum of |y| taken beside the sum: 0.17-0.19 ns per element over rows
 * of 1000 then, 0.14 now, at 1e6 on AVX-512. y (t + msl) needs no bound at
 * all, but rounds twice: 1.7 ULP on the accuracy sweep against 1.3.) */
#if CY__HAS_FMAF
/* One output of cy_softmax_vjp_rowf: y (g - s), s = sh - msl. */
static inline __attribute__((always_inline)) float
cy__softmax_vjp1f(float y, float g, float sh, float msl)
{
    return __builtin_fmaf(y, g - sh, y * msl);
}
#endif

static inline int cy_softmax_vjp_rowf(const float *y, const float *g, float *out,
                                      Py_ssize_t n)
{
#if CY__HAS_FMAF
    float sh, msl;
    double s = cy__row_sum_check(y, g, n, 1, NULL), m = s < 0 ? -s : s;
    Py_ssize_t i, head;
    if (!(s == 0 || (m >= 0x1p-100 && m < 0x1p24)))  /* NaN fails too */
        return 0;
    sh = (float)s;
    msl = (float)((double)sh - s);
    /* the elements before out's next line apart (cy_to_line) */
    head = cy_to_line(out, n, sizeof(float));
    for (i = 0; i < head; i++)
        out[i] = cy__softmax_vjp1f(y[i], g[i], sh, msl);
#pragma omp simd
    for (i = head; i < n; i++)
        out[i] = cy__softmax_vjp1f(y[i], g[i], sh, msl);
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
    float bad, a, al;
    double s = cy__row_sum_check(y, g, n, 0, &bad), m;
    Py_ssize_t i;
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
#if defined(__AVX512F__)
/* One vector of cy_log_softmax_vjp_rowd with AVX-512: exp(y) = 2^k (T_j +
 * w), w = T_j p + T_lo,j, from the table of 2^(j/16) (cyact_tables.h); b =
 * 2^(k + 200) (s 2^-200) as below, and exp(y) s = b T_j + b w rounded once
 * by an FMA, b w's own rounding below 2^-57 of it (the one-scale core's uh
 * carried up to 0.2 ULP). Why: the loop is bound by the vector pipes; the
 * table takes 4 fewer of their operations: rows of 1000, in place, one
 * thread, AMD EPYC VM, 1.17 times as fast at 1e5 and 1.12 at 4e6 (A/B,
 * alternate processes, medians). Against the generic loop 1 entry in 300
 * differs, by 1 ULP; the accuracy sweep's maximum (1.42) and mean did not
 * move. */
static inline __attribute__((always_inline)) __m512d
cy__lsm_vjp8(__m512d yv, __m512d gv, __m512d av)
{
    __m512d th, tl, sc, r, b;
    r = cy__exp16_reduce8(_mm512_max_pd(CY__PD1(-800.0), yv), CY__PD1(-0.0), 200,
                          &th, &tl, &sc);
    b = _mm512_mul_pd(sc, av);
    return _mm512_sub_pd(gv, _mm512_fmadd_pd(
        b, th, _mm512_mul_pd(b, _mm512_fmadd_pd(th, cy__expm1_16_8(r), tl))));
}
#endif

static inline int cy_log_softmax_vjp_rowd(const double *y, const double *g, double *out,
                                          Py_ssize_t n, double s)
{
    double m = s < 0 ? -s : s, a = s * 0x1p-200;
    Py_ssize_t i;
    if (!(s == 0 || (m >= 0x1p-800 && m <= 0x1p64)))  /* NaN fails too */
        return 0;
#if defined(__AVX512F__)
    {
        const __m512d av = _mm512_set1_pd(a);
        __mmask8 rest;
        for (i = 0; i + 8 <= n; i += 8)
            _mm512_storeu_pd(out + i, cy__lsm_vjp8(_mm512_loadu_pd(y + i),
                                                   _mm512_loadu_pd(g + i), av));
        if (i < n) {
            rest = (__mmask8)((1u << (n - i)) - 1);
            _mm512_mask_storeu_pd(out + i, rest, cy__lsm_vjp8(
                _mm512_maskz_loadu_pd(rest, y + i), _mm512_maskz_loadu_pd(rest, g + i), av));
        }
    }
#else
#pragma omp simd
    for (i = 0; i < n; i++) {
        double scale, uh = cy__exp_scaled(y[i] > -800.0 ? y[i] : -800.0, 200u, &scale);
        double b = scale * a;
        out[i] = g[i] - CY__FMA(b, uh, b);
    }
#endif
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
