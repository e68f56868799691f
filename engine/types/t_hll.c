/* HyperLogLog in Redis's exact byte layout, the estimator Redis 7.0 uses, and PFADD / PFCOUNT /
 * PFMERGE. Values are client-writable strings: every walk over sparse data is bounds-checked. */
#include "engine/types/t_hll.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"

#define HLL_Q (64 - HLL_P) /* hash bits left for the rank */
#define HLL_REG_MAX 63
#define HLL_SEED 0xadc83b19ULL
/* 1 / (2 ln 2): the bias constant of the estimator for m -> infinity */
#define HLL_ALPHA_INF 0.721347520444481703680

#define SPARSE_VAL_MAX 32    /* largest value a VAL opcode holds */
#define SPARSE_VAL_RUN_MAX 4 /* registers one VAL opcode covers */
#define SPARSE_ZERO_RUN_MAX 64

#define ERR_NOT_HLL "-WRONGTYPE Key is not a valid HyperLogLog string value."
#define ERR_CORRUPT "-INVALIDOBJ Corrupted HLL object detected"

/* ===================== hashing ===================== */

static uint64_t s_load_le64(const uint8_t *p) {
    uint64_t v = 0;
    for (int i = 7; i >= 0; i--)
        v = (v << 8) | p[i];
    return v;
}

uint64_t hll_murmur64a(const void *key, size_t len, uint64_t seed) {
    const uint64_t m = 0xc6a4a7935bd1e995ULL;
    const int r = 47;
    const uint8_t *p = key;
    uint64_t h = seed ^ ((uint64_t)len * m);
    for (size_t i = 0; i < len / 8; i++, p += 8) {
        uint64_t k = s_load_le64(p);
        k *= m;
        k ^= k >> r;
        k *= m;
        h ^= k;
        h *= m;
    }
    size_t tail = len & 7;
    if (tail) {
        for (size_t i = tail; i-- > 0;)
            h ^= (uint64_t)p[i] << (8 * i);
        h *= m;
    }
    h ^= h >> r;
    h *= m;
    h ^= h >> r;
    return h;
}

unsigned hll_rank(const void *ele, size_t len, unsigned *index) {
    uint64_t h = hll_murmur64a(ele, len, HLL_SEED);
    *index = (unsigned)(h & (HLL_REGISTERS - 1));
    /* the rank is the position of the first set bit of the rest; a sentinel bit bounds it */
    h = (h >> HLL_P) | ((uint64_t)1 << HLL_Q);
    return (unsigned)__builtin_ctzll(h) + 1;
}

/* ===================== header and dense registers ===================== */

static uint8_t *s_regs(vstr_t *s) { return (uint8_t *)s->ptr + HLL_HDR_SIZE; }
static const uint8_t *s_cregs(const vstr_t *s) { return (const uint8_t *)s->ptr + HLL_HDR_SIZE; }

int hll_encoding(const vstr_t *s) { return (uint8_t)s->ptr[4]; }

int hll_is_valid(const char *p, size_t len) {
    if (len < HLL_HDR_SIZE || memcmp(p, "HYLL", 4) != 0) return 0;
    uint8_t enc = (uint8_t)p[4];
    if (enc > HLL_SPARSE) return 0;
    return enc != HLL_DENSE || len == HLL_DENSE_SIZE;
}

int hll_cache_get(const vstr_t *s, uint64_t *card) {
    const uint8_t *b = (const uint8_t *)s->ptr + 8;
    if (b[7] & 0x80) return 0;
    *card = s_load_le64(b);
    return 1;
}

void hll_cache_set(vstr_t *s, uint64_t card) {
    uint8_t *b = (uint8_t *)s->ptr + 8;
    for (int i = 0; i < 8; i++, card >>= 8)
        b[i] = (uint8_t)card;
}

void hll_cache_invalidate(vstr_t *s) { s->ptr[15] = (char)((uint8_t)s->ptr[15] | 0x80); }

/* Register i occupies bits [6i, 6i + 6) of the array, byte k holding bits [8k, 8k + 8) with
 * the lowest bit first; the last register ends exactly at the last byte. */
static unsigned s_dense_get(const uint8_t *r, unsigned i) {
    unsigned bit = i * 6, byte = bit >> 3, shift = bit & 7;
    unsigned v = (unsigned)r[byte] >> shift;
    if (shift > 2) v |= (unsigned)r[byte + 1] << (8 - shift);
    return v & HLL_REG_MAX;
}

static void s_dense_put(uint8_t *r, unsigned i, unsigned v) {
    unsigned bit = i * 6, byte = bit >> 3, shift = bit & 7;
    r[byte] = (uint8_t)((r[byte] & ~(HLL_REG_MAX << shift)) | (v << shift));
    if (shift > 2) {
        unsigned rest = 8 - shift;
        r[byte + 1] = (uint8_t)((r[byte + 1] & ~(HLL_REG_MAX >> rest)) | (v >> rest));
    }
}

static int s_dense_set(uint8_t *r, unsigned i, unsigned count) {
    if (count <= s_dense_get(r, i)) return 0;
    s_dense_put(r, i, count);
    return 1;
}

/* ===================== sparse opcodes ===================== */

enum { OP_ZERO, OP_XZERO, OP_VAL };

typedef struct {
    int kind;
    unsigned run;  /* registers covered */
    unsigned val;  /* VAL's value, 0 for zero runs */
    unsigned size; /* bytes of the opcode */
} s_op_t;

/* Decodes the opcode at p (p < end). An XZERO cut short by the end of the string reads its
 * missing byte as 0, as Redis does (it reads the string's terminator there); callers treat
 * an opcode reaching past the end as the end of the data. */
static s_op_t s_decode(const uint8_t *p, const uint8_t *end) {
    s_op_t op;
    uint8_t b = p[0];
    if (b & 0x80) {
        op = (s_op_t){OP_VAL, (b & 3u) + 1, ((b >> 2) & 31u) + 1, 1};
    } else if (b & 0x40) {
        unsigned lo = p + 1 < end ? p[1] : 0;
        op = (s_op_t){OP_XZERO, ((((unsigned)b & 63u) << 8) | lo) + 1, 0, 2};
    } else {
        op = (s_op_t){OP_ZERO, (b & 63u) + 1, 0, 1};
    }
    return op;
}

static uint8_t *s_put_zero_run(uint8_t *o, unsigned run) {
    if (run > SPARSE_ZERO_RUN_MAX) {
        *o++ = (uint8_t)(0x40 | ((run - 1) >> 8));
        *o++ = (uint8_t)((run - 1) & 0xFF);
    } else {
        *o++ = (uint8_t)(run - 1);
    }
    return o;
}

static uint8_t s_val_byte(unsigned val, unsigned run) {
    return (uint8_t)(0x80 | ((val - 1) << 2) | (run - 1));
}

vstr_t *hll_new(void) {
    vstr_t *s = vstr_empty(HLL_HDR_SIZE + 2 * ((HLL_REGISTERS + 16383) / 16384));
    memcpy(s->ptr, "HYLL", 4);
    s->ptr[4] = HLL_SPARSE;
    uint8_t *o = s_regs(s);
    for (unsigned left = HLL_REGISTERS; left;) {
        unsigned run = left > 16384 ? 16384 : left;
        o = s_put_zero_run(o, run);
        left -= run;
    }
    return s;
}

/* Calls fn for every opcode of valid sparse data in register order; -1 when the runs do not
 * add up to exactly HLL_REGISTERS. A VAL run that would pass the last register stops the
 * walk before anything is written out of bounds. */
typedef void s_run_fn(void *arg, unsigned first, const s_op_t *op);

static int s_sparse_walk(const vstr_t *s, s_run_fn *fn, void *arg) {
    const uint8_t *p = s_cregs(s), *end = (const uint8_t *)s->ptr + s->len;
    uint64_t idx = 0;
    while (p < end) {
        s_op_t op = s_decode(p, end);
        if (idx + op.run > HLL_REGISTERS) return -1;
        if (fn) fn(arg, (unsigned)idx, &op);
        idx += op.run;
        p += op.size;
    }
    return idx == HLL_REGISTERS ? 0 : -1;
}

/* Merges adjacent VAL opcodes of equal value while their runs fit one opcode, looking at up
 * to five opcodes from offset from (as Redis does after each update, so results stay
 * identical byte for byte). */
static void s_sparse_compact(vstr_t *s, size_t from) {
    uint8_t *base = s_regs(s);
    size_t n = s->len - HLL_HDR_SIZE, p = from;
    int budget = 5;
    while (p < n && budget-- > 0) {
        uint8_t b = base[p];
        if (!(b & 0x80)) {
            p += (b & 0x40) ? 2 : 1;
            continue;
        }
        if (p + 1 < n && (base[p + 1] & 0x80)) {
            s_op_t a = s_decode(base + p, base + n), c = s_decode(base + p + 1, base + n);
            if (a.val == c.val && a.run + c.run <= SPARSE_VAL_RUN_MAX) {
                base[p + 1] = s_val_byte(a.val, a.run + c.run);
                memmove(base + p, base + p + 1, n - p - 1);
                n--;
                s->len--;
                s->ptr[s->len] = '\0';
                continue; /* the merged opcode may merge again with the next one */
            }
        }
        p++;
    }
}

static void s_to_dense_run(void *arg, unsigned first, const s_op_t *op) {
    if (op->kind != OP_VAL) return;
    for (unsigned i = 0; i < op->run; i++)
        s_dense_put(arg, first + i, op->val);
}

int hll_to_dense(vstr_t **sp) {
    vstr_t *s = *sp;
    if (hll_encoding(s) == HLL_DENSE) return 0;
    vstr_t *d = vstr_empty(HLL_DENSE_SIZE);
    memcpy(d->ptr, s->ptr, HLL_HDR_SIZE); /* magic, spare bytes and cached cardinality */
    d->ptr[4] = HLL_DENSE;
    if (s_sparse_walk(s, s_to_dense_run, s_regs(d)) < 0) {
        vstr_free(d);
        return -1;
    }
    vstr_free(s);
    *sp = d;
    return 0;
}

static int s_promote_and_set(vstr_t **sp, unsigned index, unsigned count) {
    if (hll_to_dense(sp) < 0) return -1;
    return s_dense_set(s_regs(*sp), index, count);
}

/* Raises one register of a sparse HLL by editing the opcode that covers it in place: the
 * opcode is split into at most three (run before, the new VAL, run after). */
static int s_sparse_set(vstr_t **sp, unsigned index, unsigned count, size_t sparse_max) {
    if (count > SPARSE_VAL_MAX) return s_promote_and_set(sp, index, count);
    vstr_t *s = *sp;
    uint8_t *base = s_regs(s);
    size_t n = s->len - HLL_HDR_SIZE, pos = 0, prev = SIZE_MAX;
    uint64_t first = 0;
    s_op_t op = {0};
    for (;;) {
        if (pos >= n) return -1; /* the runs end before the register: corrupt */
        op = s_decode(base + pos, base + n);
        if (index < first + op.run) break;
        prev = pos;
        pos += op.size;
        first += op.run;
    }
    /* an XZERO cut by the end of the data cannot be edited in place */
    if (pos + op.size > n) return -1;

    if (op.kind == OP_VAL) {
        if (op.val >= count) return 0;
        if (op.run == 1) {
            base[pos] = s_val_byte(count, 1);
            goto updated;
        }
    } else if (op.kind == OP_ZERO && op.run == 1) {
        base[pos] = s_val_byte(count, 1);
        goto updated;
    }

    uint8_t seq[5], *o = seq;
    unsigned before = (unsigned)(index - first), after = (unsigned)(first + op.run - 1 - index);
    if (op.kind == OP_VAL) {
        if (before) *o++ = s_val_byte(op.val, before);
        *o++ = s_val_byte(count, 1);
        if (after) *o++ = s_val_byte(op.val, after);
    } else {
        if (before) o = s_put_zero_run(o, before);
        *o++ = s_val_byte(count, 1);
        if (after) o = s_put_zero_run(o, after);
    }
    size_t seqlen = (size_t)(o - seq), tail = n - pos - op.size;
    if (seqlen > op.size) {
        size_t grow = seqlen - op.size;
        if (s->len + grow > sparse_max) return s_promote_and_set(sp, index, count);
        s = *sp = vstr_grow_zero(s, s->len + grow);
        base = s_regs(s);
    } else if (seqlen < op.size) {
        s->len -= op.size - seqlen;
    }
    memmove(base + pos + seqlen, base + pos + op.size, tail);
    memcpy(base + pos, seq, seqlen);
    s->ptr[s->len] = '\0';

updated:
    s_sparse_compact(s, prev == SIZE_MAX ? 0 : prev);
    hll_cache_invalidate(s);
    return 1;
}

int hll_set_register(vstr_t **s, unsigned index, unsigned count, size_t sparse_max) {
    switch (hll_encoding(*s)) {
    case HLL_DENSE: return s_dense_set(s_regs(*s), index, count);
    case HLL_SPARSE: return s_sparse_set(s, index, count, sparse_max);
    default: return -1;
    }
}

int hll_add(vstr_t **s, const void *ele, size_t len, size_t sparse_max) {
    unsigned index, count = hll_rank(ele, len, &index);
    return hll_set_register(s, index, count, sparse_max);
}

/* ===================== estimate ===================== */

static void s_max_run(void *arg, unsigned first, const s_op_t *op) {
    uint8_t *max = arg;
    if (op->kind != OP_VAL) return;
    for (unsigned i = 0; i < op->run; i++)
        if (op->val > max[first + i]) max[first + i] = (uint8_t)op->val;
}

int hll_merge_into(uint8_t *max, const vstr_t *s) {
    if (hll_encoding(s) == HLL_DENSE) {
        const uint8_t *r = s_cregs(s);
        for (unsigned i = 0; i < HLL_REGISTERS; i++) {
            unsigned v = s_dense_get(r, i);
            if (v > max[i]) max[i] = (uint8_t)v;
        }
        return 0;
    }
    return s_sparse_walk(s, s_max_run, max);
}

/* Ertl, "New cardinality estimation algorithms for HyperLogLog sketches" (2017): the sigma
 * and tau series of the improved raw estimator, summed until they stop changing. The
 * operations keep the paper's order: the estimate must round exactly as Redis's does. */
static double s_sigma(double x) {
    if (x == 1.0) return INFINITY;
    double y = 1.0, z = x, prev;
    do {
        x *= x;
        prev = z;
        z += x * y;
        y += y;
    } while (prev != z);
    return z;
}

static double s_tau(double x) {
    if (x == 0.0 || x == 1.0) return 0.0;
    double y = 1.0, z = 1.0 - x, prev;
    do {
        x = sqrt(x);
        prev = z;
        y *= 0.5;
        z -= pow(1.0 - x, 2) * y;
    } while (prev != z);
    return z / 3.0;
}

/* hist[k]: number of registers holding k (values past Q + 1 only come from crafted data and
 * are left out, as in Redis). */
static uint64_t s_estimate(const uint64_t *hist) {
    double m = HLL_REGISTERS;
    double z = m * s_tau((m - (double)hist[HLL_Q + 1]) / m);
    for (int k = HLL_Q; k >= 1; k--) {
        z += (double)hist[k];
        z *= 0.5;
    }
    z += m * s_sigma((double)hist[0] / m);
    return (uint64_t)llroundl(HLL_ALPHA_INF * m * m / z);
}

static void s_hist_run(void *arg, unsigned first, const s_op_t *op) {
    (void)first;
    ((uint64_t *)arg)[op->val] += op->run;
}

int hll_count(const vstr_t *s, uint64_t *card) {
    uint64_t hist[HLL_REG_MAX + 1] = {0};
    if (hll_encoding(s) == HLL_DENSE) {
        const uint8_t *r = s_cregs(s);
        for (unsigned i = 0; i < HLL_REGISTERS; i++)
            hist[s_dense_get(r, i)]++;
    } else if (s_sparse_walk(s, s_hist_run, hist) < 0) {
        return -1;
    }
    *card = s_estimate(hist);
    return 0;
}

uint64_t hll_count_registers(const uint8_t *regs) {
    uint64_t hist[256] = {0};
    for (unsigned i = 0; i < HLL_REGISTERS; i++)
        hist[regs[i]]++;
    return s_estimate(hist);
}

/* ===================== commands ===================== */

/* The value at key as an HLL: NULL after replying (WRONGTYPE for other types, the HLL
 * WRONGTYPE for strings that are not one). A missing key gives NULL with *missing set. */
static vobj_t *s_lookup_hll(client_t *c, const proto_arg_t *key, int write, int *missing) {
    vobj_t *o = write ? db_lookup_write(c->eng, c->db, key->ptr, key->len)
                      : db_lookup_read(c->eng, c->db, key->ptr, key->len);
    *missing = o == NULL;
    if (!o) return NULL;
    if (o->type != OBJ_STRING) {
        reply_error(c, ERR_WRONGTYPE);
        return NULL;
    }
    if (o->enc == ENC_INT || !hll_is_valid(o->v.s->ptr, o->v.s->len)) {
        reply_error(c, ERR_NOT_HLL);
        return NULL;
    }
    return o;
}

static size_t s_sparse_max(client_t *c) {
    long long v = c->eng->cfg.hll_sparse_max_bytes;
    return v < 0 ? 0 : (size_t)v;
}

void cmd_pfadd(client_t *c) {
    const proto_arg_t *key = &c->argv[1];
    int missing;
    long long updated = 0;
    vobj_t *o = s_lookup_hll(c, key, 1, &missing);
    if (!o && !missing) return;
    if (!o) {
        o = obj_string_from_vstr(hll_new());
        db_add(c->eng, c->db, key->ptr, key->len, o);
        updated++;
    } else {
        obj_make_raw(o);
    }
    size_t sparse_max = s_sparse_max(c);
    for (int j = 2; j < c->argc; j++) {
        int r = hll_add(&o->v.s, c->argv[j].ptr, c->argv[j].len, sparse_max);
        if (r < 0) {
            reply_error(c, ERR_CORRUPT);
            return;
        }
        updated += r;
    }
    if (updated) {
        hll_cache_invalidate(o->v.s);
        signal_modified_key(c->eng, c->db, key->ptr, key->len);
        notify_keyspace_event(c->eng, NOTIFY_STRING, "pfadd", key->ptr, key->len, c->db->id);
        c->eng->stats.dirty += updated;
    }
    reply_int(c, updated ? 1 : 0);
}

void cmd_pfcount(client_t *c) {
    int missing;
    if (c->argc > 2) {
        /* several keys: the cardinality of their union, nothing cached */
        uint8_t *max = calloc(HLL_REGISTERS, 1);
        if (!max) abort();
        for (int j = 1; j < c->argc; j++) {
            vobj_t *o = s_lookup_hll(c, &c->argv[j], 0, &missing);
            if (missing) continue;
            if (!o) goto out;
            if (hll_merge_into(max, o->v.s) < 0) {
                reply_error(c, ERR_CORRUPT);
                goto out;
            }
        }
        reply_int(c, (long long)hll_count_registers(max));
    out:
        free(max);
        return;
    }
    const proto_arg_t *key = &c->argv[1];
    vobj_t *o = s_lookup_hll(c, key, 0, &missing);
    if (missing) {
        reply_int(c, 0);
        return;
    }
    if (!o) return;
    obj_make_raw(o);
    uint64_t card;
    if (!hll_cache_get(o->v.s, &card)) {
        if (hll_count(o->v.s, &card) < 0) {
            reply_error(c, ERR_CORRUPT);
            return;
        }
        /* refreshing the cache rewrites the value: a write for replicas and persistence */
        hll_cache_set(o->v.s, card);
        signal_modified_key(c->eng, c->db, key->ptr, key->len);
        c->eng->stats.dirty++;
    }
    reply_int(c, (long long)card);
}

void cmd_pfmerge(client_t *c) {
    const proto_arg_t *dest = &c->argv[1];
    uint8_t *max = calloc(HLL_REGISTERS, 1);
    if (!max) abort();
    int use_dense = 0, missing;
    /* the destination is merged too: it is the first of the sources */
    for (int j = 1; j < c->argc; j++) {
        vobj_t *o = s_lookup_hll(c, &c->argv[j], 0, &missing);
        if (missing) continue;
        if (!o) goto out;
        if (hll_encoding(o->v.s) == HLL_DENSE) use_dense = 1;
        if (hll_merge_into(max, o->v.s) < 0) {
            reply_error(c, ERR_CORRUPT);
            goto out;
        }
    }
    vobj_t *o = db_lookup_write(c->eng, c->db, dest->ptr, dest->len);
    if (!o) {
        o = obj_string_from_vstr(hll_new());
        db_add(c->eng, c->db, dest->ptr, dest->len, o);
    } else {
        obj_make_raw(o);
    }
    if (use_dense && hll_to_dense(&o->v.s) < 0) {
        reply_error(c, ERR_CORRUPT);
        goto out;
    }
    /* register by register, so a sparse destination ends up exactly as Redis leaves it */
    size_t sparse_max = s_sparse_max(c);
    for (unsigned i = 0; i < HLL_REGISTERS; i++)
        if (max[i]) hll_set_register(&o->v.s, i, max[i], sparse_max);
    hll_cache_invalidate(o->v.s);
    signal_modified_key(c->eng, c->db, dest->ptr, dest->len);
    notify_keyspace_event(c->eng, NOTIFY_STRING, "pfadd", dest->ptr, dest->len, c->db->id);
    c->eng->stats.dirty++;
    reply_ok(c);
out:
    free(max);
}

/* ===================== command table ===================== */

// clang-format off
command_t hll_commands[] = {
    {.name = "pfadd", .proc = cmd_pfadd, .arity = -2, .flags = "write denyoom fast",
     .acl = "hyperloglog", .keyspecs = "RW insert;index:1;range:0,1,0", .group = "hyperloglog",
     .since = "2.8.9", .summary = "Adds elements to a HyperLogLog, creating it when absent.",
     .complexity = "O(1) for each element added.", .args = "key:key@0 ?*string:element"},
    {.name = "pfcount", .proc = cmd_pfcount, .arity = -2, .flags = "readonly may_replicate",
     .acl = "hyperloglog",
     .keyspecs = "RW access;index:1;range:-1,1,0;RW because it may change the internal "
                 "representation of the key, and propagate to replicas",
     .group = "hyperloglog", .since = "2.8.9",
     .summary = "Estimates the number of distinct elements added to one HyperLogLog, or to "
                "the union of several.",
     .complexity = "O(1) for one key (the estimate is cached); O(N) for N keys, with a large "
                   "constant.",
     .args = "*key:key@0"},
    {.name = "pfmerge", .proc = cmd_pfmerge, .arity = -2, .flags = "write denyoom",
     .acl = "hyperloglog",
     .keyspecs = "RW access insert;index:1;range:0,1,0|RO access;index:2;range:-1,1,0",
     .group = "hyperloglog", .since = "2.8.9",
     .summary = "Stores the union of HyperLogLogs at a destination key.",
     .complexity = "O(N) for N HyperLogLogs, with a large constant.",
     .args = "key:destkey@0 *key:sourcekey@1"},
    {0}};
// clang-format on
