/* Reductions along a row for the softmax family: the maximum and a
 * compensated sum, vectorized without -ffast-math.
 *
 * Why in C, with GCC's vector extensions: a floating-point reduction is only
 * vectorized when the compiler may reorder it, and GCC 12 would not turn
 * eight explicit scalar lanes into vector code either (a max needs
 * -ffinite-math-only; the selects and the 2Sum were left scalar: softmax f32
 * over rows of 1000 ran at 2.7 ns per element, most of it in these two
 * loops). Here the order is chosen explicitly: eight independent lanes held
 * in one vector, combined at the end in a fixed order, so the result is the
 * same for any thread count and any build (baseline, AVX2, AVX-512: the
 * compiler splits or widens the vector, never reorders it).
 *
 * One body serves float and double (CY_ROWS_DEFINE below). */
#ifndef CYACT_ROWS_H
#define CYACT_ROWS_H

#include <string.h>

#define CY_LANES 8

typedef double cy__vd __attribute__((vector_size(CY_LANES * sizeof(double))));

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
 * would drop it).
 * Sum: compensated, in double: the sum's relative error reaches every
 * softmax output, and plain summation of a long float64 row exceeds the
 * 4-ULP bound. */
#define CY_ROWS_DEFINE(T, I, SUFFIX)                                            \
typedef T cy__v##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(T))));     \
typedef I cy__m##SUFFIX __attribute__((vector_size(CY_LANES * sizeof(T))));     \
                                                                                \
static inline T cy_row_max##SUFFIX(const T *x, Py_ssize_t n)                   \
{                                                                               \
    cy__v##SUFFIX m, nan = {0}, v;                                              \
    cy__m##SUFFIX is_nan;                                                       \
    Py_ssize_t i = CY_LANES;                                                    \
    T best, seen_nan = 0;                                                       \
    int j;                                                                      \
    if (n < CY_LANES) {                                                         \
        for (j = 0; j < CY_LANES; j++) m[j] = x[0];                             \
        i = 0;                                                                  \
    } else {                                                                    \
        memcpy(&m, x, sizeof m);                                                \
        is_nan = m != m;                                                        \
        nan = CY__SELECT(cy__v##SUFFIX, cy__m##SUFFIX, is_nan, m, nan);         \
    }                                                                           \
    for (; i + CY_LANES <= n; i += CY_LANES) {                                  \
        memcpy(&v, x + i, sizeof v);                                            \
        m = CY__SELECT(cy__v##SUFFIX, cy__m##SUFFIX, v > m, v, m);              \
        is_nan = v != v;                                                        \
        nan = CY__SELECT(cy__v##SUFFIX, cy__m##SUFFIX, is_nan, v, nan);         \
    }                                                                           \
    best = m[0];                                                                \
    for (j = 0; j < CY_LANES; j++) {                                            \
        best = m[j] > best ? m[j] : best;                                       \
        seen_nan = nan[j] != nan[j] ? nan[j] : seen_nan;                        \
    }                                                                           \
    for (; i < n; i++) {                                                        \
        best = x[i] > best ? x[i] : best;                                       \
        seen_nan = x[i] != x[i] ? x[i] : seen_nan;                              \
    }                                                                           \
    return seen_nan != seen_nan ? seen_nan : best;                              \
}                                                                               \
                                                                                \
static inline double cy_row_sum##SUFFIX(const T *x, Py_ssize_t n)              \
{                                                                               \
    cy__vd s = {0}, c = {0}, w;                                                 \
    cy__v##SUFFIX v;                                                            \
    double total = 0, comp = 0;                                                 \
    Py_ssize_t i = 0;                                                           \
    int j;                                                                      \
    for (; i + CY_LANES <= n; i += CY_LANES) {                                  \
        memcpy(&v, x + i, sizeof v);                                            \
        w = __builtin_convertvector(v, cy__vd);                                 \
        cy__two_sum(&s, &w, &c);                                                \
    }                                                                           \
    for (j = 0; j < CY_LANES; j++)                                              \
        comp += cy__two_sum1(&total, s[j]) + c[j];                              \
    for (; i < n; i++)                                                          \
        comp += cy__two_sum1(&total, x[i]);                                     \
    return total + comp;                                                        \
}

CY_ROWS_DEFINE(float, int, f)
CY_ROWS_DEFINE(double, long long, d)

#endif
