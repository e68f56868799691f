/* Geohash math for the GEO commands: 52-bit interleaved cell codes over the Web Mercator
 * latitude band, neighbour cells, haversine distances and the 9-cell area search plan, with
 * the same floating-point steps as Redis so scores, positions and search results agree bit
 * for bit. Pure functions: no engine dependency. */
#ifndef VOLE_GEOHASH_H
#define VOLE_GEOHASH_H
#include <stdint.h>

/* The indexable band (EPSG:3857 cannot reach the poles). */
#define GEO_LAT_MIN -85.05112878
#define GEO_LAT_MAX 85.05112878
#define GEO_LONG_MIN -180.0
#define GEO_LONG_MAX 180.0
#define GEO_STEP_MAX 26 /* 26 bits per axis: the 52-bit scores */
#define GEO_EARTH_RADIUS_M 6372797.560856
#define GEO_MERCATOR_MAX 20037726.37

/* A cell: `step` bits per axis, latitude bits in the even positions, longitude bits in the
 * odd ones. The all-zero value (bits 0, step 0) means "no cell". */
typedef struct geohash_bits {
    uint64_t bits;
    uint8_t step;
} geohash_bits_t;

typedef struct geo_range {
    double min, max;
} geo_range_t;

/* The rectangle a cell covers. */
typedef struct geohash_area {
    geohash_bits_t hash;
    geo_range_t lon, lat;
} geohash_area_t;

static inline int geohash_is_zero(geohash_bits_t h) { return h.bits == 0 && h.step == 0; }

/* Encodes a point at `step` bits per axis over the given ranges; 0 when the step is not in
 * 1..32, a range is empty, or the point lies outside the indexable band or the ranges. */
int geohash_encode(const geo_range_t *lon_r, const geo_range_t *lat_r, double lon, double lat,
                   int step, geohash_bits_t *out);
/* The same over the indexable band. */
int geohash_encode_wgs84(double lon, double lat, int step, geohash_bits_t *out);
/* The rectangle of a cell over the given ranges; 0 for the zero cell or an empty range. */
int geohash_decode(const geo_range_t *lon_r, const geo_range_t *lat_r, geohash_bits_t h,
                   geohash_area_t *area);
int geohash_decode_wgs84(geohash_bits_t h, geohash_area_t *area);
/* A cell's centre, clamped to the indexable band: xy[0] longitude, xy[1] latitude. */
int geohash_decode_to_xy(geohash_bits_t h, double xy[2]);
/* The point a sorted-set score stands for (the score read as a 52-bit step-26 code). */
int geohash_score_to_xy(double score, double xy[2]);
/* A cell code left-aligned to 52 bits (a step-26 code is unchanged). */
uint64_t geohash_align52(geohash_bits_t h);
/* The [min, max) score interval a cell covers once aligned to 52 bits. */
void geohash_cell_scores(geohash_bits_t h, uint64_t *min, uint64_t *max);

/* The 8 neighbours of a cell, wrapping around at the edges. */
enum { GEO_N = 0, GEO_S, GEO_E, GEO_W, GEO_NE, GEO_NW, GEO_SE, GEO_SW, GEO_NEIGHBOURS };
void geohash_neighbours(geohash_bits_t h, geohash_bits_t out[GEO_NEIGHBOURS]);

/* The standard 11-character base32 geohash of a point (computed over latitude -90..90, the
 * last character always '0' since only 52 bits are known); out holds 12 bytes. 0 when the
 * point is outside the indexable band. */
int geohash_to_base32(double lon, double lat, char out[12]);

/* ---------- distances and search shapes ---------- */

/* Great-circle distance in metres (haversine on a sphere of GEO_EARTH_RADIUS_M). */
double geo_distance(double lon1, double lat1, double lon2, double lat2);

enum { GEO_SHAPE_CIRCLE = 1, GEO_SHAPE_BOX = 2 };

/* A search area: a circle of `radius`, or an axis-aligned box of width x height, around
 * xy; sizes are in the user's unit and `conversion` turns them into metres. */
typedef struct geo_shape {
    int type;
    double xy[2];
    double conversion;
    double radius;
    double width, height;
} geo_shape_t;

/* Bits of precision for a search of the given radius around latitude lat. */
int geo_estimate_steps(double radius_m, double lat);
/* The shape's longitude/latitude bounding box: {min lon, min lat, max lon, max lat}. */
void geo_bounding_box(const geo_shape_t *s, double bounds[4]);

/* The cells that cover a shape, in the order they are scanned: the centre's cell, then N, S,
 * E, W, NE, NW, SE, SW; cells that cannot hold a match are zero. */
void geo_search_cells(const geo_shape_t *s, geohash_bits_t cells[9]);
/* 1 with *dist (metres from the shape's centre) when the point lies inside the shape. */
int geo_shape_contains(const geo_shape_t *s, double lon, double lat, double *dist);
#endif
