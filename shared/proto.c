/* Codec for the inter-process messages defined in proto.h. */
#include "shared/proto.h"

#include <stdlib.h>
#include <string.h>

static uint16_t s_u16(const char *p) {
    uint16_t v;
    memcpy(&v, p, 2);
    return v;
}
static uint32_t s_u32(const char *p) {
    uint32_t v;
    memcpy(&v, p, 4);
    return v;
}

int proto_header_parse(const void *data, size_t len, proto_header_t *h, const char **why) {
    const char *p = data;
    if (len < PROTO_HEADER_SIZE) {
        *why = "short frame";
        return -1;
    }
    if (s_u16(p) != PROTO_MAGIC) {
        *why = "bad magic (not a Vole message)";
        return -1;
    }
    if ((uint8_t)p[2] != PROTO_VERSION) {
        *why = "unsupported protocol version";
        return -1;
    }
    h->type = (uint8_t)p[3];
    h->count = s_u32(p + 4);
    h->seq = s_u32(p + 8);
    return 0;
}

void proto_begin(buf_t *b, uint8_t type) {
    buf_clear(b);
    buf_put_u16(b, PROTO_MAGIC);
    buf_put_u8(b, PROTO_VERSION);
    buf_put_u8(b, type);
    buf_put_u32(b, 0);
    buf_put_u32(b, 0);
}

void proto_finish(buf_t *b, uint32_t count) { memcpy(b->data + 4, &count, 4); }
void proto_set_seq(buf_t *b, uint32_t seq) { memcpy(b->data + 8, &seq, 4); }

static void s_put_str16(buf_t *b, const char *s) {
    size_t n = strlen(s);
    if (n > 65535) n = 65535;
    buf_put_u16(b, (uint16_t)n);
    buf_append(b, s, n);
}

void proto_put_hello(buf_t *b, const char *role, const char *instance) {
    proto_begin(b, MSG_FE_HELLO);
    s_put_str16(b, role);
    s_put_str16(b, instance);
    proto_finish(b, 1);
}

/* Bounds-checked reader over a message body. */
typedef struct {
    const char *p;
    size_t len, pos;
} s_rd_t;

static int s_need(s_rd_t *r, size_t n) { return r->len - r->pos >= n; }

static int s_get_str16(s_rd_t *r, const char **s, size_t *n) {
    if (!s_need(r, 2)) return -1;
    *n = s_u16(r->p + r->pos);
    r->pos += 2;
    if (!s_need(r, *n)) return -1;
    *s = r->p + r->pos;
    r->pos += *n;
    return 0;
}

static void s_copy(char *dst, size_t cap, const char *s, size_t n) {
    if (n >= cap) n = cap - 1;
    memcpy(dst, s, n);
    dst[n] = '\0';
}

int proto_get_hello(const void *data, size_t len, char *role, size_t rolecap, char *inst,
                    size_t instcap) {
    s_rd_t r = {data, len, PROTO_HEADER_SIZE};
    const char *a, *b;
    size_t al, bl;
    if (len < PROTO_HEADER_SIZE || s_get_str16(&r, &a, &al) || s_get_str16(&r, &b, &bl)) return -1;
    s_copy(role, rolecap, a, al);
    s_copy(inst, instcap, b, bl);
    return 0;
}

void proto_put_config(buf_t *b, const char *name, const char *value) {
    s_put_str16(b, name);
    s_put_str16(b, value);
}

int proto_config_next(const void *data, size_t len, size_t *pos, char *name, size_t namecap,
                      char *value, size_t valcap) {
    if (*pos == len) return 0;
    s_rd_t r = {data, len, *pos};
    const char *a, *b;
    size_t al, bl;
    if (s_get_str16(&r, &a, &al) || s_get_str16(&r, &b, &bl)) return -1;
    s_copy(name, namecap, a, al);
    s_copy(value, valcap, b, bl);
    *pos = r.pos;
    return 1;
}

void proto_put_cmd_start(buf_t *b, uint32_t client, uint32_t argc) {
    char *p = buf_reserve(b, 9);
    p[0] = REC_CMD;
    memcpy(p + 1, &client, 4);
    memcpy(p + 5, &argc, 4);
    b->len += 9;
}

void proto_put_arg(buf_t *b, const void *data, uint32_t len) {
    char *p = buf_reserve(b, 4 + (size_t)len);
    memcpy(p, &len, 4);
    memcpy(p + 4, data, len);
    b->len += 4 + (size_t)len;
}

void proto_put_open(buf_t *b, uint32_t client, const char *addr, const char *laddr, uint8_t flags) {
    buf_put_u8(b, REC_OPEN);
    buf_put_u32(b, client);
    s_put_str16(b, addr);
    s_put_str16(b, laddr);
    buf_put_u8(b, flags);
}

void proto_put_close(buf_t *b, uint32_t client) {
    buf_put_u8(b, REC_CLOSE);
    buf_put_u32(b, client);
}

void proto_put_err_close(buf_t *b, uint32_t client, const char *reply, uint32_t len) {
    buf_put_u8(b, REC_ERR_CLOSE);
    buf_put_u32(b, client);
    proto_put_arg(b, reply, len);
}

void proto_batch_init(proto_batch_t *pb) { memset(pb, 0, sizeof *pb); }

void proto_batch_free(proto_batch_t *pb) {
    free(pb->recs);
    free(pb->args);
    memset(pb, 0, sizeof *pb);
}

static proto_rec_t *s_new_rec(proto_batch_t *pb) {
    if (pb->nrecs == pb->recs_cap) {
        size_t cap = pb->recs_cap ? pb->recs_cap * 2 : 64;
        proto_rec_t *r = realloc(pb->recs, cap * sizeof *r);
        if (!r) abort();
        pb->recs = r;
        pb->recs_cap = cap;
    }
    proto_rec_t *r = &pb->recs[pb->nrecs++];
    memset(r, 0, sizeof *r);
    return r;
}

static int s_reserve_args(proto_batch_t *pb, size_t n) {
    if (pb->args_cap - pb->nargs >= n) return 0;
    size_t cap = pb->args_cap ? pb->args_cap : 256;
    while (cap - pb->nargs < n) cap *= 2;
    proto_arg_t *a = realloc(pb->args, cap * sizeof *a);
    if (!a) abort();
    pb->args = a;
    pb->args_cap = cap;
    return 0;
}

int proto_batch_decode(proto_batch_t *pb, const void *data, size_t len, const char **why) {
    proto_header_t h;
    pb->nrecs = pb->nargs = 0;
    if (proto_header_parse(data, len, &h, why)) return -1;
    if (h.type != MSG_CMD_BATCH) {
        *why = "not a command batch";
        return -1;
    }
    s_rd_t r = {data, len, PROTO_HEADER_SIZE};
    for (uint32_t i = 0; i < h.count; i++) {
        if (!s_need(&r, 5)) goto bad;
        proto_rec_t *rec = s_new_rec(pb);
        rec->kind = (uint8_t)r.p[r.pos];
        rec->client = s_u32(r.p + r.pos + 1);
        r.pos += 5;
        switch (rec->kind) {
        case REC_CMD: {
            if (!s_need(&r, 4)) goto bad;
            uint32_t argc = s_u32(r.p + r.pos);
            r.pos += 4;
            /* each argument takes at least 4 bytes: bounds argc before allocating */
            if (argc == 0 || (r.len - r.pos) / 4 < argc) goto bad;
            s_reserve_args(pb, argc);
            rec->argc = argc;
            rec->arg0 = (uint32_t)pb->nargs;
            for (uint32_t a = 0; a < argc; a++) {
                if (!s_need(&r, 4)) goto bad;
                uint32_t n = s_u32(r.p + r.pos);
                r.pos += 4;
                if (!s_need(&r, n)) goto bad;
                pb->args[pb->nargs].ptr = r.p + r.pos;
                pb->args[pb->nargs].len = n;
                pb->nargs++;
                r.pos += n;
            }
            break;
        }
        case REC_OPEN:
            if (s_get_str16(&r, &rec->s1, &rec->s1len) || s_get_str16(&r, &rec->s2, &rec->s2len) ||
                !s_need(&r, 1))
                goto bad;
            rec->flags = (uint8_t)r.p[r.pos++];
            break;
        case REC_CLOSE:
            break;
        case REC_ERR_CLOSE: {
            if (!s_need(&r, 4)) goto bad;
            uint32_t n = s_u32(r.p + r.pos);
            r.pos += 4;
            if (!s_need(&r, n)) goto bad;
            rec->s1 = r.p + r.pos;
            rec->s1len = n;
            r.pos += n;
            break;
        }
        default:
            *why = "unknown record kind";
            pb->nrecs = pb->nargs = 0;
            return -1;
        }
    }
    if (r.pos != r.len) {
        *why = "trailing bytes after the last record";
        pb->nrecs = pb->nargs = 0;
        return -1;
    }
    return 0;
bad:
    *why = "truncated record";
    pb->nrecs = pb->nargs = 0;
    return -1;
}

size_t proto_reply_begin(buf_t *b, uint32_t client, uint8_t flags) {
    char *p = buf_reserve(b, 9);
    memcpy(p, &client, 4);
    p[4] = (char)flags;
    memset(p + 5, 0, 4);
    b->len += 9;
    return b->len - 4;
}

void proto_reply_end(buf_t *b, size_t lenpos) {
    uint32_t n = (uint32_t)(b->len - lenpos - 4);
    memcpy(b->data + lenpos, &n, 4);
}

int proto_reply_iter_init(proto_reply_iter_t *it, const void *data, size_t len,
                          proto_header_t *h, const char **why) {
    if (proto_header_parse(data, len, h, why)) return -1;
    if (h->type != MSG_REPLY_BATCH && h->type != MSG_PUSH) {
        *why = "not a reply message";
        return -1;
    }
    it->data = data;
    it->len = len;
    it->pos = PROTO_HEADER_SIZE;
    it->left = h->count;
    return 0;
}

int proto_reply_next(proto_reply_iter_t *it, uint32_t *client, uint8_t *flags, const char **p,
                     size_t *len) {
    if (it->left == 0) return it->pos == it->len ? 0 : -1;
    if (it->len - it->pos < 9) return -1;
    *client = s_u32(it->data + it->pos);
    *flags = (uint8_t)it->data[it->pos + 4];
    uint32_t n = s_u32(it->data + it->pos + 5);
    it->pos += 9;
    if (it->len - it->pos < n) return -1;
    *p = it->data + it->pos;
    *len = n;
    it->pos += n;
    it->left--;
    return 1;
}

/* ---------- stream control and sequence-numbered records ---------- */

void proto_put_ctl(buf_t *b, uint8_t type, uint8_t byte, uint64_t a, uint64_t c, const void *tail,
                   size_t taillen) {
    proto_begin(b, type);
    buf_put_u8(b, byte);
    buf_put_u64(b, a);
    buf_put_u64(b, c);
    if (taillen) buf_append(b, tail, taillen);
    proto_finish(b, 1);
}

int proto_get_ctl(const void *data, size_t len, uint8_t *byte, uint64_t *a, uint64_t *c,
                  const char **tail, size_t *taillen) {
    const char *p = data;
    if (len < PROTO_HEADER_SIZE + 17) return -1;
    p += PROTO_HEADER_SIZE;
    *byte = (uint8_t)p[0];
    memcpy(a, p + 1, 8);
    memcpy(c, p + 9, 8);
    if (tail) *tail = p + 17;
    if (taillen) *taillen = len - PROTO_HEADER_SIZE - 17;
    return 0;
}

void proto_put_seqrec(buf_t *b, uint64_t seq, const void *p, uint32_t len) {
    buf_put_u64(b, seq);
    buf_put_u32(b, len);
    buf_append(b, p, len);
}

int proto_seqrec_iter_init(proto_seqrec_iter_t *it, const void *data, size_t len, uint8_t *byte) {
    proto_header_t h;
    const char *why;
    if (proto_header_parse(data, len, &h, &why) < 0 || len < PROTO_HEADER_SIZE + 1) return -1;
    it->data = data;
    it->len = len;
    it->pos = PROTO_HEADER_SIZE + 1;
    it->left = h.count;
    *byte = (uint8_t)it->data[PROTO_HEADER_SIZE];
    return 0;
}

int proto_seqrec_next(proto_seqrec_iter_t *it, uint64_t *seq, const char **p, size_t *plen) {
    if (it->left == 0) return it->pos == it->len ? 0 : -1;
    if (it->len - it->pos < 12) return -1;
    uint32_t n;
    memcpy(seq, it->data + it->pos, 8);
    memcpy(&n, it->data + it->pos + 8, 4);
    it->pos += 12;
    if (n > it->len - it->pos) return -1;
    *p = it->data + it->pos;
    *plen = n;
    it->pos += n;
    it->left--;
    return 1;
}
