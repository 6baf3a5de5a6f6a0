/* Derivatives computed from the forward output y, each within 1 ULP of the
 * exact derivative at that y.
 *
 * Why not the textbook y*(1-y) and 1-y*y: their two roundings reach 1.5 ULP.
 * With a hardware FMA, y - y*y and 1 - y*y round once. Without one (the
 * baseline x86-64 build, where fma() would be a slow libm call) the forms are
 * chosen per range so that the first rounding is small against the result:
 * for y <= 1/2, y*y <= y*(1-y); for y > 1/2, 1 - y is exact (Sterbenz).
 * float32 without FMA is computed in double, where the products are exact,
 * and rounded once. */
#ifndef CYACT_GRAD_H
#define CYACT_GRAD_H

/* CY_INLINE and CY__HAS_FMA (a hardware FMA in this build) come from there. */
#include "cyact_math.h"

CY_INLINE double cy_sigmoid_grad_from_y(double y)
{
#if CY__HAS_FMA
    return __builtin_fma(-y, y, y);
#else
    return y <= 0.5 ? y - y * y : y * (1.0 - y);
#endif
}

CY_INLINE float cy_sigmoid_grad_from_yf(float y)
{
#if CY__HAS_FMAF
    /* in float: one rounding, and twice the lanes of the double form */
    return __builtin_fmaf(-y, y, y);
#else
    double yd = y;
    return (float)(yd - yd * yd);
#endif
}

CY_INLINE double cy_tanh_grad_from_y(double y)
{
#if CY__HAS_FMA
    return __builtin_fma(-y, y, 1.0);
#else
    double a = y < 0 ? -y : y;
    /* 1 + a = s + e exactly (Fast2Sum, since 1 >= a on the valid range). */
    double s = 1.0 + a, e = (1.0 - s) + a, d = 1.0 - a;
    return a < 0.5 ? 1.0 - y * y : d * s + d * e;
#endif
}

CY_INLINE float cy_tanh_grad_from_yf(float y)
{
#if CY__HAS_FMAF
    return __builtin_fmaf(-y, y, 1.0f);
#else
    double yd = y;
    return (float)(1.0 - yd * yd);
#endif
}
#endif
