/* Where a run happened (harness/platform_info.c): the kernel's upstream
 * version and flavour from what Debian's and other kernels print, the
 * virtualization from CPUID/DMI/container markers as other machines show
 * them, and the platform_id built from them. */
#include <check.h>
#include <string.h>

#include "platform_info.h"

/* /proc/version of Debian's own kernels (their build strings). */
#define PV_510 "Linux version 5.10.0-32-amd64 (debian-kernel@lists.debian.org) (gcc-10 (Debian 10.2.1-6) 10.2.1 20210110, GNU ld (GNU Binutils for Debian) 2.35.2) #1 SMP Debian 5.10.223-1 (2024-08-10)"
#define PV_61RT "Linux version 6.1.0-28-rt-amd64 (debian-kernel@lists.debian.org) (gcc-12 (Debian 12.2.0-14) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_RT Debian 6.1.119-1 (2024-11-22)"
#define PV_612 "Linux version 6.12.57+deb12-amd64 (debian-kernel@lists.debian.org) (x86_64-linux-gnu-gcc-12 (Debian 12.2.0-14+deb12u1) 12.2.0, GNU ld (GNU Binutils for Debian) 2.40) #1 SMP PREEMPT_DYNAMIC Debian 6.12.57-1~bpo12+1 (2025-11-05)"
#define PV_FC "Linux version 6.18.44-fc-v1272 (builder@sandboxing) (gcc (GCC) 15.3.0, GNU ld (GNU Binutils) 2.46) #1 SMP PREEMPT_DYNAMIC @0"

START_TEST(test_kernel_version)
{
    char v[64];
    /* Debian's ABI number (32) is not the patch level: /proc/version is. */
    ck_assert_int_eq(lc__kernel_version("5.10.0-32-amd64", PV_510, v, sizeof v), 0);
    ck_assert_str_eq(v, "5.10.223");
    ck_assert_int_eq(lc__kernel_version("6.1.0-28-rt-amd64", PV_61RT, v, sizeof v), 0);
    ck_assert_str_eq(v, "6.1.119");
    ck_assert_int_eq(lc__kernel_version("6.12.57+deb12-amd64", PV_612, v, sizeof v), 0);
    ck_assert_str_eq(v, "6.12.57");
    /* Not Debian: the release's leading numbers. */
    ck_assert_int_eq(lc__kernel_version("6.18.44-fc-v1272", PV_FC, v, sizeof v), 0);
    ck_assert_str_eq(v, "6.18.44");
    ck_assert_int_eq(lc__kernel_version("6.5.6-300.fc39.x86_64", NULL, v, sizeof v), 0);
    ck_assert_str_eq(v, "6.5.6");
    ck_assert_int_eq(lc__kernel_version("unknown", NULL, v, sizeof v), -1);
}
END_TEST

START_TEST(test_kernel_flavour)
{
    char f[32];
    lc__kernel_flavour("6.1.0-28-rt-amd64", PV_61RT, f, sizeof f);
    ck_assert_str_eq(f, "rt");
    /* The release alone names Debian's flavours. */
    lc__kernel_flavour("6.1.0-28-rt-amd64", NULL, f, sizeof f);
    ck_assert_str_eq(f, "rt");
    lc__kernel_flavour("6.12.57+deb12-rt-amd64", NULL, f, sizeof f);
    ck_assert_str_eq(f, "rt");
    lc__kernel_flavour("6.1.0-28-cloud-amd64", NULL, f, sizeof f);
    ck_assert_str_eq(f, "cloud");
    lc__kernel_flavour("5.10.0-32-amd64", PV_510, f, sizeof f);
    ck_assert_str_eq(f, "");
    lc__kernel_flavour("6.12.57+deb12-amd64", PV_612, f, sizeof f);
    ck_assert_str_eq(f, "");
    /* Other vendors' suffixes are not flavours we can read. */
    lc__kernel_flavour("6.18.44-fc-v1272", PV_FC, f, sizeof f);
    ck_assert_str_eq(f, "");
    lc__kernel_flavour("5.15.0-91-generic", NULL, f, sizeof f);
    ck_assert_str_eq(f, "");
}
END_TEST

static void detect(const lc_virt_inputs *in, const char *want, const char *want_hv)
{
    char v[32], hv[32];
    lc__virt_detect(in, v, sizeof v, hv, sizeof hv);
    ck_assert_str_eq(v, want);
    ck_assert_str_eq(hv, want_hv);
}

START_TEST(test_virtualization)
{
    char buf[32];
    ck_assert_str_eq(lc__virt_from_cpuid("KVMKVMKVM\0\0\0", buf, sizeof buf), "kvm");
    ck_assert_str_eq(lc__virt_from_cpuid("TCGTCGTCGTCG", buf, sizeof buf), "qemu-tcg");
    ck_assert_str_eq(lc__virt_from_cpuid("Microsoft Hv", buf, sizeof buf), "hyperv");
    ck_assert_str_eq(lc__virt_from_cpuid("bhyve bhyve ", buf, sizeof buf), "bhyve");
    ck_assert_str_eq(lc__virt_from_cpuid("NewVisor 1.0", buf, sizeof buf), "newvisor10");
    ck_assert_ptr_null(lc__virt_from_cpuid("\0\0\0\0\0\0\0\0\0\0\0\0", buf, sizeof buf));

    lc_virt_inputs in;
    memset(&in, 0, sizeof in);
    detect(&in, "none", "");
    /* QEMU's TCG without a signature: DMI says QEMU, CPUID names no KVM. */
    in.cpuid_hypervisor_bit = 1;
    in.dmi_sys_vendor = "QEMU";
    in.dmi_product_name = "Standard PC (i440FX + PIIX, 1996)";
    detect(&in, "qemu-tcg", "");
    in.cpuid_signature = "KVMKVMKVM\0\0\0";
    detect(&in, "kvm", "");
    in.cpuid_signature = "TCGTCGTCGTCG";
    detect(&in, "qemu-tcg", "");
    /* A hypervisor bit and nothing else. */
    memset(&in, 0, sizeof in);
    in.cpuid_hypervisor_bit = 1;
    detect(&in, "unknown-hypervisor", "");
    in.dmi_sys_vendor = "VMware, Inc.";
    detect(&in, "vmware", "");
    memset(&in, 0, sizeof in);
    in.sys_hypervisor_type = "xen";
    detect(&in, "xen", "");

    /* Containers: the innermost layer, with the hypervisor under it. */
    memset(&in, 0, sizeof in);
    in.init_cgroup = "0::/\n";
    detect(&in, "none", "");
    in.init_cgroup = "12:pids:/docker/0123456789abcdef\n0::/\n";
    detect(&in, "container", "");
    in.init_cgroup = NULL;
    in.init_container_env = "podman";
    in.cpuid_hypervisor_bit = 1;
    in.cpuid_signature = "KVMKVMKVM\0\0\0";
    detect(&in, "container", "kvm");
    in.init_container_env = NULL;
    in.container_file = 1;
    detect(&in, "container", "kvm");
    /* Wine, innermost of all. */
    in.wine_version = "8.0";
    detect(&in, "wine", "kvm");
}
END_TEST

START_TEST(test_platform_id)
{
    char id[128];
    lc__platform_id(id, sizeof id, "linux", "6.12.57", "", "x86_64", NULL, NULL);
    ck_assert_str_eq(id, "linux-6.12.57-x86_64");
    lc__platform_id(id, sizeof id, "linux", "6.12.117", NULL, "x86_64", NULL, NULL);
    ck_assert_str_eq(id, "linux-6.12.117-x86_64");
    lc__platform_id(id, sizeof id, "linux", "6.1.119", "rt", "x86_64", NULL, NULL);
    ck_assert_str_eq(id, "linux-6.1.119-rt-x86_64");
    lc__platform_id(id, sizeof id, "linux", "6.1.119", NULL, "x86_64", "musl", NULL);
    ck_assert_str_eq(id, "linux-6.1.119-x86_64-musl");
    lc__platform_id(id, sizeof id, "windows", "10.0", NULL, "x86_64", NULL, "wine");
    ck_assert_str_eq(id, "windows-10.0-x86_64-wine");
    lc__platform_id(id, sizeof id, "windows", "10.0", NULL, "x86_64", NULL, NULL);
    ck_assert_str_eq(id, "windows-10.0-x86_64");
    /* No version; characters outside [a-z0-9._-] replaced. */
    lc__platform_id(id, sizeof id, "Linux", NULL, NULL, "x86 64", NULL, NULL);
    ck_assert_str_eq(id, "linux-x86_64");
    /* Truncated, still terminated. */
    lc__platform_id(id, 8, "linux", "6.12.57", NULL, "x86_64", NULL, NULL);
    ck_assert_str_eq(id, "linux-6");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("platform_info");
    TCase *tc = tcase_create("platform_info");
    tcase_add_test(tc, test_kernel_version);
    tcase_add_test(tc, test_kernel_flavour);
    tcase_add_test(tc, test_virtualization);
    tcase_add_test(tc, test_platform_id);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
