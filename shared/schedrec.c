/* Engine <-> scheduler records; see shared/schedrec.h. */
#include "shared/schedrec.h"

#include <string.h>

void srec_put_str(buf_t *b, const void *p, size_t len) {
    buf_put_u32(b, (uint32_t)len);
    buf_append(b, p, len);
}

int srec_get_u32(srec_reader_t *r, uint32_t *v) {
    if (r->len - r->pos < 4) return -1;
    memcpy(v, r->data + r->pos, 4);
    r->pos += 4;
    return 0;
}

int srec_get_u64(srec_reader_t *r, uint64_t *v) {
    if (r->len - r->pos < 8) return -1;
    memcpy(v, r->data + r->pos, 8);
    r->pos += 8;
    return 0;
}

int srec_get_str(srec_reader_t *r, srec_str_t *s) {
    uint32_t n;
    if (srec_get_u32(r, &n) < 0 || r->len - r->pos < n) return -1;
    s->p = r->data + r->pos;
    s->len = n;
    r->pos += n;
    return 0;
}

void whrec_encode(buf_t *b, const whrec_t *r) {
    buf_put_u8(b, 1); /* version */
    srec_put_str(b, r->url.p, r->url.len);
    srec_put_str(b, r->secret.p, r->secret.len);
    srec_put_str(b, r->event.p, r->event.len);
    srec_put_str(b, r->key.p, r->key.len);
    srec_put_str(b, r->node.p, r->node.len);
    buf_put_u64(b, (uint64_t)r->ts_ms);
    buf_put_u32(b, r->db);
}

int whrec_decode(const char *p, size_t len, whrec_t *out) {
    srec_reader_t r = {p, len, 1};
    uint64_t ts;
    if (len < 1 || p[0] != 1) return -1;
    if (srec_get_str(&r, &out->url) < 0 || srec_get_str(&r, &out->secret) < 0 ||
        srec_get_str(&r, &out->event) < 0 || srec_get_str(&r, &out->key) < 0 ||
        srec_get_str(&r, &out->node) < 0 || srec_get_u64(&r, &ts) < 0 ||
        srec_get_u32(&r, &out->db) < 0 || r.pos != len)
        return -1;
    out->ts_ms = (int64_t)ts;
    return 0;
}
