/* The persister role (DESIGN.md §3-4): owns the append-only files. At start it checks them,
 * loads the engine (base snapshot, then the effects after it), then consumes the engine's
 * effect stream, appending every unit to the current segment with the fsync policy, and
 * acknowledging what is written and what is durable. It asks the engine for a new base
 * snapshot when it fell out of the engine's backlog or the AOF grew, and then drops the
 * segments the base covers. */
#include <errno.h>
#include <fcntl.h>
#include <linux/falloc.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zmq.h>

#include "persister/aof.h"
#include "persister/persister.h"
#include "shared/config.h"
#include "shared/link.h"
#include "shared/log.h"
#include "shared/net.h"
#include "shared/fileio.h"
#include "shared/proto.h"
#include "shared/util.h"

#define SEGMENT_MAX (64ll << 20)  /* start a new segment after this many bytes */
#define LOAD_CHUNK (1u << 20)     /* bytes of units per LOAD message */
/* Disk space is reserved ahead of the writes (fallocate, growing the file: the reserved tail
 * reads as zeros, where readers see the data end): effects the engine already executed always
 * have room, and a full disk is noticed while RESERVE_LOW bytes are still reserved, so writes
 * are refused (-MISCONF) before anything fails. Writing into allocated space also makes each
 * fdatasync cheaper: the file's size no longer changes with every write, so no inode update
 * goes to disk with it (measured: ~135 -> ~85 us per write + fdatasync on ext4). A segment
 * is cut back to its data when it is closed. */
#define RESERVE_CHUNK (1ll << 20)
#define RESERVE_LOW (256ll << 10)

static volatile sig_atomic_t s_stop;
static void s_on_term(int sig) { (void)sig, s_stop = 1; }

typedef struct {
    const vole_config_t *cfg;
    int aof_on;
    int fsync_mode; /* 0 no, 1 everysec, 2 always */
    char dir[1024];        /* the AOF directory */
    char manifest_name[300];
    aof_manifest_t m;
    uint64_t last_seq;     /* last unit written (or found at start) */
    uint64_t synced_seq;   /* last unit known fsynced */
    uint64_t acked_durable;
    int fd;                /* current segment, -1 none */
    off_t seg_size;
    long long aof_bytes;   /* bytes in segments since the base */
    long long base_bytes;
    long long rewrite_perc, rewrite_min; /* auto-aof-rewrite-percentage / -min-size */
    buf_t wbuf;            /* records received, not yet written */
    uint64_t wbuf_last;    /* last seq in wbuf */
    int write_error;       /* writes are failing: the engine refuses writes (MISCONF) */
    int space_error;       /* no more space could be reserved: also MISCONF */
    off_t reserved_end;    /* space is reserved in the segment up to this offset */
    int64_t last_reserve_try_ms;
    int64_t last_fsync_ms, last_retry_ms;
    long long info_sent_size, info_sent_base; /* sizes last reported (MSG_PERSIST_INFO) */
    int64_t info_sent_ms;
    /* engine link */
    net_engine_link_t link;
    void *dealer; /* link.dealer */
    int connected, subscribed, loading_engine, rewrite_pending;
    /* the next base replaces every segment: they were written under other numbers than the
     * engine's now (the AOF was off meanwhile, or the engine's data came from elsewhere) */
    int fresh_base;
    int64_t retry_base_ms; /* a failed base is asked for again at this time (0: none) */
    uint64_t engine_seq;
    int hb_fd;
    int64_t next_hb; /* next heartbeat to the supervisor (net_heartbeat) */
} pers_t;

/* ---------- segments ---------- */

/* Closes the current segment, giving back the space reserved past its data. */
static void s_close_segment(pers_t *p) {
    if (p->fd < 0) return;
    if (p->reserved_end > p->seg_size && ftruncate(p->fd, p->seg_size) < 0)
        log_verbose("cannot give back the AOF's reserved space: %s", strerror(errno));
    close(p->fd);
    p->fd = -1;
}

/* Opens a new segment (create) or an existing one whose data ends at data_end. */
static int s_open_segment(pers_t *p, const char *name, int create, off_t data_end) {
    char path[1400];
    snprintf(path, sizeof path, "%s/%s", p->dir, name);
    int fd = open(path, O_WRONLY | O_CLOEXEC | (create ? O_CREAT | O_EXCL : 0), 0644);
    if (fd < 0) {
        log_warn("cannot open AOF segment %s: %s", path, strerror(errno));
        return -1;
    }
    struct stat st = {.st_size = data_end};
    if (create) {
        if (aof_write_all(fd, AOF_SEG_MAGIC, AOF_SEG_HDR) < 0 || fsync(fd) < 0) {
            log_warn("cannot write AOF segment %s: %s", path, strerror(errno));
            close(fd);
            unlink(path);
            return -1;
        }
        st.st_size = AOF_SEG_HDR;
    }
    s_close_segment(p);
    p->fd = fd;
    p->seg_size = st.st_size;
    /* what lies past the data (space a predecessor reserved) is reserved */
    struct stat now;
    p->reserved_end = fstat(fd, &now) == 0 && now.st_size > st.st_size ? now.st_size : st.st_size;
    return 0;
}

/* Keeps RESERVE_LOW..RESERVE_CHUNK bytes reserved past the end of the segment; reports the
 * engine (MISCONF) when no more can be had, and again when it can. */
static void s_report_state(pers_t *p, int ok, const char *why);

static void s_reserve(pers_t *p) {
    if (p->fd < 0 || p->reserved_end - p->seg_size >= RESERVE_LOW) return;
    if (p->space_error && now_ms() - p->last_reserve_try_ms < 1000) return;
    p->last_reserve_try_ms = now_ms();
    int rc = fallocate(p->fd, 0, p->seg_size, RESERVE_CHUNK);
    if (rc < 0 && (errno == EOPNOTSUPP || errno == ENOSYS)) {
        p->reserved_end = p->seg_size + RESERVE_CHUNK; /* cannot reserve: plain writes */
        return;
    }
    if (rc < 0) {
        if (!p->space_error) {
            log_warn("cannot reserve AOF space (%s): writes are refused until there is room",
                     strerror(errno));
            s_report_state(p, 0, strerror(errno));
        }
        p->space_error = 1;
        return;
    }
    p->reserved_end = p->seg_size + RESERVE_CHUNK;
    if (p->space_error) {
        p->space_error = 0;
        if (!p->write_error) {
            log_notice("AOF space available again: writes are accepted");
            s_report_state(p, 1, NULL);
        }
    }
}

/* Starts a new segment whose first unit will be first; updates the manifest. */
static int s_new_segment(pers_t *p, uint64_t first) {
    char name[300], err[512];
    snprintf(name, sizeof name, "%s.%" PRIu64 ".seg", p->cfg->appendfilename, p->m.next_no);
    if (s_open_segment(p, name, 1, 0) < 0) return -1;
    p->aof_bytes += AOF_SEG_HDR; /* the AOF's size counts whole files */
    p->m.next_no++;
    aof_manifest_add_seg(&p->m, name, first);
    if (aof_manifest_save(p->dir, p->manifest_name, &p->m, err, sizeof err) < 0) {
        log_warn("%s", err);
        return -1;
    }
    return 0;
}

typedef struct {
    pers_t *p;
    uint64_t prev;
    const char *seg;
    int gap;
} s_scan_t;

static int s_scan_rec(void *ctx, uint64_t seq, const char *data, size_t len, off_t off) {
    (void)data, (void)len;
    s_scan_t *s = ctx;
    if (s->prev && seq != s->prev + 1) {
        log_warn("AOF segment %s: unit %" PRIu64 " at offset %lld follows %" PRIu64, s->seg, seq,
                 (long long)off, s->prev);
        s->gap = 1;
        return -1;
    }
    s->prev = seq;
    return 0;
}

/* Checks every segment at start-up: cuts a torn tail of the last one (with a warning);
 * refuses damage anywhere else. Sets last_seq. 0 or -1. */
static int s_check_files(pers_t *p) {
    char err[1600];
    int rc = aof_manifest_load(p->dir, p->manifest_name, &p->m, err, sizeof err);
    if (rc < 0) {
        log_warn("cannot start: %s (vole check-aof explains and can repair)", err);
        return -1;
    }
    if (rc == 0) return 0; /* nothing yet */
    s_scan_t sc = {p, p->m.has_base ? p->m.base_seq : 0, NULL, 0};
    if (p->m.has_base) {
        char path[1400];
        struct stat st;
        snprintf(path, sizeof path, "%s/%s", p->dir, p->m.base);
        if (stat(path, &st) < 0) {
            log_warn("cannot start: the AOF base %s is missing: %s", path, strerror(errno));
            return -1;
        }
        p->base_bytes = st.st_size;
    }
    uint64_t base = sc.prev;
    off_t last_good = 0;
    for (size_t i = 0; i < p->m.nsegs; i++) {
        char path[1400];
        snprintf(path, sizeof path, "%s/%s", p->dir, p->m.segs[i].name);
        off_t good;
        uint64_t n;
        sc.seg = path;
        /* units the base already holds may still be in the first segments: skip them */
        uint64_t keep_prev = sc.prev;
        if (sc.prev <= base) sc.prev = 0;
        rc = aof_scan(path, s_scan_rec, &sc, &good, &n, err, sizeof err);
        if (sc.prev == 0) sc.prev = keep_prev;
        if (sc.gap) {
            log_warn("cannot start: %s has a gap in its sequence numbers (vole check-aof)", path);
            return -1;
        }
        if (rc == AOF_TORN) {
            if (i + 1 < p->m.nsegs) {
                log_warn("cannot start: %s ends inside a record at offset %lld but is not the "
                         "last segment (vole check-aof --fix)", path, (long long)good);
                return -1;
            }
            struct stat st;
            stat(path, &st);
            log_warn("AOF segment %s ends with an incomplete record: cutting it at offset %lld "
                     "(%lld bytes dropped; that write was never acknowledged)",
                     path, (long long)good, (long long)(st.st_size - good));
            if (truncate(path, good) < 0) {
                log_warn("cannot cut %s: %s", path, strerror(errno));
                return -1;
            }
        } else if (rc != AOF_OK) {
            log_warn("cannot start: %s (vole check-aof explains; --fix cuts the file there)", err);
            return -1;
        }
        p->aof_bytes += good;
        last_good = good;
    }
    p->last_seq = sc.prev;
    if (p->m.nsegs) {
        if (s_open_segment(p, p->m.segs[p->m.nsegs - 1].name, 0, last_good) < 0) return -1;
        /* a killed predecessor's writes may still be only in the page cache */
        if (fdatasync(p->fd) < 0) {
            log_warn("cannot fsync %s: %s", p->m.segs[p->m.nsegs - 1].name, strerror(errno));
            return -1;
        }
    }
    p->synced_seq = p->last_seq;
    log_notice("AOF checked: %zu segment(s), %s, last effect %" PRIu64, p->m.nsegs,
               p->m.has_base ? "with a base snapshot" : "no base", p->last_seq);
    return 0;
}

/* ---------- engine link ---------- */

static void s_send(pers_t *p, buf_t *b) {
    if (zmq_send(p->dealer, b->data, b->len, ZMQ_DONTWAIT) < 0 && errno != EAGAIN)
        log_warn("send to the engine: %s", zmq_strerror(errno));
}

static void s_send_ctl(pers_t *p, uint8_t type, uint8_t byte, uint64_t a, uint64_t c,
                       const char *tail) {
    buf_t b;
    buf_init(&b);
    proto_put_ctl(&b, type, byte, a, c, tail, tail ? strlen(tail) : 0);
    s_send(p, &b);
    buf_free(&b);
}

static void s_report_state(pers_t *p, int ok, const char *why) {
    s_send_ctl(p, MSG_PERSIST_STATE, (uint8_t)ok, 0, 0, ok ? NULL : why);
}

/* Tells the engine the AOF's sizes for INFO: when they changed, at most once a second unless
 * now (a new base, the AOF turned on or off). */
static void s_report_sizes(pers_t *p, int now) {
    long long size = p->aof_on ? p->base_bytes + p->aof_bytes : 0;
    long long base = p->aof_on ? p->base_bytes : 0;
    if (!p->connected || (size == p->info_sent_size && base == p->info_sent_base)) return;
    if (!now && now_ms() - p->info_sent_ms < 1000) return;
    s_send_ctl(p, MSG_PERSIST_INFO, 0, (uint64_t)size, (uint64_t)base, NULL);
    p->info_sent_size = size;
    p->info_sent_base = base;
    p->info_sent_ms = now_ms();
}

static void s_ack(pers_t *p) {
    if (!p->subscribed) return;
    if (p->synced_seq >= p->last_seq || p->fsync_mode == 0) {
        s_send_ctl(p, MSG_STREAM_ACK, STREAM_EFFECTS, p->last_seq, STREAM_ACK_F_DURABLE, NULL);
        p->acked_durable = p->last_seq;
        return;
    }
    /* written, not yet fsynced: credit for the stream, durability only up to synced_seq */
    s_send_ctl(p, MSG_STREAM_ACK, STREAM_EFFECTS, p->last_seq, 0, NULL);
    if (p->synced_seq > p->acked_durable) {
        s_send_ctl(p, MSG_STREAM_ACK, STREAM_EFFECTS, p->synced_seq, STREAM_ACK_F_DURABLE, NULL);
        p->acked_durable = p->synced_seq;
    }
}

/* Waits for one message of the given type from the engine (during loading), with a deadline;
 * returns its bytes in *out (caller frees) or -1. */
static int s_wait_for(pers_t *p, uint8_t type, zmq_msg_t *out, int timeout_ms) {
    int64_t deadline = mono_us() + (int64_t)timeout_ms * 1000;
    while (!s_stop) {
        int64_t left = (deadline - mono_us()) / 1000;
        if (left <= 0) return -1;
        zmq_pollitem_t it = {p->dealer, 0, ZMQ_POLLIN, 0};
        if (zmq_poll(&it, 1, left > 200 ? 200 : (long)left) < 0 && errno != EINTR) return -1;
        net_heartbeat(p->hb_fd, &p->next_hb); /* a long load keeps beating */
        if (!(it.revents & ZMQ_POLLIN)) continue;
        zmq_msg_init(out);
        if (zmq_msg_recv(out, p->dealer, 0) < 0) {
            zmq_msg_close(out);
            continue;
        }
        proto_header_t h;
        const char *why;
        if (proto_header_parse(zmq_msg_data(out), zmq_msg_size(out), &h, &why) == 0 &&
            h.type == type)
            return 0;
        zmq_msg_close(out);
    }
    return -1;
}

static int s_load_ack(pers_t *p, const char *what) {
    zmq_msg_t m;
    if (s_wait_for(p, MSG_LOAD_ACK, &m, 600000) < 0) {
        log_warn("no answer from the engine while loading (%s)", what);
        return -1;
    }
    uint8_t ok;
    uint64_t seq, unused;
    const char *tail;
    size_t tl;
    int rc = proto_get_ctl(zmq_msg_data(&m), zmq_msg_size(&m), &ok, &seq, &unused, &tail, &tl);
    if (rc < 0 || !ok) {
        log_warn("the engine could not load %s: %.*s", what, rc < 0 ? 0 : (int)tl, tail);
        zmq_msg_close(&m);
        return -1;
    }
    zmq_msg_close(&m);
    return 0;
}

typedef struct {
    pers_t *p;
    buf_t b;
    uint32_t n;
    uint64_t skip_upto, sent, last;
    int failed;
    int64_t t0, next_report;
} s_loader_t;

static int s_load_flush(s_loader_t *l) {
    if (l->n == 0) return 0;
    proto_finish(&l->b, l->n);
    s_send(l->p, &l->b);
    l->n = 0;
    if (s_load_ack(l->p, "the AOF") < 0) return -1;
    return 0;
}

static int s_load_rec(void *ctx, uint64_t seq, const char *data, size_t len, off_t off) {
    (void)off;
    s_loader_t *l = ctx;
    if (seq <= l->skip_upto) return 0; /* already in the base */
    if (l->n == 0) {
        proto_begin(&l->b, MSG_LOAD);
        buf_put_u8(&l->b, LOAD_UNITS);
    }
    proto_put_seqrec(&l->b, seq, data, (uint32_t)len);
    l->n++;
    l->sent++;
    l->last = seq;
    if (l->b.len >= LOAD_CHUNK && s_load_flush(l) < 0) {
        l->failed = 1;
        return -1;
    }
    if (mono_us() >= l->next_report) {
        log_notice("loading: %" PRIu64 " effects replayed (at %" PRIu64 "), %lld ms", l->sent, seq,
                   (long long)((mono_us() - l->t0) / 1000));
        l->next_report = mono_us() + 2000000;
    }
    return 0;
}

/* Loads the engine: base snapshot, then every unit after it; then LOAD_DONE. */
static int s_load_engine(pers_t *p) {
    char path[1400];
    uint64_t skip = 0;
    int64_t t0 = mono_us();
    if (p->aof_on && p->m.has_base) {
        snprintf(path, sizeof path, "%s/%s", p->dir, p->m.base);
        skip = p->m.base_seq;
    } else if (!p->aof_on) {
        snprintf(path, sizeof path, "%s/%s", p->cfg->dir, p->cfg->snapshot);
        if (access(path, F_OK) < 0) path[0] = '\0';
    } else {
        path[0] = '\0';
    }
    if (path[0]) {
        buf_t b;
        buf_init(&b);
        proto_put_ctl(&b, MSG_LOAD, LOAD_SNAPSHOT, 0, 0, path, strlen(path));
        s_send(p, &b);
        buf_free(&b);
        if (s_load_ack(p, path) < 0) return -1;
    }
    s_loader_t l = {p, {0}, 0, skip, 0, 0, 0, t0, mono_us() + 2000000};
    buf_init(&l.b);
    for (size_t i = 0; p->aof_on && i < p->m.nsegs && !l.failed; i++) {
        char seg[1400], err[1600];
        off_t good;
        snprintf(seg, sizeof seg, "%s/%s", p->dir, p->m.segs[i].name);
        int rc = aof_scan(seg, s_load_rec, &l, &good, NULL, err, sizeof err);
        if (rc != AOF_OK && rc != AOF_TORN) {
            if (!l.failed) log_warn("loading stopped: %s", err);
            buf_free(&l.b);
            return -1;
        }
    }
    if (l.failed || s_load_flush(&l) < 0) {
        buf_free(&l.b);
        return -1;
    }
    buf_free(&l.b);
    buf_t b;
    buf_init(&b);
    proto_put_ctl(&b, MSG_LOAD, LOAD_DONE, 0, 0, NULL, 0);
    s_send(p, &b);
    buf_free(&b);
    if (s_load_ack(p, "the end of the data") < 0) return -1;
    log_notice("engine loaded: %" PRIu64 " effects after %s in %lld ms", l.sent,
               path[0] ? "the snapshot" : "an empty start", (long long)((mono_us() - t0) / 1000));
    return 0;
}

static void s_subscribe(pers_t *p) {
    s_send_ctl(p, MSG_STREAM_SUB, STREAM_EFFECTS, p->last_seq + 1, 0, NULL);
    p->subscribed = 1;
    /* what the files hold is durable: a predecessor may have written (and we fsynced at
     * start) effects it died before acknowledging, and replies may wait for exactly those */
    s_ack(p);
}

static void s_request_base(pers_t *p, const char *why) {
    if (p->rewrite_pending) return;
    char path[1400];
    snprintf(path, sizeof path, "%s/%s.base.%" PRIu64 ".vdb", p->dir, p->cfg->appendfilename,
             p->m.next_no);
    log_notice("asking the engine for a new AOF base snapshot (%s)", why);
    s_send_ctl(p, MSG_SNAPSHOT_REQ, SNAP_AOF_BASE, 0, 0, path);
    p->rewrite_pending = 1;
}

static void s_on_engine_state(pers_t *p, const char *data, size_t len) {
    uint8_t unused;
    uint64_t last, flags;
    if (proto_get_ctl(data, len, &unused, &last, &flags, NULL, NULL) < 0) return;
    p->engine_seq = last;
    p->subscribed = 0;
    p->rewrite_pending = 0;
    if (flags & ENGINE_F_WANTS_LOAD) {
        log_notice("the engine waits for its data: loading it");
        if (s_load_engine(p) < 0) {
            buf_t b;
            buf_init(&b);
            const char *why = "see the persister's log";
            proto_put_ctl(&b, MSG_LOAD, LOAD_FAIL, 0, 0, why, strlen(why));
            s_send(p, &b);
            buf_free(&b);
            log_warn("loading failed; exiting so that the supervisor retries");
            s_stop = 2;
            return;
        }
        p->engine_seq = p->last_seq;
    } else if (!(flags & ENGINE_F_LOADED)) {
        log_notice("the engine is being loaded by another persister; waiting");
        return;
    }
    if (!p->aof_on) return;
    if (p->last_seq > p->engine_seq) {
        /* the engine has less than the files: its data came from elsewhere */
        log_warn("the engine is at effect %" PRIu64 " but the AOF holds %" PRIu64
                 "; starting a new base from the engine's data", p->engine_seq, p->last_seq);
        p->fresh_base = 1;
        s_request_base(p, "the engine and the AOF disagree");
        return;
    }
    s_subscribe(p);
}

/* Appends a DATA message's units to the write buffer. */
static void s_on_data(pers_t *p, const char *data, size_t len) {
    proto_seqrec_iter_t it;
    uint8_t stream;
    uint64_t seq;
    const char *u;
    size_t ulen;
    if (!p->aof_on) return; /* sent before the engine knew appendonly went off */
    if (proto_seqrec_iter_init(&it, data, len, &stream) < 0 || stream != STREAM_EFFECTS) return;
    int rc;
    while ((rc = proto_seqrec_next(&it, &seq, &u, &ulen)) == 1) {
        uint64_t expect = (p->wbuf.len ? p->wbuf_last : p->last_seq) + 1;
        if (seq < expect) continue; /* already have it (a resend after a reconnect) */
        if (seq > expect) {
            log_warn("effect %" PRIu64 " arrived, %" PRIu64 " expected", seq, expect);
            s_request_base(p, "effects went missing");
            return;
        }
        if (p->fd < 0 && s_new_segment(p, seq) < 0) {
            p->write_error = 1;
            return;
        }
        aof_put_record(&p->wbuf, seq, u, (uint32_t)ulen);
        p->wbuf_last = seq;
    }
    if (rc < 0) log_warn("dropping a malformed effect message");
}

static void s_fsync(pers_t *p) {
    if (p->fd < 0 || p->synced_seq >= p->last_seq) return;
    if (fdatasync(p->fd) < 0) {
        log_warn("fsync of the AOF failed: %s", strerror(errno));
        if (!p->write_error) s_report_state(p, 0, strerror(errno));
        p->write_error = 1;
        return;
    }
    p->synced_seq = p->last_seq;
    p->last_fsync_ms = now_ms();
}

/* Writes the buffered records; on failure nothing half-written stays in the file. */
static void s_write(pers_t *p) {
    if (p->wbuf.len == 0 || p->fd < 0) return;
    if (aof_pwrite_all(p->fd, p->wbuf.data, p->wbuf.len, p->seg_size) < 0) {
        int err = errno;
        if (ftruncate(p->fd, p->seg_size) < 0)
            log_warn("cannot cut a partial AOF write: %s", strerror(errno));
        p->reserved_end = p->seg_size;
        if (!p->write_error) {
            log_warn("writing the AOF failed: %s; writes are refused until it works again",
                     strerror(err));
            char why[256];
            snprintf(why, sizeof why, "%s", strerror(err));
            s_report_state(p, 0, why);
        }
        p->write_error = 1;
        p->last_retry_ms = now_ms();
        return;
    }
    if (p->write_error) {
        log_notice("writing the AOF works again");
        p->write_error = 0;
        if (!p->space_error) s_report_state(p, 1, NULL);
    }
    p->seg_size += (off_t)p->wbuf.len;
    if (p->reserved_end < p->seg_size) p->reserved_end = p->seg_size;
    p->aof_bytes += (long long)p->wbuf.len;
    p->last_seq = p->wbuf_last;
    buf_clear(&p->wbuf);
    buf_shrink(&p->wbuf, 4 << 20);
    if (p->fsync_mode == 2) s_fsync(p);
    s_ack(p);
    if (p->seg_size >= SEGMENT_MAX) {
        s_fsync(p);
        if (s_new_segment(p, p->last_seq + 1) < 0) p->write_error = 1;
    }
    s_reserve(p);
    /* Redis's rule: the whole AOF (base + segments) grew by rewrite_perc over the base */
    long long total = p->base_bytes + p->aof_bytes;
    if (p->rewrite_perc > 0 && total >= p->rewrite_min &&
        (total * 100 / (p->base_bytes ? p->base_bytes : 1)) - 100 >= p->rewrite_perc)
        s_request_base(p, "the AOF grew past auto-aof-rewrite-percentage");
}

/* A new base snapshot is on disk: it replaces the old base and the segments it covers. */
static void s_on_snapshot_done(pers_t *p, const char *data, size_t len) {
    uint8_t kind;
    uint64_t seq, ok;
    const char *tail;
    size_t tl;
    if (proto_get_ctl(data, len, &kind, &seq, &ok, &tail, &tl) < 0 ||
        (kind != SNAP_AOF_BASE && kind != SNAP_FILE))
        return;
    if (kind == SNAP_AOF_BASE) p->rewrite_pending = 0;
    if (!ok) {
        log_warn("the engine could not write a new AOF base: %.*s", (int)tl, tail);
        /* without it the AOF does not go on: ask again in a while */
        if (kind == SNAP_AOF_BASE && p->aof_on && !p->subscribed)
            p->retry_base_ms = now_ms() + 5000;
        return;
    }
    if (!p->aof_on) return;
    char path[1400], err[1600];
    snprintf(path, sizeof path, "%.*s", (int)tl, tail);
    if (kind == SNAP_FILE) {
        /* a BGSAVE or save rule: the same snapshot becomes the AOF's base too (a hard link:
         * a later snapshot replaces the user's file by rename, never this inode) */
        if (seq <= (p->m.has_base ? p->m.base_seq : 0)) return;
        char link_path[1400];
        snprintf(link_path, sizeof link_path, "%s/%s.base.%" PRIu64 ".vdb", p->dir,
                 p->cfg->appendfilename, p->m.next_no);
        if (link(path, link_path) < 0) {
            log_verbose("snapshot %s not linked as AOF base: %s", path, strerror(errno));
            return;
        }
        snprintf(path, sizeof path, "%s", link_path);
    }
    const char *name = strrchr(path, '/') ? strrchr(path, '/') + 1 : path;
    /* everything up to seq is in the base; write what we hold first, then start the
     * effects after seq in a fresh segment */
    s_write(p);
    s_fsync(p);
    aof_manifest_t old = p->m, nm;
    aof_manifest_init(&nm);
    nm.next_no = old.next_no + 1;
    nm.has_base = 1;
    snprintf(nm.base, sizeof nm.base, "%.255s", name);
    nm.base_seq = seq;
    /* a segment stays when it holds units after seq (loading skips the earlier ones), unless
     * the base is to replace them all */
    for (size_t i = 0; i < old.nsegs && !p->fresh_base; i++) {
        uint64_t seg_last = i + 1 < old.nsegs ? old.segs[i + 1].first - 1 : p->last_seq;
        if (seg_last > seq) aof_manifest_add_seg(&nm, old.segs[i].name, old.segs[i].first);
    }
    if (p->fresh_base) {
        s_close_segment(p); /* named by the old manifest only: removed below */
        p->last_seq = seq;
        p->aof_bytes = 0;
        buf_clear(&p->wbuf);
    }
    if (p->last_seq <= seq && p->fd >= 0) {
        /* nothing after the base yet: the next unit starts a new segment */
        s_close_segment(p);
    }
    if (aof_manifest_save(p->dir, p->manifest_name, &nm, err, sizeof err) < 0) {
        log_warn("cannot switch to the new AOF base: %s", err);
        aof_manifest_free(&nm);
        unlink(path);
        return;
    }
    /* the effects after the base are wanted now, before the slow removals below */
    if (p->last_seq < seq) p->last_seq = seq;
    p->fresh_base = 0;
    p->retry_base_ms = 0;
    p->synced_seq = p->last_seq;
    if (!p->subscribed) s_subscribe(p);
    /* remove the files no longer named */
    if (old.has_base && strcmp(old.base, nm.base) != 0) {
        char f[1400];
        snprintf(f, sizeof f, "%s/%s", p->dir, old.base);
        unlink(f);
    }
    for (size_t i = 0; i < old.nsegs; i++) {
        int kept = 0;
        for (size_t j = 0; j < nm.nsegs; j++) kept |= !strcmp(nm.segs[j].name, old.segs[i].name);
        if (!kept) {
            char f[1400];
            snprintf(f, sizeof f, "%s/%s", p->dir, old.segs[i].name);
            unlink(f);
        }
    }
    file_fsync_dir(p->dir);
    aof_manifest_free(&old);
    p->m = nm;
    struct stat st;
    p->base_bytes = stat(path, &st) == 0 ? st.st_size : 0;
    p->aof_bytes = p->fd >= 0 ? p->seg_size : 0;
    log_notice("new AOF base at effect %" PRIu64 " (%s); older files removed", seq, name);
    s_ack(p);
    s_report_sizes(p, 1);
}

/* appendonly turned on at run time: the files as they are, then a new base from the engine's
 * data (as Redis rewrites its AOF when it is turned on); the effects after it follow. */
static void s_aof_enable(pers_t *p) {
    char err[1600];
    s_close_segment(p);
    aof_manifest_free(&p->m);
    aof_manifest_init(&p->m);
    p->last_seq = p->synced_seq = p->acked_durable = 0;
    p->aof_bytes = p->base_bytes = 0;
    buf_clear(&p->wbuf);
    if (mkdir(p->dir, 0755) < 0 && errno != EEXIST) {
        log_warn("cannot turn the AOF on: cannot create %s: %s", p->dir, strerror(errno));
        return;
    }
    /* what an earlier AOF left is only named here, to be removed once the base is written;
     * nothing of it is read (an unreadable manifest just means new file numbers) */
    if (aof_manifest_load(p->dir, p->manifest_name, &p->m, err, sizeof err) < 0) {
        log_warn("the old AOF manifest is unreadable (%s): starting new files beside it", err);
        aof_manifest_free(&p->m);
        aof_manifest_init(&p->m);
        p->m.next_no = (uint64_t)now_ms();
    }
    p->aof_on = 1;
    p->rewrite_pending = 0;
    p->fresh_base = 1;
    s_request_base(p, "appendonly was turned on");
}

/* appendonly turned off at run time: what was received goes to disk, the files stay. */
static void s_aof_disable(pers_t *p) {
    s_write(p);
    s_fsync(p);
    s_close_segment(p);
    buf_clear(&p->wbuf);
    p->aof_on = 0;
    p->subscribed = 0;
    p->rewrite_pending = 0;
    log_notice("AOF off (appendonly no); its files are kept");
    s_report_sizes(p, 1);
}

/* The engine's settings for us (CONFIG SET at run time; sent again on connect). */
static void s_on_config(pers_t *p, const char *data, size_t len) {
    char name[64], value[64];
    size_t pos = PROTO_HEADER_SIZE;
    int r;
    while ((r = proto_config_next(data, len, &pos, name, sizeof name, value, sizeof value)) == 1) {
        if (!strcmp(name, "auto-aof-rewrite-percentage")) p->rewrite_perc = atoll(value);
        if (!strcmp(name, "auto-aof-rewrite-min-size")) p->rewrite_min = atoll(value);
        if (!strcmp(name, "appendonly")) {
            int on = !strcmp(value, "yes");
            if (on && !p->aof_on) s_aof_enable(p);
            else if (!on && p->aof_on) s_aof_disable(p);
        }
        if (strcmp(name, "appendfsync") != 0) continue;
        int mode = !strcmp(value, "always") ? 2 : !strcmp(value, "no") ? 0 : 1;
        if (mode == p->fsync_mode) continue;
        log_notice("appendfsync is now %s", value);
        p->fsync_mode = mode;
        if (mode == 2) { /* what was written under the old policy is fsynced at once */
            s_fsync(p);
            s_ack(p);
        }
    }
    if (r < 0) log_warn("malformed config message from the engine");
}

static void s_on_message(pers_t *p, const char *data, size_t len) {
    proto_header_t h;
    const char *why;
    if (proto_header_parse(data, len, &h, &why) < 0) {
        log_warn("dropping a message from the engine: %s", why);
        return;
    }
    switch (h.type) {
    case MSG_ENGINE_STATE: s_on_engine_state(p, data, len); break;
    case MSG_STREAM_DATA: s_on_data(p, data, len); break;
    case MSG_STREAM_GAP:
        p->subscribed = 0;
        s_request_base(p, "the engine's backlog no longer holds our next effect");
        break;
    case MSG_SNAPSHOT_DONE: s_on_snapshot_done(p, data, len); break;
    case MSG_CONFIG: s_on_config(p, data, len); break;
    default: break;
    }
}

static void s_hello(pers_t *p) {
    buf_t b;
    buf_init(&b);
    proto_put_hello(&b, "persister", "aof");
    s_send(p, &b);
    buf_free(&b);
}

static void s_drain_monitor(pers_t *p) {
    int event;
    while ((event = net_engine_link_event(&p->link)) != 0) {
        if (event == 1) {
            p->connected = 1;
            p->info_sent_size = p->info_sent_base = -1; /* a new engine knows nothing yet */
            s_hello(p);
        } else if (event == -1) {
            p->connected = 0;
            p->subscribed = 0;
        }
    }
}

int persister_main(const vole_config_t *cfg) {
    role_init("persister", cfg->loglevel, s_on_term);

    static pers_t ps;
    pers_t *p = &ps;
    p->cfg = cfg;
    p->fd = -1;
    p->hb_fd = cfg->hb_fd;
    if (p->hb_fd >= 0) fcntl(p->hb_fd, F_SETFL, fcntl(p->hb_fd, F_GETFL) | O_NONBLOCK);
    p->aof_on = !strcmp(cfg->appendonly, "yes");
    p->fsync_mode = !strcmp(cfg->appendfsync, "always") ? 2 : !strcmp(cfg->appendfsync, "no") ? 0 : 1;
    p->rewrite_perc = cfg->auto_aof_rewrite_percentage;
    p->rewrite_min = cfg->auto_aof_rewrite_min_size;
    buf_init(&p->wbuf);
    snprintf(p->dir, sizeof p->dir, "%s/%s", cfg->dir, cfg->appenddirname);
    snprintf(p->manifest_name, sizeof p->manifest_name, "%s.manifest", cfg->appendfilename);
    aof_manifest_init(&p->m);
    mkdir(cfg->dir, 0755);
    if (p->aof_on) {
        if (mkdir(p->dir, 0755) < 0 && errno != EEXIST) {
            log_warn("cannot create %s: %s", p->dir, strerror(errno));
            return 1;
        }
        if (s_check_files(p) < 0) return 1;
    }

    if (net_engine_link_open(&p->link, cfg->engine_ep, "persister") < 0) return 1;
    p->dealer = p->link.dealer;
    log_notice("persister ready: %s, appendfsync %s, dir %s", p->aof_on ? "AOF on" : "AOF off",
               cfg->appendfsync, p->dir);
    zmq_msg_t msg;
    zmq_msg_init(&msg);
    while (!s_stop) {
        net_heartbeat(p->hb_fd, &p->next_hb);
        zmq_pollitem_t items[2] = {{p->dealer, 0, ZMQ_POLLIN, 0},
                                   {p->link.monitor, 0, ZMQ_POLLIN, 0}};
        long timeout = p->fsync_mode == 1 && p->synced_seq < p->last_seq ? 50 : 200;
        if (zmq_poll(items, 2, timeout) < 0 && errno != EINTR) break;
        if (items[1].revents & ZMQ_POLLIN) s_drain_monitor(p);
        /* take everything queued, then write once: group commit */
        for (int n = 0; n < 1024; n++) {
            if (zmq_msg_recv(&msg, p->dealer, ZMQ_DONTWAIT) < 0) break;
            s_on_message(p, zmq_msg_data(&msg), zmq_msg_size(&msg));
            if (s_stop) break;
        }
        s_reserve(p); /* also retries after a full disk, once a second */
        if (p->write_error && p->wbuf.len && now_ms() - p->last_retry_ms < 1000) continue;
        s_write(p);
        if (p->fsync_mode == 1 && p->synced_seq < p->last_seq && now_ms() - p->last_fsync_ms >= 1000) {
            s_fsync(p);
            s_ack(p);
        }
        s_report_sizes(p, 0);
        if (p->retry_base_ms && now_ms() >= p->retry_base_ms && p->aof_on && !p->subscribed &&
            p->connected) {
            p->retry_base_ms = 0;
            s_request_base(p, "the last attempt failed");
        }
    }
    /* SIGTERM: everything received goes to disk before we exit */
    s_drain_monitor(p);
    while (zmq_msg_recv(&msg, p->dealer, ZMQ_DONTWAIT) >= 0)
        s_on_message(p, zmq_msg_data(&msg), zmq_msg_size(&msg));
    s_write(p);
    s_fsync(p);
    s_close_segment(p);
    zmq_msg_close(&msg);
    net_engine_link_close(&p->link);
    log_notice("persister stopped at effect %" PRIu64 " (%s)", p->last_seq,
               p->synced_seq >= p->last_seq ? "all on disk" : "NOT all fsynced");
    aof_manifest_free(&p->m);
    buf_free(&p->wbuf);
    return s_stop == 2 ? 1 : 0;
}
