/* cases/expectations.json: the strict validation, then lookups of what it
 * accepted under a few run_info shapes. */
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "expectations.h"
#include "fuzz_util.h"

static json_t *run_infos[3];

static void init_run_infos(void)
{
    if (run_infos[0])
        return;
    run_infos[0] = json_pack("{s:s, s:s, s:s, s:s}", "os", "linux", "os_version",
                             "6.18.0-1-amd64", "arch", "x86_64", "libc", "glibc 2.36");
    run_infos[1] = json_pack("{s:s, s:s, s:s}", "os", "windows", "os_version", "10.0.19045",
                             "runtime", "wine");
    run_infos[2] = json_object();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[768];
    json_error_t je;
    init_run_infos();
    json_t *root = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &je);
    if (!root)
        return 0;
    if (lc_expectations_validate(root, "expectations.json", err, sizeof err) < 0) {
        lc_fuzz_one_line("lc_expectations_validate", err);
        json_decref(root);
        return 0;
    }
    lc_expectations e = {root, NULL};
    const char *id;
    json_t *per;
    json_object_foreach(json_object_get(root, "cases"), id, per)
    {
        static const char *const backends[] = {"epoll", "select", "io_uring", "iocp"};
        for (size_t b = 0; b < 4; b++)
            for (size_t r = 0; r < 3; r++) {
                lc_expectation x;
                if (lc_expectations_lookup(&e, id, backends[b], run_infos[r], &x) == 1 &&
                    (x.expected <= LC_STATUS_NONE || x.expected > LC_STATUS_ERROR)) {
                    fprintf(stderr, "%s/%s: lookup gave no status\n", id, backends[b]);
                    abort();
                }
            }
    }
    json_decref(root);
    return 0;
}
