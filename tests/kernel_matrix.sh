#!/usr/bin/env bash
# scripts/kernel-matrix against guests that go wrong, and its download
# cache, without the network: the kernel packages are built here
# (dpkg-deb --build) around a kernel image already on this machine, and a
# fake apt-get on PATH hands them out and logs each download.
#
#   tests/kernel_matrix.sh LOOPCOMPAT SOURCE_DIR WORK_DIR
#
# The kernel image: $LC_TEST_VMLINUZ, else the newest one in the kernel
# cache (scripts/kernel-matrix keeps them there), else /boot/vmlinuz-*.
# Exit 77 (skipped) when there is none, or no qemu-system-x86_64 or
# static busybox.
set -u
lc=$1 src=$2 work=$3
km=$src/scripts/kernel-matrix
build=$(dirname "$lc")

skip() { echo "SKIP: $*"; exit 77; }
command -v qemu-system-x86_64 >/dev/null 2>&1 || skip "no qemu-system-x86_64"
if ! command -v busybox >/dev/null 2>&1 || ldd "$(command -v busybox)" >/dev/null 2>&1; then
    skip "no statically linked busybox (busybox-static)"
fi
vmlinuz=${LC_TEST_VMLINUZ:-}
if [ -z "$vmlinuz" ]; then
    cache=${LC_KERNEL_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/loopcompat/kernels}
    # shellcheck disable=SC2012  # newest first; the names have no newlines
    vmlinuz=$(ls -t "$cache"/boot/*/vmlinuz /boot/vmlinuz-* 2>/dev/null | head -n 1)
fi
[ -n "$vmlinuz" ] && [ -r "$vmlinuz" ] || skip "no kernel image (run scripts/kernel-matrix once, or set LC_TEST_VMLINUZ)"
echo "kernel image: $vmlinuz"

fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }

rm -rf "$work" && mkdir -p "$work/bin" || exit 1
# fake_deb NAME: a package NAME 0.0-1 that holds boot/vmlinuz-0.0-lctest-amd64.
fake_deb() {
    local p=$work/pkg-$1
    mkdir -p "$p/DEBIAN" "$p/boot" && cp "$vmlinuz" "$p/boot/vmlinuz-0.0-lctest-amd64" || exit 1
    printf 'Package: %s\nVersion: 0.0-1\nArchitecture: amd64\nMaintainer: loopcompat tests <tests@invalid>\nDescription: a kernel image repackaged for the kernel-matrix tests\n' \
        "$1" >"$p/DEBIAN/control"
    dpkg-deb -Znone --build "$p" "$work/${1}_0.0-1_amd64.deb" >/dev/null || exit 1
}
pkg=linux-image-0.0-lctest-amd64
pkg2=linux-image-0.0-lctest2-amd64
fake_deb $pkg
fake_deb $pkg2

# apt-get: "download NAME" copies NAME's package into the current
# directory and is logged; "update" succeeds; anything else fails.
cat >"$work/bin/apt-get" <<FAKE
#!/bin/sh
for a; do last=\$a; done
for a; do
    case \$a in
        download) echo "download \$last" >>"$work/apt.log"; cp "$work/\${last}_0.0-1_amd64.deb" .; exit \$? ;;
        update) exit 0 ;;
    esac
done
echo "fake apt-get: unexpected call: \$*" >&2
exit 100
FAKE
chmod +x "$work/bin/apt-get"
export PATH="$work/bin:$PATH" LC_DEBIAN_MIRROR=file:///nonexistent LC_WINDOWS_REPORT=/nonexistent LC_MUSL_REPORT=/nonexistent
unset LC_KMATRIX_INIT LC_KMATRIX_INITRAMFS

# km NAME [OPTIONS...]: run the kernel runner; its stdout and stderr in
# $work/NAME.out, its exit status in $rc.
km() {
    local name=$1
    shift
    rc=0
    "$km" --cache "$work/cache" --build "$build" --guest-binary "$lc" --out "$work/$name" \
        --no-host --accel tcg "$@" >"$work/$name.out" 2>&1 || rc=$?
}
expect_rc() {
    [ "$rc" -eq "$1" ] || { fail "$2: exit $rc, expected $1"; sed 's/^/    /' "$work/$2.out"; }
}
# expect_line NAME REGEX: a line of NAME's output matches REGEX (grep -xE).
expect_line() {
    grep -qxE "$2" "$work/$1.out" || { fail "$1: no line matching: $2"; sed 's/^/    /' "$work/$1.out"; }
}
downloads() { wc -l <"$work/apt.log" 2>/dev/null || echo 0; }
T='[0-9]+\.[0-9] s'
one_case=(--variants '' -- --case callbacks/call-soon-fifo --backend poll)

# 1. A download, then the cache: the second run downloads nothing.
km first $pkg "${one_case[@]}"
expect_rc 0 first
expect_line first "   $pkg: downloaded \([0-9]+ MiB\)"
expect_line first "   1 result: 1 PASS; 0 unexpected"
[ "$(downloads)" -eq 1 ] || fail "first run: $(downloads) downloads, expected 1"
if [ ! -f "$work/first/$pkg.json" ] || ! "$lc" validate "$work/first/$pkg.json" >/dev/null; then
    fail "first run: no valid report $work/first/$pkg.json"
fi
tr -d '\r' <"$work/first/$pkg.channel" | grep -q '^LCK INIT [0-9]' ||
    fail "first run: the guest's init did not report in on its channel (LCK INIT)"
km second $pkg "${one_case[@]}"
expect_rc 0 second
expect_line second "   $pkg: cached \(${pkg}_0.0-1_amd64.deb\)"
[ "$(downloads)" -eq 1 ] || fail "second run: $(downloads) downloads, expected still 1"

# 2. A guest whose init exits: the kernel panics ("Attempted to kill init").
printf '#!/bin/sh\nexit 0\n' >"$work/init-exits"
LC_KMATRIX_INIT=$work/init-exits km panic $pkg
expect_rc 1 panic
# A custom init sends no "LCK INIT", so the panic counts as one before init
# ran: booted once more, then given up.
expect_line panic "   retry: kernel panic \(Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\), and the guest's init never reported in; booting once more"
[ "$(grep -c '^   retry:' "$work/panic.out")" -eq 1 ] || fail "panic: not exactly one retry"
expect_line panic "kernel-matrix: $pkg: kernel panic \(Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\) after $T; console tail:"

# 3. A guest that powers off without a report.
printf '#!/bin/sh\n/bin/poweroff -f\n' >"$work/init-noreport"
LC_KMATRIX_INIT=$work/init-noreport km noreport $pkg
expect_rc 1 noreport
expect_line noreport "kernel-matrix: $pkg: the guest powered off without writing a report after $T; console tail:"

# 4. A guest that hangs: killed at the timeout.
printf '#!/bin/sh\nwhile :; do /bin/sleep 1000; done\n' >"$work/init-hangs"
LC_KMATRIX_INIT=$work/init-hangs km hang --timeout 15 $pkg
expect_rc 1 hang
expect_line hang "kernel-matrix: $pkg: no report within 15 s \(the guest hung; killed\) after $T; console tail:"

# 5. A kernel that fails does not stop the next: the guest's init panics
#    on the first package only; the second runs and its report is merged;
#    the exit status still says that something failed.
{
    echo '#!/bin/sh'
    echo "[ \"\$LC_KERNEL_PACKAGE\" = $pkg ] && exit 0"
    tail -n +2 "$src/scripts/guest/init"
} >"$work/init-first-panics"
LC_KMATRIX_INIT=$work/init-first-panics km goon $pkg $pkg2 "${one_case[@]}"
expect_rc 1 goon
expect_line goon "kernel-matrix: $pkg: kernel panic \(Kernel panic - not syncing: Attempted to kill init! exitcode=0x00000000\) after $T; console tail:"
expect_line goon "   1 result: 1 PASS; 0 unexpected"
[ -f "$work/goon/matrix/matrix.json" ] || fail "goon: no merged matrix"
[ "$(downloads)" -eq 2 ] || fail "goon: $(downloads) downloads, expected 2 (the second package once)"

# 6. A boot that fails before init runs (here QEMU itself, the first time
#    only) is retried once, and the second boot's report is the kernel's.
real_qemu=$(command -v qemu-system-x86_64)
mkdir -p "$work/bin-flaky"
cat >"$work/bin-flaky/qemu-system-x86_64" <<FLAKY
#!/bin/sh
if [ ! -e "$work/flaky.once" ]; then
    : >"$work/flaky.once"
    echo "simulated failure during boot" >&2
    exit 1
fi
exec "$real_qemu" "\$@"
FLAKY
chmod +x "$work/bin-flaky/qemu-system-x86_64"
rm -f "$work/flaky.once"
PATH="$work/bin-flaky:$PATH" km retry $pkg "${one_case[@]}"
expect_rc 0 retry
expect_line retry "   retry: qemu-system-x86_64 exited with status 1 and no report, and the guest's init never reported in; booting once more"
expect_line retry "   1 result: 1 PASS; 0 unexpected"

# 6b. A guest whose init ran, then died of an int3 in kernel code under TCG
#     (what TCG's cross-modifying-code fault looks like; here a QEMU that
#     writes such a console the first time) is booted once more too.
cat >"$work/bin-flaky/qemu-system-x86_64" <<FLAKY
#!/bin/sh
if [ ! -e "$work/flaky.once" ]; then
    : >"$work/flaky.once"
    n=0
    for a; do
        case \$a in file:*) n=\$((n + 1)); eval "f\$n=\\\${a#file:}" ;; esac
    done
    printf '[   30.7] Oops: int3: 0000 [#1] PREEMPT SMP NOPTI\\n[   30.8] Kernel panic - not syncing: Fatal exception in interrupt\\n' >"\$f1"
    printf 'LCK INIT 2.0\\n' >"\$f2"
    exit 0
fi
exec "$real_qemu" "\$@"
FLAKY
rm -f "$work/flaky.once"
PATH="$work/bin-flaky:$PATH" km int3 $pkg "${one_case[@]}"
expect_rc 0 int3
expect_line int3 "   retry: kernel panic \(Kernel panic - not syncing: Fatal exception in interrupt\) after an int3 in kernel code, taken for a TCG emulation fault; booting once more"
expect_line int3 "   1 result: 1 PASS; 0 unexpected"

# 7. Bad usage: one line, exit 2.
km usage --frobnicate
expect_rc 2 usage
expect_line usage "kernel-matrix: unknown option --frobnicate \(see --help\)"
km badjobs --jobs 0 $pkg
expect_rc 2 badjobs
expect_line badjobs "kernel-matrix: --jobs: '0' is not a positive number"
km badkernel 'no such/kernel'
expect_rc 2 badkernel
expect_line badkernel "kernel-matrix: 'no such/kernel' is neither a linux-image-\* package nor SUITE\[:FLAVOUR\]"

[ $fails -eq 0 ] || { echo "$fails failure(s)"; exit 1; }
echo "kernel-matrix: all checks passed"
