/*
 * cyact_math.h -- branch-free, auto-vectorizable elementary/activation
 * functions for cyact (C99, static inline only, no libm calls, no global
 * state, no intrinsics).  Written for GCC -O3 -fno-trapping-math, with or
 * without -mavx2 -mfma.  Never requires -ffast-math (and must not be built
 * with -ffinite-math-only / -fassociative-math: the error-compensation
 * steps below rely on IEEE evaluation order).
 *
 * Design (same in float and double, float computes natively in float):
 *   exp core:  n = round(x*log2 e) via the 1.5*2^p magic constant,
 *              r = x - n*ln2_hi - n*ln2_lo (Cody-Waite), the rounding error
 *              of r is kept (rl); exp(r) = 1 + r + r^2*Q(r) (Q: degree 10
 *              double / 5 float, Chebyshev fit on [-0.3467,0.3467]) is
 *              returned as an unevaluated sum p + pl (Fast2Sum), and the
 *              scale 2^n is applied as two exact factors 2^n1 * 2^n2 so that
 *              subnormal results are rounded once (gradual underflow) and
 *              results near overflow do not overflow prematurely.
 *   one-scale core (cy__exp_scaled): the same reduction, 1 + uh only, and
 *              one scale factor 2^(n+K) that the caller takes back (sigmoid,
 *              float32 tanh); cy__expf_neg: exp of x <= 0 as one rounded float.
 *   All special values come from clamps/selects (NaN passes through clamps
 *   because comparisons with NaN are false), never from branches.
 */
#ifndef CYACT_MATH_H
#define CYACT_MATH_H

/* Forced inlining: these functions are large, and in a module with many
 * loops GCC's inlining budget runs out, leaving a call inside a loop that
 * then is not vectorized (seen: sigmoid float64 at 11 ns instead of 3). */
#ifndef CY_INLINE
#if defined(__GNUC__) || defined(__clang__)
#define CY_INLINE static inline __attribute__((always_inline))
#else
#define CY_INLINE static inline
#endif
#endif

#include <stdint.h>
#include <string.h>

#if defined(__FMA__) || defined(__FP_FAST_FMA)
#  define CY__HAS_FMA 1
#  define CY__FMA(a, b, c)  __builtin_fma((a), (b), (c))
#else
#  define CY__HAS_FMA 0
#  define CY__FMA(a, b, c)  ((a) * (b) + (c))
#endif
#if defined(__FMA__) || defined(__FP_FAST_FMAF)
#  define CY__HAS_FMAF 1
#  define CY__FMAF(a, b, c) __builtin_fmaf((a), (b), (c))
#else
#  define CY__HAS_FMAF 0
#  define CY__FMAF(a, b, c) ((a) * (b) + (c))
#endif

/* ------------------------------------------------------------------ */
/* bit casts                                                           */
/* ------------------------------------------------------------------ */
CY_INLINE uint64_t cy__d2u(double x) { uint64_t u; memcpy(&u, &x, 8); return u; }
CY_INLINE double   cy__u2d(uint64_t u) { double x; memcpy(&x, &u, 8); return x; }
CY_INLINE uint32_t cy__f2u(float x) { uint32_t u; memcpy(&u, &x, 4); return u; }
CY_INLINE float    cy__u2f(uint32_t u) { float x; memcpy(&x, &u, 4); return x; }

CY_INLINE double cy__fabs(double x) { return cy__u2d(cy__d2u(x) & 0x7fffffffffffffffULL); }
CY_INLINE float  cy__fabsf(float x) { return cy__u2f(cy__f2u(x) & 0x7fffffffU); }
/* |y| with the sign of x (y must be >= 0 or NaN) */
CY_INLINE double cy__withsign(double y, double x)
{ return cy__u2d(cy__d2u(y) | (cy__d2u(x) & 0x8000000000000000ULL)); }
CY_INLINE float cy__withsignf(float y, float x)
{ return cy__u2f(cy__f2u(y) | (cy__f2u(x) & 0x80000000U)); }

/* Exact rounding error of a product: a*b - p, where p = fl(a*b). */
CY_INLINE double cy__mulerr(double a, double b, double p)
{
#if CY__HAS_FMA
    return __builtin_fma(a, b, -p);
#else   /* Dekker / Veltkamp splitting (arguments here are << 2^990) */
    const double C = 134217729.0;        /* 2^27 + 1 */
    double ta = C * a, ah = ta - (ta - a), al = a - ah;
    double tb = C * b, bh = tb - (tb - b), bl = b - bh;
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl;
#endif
}
CY_INLINE float cy__mulerrf(float a, float b, float p)
{
#if CY__HAS_FMAF
    return __builtin_fmaf(a, b, -p);
#else   /* the product of two floats is exact in double */
    return (float)((double)a * (double)b - (double)p);
#endif
}


/* Exact division residual: one - q*t (q = fl(one/t), so it is representable). */
CY_INLINE double cy__resid(double q, double t, double one)
{
#if CY__HAS_FMA
    return __builtin_fma(-q, t, one);
#else
    double qt = q * t;
    return (one - qt) - cy__mulerr(q, t, qt);
#endif
}
CY_INLINE float cy__residf(float q, float t, float one)
{
#if CY__HAS_FMAF
    return __builtin_fmaf(-q, t, one);
#else
    return (float)((double)one - (double)q * (double)t);
#endif
}

/* ------------------------------------------------------------------ */
/* double exp core                                                     */
/* exp(x) * 2^kadd = (p + pl) * s1 * s2,  |pl| <~ ulp(p);  x must be   */
/* pre-clamped to [-746-ish, 710] (NaN allowed, propagates via p).     */
/* ------------------------------------------------------------------ */
/* (exp(r) - 1 - r) / r^2 on |r| <= ln2/2 to about 2^-53 (double) / 2^-24
 * (float) of exp(r): the polynomial of the cheapest accuracy level. */
/* A scalar constant, for the polynomial macros below (CY__EXP_Q0,
 * CY__EXPF_POLY24), whose vector forms take a broadcast instead. */
#define CY__SCALAR(c) (c)
/* The polynomial for any FMA(a, b, c) and constant K(c): also the AVX-512
 * tanh's (cyact_tables.h). */
#define CY__EXP_Q0(FMA, K, r, r2, r4)                                          \
    FMA(FMA(FMA(K(0x1.af38c67fbb53ep-26), r, K(0x1.28919ccaf9211p-22)), r4,    \
            FMA(FMA(K(0x1.71de0da24602dp-19), r, K(0x1.a019b8f9792eep-16)), r2, \
                FMA(K(0x1.a01a01a7c73c0p-13), r, K(0x1.6c16c17890eb4p-10)))),  \
        r4, FMA(FMA(K(0x1.11111111109afp-7), r, K(0x1.5555555553d56p-5)), r2,  \
                FMA(K(0x1.5555555555556p-3), r, K(0x1.0000000000001p-1))))
CY_INLINE double cy__exp_q0(double r, double r2, double r4)
{
    return CY__EXP_Q0(CY__FMA, CY__SCALAR, r, r2, r4);
}
/* The same to about 2^-60, one coefficient more (acc = 2 below, cy_exp). */
CY_INLINE double cy__exp_q1(double r, double r2, double r4)
{
    return CY__FMA(CY__FMA(CY__FMA(0x1.1f7315649f2d7p-29, r2, CY__FMA(0x1.af4e092e1705bp-26, r, 0x1.27e4db5bb725ap-22)), r4, CY__FMA(CY__FMA(0x1.71de02225a2f3p-19, r, 0x1.a01a01a6db488p-16), r2, CY__FMA(0x1.a01a01abeccc3p-13, r, 0x1.6c16c16c162cfp-10))), r4, CY__FMA(CY__FMA(0x1.11111111100d3p-7, r, 0x1.5555555555556p-5), r2, CY__FMA(0x1.5555555555557p-3, r, 0x1.0000000000000p-1)));
}
CY_INLINE float cy__expf_q0(float r, float r2, float r4)
{
    return CY__FMAF(0x1.6d112c0000000p-10f, r4, CY__FMAF(CY__FMAF(0x1.120b900000000p-7f, r, 0x1.55551a0000000p-5f), r2, CY__FMAF(0x1.5554dc0000000p-3f, r, 0x1.0000000000000p-1f)));
}

#define CY__D_MAGIC 0x1.8p52
#define CY__D_LOG2E 0x1.71547652b82fep+0
#define CY__D_LN2HI 0x1.62e42feep-1          /* 32 trailing zero bits */
#define CY__D_LN2LO 0x1.a39ef35793c76p-33

CY_INLINE void cy__exp_core(double x, uint64_t kadd, int acc, double *p_, double *pl_,
                                double *s1_, double *s2_)
{
    /* acc = 2: keep the rounding error of r and return p + pl (~2^-60 rel.)
       acc = 1: return p + pl, ignore the rounding error of r (~2^-55 rel.)
       (p alone, without pl: cy__exp_scaled below, with one scale factor) */
    double t  = CY__FMA(x, CY__D_LOG2E, CY__D_MAGIC);
    double n  = t - CY__D_MAGIC;
    double r0 = CY__FMA(-n, CY__D_LN2HI, x);          /* exact */
    double r  = CY__FMA(-n, CY__D_LN2LO, r0);
    double r2 = r * r, r4 = r2 * r2;
    double q  = acc >= 2 ? cy__exp_q1(r, r2, r4) : cy__exp_q0(r, r2, r4);
    double v  = r2 * q;                                /* exp(r)-1-r */
    double uh = r + v;                                 /* Fast2Sum, |r|>=|v| */
    double p  = 1.0 + uh;                              /* Fast2Sum, 1>=|uh| */
    double ul = (r - uh) + v;
    if (acc >= 2) {
        double rl = CY__FMA(-n, CY__D_LN2LO, r0 - r);  /* rounding error of r */
        ul += CY__FMA(rl, r, rl);
    }
    double pl = ((1.0 - p) + uh) + ul;
    uint64_t kb = cy__d2u(t) - cy__d2u(CY__D_MAGIC);
    /* scale: n1 + n2 = n + kadd, both in the normal exponent range */
    kb += 2048u + kadd;
    uint64_t h1 = kb >> 1;
    *s1_ = cy__u2d((h1 - 1u) << 52);
    *s2_ = cy__u2d((kb - h1 - 1u) << 52);
    *p_ = p; *pl_ = pl;
}

#define CY__F_MAGIC 0x1.8p23f
#define CY__F_LOG2E 0x1.715476p+0f
#define CY__F_LN2HI 0x1.62e4p-1f                /* 15 significant bits */
#define CY__F_LN2LO 0x1.7f7d1cp-20f

/* float exp core: same structure */
CY_INLINE void cy__expf_core(float x, uint32_t kadd, int acc, float *p_, float *pl_,
                                float *s1_, float *s2_)
{
    float t  = CY__FMAF(x, CY__F_LOG2E, CY__F_MAGIC);
    float n  = t - CY__F_MAGIC;
    float r0 = CY__FMAF(-n, CY__F_LN2HI, x);          /* exact */
    float r  = CY__FMAF(-n, CY__F_LN2LO, r0);
    float r2 = r * r, r4 = r2 * r2;
    float q  = acc >= 2 ? CY__FMAF(CY__FMAF(0x1.a125160000000p-13f, r, 0x1.6d434e0000000p-10f), r4, CY__FMAF(CY__FMAF(0x1.1110e00000000p-7f, r, 0x1.5554e80000000p-5f), r2, CY__FMAF(0x1.5555560000000p-3f, r, 0x1.0000000000000p-1f)))
                         : cy__expf_q0(r, r2, r4);
    float v  = r2 * q;                                /* exp(r)-1-r */
    float uh = r + v;                                 /* Fast2Sum, |r|>=|v| */
    float p  = 1.0f + uh;                              /* Fast2Sum, 1>=|uh| */
    float ul = (r - uh) + v;
    if (acc >= 2) {
        float rl = CY__FMAF(-n, CY__F_LN2LO, r0 - r);  /* rounding error of r */
        ul += CY__FMAF(rl, r, rl);
    }
    float pl = ((1.0f - p) + uh) + ul;
    uint32_t kb = cy__f2u(t) - cy__f2u(CY__F_MAGIC);
    /* scale: n1 + n2 = n + kadd, both in the normal exponent range */
    kb += 256u + kadd;
    uint32_t h1 = kb >> 1;
    *s1_ = cy__u2f((h1 - 1u) << 23);
    *s2_ = cy__u2f((kb - h1 - 1u) << 23);
    *p_ = p; *pl_ = pl;
}

/* One-scale exp core, for callers that need no error term of exp:
 * exp(x) = (1 + uh) * 2^n, returns uh (|uh| < 0.42) and *s_ = 2^(n + K).
 * K is chosen by the caller so that 2^(n + K) is normal over its range of x,
 * and the caller takes the 2^-K back in its last multiplication, where a
 * subnormal result is then rounded once. One integer add and shift build the
 * scale (the two-factor scale of the cores above costs about a quarter of
 * sigmoid's operations). */
/* The reduction of the double one-scale cores: x = n ln2 + r + *rl_ (*rl_
 * the rounding error of r; callers that ignore it let GCC drop it),
 * returns r, *s_ = 2^(n + K). */
CY_INLINE double cy__exp_reduce(double x, uint64_t K, double *s_, double *rl_)
{
    double t  = CY__FMA(x, CY__D_LOG2E, CY__D_MAGIC);
    double n  = t - CY__D_MAGIC;
    double r0 = CY__FMA(-n, CY__D_LN2HI, x);          /* exact */
    double r  = CY__FMA(-n, CY__D_LN2LO, r0);
    *rl_ = CY__FMA(-n, CY__D_LN2LO, r0 - r);
    /* the low bits of t hold n: (n + 1023 + K) << 52, wrapping mod 2^64 */
    *s_ = cy__u2d((cy__d2u(t) << 52) + ((1023u + K - cy__d2u(CY__D_MAGIC)) << 52));
    return r;
}
CY_INLINE double cy__exp_scaled(double x, uint64_t K, double *s_)
{
    double rl, r = cy__exp_reduce(x, K, s_, &rl);
    double r2 = r * r, r4 = r2 * r2;
    return CY__FMA(r2, cy__exp_q0(r, r2, r4), r);
}
/* The reduction of the float one-scale cores: x = n ln2 + r, returns r
 * (|r| <= ln2/2 and a hair), *s_ = 2^(n + K). */
CY_INLINE float cy__expf_reduce(float x, uint32_t K, float *s_)
{
    float t  = CY__FMAF(x, CY__F_LOG2E, CY__F_MAGIC);
    float n  = t - CY__F_MAGIC;
    float r0 = CY__FMAF(-n, CY__F_LN2HI, x);
    *s_ = cy__u2f((cy__f2u(t) << 23) + ((127u + K - cy__f2u(CY__F_MAGIC)) << 23));
    return CY__FMAF(-n, CY__F_LN2LO, r0);
}
CY_INLINE float cy__expf_scaled(float x, uint32_t K, float *s_)
{
    float r  = cy__expf_reduce(x, K, s_);
    float r2 = r * r, r4 = r2 * r2;
    return CY__FMAF(r2, cy__expf_q0(r, r2, r4), r);
}

/* exp(x) for x in [-104, 0] (NaN passes), rounded once, also where the
 * result is subnormal (gradual underflow), in 10 multiply-class operations
 * (FMAs and products): exp(r) by Horner with every coefficient
 * scaled by 2^-24, which scales each intermediate by 2^-24 and keeps its
 * rounding (all stay normal), times 2^(n+24), normal down to x = -104.
 * Why: sigmoid float32 is bound by the FMA pipes; this form has no
 * separate 1 + uh and no second scaling. */
/* The polynomial for any FMA(a, b, c) and constant K(c): also the AVX-512
 * sigmoid's (cyact_tables.h). */
#define CY__EXPF_POLY24(FMA, K, r)                                              \
    FMA(FMA(FMA(FMA(FMA(FMA(K(0x1.6d112cp-34f), r, K(0x1.120b90p-31f)), r,      \
                        K(0x1.55551ap-29f)), r, K(0x1.5554dcp-27f)), r,         \
                K(0x1p-25f)), r, K(0x1p-24f)), r, K(0x1p-24f))
CY_INLINE float cy__expf_poly24(float r)
{
    return CY__EXPF_POLY24(CY__FMAF, CY__SCALAR, r);
}
CY_INLINE float cy__expf_neg(float x)
{
    float s, r = cy__expf_reduce(x, 24u, &s);
    return cy__expf_poly24(r) * s;
}

/* ------------------------------------------------------------------ */
/* exp                                                                 */
/* ------------------------------------------------------------------ */
CY_INLINE double cy_exp(double x)
{
    double p, pl, s1, s2;
    x = x < -746.0 ? -746.0 : x;          /* exp(-746) < 2^-1075 -> +0   */
    x = x > 710.0 ? 710.0 : x;            /* exp(710) > DBL_MAX -> +inf  */
    cy__exp_core(x, 0, 2, &p, &pl, &s1, &s2);
    return ((p + pl) * s1) * s2;
}
CY_INLINE float cy_expf(float x)
{
    float p, pl, s1, s2;
    x = x < -104.0f ? -104.0f : x;
    x = x > 89.0f ? 89.0f : x;
    cy__expf_core(x, 0, 2, &p, &pl, &s1, &s2);
    return ((p + pl) * s1) * s2;
}

/* ------------------------------------------------------------------ */
/* exp(d) for the softmax family's rows: d = x - max, so d <= 0 or     */
/* -inf, never NaN (rows with a NaN take another path). Cheaper than   */
/* cy_exp: no overflow clamp, and one scale factor, always normal,     */
/* made by a shift of t's bits (its bias folded into the magic         */
/* constant) instead of the two factors of gradual underflow: each     */
/* variant below says where the subnormal results are rounded.         */
/* ------------------------------------------------------------------ */
/* exp of a float in double, for a result rounded to float later        */
/* (log_softmax's VJP from y where the float lanes do not serve): d in  */
/* double (an error of 2^-53 |d| moves exp(d) by 2^-45 at most for the  */
/* d that do not underflow), one ln2 constant (error n 2^-54 <= 2^-45) and the float  */
/* exp core's cheaper polynomial (within 2^-26.5 of exp on the reduced  */
/* range, 0.18 ULP of float), by Horner: no r^2, and the 1 + folded into */
/* the last FMA. Float's 2^-24 needs no error terms. For d in [-300,    */
/* 709] the result is normal in double, so the scale 2^n is an integer  */
/* add to the exponent: the bits of t, shifted, are n's exponent field  */
/* mod 2^64. */
CY_INLINE double cy__exp_for_float(double d)
{
    double t = CY__FMA(d, CY__D_LOG2E, CY__D_MAGIC);
    double n = t - CY__D_MAGIC;
    double r = CY__FMA(-n, 0x1.62e42fefa39efp-1, d);
    double h = CY__FMA(CY__FMA(CY__FMA(CY__FMA(CY__FMA(0x1.6d112c0000000p-10, r, 0x1.120b900000000p-7), r,
                                               0x1.55551a0000000p-5), r, 0x1.5554dc0000000p-3), r, 0.5), r, 1.0);
    return cy__u2d(cy__d2u(CY__FMA(h, r, 1.0)) + (cy__d2u(t) << 52));
}

/* exp(d) of a float d <= 0 or -inf (not NaN: the add would make a number
 * of it; the caller's rows of log-probabilities hold none). d is clamped
 * to -200, where exp is 2^-288.5: 0 once rounded to float, the one
 * rounding of a subnormal float result. */
CY_INLINE double cy_exp_rowf(double d)
{
    return cy__exp_for_float(d > -200.0 ? d : -200.0);
}

/* exp(d + err) 2^(K - 24) of a float row in float lanes: d = x - max
 * rounded (d <= 0 or -inf), err its rounding error (2Sum; NaN where x =
 * -inf, and the select gives 0 there). exp(d) alone would multiply d's
 * rounding error by |d| (up to about 50 ULP); err joins the reduced argument
 * r instead, whose own rounding then costs at most 2^-26 (|r| < 0.35),
 * beside the rounding of the polynomial's value (half an ULP) and its error
 * (0.1): about 1 ULP of float, rounded once where subnormal (cy__expf_neg's
 * scaled Horner). d below lo gives 0 (a NaN d, x NaN, flows through to the
 * sum). Why float lanes: the double form (cy_exp_rowf) needs twice the
 * vectors, conversions and a double buffer, which bounded the softmax family.
 * softmax (cy_expf_row): K = 24, exp(d) itself, 0 below -104, where exp
 * rounds to 0 anyway. log_softmax's sum (cy_expf_row_lse): K = 124, exp(d)
 * 2^100, normal down to lo = -156 (2^-125 there), so no term is rounded to a
 * subnormal before the sum, which is scaled back in double: rounded to
 * subnormal floats, 999 exps of -100 (each 0.45 of the step below it) had
 * put the output -log1p(sum) 452 ULP off, and a floor of -104 lost a sum of
 * 999 exps of -105 (1.6e-43) outright. Below -156 an exp is 2^-225 at most:
 * a row would need 2^75 of them to move the output by one subnormal step. */
CY_INLINE float cy__expf_row_scaled(float d, float err, float lo, uint32_t K)
{
    int live = !(d < lo);
    float s, r = cy__expf_reduce(live ? d : lo, K, &s) + err;
    return live ? cy__expf_poly24(r) * s : 0.0f;
}
CY_INLINE float cy_expf_row(float d, float err)
{
    return cy__expf_row_scaled(d, err, -104.0f, 24u);
}
#define CY_EXPF_ROW_LSE_SCALE 0x1p100
#define CY_EXPF_ROW_LSE_LO -156.0f
CY_INLINE float cy_expf_row_lse(float d, float err)
{
    return cy__expf_row_scaled(d, err, CY_EXPF_ROW_LSE_LO, 124u);
}

/* exp(y) of any float y, in double for a result rounded to float later
 * (log_softmax's VJP from y): y beyond 709 gives inf, a NaN itself. */
CY_INLINE double cy_exp_of_float(double y)
{
    double e = cy__exp_for_float(y > -200.0 ? (y < 709.0 ? y : 709.0) : -200.0);
    e = y > 709.0 ? 1.0 / 0.0 : e;
    return y == y ? e : y;
}

/* Rows of double: 2^64 exp(d + err), err the rounding error of d = x -    */
/* max (exp(d) alone would multiply it by |d|: about 64 ULP on softmax),  */
/* folded into the low part of the reduced argument: exp(r + rl) =        */
/* 1 + a + rl (1 + a), a = exp(r) - 1 = r + r^2 q(r) (rl exp(r), not the   */
/* exp core's rl (1 + r): err reaches 2^-44). Within 1.2 ULP, against the */
/* core's 0.5 at acc = 2, whose Fast2Sums cost 7-17% more time on rows of */
/* 1000 (the softmax outputs stay within 2.2 ULP). The scale 2^(n+64) is  */
/* exact: normal for every d >= -746. The caller divides by a sum of the  */
/* same scaled values (softmax: the quotient, rounded once, underflows    */
/* gradually) or scales the sum back by 2^-64 (one rounding): no multiply */
/* per element.                                                           */
/* Below -746 (and at d = -inf) the lanes compute what they compute and  */
/* the last select gives 0: a clamp of d first cost a select per element */
/* (the kernels restore the floating-point flags that this raises).      */
/* lse (log_softmax's sum of all exps but the maxima's): d = 0 gives 0   */
/* in the same select, and r's own rounding error (below 2^-54 of exp)   */
/* is left out. Why: the maxima took a compare and a select of their    */
/* own, and the error two operations; over rows of 1000 the max, exps   */
/* and sum ran 1.077 -> 1.009 ns per element without the clamp and the  */
/* maxima's select, 0.955 without r's error too (AVX-512). The sum's    */
/* worst relative error over 20,000 rows (2.31 2^-53) did not move.     */
/* lse scales by 2^900 instead, normal down to d = -1300 (2^-975 there):  */
/* its sum of exps, scaled back once, is what the output -log1p(sum)      */
/* rounds, and 2^64 had left out every exp below -746, 3.6 subnormal      */
/* steps from 999 exps of -750. Below -1300, 2^-1875 each: no row is long */
/* enough for them to count. 2^900 leaves 2^123 of headroom to the sum.   */
/* The AVX-512 build's rows take cy_row_expd (cyact_rows.h) instead, from */
/* a table of 2^(j/16), with the same scales and selects.                 */
#define CY_EXP_ROWD_SCALE 0x1p64
#define CY_EXP_ROWD_LSE_SCALE 0x1p900
CY_INLINE double cy__exp_rowd(double d, double err, int lse)
{
    const double bias = CY__D_MAGIC + 1023.0 + (lse ? 900.0 : 64.0);
    /* softmax: exp(-746) < 2^-1075, 0; a NaN d (x NaN) flows through */
    int live = lse ? !(d < -1300.0) & (d != 0.0) : !(d < -746.0);
    double t  = CY__FMA(d, CY__D_LOG2E, bias);
    double n  = t - bias;
    double r0 = CY__FMA(-n, CY__D_LN2HI, d);           /* exact */
    double r  = CY__FMA(-n, CY__D_LN2LO, r0);
    /* r + rl = d + err - n ln2 */
    double rl = lse ? err : CY__FMA(-n, CY__D_LN2LO, r0 - r) + err;
    double r2 = r * r, r4 = r2 * r2;
    double a  = CY__FMA(r2, cy__exp_q0(r, r2, r4), r);
    double e  = 1.0 + (a + CY__FMA(rl, a, rl));
    return live ? e * cy__u2d(cy__d2u(t) << 52) : 0.0;
}
CY_INLINE double cy_exp_rowd(double d, double err) { return cy__exp_rowd(d, err, 0); }
CY_INLINE double cy_exp_rowd_lse(double d, double err) { return cy__exp_rowd(d, err, 1); }

/* 1/s = q + ql to about 2^-104, q = fl(1/s): ql = q (1 - q s), the     */
/* residual exact by FMA (once per row).                                */
CY_INLINE double cy_recip_lo(double s, double q)
{
    return q * cy__resid(q, s, 1.0);
}

/* b / s from q + ql = 1/s: b q + b ql in one FMA, rounded once (also   */
/* where the quotient is subnormal), within a hair of the rounded       */
/* quotient: two multiply-class operations per element, where q and a   */
/* Newton step on the residual b - (b q) s took three (softmax float64: */
/* about 5% of the time). Without FMA, the division itself.             */
CY_INLINE double cy_div_by(double b, double s, double q, double ql)
{
#if CY__HAS_FMA
    (void)s;
    return __builtin_fma(b, q, b * ql);
#else
    (void)q; (void)ql;
    return b / s;
#endif
}

/* ------------------------------------------------------------------ */
/* expm1: 2^n*(1+u) - 1 = TwoSum(2^n, -1) + 2^n*uh + 2^n*ul            */
/* ------------------------------------------------------------------ */
CY_INLINE double cy_expm1(double x)
{
    double xc = x < -60.0 ? -60.0 : x;    /* expm1(-60) rounds to -1 */
    xc = xc > 710.0 ? 710.0 : xc;
    double t  = CY__FMA(xc, CY__D_LOG2E, CY__D_MAGIC);
    double n  = t - CY__D_MAGIC;
    double r0 = CY__FMA(-n, CY__D_LN2HI, xc);
    double r  = CY__FMA(-n, CY__D_LN2LO, r0);
    double rl = CY__FMA(-n, CY__D_LN2LO, r0 - r);
    double r2 = r * r, r4 = r2 * r2;
    double q  = CY__FMA(CY__FMA(CY__FMA(0x1.1f7315649f2d7p-29, r2, CY__FMA(0x1.af4e092e1705bp-26, r, 0x1.27e4db5bb725ap-22)), r4, CY__FMA(CY__FMA(0x1.71de02225a2f3p-19, r, 0x1.a01a01a6db488p-16), r2, CY__FMA(0x1.a01a01abeccc3p-13, r, 0x1.6c16c16c162cfp-10))), r4, CY__FMA(CY__FMA(0x1.11111111100d3p-7, r, 0x1.5555555555556p-5), r2, CY__FMA(0x1.5555555555557p-3, r, 0x1.0000000000000p-1)));
    double v  = r2 * q;
    double uh = r + v;
    double ul = ((r - uh) + v) + CY__FMA(rl, r, rl);
    /* n == 1024 would need 2^1024: use 2^1023 and double the result */
    double nb = (n - (n > 1023.5 ? 1.0 : 0.0)) + (CY__D_MAGIC + 1023.0);  /* biased exponent in low bits */
    double s  = cy__u2d(cy__d2u(nb) << 52);
    double a  = s - 1.0;                                /* TwoSum(s, -1) */
    double bb = a - s;
    double al = (s - (a - bb)) + (-1.0 - bb);
    double b  = s * uh;                                 /* exact */
    double h  = a + b;                                  /* Fast2Sum, |a|>=|b| or a==0 */
    double l  = ((a - h) + b) + CY__FMA(s, ul, al);
    double res = (h + l) * (n > 1023.5 ? 2.0 : 1.0);
    return x == 0.0 ? x : res;                          /* keeps -0 */
}
CY_INLINE float cy_expm1f(float x)
{
    float xc = x < -20.0f ? -20.0f : x;   /* expm1f(-20) rounds to -1 */
    xc = xc > 89.0f ? 89.0f : xc;
    float t  = CY__FMAF(xc, CY__F_LOG2E, CY__F_MAGIC);
    float n  = t - CY__F_MAGIC;
    float r0 = CY__FMAF(-n, CY__F_LN2HI, xc);
    float r  = CY__FMAF(-n, CY__F_LN2LO, r0);
    float rl = CY__FMAF(-n, CY__F_LN2LO, r0 - r);
    float r2 = r * r, r4 = r2 * r2;
    float q  = CY__FMAF(CY__FMAF(0x1.a125160000000p-13f, r, 0x1.6d434e0000000p-10f), r4, CY__FMAF(CY__FMAF(0x1.1110e00000000p-7f, r, 0x1.5554e80000000p-5f), r2, CY__FMAF(0x1.5555560000000p-3f, r, 0x1.0000000000000p-1f)));
    float v  = r2 * q;
    float uh = r + v;
    float ul = ((r - uh) + v) + CY__FMAF(rl, r, rl);
    uint32_t kb = cy__f2u(t) - cy__f2u(CY__F_MAGIC) + 127u - (n > 127.5f ? 1u : 0u);
    float s  = cy__u2f(kb << 23);
    float a  = s - 1.0f;
    float bb = a - s;
    float al = (s - (a - bb)) + (-1.0f - bb);
    float b  = s * uh;
    float h  = a + b;
    float l  = ((a - h) + b) + CY__FMAF(s, ul, al);
    float res = (h + l) * (n > 127.5f ? 2.0f : 1.0f);
    return x == 0.0f ? x : res;
}

/* ------------------------------------------------------------------ */
/* log1p (x >= 0): u = fl(1+x) = 2^k*m, m in [sqrt(.5), sqrt(2)),       */
/* f = m-1, s = f/(2+f), log(1+f) = f - f^2/2 + s*(f^2/2 + z*L(z)),    */
/* z = s^2, L degree 6 (double) / 2 (float); c = (1+x)-u exactly,      */
/* log1p = k*ln2 + log(m) + c/u.  One division: 1/((2+f)*m).           */
/* ------------------------------------------------------------------ */
#define CY__D_LN2HI_L 0x1.62e42feep-1
#define CY__D_LN2LO_L 0x1.a39ef35793c76p-33
CY_INLINE double cy_log1p(double x)
{
    double u  = 1.0 + x;
    double a  = x > 1.0 ? x : 1.0;
    double b  = x > 1.0 ? 1.0 : x;
    double c  = (a - u) + b;                            /* (1+x) - u, exact */
    uint64_t ub = cy__d2u(u) + (0x3ff0000000000000ULL - 0x3fe6a09e667f3bcdULL);
    uint64_t kk = ub >> 52;                             /* k + 1023 */
    double m  = cy__u2d((ub & 0x000fffffffffffffULL) + 0x3fe6a09e667f3bcdULL);
    double k  = cy__u2d(cy__d2u(CY__D_MAGIC) + kk) - (CY__D_MAGIC + 1023.0);
    double kc = k > 977.0 ? 977.0 : k;                  /* 2^-k, k <= 977 */
    double sk = cy__u2d(cy__d2u((CY__D_MAGIC + 1023.0) - kc) << 52);
    double f  = m - 1.0;
    double d  = 2.0 + f;
    double iD = 1.0 / (d * m);
    double s  = f * (m * iD);
    double cu = (c * sk) * (d * iD);                    /* c/u */
    double z  = s * s, z2 = z * z, z4 = z2 * z2;
    double R  = z * (CY__FMA(CY__FMA(0x1.2b6776a1bf0b9p-3, z2, CY__FMA(0x1.39fd25d62ab23p-3, z, 0x1.7462be245eae3p-3)), z4, CY__FMA(CY__FMA(0x1.c71c62c42db89p-3, z, 0x1.2492492e0b70cp-2), z2, CY__FMA(0x1.99999999951f5p-2, z, 0x1.5555555555558p-1))));
    double hfsq = 0.5 * f * f;
    double res = k * CY__D_LN2HI_L - ((hfsq - (s * (hfsq + R) + (k * CY__D_LN2LO_L + cu))) - f);
    return (x < 1.0 / 0.0 && x != 0.0) ? res : x;       /* +inf, NaN, +-0 */
}
#define CY__F_LN2HI_L 0x1.62e3p-1f
#define CY__F_LN2LO_L 0x1.2fefa4p-17f
CY_INLINE float cy_log1pf(float x)
{
    float u  = 1.0f + x;
    float a  = x > 1.0f ? x : 1.0f;
    float b  = x > 1.0f ? 1.0f : x;
    float c  = (a - u) + b;
    uint32_t ub = cy__f2u(u) + (0x3f800000U - 0x3f3504f3U);
    uint32_t kk = ub >> 23;
    float m  = cy__u2f((ub & 0x007fffffU) + 0x3f3504f3U);
    float k  = cy__u2f(cy__f2u(CY__F_MAGIC) + kk) - (CY__F_MAGIC + 127.0f);
    uint32_t kc = kk > 250u ? 250u : kk;
    float sk = cy__u2f((254u - kc) << 23);
    float f  = m - 1.0f;
    float d  = 2.0f + f;
    float iD = 1.0f / (d * m);
    float s  = f * (m * iD);
    float cu = (c * sk) * (d * iD);
    float z  = s * s, z2 = z * z;
    float R  = z * (CY__FMAF(0x1.2eebda0000000p-2f, z2, CY__FMAF(0x1.997c100000000p-2f, z, 0x1.55555c0000000p-1f)));
    float hfsq = 0.5f * f * f;
    float res = k * CY__F_LN2HI_L - ((hfsq - (s * (hfsq + R) + (k * CY__F_LN2LO_L + cu))) - f);
    return (x < 1.0f / 0.0f && x != 0.0f) ? res : x;
}

/* ------------------------------------------------------------------ */
/* sigmoid = a/(1 + e), e = exp(-|x|), a = 1 for x >= 0 and e for x < 0.  */
/* One form for both dtypes: e is one rounded number, y0 = fl(a / fl(1 +  */
/* e)), then one Newton step on the residual v = a - y0 (1 + e) = (a -    */
/* y0) - y0 e: a - y0 is exact (y0 lies in [a/2, a], Sterbenz) and the    */
/* FMA rounds v once, so v holds the roundings of 1 + e and of the        */
/* quotient. y = y0 + v, not y0 + v/(1 + e): the step overshoots by       */
/* v e/(1 + e), a fraction of an ULP, and saves a division or two         */
/* multiplications. What is left is e's own error, which y = e/(1 + e)    */
/* (x < 0) carries over whole: float64 max 1.49 ULP on every build over */
/* the sweep of docs/accuracy.md (1.51 with FMA, 1.56 without, over 4e6   */
/* points against long double); float32 1.69 over all float32 inputs      */
/* (1.81 without FMA; the AVX-512 build runs whole float32 arrays through */
/* cy_sigmoidf_array in cyact_tables.h instead: 1.49, and float64 arrays  */
/* through cy_sigmoid_array, e from a table of 2^(j/16)). The builds with */
/* and without FMA round e differently, so they may differ by up to 2 ULP */
/* (the forward bound).                                                   */
/* Why: the loops are bound by the FMA pipes. Keeping e's rounding error  */
/* (float64 did, at 1.12 ULP) took a quarter more of them: float64 0.92   */
/* against 1.18 ns per element on AVX-512, 1.28 against 1.73 on AVX2;     */
/* float32 0.334 against 0.475 and 0.45 against 0.64.                     */
/* float64: e = (1 + uh) 2^(n + 56) 2^-56 from the one-scale core; 2^(n +  */
/* 56) stays normal down to the clamp, so the FMA rounds e once where it  */
/* is normal; a subnormal e is that 53-bit value rounded again by the     */
/* multiplication, within a hair of half an ULP, and then t = 1, y0 = e   */
/* and v = -e^2 = 0: y = e.                                                */
/* float32: e is one rounded float (cy__expf_neg).                        */
/* Large x: e < 2^-53 (2^-24) gives y = 1 - e rounded; x = -inf or below  */
/* the clamp: e = 0, y = 0; NaN passes through e. Only a is selected on   */
/* the sign of x: with a second select after the division, GCC computed   */
/* both 1/t and e/t, two divisions.                                        */
CY_INLINE double cy_sigmoid(double x)
{
    double s;
    double nx = -cy__fabs(x);
    nx = nx < -746.0 ? -746.0 : nx;       /* sigmoid(-746) < 2^-1075 -> +0 */
    double uh = cy__exp_scaled(nx, 56, &s);
    double e  = CY__FMA(uh, s, s) * 0x1p-56;
    double a  = x >= 0.0 ? 1.0 : e;
    double y0 = a / (1.0 + e);
    return cy__resid(y0, e, a - y0) + y0;
}
CY_INLINE float cy_sigmoidf(float x)
{
    float nx = -cy__fabsf(x);
    float e  = cy__expf_neg(nx < -104.0f ? -104.0f : nx);
    float a  = x >= 0.0f ? 1.0f : e;
    float y0 = a / (1.0f + e);
    return cy__residf(y0, e, a - y0) + y0;
}

/* e/(1+e)^2 = e*q^2*(1+2c), e = scale*exp(y), y <= 0: t = fl(1 + e), err =
   (1 + e) - t (Fast2Sum), q = fl(1/t), c = (1 - q*t) - q*err (the division
   residual, exact by FMA), so 1/(1+e) = q*(1 + c) to ~2^-48.
   'eh4, el4' carry e*scale (scale 1 or 4), eh, el carry e itself. */
CY_INLINE double cy__sgrad(double eh4, double el4, double eh, double el)
{
    double t   = 1.0 + eh;
    double err = ((1.0 - t) + eh) + el;
    double q   = 1.0 / t;
    double rq  = cy__resid(q, t, 1.0);
    double c   = CY__FMA(-q, err, rq);
    double q2  = q * q;
    double q2l = cy__mulerr(q, q, q2);
    double m   = eh4 * q2;
    double ml  = cy__mulerr(eh4, q2, m);
    return m + (ml + (CY__FMA(el4, q2, eh4 * q2l) + (m + m) * c));
}
CY_INLINE float cy__sgradf(float eh4, float el4, float eh, float el)
{
    float t   = 1.0f + eh;
    float err = ((1.0f - t) + eh) + el;
    float q   = 1.0f / t;
    float rq  = cy__residf(q, t, 1.0f);
    float c   = CY__FMAF(-q, err, rq);
    float q2  = q * q;
    float q2l = cy__mulerrf(q, q, q2);
    float m   = eh4 * q2;
    float ml  = cy__mulerrf(eh4, q2, m);
    return m + (ml + (CY__FMAF(el4, q2, eh4 * q2l) + (m + m) * c));
}

CY_INLINE double cy_sigmoid_grad(double x)
{
    double p, pl, s1, s2;
    double nx = -cy__fabs(x);
    nx = nx < -746.0 ? -746.0 : nx;
    cy__exp_core(nx, 0, 1, &p, &pl, &s1, &s2);
    double eh = (p * s1) * s2, el = (pl * s1) * s2;
    return cy__sgrad(eh, el, eh, el);
}
CY_INLINE float cy_sigmoid_gradf(float x)
{
    float p, pl, s1, s2;
    float nx = -cy__fabsf(x);
    nx = nx < -104.0f ? -104.0f : nx;
    cy__expf_core(nx, 0, 1, &p, &pl, &s1, &s2);
    float eh = (p * s1) * s2, el = (pl * s1) * s2;
    return cy__sgradf(eh, el, eh, el);
}

/* tanh'(x) = 1 - tanh^2 = 4e/(1+e)^2, e = exp(-2|x|); 4e is produced by
   the exp core directly (kadd = 2) so tiny/subnormal results round once. */
CY_INLINE double cy_tanh_grad(double x)
{
    double p, pl, s1, s2;
    double nx = -2.0 * cy__fabs(x);
    nx = nx < -748.0 ? -748.0 : nx;
    cy__exp_core(nx, 2, 1, &p, &pl, &s1, &s2);
    double eh4 = (p * s1) * s2, el4 = (pl * s1) * s2;
    return cy__sgrad(eh4, el4, 0.25 * eh4, 0.25 * el4);
}
CY_INLINE float cy_tanh_gradf(float x)
{
    float p, pl, s1, s2;
    float nx = -2.0f * cy__fabsf(x);
    nx = nx < -106.0f ? -106.0f : nx;
    cy__expf_core(nx, 2, 1, &p, &pl, &s1, &s2);
    float eh4 = (p * s1) * s2, el4 = (pl * s1) * s2;
    return cy__sgradf(eh4, el4, 0.25f * eh4, 0.25f * el4);
}

/* ------------------------------------------------------------------ */
/* tanh, float64: tanh|x| = -E/(2 + E), E = expm1(-2|x|) in (-1, 0], one */
/* form for every x, no branches to blend. -2|x| = n ln2 + r (exact for */
/* n = 0, where E is small), exp(r) = 1 + uh + ul (uh = r + r^2 q0(r),  */
/* about 2^-53), so E = (2^n - 1) + 2^n uh + 2^n ul: 2^n - 1 = Sh + Sl  */
/* (Fast2Sum: inexact below n = -53), then Eh + El = Sh + 2^n uh and    */
/* the rest (Fast2Sum, |Sh| >= |2^n uh| for n <= -1, Sh = 0 for n = 0), */
/* D = 2 + E = Dh + Dl likewise; q = Eh (1/Dh), and the residual Eh -   */
/* q Dh (exact by FMA) with El - q Dl corrects q: y = q + c. E keeps its */
/* relative accuracy as x -> 0 (E = uh + ul there), which 1 - 2/(1 + e) */
/* loses. Max 1.25 ULP over 4e6 points against long double (every build),  */
/* near |x| = 0.17 (n = -1), where the polynomial's error and r's rounding  */
/* reach E and y = -E/(2 + E) magnifies E's relative error by 2/(2 + E)     */
/* (the AVX-512 array form, cy__tanh8, leaves out one step: 1.41 ULP near   */
/* |x| = 18.54).                                                            */
/* Why this accuracy: r's rounding error and q1 (2^-60) kept it at 0.81 and */
/* cost 12% of the time (1.55 -> 1.36 ns per element on AVX-512, 2.01 ->   */
/* 1.90 on AVX2, 7.3 -> 7.0 without FMA); with them, NumPy's AVX-512 tanh  */
/* took only 1.09-1.11 times cyact's time. Earlier, a polynomial for        */
/* |x| < 0.55 computed beside this exp branch for all lanes and selected:   */
/* 37 multiply-class operations per vector against 24 (1.62 -> 1.49 ns per  */
/* element on AVX-512). |x| is                                              */
/* clamped to 19.5, beyond 19.06 where tanh rounds to 1; NaN passes;    */
/* the sign is x's (tanh(-0) = -0), set by bit operations.              */
/* float32: |x| < 0.55: x + x^3 P(x^2) (P degree 4); else 1 - 2/(1 + e),  */
/* e = exp(2|x|), with the division residual and 1 - q exact; |x|       */
/* clamped to 10.                                                        */
/* ------------------------------------------------------------------ */
CY_INLINE double cy_tanh(double x)
{
    double ax = cy__fabs(x);
    double s, rl;                          /* s = 2^n; rl unused */
    double r  = cy__exp_reduce(-2.0 * (ax > 19.5 ? 19.5 : ax), 0, &s, &rl);
    double r2 = r * r, r4 = r2 * r2;
    double v  = r2 * cy__exp_q0(r, r2, r4);               /* exp(r) - 1 - r */
    double uh = r + v;                                    /* Fast2Sum */
    double ul = (r - uh) + v;
    double bh = s * uh;                                   /* exact */
    double Sh = s - 1.0;
    double Sl = s - (Sh + 1.0);
    double Eh = Sh + bh;
    double El = ((Sh - Eh) + bh) + CY__FMA(s, ul, Sl);
    double Dh = 2.0 + Eh;
    double Dl = ((2.0 - Dh) + Eh) + El;
    double iv = 1.0 / Dh;
    double q  = Eh * iv;
    double c  = (cy__resid(q, Dh, Eh) + CY__FMA(-q, Dl, El)) * iv;
    return cy__withsign(cy__fabs(q + c), x);
}
CY_INLINE float cy_tanhf(float x)
{
    float ax = cy__fabsf(x);
    ax = ax > 10.0f ? 10.0f : ax;
    float z  = ax * ax, z2 = z * z, z4 = z2 * z2;
    float P  = CY__FMAF(-0x1.b135380000000p-8f, z4, CY__FMAF(CY__FMAF(0x1.5d220e0000000p-6f, z, -0x1.b9a0440000000p-5f), z2, CY__FMAF(0x1.110fea0000000p-3f, z, -0x1.5555540000000p-2f)));
    float yp = CY__FMAF(ax * z, P, ax);
    float s;
    float eh = (1.0f + cy__expf_scaled(2.0f * ax, 0, &s)) * s;
    float t   = eh + 1.0f;
    float err = (eh - t) + 1.0f;
    float q   = 2.0f / t;
    float rq  = cy__residf(q, t, 2.0f);
    float d   = CY__FMAF(-q, err, rq) * (0.5f * q);
    float h   = 1.0f - q;
    float l   = (1.0f - h) - q;
    float ye  = h + (l - d);
    float y   = ax < 0.55f ? yp : ye;
    return cy__withsignf(y, x);
}

#endif /* CYACT_MATH_H */
