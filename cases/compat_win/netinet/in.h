/* Winsock has the internet address family (cases/compat_cases_win.h). */
#include <winsock2.h>
#include <ws2tcpip.h>
