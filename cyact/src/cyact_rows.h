/* Reductions along a row for the softmax family, written so that GCC
 * vectorizes them without -ffast-math.
 *
 * Why in C: a floating-point reduction is only vectorized when the compiler
 * may reorder it. Here the order is chosen explicitly: eight independent
 * lanes, combined at the end in a fixed order, so the result is the same for
 * any thread count, and the lane loop is straight-line code that GCC turns
 * into vector instructions (SLP).
 *
 * One body serves float and double (CY_ROWS_DEFINE below). */
#ifndef CYACT_ROWS_H
#define CYACT_ROWS_H

#define CY_LANES 8

/* max of a row, NaN when the row holds a NaN (n >= 1).
 * Sum: compensated (Neumaier) in eight lanes, in double. Why compensated:
 * the sum's relative error reaches every softmax output, and plain
 * summation of a long float64 row exceeds the 4-ULP bound. */
#define CY_ROWS_DEFINE(T, SUFFIX)                                               \
static inline T cy_row_max##SUFFIX(const T *x, Py_ssize_t n)                   \
{                                                                               \
    T m[CY_LANES];                                                              \
    int nan = 0;                                                                \
    Py_ssize_t i = 0, j;                                                        \
    for (j = 0; j < CY_LANES; j++) m[j] = x[0];                                 \
    for (; i + CY_LANES <= n; i += CY_LANES)                                    \
        for (j = 0; j < CY_LANES; j++) {                                        \
            T v = x[i + j];                                                     \
            m[j] = v > m[j] ? v : m[j];                                         \
            nan |= v != v;                                                      \
        }                                                                       \
    for (; i < n; i++) {                                                        \
        m[0] = x[i] > m[0] ? x[i] : m[0];                                       \
        nan |= x[i] != x[i];                                                    \
    }                                                                           \
    for (j = 1; j < CY_LANES; j++) m[0] = m[j] > m[0] ? m[j] : m[0];            \
    return nan ? x[0] - x[0] + (T)NAN : m[0];                                   \
}                                                                               \
                                                                                \
static inline double cy_row_sum##SUFFIX(const T *v, Py_ssize_t n)              \
{                                                                               \
    double s[CY_LANES] = {0}, c[CY_LANES] = {0}, t, total, comp = 0;            \
    Py_ssize_t i = 0, j;                                                        \
    for (; i + CY_LANES <= n; i += CY_LANES)                                    \
        for (j = 0; j < CY_LANES; j++) {                                        \
            double x = v[i + j];                                                \
            t = s[j] + x;                                                       \
            c[j] += __builtin_fabs(s[j]) >= __builtin_fabs(x)                   \
                    ? (s[j] - t) + x : (x - t) + s[j];                          \
            s[j] = t;                                                           \
        }                                                                       \
    for (; i < n; i++) {                                                        \
        double x = v[i];                                                        \
        t = s[0] + x;                                                           \
        c[0] += __builtin_fabs(s[0]) >= __builtin_fabs(x)                       \
                ? (s[0] - t) + x : (x - t) + s[0];                              \
        s[0] = t;                                                               \
    }                                                                           \
    total = s[0];                                                               \
    for (j = 1; j < CY_LANES; j++) {                                            \
        t = total + s[j];                                                       \
        comp += __builtin_fabs(total) >= __builtin_fabs(s[j])                   \
                ? (total - t) + s[j] : (s[j] - t) + total;                      \
        total = t;                                                              \
    }                                                                           \
    for (j = 0; j < CY_LANES; j++) comp += c[j];                                \
    return total + comp;                                                        \
}

#include <math.h>
CY_ROWS_DEFINE(float, f)
CY_ROWS_DEFINE(double, d)

#endif
