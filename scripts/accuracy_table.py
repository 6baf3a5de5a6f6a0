"""Print the README's accuracy table: the error of every cyact function in ULP
against mpmath, float32 and float64, on every kernel build of this machine.

    python scripts/accuracy_table.py [--points N] [--rows K] [--build NAME]

It runs the harness of tests/accuracy.py (what tests/test_accuracy.py asserts)
on a larger sweep than the tests: by default 400,000 points per dtype and
twice the softmax rows, about two minutes, nearly all of it mpmath. Columns:
max and mean ULP on the active build (``--build``, default the one chosen at
import), the bound the tests assert, the input of the maximum, and the
maximum on each build. Progress and timings go to stderr, the Markdown to
stdout. Needs the test dependencies (pytest, mpmath) and an importable cyact
(installed, or ``PYTHONPATH=.`` after ``python setup.py build_ext --inplace``).
"""
import argparse
import os
import sys
import time

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), os.pardir, "tests"))

from cyact import _dispatch  # noqa: E402

import accuracy as A  # noqa: E402

MARKS = {A.PRODUCT_UNIT: "†", A.CANCELLED_UNIT: "‡"}


def _num(v):
    """3 digits; beyond 1000 (a cancelled reduction in plain ULP, possibly
    past float64's range) in longdouble's scientific notation."""
    v = np.longdouble(v)
    if np.isinf(v) or v < 1000:
        return f"{float(v):.3g}"
    return np.format_float_scientific(v, precision=1, trim="k")


def measure_all(points, rows, builds, active):
    """{(label, dtype): {build: Result}} and the Sweeps."""
    results, sweeps = {}, []
    before = _dispatch.name
    try:
        for dtype in A.DTYPES:
            t0 = time.perf_counter()
            s = A.sweep(dtype, points, rows)
            sweeps.append(s)
            for m in A.MEASURES:
                # The active build last: its Result is the one that is kept.
                for b in [b for b in builds if b != active] + [active]:
                    _dispatch.use(b)
                    results.setdefault((m.label, dtype), {})[b] = m.evaluate(s)
            print(f"{dtype}: {s.x.size} points, "
                  f"{sum(a.size for a in s.rows.values())} softmax entries, "
                  f"{s.seconds:.0f} s of mpmath, {time.perf_counter() - t0:.0f} s in all",
                  file=sys.stderr)
    finally:
        _dispatch.use(before)
    return results, sweeps


def table(results, sweeps, builds, active):
    lines = []
    s32 = sweeps[0]
    row_counts = ", ".join(f"{a.shape[0]} of length {n}" for n, a in s32.rows.items())
    lines += [
        f"Error in ULP against mpmath (exact values at {A.precision(A.F32)} bits for "
        f"float32, {A.precision(A.F64)} for float64, rounded once to longdouble), "
        f"kernel build `{active}`; last column: the maximum on each build "
        f"({' / '.join(builds)}).",
        f"Sweep per dtype: {s32.x.size:,} x (special values, log-uniform magnitudes over "
        f"every exponent of both signs, uniform over [-30, 30], bands around the "
        f"cut-offs), grad in ±[1/8, 8); y = the exact forward at those x, rounded; "
        f"softmax rows: {row_counts} (spreads from 1e-3 to every exponent, rows [0, d], "
        f"rows of special values); prelu_grad's grad_alpha over rows of {A.ALPHA_ROW}.",
        "A NaN or infinity where the exact value is not one is an infinite error; "
        "subnormal results count in subnormal steps.",
        "",
        "| function | dtype | max ULP | mean ULP | bound | worst input | max ULP per build |",
        "|---|---|---|---|---|---|---|",
    ]
    for m in A.MEASURES:
        for dtype in A.DTYPES:
            per_build = results[(m.label, dtype)]
            r = per_build[active]
            mark = MARKS.get(m.unit, "")
            worst = r.worst_input(max_row=3).replace("|", "\\|") if r.max > 0 else "—"
            plain = f" ({_num(r.plain_max)} plain)" if m.unit and r.plain_max > r.max else ""
            lines.append(
                f"| `{m.label}`{mark} | {dtype} | {_num(r.max)}{plain} | {_num(r.mean)} | "
                f"{r.bound:g} | {worst} | {' / '.join(_num(per_build[b].max) for b in builds)} |")
    lines += [
        "",
        f"† In ULP of {A.PRODUCT_UNIT}: the product's ULP wherever the exact f' is normal. "
        "Where f' is subnormal the kernel's f' (computed before the product, as any "
        "kernel must) is off by up to half a subnormal step, which grad multiplies; "
        "in the product's own ULP that is the larger \"plain\" figure.",
        f"‡ In ULP of {A.CANCELLED_UNIT} (the VJPs' |y|(|grad| + Σ|grad·y|) with y floored "
        "at the smallest normal, and |grad| + exp(y)Σ|grad|; grad_alpha's Σ|grad·x|): "
        "these reductions can cancel to 0 where their terms are not, where no float "
        "algorithm keeps relative accuracy (the \"plain\" figure); where nothing cancels "
        "it is the result's ULP.",
    ]
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--points", type=int, default=400_000, help="x per dtype")
    parser.add_argument("--rows", type=float, default=2, help="softmax rows, times the tests'")
    parser.add_argument("--build", default=_dispatch.name, choices=sorted(_dispatch.BUILDS),
                        help="the build whose max, mean and worst input are shown")
    args = parser.parse_args(argv)
    builds = list(_dispatch.BUILDS)
    t0 = time.perf_counter()
    results, sweeps = measure_all(args.points, args.rows, builds, args.build)
    print(table(results, sweeps, builds, args.build))
    print(f"total {time.perf_counter() - t0:.0f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
