/* cyact_tables.h -- kernels over whole arrays that GCC would not write from
 * the per-point code, for builds with AVX-512 or AVX2: the table-driven
 * float32 tanh, and the AVX-512 float32 sigmoid, float64 tanh and float64
 * sigmoid (further below).
 *
 * float32 tanh: |x| falls in one of a few intervals, found from its bits,
 * each with its own polynomial in r = |x| - a (scripts/fit_tanhf_table.py
 * fits them and prints cy__tanhf_tab below). The coefficient table is held
 * in registers and one permute looks a coefficient up for every lane: with
 * AVX-512, 32 intervals of degree 5 (vpermt2ps on two registers), about 19
 * instructions per 16 elements; with AVX2, 8 intervals of degree 11
 * (vpermps), about 30 per 8. No exp and no division: the exp form of
 * cyact_math.h, which the baseline build keeps, takes 0.60 against 0.24 ns
 * per element with AVX-512 here, 0.92 against 0.54 with AVX2. Error at most
 * 1.11 ULP (AVX-512) and 1.09 ULP (AVX2), both checked over every float.
 *
 * GCC vector extensions and, for what they cannot say in one instruction
 * (a min that keeps NaN, a 32-bit max, an FMA), intrinsics. Each vector goes
 * through the same instructions; the tail of an array is copied into a
 * padded block, so every element's result is the same wherever it lies (any
 * thread split gives the same bits). */
#ifndef CYACT_TABLES_H
#define CYACT_TABLES_H

#include <stdint.h>
#include <string.h>
#include "cyact_math.h"

#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
#include <immintrin.h>

/* Row j <= CY__TANH_DEG: coefficient of r^j; last row: the interval's left
 * end a. Interval k is in slot (CY__TANH_BASE + k) mod CY__TANH_SLOTS. */
#if defined(__AVX512F__)
#define CY__TANH_LANES 16
#define CY__TANH_SLOTS 32
#define CY__TANH_DEG 5
#define CY__TANH_SHIFT 21           /* exponent and two mantissa bits */
#define CY__TANH_BASE 491           /* (bits of 2^-4) >> 21, minus 1 */
#define CY__MINPS(a, b) _mm512_min_ps(a, b)
#define CY__MAXEPI32(a, b) _mm512_max_epi32(a, b)
#define CY__FMAPS(a, b, c) _mm512_fmadd_ps(a, b, c)
typedef __m512 cy__tmf;
typedef __m512i cy__tmi;
/* 32 slots in two registers: vpermt2ps */
#define CY__LOOKUP(t, j, idx) __builtin_shuffle((t)[j][0], (t)[j][1], idx)
static const float cy__tanhf_tab[CY__TANH_DEG + 2][CY__TANH_SLOTS] __attribute__((aligned(64))) = {
    {0x1.ed95060000000p-1f, 0x1.f925820000000p-1f, 0x1.fd77d20000000p-1f, 0x1.ff112c0000000p-1f, 0x1.ffa8180000000p-1f, 0x1.fff41a0000000p-1f, 0x1.fffe640000000p-1f, 0x1.ffffc80000000p-1f, 0x1.fffff80000000p-1f, 0.0f, 0.0f, 0.0f, 0x1.ff559a0000000p-5f, 0x1.3f59be0000000p-4f, 0x1.7ee1020000000p-4f, 0x1.be38d80000000p-4f, 0x1.fd59920000000p-4f, 0x1.3d6bc80000000p-3f, 0x1.7b8ffa0000000p-3f, 0x1.b8fd040000000p-3f, 0x1.f597ea0000000p-3f, 0x1.35f98a0000000p-2f, 0x1.6ef53e0000000p-2f, 0x1.a5729e0000000p-2f, 0x1.d9353e0000000p-2f, 0x1.1bf47e0000000p-1f, 0x1.45323e0000000p-1f, 0x1.6866500000000p-1f, 0x1.85efac0000000p-1f, 0x1.b2523c0000000p-1f, 0x1.cf6f980000000p-1f, 0x1.e1fbfa0000000p-1f},
    {0x1.2161f40000000p-4f, 0x1.b3ad560000000p-6f, 0x1.4348060000000p-7f, 0x1.dd34340000000p-9f, 0x1.5f4d8c0000000p-10f, 0x1.7c917a0000000p-13f, 0x1.9c110c0000000p-16f, 0x1.be24540000000p-19f, 0x1.e0abd40000000p-22f, 0.0f, 0.0f, 0x1.0000000000000p+0f, 0x1.fe01540000000p-1f, 0x1.fce33e0000000p-1f, 0x1.fb86b80000000p-1f, 0x1.f9ec6c0000000p-1f, 0x1.f815260000000p-1f, 0x1.f3b3600000000p-1f, 0x1.ee69e40000000p-1f, 0x1.e842ca0000000p-1f, 0x1.e149a00000000p-1f, 0x1.d115740000000p-1f, 0x1.be3fba0000000p-1f, 0x1.a945ba0000000p-1f, 0x1.92a9460000000p-1f, 0x1.6284c20000000p-1f, 0x1.3173b20000000p-1f, 0x1.02500a0000000p-1f, 0x1.ae0dea0000000p-2f, 0x1.1f252c0000000p-2f, 0x1.7216660000000p-3f, 0x1.d22ca80000000p-4f},
    {-0x1.16e7620000000p-4f, -0x1.ad9e640000000p-6f, -0x1.417a400000000p-7f, -0x1.dc02c40000000p-9f, -0x1.5c96c00000000p-10f, -0x1.79d3ac0000000p-13f, -0x1.99209e0000000p-16f, -0x1.baf6c40000000p-19f, -0x1.cfc7a00000000p-22f, 0.0f, 0.0f, 0.0f, -0x1.fd57980000000p-5f, -0x1.3d68c60000000p-4f, -0x1.7b888e0000000p-4f, -0x1.b8ed1e0000000p-4f, -0x1.f579320000000p-4f, -0x1.35cbbc0000000p-3f, -0x1.6e86660000000p-3f, -0x1.a48aac0000000p-3f, -0x1.d781200000000p-3f, -0x1.1992020000000p-2f, -0x1.3fd5340000000p-2f, -0x1.5e0ef20000000p-2f, -0x1.7426480000000p-2f, -0x1.893b060000000p-2f, -0x1.8403fe0000000p-2f, -0x1.6ba83a0000000p-2f, -0x1.478e640000000p-2f, -0x1.e732840000000p-3f, -0x1.4eff800000000p-3f, -0x1.b6d9a00000000p-4f},
    {0x1.57c34c0000000p-5f, 0x1.14cf920000000p-6f, 0x1.a4e92c0000000p-8f, 0x1.396e6a0000000p-9f, 0x1.bb1ac80000000p-11f, 0x1.e0aad60000000p-14f, 0x1.0445dc0000000p-16f, 0x1.19cd840000000p-19f, 0x1.0c35000000000p-22f, 0.0f, 0.0f, -0x1.5555560000000p-2f, -0x1.5007920000000p-2f, -0x1.4d12640000000p-2f, -0x1.497b520000000p-2f, -0x1.45461e0000000p-2f, -0x1.4077b80000000p-2f, -0x1.3521060000000p-2f, -0x1.27a5d40000000p-2f, -0x1.183be80000000p-2f, -0x1.0725fe0000000p-2f, -0x1.c1b4660000000p-3f, -0x1.6dd39e0000000p-3f, -0x1.16ee820000000p-3f, -0x1.82632e0000000p-4f, -0x1.24e5e60000000p-6f, 0x1.56aa640000000p-5f, 0x1.4f4f6a0000000p-4f, 0x1.aa6de40000000p-4f, 0x1.bcef6a0000000p-4f, 0x1.68341c0000000p-4f, 0x1.01d1fe0000000p-4f},
    {-0x1.1c6f4a0000000p-6f, -0x1.ee9a300000000p-8f, -0x1.81dc000000000p-9f, -0x1.21fba80000000p-10f, -0x1.6907f60000000p-12f, -0x1.8808ce0000000p-15f, -0x1.a89e220000000p-18f, -0x1.cbc0380000000p-21f, -0x1.64a2a80000000p-24f, 0.0f, 0.0f, 0.0f, 0x1.51be580000000p-5f, 0x1.a38e7c0000000p-5f, 0x1.f3a6760000000p-5f, 0x1.20da8e0000000p-4f, 0x1.472ee60000000p-4f, 0x1.8ee8f60000000p-4f, 0x1.d0583e0000000p-4f, 0x1.054f2e0000000p-3f, 0x1.1ff06a0000000p-3f, 0x1.45bdec0000000p-3f, 0x1.5a16fe0000000p-3f, 0x1.5db29a0000000p-3f, 0x1.5597fe0000000p-3f, 0x1.1bfca80000000p-3f, 0x1.97793e0000000p-4f, 0x1.eb199e0000000p-5f, 0x1.8570160000000p-6f, -0x1.ef92120000000p-7f, -0x1.a9b4400000000p-6f, -0x1.84a6920000000p-6f},
    {0x1.0494fc0000000p-8f, 0x1.f6751e0000000p-10f, 0x1.947cf40000000p-11f, 0x1.334b9c0000000p-12f, 0x1.2028800000000p-14f, 0x1.3935000000000p-17f, 0x1.53487c0000000p-20f, 0x1.6f5cb40000000p-23f, 0x1.9def560000000p-27f, 0.0f, 0.0f, 0x1.1111120000000p-3f, 0x1.05bd300000000p-3f, 0x1.003d700000000p-3f, 0x1.f374400000000p-4f, 0x1.e47dae0000000p-4f, 0x1.cab5e60000000p-4f, 0x1.a286680000000p-4f, 0x1.74c9580000000p-4f, 0x1.42ad0c0000000p-4f, 0x1.e4bd0c0000000p-5f, 0x1.068e680000000p-5f, 0x1.897a300000000p-8f, -0x1.1831980000000p-6f, -0x1.630df20000000p-5f, -0x1.f7f4c80000000p-5f, -0x1.00ac7e0000000p-4f, -0x1.b2c9260000000p-5f, -0x1.070bb40000000p-5f, -0x1.3914d00000000p-7f, 0x1.6969860000000p-10f, 0x1.2d32060000000p-8f},
    {0x1.0000000000000p+1f, 0x1.4000000000000p+1f, 0x1.8000000000000p+1f, 0x1.c000000000000p+1f, 0x1.0000000000000p+2f, 0x1.4000000000000p+2f, 0x1.8000000000000p+2f, 0x1.c000000000000p+2f, 0x1.0000000000000p+3f, 0.0f, 0.0f, 0.0f, 0x1.0000000000000p-4f, 0x1.4000000000000p-4f, 0x1.8000000000000p-4f, 0x1.c000000000000p-4f, 0x1.0000000000000p-3f, 0x1.4000000000000p-3f, 0x1.8000000000000p-3f, 0x1.c000000000000p-3f, 0x1.0000000000000p-2f, 0x1.4000000000000p-2f, 0x1.8000000000000p-2f, 0x1.c000000000000p-2f, 0x1.0000000000000p-1f, 0x1.4000000000000p-1f, 0x1.8000000000000p-1f, 0x1.c000000000000p-1f, 0x1.0000000000000p+0f, 0x1.4000000000000p+0f, 0x1.8000000000000p+0f, 0x1.c000000000000p+0f},
};
#else
#define CY__TANH_LANES 8
#define CY__TANH_SLOTS 8
#define CY__TANH_DEG 11
#define CY__TANH_SHIFT 23           /* the exponent */
#define CY__TANH_BASE 123           /* (bits of 2^-3) >> 23, minus 1 */
#define CY__MINPS(a, b) _mm256_min_ps(a, b)
#define CY__MAXEPI32(a, b) _mm256_max_epi32(a, b)
#define CY__FMAPS(a, b, c) _mm256_fmadd_ps(a, b, c)
typedef __m256 cy__tmf;
typedef __m256i cy__tmi;
/* 8 slots in one register: vpermps */
#define CY__LOOKUP(t, j, idx) __builtin_shuffle((t)[j][0], idx)
static const float cy__tanhf_tab[CY__TANH_DEG + 2][CY__TANH_SLOTS] __attribute__((aligned(64))) = {
    {0x1.ed95060000000p-1f, 0x1.ffa8180000000p-1f, 0x1.fffff80000000p-1f, 0.0f, 0x1.fd59920000000p-4f, 0x1.f597ea0000000p-3f, 0x1.d9353e0000000p-2f, 0x1.85efac0000000p-1f},
    {0x1.2162c80000000p-4f, 0x1.5f84420000000p-10f, 0x1.e355b40000000p-22f, 0x1.0000000000000p+0f, 0x1.f815260000000p-1f, 0x1.e149a00000000p-1f, 0x1.92a9460000000p-1f, 0x1.ae0dc00000000p-2f},
    {-0x1.16fa660000000p-4f, -0x1.5f379a0000000p-10f, -0x1.e355a20000000p-22f, 0.0f, -0x1.f579360000000p-4f, -0x1.d781580000000p-3f, -0x1.7427400000000p-2f, -0x1.4786c00000000p-2f},
    {0x1.5900160000000p-5f, 0x1.d312ca0000000p-11f, 0x1.4238940000000p-22f, -0x1.5555560000000p-2f, -0x1.4077140000000p-2f, -0x1.071e420000000p-2f, -0x1.81d9880000000p-4f, 0x1.a85caa0000000p-4f},
    {-0x1.2590360000000p-6f, -0x1.cf04220000000p-12f, -0x1.42335a0000000p-23f, 0.0f, 0x1.468fa00000000p-4f, 0x1.1e0db40000000p-3f, 0x1.51420a0000000p-3f, 0x1.c617b20000000p-6f},
    {0x1.3e855a0000000p-8f, 0x1.688de80000000p-13f, 0x1.01a1200000000p-24f, 0x1.1111120000000p-3f, 0x1.dc4aee0000000p-4f, 0x1.28445e0000000p-4f, -0x1.be32ac0000000p-6f, -0x1.7b75920000000p-5f},
    {-0x1.43e6cc0000000p-12f, -0x1.bfb1a80000000p-15f, -0x1.566e1e0000000p-26f, 0.0f, -0x1.6673ea0000000p-5f, -0x1.1c39520000000p-4f, -0x1.9c0db20000000p-5f, 0x1.3644c80000000p-6f},
    {-0x1.e9066c0000000p-12f, 0x1.b4252e0000000p-17f, 0x1.81868a0000000p-28f, -0x1.ba1ba20000000p-5f, -0x1.5afa620000000p-5f, -0x1.e50f7c0000000p-7f, 0x1.cd13720000000p-6f, 0x1.4a113a0000000p-9f},
    {0x1.1f06dc0000000p-12f, -0x1.3f384c0000000p-19f, -0x1.6c7bec0000000p-30f, 0.0f, 0x1.661ac60000000p-6f, 0x1.efc4420000000p-6f, 0x1.3b2e040000000p-7f, -0x1.ddc7f00000000p-8f},
    {-0x1.57087a0000000p-14f, 0x1.4667820000000p-22f, 0x1.11c0c60000000p-32f, 0x1.664f480000000p-6f, 0x1.ee1d900000000p-7f, 0x1.4b4ba00000000p-12f, -0x1.1b33c20000000p-6f, 0x1.1581240000000p-8f},
    {0x1.cba5780000000p-17f, -0x1.9b352e0000000p-26f, -0x1.1de0de0000000p-35f, 0.0f, -0x1.79a5d00000000p-7f, -0x1.bbdfd40000000p-7f, 0x1.03d7000000000p-7f, -0x1.47e25e0000000p-10f},
    {-0x1.1100a40000000p-20f, 0x1.dc5daa0000000p-31f, 0x1.2e440e0000000p-39f, -0x1.226e360000000p-7f, -0x1.43cfee0000000p-10f, 0x1.810f480000000p-8f, -0x1.5b5f460000000p-10f, 0x1.5280800000000p-13f},
    {0x1.0000000000000p+1f, 0x1.0000000000000p+2f, 0x1.0000000000000p+3f, 0.0f, 0x1.0000000000000p-3f, 0x1.0000000000000p-2f, 0x1.0000000000000p-1f, 0x1.0000000000000p+0f},
};
#endif

typedef float cy__fv __attribute__((vector_size(4 * CY__TANH_LANES)));
typedef int32_t cy__iv __attribute__((vector_size(4 * CY__TANH_LANES)));
/* one table row in registers: 32 slots in two vectors, 8 in one */
typedef cy__fv cy__tanh_row[CY__TANH_SLOTS / CY__TANH_LANES];

/* Pointers, not vector values, cross the function boundary (-Wpsabi). */
CY_INLINE void cy__tanhf_block(const float *a, float *out, const cy__tanh_row *tab)
{
    cy__fv ax, r, p;
    cy__iv u, idx;
    int j;
    memcpy(&u, a, sizeof u);
    ax = (cy__fv)(u & 0x7fffffff);
    /* min(9.75, |x|): tanh rounds to 1 from 9.01 on, and inf lands there;
       minps returns its second operand for NaN, so NaN stays NaN */
    ax = (cy__fv)CY__MINPS((cy__tmf)((cy__fv){0} + 9.75f), (cy__tmf)ax);
    /* below the first binade every |x| maps to interval 0; NaN maps to
       some slot, and r = NaN carries it through */
    idx = (cy__iv)ax >> CY__TANH_SHIFT;
    idx = (cy__iv)CY__MAXEPI32((cy__tmi)idx, (cy__tmi)((cy__iv){0} + CY__TANH_BASE));
    r = ax - CY__LOOKUP(tab, CY__TANH_DEG + 1, idx);
    /* Horner with explicit FMAs: the same bits whatever -ffp-contract says */
    p = CY__LOOKUP(tab, CY__TANH_DEG, idx);
    for (j = CY__TANH_DEG - 1; j >= 0; j--)
        p = (cy__fv)CY__FMAPS((cy__tmf)p, (cy__tmf)r, (cy__tmf)CY__LOOKUP(tab, j, idx));
    /* the sign of x back on |tanh|: tanh(-0) = -0 */
    u = (cy__iv)p | (u & (int32_t)0x80000000);
    memcpy(out, &u, sizeof u);
}
#endif

/* float32 sigmoid with AVX-512: cy_sigmoidf's form (cyact_math.h) with
 * 1/(1 + e) from vrcp14ps (within 2^-14) instead of a division: y0 = a r,
 * the residual v = (a - y0) - y0 e as there (a - y0 exact: y0 lies within
 * [a/2, a]), and y = y0 + v r, the step's own error 2^-14 of v's. The clamp
 * of -|x| is one maxps, which returns its second operand for NaN, so NaN
 * flows through e. Why: GCC emits neither instruction from the per-point
 * code (it keeps the division, and a compare and a blend for the clamp):
 * 0.327 -> 0.298 ns per element over 65536 floats. The error is also
 * smaller, the step now dividing by 1 + e: at most 1.49 ULP over all 2^32
 * floats against long double, where the point form with FMA gives 1.69
 * (they differ by at most 1 ULP, and by 2 from the baseline build's). Not
 * with AVX2, whose 12-bit vrcpps would need another Newton step. */
#if defined(__AVX512F__)
#define CY__PS1(c) _mm512_set1_ps(c)
CY_INLINE __m512 cy__sigmoidf16(__m512 x)
{
    const __m512 one = CY__PS1(1.0f);
    __m512 nx = _mm512_castsi512_ps(_mm512_or_si512(_mm512_castps_si512(x),
                                                    _mm512_set1_epi32(INT32_MIN)));
    __m512 t, n, r, e, a, rc, y0, v;
    __m512i s;
    nx = _mm512_max_ps(CY__PS1(-104.0f), nx);  /* exp(-104) rounds to 0 */
    /* cy__expf_neg: e = exp(nx), rounded once */
    t = _mm512_fmadd_ps(nx, CY__PS1(CY__F_LOG2E), CY__PS1(CY__F_MAGIC));
    n = _mm512_sub_ps(t, CY__PS1(CY__F_MAGIC));
    r = _mm512_fnmadd_ps(n, CY__PS1(CY__F_LN2LO), _mm512_fnmadd_ps(n, CY__PS1(CY__F_LN2HI), nx));
    s = _mm512_add_epi32(_mm512_slli_epi32(_mm512_castps_si512(t), 23),
                         _mm512_set1_epi32((int32_t)((127u + 24u - cy__f2u(CY__F_MAGIC)) << 23)));
    e = _mm512_mul_ps(CY__EXPF_POLY24(_mm512_fmadd_ps, CY__PS1, r), _mm512_castsi512_ps(s));
    a = _mm512_mask_blend_ps(_mm512_cmp_ps_mask(x, _mm512_setzero_ps(), _CMP_GE_OQ), e, one);
    rc = _mm512_rcp14_ps(_mm512_add_ps(one, e));
    y0 = _mm512_mul_ps(a, rc);
    v = _mm512_fnmadd_ps(y0, e, _mm512_sub_ps(a, y0));
    return _mm512_fmadd_ps(v, rc, y0);
}
#endif

/* float64 tanh with AVX-512: cy_tanh's steps (cyact_math.h), with the
 * clamp of |x| one minpd, which returns its second operand (|x|) for NaN,
 * so NaN flows through, and 1/Dh from vrcp14pd and one Newton step (within
 * 2^-28) instead of a division: q = Eh/Dh then errs by 2^-28 of itself,
 * which the residual step c = ((Eh - q Dh) + (El - q Dl)) / Dh takes back,
 * dividing by the same 1/Dh (within 2^-28 of c, itself within 2^-28 of
 * q). Why: GCC keeps the division and makes the clamp a compare and a
 * blend: 1.33 -> 1.27 ns per element over 65536 doubles (from Python,
 * 1.37-1.39 -> 1.29-1.31). Against long double the error stayed at
 * cy_tanh's: 1.16 ULP at most over 2e6 points across the range, 1.06 over
 * 300,000 spread over the exponents; the two forms differ in the last bit
 * at 1 point in 820 and 1 in 320 of those. Two steps of cy_tanh left
 * out, measured on an Intel Xeon VM (2026-12-02, one thread, in place):
 * the sign goes back by one vpternlog (a bitwise select) instead of and,
 * andnot and or (0.97-0.99 of the time; on the AMD EPYC VM it had run 2%
 * slower, its x loaded again), and E's low part drops Sl, the rounding
 * error of 2^n - 1, which is not 0 only for n < -53, |x| > 18.37, where
 * tanh is within 2^-52 of 1 (0.90-0.95 of the time; 1.10-1.17 ns per
 * element at 1e5-4e6 -> 1.05-1.11; clamping n at -53 instead, which kept
 * Sl 0, ran 0.97-0.98). The error there rises to 1.41 ULP (x = -18.54),
 * within the bound of 2; elsewhere it is unchanged (1.25 ULP at most over
 * 4.2e6 points, at x = 0.1735). */
#if defined(__AVX512F__)
#define CY__PD1(c) _mm512_set1_pd(c)
CY_INLINE __m512d cy__tanh8(__m512d x)
{
    const __m512i mag = _mm512_set1_epi64(INT64_MAX);
    const __m512d one = CY__PD1(1.0), two = CY__PD1(2.0);
    __m512d ax = _mm512_castsi512_pd(_mm512_and_si512(_mm512_castpd_si512(x), mag));
    __m512d a = _mm512_mul_pd(CY__PD1(-2.0), _mm512_min_pd(CY__PD1(19.5), ax));
    __m512d t, n, r, r2, r4, v, uh, ul, sc, bh, Sh, Eh, El, Dh, Dl, i0, iv, q, c;
    /* cy__exp_reduce with K = 0: a = n ln2 + r, sc = 2^n */
    t = _mm512_fmadd_pd(a, CY__PD1(CY__D_LOG2E), CY__PD1(CY__D_MAGIC));
    n = _mm512_sub_pd(t, CY__PD1(CY__D_MAGIC));
    r = _mm512_fnmadd_pd(n, CY__PD1(CY__D_LN2LO), _mm512_fnmadd_pd(n, CY__PD1(CY__D_LN2HI), a));
    sc = _mm512_castsi512_pd(_mm512_add_epi64(
        _mm512_slli_epi64(_mm512_castpd_si512(t), 52),
        _mm512_set1_epi64((long long)((1023u - cy__d2u(CY__D_MAGIC)) << 52))));
    r2 = _mm512_mul_pd(r, r);
    r4 = _mm512_mul_pd(r2, r2);
    v = _mm512_mul_pd(r2, CY__EXP_Q0(_mm512_fmadd_pd, CY__PD1, r, r2, r4));
    uh = _mm512_add_pd(r, v);
    ul = _mm512_add_pd(_mm512_sub_pd(r, uh), v);
    /* E = Eh + El = exp(a) - 1, D = Dh + Dl = 2 + E, as in cy_tanh */
    bh = _mm512_mul_pd(sc, uh);
    Sh = _mm512_sub_pd(sc, one);
    Eh = _mm512_add_pd(Sh, bh);
    El = _mm512_fmadd_pd(sc, ul, _mm512_add_pd(_mm512_sub_pd(Sh, Eh), bh));
    Dh = _mm512_add_pd(two, Eh);
    Dl = _mm512_add_pd(_mm512_add_pd(_mm512_sub_pd(two, Dh), Eh), El);
    i0 = _mm512_rcp14_pd(Dh);
    iv = _mm512_fmadd_pd(i0, _mm512_fnmadd_pd(Dh, i0, one), i0);
    q = _mm512_mul_pd(Eh, iv);
    c = _mm512_mul_pd(_mm512_add_pd(_mm512_fnmadd_pd(q, Dh, Eh), _mm512_fnmadd_pd(q, Dl, El)), iv);
    /* |q + c| with the sign of x: tanh(-0) = -0 */
    return _mm512_castsi512_pd(_mm512_ternarylogic_epi64(
        mag, _mm512_castpd_si512(_mm512_add_pd(q, c)), _mm512_castpd_si512(x), 0xCA));
}
#endif

/* float64 exp with AVX-512 from a table of 2^(j/16), j = 0..15, held in
 * registers (a high and a low part each, looked up by two vpermt2pd): d =
 * (16 k + j) ln2/16 + r, |r| <= ln2/32, exp(d) = 2^k (T_j + T_lo,j) (1 + p),
 * p = exp(r) - 1 = r + r^2 q(r), q of degree 5 (Taylor: the first term left
 * out, r^8/8!, is below 2^-59.5), against degree 11 on |r| <= ln2/2 in
 * cyact_math.h's cores. T_j is 2^(j/16) rounded to double, T_lo,j the rest
 * rounded (both from mpmath at 200 bits). Used where a loop is bound by the
 * vector pipes: the AVX-512 float64 sigmoid, softmax and log_softmax rows'
 * exps and log_softmax_grad's rows from y (cyact_rows.h). */
#if defined(__AVX512F__)
static const double cy__exp2j16_hi[16] = {
    0x1.0000000000000p+0, 0x1.0b5586cf9890fp+0, 0x1.172b83c7d517bp+0, 0x1.2387a6e756238p+0,
    0x1.306fe0a31b715p+0, 0x1.3dea64c123422p+0, 0x1.4bfdad5362a27p+0, 0x1.5ab07dd485429p+0,
    0x1.6a09e667f3bcdp+0, 0x1.7a11473eb0187p+0, 0x1.8ace5422aa0dbp+0, 0x1.9c49182a3f090p+0,
    0x1.ae89f995ad3adp+0, 0x1.c199bdd85529cp+0, 0x1.d5818dcfba487p+0, 0x1.ea4afa2a490dap+0};
static const double cy__exp2j16_lo[16] = {
    0x0.0p+0, 0x1.8a62e4adc610bp-54, -0x1.19041b9d78a76p-55, 0x1.9b07eb6c70573p-54,
    0x1.6f46ad23182e4p-55, 0x1.ada0911f09ebcp-55, 0x1.d4397afec42e2p-56, 0x1.6324c054647adp-54,
    -0x1.bdd3413b26456p-54, -0x1.41577ee04992fp-55, 0x1.6e9f156864b27p-54, 0x1.c7c46b071f2bep-56,
    0x1.7a1cd345dcc81p-54, 0x1.11065895048ddp-55, 0x1.2ed02d75b3707p-55, -0x1.e9c23179c2893p-54};

/* The reduction: d + err = (16 k + j) ln2/16 + r, returns r (err: the
 * rounding error of d where d is itself rounded, -0.0 for none, which GCC
 * drops), *th and *tl T_j's parts, *s = 2^(k + K), normal for k + K >=
 * -1022. r's own rounding errors (of r0 + err and of r) are below 2^-53 of
 * |r| <= ln2/32: 2^-58.5 of exp(r), so none is kept. t's low bits hold 16 k
 * + j: vpermt2pd reads j from each lane's low 4 bits, and t's bits shifted
 * right by 4 hold k plus a constant. */
CY_INLINE __m512d cy__exp16_reduce8(__m512d d, __m512d err, uint64_t K, __m512d *th,
                                    __m512d *tl, __m512d *s)
{
    __m512d t = _mm512_fmadd_pd(d, CY__PD1(0x1.71547652b82fep+4), CY__PD1(CY__D_MAGIC));
    __m512d m = _mm512_sub_pd(t, CY__PD1(CY__D_MAGIC));
    __m512d r0 = _mm512_fnmadd_pd(m, CY__PD1(CY__D_LN2HI / 16), d);   /* exact */
    __m512i ti = _mm512_castpd_si512(t);
    *th = _mm512_permutex2var_pd(_mm512_loadu_pd(cy__exp2j16_hi), ti,
                                 _mm512_loadu_pd(cy__exp2j16_hi + 8));
    *tl = _mm512_permutex2var_pd(_mm512_loadu_pd(cy__exp2j16_lo), ti,
                                 _mm512_loadu_pd(cy__exp2j16_lo + 8));
    *s = _mm512_castsi512_pd(_mm512_add_epi64(
        _mm512_slli_epi64(_mm512_srli_epi64(ti, 4), 52),
        _mm512_set1_epi64((long long)((1023u + K - (cy__d2u(CY__D_MAGIC) >> 4)) << 52))));
    return _mm512_fnmadd_pd(m, CY__PD1(CY__D_LN2LO / 16), _mm512_add_pd(r0, err));
}

/* exp(r) - 1 for |r| <= ln2/32 (and a hair): r + r^2 q(r). */
CY_INLINE __m512d cy__expm1_16_8(__m512d r)
{
    __m512d r2 = _mm512_mul_pd(r, r);
    __m512d q = _mm512_fmadd_pd(
        _mm512_fmadd_pd(_mm512_fmadd_pd(CY__PD1(0x1.a01a01a01a01ap-13), r,
                                        CY__PD1(0x1.6c16c16c16c17p-10)),
                        r2, _mm512_fmadd_pd(CY__PD1(0x1.1111111111111p-7), r,
                                            CY__PD1(0x1.5555555555555p-5))),
        r2, _mm512_fmadd_pd(CY__PD1(0x1.5555555555555p-3), r, CY__PD1(0.5)));
    return _mm512_fmadd_pd(r2, q, r);
}

/* float64 sigmoid with AVX-512: cy_sigmoid's form (cyact_math.h), with e =
 * exp(-|x|) from the table above: e 2^56 = T s + (T p + T_lo) s, rounded
 * once (T s is exact), the smaller term's rounding below 2^-58 of e, where
 * the core's 1 + uh carried up to 0.2 ULP more; the scale 2^(k + 56) taken
 * back by one multiplication as there, so that a subnormal e is rounded
 * once more only. The clamp of -|x| is one maxpd, which returns its second
 * operand for NaN, so NaN flows through e. Why: the loop is bound by the
 * FMA pipes, and this takes 15 of their operations (FMAs and products) for
 * y against 18: in place, one thread, on the AMD EPYC VM, 0.94 -> 0.82 ns
 * per element at 1e5 (1.135 times as fast), 1.14 at 4e6, 1.06 at 1e3;
 * 1/(1 + e) from vrcp14pd and two Newton steps, to keep y's error, ran
 * 0.96-0.97 of the division's speed. Error against long double over 5.5e6
 * points (|x| up to 750, and small): at most 1.50 ULP, mean 0.285
 * (cy_sigmoid: 1.62, 0.291). */
CY_INLINE __m512d cy__sigmoid8(__m512d x)
{
    const __m512d one = CY__PD1(1.0);
    __m512d nx = _mm512_castsi512_pd(_mm512_or_si512(_mm512_castpd_si512(x),
                                                     _mm512_set1_epi64(INT64_MIN)));
    __m512d r, p, th, tl, s, e, a, y0, v;
    nx = _mm512_max_pd(CY__PD1(-746.0), nx);   /* sigmoid(-746) < 2^-1075 -> +0 */
    r = cy__exp16_reduce8(nx, CY__PD1(-0.0), 56, &th, &tl, &s);
    p = cy__expm1_16_8(r);
    e = _mm512_mul_pd(_mm512_fmadd_pd(_mm512_fmadd_pd(th, p, tl), s, _mm512_mul_pd(th, s)),
                      CY__PD1(0x1p-56));
    a = _mm512_mask_blend_pd(_mm512_cmp_pd_mask(x, _mm512_setzero_pd(), _CMP_GE_OQ), e, one);
    y0 = _mm512_div_pd(a, _mm512_add_pd(one, e));
    v = _mm512_fnmadd_pd(y0, e, _mm512_sub_pd(a, y0));
    return _mm512_add_pd(v, y0);
}
#endif

/* NAME(a, out, n): out[i] = f(a[i]) over an array of T, out may be a; with
 * AVX-512 by V, the vector form of f (L lanes, mask type M, the intrinsics'
 * suffix S), the last vector a masked load and store; elsewhere by P, the
 * point form. */
#if defined(__AVX512F__)
#define CY__ARRAY_DEFINE(NAME, T, P, V, L, M, S)                                \
static inline void NAME(const T *a, T *out, Py_ssize_t n)                      \
{                                                                               \
    Py_ssize_t i;                                                               \
    M rest;                                                                     \
    for (i = 0; i + L <= n; i += L)                                             \
        _mm512_storeu_##S(out + i, V(_mm512_loadu_##S(a + i)));                \
    if (i < n) {                                                                \
        rest = (M)((1u << (n - i)) - 1);                                        \
        _mm512_mask_storeu_##S(out + i, rest, V(_mm512_maskz_loadu_##S(rest, a + i))); \
    }                                                                           \
}
#else
#define CY__ARRAY_DEFINE(NAME, T, P, V, L, M, S)                                \
static inline void NAME(const T *a, T *out, Py_ssize_t n)                      \
{                                                                               \
    Py_ssize_t i;                                                               \
    for (i = 0; i < n; i++)                                                     \
        out[i] = P(a[i]);                                                       \
}
#endif
CY__ARRAY_DEFINE(cy_sigmoidf_array, float, cy_sigmoidf, cy__sigmoidf16, 16, __mmask16, ps)
CY__ARRAY_DEFINE(cy_tanh_array, double, cy_tanh, cy__tanh8, 8, __mmask8, pd)
CY__ARRAY_DEFINE(cy_sigmoid_array, double, cy_sigmoid, cy__sigmoid8, 8, __mmask8, pd)

/* out[i] = tanh(a[i]) (float32); out may be a. */
static inline void cy_tanhf_array(const float *a, float *out, Py_ssize_t n)
{
#if defined(__AVX512F__) || (defined(__AVX2__) && defined(__FMA__))
    cy__tanh_row tab[CY__TANH_DEG + 2];
    float block[CY__TANH_LANES];
    Py_ssize_t i;
    memcpy(tab, cy__tanhf_tab, sizeof tab);
    for (i = 0; i + CY__TANH_LANES <= n; i += CY__TANH_LANES)
        cy__tanhf_block(a + i, out + i, tab);
    if (i < n) {
        memset(block, 0, sizeof block);
        memcpy(block, a + i, (size_t)(n - i) * sizeof(float));
        cy__tanhf_block(block, block, tab);
        memcpy(out + i, block, (size_t)(n - i) * sizeof(float));
    }
#else
    Py_ssize_t i;
    for (i = 0; i < n; i++)
        out[i] = cy_tanhf(a[i]);
#endif
}

#endif
