# The guest side of scripts/kernel-matrix: the loopcompat binary it runs,
# its initramfs, the accelerator, one boot, and the report brought back.
#
#   lc_kg_binary HERE BUILD [GIVEN]  LC_KG_BINARY, LC_KG_BINARY_KIND
#   lc_kg_initramfs HERE STAGE OUT [RUN-OPTION...]
#   lc_kg_accel MODE WORKDIR VMLINUZ   LC_KG_ACCEL (qemu options), LC_KG_ACCEL_NAME
#   lc_kg_boot VMLINUZ INITRD PKG VERSION BASE TIMEOUT
#       BASE.console, BASE.channel, BASE.json; LC_KG_RC, LC_KG_SUMMARY, or
#       LC_KG_ERROR and a non-zero return
#   lc_kg_merge LOOPCOMPAT DIR REPORT...   DIR/{matrix.json,matrix.md,html/}
#   lc_kg_publish DIR DEST
# shellcheck shell=bash disable=SC2034  # LC_KG_* are read by the caller

# A statically linked loopcompat when the tree can build one
# (scripts/static-build prints its path on its last line): it needs
# nothing from the host.  Otherwise the normal build, whose shared
# libraries go into the initramfs with it.
lc_kg_binary() {
    local here=$1 build=$2 given=${3:-} path
    if [ ! -x "$build/loopcompat" ]; then
        cmake -S "$here" -B "$build" >"$build.configure.log" 2>&1 &&
            cmake --build "$build" -j "$(nproc 2>/dev/null || echo 2)" --target loopcompat-cli >"$build.build.log" 2>&1 ||
            { echo "kernel-matrix: building loopcompat in $build failed (see $build.build.log)" >&2; return 1; }
    fi
    # The host's build validates, merges and renders the reports.
    LC_KG_LOOPCOMPAT=$build/loopcompat
    LC_KG_BINARY=$build/loopcompat LC_KG_BINARY_KIND=dynamic
    if [ -n "$given" ]; then
        LC_KG_BINARY=$given LC_KG_BINARY_KIND=given
    elif [ -x "$here/scripts/static-build" ]; then
        if path=$("$here/scripts/static-build" "$here/build-static" 2>"$build/static-build.log" | tail -n 1) &&
            [ -x "$path" ]; then
            LC_KG_BINARY=$path LC_KG_BINARY_KIND=static
        else
            echo "   the static build failed (see $build/static-build.log): using the dynamic one" >&2
        fi
    fi
}

# Copy FILE into the staging tree at its own path, with the shared
# libraries it needs (ldd(1)), when it has any.
lc_kg_stage_elf() {
    local stage=$1 file=$2 lib
    while read -r lib; do
        mkdir -p "$stage$(dirname "$lib")" && cp -L "$lib" "$stage$lib" || return 1
    done < <(ldd "$file" 2>/dev/null | awk '/=> \// { print $3 } /^[[:space:]]*\/[^ ]+ \(/ { print $1 }')
}

# The initramfs (newc cpio, uncompressed: TCG decompresses slowly):
# busybox with its applets, /init, /lc/loopcompat, /lc/cases/expectations.json.
lc_kg_initramfs() {
    local here=$1 stage=$2 out=$3 bb
    shift 3
    rm -rf "$stage" && mkdir -p "$stage"/{bin,dev,etc,lc/cases,proc,root,sys,tmp,usr} || return 1
    ln -s ../bin "$stage/usr/bin" && ln -s bin "$stage/sbin"
    bb=$(command -v busybox)
    if ldd "$bb" >/dev/null 2>&1; then
        echo "kernel-matrix: $bb is not statically linked (install busybox-static)" >&2
        return 1
    fi
    cp "$bb" "$stage/bin/busybox"
    # One process for the ~400 links (perl-base is essential in Debian),
    # not one ln each.
    (cd "$stage/bin" && "$bb" --list | grep -vx busybox |
        perl -ne 'chomp; symlink("busybox", $_) or die "symlink $_: $!\n"') || return 1
    cp "${LC_KMATRIX_INIT:-$here/scripts/guest/init}" "$stage/init" && chmod 755 "$stage/init" || return 1
    cp "$LC_KG_BINARY" "$stage/lc/loopcompat" && cp "$here/cases/expectations.json" "$stage/lc/cases/" || return 1
    lc_kg_stage_elf "$stage" "$LC_KG_BINARY" || { echo "kernel-matrix: copying the libraries of $LC_KG_BINARY failed" >&2; return 1; }
    : >"$stage/etc/lc-run.args"
    [ $# -eq 0 ] || printf '%s\n' "$@" >"$stage/etc/lc-run.args"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$stage/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$stage/etc/group"
    printf '127.0.0.1 localhost\n::1 localhost ip6-localhost ip6-loopback\n' >"$stage/etc/hosts"
    (cd "$stage" && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) >"$out.tmp" &&
        mv "$out.tmp" "$out" || { echo "kernel-matrix: cpio of $stage failed" >&2; return 1; }
}

LC_KG_QEMU_COMMON=(-nodefaults -no-user-config -display none -no-reboot -smp 2 -m 2048 -nic none)

# KVM only when a probe guest really boots under it: /dev/kvm can exist
# and accept KVM_CREATE_VM while the guest never gets past the firmware
# (nested virtualisation without the features the guest needs).
lc_kg_accel() {
    local mode=$1 work=$2 vmlinuz=$3 probe
    LC_KG_ACCEL=(-accel tcg -cpu max) LC_KG_ACCEL_NAME="TCG"
    [ "$mode" = tcg ] && { LC_KG_ACCEL_NAME="TCG (asked for)"; return 0; }
    if [ ! -w /dev/kvm ]; then
        [ "$mode" = kvm ] && { echo "kernel-matrix: --accel kvm: /dev/kvm is missing or not writable" >&2; return 1; }
        LC_KG_ACCEL_NAME="TCG (no usable /dev/kvm)"
        return 0
    fi
    probe=$work/kvm-probe
    rm -rf "$probe" && mkdir -p "$probe/stage/bin" "$probe/stage/dev" "$probe/stage/proc"
    cp "$(command -v busybox)" "$probe/stage/bin/busybox" && ln -s busybox "$probe/stage/bin/sh"
    printf '#!/bin/sh\n/bin/busybox mount -t devtmpfs d /dev\necho LCK PROBE OK >/dev/ttyS1\n/bin/busybox poweroff -f\n' >"$probe/stage/init"
    chmod 755 "$probe/stage/init"
    (cd "$probe/stage" && find . | cpio -o -H newc -R 0:0 --quiet) >"$probe/initrd"
    timeout -k 2 "${LC_KMATRIX_KVM_PROBE_TIMEOUT:-20}" qemu-system-x86_64 "${LC_KG_QEMU_COMMON[@]}" \
        -accel kvm -cpu host -kernel "$vmlinuz" -initrd "$probe/initrd" \
        -append "console=ttyS0 quiet panic=-1" \
        -serial "file:$probe/console" -serial "file:$probe/channel" >/dev/null 2>&1 || true
    if grep -q 'LCK PROBE OK' "$probe/channel" 2>/dev/null; then
        LC_KG_ACCEL=(-accel kvm -cpu host) LC_KG_ACCEL_NAME="KVM"
        return 0
    fi
    [ "$mode" = kvm ] && { echo "kernel-matrix: --accel kvm: the probe guest did not boot under KVM" >&2; return 1; }
    LC_KG_ACCEL_NAME="TCG (a KVM probe guest did not boot within ${LC_KMATRIX_KVM_PROBE_TIMEOUT:-20} s)"
}

# Why a guest sent no report, from its exit and its console.
lc_kg_why() {
    local rc=$1 console=$2 timeout=$3 panic
    panic=$(tr -d '\r' <"$console" 2>/dev/null | grep -m1 -o 'Kernel panic - not syncing:.*' || true)
    if [ -n "$panic" ]; then
        LC_KG_ERROR="kernel panic ($panic)"
    elif [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
        LC_KG_ERROR="no report within $timeout s (the guest hung; killed)"
    elif [ "$rc" -ne 0 ]; then
        LC_KG_ERROR="qemu-system-x86_64 exited with status $rc and no report"
    else
        LC_KG_ERROR="the guest powered off without writing a report"
    fi
}

# One boot.  Booted once more, saying so, when no report came and:
# - the kernel failed before our init said a word (no "LCK INIT" on the
#   channel: a panic or a QEMU failure during boot), or
# - under TCG, the kernel died of an "Oops: int3" in its own code.  The
#   kernel patches its text at run time (static keys, alternatives) by
#   writing an int3 first (text_poke_bp, arch/x86/kernel/alternative.c),
#   and the oopses seen here stop on such a site (a static key's 5-byte
#   NOP, "0f <1f> 44 00 00" in the oops' Code: line, in inet_ehashfn
#   mid-run and in early boot, on 6.12 kernels).  We take it for a fault
#   of TCG's emulation of code one vCPU patches while another runs it: it
#   is rare, nothing of ours is on those paths, and a second boot has not
#   met it.
# A guest that hangs is not retried: that would only double the wait.
lc_kg_boot() {
    local vmlinuz=$1 initrd=$2 pkg=$3 ver=$4 base=$5 timeout=$6 jobs=${7:-2} rc ch sum try
    rm -f "$base.first.console"
    for try in 1 2; do
        rm -f "$base.console" "$base.channel" "$base.json" "$base.json.gz"
        LC_KG_RC='' LC_KG_SUMMARY='' LC_KG_BOOT='' LC_KG_RUN='' LC_KG_ERROR='' rc=0
        timeout -k 5 "$timeout" qemu-system-x86_64 "${LC_KG_QEMU_COMMON[@]}" "${LC_KG_ACCEL[@]}" \
            -kernel "$vmlinuz" -initrd "$initrd" \
            -append "console=ttyS0 quiet panic=-1 LC_KERNEL_PACKAGE=$pkg LC_KERNEL_PACKAGE_VERSION=$ver LC_JOBS=$jobs" \
            -serial "file:$base.console" -serial "file:$base.channel" \
            </dev/null >"$base.qemu.log" 2>&1 || rc=$?
        [ $try -eq 1 ] || break
        [ "$rc" -ne 124 ] && [ "$rc" -ne 137 ] || break
        tr -d '\r' <"$base.channel" 2>/dev/null | grep -qx 'LCK BEGIN' && break
        lc_kg_why "$rc" "$base.console" "$timeout"
        if ! tr -d '\r' <"$base.channel" 2>/dev/null | grep -qE '^LCK INIT'; then
            case $LC_KG_ERROR in "kernel panic"*|qemu-system-x86_64*) ;; *) break ;; esac
            echo "   retry: $LC_KG_ERROR, and the guest's init never reported in; booting once more"
        elif [ "${LC_KG_ACCEL_NAME#TCG}" != "$LC_KG_ACCEL_NAME" ] &&
            tr -d '\r' <"$base.console" | grep -q 'Oops: int3'; then
            echo "   retry: $LC_KG_ERROR after an int3 in kernel code, taken for a TCG emulation fault; booting once more"
        else
            break
        fi
        cp "$base.console" "$base.first.console" 2>/dev/null || true
    done
    ch=$(tr -d '\r' <"$base.channel" 2>/dev/null || true)
    if ! grep -qx 'LCK BEGIN' <<<"$ch"; then
        lc_kg_why "$rc" "$base.console" "$timeout"
        return 1
    fi
    if ! grep -qx 'LCK END' <<<"$ch"; then
        LC_KG_ERROR="the report was cut short on the serial channel"
        [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ] && LC_KG_ERROR="$LC_KG_ERROR (the guest hung after $timeout s; killed)"
        return 1
    fi
    LC_KG_RC=$(sed -n 's/^LCK RC //p' <<<"$ch")
    # Guest uptimes: when init ran (the boot) and when the matrix ended.
    LC_KG_BOOT=$(sed -n 's/^LCK INIT //p' <<<"$ch" | head -n 1)
    LC_KG_RUN=$(sed -n 's/^LCK RUN //p' <<<"$ch" | head -n 1)
    LC_KG_SUMMARY=$(sed -n 's/^LCK SUMMARY //p' <<<"$ch")
    sum=$(sed -n 's/^LCK SHA256 //p' <<<"$ch")
    if [ -z "$sum" ]; then
        LC_KG_ERROR="loopcompat run in the guest exited $LC_KG_RC and wrote no report"
        return 1
    fi
    sed -n '/^LCK SHA256 /,/^LCK END$/{/^LCK /d;p}' <<<"$ch" | base64 -d >"$base.json.gz" 2>/dev/null
    if [ "$(sha256sum <"$base.json.gz" | cut -d' ' -f1)" != "$sum" ]; then
        LC_KG_ERROR="the report arrived damaged (SHA-256 differs)"
        return 1
    fi
    gzip -dc "$base.json.gz" >"$base.json.tmp" && rm -f "$base.json.gz"
    local why
    if ! why=$("$LC_KG_LOOPCOMPAT" validate "$base.json.tmp" 2>&1); then
        LC_KG_ERROR="the guest's report is not valid: $(head -n 1 <<<"$why")"
        return 1
    fi
    mv "$base.json.tmp" "$base.json"
}

lc_kg_merge() {
    local lc=$1 dir=$2 r rel=()
    shift 2
    rm -rf "$dir.tmp" && mkdir -p "$dir.tmp" || return 1
    # The matrix names its inputs: relative to the tree (no machine paths
    # in a published matrix).
    for r in "$@"; do rel+=("$(realpath --relative-to="$LC_KG_TREE" "$r")"); done
    (cd "$LC_KG_TREE" && "$lc" merge "${rel[@]}" -o "$dir.tmp/matrix.json") &&
        "$lc" render "$dir.tmp/matrix.json" --html "$dir.tmp/html" --markdown "$dir.tmp/matrix.md" ||
        { echo "kernel-matrix: merging or rendering the reports failed" >&2; return 1; }
    rm -rf "$dir" && mv "$dir.tmp" "$dir"
}

lc_kg_publish() {
    local dir=$1 dest=$2
    rm -rf "$dest.tmp" && cp -r "$dir" "$dest.tmp" && rm -rf "$dest" && mv "$dest.tmp" "$dest"
}
