/* Winsock has the socket calls (cases/compat_cases_win.h). */
#include <winsock2.h>
