/* Unit tests for shared/fileio.c: a file is replaced whole (new or existing), keeps its
 * permissions unless told otherwise, leaves no temporary file, and a failure says why. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/fileio.h"

static void read_file(const char *path, char *out, size_t cap) {
    FILE *f = fopen(path, "r");
    assert_non_null(f);
    size_t n = fread(out, 1, cap - 1, f);
    out[n] = '\0';
    fclose(f);
}

static void test_replace(void **state) {
    (void)state;
    char dir[] = "/tmp/vole-test-fileio-XXXXXX", path[128], got[64], err[256];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/f.conf", dir);
    assert_int_equal(file_replace(path, "one\n", 4, -1, err, sizeof err), 0);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "one\n");
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0644); /* a new file */
    assert_int_equal(chmod(path, 0600), 0);
    assert_int_equal(file_replace(path, "two\n", 4, -1, err, sizeof err), 0);
    read_file(path, got, sizeof got);
    assert_string_equal(got, "two\n");
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0600); /* kept */
    assert_int_equal(file_replace(path, "", 0, 0640, err, sizeof err), 0);
    assert_int_equal(stat(path, &st), 0);
    assert_int_equal(st.st_mode & 0777, 0640);
    assert_int_equal(st.st_size, 0);
    char cmd[192];
    snprintf(cmd, sizeof cmd, "test $(ls %s | wc -l) -eq 1", dir); /* no temporary left */
    assert_int_equal(system(cmd), 0);
    snprintf(path, sizeof path, "%s/missing/f.conf", dir);
    assert_int_equal(file_replace(path, "x", 1, -1, err, sizeof err), -1);
    assert_int_equal(errno, ENOENT);
    assert_non_null(strstr(err, "cannot create"));
    assert_int_equal(file_fsync_dir(dir), 0);
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void) {
    const struct CMUnitTest tests[] = {cmocka_unit_test(test_replace)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
