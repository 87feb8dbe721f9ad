/* Where a run happened, for run_info: the kernel's upstream version and
 * flavour, the virtualization around it, and the platform_id built from
 * them (docs/reports.md, "platform_id").  The parsers take text (the
 * contents of /proc/version, a CPUID signature, DMI strings) so that the
 * tests can feed them what other machines show. */
#ifndef LC_HARNESS_PLATFORM_INFO_H
#define LC_HARNESS_PLATFORM_INFO_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The upstream version of a Linux kernel ("5.10.223"): Debian's build
 * string in /proc/version ("... Debian 5.10.223-1 (2024-08-10)") when
 * present, since Debian's release ("5.10.0-32-amd64") carries its ABI
 * number where the patch level would be; otherwise the dotted numbers at
 * the start of the release ("6.18.44-fc" -> "6.18.44").  proc_version may
 * be NULL.  0, or -1 when the release starts with no number. */
int lc__kernel_version(const char *release, const char *proc_version, char *out, size_t len);

/* The kernel's flavour, "" for none: "rt" for a PREEMPT_RT kernel (its
 * /proc/version says "PREEMPT_RT"), else Debian's flavour word between the
 * ABI and the architecture ("6.1.0-28-cloud-amd64" -> "cloud";
 * "6.12.57+deb12-rt-amd64" -> "rt").  Lower case, [a-z0-9] only. */
void lc__kernel_flavour(const char *release, const char *proc_version, char *out, size_t len);

/* The hypervisor named by a CPUID leaf 0x40000000 signature (12 bytes, as
 * the vendors document them): "kvm", "qemu-tcg", "hyperv", "vmware",
 * "xen", "bhyve", "virtualbox", "parallels", "acrn", "qnx", "sre"; an
 * unknown signature gives its own text, lower case, [a-z0-9] only; NULL for
 * an empty one. */
const char *lc__virt_from_cpuid(const char sig[12], char *buf, size_t len);
/* The hypervisor named by DMI (/sys/class/dmi/id/sys_vendor and
 * product_name), or NULL. "QEMU" alone does not say whether KVM runs it:
 * the caller decides with the CPUID signature. */
const char *lc__virt_from_dmi(const char *sys_vendor, const char *product_name);

/* CPUID leaf 1 ECX bit 31 (reserved for hypervisors, Intel SDM vol. 2A)
 * and, when set, the leaf 0x40000000 signature into sig (12 bytes and a
 * NUL).  0 on other architectures or without the bit. */
int lc__cpuid_hypervisor(char sig[13]);

/* What the detection looked at: every field may be NULL or 0. */
typedef struct lc_virt_inputs {
    int cpuid_hypervisor_bit;   /* CPUID.1:ECX bit 31, or the cpuinfo flag */
    const char *cpuid_signature; /* 12 bytes, leaf 0x40000000, or NULL */
    const char *dmi_sys_vendor, *dmi_product_name;
    const char *sys_hypervisor_type; /* /sys/hypervisor/type ("xen") */
    int container_file;         /* /.dockerenv or /run/.containerenv exists */
    const char *init_container_env; /* value of container= in PID 1's environ */
    const char *init_cgroup;    /* /proc/1/cgroup */
    const char *wine_version;   /* Windows: wine_get_version() */
} lc_virt_inputs;

/* The run's virtualization (the innermost layer: wine, a container, a
 * hypervisor, or "none") into out; the hypervisor under a container or
 * wine, if one was seen, into hv ("" if none). */
void lc__virt_detect(const lc_virt_inputs *in, char *out, size_t len, char *hv, size_t hvlen);

/* How a rendered matrix says where a platform ran: "under QEMU (TCG)",
 * "under KVM", "under wine", "in a container on KVM"; "" for "none" or
 * NULL (a report from before the field). */
const char *lc__virt_phrase(const char *virtualization, const char *hypervisor, char *buf,
                            size_t len);

/* The platform_id: os-version[-flavour]-arch[-libc][-runtime], lower case,
 * [a-z0-9._-] only.  flavour, libc_suffix and runtime may be NULL or "". */
void lc__platform_id(char *out, size_t len, const char *os, const char *version,
                     const char *flavour, const char *arch, const char *libc_suffix,
                     const char *runtime);

#ifdef __cplusplus
}
#endif
#endif
