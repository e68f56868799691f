/* Geohash encoding and decoding, neighbour cells, distances and the area search plan used by
 * the GEO commands. Every floating-point expression keeps the operation order Redis uses, so
 * that positions, distances and the set of scanned cells come out identical to the bit. */
#include "engine/ds/geohash.h"

#include <math.h>

#define GEO_DEG_TO_RAD (M_PI / 180.0)

static inline double s_rad(double deg) { return deg * GEO_DEG_TO_RAD; }
static inline double s_deg(double rad) { return rad / GEO_DEG_TO_RAD; }

static const geo_range_t s_lon_band = {GEO_LONG_MIN, GEO_LONG_MAX};
static const geo_range_t s_lat_band = {GEO_LAT_MIN, GEO_LAT_MAX};

/* ===================== bit interleaving ===================== */

/* Moves bit i of a 32-bit value to bit 2i (the classic shift-and-mask ladder). */
static inline uint64_t s_spread(uint32_t v) {
    uint64_t x = v;
    x = (x ^ (x << 16)) & 0x0000ffff0000ffffULL;
    x = (x ^ (x << 8)) & 0x00ff00ff00ff00ffULL;
    x = (x ^ (x << 4)) & 0x0f0f0f0f0f0f0f0fULL;
    x = (x ^ (x << 2)) & 0x3333333333333333ULL;
    x = (x ^ (x << 1)) & 0x5555555555555555ULL;
    return x;
}

/* The inverse: gathers the even bits of x into a 32-bit value. */
static inline uint32_t s_gather(uint64_t x) {
    x &= 0x5555555555555555ULL;
    x = (x ^ (x >> 1)) & 0x3333333333333333ULL;
    x = (x ^ (x >> 2)) & 0x0f0f0f0f0f0f0f0fULL;
    x = (x ^ (x >> 4)) & 0x00ff00ff00ff00ffULL;
    x = (x ^ (x >> 8)) & 0x0000ffff0000ffffULL;
    x = (x ^ (x >> 16)) & 0x00000000ffffffffULL;
    return (uint32_t)x;
}

/* ===================== encode / decode ===================== */

int geohash_encode(const geo_range_t *lon_r, const geo_range_t *lat_r, double lon, double lat,
                   int step, geohash_bits_t *out) {
    if (step < 1 || step > 32) return 0;
    if (lat_r->max == 0 && lat_r->min == 0) return 0;
    if (lon_r->max == 0 && lon_r->min == 0) return 0;
    /* whatever the ranges, nothing outside the indexable band gets a code */
    if (lon > GEO_LONG_MAX || lon < GEO_LONG_MIN || lat > GEO_LAT_MAX || lat < GEO_LAT_MIN)
        return 0;
    out->bits = 0;
    out->step = (uint8_t)step;
    if (lat < lat_r->min || lat > lat_r->max || lon < lon_r->min || lon > lon_r->max) return 0;

    double lat_off = (lat - lat_r->min) / (lat_r->max - lat_r->min);
    double lon_off = (lon - lon_r->min) / (lon_r->max - lon_r->min);
    lat_off *= (double)(1ULL << step);
    lon_off *= (double)(1ULL << step);
    /* a point on the upper edge gives 2^step, one bit past the cell grid, as in Redis */
    out->bits = s_spread((uint32_t)lat_off) | (s_spread((uint32_t)lon_off) << 1);
    return 1;
}

int geohash_encode_wgs84(double lon, double lat, int step, geohash_bits_t *out) {
    return geohash_encode(&s_lon_band, &s_lat_band, lon, lat, step, out);
}

int geohash_decode(const geo_range_t *lon_r, const geo_range_t *lat_r, geohash_bits_t h,
                   geohash_area_t *area) {
    if (geohash_is_zero(h)) return 0;
    if (lat_r->max == 0 && lat_r->min == 0) return 0;
    if (lon_r->max == 0 && lon_r->min == 0) return 0;
    area->hash = h;
    double cells = (double)(1ULL << h.step);
    double lat_span = lat_r->max - lat_r->min;
    double lon_span = lon_r->max - lon_r->min;
    uint32_t ilat = s_gather(h.bits), ilon = s_gather(h.bits >> 1);
    /* "+ 1" in 32 bits: an all-ones index wraps to 0 exactly as Redis's does */
    uint32_t ilat1 = ilat + 1, ilon1 = ilon + 1;
    area->lat.min = lat_r->min + (ilat * 1.0 / cells) * lat_span;
    area->lat.max = lat_r->min + (ilat1 * 1.0 / cells) * lat_span;
    area->lon.min = lon_r->min + (ilon * 1.0 / cells) * lon_span;
    area->lon.max = lon_r->min + (ilon1 * 1.0 / cells) * lon_span;
    return 1;
}

int geohash_decode_wgs84(geohash_bits_t h, geohash_area_t *area) {
    return geohash_decode(&s_lon_band, &s_lat_band, h, area);
}

int geohash_decode_to_xy(geohash_bits_t h, double xy[2]) {
    geohash_area_t a;
    if (!geohash_decode_wgs84(h, &a)) return 0;
    double lon = (a.lon.min + a.lon.max) / 2, lat = (a.lat.min + a.lat.max) / 2;
    if (lon > GEO_LONG_MAX) lon = GEO_LONG_MAX;
    if (lon < GEO_LONG_MIN) lon = GEO_LONG_MIN;
    if (lat > GEO_LAT_MAX) lat = GEO_LAT_MAX;
    if (lat < GEO_LAT_MIN) lat = GEO_LAT_MIN;
    xy[0] = lon;
    xy[1] = lat;
    return 1;
}

/* The score as Redis reads it back, (uint64_t)score, spelled out without undefined behaviour:
 * the result is what that conversion gives on x86-64 (the reference build), also for scores
 * of members not added by GEOADD (negative, past 2^64, infinite). */
static uint64_t s_score_bits(double score) {
    const double two63 = 9223372036854775808.0;
    const uint64_t indefinite = 0x8000000000000000ULL; /* what the CPU gives out of range */
    if (score >= two63) {
        double t = score - two63;
        uint64_t r = t < two63 ? (uint64_t)(int64_t)t : indefinite;
        return r ^ indefinite;
    }
    return score >= -two63 ? (uint64_t)(int64_t)score : indefinite;
}

int geohash_score_to_xy(double score, double xy[2]) {
    geohash_bits_t h = {s_score_bits(score), GEO_STEP_MAX};
    return geohash_decode_to_xy(h, xy);
}

uint64_t geohash_align52(geohash_bits_t h) { return h.bits << (52 - h.step * 2); }

void geohash_cell_scores(geohash_bits_t h, uint64_t *min, uint64_t *max) {
    *min = geohash_align52(h);
    h.bits++;
    *max = geohash_align52(h);
}

/* ===================== neighbours ===================== */

/* Adds d (+1 / -1) to the axis whose bits are selected by `axis` (0xaaaa... longitude,
 * 0x5555... latitude), carrying through the other axis's bit positions and wrapping modulo
 * 2^step. */
static uint64_t s_move(uint64_t bits, int step, uint64_t axis, int d) {
    uint64_t other = ~axis;
    uint64_t mine = bits & axis, keep = bits & other;
    /* the other axis's positions inside the code, set to 1 so a carry runs through them */
    uint64_t fill = other >> (64 - step * 2);
    if (d > 0)
        mine = mine + (fill + 1);
    else
        mine = (mine | fill) - (fill + 1);
    mine &= axis >> (64 - step * 2);
    return mine | keep;
}

#define GEO_LON_BITS 0xaaaaaaaaaaaaaaaaULL
#define GEO_LAT_BITS 0x5555555555555555ULL

void geohash_neighbours(geohash_bits_t h, geohash_bits_t out[GEO_NEIGHBOURS]) {
    static const struct {
        int dx, dy;
    } dirs[GEO_NEIGHBOURS] = {
        [GEO_N] = {0, 1},  [GEO_S] = {0, -1},  [GEO_E] = {1, 0},   [GEO_W] = {-1, 0},
        [GEO_NE] = {1, 1}, [GEO_NW] = {-1, 1}, [GEO_SE] = {1, -1}, [GEO_SW] = {-1, -1},
    };
    for (int i = 0; i < GEO_NEIGHBOURS; i++) {
        uint64_t b = h.bits;
        if (dirs[i].dx) b = s_move(b, h.step, GEO_LON_BITS, dirs[i].dx);
        if (dirs[i].dy) b = s_move(b, h.step, GEO_LAT_BITS, dirs[i].dy);
        out[i].bits = b;
        out[i].step = h.step;
    }
}

/* ===================== base32 ===================== */

int geohash_to_base32(double lon, double lat, char out[12]) {
    static const char alphabet[] = "0123456789bcdefghjkmnpqrstuvwxyz";
    static const geo_range_t lat_std = {-90, 90};
    geohash_bits_t h;
    if (!geohash_encode(&s_lon_band, &lat_std, lon, lat, GEO_STEP_MAX, &h)) return 0;
    for (int i = 0; i < 10; i++)
        out[i] = alphabet[(h.bits >> (52 - (i + 1) * 5)) & 0x1f];
    out[10] = '0'; /* 55 bits would be needed; the missing ones read as zero */
    out[11] = '\0';
    return 1;
}

/* ===================== distances and search areas ===================== */

/* Along one meridian the haversine reduces to the latitude difference (asin(sin(x)) = x). */
static inline double s_meridian_distance(double lat1, double lat2) {
    return GEO_EARTH_RADIUS_M * fabs(s_rad(lat2) - s_rad(lat1));
}

double geo_distance(double lon1, double lat1, double lon2, double lat2) {
    double lon1r = s_rad(lon1), lon2r = s_rad(lon2);
    double v = sin((lon2r - lon1r) / 2);
    /* Redis 7.0.15 takes this shortcut too; the last bits differ from the full formula's */
    if (v == 0.0) return s_meridian_distance(lat1, lat2);
    double lat1r = s_rad(lat1), lat2r = s_rad(lat2);
    double u = sin((lat2r - lat1r) / 2);
    return 2.0 * GEO_EARTH_RADIUS_M * asin(sqrt(u * u + cos(lat1r) * cos(lat2r) * v * v));
}

int geo_estimate_steps(double radius_m, double lat) {
    if (radius_m == 0) return GEO_STEP_MAX;
    /* halve the world's extent until it fits the radius, one bit per halving */
    int step = 1;
    while (radius_m < GEO_MERCATOR_MAX) {
        radius_m *= 2;
        step++;
    }
    step -= 2; /* keep the radius inside the 3x3 block in most cases */
    /* meridians converge towards the poles: cells get narrower, so use bigger ones */
    if (lat > 66 || lat < -66) {
        step--;
        if (lat > 80 || lat < -80) step--;
    }
    if (step < 1) step = 1;
    if (step > GEO_STEP_MAX) step = GEO_STEP_MAX;
    return step;
}

void geo_bounding_box(const geo_shape_t *s, double bounds[4]) {
    double lon = s->xy[0], lat = s->xy[1];
    int circle = s->type == GEO_SHAPE_CIRCLE;
    double half_h = s->conversion * (circle ? s->radius : s->height / 2);
    double half_w = s->conversion * (circle ? s->radius : s->width / 2);
    double dlat = s_deg(half_h / GEO_EARTH_RADIUS_M);
    /* a box's east/west extent is widest on the edge nearer the pole */
    double dlon_north = s_deg(half_w / GEO_EARTH_RADIUS_M / cos(s_rad(lat + dlat)));
    double dlon_south = s_deg(half_w / GEO_EARTH_RADIUS_M / cos(s_rad(lat - dlat)));
    double dlon = lat < 0 ? dlon_south : dlon_north;
    bounds[0] = lon - dlon;
    bounds[1] = lat - dlat;
    bounds[2] = lon + dlon;
    bounds[3] = lat + dlat;
}

void geo_search_cells(const geo_shape_t *s, geohash_bits_t cells[9]) {
    double b[4];
    geo_bounding_box(s, b);
    double min_lon = b[0], min_lat = b[1], max_lon = b[2], max_lat = b[3];
    double lon = s->xy[0], lat = s->xy[1];
    double radius_m;
    if (s->type == GEO_SHAPE_CIRCLE)
        radius_m = s->radius;
    else /* the half-diagonal: the farthest a box's corner is from its centre */
        radius_m = sqrt((s->width / 2) * (s->width / 2) + (s->height / 2) * (s->height / 2));
    radius_m *= s->conversion;

    int steps = geo_estimate_steps(radius_m, lat);
    geohash_bits_t h = {0, 0}, nb[GEO_NEIGHBOURS];
    geohash_area_t area;
    geohash_encode_wgs84(lon, lat, steps, &h);
    geohash_neighbours(h, nb);
    geohash_decode_wgs84(h, &area);

    /* The estimate can leave the bounding box sticking out of the 3x3 block when the centre
     * sits near its cell's edge: then use cells twice as big. */
    geohash_area_t n, so, ea, we;
    geohash_decode_wgs84(nb[GEO_N], &n);
    geohash_decode_wgs84(nb[GEO_S], &so);
    geohash_decode_wgs84(nb[GEO_E], &ea);
    geohash_decode_wgs84(nb[GEO_W], &we);
    int coarser =
        n.lat.max < max_lat || so.lat.min > min_lat || ea.lon.max < max_lon || we.lon.min > min_lon;
    if (steps > 1 && coarser) {
        steps--;
        geohash_encode_wgs84(lon, lat, steps, &h);
        geohash_neighbours(h, nb);
        geohash_decode_wgs84(h, &area);
    }

    /* Neighbours on a side the bounding box does not reach cannot hold matches. */
    if (steps >= 2) {
        static const geohash_bits_t zero = {0, 0};
        if (area.lat.min < min_lat) nb[GEO_S] = nb[GEO_SW] = nb[GEO_SE] = zero;
        if (area.lat.max > max_lat) nb[GEO_N] = nb[GEO_NE] = nb[GEO_NW] = zero;
        if (area.lon.min < min_lon) nb[GEO_W] = nb[GEO_SW] = nb[GEO_NW] = zero;
        if (area.lon.max > max_lon) nb[GEO_E] = nb[GEO_SE] = nb[GEO_NE] = zero;
    }
    cells[0] = h;
    for (int i = 0; i < GEO_NEIGHBOURS; i++)
        cells[1 + i] = nb[i];
}

int geo_shape_contains(const geo_shape_t *s, double lon, double lat, double *dist) {
    double clon = s->xy[0], clat = s->xy[1];
    if (s->type == GEO_SHAPE_CIRCLE) {
        double d = geo_distance(clon, clat, lon, lat);
        *dist = d;
        return d <= s->radius * s->conversion;
    }
    /* a box: both offsets are measured from the point, the north-south one along its
     * meridian, the east-west one along its parallel */
    if (s_meridian_distance(lat, clat) > s->height * s->conversion / 2) return 0;
    if (geo_distance(lon, lat, clon, lat) > s->width * s->conversion / 2) return 0;
    *dist = geo_distance(clon, clat, lon, lat);
    return 1;
}
