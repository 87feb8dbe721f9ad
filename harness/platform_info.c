/* Parsing what the platform says about itself (platform_info.h). */
#include "platform_info.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <cpuid.h>
#endif

/* The dotted numbers at the start of s ("5.10.223-1" -> "5.10.223"). */
static int leading_version(const char *s, char *out, size_t len)
{
    size_t n = 0;
    while (isdigit((unsigned char)s[n]) || (s[n] == '.' && isdigit((unsigned char)s[n + 1])))
        n++;
    if (n == 0 || n >= len)
        return -1;
    memcpy(out, s, n);
    out[n] = '\0';
    return 0;
}

int lc__kernel_version(const char *release, const char *proc_version, char *out, size_t len)
{
    /* Debian's kernel packages put "Debian <upstream>-<debian revision>"
     * at the end of the build string, after the compiler's own "(Debian
     * 12.2.0-14)": "#1 SMP PREEMPT_DYNAMIC Debian 6.1.119-1 (2024-11-22)".
     * The last occurrence is the kernel's. */
    const char *last = NULL;
    for (const char *p = proc_version ? strstr(proc_version, "Debian ") : NULL; p;
         p = strstr(p + 1, "Debian "))
        last = p;
    if (last && leading_version(last + 7, out, len) == 0 && strchr(out, '.'))
        return 0;
    return release ? leading_version(release, out, len) : -1;
}

int lc__cpuid_hypervisor(char sig[13])
{
    memset(sig, 0, 13);
#if defined(__x86_64__) || defined(__i386__)
    unsigned a, b, c, d;
    if (!__get_cpuid(1, &a, &b, &c, &d) || !((c >> 31) & 1))
        return 0;
    __cpuid(0x40000000, a, b, c, d);
    memcpy(sig, &b, 4);
    memcpy(sig + 4, &c, 4);
    memcpy(sig + 8, &d, 4);
    return 1;
#else
    return 0;
#endif
}

static void clean_word(char *out, size_t len, const char *s, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n && k + 1 < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (isalnum(c))
            out[k++] = (char)tolower(c);
    }
    out[k] = '\0';
}

/* Debian's architecture flavour suffixes of linux-image-* (the package
 * names' last word). */
static int debian_arch_word(const char *w, size_t n)
{
    static const char *const arch[] = {"amd64", "arm64", "armmp", "686", "686-pae", "s390x",
                                       "powerpc64le", "riscv64", "loong64", "marvell", NULL};
    for (size_t i = 0; arch[i]; i++)
        if (strlen(arch[i]) == n && strncmp(arch[i], w, n) == 0)
            return 1;
    return 0;
}

void lc__kernel_flavour(const char *release, const char *proc_version, char *out, size_t len)
{
    if (len == 0)
        return;
    out[0] = '\0';
    /* CONFIG_PREEMPT_RT kernels print "PREEMPT_RT" in their version string
     * (init/version-timestamp.c, UTS_VERSION from scripts/mkcompile_h). */
    if (proc_version && strstr(proc_version, "PREEMPT_RT")) {
        snprintf(out, len, "rt");
        return;
    }
    if (!release)
        return;
    /* Debian: "<upstream>-<abi>-<flavour...>-<arch>" (bullseye, bookworm:
     * "6.1.0-28-cloud-amd64") or "<upstream>+deb<N>-<flavour...>-<arch>"
     * (trixie and backports: "6.12.57+deb12-rt-amd64").  Anything else has
     * no flavour we can read. */
    const char *p = release;
    while (isdigit((unsigned char)*p) || *p == '.')
        p++;
    if (strncmp(p, "+deb", 4) == 0) {
        p += 4;
        while (isdigit((unsigned char)*p))
            p++;
    } else if (*p == '-' && isdigit((unsigned char)p[1])) {
        p++;
        while (isdigit((unsigned char)*p))
            p++;
    } else {
        return;
    }
    if (*p != '-')
        return;
    p++;
    const char *last = strrchr(p, '-');
    const char *arch = last ? last + 1 : p;
    if (!debian_arch_word(arch, strlen(arch)))
        return;
    if (last)
        clean_word(out, len, p, (size_t)(last - p));
}

const char *lc__virt_from_cpuid(const char sig[12], char *buf, size_t len)
{
    /* The signatures hypervisors put in CPUID 0x40000000 (EBX, ECX, EDX),
     * as systemd's src/basic/virt.c detect_vm_cpuid() lists them; QEMU's
     * TCG accelerator answers "TCGTCGTCGTCG" (target/i386/cpu.c). */
    static const struct {
        const char *sig;
        size_t n;
        const char *name;
    } known[] = {
        {"KVMKVMKVM", 9, "kvm"},        {"TCGTCGTCGTCG", 12, "qemu-tcg"},
        {"Microsoft Hv", 12, "hyperv"}, {"VMwareVMware", 12, "vmware"},
        {"XenVMMXenVMM", 12, "xen"},    {"bhyve bhyve ", 12, "bhyve"},
        {"VBoxVBoxVBox", 12, "virtualbox"}, {" lrpepyh  vr", 12, "parallels"},
        {"ACRNACRNACRN", 12, "acrn"},   {"QNXQVMBSQG", 10, "qnx"},
        {"Linux KVM Hv", 12, "kvm"},    {"SRESRESRESRE", 12, "sre"},
    };
    if (!sig)
        return NULL;
    for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
        if (memcmp(sig, known[i].sig, known[i].n) == 0)
            return known[i].name;
    clean_word(buf, len, sig, 12);
    return buf[0] ? buf : NULL;
}

static int has(const char *s, const char *word)
{
    return s && strstr(s, word) != NULL;
}

const char *lc__virt_from_dmi(const char *vendor, const char *product)
{
    if (has(vendor, "QEMU") || has(product, "QEMU") || has(product, "Standard PC (i440FX") ||
        has(product, "Standard PC (Q35"))
        return "qemu";
    if (has(vendor, "innotek") || has(product, "VirtualBox"))
        return "virtualbox";
    if (has(vendor, "VMware"))
        return "vmware";
    if (has(vendor, "Microsoft Corporation") && has(product, "Virtual Machine"))
        return "hyperv";
    if (has(vendor, "Xen"))
        return "xen";
    if (has(vendor, "Parallels"))
        return "parallels";
    if (has(product, "BHYVE"))
        return "bhyve";
    if (has(vendor, "Amazon EC2") || has(product, "KVM") || has(vendor, "Google"))
        return "kvm";
    return NULL;
}

/* Container engines mark their containers: podman writes
 * /run/.containerenv (containers-podman-run(1)), docker /.dockerenv;
 * systemd-nspawn, LXC and podman set container= in PID 1's environment
 * (systemd's "Container Interface"); under cgroup v1 the engines' cgroup
 * paths name them. */
static int cgroup_of_container(const char *cg)
{
    return has(cg, "/docker") || has(cg, "/lxc") || has(cg, "/kubepods") ||
           has(cg, "/containerd") || has(cg, "libpod") || has(cg, "/machine.slice/machine-");
}

static const char *hypervisor(const lc_virt_inputs *in, char *buf, size_t len)
{
    const char *sig = in->cpuid_signature ? lc__virt_from_cpuid(in->cpuid_signature, buf, len) : NULL;
    const char *dmi = lc__virt_from_dmi(in->dmi_sys_vendor, in->dmi_product_name);
    if (sig)
        return sig;
    /* QEMU without KVM shows no signature of its own (older QEMU) or
     * "TCGTCGTCGTCG" (above): a QEMU machine without a KVM signature runs
     * on TCG. */
    if (dmi && strcmp(dmi, "qemu") == 0)
        return "qemu-tcg";
    if (dmi)
        return dmi;
    if (in->sys_hypervisor_type && *in->sys_hypervisor_type) {
        clean_word(buf, len, in->sys_hypervisor_type, strlen(in->sys_hypervisor_type));
        if (buf[0])
            return buf;
    }
    return in->cpuid_hypervisor_bit ? "unknown-hypervisor" : NULL;
}

void lc__virt_detect(const lc_virt_inputs *in, char *out, size_t len, char *hv, size_t hvlen)
{
    char buf[32];
    const char *h = hypervisor(in, buf, sizeof buf);
    snprintf(hv, hvlen, "%s", "");
    const char *inner = NULL;
    if (in->wine_version && *in->wine_version)
        inner = "wine";
    else if (in->container_file || (in->init_container_env && *in->init_container_env) ||
             cgroup_of_container(in->init_cgroup))
        inner = "container";
    if (inner) {
        snprintf(out, len, "%s", inner);
        snprintf(hv, hvlen, "%s", h ? h : "");
    } else {
        snprintf(out, len, "%s", h ? h : "none");
    }
}

static void append(char *out, size_t len, size_t *k, const char *s)
{
    if (!s || !*s)
        return;
    if (*k > 0 && *k + 1 < len)
        out[(*k)++] = '-';
    for (; *s && *k + 1 < len; s++) {
        unsigned char c = (unsigned char)tolower((unsigned char)*s);
        out[(*k)++] = (isalnum(c) || c == '.' || c == '_' || c == '-') ? (char)c : '_';
    }
    out[*k] = '\0';
}

void lc__platform_id(char *out, size_t len, const char *os, const char *version,
                     const char *flavour, const char *arch, const char *libc_suffix,
                     const char *runtime)
{
    size_t k = 0;
    if (len == 0)
        return;
    out[0] = '\0';
    append(out, len, &k, os);
    append(out, len, &k, version);
    append(out, len, &k, flavour);
    append(out, len, &k, arch);
    append(out, len, &k, libc_suffix);
    append(out, len, &k, runtime);
}

static const char *hv_display(const char *v)
{
    static const struct {
        const char *id, *text;
    } names[] = {{"qemu-tcg", "QEMU (TCG)"}, {"kvm", "KVM"},         {"hyperv", "Hyper-V"},
                 {"vmware", "VMware"},       {"xen", "Xen"},         {"virtualbox", "VirtualBox"},
                 {"parallels", "Parallels"}, {"acrn", "ACRN"},       {"qnx", "QNX"},
                 {"unknown-hypervisor", "a hypervisor"}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(v, names[i].id) == 0)
            return names[i].text;
    return v;
}

const char *lc__virt_phrase(const char *virt, const char *hv, char *buf, size_t len)
{
    if (len == 0)
        return buf;
    buf[0] = '\0';
    if (!virt || !*virt || strcmp(virt, "none") == 0)
        return buf;
    const char *on = hv && *hv ? hv_display(hv) : NULL;
    if (strcmp(virt, "container") == 0)
        snprintf(buf, len, "in a container%s%s", on ? " on " : "", on ? on : "");
    else if (strcmp(virt, "wine") == 0)
        snprintf(buf, len, "under wine%s%s", on ? " on " : "", on ? on : "");
    else
        snprintf(buf, len, "under %s", hv_display(virt));
    return buf;
}
