"""Fit the coefficient table of cyact's table-driven float32 tanh.

Prints the C initializer of ``cy__tanhf_tab`` in ``cyact/src/cyact_tables.h``
(run: ``python scripts/fit_tanhf_table.py``, about 10 s; needs mpmath).

|x| is split into 30 intervals: [0, 2^-4), then each binade from 2^-4 to 2^3
in four (two mantissa bits), then [8, 9.75] (tanh rounds to 1 above 9.01;
the kernel clamps |x| to 9.75, where the polynomial is well clear of the
rounding boundary, so that tanh(inf) = 1 exactly).
On each, tanh(|x|) = sum_j c_j r^j with r = |x| - a, a the interval's left
end (0 for the first), degree 5. The first interval takes the Taylor series
(exact coefficients, so tanh(x) = x for tiny x); the others a weighted least
squares fit in relative error, reweighted towards equal ripple (Lawson),
in 50-digit arithmetic, then rounded to float.

The kernel finds the interval from the bits of |x|: bits >> 21 is the
exponent and two mantissa bits, 491 + k on interval k (below 2^-4 it is
clamped to 491). The lookup (vpermt2ps) uses its low five bits, so interval
k sits in slot (491 + k) mod 32; row 6 holds the left ends a. The two free
slots (and NaN's slot) hold zeros.
"""
import struct

import mpmath as mp

mp.mp.dps = 50
DEGREE = 5
SLOTS = 32
BASE = 491          # (bits of 2^-4) >> 21 is 492: interval 1


def from_bits(b):
    return struct.unpack("<f", struct.pack("<I", b))[0]


def to_float(v):
    return struct.unpack("<f", struct.pack("<f", float(v)))[0]


def intervals():
    out = [(0.0, 2.0**-4)]
    for e in range(123, 130):
        for m in range(4):
            lo = from_bits((e << 23) | (m << 21))
            hi = from_bits((e << 23) | ((m + 1) << 21)) if m < 3 else from_bits((e + 1) << 23)
            out.append((lo, hi))
    out.append((8.0, 9.75))
    return out


def fit(lo, hi, nodes=60, rounds=30):
    xs = [mp.mpf(lo) + (mp.mpf(hi) - lo) * (1 - mp.cos(mp.pi * (k + 0.5) / nodes)) / 2
          for k in range(nodes)]
    rs = [x - lo for x in xs]
    ys = [mp.tanh(x) for x in xs]
    weights = [1.0] * nodes
    for _ in range(rounds):
        a = mp.matrix(nodes, DEGREE + 1)
        b = mp.matrix(nodes, 1)
        for i in range(nodes):
            w = mp.sqrt(weights[i]) / abs(ys[i])
            for j in range(DEGREE + 1):
                a[i, j] = rs[i] ** j * w
            b[i] = ys[i] * w
        c = mp.lu_solve(a.T * a, a.T * b)
        err = [abs(sum(c[j] * rs[i] ** j for j in range(DEGREE + 1)) - ys[i]) / abs(ys[i])
               for i in range(nodes)]
        total = sum(w * e for w, e in zip(weights, err))
        weights = [w * e / total * nodes for w, e in zip(weights, err)]
    return [c[j] for j in range(DEGREE + 1)]


def main():
    table = [[0.0] * SLOTS for _ in range(DEGREE + 2)]
    for k, (lo, hi) in enumerate(intervals()):
        if k == 0:
            coef = [0, 1, 0, mp.mpf(-1) / 3, 0, mp.mpf(2) / 15]
            left = 0.0
        else:
            coef = fit(lo, hi)
            left = lo
        slot = (BASE + k) % SLOTS
        for j, c in enumerate(coef):
            table[j][slot] = to_float(c)
        table[DEGREE + 1][slot] = left
    for row in table:
        print("    {" + ", ".join(v.hex() + "f" if v else "0.0f" for v in row) + "},")


if __name__ == "__main__":
    main()
