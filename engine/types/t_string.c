/* String commands: the GET/SET family with its expiry options, ranges, counters, APPEND,
 * STRLEN and LCS, over the int / embstr / raw string objects of engine/object.c. */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "engine/commands.h"
#include "engine/core.h"
#include "engine/effects.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/types/t_string.h"
#include "shared/util.h"

#define EMBSTR_MAX 44           /* Redis's embstr size limit */
#define LD_CHARS_MAX (5 * 1024) /* Redis's MAX_LONG_DOUBLE_CHARS */

/* ===================== helpers ===================== */

/* Redis compares option words as C strings, so an argument is only read up to its first
 * NUL byte ("nx\0junk" counts as NX). */
static int s_opt(const proto_arg_t *a, const char *lit) {
    size_t n = strnlen(a->ptr, a->len);
    size_t m = strlen(lit);
    return n == m && strncasecmp(a->ptr, lit, m) == 0;
}

/* Long double parsing exactly as Redis's string2ld: subnormal results are accepted (only
 * overflow and underflow to zero fail), and the input must be shorter than 5 KiB. */
static int s_str_to_ld(const char *s, size_t len, long double *out) {
    char buf[LD_CHARS_MAX];
    if (len == 0 || len >= sizeof buf) return 0;
    memcpy(buf, s, len);
    buf[len] = '\0';
    char *end;
    errno = 0;
    long double v = strtold(buf, &end);
    if (isspace((unsigned char)buf[0]) || *end != '\0' || (size_t)(end - buf) != len ||
        (errno == ERANGE && (isinf(v) || fpclassify(v) == FP_ZERO)) || errno == EINVAL || isnan(v))
        return 0;
    *out = v;
    return 1;
}

/* Integer value of a string object (int encoding or a canonical decimal). */
static int s_obj_ll(const vobj_t *o, long long *out) {
    if (o->enc == ENC_INT) {
        *out = o->v.i;
        return 1;
    }
    return str_to_ll(o->v.s->ptr, o->v.s->len, out);
}

static int s_obj_ld(const vobj_t *o, long double *out) {
    if (o->enc == ENC_INT) {
        *out = (long double)o->v.i;
        return 1;
    }
    return s_str_to_ld(o->v.s->ptr, o->v.s->len, out);
}

/* A string object that is never int-encoded (INCRBYFLOAT's result): embstr when short. */
static vobj_t *s_obj_no_int(const char *p, size_t len) {
    vobj_t *o = obj_string_raw(p, len);
    if (len <= EMBSTR_MAX) o->enc = ENC_EMBSTR;
    return o;
}

/* The size limit every growing write obeys; also catches size_t wrap-around. */
static int s_check_len_or_reply(client_t *c, unsigned long long size, unsigned long long add) {
    unsigned long long total = size + add;
    if (total > (unsigned long long)c->eng->cfg.proto_max_bulk_len || total < size || total < add) {
        reply_error(c, "string exceeds maximum allowed size (proto-max-bulk-len)");
        return -1;
    }
    return 0;
}

static void s_written(client_t *c, const proto_arg_t *key, int type, const char *event) {
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, type, event, key->ptr, key->len, c->db->id);
    c->eng->stats.dirty++;
}

/* ===================== expiry options ===================== */

enum {
    SF_NX = 1 << 0,
    SF_XX = 1 << 1,
    SF_GET = 1 << 2,
    SF_KEEPTTL = 1 << 3,
    SF_PERSIST = 1 << 4,
    SF_EX = 1 << 5,
    SF_PX = 1 << 6,
    SF_EXAT = 1 << 7,
    SF_PXAT = 1 << 8,
};
#define SF_ANY_EXPIRE (SF_EX | SF_PX | SF_EXAT | SF_PXAT)

/* Parses SET's (is_set) or GETEX's options from argv[first]. Every option is accepted only
 * when it does not conflict with one already seen; a conflict, an unknown word or an expire
 * option without its value is a syntax error. Repeating the same option is allowed. */
static int s_parse_opts_or_reply(client_t *c, int first, int is_set, int *flags,
                                 const proto_arg_t **expire) {
    for (int j = first; j < c->argc; j++) {
        const proto_arg_t *a = &c->argv[j];
        const proto_arg_t *next = j == c->argc - 1 ? NULL : &c->argv[j + 1];
        int f = *flags;
        if (s_opt(a, "nx") && !(f & SF_XX) && is_set) {
            *flags |= SF_NX;
        } else if (s_opt(a, "xx") && !(f & SF_NX) && is_set) {
            *flags |= SF_XX;
        } else if (s_opt(a, "get") && is_set) {
            *flags |= SF_GET;
        } else if (s_opt(a, "keepttl") && !(f & (SF_PERSIST | SF_ANY_EXPIRE)) && is_set) {
            *flags |= SF_KEEPTTL;
        } else if (s_opt(a, "persist") && !is_set && !(f & (SF_ANY_EXPIRE | SF_KEEPTTL))) {
            *flags |= SF_PERSIST;
        } else if (s_opt(a, "ex") && next &&
                   !(f & (SF_KEEPTTL | SF_PERSIST | SF_EXAT | SF_PX | SF_PXAT))) {
            *flags |= SF_EX;
            *expire = next;
            j++;
        } else if (s_opt(a, "px") && next &&
                   !(f & (SF_KEEPTTL | SF_PERSIST | SF_EX | SF_EXAT | SF_PXAT))) {
            *flags |= SF_PX;
            *expire = next;
            j++;
        } else if (s_opt(a, "exat") && next &&
                   !(f & (SF_KEEPTTL | SF_PERSIST | SF_EX | SF_PX | SF_PXAT))) {
            *flags |= SF_EXAT;
            *expire = next;
            j++;
        } else if (s_opt(a, "pxat") && next &&
                   !(f & (SF_KEEPTTL | SF_PERSIST | SF_EX | SF_EXAT | SF_PX))) {
            *flags |= SF_PXAT;
            *expire = next;
            j++;
        } else {
            reply_error(c, ERR_SYNTAX);
            return -1;
        }
    }
    return 0;
}

/* Turns an expire argument into an absolute unix time in ms. Zero, negative and values
 * that overflow once scaled or offset by now are refused with the command's name. */
static int s_expire_or_reply(client_t *c, const proto_arg_t *arg, int flags, const char *cmd,
                             long long *when) {
    long long v;
    if (arg_ll_or_reply(c, arg, &v, NULL)) return -1;
    int seconds = (flags & (SF_EX | SF_EXAT)) != 0;
    if (v <= 0 || (seconds && v > LLONG_MAX / 1000)) goto invalid;
    if (seconds) v *= 1000;
    if (flags & (SF_EX | SF_PX))
        v = (long long)((unsigned long long)v + (unsigned long long)c->eng->now_ms);
    if (v <= 0) goto invalid;
    *when = v;
    return 0;
invalid:
    reply_errorf(c, "invalid expire time in '%s' command", cmd);
    return -1;
}

/* ===================== GET / SET family ===================== */

/* Replies with the string at key (or nil); -1 after a WRONGTYPE reply. */
static int s_get_generic(client_t *c, const proto_arg_t *key) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return -1;
    if (o)
        reply_bulk_obj(c, o);
    else
        reply_null(c);
    return 0;
}

/* SET and its variants. setnx_reply: answer 1/0 (SETNX) instead of OK/nil. */
static void s_set_generic(client_t *c, const proto_arg_t *key, const proto_arg_t *val, int flags,
                          const proto_arg_t *expire, const char *cmd, int setnx_reply) {
    engine_t *e = c->eng;
    long long when = 0;
    if (expire && s_expire_or_reply(c, expire, flags, cmd, &when)) return;
    if ((flags & SF_GET) && s_get_generic(c, key)) return;

    int found = db_lookup_write(e, c->db, key->ptr, key->len) != NULL;
    if (((flags & SF_NX) && found) || ((flags & SF_XX) && !found)) {
        if (!(flags & SF_GET)) {
            if (setnx_reply)
                reply_int(c, 0);
            else
                reply_null(c);
        }
        return;
    }
    db_set(e, c->db, key->ptr, key->len, obj_string(val->ptr, val->len), (flags & SF_KEEPTTL) != 0);
    s_written(c, key, NOTIFY_STRING, "set");
    if (expire) {
        /* Like Redis 7.0, a time already past is stored as is and the key expires lazily. */
        db_set_expire(e, c->db, key->ptr, key->len, when);
        notify_keyspace_event(e, NOTIFY_GENERIC, "expire", key->ptr, key->len, c->db->id);
        /* replayed with the absolute time, as Redis propagates SET ... PXAT */
        char ms[24];
        int n = snprintf(ms, sizeof ms, "%lld", when);
        proto_arg_t fx[5] = {EFF_LIT("SET"), *key, *val, EFF_LIT("PXAT"), EFF_ARG(ms, n)};
        effect_add(c, 5, fx);
    }
    if (!(flags & SF_GET)) {
        if (setnx_reply)
            reply_int(c, 1);
        else
            reply_ok(c);
    }
}

void cmd_get(client_t *c) { s_get_generic(c, &c->argv[1]); }

void cmd_set(client_t *c) {
    int flags = 0;
    const proto_arg_t *expire = NULL;
    if (core_set_intercept(c)) return; /* SET ... AFTER seconds: a delayed key (engine/core.h) */
    if (s_parse_opts_or_reply(c, 3, 1, &flags, &expire)) return;
    s_set_generic(c, &c->argv[1], &c->argv[2], flags, expire, "set", 0);
}

void cmd_setnx(client_t *c) { s_set_generic(c, &c->argv[1], &c->argv[2], SF_NX, NULL, "setnx", 1); }

/* SETEX / PSETEX take key, ttl, value. */
void cmd_setex(client_t *c) {
    s_set_generic(c, &c->argv[1], &c->argv[3], SF_EX, &c->argv[2], "setex", 0);
}

void cmd_psetex(client_t *c) {
    s_set_generic(c, &c->argv[1], &c->argv[3], SF_PX, &c->argv[2], "psetex", 0);
}

void cmd_getset(client_t *c) {
    const proto_arg_t *key = &c->argv[1], *val = &c->argv[2];
    if (s_get_generic(c, key)) return;
    db_set(c->eng, c->db, key->ptr, key->len, obj_string(val->ptr, val->len), 0);
    s_written(c, key, NOTIFY_STRING, "set");
}

void cmd_getdel(client_t *c) {
    const proto_arg_t *key = &c->argv[1];
    if (s_get_generic(c, key)) return;
    if (db_delete(c->eng, c->db, key->ptr, key->len)) s_written(c, key, NOTIFY_GENERIC, "del");
}

void cmd_getex(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    int flags = 0;
    const proto_arg_t *expire = NULL;
    if (s_parse_opts_or_reply(c, 2, 0, &flags, &expire)) return;

    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_null(c);
        return;
    }
    /* the expire value is validated only once the key is known to exist */
    long long when = 0;
    if (expire && s_expire_or_reply(c, expire, flags, "getex", &when)) return;
    reply_bulk_obj(c, o);

    if ((flags & (SF_EXAT | SF_PXAT)) && when <= e->now_ms) {
        db_delete(e, c->db, key->ptr, key->len);
        s_written(c, key, NOTIFY_GENERIC, "del");
        proto_arg_t fx[2] = {EFF_LIT("DEL"), *key};
        effect_add(c, 2, fx);
    } else if (expire) {
        db_set_expire(e, c->db, key->ptr, key->len, when);
        s_written(c, key, NOTIFY_GENERIC, "expire");
        char ms[24];
        int n = snprintf(ms, sizeof ms, "%lld", when);
        proto_arg_t fx[3] = {EFF_LIT("PEXPIREAT"), *key, EFF_ARG(ms, n)};
        effect_add(c, 3, fx);
    } else if (flags & SF_PERSIST) {
        if (db_remove_expire(c->db, key->ptr, key->len)) {
            s_written(c, key, NOTIFY_GENERIC, "persist");
            proto_arg_t fx[2] = {EFF_LIT("PERSIST"), *key};
            effect_add(c, 2, fx);
        }
    }
}

void cmd_mget(client_t *c) {
    reply_array(c, c->argc - 1);
    for (int j = 1; j < c->argc; j++) {
        vobj_t *o = db_lookup_read(c->eng, c->db, c->argv[j].ptr, c->argv[j].len);
        if (o && o->type == OBJ_STRING)
            reply_bulk_obj(c, o);
        else
            reply_null(c);
    }
}

static void s_mset_generic(client_t *c, int nx) {
    engine_t *e = c->eng;
    if (c->argc % 2 == 0) {
        reply_errorf(c, "wrong number of arguments for '%s' command", nx ? "msetnx" : "mset");
        return;
    }
    if (nx) {
        for (int j = 1; j < c->argc; j += 2) {
            if (db_lookup_write(e, c->db, c->argv[j].ptr, c->argv[j].len)) {
                reply_int(c, 0);
                return;
            }
        }
    }
    for (int j = 1; j < c->argc; j += 2) {
        const proto_arg_t *key = &c->argv[j], *val = &c->argv[j + 1];
        db_set(e, c->db, key->ptr, key->len, obj_string(val->ptr, val->len), 0);
        signal_modified_key(e, c->db, key->ptr, key->len);
        notify_keyspace_event(e, NOTIFY_STRING, "set", key->ptr, key->len, c->db->id);
    }
    e->stats.dirty += (c->argc - 1) / 2;
    if (nx)
        reply_int(c, 1);
    else
        reply_ok(c);
}

void cmd_mset(client_t *c) { s_mset_generic(c, 0); }
void cmd_msetnx(client_t *c) { s_mset_generic(c, 1); }

/* ===================== ranges, APPEND, STRLEN ===================== */

void cmd_getrange(client_t *c) {
    long long start, end;
    if (arg_ll_or_reply(c, &c->argv[2], &start, NULL)) return;
    if (arg_ll_or_reply(c, &c->argv[3], &end, NULL)) return;
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_bulk(c, "", 0);
        return;
    }
    char tmp[24];
    size_t slen;
    const char *s = obj_str(o, tmp, &slen);
    long long n = (long long)slen;

    /* Redis 7.0's clamping: both negative and inverted is empty; otherwise negative
     * indexes count from the end and are then clamped into the string. */
    if (start < 0 && end < 0 && start > end) {
        reply_bulk(c, "", 0);
        return;
    }
    if (start < 0) start += n;
    if (end < 0) end += n;
    if (start < 0) start = 0;
    if (end < 0) end = 0;
    if (end >= n) end = n - 1;
    if (start > end || n == 0)
        reply_bulk(c, "", 0);
    else
        reply_bulk(c, s + start, (size_t)(end - start + 1));
}

void cmd_substr(client_t *c) { cmd_getrange(c); }

void cmd_setrange(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1], *val = &c->argv[3];
    long long offset;
    if (arg_ll_or_reply(c, &c->argv[2], &offset, NULL)) return;
    if (offset < 0) {
        reply_error(c, "offset is out of range");
        return;
    }
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        if (val->len == 0) {
            reply_int(c, 0);
            return;
        }
        if (s_check_len_or_reply(c, (unsigned long long)offset, val->len)) return;
        vstr_t *s = vstr_empty((size_t)offset + val->len);
        memcpy(s->ptr + offset, val->ptr, val->len);
        db_add(e, c->db, key->ptr, key->len, obj_string_from_vstr(s));
        s_written(c, key, NOTIFY_STRING, "setrange");
        reply_int(c, (long long)s->len);
        return;
    }
    if (val->len == 0) {
        reply_int(c, (long long)obj_strlen(o));
        return;
    }
    if (s_check_len_or_reply(c, (unsigned long long)offset, val->len)) return;
    obj_make_raw(o);
    o->v.s = vstr_grow_zero(o->v.s, (size_t)offset + val->len);
    memcpy(o->v.s->ptr + offset, val->ptr, val->len);
    s_written(c, key, NOTIFY_STRING, "setrange");
    reply_int(c, (long long)o->v.s->len);
}

void cmd_append(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1], *val = &c->argv[2];
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    size_t total;
    if (!o) {
        db_add(e, c->db, key->ptr, key->len, obj_string(val->ptr, val->len));
        total = val->len;
    } else {
        if (s_check_len_or_reply(c, obj_strlen(o), val->len)) return;
        obj_make_raw(o);
        o->v.s = vstr_cat(o->v.s, val->ptr, val->len);
        total = o->v.s->len;
    }
    s_written(c, key, NOTIFY_STRING, "append");
    reply_int(c, (long long)total);
}

void cmd_strlen(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    reply_int(c, o ? (long long)obj_strlen(o) : 0);
}

/* ===================== counters ===================== */

static void s_incr_decr(client_t *c, long long incr) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1];
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    long long v = 0;
    if (o && !s_obj_ll(o, &v)) {
        reply_error(c, ERR_NOT_INT);
        return;
    }
    if ((incr < 0 && v < 0 && incr < LLONG_MIN - v) ||
        (incr > 0 && v > 0 && incr > LLONG_MAX - v)) {
        reply_error(c, ERR_OVERFLOW);
        return;
    }
    v += incr;
    if (o && o->enc == ENC_INT) {
        o->v.i = v; /* in place: the TTL stays, as with Redis's overwrite */
    } else if (o) {
        db_overwrite(e, c->db, key->ptr, key->len, obj_string_ll(v));
    } else {
        db_add(e, c->db, key->ptr, key->len, obj_string_ll(v));
    }
    s_written(c, key, NOTIFY_STRING, "incrby");
    reply_int(c, v);
}

void cmd_incr(client_t *c) { s_incr_decr(c, 1); }
void cmd_decr(client_t *c) { s_incr_decr(c, -1); }

void cmd_incrby(client_t *c) {
    long long incr;
    if (arg_ll_or_reply(c, &c->argv[2], &incr, NULL)) return;
    s_incr_decr(c, incr);
}

void cmd_decrby(client_t *c) {
    long long incr;
    if (arg_ll_or_reply(c, &c->argv[2], &incr, NULL)) return;
    if (incr == LLONG_MIN) {
        reply_error(c, "decrement would overflow");
        return;
    }
    s_incr_decr(c, -incr);
}

void cmd_incrbyfloat(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *key = &c->argv[1], *arg = &c->argv[2];
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    long double v = 0, incr;
    if ((o && !s_obj_ld(o, &v)) || !s_str_to_ld(arg->ptr, arg->len, &incr)) {
        reply_error(c, ERR_NOT_FLOAT);
        return;
    }
    v += incr;
    if (isnan(v) || isinf(v)) {
        reply_error(c, "increment would produce NaN or Infinity");
        return;
    }
    char buf[LD_CHARS_MAX];
    int n = ld_to_str_human(buf, sizeof buf, v);
    if (n < 0) n = 0;
    vobj_t *nv = s_obj_no_int(buf, (size_t)n);
    if (o)
        db_overwrite(e, c->db, key->ptr, key->len, nv);
    else
        db_add(e, c->db, key->ptr, key->len, nv);
    s_written(c, key, NOTIFY_STRING, "incrbyfloat");
    /* the result, not the increment: float formatting must not differ on replay */
    proto_arg_t fx[4] = {EFF_LIT("SET"), *key, EFF_ARG(buf, n), EFF_LIT("KEEPTTL")};
    effect_add(c, 4, fx);
    reply_bulk(c, buf, (size_t)n);
}

/* ===================== LCS ===================== */

/* Fills the (alen+1) x (blen+1) dynamic-programming table of LCS lengths of prefixes. */
static void s_lcs_table(uint32_t *t, const char *a, uint32_t alen, const char *b, uint32_t blen) {
    size_t w = (size_t)blen + 1;
    for (uint32_t i = 0; i <= alen; i++) {
        for (uint32_t j = 0; j <= blen; j++) {
            uint32_t *cell = &t[(size_t)i * w + j];
            if (i == 0 || j == 0) {
                *cell = 0;
            } else if (a[i - 1] == b[j - 1]) {
                *cell = t[(size_t)(i - 1) * w + (j - 1)] + 1;
            } else {
                uint32_t up = t[(size_t)(i - 1) * w + j], left = t[(size_t)i * w + (j - 1)];
                *cell = up > left ? up : left;
            }
        }
    }
}

void cmd_lcs(client_t *c) {
    engine_t *e = c->eng;
    vobj_t *oa = db_lookup_read(e, c->db, c->argv[1].ptr, c->argv[1].len);
    vobj_t *ob = db_lookup_read(e, c->db, c->argv[2].ptr, c->argv[2].len);
    if ((oa && oa->type != OBJ_STRING) || (ob && ob->type != OBJ_STRING)) {
        reply_error(c, "The specified keys must contain string values");
        return;
    }
    char tmpa[24], tmpb[24];
    size_t alen_sz = 0, blen_sz = 0;
    const char *a = oa ? obj_str(oa, tmpa, &alen_sz) : "";
    const char *b = ob ? obj_str(ob, tmpb, &blen_sz) : "";

    int getlen = 0, getidx = 0, withmatchlen = 0;
    long long minmatchlen = 0;
    for (int j = 3; j < c->argc; j++) {
        const proto_arg_t *opt = &c->argv[j];
        int more = c->argc - 1 - j;
        if (s_opt(opt, "idx")) {
            getidx = 1;
        } else if (s_opt(opt, "len")) {
            getlen = 1;
        } else if (s_opt(opt, "withmatchlen")) {
            withmatchlen = 1;
        } else if (s_opt(opt, "minmatchlen") && more) {
            if (arg_ll_or_reply(c, &c->argv[j + 1], &minmatchlen, NULL)) return;
            if (minmatchlen < 0) minmatchlen = 0;
            j++;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    if (getidx && getlen) {
        reply_error(c, "If you want both the length and indexes, please just use IDX.");
        return;
    }
    if (alen_sz >= UINT32_MAX - 1 || blen_sz >= UINT32_MAX - 1) {
        reply_error(c, "String too long for LCS");
        return;
    }
    uint32_t alen = (uint32_t)alen_sz, blen = (uint32_t)blen_sz;
    unsigned long long cells = (unsigned long long)(alen + 1ULL) * (blen + 1ULL);
    unsigned long long bytes = cells * sizeof(uint32_t);
    uint32_t *t = NULL;
    if (bytes < SIZE_MAX && bytes / cells == sizeof(uint32_t)) {
        if (bytes > (unsigned long long)e->cfg.proto_max_bulk_len) {
            reply_error(c, "Insufficient memory, transient memory for LCS exceeds "
                           "proto-max-bulk-len");
            return;
        }
        t = malloc((size_t)bytes);
    }
    if (!t) {
        reply_error(c, "Insufficient memory, failed allocating transient memory for LCS");
        return;
    }
    s_lcs_table(t, a, alen, b, blen);
    size_t w = (size_t)blen + 1;
#define LCS_AT(i, j) t[(size_t)(i)*w + (j)]
    uint32_t total = LCS_AT(alen, blen), idx = total;

    int compute = getidx || !getlen;
    char *result = compute ? malloc((size_t)total + 1) : NULL;
    if (compute && !result) abort();
    size_t arrhandle = 0;
    long long nranges = 0;
    if (getidx) {
        reply_map(c, 2);
        reply_bulk_cstr(c, "matches");
        arrhandle = reply_deferred_len(c);
    }

    /* Walk back from the end: a range of contiguous matches grows backwards and is emitted
     * when the walk leaves it or reaches the start of either string. "alen" in astart marks
     * that no range is open. */
    uint32_t astart = alen, aend = 0, bstart = 0, bend = 0;
    uint32_t i = alen, j = blen;
    while (compute && i > 0 && j > 0) {
        int emit = 0;
        if (a[i - 1] == b[j - 1]) {
            result[idx - 1] = a[i - 1];
            if (astart == alen) {
                astart = aend = i - 1;
                bstart = bend = j - 1;
            } else if (astart == i && bstart == j) {
                astart--;
                bstart--;
            } else {
                emit = 1;
            }
            if (astart == 0 || bstart == 0) emit = 1;
            idx--;
            i--;
            j--;
        } else {
            if (LCS_AT(i - 1, j) > LCS_AT(i, j - 1))
                i--;
            else
                j--;
            if (astart != alen) emit = 1;
        }
        uint32_t mlen = aend - astart + 1;
        if (emit) {
            if (getidx && (minmatchlen == 0 || mlen >= minmatchlen)) {
                reply_array(c, 2 + withmatchlen);
                reply_array(c, 2);
                reply_int(c, astart);
                reply_int(c, aend);
                reply_array(c, 2);
                reply_int(c, bstart);
                reply_int(c, bend);
                if (withmatchlen) reply_int(c, mlen);
                nranges++;
            }
            astart = alen;
        }
    }
#undef LCS_AT

    if (getidx) {
        reply_bulk_cstr(c, "len");
        reply_int(c, total);
        reply_set_deferred_len(c, arrhandle, nranges);
    } else if (getlen) {
        reply_int(c, total);
    } else {
        reply_bulk(c, result, total);
    }
    free(result);
    free(t);
}

/* ===================== snapshot =====================
 * A form byte, then the integer (int encoding) or the bytes. */

enum { STRING_SNAP_BYTES = 0, STRING_SNAP_INT = 1 };

void string_snap_save(const vobj_t *o, snap_writer_t *w) {
    if (o->enc == ENC_INT) {
        snap_put_u8(w, STRING_SNAP_INT);
        snap_put_i64(w, o->v.i);
        return;
    }
    snap_put_u8(w, STRING_SNAP_BYTES);
    snap_put_bytes(w, o->v.s->ptr, o->v.s->len);
}

vobj_t *string_snap_load(engine_t *e, snap_reader_t *r) {
    uint8_t form;
    if (snap_get_u8(r, &form) < 0) return NULL;
    if (form == STRING_SNAP_INT) {
        int64_t v;
        if (snap_get_i64(r, &v) < 0) return NULL;
        return obj_string_ll(v);
    }
    if (form != STRING_SNAP_BYTES) {
        snap_fail(r, "bad string form");
        return NULL;
    }
    const char *p;
    size_t len;
    if (snap_get_bytes(r, &p, &len) < 0) return NULL;
    return obj_string(p, len);
}
