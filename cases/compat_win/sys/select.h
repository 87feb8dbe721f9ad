/* Winsock has select and fd_set (cases/compat_cases_win.h). */
#include <winsock2.h>
