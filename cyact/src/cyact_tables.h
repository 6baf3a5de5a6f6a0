/* cyact_tables.h -- table-driven kernels over whole arrays, for builds
 * with AVX-512.
 *
 * float32 tanh: |x| falls in one of 30 intervals (see
 * scripts/fit_tanhf_table.py, which prints cy__tanhf_tab below), each with
 * its own degree-5 polynomial in r = |x| - a. With AVX-512 a 32-entry table
 * fits in two registers and one vpermt2ps looks a coefficient up for 16
 * lanes, so tanh costs about 19 instructions per 16 elements and no division
 * (the exp form of cyact_math.h needs an exp, a division and its
 * correction: 0.60 against 0.24 ns per element here). Error: at most
 * 1.11 ULP, checked over every float. Without AVX-512 a 32-entry lookup
 * needs four permutes or a gather per coefficient, slower than the exp form,
 * which the other builds keep (cy_tanhf_array falls back to it).
 *
 * GCC vector extensions and, for what they cannot say in one instruction
 * (a min that keeps NaN, a 32-bit max, an FMA), AVX-512 intrinsics. Each vector goes through the same instructions; the tail of
 * an array is copied into a padded block, so every element's result is the
 * same wherever it lies (any thread split gives the same bits). */
#ifndef CYACT_TABLES_H
#define CYACT_TABLES_H

#include <stdint.h>
#include <string.h>
#include "cyact_math.h"

#if defined(__AVX512F__)
#include <immintrin.h>

/* Row j < 6: coefficient of r^j; row 6: the interval's left end a.
 * Interval k is in slot (491 + k) mod 32. */
static const float cy__tanhf_tab[7][32] __attribute__((aligned(64))) = {
    {0x1.ed95060000000p-1f, 0x1.f925820000000p-1f, 0x1.fd77d20000000p-1f, 0x1.ff112c0000000p-1f, 0x1.ffa8180000000p-1f, 0x1.fff41a0000000p-1f, 0x1.fffe640000000p-1f, 0x1.ffffc80000000p-1f, 0x1.fffff80000000p-1f, 0.0f, 0.0f, 0.0f, 0x1.ff559a0000000p-5f, 0x1.3f59be0000000p-4f, 0x1.7ee1020000000p-4f, 0x1.be38d80000000p-4f, 0x1.fd59920000000p-4f, 0x1.3d6bc80000000p-3f, 0x1.7b8ffa0000000p-3f, 0x1.b8fd040000000p-3f, 0x1.f597ea0000000p-3f, 0x1.35f98a0000000p-2f, 0x1.6ef53e0000000p-2f, 0x1.a5729e0000000p-2f, 0x1.d9353e0000000p-2f, 0x1.1bf47e0000000p-1f, 0x1.45323e0000000p-1f, 0x1.6866500000000p-1f, 0x1.85efac0000000p-1f, 0x1.b2523c0000000p-1f, 0x1.cf6f980000000p-1f, 0x1.e1fbfa0000000p-1f},
    {0x1.2161f40000000p-4f, 0x1.b3ad560000000p-6f, 0x1.4348060000000p-7f, 0x1.dd34340000000p-9f, 0x1.5f4d8c0000000p-10f, 0x1.7c917a0000000p-13f, 0x1.9c110c0000000p-16f, 0x1.be24540000000p-19f, 0x1.e0abd40000000p-22f, 0.0f, 0.0f, 0x1.0000000000000p+0f, 0x1.fe01540000000p-1f, 0x1.fce33e0000000p-1f, 0x1.fb86b80000000p-1f, 0x1.f9ec6c0000000p-1f, 0x1.f815260000000p-1f, 0x1.f3b3600000000p-1f, 0x1.ee69e40000000p-1f, 0x1.e842ca0000000p-1f, 0x1.e149a00000000p-1f, 0x1.d115740000000p-1f, 0x1.be3fba0000000p-1f, 0x1.a945ba0000000p-1f, 0x1.92a9460000000p-1f, 0x1.6284c20000000p-1f, 0x1.3173b20000000p-1f, 0x1.02500a0000000p-1f, 0x1.ae0dea0000000p-2f, 0x1.1f252c0000000p-2f, 0x1.7216660000000p-3f, 0x1.d22ca80000000p-4f},
    {-0x1.16e7620000000p-4f, -0x1.ad9e640000000p-6f, -0x1.417a400000000p-7f, -0x1.dc02c40000000p-9f, -0x1.5c96c00000000p-10f, -0x1.79d3ac0000000p-13f, -0x1.99209e0000000p-16f, -0x1.baf6c40000000p-19f, -0x1.cfc7a00000000p-22f, 0.0f, 0.0f, 0.0f, -0x1.fd57980000000p-5f, -0x1.3d68c60000000p-4f, -0x1.7b888e0000000p-4f, -0x1.b8ed1e0000000p-4f, -0x1.f579320000000p-4f, -0x1.35cbbc0000000p-3f, -0x1.6e86660000000p-3f, -0x1.a48aac0000000p-3f, -0x1.d781200000000p-3f, -0x1.1992020000000p-2f, -0x1.3fd5340000000p-2f, -0x1.5e0ef20000000p-2f, -0x1.7426480000000p-2f, -0x1.893b060000000p-2f, -0x1.8403fe0000000p-2f, -0x1.6ba83a0000000p-2f, -0x1.478e640000000p-2f, -0x1.e732840000000p-3f, -0x1.4eff800000000p-3f, -0x1.b6d9a00000000p-4f},
    {0x1.57c34c0000000p-5f, 0x1.14cf920000000p-6f, 0x1.a4e92c0000000p-8f, 0x1.396e6a0000000p-9f, 0x1.bb1ac80000000p-11f, 0x1.e0aad60000000p-14f, 0x1.0445dc0000000p-16f, 0x1.19cd840000000p-19f, 0x1.0c35000000000p-22f, 0.0f, 0.0f, -0x1.5555560000000p-2f, -0x1.5007920000000p-2f, -0x1.4d12640000000p-2f, -0x1.497b520000000p-2f, -0x1.45461e0000000p-2f, -0x1.4077b80000000p-2f, -0x1.3521060000000p-2f, -0x1.27a5d40000000p-2f, -0x1.183be80000000p-2f, -0x1.0725fe0000000p-2f, -0x1.c1b4660000000p-3f, -0x1.6dd39e0000000p-3f, -0x1.16ee820000000p-3f, -0x1.82632e0000000p-4f, -0x1.24e5e60000000p-6f, 0x1.56aa640000000p-5f, 0x1.4f4f6a0000000p-4f, 0x1.aa6de40000000p-4f, 0x1.bcef6a0000000p-4f, 0x1.68341c0000000p-4f, 0x1.01d1fe0000000p-4f},
    {-0x1.1c6f4a0000000p-6f, -0x1.ee9a300000000p-8f, -0x1.81dc000000000p-9f, -0x1.21fba80000000p-10f, -0x1.6907f60000000p-12f, -0x1.8808ce0000000p-15f, -0x1.a89e220000000p-18f, -0x1.cbc0380000000p-21f, -0x1.64a2a80000000p-24f, 0.0f, 0.0f, 0.0f, 0x1.51be580000000p-5f, 0x1.a38e7c0000000p-5f, 0x1.f3a6760000000p-5f, 0x1.20da8e0000000p-4f, 0x1.472ee60000000p-4f, 0x1.8ee8f60000000p-4f, 0x1.d0583e0000000p-4f, 0x1.054f2e0000000p-3f, 0x1.1ff06a0000000p-3f, 0x1.45bdec0000000p-3f, 0x1.5a16fe0000000p-3f, 0x1.5db29a0000000p-3f, 0x1.5597fe0000000p-3f, 0x1.1bfca80000000p-3f, 0x1.97793e0000000p-4f, 0x1.eb199e0000000p-5f, 0x1.8570160000000p-6f, -0x1.ef92120000000p-7f, -0x1.a9b4400000000p-6f, -0x1.84a6920000000p-6f},
    {0x1.0494fc0000000p-8f, 0x1.f6751e0000000p-10f, 0x1.947cf40000000p-11f, 0x1.334b9c0000000p-12f, 0x1.2028800000000p-14f, 0x1.3935000000000p-17f, 0x1.53487c0000000p-20f, 0x1.6f5cb40000000p-23f, 0x1.9def560000000p-27f, 0.0f, 0.0f, 0x1.1111120000000p-3f, 0x1.05bd300000000p-3f, 0x1.003d700000000p-3f, 0x1.f374400000000p-4f, 0x1.e47dae0000000p-4f, 0x1.cab5e60000000p-4f, 0x1.a286680000000p-4f, 0x1.74c9580000000p-4f, 0x1.42ad0c0000000p-4f, 0x1.e4bd0c0000000p-5f, 0x1.068e680000000p-5f, 0x1.897a300000000p-8f, -0x1.1831980000000p-6f, -0x1.630df20000000p-5f, -0x1.f7f4c80000000p-5f, -0x1.00ac7e0000000p-4f, -0x1.b2c9260000000p-5f, -0x1.070bb40000000p-5f, -0x1.3914d00000000p-7f, 0x1.6969860000000p-10f, 0x1.2d32060000000p-8f},
    {0x1.0000000000000p+1f, 0x1.4000000000000p+1f, 0x1.8000000000000p+1f, 0x1.c000000000000p+1f, 0x1.0000000000000p+2f, 0x1.4000000000000p+2f, 0x1.8000000000000p+2f, 0x1.c000000000000p+2f, 0x1.0000000000000p+3f, 0.0f, 0.0f, 0.0f, 0x1.0000000000000p-4f, 0x1.4000000000000p-4f, 0x1.8000000000000p-4f, 0x1.c000000000000p-4f, 0x1.0000000000000p-3f, 0x1.4000000000000p-3f, 0x1.8000000000000p-3f, 0x1.c000000000000p-3f, 0x1.0000000000000p-2f, 0x1.4000000000000p-2f, 0x1.8000000000000p-2f, 0x1.c000000000000p-2f, 0x1.0000000000000p-1f, 0x1.4000000000000p-1f, 0x1.8000000000000p-1f, 0x1.c000000000000p-1f, 0x1.0000000000000p+0f, 0x1.4000000000000p+0f, 0x1.8000000000000p+0f, 0x1.c000000000000p+0f},
};

typedef float cy__f16 __attribute__((vector_size(64)));
typedef int32_t cy__i16 __attribute__((vector_size(64)));

/* Pointers, not vector values, cross the function boundary (-Wpsabi). */
CY_INLINE void cy__tanhf16(const float *a, float *out, const cy__f16 *lo, const cy__f16 *hi)
{
    cy__f16 ax, r, p;
    cy__i16 u, idx;
    int j;
    memcpy(&u, a, 64);
    ax = (cy__f16)(u & 0x7fffffff);
    /* min(9.75, |x|): tanh rounds to 1 from 9.01 on, and inf lands there;
       vminps returns its second operand for NaN, so NaN stays NaN */
    ax = (cy__f16)_mm512_min_ps(_mm512_set1_ps(9.75f), (__m512)ax);
    /* exponent and two mantissa bits; below 2^-4 all map to interval 0.
       NaN maps to a zero slot, and r = NaN carries it through. */
    idx = (cy__i16)ax >> 21;
    idx = (cy__i16)_mm512_max_epi32((__m512i)idx, _mm512_set1_epi32(491));
    r = ax - __builtin_shuffle(lo[6], hi[6], idx);
    /* Horner with explicit FMAs: the same bits whatever -ffp-contract says */
    p = __builtin_shuffle(lo[5], hi[5], idx);
    for (j = 4; j >= 0; j--)
        p = (cy__f16)_mm512_fmadd_ps((__m512)p, (__m512)r,
                                     (__m512)__builtin_shuffle(lo[j], hi[j], idx));
    /* the sign of x back on |tanh|: tanh(-0) = -0 */
    u = (cy__i16)p | (u & (int32_t)0x80000000);
    memcpy(out, &u, 64);
}
#endif

/* out[i] = tanh(a[i]) (float32); out may be a. */
static inline void cy_tanhf_array(const float *a, float *out, Py_ssize_t n)
{
#if defined(__AVX512F__)
    cy__f16 lo[7], hi[7];
    float block[16];
    Py_ssize_t i;
    int j;
    for (j = 0; j < 7; j++) {
        memcpy(&lo[j], cy__tanhf_tab[j], 64);
        memcpy(&hi[j], cy__tanhf_tab[j] + 16, 64);
    }
    for (i = 0; i + 16 <= n; i += 16)
        cy__tanhf16(a + i, out + i, lo, hi);
    if (i < n) {
        memset(block, 0, sizeof block);
        memcpy(block, a + i, (size_t)(n - i) * sizeof(float));
        cy__tanhf16(block, block, lo, hi);
        memcpy(out + i, block, (size_t)(n - i) * sizeof(float));
    }
#else
    Py_ssize_t i;
    for (i = 0; i < n; i++)
        out[i] = cy_tanhf(a[i]);
#endif
}

#endif
