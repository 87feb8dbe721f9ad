/* The run-time version, for programs that must check the library they got
 * against the header they were built with. */
#include "loopcompat/loop.h"

unsigned lc_version(void)
{
    return LC_VERSION_HEX;
}

const char *lc_version_string(void)
{
    return LC_VERSION_STRING;
}
