/* Winsock has AF_UNIX addresses in afunix.h (cases/compat_cases_win.h). */
#include <winsock2.h>
#include <afunix.h>
