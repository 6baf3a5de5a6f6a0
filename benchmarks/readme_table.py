"""Print the README's speed table from a results JSON written by bench.py.

    python benchmarks/readme_table.py [benchmarks/results/latest.json] [--n 4e6]

One row per function and dtype at one n: cyact's ns per element on one
thread, each peer's ratio (peer time / cyact time), the floor's, and cyact's
own speed-up on all threads (timed in the same rounds where bench.py did so).
"""
import argparse
import json

PEERS = ["numpy", "scipy", "numexpr", "torch", "floor"]
HEADER = ["NumPy", "SciPy", "numexpr", "PyTorch", "floor"]
ONE_THREAD = "cyact 1 thread"  # bench.py's label of cyact on one thread in rows with more


def ratio(v):
    return f"{v:.2f}" if v < 10 else f"{v:.3g}"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("path", nargs="?", default="benchmarks/results/latest.json")
    ap.add_argument("--n", type=float, default=4e6)
    args = ap.parse_args()
    rows = [r for r in json.load(open(args.path))["rows"] if r["n"] == int(args.n)]
    one = {(r["function"], r["dtype"]): r for r in rows if r["threads"] == 1}
    many = {(r["function"], r["dtype"]): r for r in rows if r["threads"] > 1}
    print("| function | dtype | cyact ns/elem | " + " | ".join(HEADER)
          + " | cyact 2 threads |")
    print("|---" * (len(HEADER) + 4) + "|")
    order = list(dict.fromkeys(r["function"] for r in rows))
    for key in sorted(one, key=lambda k: (order.index(k[0]), k[1])):
        r = one[key]
        cells = [key[0], key[1], f"{r['ns_per_element']['cyact']:.3g}"]
        cells += [ratio(r["ratio"][p]) if p in r["ratio"] else "—" for p in PEERS]
        m = many.get(key)
        # bench.py times compute rows' speed-up in the same rounds; memory rows' from the two rows.
        gain = m and m["ratio"].get(ONE_THREAD,
                                    r["ns_per_element"]["cyact"] / m["ns_per_element"]["cyact"])
        cells.append(f"{gain:.2f}x" if m else "—")
        print("| " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
