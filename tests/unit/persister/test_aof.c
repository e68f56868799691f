/* Unit tests for persister/aof.c: records round-trip through aof_scan; where the data of a
 * segment ends (the file's end, or reserved space of zeros after the last record); a torn
 * last record (with or without reserved space after it) against damage with data after it;
 * and the manifest's save/load round trip. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "persister/aof.h"
#include "shared/buf.h"

typedef struct {
    char dir[64];
    char path[128];
} fixture_t;

static int setup(void **state) {
    fixture_t *f = calloc(1, sizeof *f);
    snprintf(f->dir, sizeof f->dir, "/tmp/vole-test-aof-XXXXXX");
    assert_non_null(mkdtemp(f->dir));
    snprintf(f->path, sizeof f->path, "%s/seg", f->dir);
    *state = f;
    return 0;
}

static int teardown(void **state) {
    fixture_t *f = *state;
    char cmd[160];
    snprintf(cmd, sizeof cmd, "rm -rf %s", f->dir);
    assert_int_equal(system(cmd), 0);
    free(f);
    return 0;
}

/* Writes the header and n records (payload "unit-<seq>") and returns the data's length. */
static off_t write_segment(const char *path, uint64_t first, int n) {
    buf_t b;
    buf_init(&b);
    buf_append(&b, AOF_SEG_MAGIC, AOF_SEG_HDR);
    for (int i = 0; i < n; i++) {
        char unit[32];
        int len = snprintf(unit, sizeof unit, "unit-%llu", (unsigned long long)(first + i));
        aof_put_record(&b, first + (uint64_t)i, unit, (uint32_t)len);
    }
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_true(fd >= 0);
    assert_int_equal(aof_write_all(fd, b.data, b.len), 0);
    close(fd);
    off_t len = (off_t)b.len;
    buf_free(&b);
    return len;
}

static void append_bytes(const char *path, const void *p, size_t n) {
    int fd = open(path, O_WRONLY | O_APPEND);
    assert_true(fd >= 0);
    assert_int_equal(aof_write_all(fd, p, n), 0);
    close(fd);
}

static void append_zeros(const char *path, size_t n) {
    char *z = calloc(1, n);
    append_bytes(path, z, n);
    free(z);
}

typedef struct {
    uint64_t first, last;
    int count;
} walk_t;

static int s_walk(void *ctx, uint64_t seq, const char *p, size_t len, off_t off) {
    (void)off;
    walk_t *w = ctx;
    char want[32];
    int n = snprintf(want, sizeof want, "unit-%llu", (unsigned long long)seq);
    assert_int_equal(len, (size_t)n);
    assert_memory_equal(p, want, len);
    if (!w->count) w->first = seq;
    w->last = seq;
    w->count++;
    return 0;
}

static int scan(fixture_t *f, walk_t *w, off_t *good) {
    char err[512] = "";
    uint64_t n;
    memset(w, 0, sizeof *w);
    int rc = aof_scan(f->path, s_walk, w, good, &n, err, sizeof err);
    assert_int_equal(n, (uint64_t)w->count);
    return rc;
}

static void test_records_round_trip(void **state) {
    fixture_t *f = *state;
    off_t end = write_segment(f->path, 7, 100);
    walk_t w;
    off_t good;
    assert_int_equal(scan(f, &w, &good), AOF_OK);
    assert_int_equal(w.count, 100);
    assert_int_equal(w.first, 7);
    assert_int_equal(w.last, 106);
    assert_int_equal(good, end);
}

static void test_reserved_zeros_end_the_data(void **state) {
    fixture_t *f = *state;
    off_t end = write_segment(f->path, 1, 10);
    append_zeros(f->path, 1 << 20); /* space reserved ahead of the writes */
    walk_t w;
    off_t good;
    assert_int_equal(scan(f, &w, &good), AOF_OK);
    assert_int_equal(w.count, 10);
    assert_int_equal(good, end);
    /* fewer zeros than a record header are reserved space too */
    write_segment(f->path, 1, 10);
    append_zeros(f->path, 5);
    assert_int_equal(scan(f, &w, &good), AOF_OK);
    assert_int_equal(good, end);
}

static void test_torn_record_before_reserved_space(void **state) {
    fixture_t *f = *state;
    off_t end = write_segment(f->path, 1, 10);
    /* half a record where the next write was going, reserved space after it */
    static const char half[] = "\x40\x00\x00\x00\x0b\x00\x00\x00\x00\x00\x00\x00\xde\xad";
    append_bytes(f->path, half, sizeof half - 1);
    append_zeros(f->path, 4096);
    walk_t w;
    off_t good;
    assert_int_equal(scan(f, &w, &good), AOF_TORN);
    assert_int_equal(w.count, 10);
    assert_int_equal(good, end);
    /* the same at the very end of the file (no reserved space) */
    write_segment(f->path, 1, 10);
    append_bytes(f->path, half, sizeof half - 1);
    assert_int_equal(scan(f, &w, &good), AOF_TORN);
    assert_int_equal(good, end);
    /* a torn header with an impossible length, reserved space after it */
    write_segment(f->path, 1, 10);
    append_bytes(f->path, "\xff\xff\xff\xff\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c", 16);
    append_zeros(f->path, 100);
    assert_int_equal(scan(f, &w, &good), AOF_TORN);
    assert_int_equal(good, end);
}

static void test_damage_with_data_after_it(void **state) {
    fixture_t *f = *state;
    off_t end = write_segment(f->path, 1, 50);
    int fd = open(f->path, O_RDWR);
    char c;
    off_t mid = end / 2;
    assert_int_equal(pread(fd, &c, 1, mid), 1);
    c ^= 0x5a;
    assert_int_equal(pwrite(fd, &c, 1, mid), 1);
    close(fd);
    walk_t w;
    off_t good;
    char err[512] = "";
    uint64_t n;
    memset(&w, 0, sizeof w);
    assert_int_equal(aof_scan(f->path, s_walk, &w, &good, &n, err, sizeof err), AOF_CORRUPT);
    assert_true(good <= mid && good > AOF_SEG_HDR);
    assert_non_null(strstr(err, "damaged record at offset"));
    /* zeros where a record should be, with records after them: damage too, not the end */
    write_segment(f->path, 1, 5);
    append_zeros(f->path, 64);
    fd = open(f->path, O_WRONLY | O_APPEND);
    buf_t b;
    buf_init(&b);
    aof_put_record(&b, 6, "unit-6", 6);
    assert_int_equal(aof_write_all(fd, b.data, b.len), 0);
    buf_free(&b);
    close(fd);
    memset(&w, 0, sizeof w);
    assert_int_equal(aof_scan(f->path, s_walk, &w, &good, &n, err, sizeof err), AOF_CORRUPT);
    assert_non_null(strstr(err, "length 0"));
}

static void test_not_a_segment(void **state) {
    fixture_t *f = *state;
    int fd = open(f->path, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    assert_int_equal(aof_write_all(fd, "NOTAVOLEFILE", 12), 0);
    close(fd);
    walk_t w;
    off_t good;
    char err[512] = "";
    uint64_t n;
    assert_int_equal(aof_scan(f->path, s_walk, &w, &good, &n, err, sizeof err), AOF_CORRUPT);
    assert_non_null(strstr(err, "bad magic"));
}

static void test_manifest_round_trip(void **state) {
    fixture_t *f = *state;
    aof_manifest_t m, back;
    aof_manifest_init(&m);
    m.has_base = 1;
    snprintf(m.base, sizeof m.base, "appendonly.aof.base.3.vdb");
    m.base_seq = 1000;
    m.next_no = 6;
    aof_manifest_add_seg(&m, "appendonly.aof.4.seg", 900);
    aof_manifest_add_seg(&m, "appendonly.aof.5.seg", 1500);
    char err[512] = "";
    assert_int_equal(aof_manifest_save(f->dir, "m", &m, err, sizeof err), 0);
    aof_manifest_init(&back);
    assert_int_equal(aof_manifest_load(f->dir, "m", &back, err, sizeof err), 1);
    assert_int_equal(back.has_base, 1);
    assert_string_equal(back.base, m.base);
    assert_int_equal(back.base_seq, 1000);
    assert_int_equal(back.nsegs, 2);
    assert_string_equal(back.segs[1].name, "appendonly.aof.5.seg");
    assert_int_equal(back.segs[1].first, 1500);
    assert_true(back.next_no >= 6);
    aof_manifest_free(&m);
    aof_manifest_free(&back);
    /* no manifest yet: 0 */
    aof_manifest_init(&back);
    assert_int_equal(aof_manifest_load(f->dir, "absent", &back, err, sizeof err), 0);
    aof_manifest_free(&back);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_records_round_trip, setup, teardown),
        cmocka_unit_test_setup_teardown(test_reserved_zeros_end_the_data, setup, teardown),
        cmocka_unit_test_setup_teardown(test_torn_record_before_reserved_space, setup, teardown),
        cmocka_unit_test_setup_teardown(test_damage_with_data_after_it, setup, teardown),
        cmocka_unit_test_setup_teardown(test_not_a_segment, setup, teardown),
        cmocka_unit_test_setup_teardown(test_manifest_round_trip, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
