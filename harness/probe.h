/* Host facts for a report's run_info, platform_limits and backends. */
#ifndef LC_HARNESS_PROBE_H
#define LC_HARNESS_PROBE_H

#include <jansson.h>

#ifdef __cplusplus
extern "C" {
#endif

/* {"platform_id", "os", "os_version", "arch", "libc", "cpu_count",
 * "compiler", "build_type"}.  New reference. */
json_t *lc_probe_run_info(void);
/* {"rlimit_nofile", "fd_setsize", "clock_resolution", "timer_slack"}, each
 * with a unit; a limit that cannot be read is left out. */
json_t *lc_probe_platform_limits(void);
/* Every compiled-in backend: {"available": true, "timeout_granularity_ns"}
 * or {"available": false, "reason": {"code", "message"}}. */
json_t *lc_probe_backends(void);

#ifdef __cplusplus
}
#endif
#endif
