#!/usr/bin/env bash
# Build the libraries the Windows build links (jansson, zlib; Check for the
# test suites) with the mingw-w64 cross compiler, from Debian's own source
# packages: `apt-get source` through a temporary sources list holding one
# deb-src entry for this release.  Nothing is fetched from anywhere else,
# and the system's apt configuration is left untouched.
#
#   scripts/build-windows-deps.sh [BUILD_DIR]      (default: build-win)
#
# Installs into BUILD_DIR/deps (include/, lib/, lib/pkgconfig/); pass that
# prefix to CMake as -DLC_WIN_DEPS=...  A second run reuses what is there.
#
# libcurl is not built: the Windows build leaves out the report tools'
# upload (publish) command, which is the only user of HTTP.
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-build-win}
case $build in /*) ;; *) build=$here/$build ;; esac
prefix=$build/deps
work=$build/deps-src
toolchain=$here/cmake/mingw-w64-x86_64.cmake
jobs=$(nproc 2>/dev/null || echo 2)

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "build-windows-deps: $1 not found (install $2)" >&2
        exit 2
    }
}
need x86_64-w64-mingw32-gcc-posix gcc-mingw-w64-x86-64
need cmake cmake
need apt-get apt
need dpkg-source dpkg-dev

mkdir -p "$prefix" "$work"

# --- a private apt state with the deb-src entry -------------------------
# shellcheck source=lib/debian-apt.sh
. "$here/scripts/lib/debian-apt.sh"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { echo "build-windows-deps: no VERSION_CODENAME in /etc/os-release" >&2; exit 2; }
apt_dir=$work/apt
lc_apt_private "$apt_dir" deb-src "$codename" || exit 2
set -- "${LC_APT_OPTS[@]}"

fetch() { # fetch PACKAGE APT-OPTIONS...: unpack its Debian source into $work/PACKAGE-*/
    pkg=$1
    shift
    if ls -d "$work/$pkg"-[0-9]*/ >/dev/null 2>&1; then
        return 0
    fi
    lc_apt_update || exit 2
    (cd "$work" && apt-get "$@" -q source "$pkg" >/dev/null)
}

cmake_dep() { # cmake_dep SRCDIR NAME [cmake args...]
    src=$1 name=$2
    shift 2
    cmake -S "$src" -B "$work/build-$name" -G "Unix Makefiles" \
        -DCMAKE_TOOLCHAIN_FILE="$toolchain" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DBUILD_SHARED_LIBS=OFF "$@" >"$work/$name-configure.log" 2>&1 ||
        { tail -20 "$work/$name-configure.log" >&2; exit 1; }
    cmake --build "$work/build-$name" -j"$jobs" >"$work/$name-build.log" 2>&1 ||
        { tail -20 "$work/$name-build.log" >&2; exit 1; }
    cmake --install "$work/build-$name" >"$work/$name-install.log" 2>&1 ||
        { tail -20 "$work/$name-install.log" >&2; exit 1; }
}

# --- jansson --------------------------------------------------------------
if [ ! -f "$prefix/lib/pkgconfig/jansson.pc" ]; then
    fetch jansson "$@"
    src=$(ls -d "$work"/jansson-[0-9]*/ | head -1)
    cmake_dep "$src" jansson -DJANSSON_BUILD_DOCS=OFF -DJANSSON_EXAMPLES=OFF \
        -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_BUILD_SHARED_LIBS=OFF
fi
echo "jansson: $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/jansson.pc")"

# --- Check ----------------------------------------------------------------
# Check runs without fork() on Windows (CK_FORK=no is its only mode there).
if [ ! -f "$prefix/lib/pkgconfig/check.pc" ]; then
    fetch check "$@"
    src=$(ls -d "$work"/check-[0-9]*/ | head -1)
    cmake_dep "$src" check -DCHECK_ENABLE_TESTS=OFF -DENABLE_MEMORY_LEAKING_TESTS=OFF \
        -DCHECK_ENABLE_SUBUNIT=OFF -DHAVE_SUBUNIT=OFF
    # Check's CMake build writes the autotools library name (check_pic) into
    # check.pc but installs libcheck.a; and the DLL it also builds would make
    # the test programs depend on a DLL next to them.
    sed -i 's/-lcheck_pic/-lcheck/' "$prefix/lib/pkgconfig/check.pc"
    # Without librt Check compiles its own clock_gettime, which on Windows
    # always returns 0; linked first, it would stop every clock in the test
    # programs.  winpthreads has a real one (QueryPerformanceCounter).
    x86_64-w64-mingw32-ar d "$prefix/lib/libcheck.a" clock_gettime.c.obj
    rm -f "$prefix/lib/libcheck.dll.a" "$prefix/bin/libcheck.dll"
fi
echo "check: $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/check.pc")"

# --- zlib -----------------------------------------------------------------
# The harness gunzips reports it reads (and gzips what it publishes).  Only
# zlib's static library target is built: its DLL target needs the resource
# script Debian's source leaves out.  The headers, the library (as libz.a)
# and a pkg-config file are installed here.
if [ ! -f "$prefix/lib/pkgconfig/zlib.pc" ]; then
    fetch zlib "$@"
    src=$(ls -d "$work"/zlib-[0-9]*/ | head -1)
    zb=$work/build-zlib
    cmake -S "$src" -B "$zb" -G "Unix Makefiles" -DCMAKE_TOOLCHAIN_FILE="$toolchain" \
        -DCMAKE_BUILD_TYPE=Release >"$work/zlib-configure.log" 2>&1 ||
        { tail -20 "$work/zlib-configure.log" >&2; exit 1; }
    cmake --build "$zb" --target zlibstatic -j"$jobs" >"$work/zlib-build.log" 2>&1 ||
        { tail -20 "$work/zlib-build.log" >&2; exit 1; }
    mkdir -p "$prefix/include" "$prefix/lib/pkgconfig"
    cp "$src/zlib.h" "$zb/zconf.h" "$prefix/include/"
    cp "$zb/libzlibstatic.a" "$prefix/lib/libz.a"
    zver=$(sed -n 's/^#define ZLIB_VERSION "\([^"]*\)".*/\1/p' "$src/zlib.h")
    printf '%s\n' "prefix=$prefix" 'libdir=${prefix}/lib' 'includedir=${prefix}/include' '' \
        'Name: zlib' 'Description: zlib compression library' "Version: $zver" \
        'Libs: -L${libdir} -lz' 'Cflags: -I${includedir}' >"$prefix/lib/pkgconfig/zlib.pc"
fi
echo "zlib: $(sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/zlib.pc")"
echo "prefix: $prefix"
