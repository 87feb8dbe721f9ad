#!/bin/sh
# The library as a dependency, as its users take it: installs the build into
# a scratch prefix, then builds the three programs in examples/ through
# pkg-config and through CMake's find_package(loopcompat), runs each, and
# checks what they print.  With a shared build it also checks that only the
# public lc_* names are exported.
#   install_consumers.sh SOURCE_DIR BUILD_DIR C_COMPILER
set -eu
src=$1
build=$2
cc=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail() { echo "install_consumers: $*" >&2; exit 1; }

cmake --install "$build" --prefix "$tmp/prefix" >/dev/null
pc=$(find "$tmp/prefix" -name loopcompat.pc)
[ -n "$pc" ] || fail "no loopcompat.pc installed"
cfg=$(find "$tmp/prefix" -name loopcompatConfig.cmake)
[ -n "$cfg" ] || fail "no loopcompatConfig.cmake installed"

so=$(find "$tmp/prefix" -name 'libloopcompat.so.*' | head -1)
if [ -n "$so" ]; then
    leaked=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -v '^lc_[a-z]' || true)
    [ -z "$leaked" ] || fail "the shared library exports non-public names: $(echo $leaked | head -c 200)"
    n=$(nm -D --defined-only "$so" | awk '{print $3}' | grep -c '^lc_[a-z]')
    echo "install_consumers: $(basename "$so") exports $n lc_* names and nothing else"
fi

check() { # check NAME COMMAND...: run an example and check its output
    name=$1
    shift
    out=$("$@" 2>&1) || fail "$name ($*) failed: $out"
    case $name in
    timer_pipe)
        [ "$(printf '%s\n' "$out" | grep -c '^tick [123]$')" = 3 ] || fail "timer_pipe printed: $out" ;;
    tcp_echo)
        printf '%s\n' "$out" | grep -q '^echoed: hello, echo$' || fail "tcp_echo printed: $out" ;;
    subprocess_output)
        printf '%s\n' "$out" | grep -q '^child says: ' &&
            printf '%s\n' "$out" | grep -q 'exit status 0$' || fail "subprocess_output printed: $out" ;;
    esac
}
run_example() { # run_example NAME BINARY
    case $1 in
    tcp_echo) check "$1" "$2" --once ;;
    *) check "$1" "$2" ;;
    esac
}

# pkg-config, as a Makefile would.  -std=c99 -pedantic: the headers are C99.
flags=$(PKG_CONFIG_PATH=$(dirname "$pc") pkg-config --cflags --libs loopcompat)
rpath=$(dirname "$(find "$tmp/prefix" -name 'libloopcompat.*' | head -1)")
for ex in timer_pipe tcp_echo subprocess_output; do
    # shellcheck disable=SC2086
    "$cc" -std=c99 -D_POSIX_C_SOURCE=200809L -Wall -Wextra -Wpedantic -Werror \
        "$src/examples/$ex.c" $flags -Wl,-rpath,"$rpath" -o "$tmp/pc-$ex"
    run_example "$ex" "$tmp/pc-$ex"
done
echo "install_consumers: pkg-config: 3 examples built (C99, -Wpedantic) and ran"

# find_package(loopcompat), as a CMake project would.
cmake -S "$src/examples" -B "$tmp/cm" -DCMAKE_C_COMPILER="$cc" -DCMAKE_PREFIX_PATH="$tmp/prefix" \
    -DCMAKE_C_FLAGS="-Wall -Wextra -Werror" >"$tmp/cm.log" 2>&1 || { cat "$tmp/cm.log" >&2; fail "cmake configure failed"; }
cmake --build "$tmp/cm" >"$tmp/cmb.log" 2>&1 || { cat "$tmp/cmb.log" >&2; fail "cmake build failed"; }
for ex in timer_pipe tcp_echo subprocess_output; do
    run_example "$ex" "$tmp/cm/$ex"
done
echo "install_consumers: find_package: loopcompat::loopcompat, 3 examples built and ran"
