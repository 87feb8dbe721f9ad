#!/usr/bin/env bash
# Build the static libraries a fully static loopcompat links (jansson,
# liburing, zlib) with the chosen C compiler, from Debian's own source
# packages: `apt-get source` through a private apt state holding one deb-src
# entry for this release (scripts/lib/debian-apt.sh).  Nothing is fetched
# from anywhere else, and the system's apt configuration is left untouched.
#
#   scripts/build-static-deps.sh [BUILD_DIR] [--cc CC]
#                                   (default: build-static, cc)
#
# Installs static libraries only into BUILD_DIR/deps (include/, lib/,
# lib/pkgconfig/); configure loopcompat with -DLC_STATIC=ON
# -DLC_STATIC_DEPS=BUILD_DIR/deps.  A second run reuses what is there; a
# run with another compiler rebuilds the libraries (the sources are kept).
#
# With musl-gcc the Linux UAPI headers (<linux/...>, <asm/...>), which
# liburing and the loop's backends include, are not on the compiler's
# include path: musl-gcc's specs file replaces the system include
# directories with musl's own (-nostdinc).  They come from the machine's
# linux-libc-dev, which is independent of any libc; BUILD_DIR/deps/
# kernel-headers holds links to exactly those three directories (and no
# glibc header), passed as -isystem.  This is what a musl distribution's
# separate kernel-headers package provides.
#
# libcurl is not built: a static libcurl needs static TLS, HTTP/2, IDN and
# compression libraries and their own dependencies; the static build leaves
# out what needs libcurl (publish, URL reading, integration/libcurl-multi-
# socket, which reports SKIP with the reason).  Check is not built either:
# the static build has no test programs (LC_BUILD_TESTS=OFF).
set -eu

here=$(cd "$(dirname "$0")/.." && pwd)
build=
cc=cc
while [ $# -gt 0 ]; do
    case $1 in
    --cc) [ $# -ge 2 ] || { echo "build-static-deps: --cc needs a compiler" >&2; exit 2; }
        cc=$2; shift 2 ;;
    --cc=*) cc=${1#--cc=}; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    -*) echo "build-static-deps: unknown option $1" >&2; exit 2 ;;
    *) [ -z "$build" ] || { echo "build-static-deps: one BUILD_DIR only (got $build and $1)" >&2; exit 2; }
        build=$1; shift ;;
    esac
done
build=${build:-build-static}
case $build in /*) ;; *) build=$here/$build ;; esac
prefix=$build/deps
work=$build/deps-src
jobs=$(nproc 2>/dev/null || echo 2)
[ "$jobs" -gt 2 ] && jobs=2

need() {
    command -v "$1" >/dev/null 2>&1 || {
        echo "build-static-deps: $1 not found (install $2)" >&2
        exit 2
    }
}
need "$cc" "the compiler, e.g. build-essential or musl-tools"
need cmake cmake
need make make
need apt-get apt
need dpkg-source dpkg-dev

mkdir -p "$prefix" "$work"

# --- the compiler, and what it needs ---------------------------------------
# A musl compiler defines no __GLIBC__ and has its own include directory.
extra=
if printf '#include <stdio.h>\n#ifdef __GLIBC__\n#error glibc\n#endif\n' |
    "$cc" -E -x c - >/dev/null 2>&1; then
    libc=non-glibc
    if ! printf '#include <linux/types.h>\n' | "$cc" -E -x c - >/dev/null 2>&1; then
        arch_inc=/usr/include/$(gcc -print-multiarch 2>/dev/null || echo x86_64-linux-gnu)
        for d in /usr/include/linux /usr/include/asm-generic "$arch_inc/asm"; do
            [ -d "$d" ] || { echo "build-static-deps: $d missing (install linux-libc-dev)" >&2; exit 2; }
        done
        mkdir -p "$prefix/kernel-headers"
        ln -sfn /usr/include/linux "$prefix/kernel-headers/linux"
        ln -sfn /usr/include/asm-generic "$prefix/kernel-headers/asm-generic"
        ln -sfn "$arch_inc/asm" "$prefix/kernel-headers/asm"
        extra="-isystem $prefix/kernel-headers"
    fi
else
    libc=glibc
fi

# The libraries in deps/ were built by one compiler; another one starts over.
stamp="cc=$cc libc=$libc"
if [ -f "$prefix/.built-with" ] && [ "$(cat "$prefix/.built-with")" != "$stamp" ]; then
    echo "build-static-deps: $prefix was built with $(cat "$prefix/.built-with"); rebuilding with $cc"
    rm -rf "${prefix:?}/include" "${prefix:?}/lib" "${prefix:?}/share" "${work:?}"/build-*
fi
printf '%s\n' "$stamp" >"$prefix/.built-with"

# --- a private apt state with the deb-src entry -------------------------
# shellcheck source=lib/debian-apt.sh
. "$here/scripts/lib/debian-apt.sh"
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || { echo "build-static-deps: no VERSION_CODENAME in /etc/os-release" >&2; exit 2; }
lc_apt_private "$work/apt" deb-src "$codename" || exit 2

fetch() { # fetch PACKAGE: unpack its Debian source into $work/PACKAGE-*/, print that
    if ! ls -d "$work/$1"-[0-9]*/ >/dev/null 2>&1; then
        lc_apt_update || exit 2
        (cd "$work" && apt-get "${LC_APT_OPTS[@]}" -q source "$1" >"$work/$1-source.log" 2>&1) ||
            { tail -5 "$work/$1-source.log" >&2; exit 1; }
    fi
    ls -d "$work/$1"-[0-9]*/ | head -1
}

step() { # step NAME LOG command...: run quietly; on failure show the log's end
    name=$1 log=$work/$1-$2.log
    shift 2
    "$@" >"$log" 2>&1 || { echo "build-static-deps: $name failed, see $log:" >&2; tail -20 "$log" >&2; exit 1; }
}

# In-tree builds (zlib's configure, liburing's configure) get a copy of the
# source, so that the unpacked source stays as Debian ships it.
copy_src() { # copy_src SRC NAME: print the build directory
    rm -rf "$work/build-$2"
    cp -a "$1" "$work/build-$2"
    echo "$work/build-$2"
}

pc_version() { sed -n 's/^Version: //p' "$prefix/lib/pkgconfig/$1.pc"; }

# --- jansson --------------------------------------------------------------
if [ ! -f "$prefix/lib/pkgconfig/jansson.pc" ]; then
    src=$(fetch jansson)
    step jansson configure cmake -S "$src" -B "$work/build-jansson" -G "Unix Makefiles" \
        -DCMAKE_C_COMPILER="$cc" -DCMAKE_C_FLAGS="$extra" -DCMAKE_BUILD_TYPE=Release \
        -DCMAKE_INSTALL_PREFIX="$prefix" -DCMAKE_INSTALL_LIBDIR=lib -DJANSSON_BUILD_DOCS=OFF \
        -DJANSSON_EXAMPLES=OFF -DJANSSON_WITHOUT_TESTS=ON -DJANSSON_BUILD_SHARED_LIBS=OFF
    step jansson build cmake --build "$work/build-jansson" -j"$jobs"
    step jansson install cmake --install "$work/build-jansson"
fi
echo "jansson: $(pc_version jansson)"

# --- zlib -----------------------------------------------------------------
# The harness gunzips reports it reads.  zlib's own configure: --static
# builds and installs libz.a only, with zlib.pc.
if [ ! -f "$prefix/lib/pkgconfig/zlib.pc" ]; then
    src=$(fetch zlib)
    b=$(copy_src "$src" zlib)
    step zlib configure env -C "$b" CC="$cc" CFLAGS="-O2 $extra" ./configure --static --prefix="$prefix"
    step zlib build make -C "$b" -j"$jobs" libz.a
    step zlib install make -C "$b" install
fi
echo "zlib: $(pc_version zlib)"

# --- liburing -------------------------------------------------------------
# liburing's configure sets CFLAGS itself; the compiler command carries the
# kernel headers' directory.  ENABLE_SHARED=0: liburing.a only.
if [ ! -f "$prefix/lib/pkgconfig/liburing.pc" ]; then
    src=$(fetch liburing)
    b=$(copy_src "$src" liburing)
    step liburing configure env -C "$b" ./configure --cc="$cc${extra:+ $extra}" --prefix="$prefix" \
        --libdir="$prefix/lib" --libdevdir="$prefix/lib" --mandir="$prefix/share/man"
    step liburing build make -C "$b/src" -j"$jobs" ENABLE_SHARED=0 liburing.a
    step liburing install make -C "$b" install ENABLE_SHARED=0
fi
echo "liburing: $(pc_version liburing)"

echo "compiler: $cc ($libc)${extra:+, kernel headers: $prefix/kernel-headers}"
echo "prefix: $prefix"
