#!/bin/sh
# Cross-build loopcompat for Windows with mingw-w64 and run the Windows
# backends' suites (winselect, iocp) and the case catalogue under wine,
# headless, in a fresh wine prefix that is removed afterwards; then check
# the Windows report with the Linux loopcompat (LC_LINUX_BUILD, default
# build/), merge it with the Linux report (LC_LINUX_REPORT, default
# build/ci-report.json) and render the matrix.
#
#   scripts/windows-matrix.sh [BUILD_DIR]      (default: build-win)
#
# Needs: gcc-mingw-w64-x86-64, wine, wine64, cmake, dpkg-dev (apt-get source).
# Prints how long each phase took; exits non-zero if any phase fails.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-win}
case $build in /*) ;; *) build=$here/$build ;; esac
jobs=$(nproc 2>/dev/null || echo 2)

for tool in x86_64-w64-mingw32-gcc-posix wine wineboot wineserver cmake ctest; do
    command -v "$tool" >/dev/null 2>&1 || {
        echo "windows-matrix: $tool not found (install gcc-mingw-w64-x86-64 wine wine64 cmake)" >&2
        exit 2
    }
done

now() { date +%s; }
phase_start=0
phase() { phase_start=$(now); echo "== $1"; }
took() { echo "   $1: $(($(now) - phase_start)) s"; }

phase "Windows dependencies (jansson, Check) from Debian sources"
"$here/scripts/build-windows-deps.sh" "$build"
took deps

phase "cross build (mingw-w64, warnings as errors)"
cmake -S "$here" -B "$build" -DCMAKE_TOOLCHAIN_FILE="$here/cmake/mingw-w64-x86_64.cmake" \
    -DLC_WIN_DEPS="$build/deps" -DLC_WERROR=ON -DLC_BUILD_BENCH=OFF >"$build/configure.log" 2>&1 ||
    { tail -30 "$build/configure.log" >&2; exit 1; }
cmake --build "$build" -j"$jobs" >"$build/build.log" 2>&1 ||
    { grep -E 'error|warning' "$build/build.log" | head -30 >&2; exit 1; }
took build

# A fresh prefix each run: nothing from an earlier run or from the user's
# ~/.wine can change the outcome.  No display: wine runs console programs
# without one.  Mono and Gecko are not needed and would be offered for
# download on first start.
WINEPREFIX=$(mktemp -d "${TMPDIR:-/tmp}/lc-wineprefix.XXXXXX")
WINEDEBUG=-all
WINEDLLOVERRIDES="mscoree=;mshtml="
export WINEPREFIX WINEDEBUG WINEDLLOVERRIDES
unset DISPLAY WAYLAND_DISPLAY
cleanup() {
    wineserver -k >/dev/null 2>&1 || true
    rm -rf "$WINEPREFIX"
}
trap cleanup EXIT INT TERM

phase "fresh wine prefix"
wineboot -i >/dev/null 2>&1
echo "   $(wine --version 2>/dev/null)"
took prefix

phase "Windows backends under wine (ctest)"
status=0
(cd "$build" && ctest --output-on-failure --timeout 300) || status=$?
took wine-tests

# The case catalogue on winselect and iocp, by the Windows harness itself
# (each item a re-executed loopcompat.exe in a job object).  Exit status 1
# is an unexpected result, 2 a harness or usage error: both fail.
phase "Windows matrix under wine (loopcompat.exe run)"
report=$build/windows-report.json
rm -f "$report" "$report.journal"
(cd "$here" && wine "$build/loopcompat.exe" run -j "$jobs" --quiet --timeout-multiplier 3 \
    --expectations cases/expectations.json --output "$report") || status=$?
took wine-matrix

# The report read by the Linux tool: validated, merged with the Linux
# report (when there is one) and rendered as one matrix.
linux=${LC_LINUX_BUILD:-$here/build}
case $linux in /*) ;; *) linux=$here/$linux ;; esac
if [ -x "$linux/loopcompat" ] && [ -f "$report" ]; then
    phase "validate, merge and render (Linux loopcompat)"
    "$linux/loopcompat" validate "$report" || status=1
    # The schema and the rules this build's reports keep (every
    # UNSUPPORTED says who refused: docs/reports.md); 77: no jsonschema.
    if command -v python3 >/dev/null 2>&1; then
        rc=0
        python3 "$here/tests/validate_schema.py" "$here/reports/schema/report-v1.schema.json" \
            "$report" || rc=$?
        [ "$rc" -eq 0 ] || [ "$rc" -eq 77 ] || status=1
    fi
    linux_report=${LC_LINUX_REPORT:-$linux/ci-report.json}
    if [ -f "$linux_report" ]; then
        "$linux/loopcompat" merge "$linux_report" "$report" -o "$build/matrix.json" &&
            "$linux/loopcompat" render "$build/matrix.json" --html "$build/matrix-html" \
                --markdown "$build/matrix.md" || status=1
    else
        echo "   no Linux report at $linux_report: merge and render skipped"
    fi
    took report-tools
elif [ -f "$report" ]; then
    echo "windows-matrix: no Linux loopcompat in $linux (set LC_LINUX_BUILD): report not validated" >&2
    status=1
fi
exit $status
