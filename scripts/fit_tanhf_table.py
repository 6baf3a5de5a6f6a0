"""Fit the coefficient tables of cyact's table-driven float32 tanh.

Prints the C initializers of ``cy__tanhf_tab`` in ``cyact/src/cyact_tables.h``
for both layouts (run: ``python scripts/fit_tanhf_table.py``, about 15 s;
needs mpmath).

|x| is split into intervals by its bits, each with its own polynomial
tanh(|x|) = sum_j c_j r^j, r = |x| - a, a the interval's left end (0 for
the first). The first interval takes the Taylor series (exact coefficients,
so tanh(x) = x for tiny x); the others a weighted least squares fit in
relative error, reweighted towards equal ripple (Lawson), in 50-digit
arithmetic, then rounded to float. The last interval is [8, 9.75]: tanh
rounds to 1 above 9.01, and the kernel clamps |x| to 9.75, where the
polynomial is well clear of the rounding boundary, so tanh(inf) = 1 exactly.

- AVX-512 (32 slots, one vpermt2ps per coefficient): [0, 2^-4), each binade
  from 2^-4 to 2^3 in four (two mantissa bits), [8, 9.75]: 30 intervals,
  degree 5. bits >> 21 is 491 + k on interval k (clamped to 491 below).
- AVX2 (8 slots, one vpermps): [0, 2^-3), each binade from 2^-3 to 2^3,
  [8, 9.75]: 8 intervals, degree 11 (the binade [4, 8) needs it). bits >> 23
  is 123 + k (clamped to 123 below).

A lookup uses the low bits of the index only, so interval k sits in slot
(base + k) mod slots; the last row holds the left ends a. Free slots (and
NaN's, which r = NaN carries through anyway) hold zeros.
"""
import struct

import mpmath as mp

mp.mp.dps = 50
# name: (slots, degree, base, mantissa bits in the index, first binade)
LAYOUTS = {"avx512": (32, 5, 491, 2, -4), "avx2": (8, 11, 123, 0, -3)}


def from_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def to_float(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]


def intervals(mbits, first):
    out = [(0.0, 2.0**first)]
    sub = 1 << mbits
    for e in range(127 + first, 130):
        for m in range(sub):
            lo = from_bits((e << 23) | (m << (23 - mbits)))
            hi = (from_bits((e << 23) | ((m + 1) << (23 - mbits))) if m < sub - 1
                  else from_bits((e + 1) << 23))
            out.append((lo, hi))
    out.append((8.0, 9.75))
    return out


def taylor(degree):
    """tanh's odd Taylor coefficients up to x^degree."""
    c = mp.taylor(mp.tanh, 0, degree)
    return [0 if j % 2 == 0 else c[j] for j in range(degree + 1)]


def fit(lo, hi, degree, nodes=60, rounds=30):
    xs = [mp.mpf(lo) + (mp.mpf(hi) - lo) * (1 - mp.cos(mp.pi * (k + 0.5) / nodes)) / 2
          for k in range(nodes)]
    rs = [x - lo for x in xs]
    ys = [mp.tanh(x) for x in xs]
    weights = [1.0] * nodes
    for _ in range(rounds):
        a = mp.matrix(nodes, degree + 1)
        b = mp.matrix(nodes, 1)
        for i in range(nodes):
            w = mp.sqrt(weights[i]) / abs(ys[i])
            for j in range(degree + 1):
                a[i, j] = rs[i] ** j * w
            b[i] = ys[i] * w
        c = mp.lu_solve(a.T * a, a.T * b)
        err = [abs(sum(c[j] * rs[i] ** j for j in range(degree + 1)) - ys[i]) / abs(ys[i])
               for i in range(nodes)]
        total = sum(w * e for w, e in zip(weights, err))
        weights = [w * e / total * nodes for w, e in zip(weights, err)]
    return [c[j] for j in range(degree + 1)]


def table(slots, degree, base, mbits, first):
    rows = [[0.0] * slots for _ in range(degree + 2)]
    for k, (lo, hi) in enumerate(intervals(mbits, first)):
        coef, left = (taylor(degree), 0.0) if k == 0 else (fit(lo, hi, degree), lo)
        slot = (base + k) % slots
        for j, c in enumerate(coef):
            rows[j][slot] = to_float(c)
        rows[degree + 1][slot] = left
    return rows


def main():
    for name, layout in LAYOUTS.items():
        print(f"/* {name} */")
        for row in table(*layout):
            print("    {" + ", ".join(v.hex() + "f" if v else "0.0f" for v in row) + "},")


if __name__ == "__main__":
    main()
