/* The case registry: every area's table, in catalogue order.  The list of
 * areas comes from LC_CASE_AREAS in cases/CMakeLists.txt. */
#include <string.h>

#include "lc_case.h"

#define LC_CASE_AREA(area) extern const lc_case lc_cases_##area[];
#include "lc_case_areas.h"
#undef LC_CASE_AREA

static const lc_case *const areas[] = {
#define LC_CASE_AREA(area) lc_cases_##area,
#include "lc_case_areas.h"
#undef LC_CASE_AREA
    NULL,
};

size_t lc_case_count(void)
{
    size_t n = 0;
    for (size_t a = 0; areas[a]; a++)
        for (const lc_case *c = areas[a]; c->id; c++)
            n++;
    return n;
}

const lc_case *lc_case_at(size_t i)
{
    for (size_t a = 0; areas[a]; a++)
        for (const lc_case *c = areas[a]; c->id; c++)
            if (i-- == 0)
                return c;
    return NULL;
}

const lc_case *lc_case_find(const char *id)
{
    if (!id)
        return NULL;
    for (size_t a = 0; areas[a]; a++)
        for (const lc_case *c = areas[a]; c->id; c++)
            if (strcmp(c->id, id) == 0)
                return c;
    return NULL;
}
