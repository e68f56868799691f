/* CPU placement of the data path roles (see affinity.h for why). */
#include "shared/affinity.h"

#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static int s_parse_list(const char *spec, cpu_set_t *set, char *err, size_t errlen) {
    CPU_ZERO(set);
    const char *p = spec;
    if (!*p) goto bad;
    while (*p) {
        char *end;
        long a = strtol(p, &end, 10);
        if (end == p || a < 0 || a >= CPU_SETSIZE) goto bad;
        long b = a;
        p = end;
        if (*p == '-') {
            b = strtol(p + 1, &end, 10);
            if (end == p + 1 || b < a || b >= CPU_SETSIZE) goto bad;
            p = end;
        }
        for (long i = a; i <= b; i++) CPU_SET((int)i, set);
        if (*p == ',') p++;
        else if (*p) goto bad;
    }
    return 0;
bad:
    snprintf(err, errlen, "invalid cpu-affinity '%s' (want auto, none or a list like 0-3,6)",
             spec);
    return -1;
}

int cpu_affinity_check(const char *spec, char *err, size_t errlen) {
    if (!strcasecmp(spec, "auto") || !strcasecmp(spec, "none")) return 0;
    cpu_set_t set;
    return s_parse_list(spec, &set, err, errlen);
}

int cpu_affinity_apply(const char *spec, char *err, size_t errlen) {
    if (!strcasecmp(spec, "none")) return 0;
    cpu_set_t set;
    if (!strcasecmp(spec, "auto")) {
        cpu_set_t allowed;
        if (sched_getaffinity(0, sizeof allowed, &allowed) < 0 || CPU_COUNT(&allowed) < 2)
            return 0;
        int last = -1;
        for (int i = 0; i < CPU_SETSIZE; i++)
            if (CPU_ISSET(i, &allowed)) last = i;
        CPU_ZERO(&set);
        CPU_SET(last, &set);
    } else if (s_parse_list(spec, &set, err, errlen) < 0) {
        return -1;
    }
    if (sched_setaffinity(0, sizeof set, &set) < 0) {
        snprintf(err, errlen, "cannot apply cpu-affinity '%s': no such CPU available", spec);
        return -1;
    }
    return 0;
}
