# Which Debian kernel packages to boot, and their images, for
# scripts/kernel-matrix.  Downloads go through a private apt state in the
# cache (scripts/lib/debian-apt.sh); nothing in the machine's own apt
# configuration is changed.  A package already in the cache is used as it
# is: no apt at all for it.
#
#   lc_kg_resolve CACHE NEXTRA EXTRA_SUITE... KERNEL...
#       LC_KG_PACKAGES: the package of each KERNEL (a package name, or
#       SUITE[:FLAVOUR] = what that suite's linux-image-FLAVOUR depends on)
#   lc_kg_fetch CACHE PACKAGE...
#       LC_KG_VERSIONS, LC_KG_VMLINUZ: each package's Debian version and
#       extracted kernel image
# shellcheck shell=bash

LC_KG_SUITES=(bullseye bookworm bookworm-backports trixie)
LC_KG_APT_READY=0

# The private apt state, its lists fetched at most once a day.  Lists that
# cannot be refreshed but exist are used as they are (offline runs).
lc_kg_apt() {
    local cache=$1
    [ "$LC_KG_APT_READY" -eq 1 ] && return 0
    lc_apt_private "$cache/apt" deb "${LC_KG_SUITES[@]}" || return 1
    # The binary caches of the lists, kept: without them every apt-cache
    # call parses all four suites' lists again (seconds each).  A machine
    # may disable them by default (Dir::Cache::pkgcache "").
    LC_APT_OPTS+=(-o Dir::Cache::pkgcache="$cache/apt/cache/pkgcache.bin"
        -o Dir::Cache::srcpkgcache="$cache/apt/cache/srcpkgcache.bin")
    if ! lc_apt_update; then
        if compgen -G "$cache/apt/lists/*_Packages*" >/dev/null; then
            echo "   (using the apt lists already in $cache/apt)" >&2
        else
            return 1
        fi
    fi
    LC_KG_APT_READY=1
}

lc_kg_cached_deb() {
    local cache=$1 pkg=$2 f
    for f in "$cache/debs/${pkg}"_*.deb; do
        [ -f "$f" ] && { printf '%s\n' "$f"; return 0; }
    done
    return 1
}

# SUITE[:FLAVOUR] -> the linux-image-* package that the suite's
# linux-image-FLAVOUR metapackage depends on: Debian's "newest kernel of
# this suite" (the metapackage's only job).
lc_kg_suite_image() {
    local suite=$1 flavour=$2 meta=linux-image-$2 ver dep
    ver=$(apt-cache "${LC_APT_OPTS[@]}" madison "$meta" 2>/dev/null |
        awk -F'|' -v s=" $suite/" 'index($3, s) { gsub(/ /, "", $2); print $2; exit }')
    if [ -z "$ver" ]; then
        echo "kernel-matrix: $suite: no $meta in that suite" >&2
        return 1
    fi
    dep=$(apt-cache "${LC_APT_OPTS[@]}" show "$meta=$ver" 2>/dev/null |
        sed -n 's/^Depends: //p' | tr ',' '\n' | sed 's/^ *//; s/ .*//' |
        grep -m1 "^linux-image-.*-$flavour\$" || true)
    if [ -z "$dep" ]; then
        echo "kernel-matrix: $suite: $meta $ver depends on no linux-image-*-$flavour" >&2
        return 1
    fi
    printf '%s\n' "$dep"
}

lc_kg_resolve() {
    local cache=$1 nextra=$2 k s pkg
    shift 2
    LC_KG_SUITES+=("${@:1:$nextra}")
    shift "$nextra"
    # Suites named as kernels join the private state too.
    for k in "$@"; do
        case $k in linux-image-*) ;; *) LC_KG_SUITES+=("${k%%:*}") ;; esac
    done
    mapfile -t LC_KG_SUITES < <(printf '%s\n' "${LC_KG_SUITES[@]}" | awk 'NF && !seen[$0]++')
    LC_KG_PACKAGES=()
    for k in "$@"; do
        case $k in
            linux-image-*) pkg=$k ;;
            *[!a-z0-9:.-]*|'') echo "kernel-matrix: '$k' is neither a linux-image-* package nor SUITE[:FLAVOUR]" >&2; return 1 ;;
            *)
                s=${k%%:*}
                local flavour=amd64
                [ "$s" = "$k" ] || flavour=${k#*:}
                lc_kg_apt "$cache" || return 1
                pkg=$(lc_kg_suite_image "$s" "$flavour") || return 1
                ;;
        esac
        LC_KG_PACKAGES+=("$pkg")
    done
}

# Kernel options the guest relies on, built in (=y) on Debian's amd64
# kernels: checked in each image's own config (boot/config-*), since the
# guest carries no modules.
LC_KG_NEEDED_CONFIG="CONFIG_BLK_DEV_INITRD CONFIG_DEVTMPFS CONFIG_UNIX98_PTYS CONFIG_SERIAL_8250 CONFIG_SERIAL_8250_CONSOLE CONFIG_UNIX CONFIG_INET CONFIG_IPV6 CONFIG_IO_URING CONFIG_EPOLL CONFIG_SIGNALFD CONFIG_TIMERFD CONFIG_EVENTFD"

lc_kg_fetch() {
    local cache=$1 pkg deb dir ver opt missing
    shift
    mkdir -p "$cache/debs" "$cache/boot" || return 1
    LC_KG_VERSIONS=() LC_KG_VMLINUZ=()
    for pkg in "$@"; do
        if deb=$(lc_kg_cached_deb "$cache" "$pkg"); then
            echo "   $pkg: cached ($(basename "$deb"))"
        else
            lc_kg_apt "$cache" || return 1
            local part=$cache/debs/partial
            rm -rf "$part" && mkdir -p "$part"
            if ! (cd "$part" && apt-get "${LC_APT_OPTS[@]}" -q download "$pkg") >"$cache/debs/download.log" 2>&1; then
                echo "kernel-matrix: $pkg: apt-get download failed: $(grep -m1 -E '^(E|Err):' "$cache/debs/download.log" || tail -n 1 "$cache/debs/download.log")" >&2
                return 1
            fi
            deb=$(find "$part" -maxdepth 1 -name "${pkg}_*.deb" | head -n 1)
            [ -n "$deb" ] || { echo "kernel-matrix: $pkg: apt-get download left no ${pkg}_*.deb" >&2; return 1; }
            mv "$deb" "$cache/debs/" && deb=$cache/debs/$(basename "$deb")
            echo "   $pkg: downloaded ($(( $(stat -c %s "$deb") / 1048576 )) MiB)"
        fi
        ver=$(dpkg-deb -f "$deb" Version) || { echo "kernel-matrix: $deb: not a Debian package" >&2; return 1; }
        dir=$cache/boot/${pkg}_$ver
        if [ ! -f "$dir/vmlinuz" ]; then
            rm -rf "$dir.tmp" && mkdir -p "$dir.tmp"
            dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$dir.tmp" --wildcards './boot/*' ||
                { echo "kernel-matrix: $deb: no ./boot in the package" >&2; return 1; }
            local img
            img=$(find "$dir.tmp/boot" -name 'vmlinuz-*' | head -n 1)
            [ -n "$img" ] || { echo "kernel-matrix: $deb: no boot/vmlinuz-* in the package" >&2; return 1; }
            mv "$img" "$dir.tmp/vmlinuz"
            find "$dir.tmp/boot" -name 'config-*' -exec mv {} "$dir.tmp/config" \;
            rm -rf "$dir.tmp/boot" "$dir" && mv "$dir.tmp" "$dir"
        fi
        if [ -f "$dir/config" ]; then
            missing=
            for opt in $LC_KG_NEEDED_CONFIG; do
                grep -qx "$opt=y" "$dir/config" || missing="$missing $opt"
            done
            [ -z "$missing" ] || echo "   warning: $pkg does not build in:$missing (the guest loads no modules)" >&2
        fi
        LC_KG_VERSIONS+=("$ver")
        LC_KG_VMLINUZ+=("$dir/vmlinuz")
    done
}
