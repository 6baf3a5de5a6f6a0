/* cyact's scalar math: placeholder on libm, replaced by the vectorizable
 * kernels of the speed issue. Interface: see the function list below. */
#ifndef CYACT_MATH_H
#define CYACT_MATH_H
#include <math.h>

static inline float  cy_expf(float x)     { return expf(x); }
static inline double cy_exp(double x)     { return exp(x); }
static inline float  cy_expm1f(float x)   { return expm1f(x); }
static inline double cy_expm1(double x)   { return expm1(x); }
static inline float  cy_log1pf(float x)   { return log1pf(x); }
static inline double cy_log1p(double x)   { return log1p(x); }
static inline float  cy_tanhf(float x)    { return tanhf(x); }
static inline double cy_tanh(double x)    { return tanh(x); }

static inline double cy_sigmoid(double x)
{
    double e = exp(-fabs(x)), s = 1.0 / (1.0 + e);
    return x >= 0 ? s : e * s;
}
static inline float cy_sigmoidf(float x) { return (float)cy_sigmoid(x); }
static inline double cy_sigmoid_grad(double x)
{
    double e = exp(-fabs(x)), t = 1.0 + e;
    return e / (t * t);
}
static inline float cy_sigmoid_gradf(float x) { return (float)cy_sigmoid_grad(x); }
static inline double cy_tanh_grad(double x)
{
    double e = exp(-2.0 * fabs(x)), t = 1.0 + e;
    return 4.0 * e / (t * t);
}
static inline float cy_tanh_gradf(float x) { return (float)cy_tanh_grad(x); }
#endif
