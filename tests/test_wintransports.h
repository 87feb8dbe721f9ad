/* Shared by the Windows transport suite's files: the backend under test
 * and the loop helpers (test_wintransports.c), the subprocess and pipe
 * tests (test_winprocess.c). */
#ifndef TEST_WINTRANSPORTS_H
#define TEST_WINTRANSPORTS_H

#include "compat_win.h"

#include <check.h>

#include "loopcompat/loopcompat.h"

extern const char *wt_backend;
extern const char *wt_self_exe; /* this program: its own child */

int wt_is_iocp(void);
lc_loop *wt_new_loop(void);
void wt_noop(lc_loop *loop, void *arg);
/* Run iterations until *flag is nonzero or 10 s passed. */
void wt_run_until(lc_loop *loop, const int *flag);

void wt_add_process_tests(TCase *tc);
/* argv[1] == "child": the child's behaviours; returns its exit status. */
int wt_child_main(const char *mode);

#endif
