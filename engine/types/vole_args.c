/* Argument helpers of Vole's own types (engine/types/vole_args.h). */
#include "engine/types/vole_args.h"

#include <math.h>
#include <stdio.h>

#include "shared/util.h"

int arg_seconds_ms_or_reply(client_t *c, const proto_arg_t *a, int positive, const char *what,
                            int64_t *ms) {
    long long whole;
    /* whole seconds, the usual case, skip the float parser */
    if (str_to_ll(a->ptr, a->len, &whole) && whole >= (positive ? 1 : 0) &&
        whole <= VOLE_MAX_DURATION_MS / 1000) {
        *ms = whole * 1000;
        return 0;
    }
    double s;
    if (!str_to_d(a->ptr, a->len, &s) || !isfinite(s) || s < 0 || (positive && s <= 0) ||
        s * 1000.0 > (double)VOLE_MAX_DURATION_MS) {
        reply_errorf(c, "%s must be a %s number of seconds", what,
                     positive ? "positive" : "non-negative");
        return -1;
    }
    int64_t v = (int64_t)llround(s * 1000.0);
    if (positive && v == 0) v = 1; /* a positive duration never rounds to nothing */
    *ms = v;
    return 0;
}

int internal_only_or_reply(client_t *c) {
    if (c->eng->loading) return 0;
    reply_errorf(c, "%s is internal: it only replays recorded effects",
                 c->cmd ? c->cmd->fullname : "this command");
    return -1;
}

int vole_opts_or_reply(client_t *c, int first, const vole_opt_t *opts, int nopts) {
    for (int i = first; i < c->argc; i++) {
        const vole_opt_t *o = NULL;
        for (int k = 0; k < nopts && !o; k++)
            if (arg_is(&c->argv[i], opts[k].name)) o = &opts[k];
        if (!o || i + 1 >= c->argc) {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
        const proto_arg_t *v = &c->argv[++i];
        if (o->seconds) {
            int64_t ms;
            if (arg_seconds_ms_or_reply(c, v, o->min > 0, o->err, &ms)) return -1;
            *o->out = ms;
        } else if (arg_range_or_reply(c, v, o->min, o->max, o->out, o->err)) {
            return -1;
        }
        if (o->text) *o->text = v;
    }
    return 0;
}
