/* The snapshot file (docs/file-formats.md, "Snapshot file"): writing and reading the stream
 * of databases, keys and sections, zstd-compressed on the fly, XXH3-64 over the
 * uncompressed bytes; the primitives types and sections use; `vole check-snapshot`.
 * Memory stays bounded both ways: the writer holds one staging block, the reader a window
 * that only grows to the longest single string it has to hand out. */
#include "engine/snapshot.h"
#include "engine/core.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libgen.h>
#include <stdarg.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "shared/util.h"

#ifndef VOLE_VERSION
#define VOLE_VERSION "0.1.0"
#endif

#define SNAP_MAGIC "VOLESNAP"
#define SNAP_MAGIC_LEN 8
#define SNAP_PREFIX_LEN 12 /* magic + format version (u32 little-endian) */
#define SNAP_FORMAT_VERSION 1
#define SNAP_ZSTD_LEVEL 1 /* measured on the bench mix: level 3 is ~4% smaller, slower */

/* Markers in the uncompressed stream: where each part starts, and the end. */
#define SNAP_OP_DB 0xFE
#define SNAP_OP_SECTIONS 0xFD
#define SNAP_OP_END 0xFF
#define SNAP_TTL_FLAG 0x80 /* in a record's type byte: an expiry time follows the key */

#define SNAP_STAGE (128 * 1024)     /* writer's staging block */
#define SNAP_DIRECT (32 * 1024)     /* strings at least this long bypass the staging block */
#define SNAP_PROGRESS_EVERY 1000000 /* keys between progress calls */
/* zstd expands a block of at most 128 KiB from no fewer than a few bytes: a bound on the
 * uncompressed bytes compressed input can still yield, for checking counts read. */
#define SNAP_ZSTD_MAX_RATIO 32768ULL
#define SNAP_PRESIZE_MAX (16ULL << 20) /* items pre-sized for whatever the file size */

/* ===================== writer ===================== */

struct snap_writer {
    unsigned char *buf; /* staged raw bytes, not yet hashed nor compressed */
    size_t len, cap;
    int fd; /* -1: an in-memory writer (a section's payload) */
    ZSTD_CStream *zc;
    unsigned char *zout;
    size_t zcap;
    XXH3_state_t *xx;
    uint64_t raw_bytes, file_bytes;
    int err; /* errno of the first failure (0: none) */
    const char *err_what;
};

static void *s_xmalloc(size_t n) {
    void *p = malloc(n ? n : 1);
    if (!p) abort(); /* out of memory */
    return p;
}

static void *s_xrealloc(void *p, size_t n) {
    p = realloc(p, n ? n : 1);
    if (!p) abort();
    return p;
}

static int s_write_all(int fd, const void *p, size_t n) {
    const char *c = p;
    while (n) {
        ssize_t k = write(fd, c, n);
        if (k < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        c += k;
        n -= (size_t)k;
    }
    return 0;
}

static void s_w_fail(snap_writer_t *w, int err, const char *what) {
    if (w->err) return;
    w->err = err ? err : EIO;
    w->err_what = what;
}

/* Compresses n raw bytes (hashing them when hash) and writes what comes out. */
static void s_w_feed(snap_writer_t *w, const void *p, size_t n, int hash, ZSTD_EndDirective end) {
    if (w->err) return;
    if (hash) XXH3_64bits_update(w->xx, p, n);
    w->raw_bytes += n;
    ZSTD_inBuffer in = {p, n, 0};
    for (;;) {
        ZSTD_outBuffer out = {w->zout, w->zcap, 0};
        size_t left = ZSTD_compressStream2(w->zc, &out, &in, end);
        if (ZSTD_isError(left)) {
            s_w_fail(w, EIO, ZSTD_getErrorName(left));
            return;
        }
        if (out.pos) {
            if (s_write_all(w->fd, w->zout, out.pos) < 0) {
                s_w_fail(w, errno, "write");
                return;
            }
            w->file_bytes += out.pos;
        }
        if (end == ZSTD_e_end ? left == 0 : in.pos == in.size) break;
    }
}

static void s_w_flush(snap_writer_t *w) {
    if (w->fd < 0 || !w->len) return;
    s_w_feed(w, w->buf, w->len, 1, ZSTD_e_continue);
    w->len = 0;
}

static inline unsigned char *s_w_room(snap_writer_t *w, size_t n) {
    if (w->len + n > w->cap) {
        s_w_flush(w);
        if (w->len + n > w->cap) {
            w->cap = w->cap * 2 > w->len + n ? w->cap * 2 : w->len + n;
            w->buf = s_xrealloc(w->buf, w->cap);
        }
    }
    return w->buf + w->len;
}

void snap_put_u8(snap_writer_t *w, uint8_t v) {
    *s_w_room(w, 1) = v;
    w->len++;
}

void snap_put_u64(snap_writer_t *w, uint64_t v) {
    unsigned char *p = s_w_room(w, 10), *s = p;
    while (v >= 0x80) {
        *p++ = (unsigned char)(v | 0x80);
        v >>= 7;
    }
    *p++ = (unsigned char)v;
    w->len += (size_t)(p - s);
}

void snap_put_i64(snap_writer_t *w, int64_t v) {
    snap_put_u64(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

void snap_put_double(snap_writer_t *w, double v) {
    uint64_t bits;
    memcpy(&bits, &v, 8);
    unsigned char *p = s_w_room(w, 8);
    for (int i = 0; i < 8; i++)
        p[i] = (unsigned char)(bits >> (8 * i));
    w->len += 8;
}

void snap_put_bytes(snap_writer_t *w, const void *p, size_t len) {
    snap_put_u64(w, len);
    if (len >= SNAP_DIRECT && w->fd >= 0) {
        s_w_flush(w); /* keeps the order, then the bytes go straight to the compressor */
        s_w_feed(w, p, len, 1, ZSTD_e_continue);
        return;
    }
    if (len) memcpy(s_w_room(w, len), p, len);
    w->len += len;
}

/* ===================== reader ===================== */

struct snap_reader {
    const unsigned char *p, *end; /* unread bytes of the window */
    unsigned char *buf;           /* the window's storage (NULL for a memory reader) */
    size_t cap;
    uint64_t base; /* offset in the uncompressed stream of buf[0] (memory: of p at start) */
    const unsigned char *start; /* memory reader: its first byte */
    /* compressed input */
    int fd;
    ZSTD_DStream *zd;
    unsigned char *in;
    size_t in_len, in_pos, in_cap;
    uint64_t file_off;  /* bytes read from the file so far (prefix included) */
    uint64_t file_size; /* 0 when unknown (not a regular file) */
    int frame_done;
    /* checksum of the bytes consumed: [hashed, p) is not hashed yet */
    XXH3_state_t *xx;
    const unsigned char *hashed;
    /* failure */
    int failed;
    char why[256];
    uint64_t fail_raw, fail_file;
    snap_reader_t *parent; /* a section's reader reports failures to the file's */
    char ctx[200];         /* what was being read (a key, a section) */
};

static uint64_t s_r_raw_off(const snap_reader_t *r) {
    return r->buf ? r->base + (uint64_t)(r->p - r->buf) : r->base + (uint64_t)(r->p - r->start);
}

int snap_fail(snap_reader_t *r, const char *why) {
    if (r->failed) return -1;
    r->failed = 1;
    snprintf(r->why, sizeof r->why, "%s", why);
    r->fail_raw = s_r_raw_off(r);
    r->fail_file = r->file_off;
    r->p = r->end; /* nothing more is handed out */
    if (r->parent) {
        snap_reader_t *pr = r->parent;
        if (!pr->failed) {
            pr->failed = 1;
            snprintf(pr->why, sizeof pr->why, "%s", why);
            pr->fail_raw = r->fail_raw;
            pr->fail_file = pr->file_off;
            pr->p = pr->end;
        }
    }
    return -1;
}

static int s_failf(snap_reader_t *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int s_failf(snap_reader_t *r, const char *fmt, ...) {
    char why[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, sizeof why, fmt, ap);
    va_end(ap);
    return snap_fail(r, why);
}

static void s_r_hash_consumed(snap_reader_t *r) {
    if (r->xx && r->p > r->hashed) XXH3_64bits_update(r->xx, r->hashed, (size_t)(r->p - r->hashed));
    r->hashed = r->p;
}

/* Reads more compressed input; 0, or -1 at the end of the file or on an error. */
static int s_r_read_input(snap_reader_t *r) {
    for (;;) {
        ssize_t k = read(r->fd, r->in, r->in_cap);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return s_failf(r, "read error: %s", strerror(errno));
        if (k == 0) return -1;
        r->in_len = (size_t)k;
        r->in_pos = 0;
        r->file_off += (uint64_t)k;
        return 0;
    }
}

/* One decompression step into buf[*have, room), reading compressed input first when all of
 * it was used; *have grows by what came out. 0, or -1 (failed). */
static int s_r_step(snap_reader_t *r, size_t room, size_t *have) {
    if (r->in_pos == r->in_len && s_r_read_input(r) < 0) {
        if (!r->failed)
            s_failf(r,
                    "truncated: the compressed data ends at file byte %" PRIu64
                    " before its frame is complete",
                    r->file_off);
        return -1;
    }
    ZSTD_inBuffer in = {r->in, r->in_len, r->in_pos};
    ZSTD_outBuffer out = {r->buf, room, *have};
    size_t ret = ZSTD_decompressStream(r->zd, &out, &in);
    r->in_pos = in.pos;
    *have = out.pos;
    if (ZSTD_isError(ret))
        return s_failf(r, "corrupt compressed data (%s)", ZSTD_getErrorName(ret));
    if (ret == 0) r->frame_done = 1;
    return 0;
}

/* Tests set this to a few bytes: every fill then moves the window, so a caller holding a
 * pointer from an earlier snap_get_bytes call across another call reads moved data. */
static size_t s_fill_chunk = SIZE_MAX;

void snapshot_debug_fill_chunk(size_t n) { s_fill_chunk = n ? n : SIZE_MAX; }

/* Makes n bytes available at r->p; 0, or -1 (failed) when the data ends first. */
static int s_r_fill_slow(snap_reader_t *r, size_t n) {
    if (r->failed) return -1;
    if (!r->buf)
        return s_failf(r, "truncated: %zu bytes needed, %zu left", n, (size_t)(r->end - r->p));
    s_r_hash_consumed(r);
    size_t have = (size_t)(r->end - r->p);
    if (r->p != r->buf) {
        memmove(r->buf, r->p, have);
        r->base += (uint64_t)(r->p - r->buf);
    }
    r->p = r->hashed = r->buf;
    r->end = r->buf + have;
    while (have < n) {
        if (r->frame_done)
            return s_failf(r, "truncated: the data ends %zu bytes short of a %zu-byte item",
                           n - have, n);
        /* the window grows only as decompressed data actually arrives */
        if (r->cap - have < ZSTD_DStreamOutSize()) {
            r->cap = r->cap * 2;
            r->buf = s_xrealloc(r->buf, r->cap);
            r->p = r->hashed = r->buf;
            r->end = r->buf + have;
        }
        size_t room = r->cap - have < s_fill_chunk ? r->cap : have + s_fill_chunk;
        int rc = s_r_step(r, room, &have);
        r->end = r->buf + have;
        if (rc < 0) {
            r->p = r->end; /* failed: nothing more is handed out */
            return -1;
        }
    }
    r->end = r->buf + have;
    return 0;
}

static inline int s_r_fill(snap_reader_t *r, size_t n) {
    if ((size_t)(r->end - r->p) >= n) return 0;
    return s_r_fill_slow(r, n);
}

int snap_get_u8(snap_reader_t *r, uint8_t *v) {
    if (s_r_fill(r, 1) < 0) return -1;
    *v = *r->p++;
    return 0;
}

int snap_get_u64(snap_reader_t *r, uint64_t *v) {
    if (r->end - r->p >= 10) { /* the common case: no refill can be needed */
        const unsigned char *p = r->p;
        uint64_t x = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            unsigned char b = *p++;
            if (shift == 63 && b > 1) break;
            x |= (uint64_t)(b & 0x7f) << shift;
            if (!(b & 0x80)) {
                r->p = p;
                *v = x;
                return 0;
            }
        }
        r->p = p;
        return snap_fail(r, "malformed number (more than 64 bits)");
    }
    uint64_t x = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (s_r_fill(r, 1) < 0) return -1;
        unsigned char b = *r->p++;
        if (shift == 63 && b > 1) return snap_fail(r, "malformed number (more than 64 bits)");
        x |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return 0;
        }
    }
    return snap_fail(r, "malformed number (more than 64 bits)");
}

int snap_get_i64(snap_reader_t *r, int64_t *v) {
    uint64_t u;
    if (snap_get_u64(r, &u) < 0) return -1;
    *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    return 0;
}

int snap_get_double(snap_reader_t *r, double *v) {
    if (s_r_fill(r, 8) < 0) return -1;
    uint64_t bits = 0;
    for (int i = 0; i < 8; i++)
        bits |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    memcpy(v, &bits, 8);
    return 0;
}

/* An upper bound of the uncompressed bytes still to come. */
static uint64_t s_r_left_bound(const snap_reader_t *r) {
    uint64_t have = (uint64_t)(r->end - r->p);
    if (!r->buf || r->frame_done) return have;
    if (!r->file_size) return UINT64_MAX / 2; /* a pipe: no bound from the size */
    uint64_t zleft = (uint64_t)(r->in_len - r->in_pos);
    if (r->file_size > r->file_off) zleft += r->file_size - r->file_off;
    if (zleft > UINT64_MAX / SNAP_ZSTD_MAX_RATIO / 2) return UINT64_MAX / 2;
    return have + zleft * SNAP_ZSTD_MAX_RATIO + ZSTD_BLOCKSIZE_MAX;
}

int snap_get_bytes(snap_reader_t *r, const char **p, size_t *len) {
    uint64_t n;
    if (snap_get_u64(r, &n) < 0) return -1;
    if (n > s_r_left_bound(r) || n > SIZE_MAX / 2)
        return s_failf(r, "bad length %" PRIu64 " (beyond the end of the data)", n);
    if (s_r_fill(r, (size_t)n) < 0) return -1;
    *p = (const char *)r->p;
    *len = (size_t)n;
    r->p += n;
    return 0;
}

int snap_get_count(snap_reader_t *r, uint64_t *n) {
    if (snap_get_u64(r, n) < 0) return -1;
    if (*n > s_r_left_bound(r))
        return s_failf(r, "bad count %" PRIu64 " (more items than bytes left)", *n);
    return 0;
}

int snap_get_size(snap_reader_t *r, uint64_t *n, const char *what) {
    if (snap_get_count(r, n) < 0) return -1;
    if (*n == 0) return s_failf(r, "empty %s", what);
    return 0;
}

/* A capacity to pre-size for n items just read with snap_get_count: n, unless a damaged
 * count would make us allocate far more than the data could hold. */
uint64_t snap_presize(const snap_reader_t *r, uint64_t n) {
    if (n <= (uint64_t)(r->end - r->p) || n <= SNAP_PRESIZE_MAX) return n;
    /* real data takes at least about a compressed byte per item: a file of F bytes may
     * pre-size for F items (8 bytes of table each); beyond that the table grows as needed */
    uint64_t cap = r->buf && r->file_size > SNAP_PRESIZE_MAX ? r->file_size : SNAP_PRESIZE_MAX;
    return n < cap ? n : cap;
}

void snap_reader_set_context(snap_reader_t *r, const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(r->ctx, sizeof r->ctx, fmt, ap);
    va_end(ap);
}

/* ===================== sections ===================== */

#define SNAP_SECTIONS_MAX 64
static const snap_section_t *s_sections[SNAP_SECTIONS_MAX];
static int s_nsections;

void snapshot_register_section(const snap_section_t *s) {
    for (int i = 0; i < s_nsections; i++)
        if (strcmp(s_sections[i]->name, s->name) == 0) abort(); /* two owners of one name */
    if (s_nsections == SNAP_SECTIONS_MAX) abort();
    s_sections[s_nsections++] = s;
}

static const snap_section_t *s_section_find(const char *name, size_t len) {
    for (int i = 0; i < s_nsections; i++)
        if (strlen(s_sections[i]->name) == len && memcmp(s_sections[i]->name, name, len) == 0)
            return s_sections[i];
    return NULL;
}

/* ===================== writing a file ===================== */

static void s_prefix(unsigned char out[SNAP_PREFIX_LEN]) {
    memcpy(out, SNAP_MAGIC, SNAP_MAGIC_LEN);
    uint32_t v = SNAP_FORMAT_VERSION;
    for (int i = 0; i < 4; i++)
        out[SNAP_MAGIC_LEN + i] = (unsigned char)(v >> (8 * i));
}

static int s_db_is_saved(const db_t *db) { return db->name != NULL || dict_size(db->keys) > 0; }

static void s_write_db(snap_writer_t *w, db_t *db) {
    snap_put_u8(w, SNAP_OP_DB);
    snap_put_u64(w, (uint64_t)db->id);
    snap_put_u8(w, db->name ? 1 : 0);
    if (db->name) snap_put_bytes(w, db->name, strlen(db->name));
    snap_put_u64(w, dict_size(db->keys));
    snap_put_u64(w, dict_size(db->expires));
    int has_expires = dict_size(db->expires) > 0;
    /* iterators pause rehashing: lookups must not move entries (in a forked child that
     * would copy pages for nothing) */
    dict_iter_t it, pause;
    dict_iter_init(&pause, db->expires);
    dict_iter_init(&it, db->keys);
    dict_entry_t *de;
    while ((de = dict_iter_next(&it)) != NULL && !w->err) {
        const vstr_t *k = de->key;
        const vobj_t *o = de->v.val;
        const obj_type_t *t = obj_types[o->type];
        if (!t || !t->save) {
            s_w_fail(w, EINVAL, "a key's type cannot be saved");
            break;
        }
        dict_entry_t *ex = has_expires ? dict_find(db->expires, k) : NULL;
        snap_put_u8(w, (uint8_t)(o->type | (ex ? SNAP_TTL_FLAG : 0)));
        snap_put_bytes(w, k->ptr, k->len);
        if (ex) snap_put_i64(w, ex->v.s64);
        t->save(o, w);
    }
    dict_iter_done(&it);
    dict_iter_done(&pause);
}

static void s_write_sections(engine_t *e, snap_writer_t *w) {
    snap_put_u8(w, SNAP_OP_SECTIONS);
    snap_put_u64(w, (uint64_t)s_nsections);
    for (int i = 0; i < s_nsections; i++) {
        const snap_section_t *s = s_sections[i];
        /* a section's payload is gathered in memory so its length can precede it */
        snap_writer_t sub = {.fd = -1, .cap = 4096};
        sub.buf = s_xmalloc(sub.cap);
        s->save(e, &sub);
        snap_put_bytes(w, s->name, strlen(s->name));
        snap_put_bytes(w, sub.buf, sub.len);
        free(sub.buf);
    }
}

int snapshot_write_fd(engine_t *e, int fd, uint64_t seq, char *err, size_t errlen) {
    snap_writer_t w = {.fd = fd, .cap = SNAP_STAGE};
    w.buf = s_xmalloc(w.cap);
    w.zc = ZSTD_createCStream();
    w.xx = XXH3_createState();
    if (!w.zc || !w.xx) abort();
    XXH3_64bits_reset(w.xx);
    ZSTD_CCtx_setParameter(w.zc, ZSTD_c_compressionLevel, SNAP_ZSTD_LEVEL);
    w.zcap = ZSTD_CStreamOutSize();
    w.zout = s_xmalloc(w.zcap);

    unsigned char prefix[SNAP_PREFIX_LEN];
    s_prefix(prefix);
    XXH3_64bits_update(w.xx, prefix, sizeof prefix);
    if (s_write_all(fd, prefix, sizeof prefix) < 0) s_w_fail(&w, errno, "write");
    w.file_bytes = sizeof prefix;

    /* header */
    snap_put_u64(&w, (uint64_t)now_ms());
    snap_put_u64(&w, seq);
    snap_put_bytes(&w, VOLE_VERSION, strlen(VOLE_VERSION));
    snap_put_bytes(&w, e->run_id, strlen(e->run_id));
    uint64_t ndbs = 0;
    for (int i = 0; i < e->ndbs; i++)
        ndbs += s_db_is_saved(&e->dbs[i]);
    snap_put_u64(&w, ndbs);
    for (int i = 0; i < e->ndbs && !w.err; i++)
        if (s_db_is_saved(&e->dbs[i])) s_write_db(&w, &e->dbs[i]);
    s_write_sections(e, &w);
    snap_put_u8(&w, SNAP_OP_END);
    s_w_flush(&w);

    /* the checksum follows the bytes it covers, inside the compressed frame */
    uint64_t sum = XXH3_64bits_digest(w.xx);
    unsigned char sb[8];
    for (int i = 0; i < 8; i++)
        sb[i] = (unsigned char)(sum >> (8 * i));
    s_w_feed(&w, sb, 8, 0, ZSTD_e_end);

    int rc = 0;
    if (w.err) {
        snprintf(err, errlen, "snapshot write failed: %s (%s)", w.err_what ? w.err_what : "error",
                 strerror(w.err));
        errno = w.err;
        rc = -1;
    }
    free(w.buf);
    free(w.zout);
    ZSTD_freeCStream(w.zc);
    XXH3_freeState(w.xx);
    return rc;
}

/* A failed step of a safe save: the message names what and why (errno), the descriptor is
 * closed and the temp file removed; errno is kept for the caller. */
static int s_save_fail(int fd, const char *tmp, char *err, size_t errlen, const char *what,
                       const char *path) {
    int en = errno;
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(en));
    if (fd >= 0) close(fd);
    if (tmp) unlink(tmp);
    errno = en;
    return -1;
}

int snapshot_save_file(engine_t *e, const char *path, uint64_t seq, char *err, size_t errlen) {
    char tmp[4096], dir[4096];
    if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid()) >= sizeof tmp) {
        errno = ENAMETOOLONG;
        return s_save_fail(-1, NULL, err, errlen, "cannot save", path);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd < 0) return s_save_fail(-1, NULL, err, errlen, "cannot create", tmp);
    if (snapshot_write_fd(e, fd, seq, err, errlen) < 0) {
        int en = errno; /* err says what already */
        close(fd);
        unlink(tmp);
        errno = en;
        return -1;
    }
    if (fsync(fd) < 0) return s_save_fail(fd, tmp, err, errlen, "cannot fsync", tmp);
    if (close(fd) < 0) return s_save_fail(-1, tmp, err, errlen, "cannot close", tmp);
    if (rename(tmp, path) < 0) return s_save_fail(-1, tmp, err, errlen, "cannot rename to", path);
    snprintf(dir, sizeof dir, "%s", path);
    const char *d = dirname(dir);
    int dfd = open(d, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (dfd < 0 || fsync(dfd) < 0)
        return s_save_fail(dfd, NULL, err, errlen, "cannot fsync directory", d);
    close(dfd);
    return 0;
}

/* ===================== reading a file ===================== */

/* What a load found: the checker prints it, a load reports progress from it. */
typedef struct s_db_info {
    uint64_t id;
    char name[128];
    int named;
    uint64_t keys, expires;
} s_db_info_t;

typedef struct s_summary {
    uint64_t ctime_ms, seq;
    char version[64], run_id[64];
    uint64_t keys;
    uint64_t by_type[OBJ_TYPE_MAX];
    uint64_t by_enc[OBJ_TYPE_MAX][16];
    s_db_info_t *dbs;
    size_t ndbs;
    char (*sections)[64];
    uint64_t *section_bytes;
    size_t nsections;
    uint64_t raw_bytes, file_bytes;
} s_summary_t;

static void s_summary_free(s_summary_t *s) {
    free(s->dbs);
    free(s->sections);
    free(s->section_bytes);
}

typedef struct s_load {
    engine_t *e; /* receives the data (load), or a scratch engine for sections (check) */
    int check;   /* verify only: values are freed once read */
    snap_reader_t *r;
    snap_progress_fn *progress;
    void *ctx;
    s_summary_t sum;
    int orig_ndbs; /* namespaces past this were created by this load */
} s_load_t;

static int s_get_str(snap_reader_t *r, char *dst, size_t cap, const char *what) {
    const char *p;
    size_t len;
    if (snap_get_bytes(r, &p, &len) < 0) return -1;
    if (len >= cap) return s_failf(r, "%s too long (%zu bytes)", what, len);
    if (memchr(p, '\0', len)) return s_failf(r, "%s holds a NUL byte", what);
    memcpy(dst, p, len);
    dst[len] = '\0';
    return 0;
}

/* The database a namespace's keys go to: its saved slot (effects after the snapshot name
 * databases by number), made a namespace of that name (engine/core.h: e->dbs never moves). */
static db_t *s_namespace_db(engine_t *e, uint64_t id, const char *name) {
    if (id > INT_MAX) return NULL;
    return namespace_slot(e, (int)id, name, strlen(name));
}

/* A key as text for messages: at most cap-4 bytes, unprintable ones as '?'. */
static void s_printable(char *dst, size_t cap, const char *p, size_t len) {
    size_t n = len < cap - 4 ? len : cap - 4, i;
    for (i = 0; i < n; i++)
        dst[i] = p[i] >= 0x20 && p[i] < 0x7f ? p[i] : '?';
    if (n < len) dst[i++] = '.', dst[i++] = '.', dst[i++] = '.';
    dst[i] = '\0';
}

static const dict_type_t s_check_keys_type = {vstr_dict_hash, vstr_dict_eq, vstr_dict_free, NULL};

static int s_read_db(s_load_t *L) {
    snap_reader_t *r = L->r;
    engine_t *e = L->e;
    uint8_t op;
    uint64_t id, nkeys, nexpires;
    uint8_t named;
    char name[128] = "";
    snap_reader_set_context(r, "database header");
    if (snap_get_u8(r, &op) < 0) return -1;
    if (op != SNAP_OP_DB)
        return s_failf(r, "expected a database (marker 0x%02x), found 0x%02x", SNAP_OP_DB, op);
    if (snap_get_u64(r, &id) < 0 || snap_get_u8(r, &named) < 0) return -1;
    if (named > 1) return s_failf(r, "bad database name flag %u", named);
    if (named && s_get_str(r, name, sizeof name, "namespace name") < 0) return -1;
    if (named && !name[0]) return snap_fail(r, "empty namespace name");
    if (snap_get_count(r, &nkeys) < 0 || snap_get_u64(r, &nexpires) < 0) return -1;
    if (nexpires > nkeys)
        return s_failf(r,
                       "database %" PRIu64 " claims %" PRIu64 " expiry times for %" PRIu64 " keys",
                       id, nexpires, nkeys);

    for (size_t i = 0; i < L->sum.ndbs; i++)
        if (L->sum.dbs[i].named == named &&
            (named ? strcmp(L->sum.dbs[i].name, name) == 0 : L->sum.dbs[i].id == id))
            return s_failf(r, "database %s%s%" PRIu64 " appears twice", named ? name : "",
                           named ? " " : "", id);
    dict_t *keys, *expires = NULL;
    if (L->check) {
        keys = dict_new(&s_check_keys_type);
    } else {
        db_t *db;
        if (named) {
            db = s_namespace_db(e, id, name);
            if (!db)
                return s_failf(r, "namespace %s: slot %" PRIu64 " out of range or taken", name,
                               id);
        } else {
            if (id >= (uint64_t)e->cfg.databases)
                return s_failf(r, "database %" PRIu64 " out of range (databases is %d)", id,
                               e->cfg.databases);
            db = &e->dbs[id];
        }
        keys = db->keys;
        expires = db->expires;
    }
    uint64_t hint = snap_presize(r, nkeys);
    if (hint) dict_expand(keys, hint);
    if (expires && nexpires) dict_expand(expires, snap_presize(r, nexpires));

    L->sum.dbs = s_xrealloc(L->sum.dbs, (L->sum.ndbs + 1) * sizeof(s_db_info_t));
    s_db_info_t *info = &L->sum.dbs[L->sum.ndbs++];
    memset(info, 0, sizeof *info);
    info->id = id;
    info->named = named;
    snprintf(info->name, sizeof info->name, "%s", name);

    int rc = 0;
    uint64_t ttls = 0;
    /* the context is only written out when something fails: formatting it per key would
     * cost more than reading most keys */
    snap_reader_set_context(r, "database %" PRIu64, id);
    for (uint64_t k = 0; k < nkeys; k++) {
        uint8_t tb;
        const char *kp;
        size_t klen;
        int64_t when = 0;
        if (snap_get_u8(r, &tb) < 0) {
            rc = -1;
            break;
        }
        int type = tb & ~SNAP_TTL_FLAG;
        const obj_type_t *t = type < OBJ_TYPE_MAX ? obj_types[type] : NULL;
        if (!t || !t->load) {
            snap_reader_set_context(r, "database %" PRIu64 ", key %" PRIu64 " of %" PRIu64, id,
                                    k + 1, nkeys);
            rc = s_failf(r, "unknown type %d", type);
            break;
        }
        if (snap_get_bytes(r, &kp, &klen) < 0) {
            snap_reader_set_context(r, "database %" PRIu64 ", key %" PRIu64 " of %" PRIu64, id,
                                    k + 1, nkeys);
            rc = -1;
            break;
        }
        vstr_t *key = vstr_new(kp, klen);
        vobj_t *o = NULL;
        if (!(tb & SNAP_TTL_FLAG) || snap_get_i64(r, &when) == 0) o = t->load(e, r);
        if (o && o->type != type) abort(); /* a type's load returned another type */
        dict_entry_t *de = NULL;
        if (o) {
            o->lru = e->lruclock;
            de = dict_add(keys, key, L->check ? NULL : o);
            if (!de) snap_fail(r, "duplicate key");
        } else if (!r->failed) {
            snap_fail(r, "the value could not be read");
        }
        if (!de) {
            char shown[64];
            s_printable(shown, sizeof shown, key->ptr, key->len);
            snap_reader_set_context(r, "database %" PRIu64 ", key '%s' (%s)", id, shown, t->name);
            vstr_free(key);
            obj_free(o);
            rc = -1;
            break;
        }
        L->sum.by_type[type]++;
        L->sum.by_enc[type][o->enc & 15]++;
        if (L->check) obj_free(o);
        if (tb & SNAP_TTL_FLAG) {
            ttls++;
            if (expires) dict_add(expires, key, NULL)->v.s64 = when;
        }
        L->sum.keys++;
        info->keys++;
        if (L->progress && L->sum.keys % SNAP_PROGRESS_EVERY == 0)
            L->progress(L->ctx, L->sum.keys, s_r_raw_off(r));
    }
    info->expires = ttls;
    if (L->check) dict_destroy(&keys);
    if (rc == 0 && ttls != nexpires)
        rc = s_failf(r,
                     "database %" PRIu64 " has %" PRIu64 " keys with an expiry time, its "
                     "header says %" PRIu64,
                     id, ttls, nexpires);
    return rc;
}

static int s_read_sections(s_load_t *L) {
    snap_reader_t *r = L->r;
    uint8_t op;
    uint64_t n;
    snap_reader_set_context(r, "sections");
    if (snap_get_u8(r, &op) < 0) return -1;
    if (op != SNAP_OP_SECTIONS)
        return s_failf(r, "expected the sections (marker 0x%02x), found 0x%02x", SNAP_OP_SECTIONS,
                       op);
    if (snap_get_count(r, &n) < 0) return -1;
    for (uint64_t i = 0; i < n; i++) {
        char name[64];
        const char *p;
        size_t len;
        if (s_get_str(r, name, sizeof name, "section name") < 0) return -1;
        for (size_t j = 0; j < L->sum.nsections; j++)
            if (strcmp(L->sum.sections[j], name) == 0)
                return s_failf(r, "section '%s' appears twice", name);
        const snap_section_t *s = s_section_find(name, strlen(name));
        if (!s) return s_failf(r, "unknown section '%s' (a newer Vole wrote this file?)", name);
        snap_reader_set_context(r, "section '%s'", name);
        uint64_t start = s_r_raw_off(r);
        if (snap_get_bytes(r, &p, &len) < 0) return -1;
        /* the payload is read from memory: a section can never read past its own end */
        snap_reader_t sub = {.p = (const unsigned char *)p,
                             .end = (const unsigned char *)p + len,
                             .start = (const unsigned char *)p,
                             .fd = -1,
                             .parent = r,
                             .file_off = r->file_off};
        sub.base = start + (s_r_raw_off(r) - start - len);
        snprintf(sub.ctx, sizeof sub.ctx, "%s", r->ctx);
        if (s->load(L->e, &sub) < 0) {
            if (!r->failed) snap_fail(r, "section could not be read");
            return -1;
        }
        if (sub.failed) return -1;
        if (sub.p != sub.end)
            return s_failf(r, "section '%s' left %zu bytes unread", name,
                           (size_t)(sub.end - sub.p));
        L->sum.sections = s_xrealloc(L->sum.sections, (L->sum.nsections + 1) * 64);
        L->sum.section_bytes =
            s_xrealloc(L->sum.section_bytes, (L->sum.nsections + 1) * sizeof(uint64_t));
        snprintf(L->sum.sections[L->sum.nsections], 64, "%s", name);
        L->sum.section_bytes[L->sum.nsections++] = len;
    }
    return 0;
}

/* After the checksum: the compressed frame must end with no more data, and the file with it. */
static int s_r_expect_end(snap_reader_t *r) {
    if (r->p != r->end) return snap_fail(r, "data after the checksum");
    r->base += (uint64_t)(r->p - r->buf);
    r->p = r->end = r->hashed = r->buf;
    while (!r->frame_done) {
        size_t have = 0;
        if (s_r_step(r, r->cap, &have) < 0) return -1;
        if (have) return snap_fail(r, "data after the checksum");
    }
    if (r->in_pos < r->in_len) return snap_fail(r, "trailing bytes after the compressed data");
    char extra;
    ssize_t k;
    while ((k = read(r->fd, &extra, 1)) < 0 && errno == EINTR) {
    }
    if (k > 0) return snap_fail(r, "trailing bytes after the compressed data");
    return 0;
}

/* Reads the prefix and the whole stream; 0, or -1 with r failed. */
static int s_read_all(s_load_t *L) {
    snap_reader_t *r = L->r;
    unsigned char prefix[SNAP_PREFIX_LEN];
    size_t got = 0;
    while (got < sizeof prefix) {
        ssize_t k = read(r->fd, prefix + got, sizeof prefix - got);
        if (k < 0 && errno == EINTR) continue;
        if (k < 0) return s_failf(r, "read error: %s", strerror(errno));
        if (k == 0) break;
        got += (size_t)k;
    }
    r->file_off = got;
    if (got < SNAP_MAGIC_LEN || memcmp(prefix, SNAP_MAGIC, SNAP_MAGIC_LEN) != 0)
        return snap_fail(r, "not a Vole snapshot (bad magic)");
    if (got < sizeof prefix) return snap_fail(r, "truncated: the file ends inside its prefix");
    uint32_t version = 0;
    for (int i = 0; i < 4; i++)
        version |= (uint32_t)prefix[SNAP_MAGIC_LEN + i] << (8 * i);
    if (version != SNAP_FORMAT_VERSION)
        return s_failf(r, "unsupported format version %u (this Vole reads version %d)", version,
                       SNAP_FORMAT_VERSION);
    XXH3_64bits_update(r->xx, prefix, sizeof prefix);

    snap_reader_set_context(r, "header");
    uint64_t ndbs;
    if (snap_get_u64(r, &L->sum.ctime_ms) < 0 || snap_get_u64(r, &L->sum.seq) < 0 ||
        s_get_str(r, L->sum.version, sizeof L->sum.version, "version") < 0 ||
        s_get_str(r, L->sum.run_id, sizeof L->sum.run_id, "run id") < 0 ||
        snap_get_count(r, &ndbs) < 0)
        return -1;
    for (uint64_t i = 0; i < ndbs; i++)
        if (s_read_db(L) < 0) return -1;
    if (s_read_sections(L) < 0) return -1;
    uint8_t op;
    snap_reader_set_context(r, "end");
    if (snap_get_u8(r, &op) < 0) return -1;
    if (op != SNAP_OP_END) return s_failf(r, "expected the end marker, found 0x%02x", op);
    s_r_hash_consumed(r);
    uint64_t want = XXH3_64bits_digest(r->xx);
    if (s_r_fill(r, 8) < 0) return -1;
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum |= (uint64_t)r->p[i] << (8 * i);
    r->p += 8;
    if (sum != want)
        return s_failf(r, "checksum mismatch (file says %016" PRIx64 ", data gives %016" PRIx64 ")",
                       sum, want);
    r->hashed = r->p; /* the checksum itself is not covered */
    if (s_r_expect_end(r) < 0) return -1;
    L->sum.raw_bytes = s_r_raw_off(r);
    L->sum.file_bytes = r->file_off;
    return 0;
}

static void s_reader_init(snap_reader_t *r, int fd) {
    memset(r, 0, sizeof *r);
    r->fd = fd;
    r->cap = 1 << 20;
    r->buf = s_xmalloc(r->cap);
    r->p = r->end = r->hashed = r->buf;
    r->in_cap = ZSTD_DStreamInSize();
    r->in = s_xmalloc(r->in_cap);
    r->zd = ZSTD_createDStream();
    r->xx = XXH3_createState();
    if (!r->zd || !r->xx) abort();
    ZSTD_initDStream(r->zd);
    XXH3_64bits_reset(r->xx);
    struct stat st;
    r->file_size = fstat(fd, &st) == 0 && S_ISREG(st.st_mode) ? (uint64_t)st.st_size : 0;
}

static void s_reader_free(snap_reader_t *r) {
    free(r->buf);
    free(r->in);
    ZSTD_freeDStream(r->zd);
    XXH3_freeState(r->xx);
}

static void s_error_message(const snap_reader_t *r, const char *path, char *err, size_t errlen) {
    snprintf(err, errlen,
             "bad snapshot %s: %s, at byte %" PRIu64 " of the uncompressed data "
             "(file read up to byte %" PRIu64 "), while reading %s",
             path, r->why, r->fail_raw, r->fail_file, r->ctx[0] ? r->ctx : "the prefix");
}

/* Empties what a failed load put in e: keys, namespaces it created, sections' state. */
static void s_undo(s_load_t *L) {
    engine_t *e = L->e;
    for (int i = 0; i < e->ndbs; i++) {
        dict_clear(e->dbs[i].expires);
        dict_clear(e->dbs[i].keys);
    }
    while (e->ndbs > L->orig_ndbs) {
        db_t *db = &e->dbs[--e->ndbs];
        dict_destroy(&db->expires);
        dict_destroy(&db->keys);
        free(db->name);
    }
    for (int i = 0; i < s_nsections; i++)
        if (s_sections[i]->clear) s_sections[i]->clear(e);
}

static int s_engine_is_empty(const engine_t *e) {
    for (int i = 0; i < e->ndbs; i++)
        if (dict_size(e->dbs[i].keys)) return 0;
    return 1;
}

int snapshot_load_file(engine_t *e, const char *path, uint64_t *seq, snap_progress_fn *progress,
                       void *ctx, char *err, size_t errlen) {
    if (!s_engine_is_empty(e)) {
        snprintf(err, errlen, "cannot load %s: the engine holds keys already", path);
        return -1;
    }
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    snap_reader_t r;
    s_reader_init(&r, fd);
    s_load_t L = {.e = e, .r = &r, .progress = progress, .ctx = ctx, .orig_ndbs = e->ndbs};
    int rc = s_read_all(&L);
    if (rc < 0) {
        s_error_message(&r, path, err, errlen);
        s_undo(&L);
    } else {
        if (seq) *seq = L.sum.seq;
        if (progress) progress(ctx, L.sum.keys, L.sum.raw_bytes);
    }
    s_summary_free(&L.sum);
    s_reader_free(&r);
    close(fd);
    return rc;
}

/* ===================== vole check-snapshot ===================== */

static void s_print_summary(const char *path, const s_summary_t *s) {
    time_t t = (time_t)(s->ctime_ms / 1000);
    struct tm tm;
    char when[64];
    gmtime_r(&t, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    printf("snapshot %s: OK\n", path);
    printf("format version: %d\n", SNAP_FORMAT_VERSION);
    printf("written by: vole %s, run id %s\n", s->version, s->run_id);
    printf("created: %s (%" PRIu64 " ms)\n", when, s->ctime_ms);
    printf("sequence: %" PRIu64 "\n", s->seq);
    printf("size: %" PRIu64 " bytes in the file, %" PRIu64 " uncompressed\n", s->file_bytes,
           s->raw_bytes);
    printf("keys: %" PRIu64 "\n", s->keys);
    for (size_t i = 0; i < s->ndbs; i++) {
        const s_db_info_t *d = &s->dbs[i];
        if (d->named)
            printf("namespace %s: keys=%" PRIu64 ",expires=%" PRIu64 "\n", d->name, d->keys,
                   d->expires);
        else
            printf("db%" PRIu64 ": keys=%" PRIu64 ",expires=%" PRIu64 "\n", d->id, d->keys,
                   d->expires);
    }
    for (int t = 0; t < OBJ_TYPE_MAX; t++) {
        if (!s->by_type[t]) continue;
        printf("type %s: %" PRIu64 " (", obj_types[t]->name, s->by_type[t]);
        int first = 1;
        for (int enc = 0; enc < 16; enc++) {
            if (!s->by_enc[t][enc]) continue;
            vobj_t probe = {.type = (uint8_t)t, .enc = (uint8_t)enc};
            printf("%s%s %" PRIu64, first ? "" : ", ", obj_encoding_name(&probe),
                   s->by_enc[t][enc]);
            first = 0;
        }
        printf(")\n");
    }
    printf("sections: %zu\n", s->nsections);
    for (size_t i = 0; i < s->nsections; i++)
        printf("section %s: %" PRIu64 " bytes\n", s->sections[i], s->section_bytes[i]);
}

int snapshot_check_main(int argc, char **argv) {
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: vole check-snapshot FILE\n"
                        "Verifies a snapshot file and prints what it holds (exit 0), or what is "
                        "wrong and where (exit 1).\n");
        return argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) ? 0 : 1;
    }
    const char *path = argv[1];
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        fprintf(stderr, "cannot open %s: %s\n", path, strerror(errno));
        return 1;
    }
    engine_t *scratch = engine_new_for_test(); /* sections load into it, then it goes */
    snap_reader_t r;
    s_reader_init(&r, fd);
    s_load_t L = {.e = scratch, .check = 1, .r = &r, .orig_ndbs = scratch->ndbs};
    int rc = s_read_all(&L);
    if (rc < 0) {
        char err[1024];
        s_error_message(&r, path, err, sizeof err);
        printf("%s\n", err);
    } else {
        s_print_summary(path, &L.sum);
    }
    s_summary_free(&L.sum);
    s_reader_free(&r);
    close(fd);
    engine_free_for_test(scratch);
    return rc < 0 ? 1 : 0;
}
