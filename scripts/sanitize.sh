#!/usr/bin/env bash
# Build cyact with AddressSanitizer and UndefinedBehaviorSanitizer and run the
# whole test suite against that build; exit non-zero on a test failure or on
# any sanitizer report.
#
# The build happens in a temporary copy of the working tree (tracked and
# untracked files, not what .gitignore ignores), so the developer's in-place
# build is left alone. Python itself is not instrumented, so gcc's ASan and
# UBSan runtimes are preloaded into it. Every test that takes the `build`
# fixture, and every case of test_hostile.py, runs on each kernel build the
# CPU has (baseline, avx2, avx512); the rest of the suite runs on the widest.
#
# Usage: scripts/sanitize.sh [pytest arguments; none: the whole suite (pyproject testpaths)]
# Environment: CYACT_SANITIZE_NO_INSTALL=1 skips installing the build and test
# dependencies; CYACT_SANITIZE_KEEP=1 keeps the temporary copy and the log.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
python="${PYTHON:-python3}"
work="$(mktemp -d)"
if [[ "${CYACT_SANITIZE_KEEP:-0}" == 1 ]]; then
    echo "sanitize: keeping $work"
else
    trap 'rm -rf "$work"' EXIT
fi

if [[ "${CYACT_SANITIZE_NO_INSTALL:-0}" != 1 ]]; then
    # pyproject.toml's build requirements and its [test] extras.
    "$python" -m pip install -q "setuptools>=77" "Cython>=3.0" "numpy>=2.0" \
        "pytest>=7" "hypothesis>=6" "mpmath>=1.3"
fi

# The working tree as git sees it (build output and generated files left out).
mkdir "$work/repo"
if git -C "$repo" rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    # (files deleted but not yet committed are left out: tar would stop at them)
    (cd "$repo" && git ls-files -z --cached --others --exclude-standard \
        | while IFS= read -r -d '' f; do if [[ -e "$f" ]]; then printf '%s\0' "$f"; fi; done \
        | tar --null -T - -cf -) | tar -xf - -C "$work/repo"
else
    tar -C "$repo" --exclude=build --exclude='*.so' --exclude='cyact/*.c' \
        --exclude='cyact/_kernels_*.pyx' --exclude=__pycache__ -cf - . | tar -xf - -C "$work/repo"
fi

cd "$work/repo"
flags="-fsanitize=address,undefined -fno-omit-frame-pointer -fno-sanitize-recover=undefined"
echo "sanitize: building with $flags"
CYACT_EXTRA_CFLAGS="$flags" "$python" setup.py -q build_ext --inplace -j "$(nproc)" \
    > "$work/build.log" 2>&1 || { tail -50 "$work/build.log"; exit 1; }

libasan="$(gcc -print-file-name=libasan.so)"
libubsan="$(gcc -print-file-name=libubsan.so)"
for lib in "$libasan" "$libubsan"; do
    [[ -e "$lib" ]] || { echo "sanitize: gcc has no $(basename "$lib")" >&2; exit 1; }
done
# detect_leaks=0: CPython keeps memory until exit by design.
# allocator_may_return_null=1: a test may ask for an impossible size and expect MemoryError.
# log_path: every ASan report, from pytest or from any child process a test
# starts, lands in a file of its own; on stderr it could be lost, as a test
# that judges a child keeps the child's stderr to itself.
reports="$work/reports"
mkdir "$reports"
export LD_PRELOAD="$libasan $libubsan${LD_PRELOAD:+ $LD_PRELOAD}"
export ASAN_OPTIONS="detect_leaks=0:allocator_may_return_null=1:log_path=$reports/asan${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1:log_path=$reports/ubsan${UBSAN_OPTIONS:+:$UBSAN_OPTIONS}"
# Python objects from malloc, where ASan sees them (pymalloc's arenas it does not).
export PYTHONMALLOC=malloc

# The sanitized copy is the one imported (python -m pytest puts the current
# directory first on sys.path), and it is instrumented.
"$python" - <<'EOF'
import os, cyact
from cyact import _dispatch
assert os.path.dirname(cyact.__file__) == os.path.join(os.getcwd(), "cyact"), cyact.__file__
for name, module in _dispatch.BUILDS.items():
    assert "-fsanitize=address" in module.COMPILE_FLAGS, (name, module.COMPILE_FLAGS)
print("sanitize: kernel builds", sorted(_dispatch.BUILDS), "from", os.path.dirname(cyact.__file__))
EOF

log="$work/pytest.log"
status=0
# --capture=sys: pytest leaves file descriptor 2 alone, so that a UBSan report
# (which, next to ASan, ignores log_path and goes to stderr) reaches the log.
"$python" -m pytest -q -p no:cacheprovider --capture=sys "$@" 2>&1 | tee "$log" || status=$?
if compgen -G "$reports/*" >/dev/null || grep -qE "runtime error:|ERROR: AddressSanitizer" "$log"; then
    echo "sanitize: FAILED: sanitizer report(s) (process id in each file name):" >&2
    for f in "$reports"/*; do
        [[ -e "$f" ]] || continue
        echo "---- $(basename "$f")" >&2
        head -40 "$f" >&2
    done
    grep -nE "runtime error:|ERROR: AddressSanitizer" "$log" | head -20 >&2 || true
    exit 1
fi
if [[ $status -ne 0 ]]; then
    echo "sanitize: FAILED: pytest exit status $status" >&2
    exit "$status"
fi
echo "sanitize: OK (no sanitizer report, tests pass)"
