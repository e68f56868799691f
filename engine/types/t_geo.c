/* The GEO commands over sorted sets (GEOADD, GEOPOS, GEODIST, GEOHASH, GEOSEARCH[STORE],
 * GEORADIUS[BYMEMBER][_RO]) and their command-table rows, answering as Redis 7.0 does:
 * same argument rules and error order, same scanned cells, same result order. */
#include "engine/types/t_geo.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/ds/geohash.h"
#include "engine/types/t_zset.h"
#include "shared/util.h"

/* ===================== the type-level helpers ===================== */

int geo_member_xy(const vobj_t *z, const char *m, size_t len, double xy[2]) {
    double score;
    if (zset_score(z, m, len, &score) != 0) return -1;
    return geohash_score_to_xy(score, xy) ? 0 : -1;
}

int geo_score_of(double lon, double lat, double *score) {
    geohash_bits_t h;
    if (!geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &h)) return -1;
    /* a point on the north or east edge spells a code past 52 bits; as a double it rounds
     * the same way Redis's text round trip (integer -> string -> strtod) does */
    *score = (double)geohash_align52(h);
    return 0;
}

/* ===================== argument parsing ===================== */

/* Redis compares these options as C strings: bytes after an embedded NUL do not count. */
static int s_opt_is(const proto_arg_t *a, const char *lit) {
    const char *nul = memchr(a->ptr, '\0', a->len);
    proto_arg_t t = *a;
    if (nul) t.len = (size_t)(nul - a->ptr);
    return arg_is(&t, lit);
}

/* Metres per unit, or -1 after replying the error. */
static double s_unit_or_reply(client_t *c, const proto_arg_t *a) {
    if (s_opt_is(a, "m")) return 1;
    if (s_opt_is(a, "km")) return 1000;
    if (s_opt_is(a, "ft")) return 0.3048;
    if (s_opt_is(a, "mi")) return 1609.34;
    reply_error(c, "unsupported unit provided. please use M, KM, FT, MI");
    return -1;
}

/* argv[0] longitude, argv[1] latitude, both inside the indexable band. */
static int s_lonlat_or_reply(client_t *c, const proto_arg_t *argv, double xy[2]) {
    for (int i = 0; i < 2; i++)
        if (arg_double_or_reply(c, &argv[i], &xy[i], NULL)) return -1;
    if (xy[0] < GEO_LONG_MIN || xy[0] > GEO_LONG_MAX || xy[1] < GEO_LAT_MIN ||
        xy[1] > GEO_LAT_MAX) {
        reply_errorf(c, "invalid longitude,latitude pair %f,%f", xy[0], xy[1]);
        return -1;
    }
    return 0;
}

/* argv[0] radius, argv[1] unit. */
static int s_radius_or_reply(client_t *c, const proto_arg_t *argv, geo_shape_t *s) {
    double r;
    if (arg_double_or_reply(c, &argv[0], &r, "need numeric radius")) return -1;
    if (r < 0) {
        reply_error(c, "radius cannot be negative");
        return -1;
    }
    s->radius = r;
    double conv = s_unit_or_reply(c, &argv[1]);
    if (conv < 0) return -1;
    s->conversion = conv;
    return 0;
}

/* argv[0] width, argv[1] height, argv[2] unit. */
static int s_box_or_reply(client_t *c, const proto_arg_t *argv, geo_shape_t *s) {
    double w, h;
    if (arg_double_or_reply(c, &argv[0], &w, "need numeric width")) return -1;
    if (arg_double_or_reply(c, &argv[1], &h, "need numeric height")) return -1;
    if (h < 0 || w < 0) {
        reply_error(c, "height or width cannot be negative");
        return -1;
    }
    s->width = w;
    s->height = h;
    double conv = s_unit_or_reply(c, &argv[2]);
    if (conv < 0) return -1;
    s->conversion = conv;
    return 0;
}

/* ===================== replies ===================== */

/* A coordinate: %.17Lf without trailing zeros; a bulk string in RESP2, a double in RESP3. */
static void s_reply_coord(client_t *c, double v) {
    char buf[128];
    int n = ld_to_str_human(buf + 1, sizeof(buf) - 3, (long double)v);
    if (c->resp == 2) {
        reply_bulk(c, buf + 1, (size_t)n);
        return;
    }
    buf[0] = ',';
    memcpy(buf + 1 + n, "\r\n", 2);
    reply_raw(c, buf, (size_t)n + 3);
}

static void s_reply_point(client_t *c, const double xy[2]) {
    reply_array(c, 2);
    s_reply_coord(c, xy[0]);
    s_reply_coord(c, xy[1]);
}

/* A distance: a bulk string with four decimals, rounded as Redis 7.0.15 rounds them (the
 * value times 10^4 to the nearest integer, ties to even), which is not always what "%.4f"
 * prints. */
static void s_reply_distance(client_t *c, double d) {
    char buf[48];
    long long v = llrint(d * 10000.0);
    /* the magnitude as unsigned: LLONG_MIN (what an out-of-range value becomes) included */
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    int n = snprintf(buf, sizeof(buf), "%s%llu.%04llu", v < 0 ? "-" : "", u / 10000, u % 10000);
    reply_bulk(c, buf, (size_t)n);
}

/* ===================== GEOADD ===================== */

static void cmd_geoadd(client_t *c) {
    int nx = 0, xx = 0, ch = 0, first = 2;
    for (; first < c->argc; first++) {
        const proto_arg_t *a = &c->argv[first];
        if (s_opt_is(a, "nx"))
            nx = 1;
        else if (s_opt_is(a, "xx"))
            xx = 1;
        else if (s_opt_is(a, "ch"))
            ch = 1;
        else
            break;
    }
    long rest = c->argc - first;
    /* no triple at all is a syntax error too (ZADD's rule: GEOADD hands over to it) */
    if (rest % 3 || (nx && xx) || rest == 0) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    long n = rest / 3;
    double small_s[16];
    proto_arg_t small_m[16];
    double *scores = n <= 16 ? small_s : malloc((size_t)n * sizeof(double));
    proto_arg_t *members = n <= 16 ? small_m : malloc((size_t)n * sizeof(proto_arg_t));
    if (!scores || !members) abort();
    for (long i = 0; i < n; i++) {
        const proto_arg_t *t = &c->argv[first + i * 3];
        double xy[2];
        if (s_lonlat_or_reply(c, t, xy)) goto out;
        geo_score_of(xy[0], xy[1], &scores[i]);
        members[i] = t[2];
    }
    zset_add_generic(c, &c->argv[1], (nx ? ZADD_IN_NX : 0) | (xx ? ZADD_IN_XX : 0), ch, scores,
                     members, n);
out:
    if (scores != small_s) free(scores);
    if (members != small_m) free(members);
}

/* ===================== GEOPOS, GEODIST, GEOHASH ===================== */

static void cmd_geopos(client_t *c) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        if (!z || geo_member_xy(z, c->argv[j].ptr, c->argv[j].len, xy))
            reply_null_array(c);
        else
            s_reply_point(c, xy);
    }
}

static void cmd_geodist(client_t *c) {
    double to_m = 1;
    if (c->argc == 5) {
        to_m = s_unit_or_reply(c, &c->argv[4]);
        if (to_m < 0) return;
    } else if (c->argc > 5) {
        reply_error(c, ERR_SYNTAX);
        return;
    }
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    double a[2], b[2];
    if (!z || geo_member_xy(z, c->argv[2].ptr, c->argv[2].len, a) ||
        geo_member_xy(z, c->argv[3].ptr, c->argv[3].len, b)) {
        reply_null(c);
        return;
    }
    s_reply_distance(c, geo_distance(a[0], a[1], b[0], b[1]) / to_m);
}

static void cmd_geohash(client_t *c) {
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &c->argv[1], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;
    reply_array(c, c->argc - 2);
    for (int j = 2; j < c->argc; j++) {
        double xy[2];
        char buf[12];
        /* our scores use the -85..85 latitude band; the standard string is re-encoded from
         * the decoded point over -90..90 */
        if (!z || geo_member_xy(z, c->argv[j].ptr, c->argv[j].len, xy) ||
            !geohash_to_base32(xy[0], xy[1], buf))
            reply_null(c);
        else
            reply_bulk(c, buf, 11);
    }
}

/* ===================== the area search ===================== */

/* A match. Members point into the source set, which stays untouched while they are used. */
typedef struct geo_point {
    double lon, lat;
    double dist; /* metres until the reply converts it */
    double score;
    const char *member;
    size_t len;
} geo_point_t;

typedef struct geo_points {
    geo_point_t *v;
    size_t n, cap;
} geo_points_t;

/* One array reused by every search (the engine is single-threaded). */
static geo_points_t s_found;

static void s_found_reset(void) {
    s_found.n = 0;
    /* a huge result once must not pin its memory */
    if (s_found.cap > 4096) {
        free(s_found.v);
        s_found.v = NULL;
        s_found.cap = 0;
    }
}

static void s_found_push(double xy[2], double dist, double score, const char *m, size_t len) {
    if (s_found.n == s_found.cap) {
        size_t cap = s_found.cap ? s_found.cap * 2 : 64;
        geo_point_t *v = realloc(s_found.v, cap * sizeof(*v));
        if (!v) abort();
        s_found.v = v;
        s_found.cap = cap;
    }
    geo_point_t *p = &s_found.v[s_found.n++];
    p->lon = xy[0];
    p->lat = xy[1];
    p->dist = dist;
    p->score = score;
    p->member = m;
    p->len = len;
}

/* The members of one cell (its score interval) that lie in the shape; stops once `limit`
 * matches are held (0: no limit). */
static void s_scan_cell(const vobj_t *z, geohash_bits_t cell, const geo_shape_t *s,
                        unsigned long limit) {
    uint64_t lo, hi;
    geohash_cell_scores(cell, &lo, &hi);
    zrange_spec_t r = {.min = (double)lo, .max = (double)hi, .minex = 0, .maxex = 1};
    zset_iter_t it;
    zset_iter_score(&it, z, &r, 0);
    const char *m;
    size_t len;
    double score;
    while (zset_iter_next(&it, &m, &len, &score)) {
        double xy[2], dist = 0;
        if (geohash_score_to_xy(score, xy) && geo_shape_contains(s, xy[0], xy[1], &dist))
            s_found_push(xy, dist, score, m, len);
        if (s_found.n && limit && s_found.n >= limit) break;
    }
}

/* Scans the centre cell and its neighbours in order. Huge shapes can make neighbours repeat:
 * a cell equal to the last one scanned is skipped (only that one, as Redis compares). */
static void s_scan_cells(const vobj_t *z, const geo_shape_t *s, unsigned long limit) {
    geohash_bits_t cells[9];
    geo_search_cells(s, cells);
    int last = 0;
    for (int i = 0; i < 9; i++) {
        if (geohash_is_zero(cells[i])) continue;
        if (last && cells[i].bits == cells[last].bits && cells[i].step == cells[last].step)
            continue;
        if (s_found.n && limit && s_found.n >= limit) break;
        s_scan_cell(z, cells[i], s, limit);
        last = i;
    }
}

static int s_by_dist_asc(const void *a, const void *b) {
    double x = ((const geo_point_t *)a)->dist, y = ((const geo_point_t *)b)->dist;
    return x == y ? 0 : (x > y ? 1 : -1);
}

static int s_by_dist_desc(const void *a, const void *b) { return -s_by_dist_asc(a, b); }

typedef int s_cmp_fn(const void *, const void *);

static inline void s_swap(geo_point_t *a, geo_point_t *b) {
    geo_point_t t = *a;
    *a = *b;
    *b = t;
}

static inline void s_swap_run(geo_point_t *a, geo_point_t *b, ptrdiff_t n) {
    for (ptrdiff_t i = 0; i < n; i++)
        s_swap(a + i, b + i);
}

static inline geo_point_t *s_median3(geo_point_t *a, geo_point_t *b, geo_point_t *c,
                                     s_cmp_fn *cmp) {
    if (cmp(a, b) < 0) return cmp(b, c) < 0 ? b : (cmp(a, c) < 0 ? c : a);
    return cmp(b, c) > 0 ? b : (cmp(a, c) < 0 ? a : c);
}

/* Partial sort for COUNT: afterwards base[want_lo..want_hi] hold what a full sort would put
 * there. It is the Bentley-McIlroy three-way quicksort (ninther pivot, equal keys gathered
 * at both ends) that only descends into partitions overlapping the wanted positions; Redis
 * sorts this way too, so members at equal distances come out in the same order. */
static void s_partial_sort(geo_point_t *base, geo_point_t *a, size_t n, size_t want_lo,
                           size_t want_hi, s_cmp_fn *cmp) {
    for (;;) {
        if (n < 7) {
            for (geo_point_t *pm = a + 1; pm < a + n; pm++)
                for (geo_point_t *pl = pm; pl > a && cmp(pl - 1, pl) > 0; pl--)
                    s_swap(pl, pl - 1);
            return;
        }
        geo_point_t *pm = a + n / 2;
        if (n > 7) {
            geo_point_t *pl = a, *pn = a + n - 1;
            if (n > 40) {
                size_t d = n / 8;
                pl = s_median3(pl, pl + d, pl + 2 * d, cmp);
                pm = s_median3(pm - d, pm, pm + d, cmp);
                pn = s_median3(pn - 2 * d, pn - d, pn, cmp);
            }
            pm = s_median3(pl, pm, pn, cmp);
        }
        s_swap(a, pm); /* the pivot waits at a[0] */
        geo_point_t *pa = a + 1, *pb = a + 1, *pc = a + n - 1, *pd = a + n - 1;
        int r;
        for (;;) {
            while (pb <= pc && (r = cmp(pb, a)) <= 0) {
                if (r == 0) s_swap(pa++, pb);
                pb++;
            }
            while (pb <= pc && (r = cmp(pc, a)) >= 0) {
                if (r == 0) s_swap(pc, pd--);
                pc--;
            }
            if (pb > pc) break;
            s_swap(pb++, pc--);
        }
        /* move the equal runs from both ends to the middle */
        geo_point_t *pn = a + n;
        ptrdiff_t k = pa - a < pb - pa ? pa - a : pb - pa;
        s_swap_run(a, pb - k, k);
        k = pd - pc < pn - pd - 1 ? pd - pc : pn - pd - 1;
        s_swap_run(pb, pn - k, k);

        ptrdiff_t left = pb - pa, right = pd - pc;
        if (left > 1) {
            size_t s0 = (size_t)(a - base);
            if (!(want_hi < s0 || want_lo >= s0 + (size_t)left))
                s_partial_sort(base, a, (size_t)left, want_lo, want_hi, cmp);
        }
        if (right <= 1) return;
        a = pn - right;
        n = (size_t)right;
        size_t s0 = (size_t)(a - base);
        if (want_hi < s0 || want_lo >= s0 + n) return;
    }
}

enum { SORT_NONE = 0, SORT_ASC, SORT_DESC };

/* How a search command reads its arguments. */
enum {
    GEO_FROM_COORDS = 1 << 0, /* GEORADIUS: key lon lat radius unit */
    GEO_FROM_MEMBER = 1 << 1, /* GEORADIUSBYMEMBER: key member radius unit */
    GEO_NO_STORE = 1 << 2,    /* the _RO variants */
    GEO_SEARCH = 1 << 3,      /* GEOSEARCH syntax */
    GEO_SEARCH_STORE = 1 << 4 /* GEOSEARCHSTORE: dst src, then GEOSEARCH syntax */
};

static void s_store_result(client_t *c, const proto_arg_t *dst, long n, int storedist,
                           double conversion, int flags) {
    engine_t *e = c->eng;
    if (!n) {
        if (db_delete(e, c->db, dst->ptr, dst->len)) {
            signal_modified_key(e, c->db, dst->ptr, dst->len);
            notify_keyspace_event(e, NOTIFY_GENERIC, "del", dst->ptr, dst->len, c->db->id);
            e->stats.dirty++;
        }
        reply_int(c, 0);
        return;
    }
    /* built whole before it replaces the destination: the members point into the source,
     * which may be the same key */
    vobj_t *z = zset_create_enc(ENC_SKIPLIST);
    size_t maxlen = 0, totlen = 0;
    for (long i = 0; i < n; i++) {
        const geo_point_t *p = &s_found.v[i];
        double score = storedist ? p->dist / conversion : p->score;
        int out;
        zset_add(&e->cfg, z, score, p->member, p->len, ZADD_IN_NONE, &out, NULL);
        if (p->len > maxlen) maxlen = p->len;
        totlen += p->len;
    }
    zset_convert_to_listpack_if_needed(&e->cfg, z, maxlen, totlen);
    db_set(e, c->db, dst->ptr, dst->len, z, 0);
    signal_modified_key(e, c->db, dst->ptr, dst->len);
    notify_keyspace_event(e, NOTIFY_ZSET, flags & GEO_SEARCH ? "geosearchstore" : "georadiusstore",
                          dst->ptr, dst->len, c->db->id);
    e->stats.dirty += n;
    reply_int(c, n);
}

static void s_search_generic(client_t *c, int src, int flags) {
    const proto_arg_t *argv = c->argv;
    int argc = c->argc;
    const proto_arg_t *storekey = NULL;
    int storedist = 0;
    int wrongtype;
    vobj_t *z = lookup_read_or_reply_type(c, &argv[src], OBJ_ZSET, &wrongtype);
    if (wrongtype) return;

    geo_shape_t shape;
    memset(&shape, 0, sizeof(shape));
    int base;
    if (flags & GEO_FROM_COORDS) {
        base = 6;
        shape.type = GEO_SHAPE_CIRCLE;
        if (s_lonlat_or_reply(c, &argv[2], shape.xy)) return;
        if (s_radius_or_reply(c, &argv[base - 2], &shape)) return;
    } else if (flags & GEO_FROM_MEMBER) {
        base = 5;
        /* without the key the member cannot be found, yet the options are still read so
         * that the reply suits STORE or not */
        if (z) {
            shape.type = GEO_SHAPE_CIRCLE;
            if (geo_member_xy(z, argv[2].ptr, argv[2].len, shape.xy)) {
                reply_error(c, "could not decode requested zset member");
                return;
            }
            if (s_radius_or_reply(c, &argv[base - 2], &shape)) return;
        }
    } else {
        base = 2;
        if (flags & GEO_SEARCH_STORE) {
            base = 3;
            storekey = &argv[1];
        }
    }

    int withdist = 0, withhash = 0, withcoord = 0, any = 0, sort = SORT_NONE;
    int frommember = 0, fromlonlat = 0, byradius = 0, bybox = 0;
    long long count = 0;
    int left = argc - base;
    for (int i = 0; i < left; i++) {
        const proto_arg_t *a = &argv[base + i];
        int search = (flags & GEO_SEARCH) != 0;
        if (s_opt_is(a, "withdist")) {
            withdist = 1;
        } else if (s_opt_is(a, "withhash")) {
            withhash = 1;
        } else if (s_opt_is(a, "withcoord")) {
            withcoord = 1;
        } else if (s_opt_is(a, "any")) {
            any = 1;
        } else if (s_opt_is(a, "asc")) {
            sort = SORT_ASC;
        } else if (s_opt_is(a, "desc")) {
            sort = SORT_DESC;
        } else if (s_opt_is(a, "count") && i + 1 < left) {
            if (arg_ll_or_reply(c, &argv[base + i + 1], &count, NULL)) return;
            if (count <= 0) {
                reply_error(c, "COUNT must be > 0");
                return;
            }
            i++;
        } else if ((s_opt_is(a, "store") || s_opt_is(a, "storedist")) && i + 1 < left &&
                   !(flags & GEO_NO_STORE) && !search) {
            storekey = &argv[base + i + 1];
            storedist = s_opt_is(a, "storedist");
            i++;
        } else if (s_opt_is(a, "storedist") && search && (flags & GEO_SEARCH_STORE)) {
            storedist = 1;
        } else if (s_opt_is(a, "frommember") && i + 1 < left && search && !fromlonlat) {
            /* with no key, parsing goes on and the empty reply comes at the end */
            if (z && geo_member_xy(z, argv[base + i + 1].ptr, argv[base + i + 1].len, shape.xy)) {
                reply_error(c, "could not decode requested zset member");
                return;
            }
            frommember = 1;
            i++;
        } else if (s_opt_is(a, "fromlonlat") && i + 2 < left && search && !frommember) {
            if (s_lonlat_or_reply(c, &argv[base + i + 1], shape.xy)) return;
            fromlonlat = 1;
            i += 2;
        } else if (s_opt_is(a, "byradius") && i + 2 < left && search && !bybox) {
            if (s_radius_or_reply(c, &argv[base + i + 1], &shape)) return;
            shape.type = GEO_SHAPE_CIRCLE;
            byradius = 1;
            i += 2;
        } else if (s_opt_is(a, "bybox") && i + 3 < left && search && !byradius) {
            if (s_box_or_reply(c, &argv[base + i + 1], &shape)) return;
            shape.type = GEO_SHAPE_BOX;
            bybox = 1;
            i += 3;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }

    if (storekey && (withdist || withhash || withcoord)) {
        reply_errorf(c, "%s is not compatible with WITHDIST, WITHHASH and WITHCOORD options",
                     flags & GEO_SEARCH_STORE ? "GEOSEARCHSTORE" : "STORE option in GEORADIUS");
        return;
    }
    if ((flags & GEO_SEARCH) && !(frommember || fromlonlat)) {
        reply_errorf(c, "exactly one of FROMMEMBER or FROMLONLAT can be specified for %.*s",
                     (int)argv[0].len, argv[0].ptr);
        return;
    }
    if ((flags & GEO_SEARCH) && !(byradius || bybox)) {
        reply_errorf(c, "exactly one of BYRADIUS and BYBOX can be specified for %.*s",
                     (int)argv[0].len, argv[0].ptr);
        return;
    }
    if (any && !count) {
        reply_error(c, "the ANY argument requires COUNT argument");
        return;
    }

    if (!z) {
        if (storekey)
            s_store_result(c, storekey, 0, 0, 1, flags);
        else
            reply_array(c, 0);
        return;
    }

    /* the nearest N need an order: COUNT alone means ascending (not with ANY, which takes
     * the first N found) */
    if (count && sort == SORT_NONE && !any) sort = SORT_ASC;

    s_found_reset();
    s_scan_cells(z, &shape, any ? (unsigned long)count : 0);
    long found = (long)s_found.n;
    if (!found && !storekey) {
        reply_array(c, 0);
        return;
    }
    long n = (count == 0 || found < count) ? found : (long)count;
    if (sort != SORT_NONE) {
        s_cmp_fn *cmp = sort == SORT_ASC ? s_by_dist_asc : s_by_dist_desc;
        if (n == found)
            qsort(s_found.v, (size_t)found, sizeof(geo_point_t), cmp);
        else
            s_partial_sort(s_found.v, s_found.v, (size_t)found, 0, (size_t)n - 1, cmp);
    }

    if (storekey) {
        s_store_result(c, storekey, n, storedist, shape.conversion, flags);
        return;
    }
    int extra = withdist + withhash + withcoord;
    reply_array(c, n);
    for (long i = 0; i < n; i++) {
        const geo_point_t *p = &s_found.v[i];
        if (extra) reply_array(c, extra + 1);
        reply_bulk(c, p->member, p->len);
        if (withdist) s_reply_distance(c, p->dist / shape.conversion);
        if (withhash) reply_int(c, (long long)p->score);
        if (withcoord) {
            double xy[2] = {p->lon, p->lat};
            s_reply_point(c, xy);
        }
    }
}

static void cmd_georadius(client_t *c) { s_search_generic(c, 1, GEO_FROM_COORDS); }
static void cmd_georadius_ro(client_t *c) { s_search_generic(c, 1, GEO_FROM_COORDS | GEO_NO_STORE); }
static void cmd_georadiusbymember(client_t *c) { s_search_generic(c, 1, GEO_FROM_MEMBER); }
static void cmd_georadiusbymember_ro(client_t *c) {
    s_search_generic(c, 1, GEO_FROM_MEMBER | GEO_NO_STORE);
}
static void cmd_geosearch(client_t *c) { s_search_generic(c, 1, GEO_SEARCH); }
static void cmd_geosearchstore(client_t *c) { s_search_generic(c, 2, GEO_SEARCH | GEO_SEARCH_STORE); }

/* ===================== command table ===================== */

#define GEO_UNITS "oneof:unit(=M =KM =FT =MI)"
#define GEO_SEARCH_ARGS                                                                            \
    "oneof:from(string:member=FROMMEMBER block:longitude_latitude=FROMLONLAT(double:longitude "    \
    "double:latitude)) oneof:by(block:circle(double:radius=BYRADIUS " GEO_UNITS ") "               \
    "block:box(double:width=BYBOX double:height " GEO_UNITS ")) ?oneof:order(=ASC =DESC) "         \
    "?block:count(integer:count=COUNT ?=ANY)"
#define GEO_RADIUS_OPTS(any_since)                                                                 \
    "?=WITHCOORD ?=WITHDIST ?=WITHHASH ?block:count(integer:count=COUNT ?=ANY" any_since ") "      \
    "?oneof:order(=ASC =DESC)"
#define GEO_RADIUS_STORE_SPECS(from)                                                               \
    "RO access;index:1;range:0,1,0|OW update;keyword:STORE," from                                  \
    ";range:0,1,0|OW update;keyword:STOREDIST," from ";range:0,1,0"
#define GEO_AREA_COMPLEXITY                                                                        \
    "O(N+log(M)), N being the number of members in the cells covering the area's bounding "        \
    "box and M the number of members in the area."

// clang-format off
command_t geo_commands[] = {
    {.name = "geoadd", .proc = cmd_geoadd, .arity = -5, .flags = "write denyoom", .acl = "geo",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "geo", .since = "3.2.0",
     .summary = "Adds points (longitude, latitude, name) to a geospatial index kept in a sorted "
                "set, or moves existing ones.",
     .complexity = "O(log(N)) per point given, N being the size of the sorted set.",
     .history = "6.2.0 Options CH, NX and XX.",
     .args = "key:key@0 ?oneof:condition+6.2.0(=NX =XX) ?pure-token:change=CH+6.2.0 "
             "*block:longitude_latitude_member(double:longitude double:latitude string:member)"},
    {.name = "geopos", .proc = cmd_geopos, .arity = -2, .flags = "readonly", .acl = "geo",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "geo", .since = "3.2.0",
     .summary = "Returns the longitude and latitude of members of a geospatial index.",
     .complexity = "O(N), N being the number of members asked for.",
     .args = "key:key@0 *string:member"},
    {.name = "geodist", .proc = cmd_geodist, .arity = -4, .flags = "readonly", .acl = "geo",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "geo", .since = "3.2.0",
     .summary = "Returns the great-circle distance between two members of a geospatial index.",
     .complexity = "O(1)",
     .args = "key:key@0 string:member1 string:member2 ?" GEO_UNITS},
    {.name = "geohash", .proc = cmd_geohash, .arity = -2, .flags = "readonly", .acl = "geo",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "geo", .since = "3.2.0",
     .summary = "Returns the standard 11-character geohash strings of members of a geospatial "
                "index.",
     .complexity = "O(1) per member asked for.",
     .args = "key:key@0 *string:member"},
    {.name = "geosearch", .proc = cmd_geosearch, .arity = -7, .flags = "readonly", .acl = "geo",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "geo", .since = "6.2.0",
     .summary = "Returns the members of a geospatial index inside a circle or a box.",
     .complexity = GEO_AREA_COMPLEXITY,
     .history = "7.0.0 Units may be given in uppercase.",
     .args = "key:key@0 " GEO_SEARCH_ARGS " ?=WITHCOORD ?=WITHDIST ?=WITHHASH"},
    {.name = "geosearchstore", .proc = cmd_geosearchstore, .arity = -8,
     .flags = "write denyoom", .acl = "geo",
     .keyspecs = "OW update;index:1;range:0,1,0|RO access;index:2;range:0,1,0", .group = "geo",
     .since = "6.2.0",
     .summary = "Stores the members of a geospatial index inside a circle or a box in another "
                "sorted set.",
     .complexity = GEO_AREA_COMPLEXITY,
     .history = "7.0.0 Units may be given in uppercase.",
     .args = "key:destination@0 key:source@1 " GEO_SEARCH_ARGS " ?=STOREDIST"},
    {.name = "georadius", .proc = cmd_georadius, .arity = -6, .flags = "write denyoom",
     .acl = "geo", .keyspecs = GEO_RADIUS_STORE_SPECS("6"), .group = "geo", .since = "3.2.0",
     .summary = "Returns (or stores) the members of a geospatial index within a radius of a "
                "point.",
     .complexity = GEO_AREA_COMPLEXITY,
     .history = "6.2.0 Option ANY for COUNT.|7.0.0 Units may be given in uppercase.",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`GEOSEARCH` and `GEOSEARCHSTORE` with `BYRADIUS`",
     .args = "key:key@0 double:longitude double:latitude double:radius " GEO_UNITS " "
             GEO_RADIUS_OPTS("+6.2.0") " ?key:key=STORE@1 ?key:key=STOREDIST@2"},
    {.name = "georadius_ro", .proc = cmd_georadius_ro, .arity = -6, .flags = "readonly",
     .acl = "geo", .keyspecs = "RO access;index:1;range:0,1,0", .group = "geo",
     .since = "3.2.10",
     .summary = "Returns the members of a geospatial index within a radius of a point (never "
                "stores).",
     .complexity = GEO_AREA_COMPLEXITY,
     .history = "6.2.0 Option ANY for COUNT.",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`GEOSEARCH` with `BYRADIUS`",
     .args = "key:key@0 double:longitude double:latitude double:radius " GEO_UNITS " "
             GEO_RADIUS_OPTS("+6.2.0")},
    {.name = "georadiusbymember", .proc = cmd_georadiusbymember, .arity = -5,
     .flags = "write denyoom", .acl = "geo", .keyspecs = GEO_RADIUS_STORE_SPECS("5"),
     .group = "geo", .since = "3.2.0",
     .summary = "Returns (or stores) the members of a geospatial index within a radius of one "
                "of its members.",
     .complexity = GEO_AREA_COMPLEXITY,
     .history = "7.0.0 Units may be given in uppercase.",
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`GEOSEARCH` and `GEOSEARCHSTORE` with `BYRADIUS` and `FROMMEMBER`",
     .args = "key:key@0 string:member double:radius " GEO_UNITS " " GEO_RADIUS_OPTS("")
             " ?key:key=STORE@1 ?key:key=STOREDIST@2"},
    {.name = "georadiusbymember_ro", .proc = cmd_georadiusbymember_ro, .arity = -5,
     .flags = "readonly", .acl = "geo", .keyspecs = "RO access;index:1;range:0,1,0",
     .group = "geo", .since = "3.2.10",
     .summary = "Returns the members of a geospatial index within a radius of one of its "
                "members (never stores).",
     .complexity = GEO_AREA_COMPLEXITY,
     .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`GEOSEARCH` with `BYRADIUS` and `FROMMEMBER`",
     .args = "key:key@0 string:member double:radius " GEO_UNITS " " GEO_RADIUS_OPTS("")},
    {0},
};
// clang-format on
