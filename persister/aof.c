/* Append-only file formats: manifest and segments (see aof.h, docs/file-formats.md). */
#include "persister/aof.h"
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/crc32c.h"

#define MANIFEST_HEAD "# vole append-only manifest: written by the persister, do not edit\n"

void aof_manifest_init(aof_manifest_t *m) {
    memset(m, 0, sizeof *m);
    m->next_no = 1;
}

void aof_manifest_free(aof_manifest_t *m) {
    free(m->segs);
    memset(m, 0, sizeof *m);
}

void aof_manifest_add_seg(aof_manifest_t *m, const char *name, uint64_t first) {
    if (m->nsegs == m->cap) {
        m->cap = m->cap ? m->cap * 2 : 8;
        m->segs = realloc(m->segs, m->cap * sizeof *m->segs);
        if (!m->segs) abort();
    }
    snprintf(m->segs[m->nsegs].name, sizeof m->segs[m->nsegs].name, "%s", name);
    m->segs[m->nsegs].first = first;
    m->nsegs++;
}

/* A file name we write ourselves: no directories, nothing odd. */
static int s_name_ok(const char *n) {
    if (!*n || !strcmp(n, ".") || !strcmp(n, "..")) return 0;
    for (const char *p = n; *p; p++)
        if (*p == '/' || (unsigned char)*p < 0x21) return 0;
    return 1;
}

int aof_manifest_load(const char *dir, const char *name, aof_manifest_t *m, char *err,
                      size_t errlen) {
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    aof_manifest_init(m);
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT) return 0;
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return -1;
    }
    char line[1024];
    int lineno = 0, format = 0;
    while (fgets(line, sizeof line, f)) {
        lineno++;
        size_t n = strlen(line);
        if (n && line[n - 1] == '\n') line[--n] = '\0';
        else if (!feof(f)) goto bad;
        if (n == 0 || line[0] == '#') continue;
        char kw[32], file[256];
        uint64_t a, b;
        if (sscanf(line, "format %" SCNu64, &a) == 1) {
            if (a != 1) {
                snprintf(err, errlen, "%s: format %" PRIu64 " is not one this Vole reads", path, a);
                fclose(f);
                return -1;
            }
            format = 1;
        } else if (sscanf(line, "next %" SCNu64, &a) == 1) {
            m->next_no = a;
        } else if (sscanf(line, "%31s %255s %" SCNu64 " %" SCNu64, kw, file, &a, &b) >= 3 &&
                   s_name_ok(file)) {
            if (!strcmp(kw, "base") && !m->has_base) {
                m->has_base = 1;
                snprintf(m->base, sizeof m->base, "%s", file);
                m->base_seq = a;
            } else if (!strcmp(kw, "segment")) {
                aof_manifest_add_seg(m, file, a);
            } else {
                goto bad;
            }
        } else {
            goto bad;
        }
    }
    fclose(f);
    if (!format) {
        snprintf(err, errlen, "%s: no format line; not a Vole manifest", path);
        aof_manifest_free(m);
        return -1;
    }
    return 1;
bad:
    snprintf(err, errlen, "%s line %d: cannot be read", path, lineno);
    fclose(f);
    aof_manifest_free(m);
    return -1;
}

int aof_pwrite_all(int fd, const char *p, size_t n, off_t off) {
    while (n > 0) {
        ssize_t w = pwrite(fd, p, n, off);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            return -1;
        }
        p += w, n -= (size_t)w, off += w;
    }
    return 0;
}

int aof_write_all(int fd, const char *p, size_t n) {
    while (n > 0) {
        ssize_t w = write(fd, p, n);
        if (w < 0) {
            if (errno == EINTR) continue;
            return -1;
        }
        p += w;
        n -= (size_t)w;
    }
    return 0;
}

int aof_manifest_save(const char *dir, const char *name, const aof_manifest_t *m, char *err,
                      size_t errlen) {
    buf_t b;
    buf_init(&b);
    buf_append_str(&b, MANIFEST_HEAD);
    buf_printf(&b, "format 1\nnext %" PRIu64 "\n", m->next_no);
    if (m->has_base) buf_printf(&b, "base %s %" PRIu64 "\n", m->base, m->base_seq);
    for (size_t i = 0; i < m->nsegs; i++)
        buf_printf(&b, "segment %s %" PRIu64 "\n", m->segs[i].name, m->segs[i].first);
    char path[1100];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    int rc = file_replace(path, b.data, b.len, 0644, err, errlen);
    buf_free(&b);
    return rc;
}

void aof_put_record(buf_t *b, uint64_t seq, const void *p, uint32_t len) {
    char hdr[AOF_REC_HDR];
    memcpy(hdr, &len, 4);
    memcpy(hdr + 4, &seq, 8);
    uint32_t crc = crc32c(0, hdr, 12);
    crc = crc32c(crc, p, len);
    memcpy(hdr + 12, &crc, 4);
    buf_append(b, hdr, AOF_REC_HDR);
    buf_append(b, p, len);
}

/* 1 when every byte of fd from off to size is zero (space reserved ahead of the writes and
 * never written), 0 when some byte is not, -1 on a read error. */
static int s_zero_from(int fd, off_t off, off_t size) {
    char chunk[65536];
    while (off < size) {
        size_t want = size - off < (off_t)sizeof chunk ? (size_t)(size - off) : sizeof chunk;
        ssize_t n = pread(fd, chunk, want, off);
        if (n < 0 && errno == EINTR) continue;
        if (n <= 0) return n < 0 ? -1 : 1;
        for (ssize_t i = 0; i < n; i++)
            if (chunk[i]) return 0;
        off += n;
    }
    return 1;
}

int aof_scan(const char *path, aof_rec_fn *fn, void *ctx, off_t *good_end, uint64_t *nrecs,
             char *err, size_t errlen) {
    *good_end = 0;
    if (nrecs) *nrecs = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return AOF_IOERR;
    }
    struct stat st;
    if (fstat(fd, &st) < 0) {
        snprintf(err, errlen, "cannot stat %s: %s", path, strerror(errno));
        close(fd);
        return AOF_IOERR;
    }
    off_t size = st.st_size;
    /* read in large chunks; a record may span chunk boundaries */
    size_t cap = 4u << 20, have = 0, pos = 0;
    char *buf = malloc(cap);
    if (!buf) abort();
    off_t base = 0; /* file offset of buf[0] */
    int rc = AOF_OK;
    char magic[AOF_SEG_HDR];
    ssize_t r = pread(fd, magic, AOF_SEG_HDR, 0);
    if (r < AOF_SEG_HDR) {
        /* an empty or cut header: nothing was ever acknowledged from this file */
        *good_end = 0;
        rc = size == 0 ? AOF_OK : AOF_TORN;
        if (size > 0 && r == (ssize_t)size && memcmp(magic, AOF_SEG_MAGIC, (size_t)r) != 0) {
            snprintf(err, errlen, "%s: not a Vole AOF segment (bad magic)", path);
            rc = AOF_CORRUPT;
        }
        goto out;
    }
    if (memcmp(magic, AOF_SEG_MAGIC, AOF_SEG_HDR) != 0) {
        snprintf(err, errlen, "%s: not a Vole AOF segment (bad magic at offset 0)", path);
        rc = AOF_CORRUPT;
        goto out;
    }
    base = AOF_SEG_HDR;
    *good_end = AOF_SEG_HDR;
    for (;;) {
        /* make sure a header (and then the payload) is in memory */
        off_t off = base + (off_t)pos;
        if (off == size) break;
        size_t need = AOF_REC_HDR;
        for (int phase = 0; phase < 2; phase++) {
            if (have - pos < need) {
                memmove(buf, buf + pos, have - pos);
                have -= pos;
                base += (off_t)pos;
                pos = 0;
                if (need > cap) {
                    cap = need;
                    buf = realloc(buf, cap);
                    if (!buf) abort();
                }
                while (have < need) {
                    ssize_t n = pread(fd, buf + have, cap - have, base + (off_t)have);
                    if (n < 0 && errno == EINTR) continue;
                    if (n < 0) {
                        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
                        rc = AOF_IOERR;
                        goto out;
                    }
                    if (n == 0) break;
                    have += (size_t)n;
                }
                if (have < need) {
                    /* the file ends inside this record, unless the few bytes left are
                     * reserved space (zeros) */
                    if (phase == 0 && s_zero_from(fd, off, size) == 1) goto out;
                    rc = AOF_TORN;
                    goto out;
                }
            }
            if (phase == 0) {
                uint32_t len;
                memcpy(&len, buf + pos, 4);
                if (len == 0) {
                    /* no record is empty: this is where the data ends when the rest of the
                     * file is space reserved ahead of the writes (zeros) */
                    int z = s_zero_from(fd, off, size);
                    if (z == 1) goto out; /* AOF_OK, *good_end = off */
                    if (z < 0) {
                        snprintf(err, errlen, "cannot read %s: %s", path, strerror(errno));
                        rc = AOF_IOERR;
                    } else {
                        snprintf(err, errlen,
                                 "%s: damaged record at offset %lld (length 0, data after it)",
                                 path, (long long)off);
                        rc = AOF_CORRUPT;
                    }
                    goto out;
                }
                if (len > AOF_REC_MAX) {
                    /* a length no record has: a torn header when only reserved space (zeros)
                     * follows it, damage otherwise */
                    if ((off_t)(off + AOF_REC_HDR) >= size ||
                        s_zero_from(fd, off + AOF_REC_HDR, size) == 1) {
                        rc = AOF_TORN;
                    } else {
                        snprintf(err, errlen,
                                 "%s: damaged record at offset %lld (length %u is impossible)",
                                 path, (long long)off, len);
                        rc = AOF_CORRUPT;
                    }
                    goto out;
                }
                need = AOF_REC_HDR + len;
            }
        }
        uint32_t len, crc;
        uint64_t seq;
        memcpy(&len, buf + pos, 4);
        memcpy(&seq, buf + pos + 4, 8);
        memcpy(&crc, buf + pos + 12, 4);
        uint32_t c = crc32c(0, buf + pos, 12);
        c = crc32c(c, buf + pos + AOF_REC_HDR, len);
        off_t end = off + AOF_REC_HDR + (off_t)len;
        if (c != crc) {
            /* the last record of the file (only reserved space, zeros, after it): a write
             * that did not complete; anything after it: damage */
            if (end >= size || s_zero_from(fd, end, size) == 1) {
                rc = AOF_TORN;
            } else {
                snprintf(err, errlen,
                         "%s: damaged record at offset %lld (checksum mismatch, seq %" PRIu64 ")",
                         path, (long long)off, seq);
                rc = AOF_CORRUPT;
            }
            goto out;
        }
        if (fn && fn(ctx, seq, buf + pos + AOF_REC_HDR, len, off) < 0) {
            rc = AOF_STOPPED;
            goto out;
        }
        if (nrecs) (*nrecs)++;
        pos += AOF_REC_HDR + len;
        *good_end = end;
    }
out:
    free(buf);
    close(fd);
    return rc;
}
