/* Unit tests for engine/ds/geohash.c: scores and positions Redis 7.0.15 gives for known
 * points (including the clamped north-east corner), base32 strings, neighbours and their
 * wrap-around, distances (the meridian shortcut included), step estimation, and randomized
 * checks that the 9 search cells cover what a search must find. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/ds/geohash.h"
#include "shared/util.h"

static uint64_t s_score(double lon, double lat) {
    geohash_bits_t h;
    assert_true(geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &h));
    return geohash_align52(h);
}

/* The coordinate as GEOPOS prints it. */
static void s_assert_coord(double v, const char *expect) {
    char buf[128];
    assert_true(ld_to_str_human(buf, sizeof(buf), (long double)v) > 0);
    assert_string_equal(buf, expect);
}

static void test_known_scores(void **state) {
    (void)state;
    /* the values redis-server 7.0.15 stores for these GEOADDs */
    assert_int_equal(s_score(13.361389, 38.115556), 3479099956230698ULL);
    assert_int_equal(s_score(15.087269, 37.502669), 3479447370796909ULL);
    assert_int_equal(s_score(0, 0), 3377699720527872ULL);
    assert_int_equal(s_score(0, 10), 3383540960220437ULL);
    assert_int_equal(s_score(-180, -85.05112878), 0);
    /* the upper edges spell one bit past the grid on both axes */
    assert_int_equal(s_score(180, 85.05112878), 13510798882111488ULL);
}

static void test_outside_band(void **state) {
    (void)state;
    geohash_bits_t h;
    assert_false(geohash_encode_wgs84(180.0000001, 0, GEO_STEP_MAX, &h));
    assert_false(geohash_encode_wgs84(0, 85.05112879, GEO_STEP_MAX, &h));
    assert_false(geohash_encode_wgs84(0, -90, GEO_STEP_MAX, &h));
    assert_false(geohash_encode_wgs84(0, 0, 0, &h));
    assert_false(geohash_encode_wgs84(0, 0, 33, &h));
    assert_true(geohash_encode_wgs84(0, 0, 32, &h));
}

static void test_known_positions(void **state) {
    (void)state;
    double xy[2];
    assert_true(geohash_score_to_xy(3479099956230698.0, xy));
    s_assert_coord(xy[0], "13.36138933897018433");
    s_assert_coord(xy[1], "38.11555639549629859");
    assert_true(geohash_score_to_xy(3377699720527872.0, xy));
    s_assert_coord(xy[0], "0.00000268220901489");
    s_assert_coord(xy[1], "0.00000126736058093");
    /* the corner cell's centre lies outside the band: clamped */
    assert_true(geohash_score_to_xy(13510798882111488.0, xy));
    s_assert_coord(xy[0], "180");
    s_assert_coord(xy[1], "85.0511287799999991");
    assert_true(geohash_score_to_xy(0, xy));
    s_assert_coord(xy[0], "-179.99999731779098511");
    s_assert_coord(xy[1], "-85.05112751263942528");
}

static void test_round_trip_stays_in_cell(void **state) {
    (void)state;
    srand(42);
    for (int i = 0; i < 100000; i++) {
        double lon = -180 + 360.0 * rand() / RAND_MAX;
        double lat = GEO_LAT_MIN + (GEO_LAT_MAX - GEO_LAT_MIN) * rand() / RAND_MAX;
        geohash_bits_t h;
        assert_true(geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &h));
        geohash_area_t a;
        assert_true(geohash_decode_wgs84(h, &a));
        if (lon < GEO_LONG_MAX) assert_true(a.lon.min <= lon && lon <= a.lon.max);
        if (lat < GEO_LAT_MAX) assert_true(a.lat.min <= lat && lat <= a.lat.max);
        double xy[2];
        assert_true(geohash_score_to_xy((double)geohash_align52(h), xy));
        /* a step-26 cell is under 6 metres wide */
        assert_true(fabs(xy[0] - lon) < 1e-5 && fabs(xy[1] - lat) < 1e-5);
        /* encoding the decoded point gives the same cell back */
        geohash_bits_t h2;
        assert_true(geohash_encode_wgs84(xy[0], xy[1], GEO_STEP_MAX, &h2));
        assert_true(h2.bits == h.bits);
    }
}

static void test_base32(void **state) {
    (void)state;
    char buf[12];
    double xy[2];
    assert_true(geohash_score_to_xy(3479099956230698.0, xy));
    assert_true(geohash_to_base32(xy[0], xy[1], buf));
    assert_string_equal(buf, "sqc8b49rny0");
    assert_true(geohash_score_to_xy(3377699720527872.0, xy));
    assert_true(geohash_to_base32(xy[0], xy[1], buf));
    assert_string_equal(buf, "s0000000000");
    assert_true(geohash_score_to_xy(13510798882111488.0, xy));
    assert_true(geohash_to_base32(xy[0], xy[1], buf));
    assert_string_equal(buf, "bp05b5048p0");
    assert_true(geohash_score_to_xy(0, xy));
    assert_true(geohash_to_base32(xy[0], xy[1], buf));
    assert_string_equal(buf, "00bh0hbj200");
}

static void test_neighbours(void **state) {
    (void)state;
    srand(7);
    for (int i = 0; i < 20000; i++) {
        int step = 1 + rand() % GEO_STEP_MAX;
        double lon = -179.9 + 359.8 * rand() / RAND_MAX;
        double lat = -85 + 170.0 * rand() / RAND_MAX;
        geohash_bits_t h, nb[GEO_NEIGHBOURS];
        assert_true(geohash_encode_wgs84(lon, lat, step, &h));
        geohash_neighbours(h, nb);
        geohash_area_t a, n, e, s, w, ne;
        geohash_decode_wgs84(h, &a);
        geohash_decode_wgs84(nb[GEO_N], &n);
        geohash_decode_wgs84(nb[GEO_E], &e);
        geohash_decode_wgs84(nb[GEO_S], &s);
        geohash_decode_wgs84(nb[GEO_W], &w);
        geohash_decode_wgs84(nb[GEO_NE], &ne);
        uint64_t cells = 1ULL << step;
        double cw = 360.0 / (double)cells, chh = (GEO_LAT_MAX - GEO_LAT_MIN) / (double)cells;
        /* the same row or column, one cell over, wrapping around the edges */
        assert_true(fabs(n.lon.min - a.lon.min) < 1e-9 && fabs(s.lon.min - a.lon.min) < 1e-9);
        assert_true(fabs(e.lat.min - a.lat.min) < 1e-9 && fabs(w.lat.min - a.lat.min) < 1e-9);
        double de = fmod(e.lon.min - a.lon.min + 720, 360);
        double dw = fmod(a.lon.min - w.lon.min + 720, 360);
        assert_true(fabs(de - cw) < 1e-6 || (step == 1 && fabs(de - 180) < 1e-6));
        assert_true(fabs(dw - cw) < 1e-6 || (step == 1 && fabs(dw - 180) < 1e-6));
        double span = GEO_LAT_MAX - GEO_LAT_MIN;
        double dn = fmod(n.lat.min - a.lat.min + 2 * span, span);
        assert_true(fabs(dn - chh) < 1e-6 || fabs(dn - chh - span) < 1e-6);
        assert_true(fabs(ne.lat.min - n.lat.min) < 1e-9 && fabs(ne.lon.min - e.lon.min) < 1e-9);
        /* a move and its opposite cancel out */
        geohash_bits_t back[GEO_NEIGHBOURS];
        geohash_neighbours(nb[GEO_E], back);
        assert_true(back[GEO_W].bits == h.bits);
        geohash_neighbours(nb[GEO_N], back);
        assert_true(back[GEO_S].bits == h.bits);
        geohash_neighbours(nb[GEO_SW], back);
        assert_true(back[GEO_NE].bits == h.bits);
    }
}

static void test_cell_scores(void **state) {
    (void)state;
    geohash_bits_t h = {0x5, 2}; /* lat bits 0b11 in even positions, a step-2 cell */
    uint64_t lo, hi;
    geohash_cell_scores(h, &lo, &hi);
    assert_int_equal(lo, 0x5ULL << 48);
    assert_int_equal(hi, 0x6ULL << 48);
    h.bits = 123456789;
    h.step = GEO_STEP_MAX;
    geohash_cell_scores(h, &lo, &hi);
    assert_int_equal(lo, 123456789);
    assert_int_equal(hi, 123456790);
}

static void test_distances(void **state) {
    (void)state;
    double a[2], b[2];
    geohash_score_to_xy(3479099956230698.0, a);
    geohash_score_to_xy(3479447370796909.0, b);
    double d = geo_distance(a[0], a[1], b[0], b[1]);
    assert_true(fabs(d - 166274.2) < 0.1);
    assert_true(d == geo_distance(b[0], b[1], a[0], a[1]));
    assert_true(geo_distance(a[0], a[1], a[0], a[1]) == 0);
    /* along a meridian: the radius times the angle, exactly */
    double m = geo_distance(10, -57.48847384891022, 10, 9.250408943782034);
    double r = GEO_EARTH_RADIUS_M *
               fabs(9.250408943782034 * (M_PI / 180.0) - -57.48847384891022 * (M_PI / 180.0));
    assert_true(m == r);
    /* half the circumference along the equator */
    double half = geo_distance(0, 0, 180, 0);
    assert_true(fabs(half - M_PI * GEO_EARTH_RADIUS_M) < 1e-3);
}

static void test_estimate_steps(void **state) {
    (void)state;
    assert_int_equal(geo_estimate_steps(0, 0), 26);
    assert_int_equal(geo_estimate_steps(GEO_MERCATOR_MAX, 0), 1);
    assert_int_equal(geo_estimate_steps(1e9, 0), 1);
    assert_int_equal(geo_estimate_steps(INFINITY, 0), 1);
    assert_int_equal(geo_estimate_steps(0.001, 0), 26);
    int s = geo_estimate_steps(1000, 0);
    assert_int_equal(geo_estimate_steps(1000, 70), s - 1);
    assert_int_equal(geo_estimate_steps(1000, -81), s - 2);
    /* each doubling of the radius costs one bit */
    assert_int_equal(geo_estimate_steps(2000, 0), s - 1);
}

static void test_shape_contains(void **state) {
    (void)state;
    geo_shape_t c = {
        .type = GEO_SHAPE_CIRCLE, .xy = {13.361389, 38.115556}, .conversion = 1000, .radius = 200};
    double d;
    assert_true(geo_shape_contains(&c, 15.087269, 37.502669, &d));
    assert_true(fabs(d - 166274.2) < 1);
    c.radius = 100;
    assert_false(geo_shape_contains(&c, 15.087269, 37.502669, &d));
    geo_shape_t b = {
        .type = GEO_SHAPE_BOX, .xy = {0, 0}, .conversion = 1, .width = 2000, .height = 1000};
    assert_true(geo_shape_contains(&b, 0.008, 0.004, &d));
    assert_false(geo_shape_contains(&b, 0.01, 0, &d));
    assert_false(geo_shape_contains(&b, 0, 0.005, &d));
}

/* Points well inside a shape lie in one of its search cells. */
static void test_search_cells_cover(void **state) {
    (void)state;
    srand(99);
    for (int i = 0; i < 3000; i++) {
        geo_shape_t s = {.xy = {-170 + 340.0 * rand() / RAND_MAX, -60 + 120.0 * rand() / RAND_MAX},
                         .conversion = 1};
        double size = pow(10, 1 + 5.0 * rand() / RAND_MAX);
        if (rand() % 2) {
            s.type = GEO_SHAPE_CIRCLE;
            s.radius = size;
        } else {
            s.type = GEO_SHAPE_BOX;
            s.width = size;
            s.height = size * (0.2 + 1.6 * rand() / RAND_MAX);
        }
        geohash_bits_t cells[9];
        geo_search_cells(&s, cells);
        assert_false(geohash_is_zero(cells[0]));
        double b[4];
        geo_bounding_box(&s, b);
        for (int k = 0; k < 50; k++) {
            double lon = b[0] + (b[2] - b[0]) * rand() / RAND_MAX;
            double lat = b[1] + (b[3] - b[1]) * rand() / RAND_MAX;
            double d;
            geohash_bits_t p;
            if (!geohash_encode_wgs84(lon, lat, GEO_STEP_MAX, &p)) continue;
            double xy[2];
            geohash_score_to_xy((double)geohash_align52(p), xy);
            if (!geo_shape_contains(&s, xy[0], xy[1], &d)) continue;
            uint64_t score = geohash_align52(p);
            int found = 0;
            for (int j = 0; j < 9 && !found; j++) {
                if (geohash_is_zero(cells[j])) continue;
                uint64_t lo, hi;
                geohash_cell_scores(cells[j], &lo, &hi);
                found = score >= lo && score < hi;
            }
            assert_true(found);
        }
    }
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_scores),
        cmocka_unit_test(test_outside_band),
        cmocka_unit_test(test_known_positions),
        cmocka_unit_test(test_round_trip_stays_in_cell),
        cmocka_unit_test(test_base32),
        cmocka_unit_test(test_neighbours),
        cmocka_unit_test(test_cell_scores),
        cmocka_unit_test(test_distances),
        cmocka_unit_test(test_estimate_steps),
        cmocka_unit_test(test_shape_contains),
        cmocka_unit_test(test_search_cells_cover),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
