/* The child test_winproc runs: one behaviour per mode, its record written
 * to the handle given by --record-handle. */
#include <windows.h>

#include <io.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "winproc.h"

int main(int argc, char **argv)
{
    lc_winproc_child_init();
    if (argc == 2 && strcmp(argv[1], "linger") == 0) {
        Sleep(INFINITE); /* the grandchild "orphan" leaves behind */
        return 0;
    }
    if (argc < 4 || strcmp(argv[argc - 2], "--record-handle") != 0)
        return 2;
    int fd = lc_winproc_record_fd(argv[argc - 1]);
    if (fd < 0)
        return 2;
    const char *mode = argv[1];
    if (strcmp(mode, "record") == 0) {
        _write(fd, argv[2], (unsigned)strlen(argv[2]));
        fputs("some output\n", stderr);
        return 0;
    }
    if (strcmp(mode, "argv") == 0) {
        for (int i = 2; i < argc - 2; i++) {
            _write(fd, argv[i], (unsigned)strlen(argv[i]));
            _write(fd, "\n", 1);
        }
        return 0;
    }
    if (strcmp(mode, "exit") == 0)
        return atoi(argv[2]);
    if (strcmp(mode, "crash") == 0) {
        volatile int *p = (volatile int *)(uintptr_t)atoi(argv[2]);
        return *p;
    }
    if (strcmp(mode, "sleep") == 0) {
        _write(fd, "started", 7);
        Sleep(INFINITE);
    }
    if (strcmp(mode, "flood") == 0) {
        static char buf[65536];
        memset(buf, 'x', sizeof buf);
        for (int i = 0; i < 16; i++)
            fwrite(buf, 1, sizeof buf, stdout);
        fflush(stdout);
        _write(fd, "flooded", 7);
        return 0;
    }
    if (strcmp(mode, "orphan") == 0) {
        /* Start a copy of ourselves that sleeps, and leave it behind. */
        char exe[MAX_PATH], cmd[MAX_PATH + 64];
        GetModuleFileNameA(NULL, exe, sizeof exe);
        snprintf(cmd, sizeof cmd, "\"%s\" linger", exe);
        STARTUPINFOA si;
        memset(&si, 0, sizeof si);
        si.cb = sizeof si;
        PROCESS_INFORMATION pi;
        if (!CreateProcessA(NULL, cmd, NULL, NULL, FALSE, 0, NULL, NULL, &si, &pi))
            return 3;
        _write(fd, "orphaned", 8);
        return 0;
    }
    return 2;
}
