/* Bitmaps over string values: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP and BITFIELD(_RO), with
 * the bit-level primitives they share. Bit 0 is the most significant bit of the first byte. */
#include "engine/types/t_bitops.h"

#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "shared/util.h"

/* ===================== primitives ===================== */

/* Portable bit count of a word (the classic SWAR reduction). */
static inline int s_popcount64(uint64_t x) {
    x -= (x >> 1) & 0x5555555555555555ULL;
    x = (x & 0x3333333333333333ULL) + ((x >> 2) & 0x3333333333333333ULL);
    x = (x + (x >> 4)) & 0x0F0F0F0F0F0F0F0FULL;
    return (int)((x * 0x0101010101010101ULL) >> 56);
}

static long long s_popcount_sw(const uint8_t *s, size_t n) {
    long long count = 0;
    size_t i = 0;
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        count += s_popcount64(w);
    }
    for (; i < n; i++)
        count += s_popcount64(s[i]);
    return count;
}

#if defined(__x86_64__) && defined(__GNUC__)
/* The baseline x86-64 target has no POPCNT instruction: a copy of the loop built for it is
 * chosen at run time on CPUs that have it (all current ones). */
__attribute__((target("popcnt"))) static long long s_popcount_hw(const uint8_t *s, size_t n) {
    long long count = 0;
    size_t i = 0;
    for (; i + 32 <= n; i += 32) {
        uint64_t w[4];
        memcpy(w, s + i, sizeof w);
        count += __builtin_popcountll(w[0]) + __builtin_popcountll(w[1]) +
                 __builtin_popcountll(w[2]) + __builtin_popcountll(w[3]);
    }
    for (; i + 8 <= n; i += 8) {
        uint64_t w;
        memcpy(&w, s + i, sizeof w);
        count += __builtin_popcountll(w);
    }
    for (; i < n; i++)
        count += __builtin_popcount(s[i]);
    return count;
}
#endif

long long bitops_popcount(const void *p, size_t n) {
#if defined(__x86_64__) && defined(__GNUC__)
    static int s_has_popcnt = -1;
    if (s_has_popcnt < 0) {
        __builtin_cpu_init();
        s_has_popcnt = __builtin_cpu_supports("popcnt") ? 1 : 0;
    }
    if (s_has_popcnt) return s_popcount_hw(p, n);
#endif
    return s_popcount_sw(p, n);
}

/* The mask of bits [lo, hi] of a byte, bit 0 being its most significant bit. */
static uint8_t s_byte_mask(unsigned lo, unsigned hi) {
    return (uint8_t)((0xFFu >> lo) & (0xFFu << (7 - hi)));
}

long long bitops_find(const uint8_t *p, uint64_t from, uint64_t to, int bit) {
    if (from > to) return -1;
    const uint8_t flip = bit ? 0x00 : 0xFF; /* search for set bits of (byte ^ flip) */
    uint64_t b = from >> 3, last = to >> 3;
    /* the first byte may start mid-byte */
    uint8_t v = (uint8_t)((p[b] ^ flip) & s_byte_mask(from & 7, b == last ? to & 7 : 7));
    if (v) return (long long)(b * 8 + (uint64_t)__builtin_clz(v) - 24);
    if (b == last) return -1;
    b++;
    /* whole words with nothing to find are skipped 8 bytes at a time */
    const uint64_t skip = bit ? 0 : UINT64_MAX;
    while (b + 8 <= last) {
        uint64_t w;
        memcpy(&w, p + b, sizeof w);
        if (w != skip) break;
        b += 8;
    }
    for (; b < last; b++) {
        v = (uint8_t)(p[b] ^ flip);
        if (v) return (long long)(b * 8 + (uint64_t)__builtin_clz(v) - 24);
    }
    v = (uint8_t)((p[last] ^ flip) & s_byte_mask(0, to & 7));
    if (v) return (long long)(last * 8 + (uint64_t)__builtin_clz(v) - 24);
    return -1;
}

static uint64_t s_mask(int bits) { return bits == 64 ? UINT64_MAX : (((uint64_t)1 << bits) - 1); }

/* A field is at most 64 bits starting anywhere in a byte, so it spans at most 9 bytes: they
 * are gathered into a 128-bit accumulator, most significant byte first. */
static unsigned s_field_bytes(uint64_t off, int bits) {
    return (unsigned)((off & 7) + (uint64_t)bits + 7) / 8;
}

uint64_t bitops_get_unsigned(const uint8_t *p, uint64_t off, int bits) {
    unsigned n = s_field_bytes(off, bits);
    unsigned __int128 acc = 0;
    const uint8_t *s = p + (off >> 3);
    for (unsigned i = 0; i < n; i++)
        acc = (acc << 8) | s[i];
    acc >>= n * 8 - (unsigned)(off & 7) - (unsigned)bits;
    uint64_t mask = s_mask(bits);
    return (uint64_t)acc & mask;
}

static int64_t s_sign_extend(uint64_t v, int bits) {
    if (bits < 64 && (v & ((uint64_t)1 << (bits - 1)))) v |= UINT64_MAX << bits;
    return (int64_t)v;
}

int64_t bitops_get_signed(const uint8_t *p, uint64_t off, int bits) {
    return s_sign_extend(bitops_get_unsigned(p, off, bits), bits);
}

void bitops_set_unsigned(uint8_t *p, uint64_t off, int bits, uint64_t v) {
    unsigned n = s_field_bytes(off, bits);
    uint8_t *s = p + (off >> 3);
    unsigned __int128 acc = 0;
    for (unsigned i = 0; i < n; i++)
        acc = (acc << 8) | s[i];
    unsigned shift = n * 8 - (unsigned)(off & 7) - (unsigned)bits;
    uint64_t mask = s_mask(bits);
    acc &= ~((unsigned __int128)mask << shift);
    acc |= (unsigned __int128)(v & mask) << shift;
    for (unsigned i = n; i-- > 0;) {
        s[i] = (uint8_t)acc;
        acc >>= 8;
    }
}

/* Reads a field from a string that may end before it: missing bytes read as zero. */
static uint64_t s_get_padded(const uint8_t *p, size_t len, uint64_t off, int bits) {
    uint8_t buf[9] = {0};
    uint64_t first = off >> 3;
    for (unsigned i = 0; i < 9 && first + i < len; i++)
        buf[i] = p[first + i];
    return bitops_get_unsigned(buf, off & 7, bits);
}

int bitops_field_add(int sign, int bits, int policy, uint64_t value, int64_t incr, uint64_t *out) {
    uint64_t mask = s_mask(bits);
    __int128 lo, hi, sum;
    if (sign) {
        hi = bits == 64 ? INT64_MAX : (((int64_t)1 << (bits - 1)) - 1);
        lo = -hi - 1;
        sum = (__int128)(int64_t)value + incr;
    } else {
        hi = mask;
        lo = 0;
        sum = (__int128)value + incr;
    }
    int dir = sum > hi ? 1 : sum < lo ? -1 : 0;
    if (!dir) {
        *out = (uint64_t)sum;
        return 0;
    }
    /* Redis checks a signed field against max - value computed in 64 bits; when that wraps
     * (a SET far below the minimum of a field narrower than 64 bits), the overflow counts
     * as upward and SAT stores the maximum. */
    if (sign && dir < 0 && bits != 64 && hi - (__int128)(int64_t)value > INT64_MAX) dir = 1;
    if (policy == BITOPS_SAT) {
        *out = (uint64_t)(dir > 0 ? hi : lo);
    } else {
        uint64_t w = (value + (uint64_t)incr) & mask;
        *out = sign ? (uint64_t)s_sign_extend(w, bits) : w;
    }
    return 1;
}

/* ===================== argument helpers ===================== */

/* Redis compares option words as C strings: an argument counts only up to its first NUL. */
static int s_opt(const proto_arg_t *a, const char *lit) {
    size_t n = strnlen(a->ptr, a->len), m = strlen(lit);
    if (n != m) return 0;
    for (size_t i = 0; i < m; i++) {
        unsigned char x = (unsigned char)a->ptr[i];
        if (x >= 'A' && x <= 'Z') x = (unsigned char)(x + 32);
        if (x != (unsigned char)lit[i]) return 0;
    }
    return 1;
}

#define ERR_BIT_OFFSET "bit offset is not an integer or out of range"

/* A bit offset: a non-negative integer whose byte stays below proto-max-bulk-len. With
 * hash, "#N" means the N-th field of width bits (the multiplication wraps like Redis's). */
static int s_bit_offset_or_reply(client_t *c, const proto_arg_t *a, int hash, int bits,
                                 uint64_t *out) {
    int usehash = hash && a->len > 0 && a->ptr[0] == '#';
    long long v;
    if (!str_to_ll(a->ptr + usehash, a->len - (size_t)usehash, &v)) goto err;
    if (usehash) v = (long long)((unsigned long long)v * (unsigned long long)bits);
    if (v < 0 || (v >> 3) >= c->eng->cfg.proto_max_bulk_len) goto err;
    *out = (uint64_t)v;
    return 0;
err:
    reply_error(c, ERR_BIT_OFFSET);
    return -1;
}

/* The string at key for a write reaching bit maxbit: created zero-filled when absent,
 * otherwise made raw and grown with zero bytes. NULL after a WRONGTYPE reply. *grown tells
 * whether the key was created or lengthened. */
static vobj_t *s_lookup_for_bits(client_t *c, const proto_arg_t *key, uint64_t maxbit, int *grown) {
    size_t need = (size_t)(maxbit >> 3) + 1;
    int wrongtype;
    vobj_t *o = lookup_write_or_reply_type(c, key, OBJ_STRING, &wrongtype);
    if (wrongtype) return NULL;
    if (!o) {
        o = obj_string_from_vstr(vstr_empty(need));
        db_add(c->eng, c->db, key->ptr, key->len, o);
        *grown = 1;
        return o;
    }
    obj_make_raw(o);
    size_t old = o->v.s->len;
    o->v.s = vstr_grow_zero(o->v.s, need);
    *grown = o->v.s->len != old;
    return o;
}

static void s_written(client_t *c, const proto_arg_t *key, int type, const char *event,
                      long long changes) {
    signal_modified_key(c->eng, c->db, key->ptr, key->len);
    notify_keyspace_event(c->eng, type, event, key->ptr, key->len, c->db->id);
    c->eng->stats.dirty += changes;
}

/* ===================== SETBIT / GETBIT ===================== */

void cmd_setbit(client_t *c) {
    const proto_arg_t *key = &c->argv[1];
    uint64_t off;
    long long on;
    if (s_bit_offset_or_reply(c, &c->argv[2], 0, 0, &off)) return;
    if (arg_ll_or_reply(c, &c->argv[3], &on, "bit is not an integer or out of range")) return;
    if (on & ~1LL) {
        reply_error(c, "bit is not an integer or out of range");
        return;
    }
    int grown = 0;
    vobj_t *o = s_lookup_for_bits(c, key, off, &grown);
    if (!o) return;
    uint8_t *byte = (uint8_t *)o->v.s->ptr + (off >> 3);
    uint8_t mask = (uint8_t)(0x80u >> (off & 7));
    int old = (*byte & mask) != 0;
    /* an unchanged bit of an unchanged string is not a write (no event, no dirty) */
    if (grown || old != on) {
        *byte = on ? (uint8_t)(*byte | mask) : (uint8_t)(*byte & ~mask);
        s_written(c, key, NOTIFY_STRING, "setbit", 1);
    }
    reply_int(c, old);
}

void cmd_getbit(client_t *c) {
    uint64_t off;
    if (s_bit_offset_or_reply(c, &c->argv[2], 0, 0, &off)) return;
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    int bit = 0;
    if (o) {
        char tmp[24];
        size_t len;
        const char *s = obj_str(o, tmp, &len);
        if ((off >> 3) < len) bit = ((uint8_t)s[off >> 3] & (0x80u >> (off & 7))) != 0;
    }
    reply_int(c, bit);
}

/* ===================== BITCOUNT / BITPOS ===================== */

/* BYTE|BIT at argv[i]: 1 for BIT, 0 for BYTE, -1 after a syntax error reply. */
static int s_unit_or_reply(client_t *c, int i) {
    if (s_opt(&c->argv[i], "bit")) return 1;
    if (s_opt(&c->argv[i], "byte")) return 0;
    reply_error(c, ERR_SYNTAX);
    return -1;
}

/* Redis's range normalisation in units of the string's bytes or bits (total): negative
 * indexes count from the end, then both are clamped into [0, total - 1]. Returns 0 when the
 * range is empty. */
static int s_norm_range(long long *start, long long *end, long long total) {
    if (*start < 0) *start += total;
    if (*end < 0) *end += total;
    if (*start < 0) *start = 0;
    if (*end < 0) *end = 0;
    if (*end >= total) *end = total - 1;
    return *start <= *end;
}

void cmd_bitcount(client_t *c) {
    int wrongtype;
    vobj_t *o = lookup_read_or_reply_type(c, &c->argv[1], OBJ_STRING, &wrongtype);
    if (wrongtype) return;
    if (!o) {
        reply_int(c, 0); /* a missing key counts nothing, whatever the other arguments */
        return;
    }
    char tmp[24];
    size_t slen;
    const uint8_t *s = (const uint8_t *)obj_str(o, tmp, &slen);
    long long start = 0, end = (long long)slen - 1, total = (long long)slen;
    int isbit = 0;
    if (c->argc == 4 || c->argc == 5) {
        if (arg_ll_or_reply(c, &c->argv[2], &start, NULL)) return;
        if (arg_ll_or_reply(c, &c->argv[3], &end, NULL)) return;
        if (start < 0 && end < 0 && start > end) {
            reply_int(c, 0);
            return;
        }
        if (c->argc == 5 && (isbit = s_unit_or_reply(c, 4)) < 0) return;
        if (isbit) total <<= 3;
        if (!s_norm_range(&start, &end, total)) {
            reply_int(c, 0);
            return;
        }
    } else if (c->argc != 2) {
        reply_error(c, ERR_SYNTAX);
        return;
    } else if (slen == 0) {
        reply_int(c, 0);
        return;
    }
    uint64_t from = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t to = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    uint64_t fb = from >> 3, lb = to >> 3;
    long long n = bitops_popcount(s + fb, (size_t)(lb - fb + 1));
    /* take off the bits of the edge bytes that lie outside the range */
    n -= __builtin_popcount(s[fb] & (uint8_t) ~(0xFFu >> (from & 7)));
    n -= __builtin_popcount(s[lb] & (uint8_t) ~(0xFFu << (7 - (to & 7))));
    reply_int(c, n);
}

void cmd_bitpos(client_t *c) {
    long long bit;
    if (arg_ll_or_reply(c, &c->argv[2], &bit, NULL)) return;
    if (bit != 0 && bit != 1) {
        reply_error(c, "The bit argument must be 1 or 0.");
        return;
    }
    /* a missing key is an endless run of zero bits */
    vobj_t *o = db_lookup_read(c->eng, c->db, c->argv[1].ptr, c->argv[1].len);
    if (!o) {
        reply_int(c, bit ? -1 : 0);
        return;
    }
    if (o->type != OBJ_STRING) {
        reply_error(c, ERR_WRONGTYPE);
        return;
    }
    char tmp[24];
    size_t slen;
    const uint8_t *s = (const uint8_t *)obj_str(o, tmp, &slen);
    long long start = 0, end = (long long)slen - 1, total = (long long)slen;
    int isbit = 0, end_given = 0;
    if (c->argc >= 4 && c->argc <= 6) {
        if (arg_ll_or_reply(c, &c->argv[3], &start, NULL)) return;
        if (c->argc == 6 && (isbit = s_unit_or_reply(c, 5)) < 0) return;
        if (c->argc >= 5) {
            if (arg_ll_or_reply(c, &c->argv[4], &end, NULL)) return;
            end_given = 1;
        } else {
            end = total - 1;
        }
        if (isbit) total <<= 3;
        if (!s_norm_range(&start, &end, total)) {
            reply_int(c, -1);
            return;
        }
    } else if (c->argc != 3) {
        reply_error(c, ERR_SYNTAX);
        return;
    } else if (slen == 0) {
        reply_int(c, -1);
        return;
    }
    uint64_t from = isbit ? (uint64_t)start : (uint64_t)start * 8;
    uint64_t to = isbit ? (uint64_t)end : (uint64_t)end * 8 + 7;
    long long pos = bitops_find(s, from, to, (int)bit);
    /* Looking for a clear bit without an explicit end, the string is taken as padded with
     * zeros on the right: the answer is the first bit after the last byte searched. */
    if (pos < 0 && bit == 0 && !end_given) pos = (long long)((to >> 3) + 1) * 8;
    reply_int(c, pos);
}

/* ===================== BITOP ===================== */

enum { BITOP_AND, BITOP_OR, BITOP_XOR, BITOP_NOT };

typedef struct {
    const uint8_t *p;
    size_t len;
    char tmp[24]; /* digits of an int-encoded source */
} s_src_t;

/* dst (maxlen bytes) = dst op src, with src taken as zero-padded to maxlen; a word at a
 * time (dst is a fresh buffer, never one of the sources). */
static void s_bitop_apply(uint8_t *restrict dst, size_t maxlen, const uint8_t *restrict src,
                          size_t len, int op) {
    size_t i = 0;
    for (; i + 8 <= len; i += 8) {
        uint64_t a, b;
        memcpy(&a, dst + i, 8);
        memcpy(&b, src + i, 8);
        a = op == BITOP_AND ? a & b : op == BITOP_OR ? a | b : a ^ b;
        memcpy(dst + i, &a, 8);
    }
    for (; i < len; i++) {
        uint8_t a = dst[i], b = src[i];
        dst[i] = (uint8_t)(op == BITOP_AND ? a & b : op == BITOP_OR ? a | b : a ^ b);
    }
    if (op == BITOP_AND) memset(dst + len, 0, maxlen - len);
}

void cmd_bitop(client_t *c) {
    engine_t *e = c->eng;
    const proto_arg_t *opname = &c->argv[1], *dest = &c->argv[2];
    int op;
    if (s_opt(opname, "and"))
        op = BITOP_AND;
    else if (s_opt(opname, "or"))
        op = BITOP_OR;
    else if (s_opt(opname, "xor"))
        op = BITOP_XOR;
    else if (s_opt(opname, "not"))
        op = BITOP_NOT;
    else {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    if (op == BITOP_NOT && c->argc != 4) {
        reply_error(c, "BITOP NOT must be called with a single source key.");
        return;
    }
    int n = c->argc - 3;
    s_src_t *src = malloc(sizeof *src * (size_t)n);
    if (!src) abort();
    size_t maxlen = 0;
    for (int j = 0; j < n; j++) {
        const proto_arg_t *k = &c->argv[3 + j];
        vobj_t *o = db_lookup_read(e, c->db, k->ptr, k->len);
        src[j].p = NULL;
        src[j].len = 0;
        if (!o) continue; /* a missing key is an empty string */
        if (o->type != OBJ_STRING) {
            free(src);
            reply_error(c, ERR_WRONGTYPE);
            return;
        }
        src[j].p = (const uint8_t *)obj_str(o, src[j].tmp, &src[j].len);
        if (src[j].len > maxlen) maxlen = src[j].len;
    }
    if (maxlen == 0) {
        free(src);
        if (db_delete(e, c->db, dest->ptr, dest->len)) s_written(c, dest, NOTIFY_GENERIC, "del", 1);
        reply_int(c, 0);
        return;
    }
    vstr_t *res = vstr_empty(maxlen);
    uint8_t *r = (uint8_t *)res->ptr;
    if (src[0].len) memcpy(r, src[0].p, src[0].len);
    if (op == BITOP_NOT) {
        size_t i = 0;
        for (; i + 8 <= maxlen; i += 8) {
            uint64_t w;
            memcpy(&w, r + i, 8);
            w = ~w;
            memcpy(r + i, &w, 8);
        }
        for (; i < maxlen; i++)
            r[i] = (uint8_t)~r[i];
    } else {
        for (int j = 1; j < n; j++)
            s_bitop_apply(r, maxlen, src[j].p, src[j].len, op);
    }
    free(src);
    db_set(e, c->db, dest->ptr, dest->len, obj_string_from_vstr(res), 0);
    s_written(c, dest, NOTIFY_STRING, "set", 1);
    reply_int(c, (long long)maxlen);
}

/* ===================== BITFIELD ===================== */

enum { BF_GET, BF_SET, BF_INCRBY };

typedef struct {
    uint64_t off;
    int64_t val; /* SET value or INCRBY increment */
    uint8_t op, policy, bits, sign;
} s_bfop_t;

#define ERR_BF_TYPE                                                                                \
    "Invalid bitfield type. Use something like i16 u8. Note that u64 is not supported but i64 "    \
    "is."

/* "i1".."i64" or "u1".."u63" (lowercase only; the width is read up to a NUL, as Redis reads
 * it as a C string). */
static int s_bf_type_or_reply(client_t *c, const proto_arg_t *a, int *sign, int *bits) {
    long long v;
    if (a->len == 0 || (a->ptr[0] != 'i' && a->ptr[0] != 'u')) goto err;
    *sign = a->ptr[0] == 'i';
    if (!str_to_ll(a->ptr + 1, strnlen(a->ptr + 1, a->len - 1), &v) || v < 1 ||
        v > (*sign ? 64 : 63))
        goto err;
    *bits = (int)v;
    return 0;
err:
    reply_error(c, ERR_BF_TYPE);
    return -1;
}

static void s_bitfield(client_t *c, int ro_command) {
    const proto_arg_t *key = &c->argv[1];
    s_bfop_t *ops = malloc(sizeof *ops * (size_t)(c->argc / 3 + 1));
    if (!ops) abort();
    int nops = 0, policy = BITOPS_WRAP, readonly = 1, grown = 0;
    uint64_t highest = 0;

    /* Every operation is parsed and checked before anything is executed. */
    for (int j = 2; j < c->argc; j++) {
        int more = c->argc - j - 1;
        const proto_arg_t *a = &c->argv[j];
        int op;
        if (s_opt(a, "get") && more >= 2) {
            op = BF_GET;
        } else if (s_opt(a, "set") && more >= 3) {
            op = BF_SET;
        } else if (s_opt(a, "incrby") && more >= 3) {
            op = BF_INCRBY;
        } else if (s_opt(a, "overflow") && more >= 1) {
            const proto_arg_t *w = &c->argv[++j];
            if (s_opt(w, "wrap"))
                policy = BITOPS_WRAP;
            else if (s_opt(w, "sat"))
                policy = BITOPS_SAT;
            else if (s_opt(w, "fail"))
                policy = BITOPS_FAIL;
            else {
                reply_error(c, "Invalid OVERFLOW type specified");
                goto done;
            }
            continue;
        } else {
            reply_error(c, ERR_SYNTAX);
            goto done;
        }
        int sign, bits;
        uint64_t off;
        long long val = 0;
        if (s_bf_type_or_reply(c, &c->argv[j + 1], &sign, &bits)) goto done;
        if (s_bit_offset_or_reply(c, &c->argv[j + 2], 1, bits, &off)) goto done;
        if (op != BF_GET) {
            readonly = 0;
            if (highest < off + (uint64_t)bits - 1) highest = off + (uint64_t)bits - 1;
            if (arg_ll_or_reply(c, &c->argv[j + 3], &val, NULL)) goto done;
        }
        ops[nops++] = (s_bfop_t){.off = off,
                                 .val = val,
                                 .op = (uint8_t)op,
                                 .policy = (uint8_t)policy,
                                 .bits = (uint8_t)bits,
                                 .sign = (uint8_t)sign};
        j += op == BF_GET ? 2 : 3;
    }

    vobj_t *o;
    if (readonly) {
        o = db_lookup_read(c->eng, c->db, key->ptr, key->len);
        if (o && o->type != OBJ_STRING) {
            reply_error(c, ERR_WRONGTYPE);
            goto done;
        }
    } else {
        if (ro_command) {
            reply_error(c, "BITFIELD_RO only supports the GET subcommand");
            goto done;
        }
        if (!(o = s_lookup_for_bits(c, key, highest, &grown))) goto done;
    }

    reply_array(c, nops);
    long long changes = 0;
    for (int i = 0; i < nops; i++) {
        const s_bfop_t *op = &ops[i];
        if (op->op == BF_GET) {
            uint64_t v = 0;
            if (o) {
                char tmp[24];
                size_t len;
                const uint8_t *s = (const uint8_t *)obj_str(o, tmp, &len);
                v = s_get_padded(s, len, op->off, op->bits);
            }
            reply_int(c, op->sign ? s_sign_extend(v, op->bits) : (long long)v);
            continue;
        }
        uint8_t *s = (uint8_t *)o->v.s->ptr;
        uint64_t old = bitops_get_unsigned(s, op->off, op->bits);
        if (op->sign) old = (uint64_t)s_sign_extend(old, op->bits);
        uint64_t nv;
        int overflow =
            op->op == BF_INCRBY
                ? bitops_field_add(op->sign, op->bits, op->policy, old, op->val, &nv)
                : bitops_field_add(op->sign, op->bits, op->policy, (uint64_t)op->val, 0, &nv);
        if (overflow && op->policy == BITOPS_FAIL) {
            reply_null(c);
            continue;
        }
        /* SET answers the old value, INCRBY the new one */
        reply_int(c, (long long)(op->op == BF_SET ? old : nv));
        bitops_set_unsigned(s, op->off, op->bits, nv);
        /* like SETBIT, a write that leaves the string as it was is not a change */
        if (grown || nv != old) changes++;
    }
    if (changes) s_written(c, key, NOTIFY_STRING, "setbit", changes);
done:
    free(ops);
}

void cmd_bitfield(client_t *c) { s_bitfield(c, 0); }
void cmd_bitfield_ro(client_t *c) { s_bitfield(c, 1); }

/* BITFIELD's key is only read when every operation is a GET (an unparsable line is taken as
 * a write, the safe side). */
static int s_bitfield_getkeys(const command_t *cmd, int argc, const proto_arg_t *argv,
                              cmd_keys_t *out) {
    (void)cmd;
    int readonly = 1;
    for (int i = 2; i < argc && readonly; i++) {
        int more = argc - i - 1;
        if (s_opt(&argv[i], "get") && more >= 2)
            i += 2;
        else if (s_opt(&argv[i], "overflow") && more >= 1)
            i += 1;
        else
            readonly = 0;
    }
    cmd_keys_add(out, 1, readonly ? KS_RO | KS_ACCESS : KS_RW | KS_ACCESS | KS_UPDATE);
    return 1;
}

/* ===================== command table ===================== */

// clang-format off
command_t bitops_commands[] = {
    {.name = "setbit", .proc = cmd_setbit, .arity = 4, .flags = "write denyoom", .acl = "bitmap",
     .keyspecs = "RW access update;index:1;range:0,1,0", .group = "bitmap", .since = "2.2.0",
     .summary = "Sets or clears one bit of the string at a key, growing it as needed.",
     .complexity = "O(1)", .args = "key:key@0 integer:offset integer:value"},
    {.name = "getbit", .proc = cmd_getbit, .arity = 3, .flags = "readonly fast", .acl = "bitmap",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "bitmap", .since = "2.2.0",
     .summary = "Returns one bit of the string at a key.", .complexity = "O(1)",
     .args = "key:key@0 integer:offset"},
    {.name = "bitcount", .proc = cmd_bitcount, .arity = -2, .flags = "readonly",
     .acl = "bitmap", .keyspecs = "RO access;index:1;range:0,1,0", .group = "bitmap",
     .since = "2.6.0", .summary = "Counts the set bits of a string, optionally within a range.",
     .complexity = "O(N)", .history = "7.0.0 The range may be given in bits (BYTE|BIT).",
     .args = "key:key@0 ?block:index(integer:start integer:end "
             "?oneof:index_unit+7.0.0(=BYTE =BIT))"},
    {.name = "bitpos", .proc = cmd_bitpos, .arity = -3, .flags = "readonly", .acl = "bitmap",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "bitmap", .since = "2.8.7",
     .summary = "Finds the first set or clear bit of a string, optionally within a range.",
     .complexity = "O(N)", .history = "7.0.0 The range may be given in bits (BYTE|BIT).",
     .args = "key:key@0 integer:bit ?block:index(integer:start ?block:end_index(integer:end "
             "?oneof:index_unit+7.0.0(=BYTE =BIT)))"},
    {.name = "bitop", .proc = cmd_bitop, .arity = -4, .flags = "write denyoom", .acl = "bitmap",
     .keyspecs = "OW update;index:2;range:0,1,0|RO access;index:3;range:-1,1,0",
     .group = "bitmap", .since = "2.6.0",
     .summary = "Stores the bitwise AND, OR, XOR or NOT of strings at a key.",
     .complexity = "O(N)", .args = "string:operation key:destkey@0 *key:key@1"},
    {.name = "bitfield", .proc = cmd_bitfield, .arity = -2, .flags = "write denyoom",
     .acl = "bitmap",
     .keyspecs = "RW access update variable_flags;index:1;range:0,1,0;This command allows both "
                 "access and modification of the key",
     .getkeys = s_bitfield_getkeys, .group = "bitmap", .since = "3.2.0",
     .summary = "Reads, writes and increments integers of any width at bit offsets of a string.",
     .complexity = "O(1) for each operation.",
     .args = "key:key@0 ?*oneof:operation(block:encoding_offset=GET(string:encoding "
             "integer:offset) block:write(?oneof:wrap_sat_fail=OVERFLOW(=WRAP =SAT =FAIL) "
             "oneof:write_operation(block:encoding_offset_value=SET(string:encoding "
             "integer:offset integer:value) block:encoding_offset_increment=INCRBY("
             "string:encoding integer:offset integer:increment))))"},
    {.name = "bitfield_ro", .proc = cmd_bitfield_ro, .arity = -2, .flags = "readonly fast",
     .acl = "bitmap", .keyspecs = "RO access;index:1;range:0,1,0", .group = "bitmap",
     .since = "6.0.0", .summary = "Reads integers of any width at bit offsets of a string.",
     .complexity = "O(1) for each operation.",
     .args = "key:key@0 ?*&block:encoding_offset=GET(string:encoding integer:offset)"},
    {0}};
// clang-format on
