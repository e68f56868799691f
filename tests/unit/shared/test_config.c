/* Unit tests for shared/config.c: defaults, flags, files, precedence, memory sizes, errors. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "shared/config.h"

#define ARGV(...) ((char *[]){"vole", __VA_ARGS__, NULL})
#define ARGC(...) ((int)(sizeof((char *[]){"vole", __VA_ARGS__}) / sizeof(char *)))
#define PARSE(c, help, err, ...) \
    config_parse_args((c), ARGC(__VA_ARGS__), ARGV(__VA_ARGS__), (help), (err), sizeof(err))

static char s_tmpfile[64];

static const char *s_write_file(const char *text) {
    snprintf(s_tmpfile, sizeof s_tmpfile, "/tmp/vole-test-config-XXXXXX");
    int fd = mkstemp(s_tmpfile);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (int)strlen(text));
    close(fd);
    return s_tmpfile;
}

static void test_defaults(void **state) {
    vole_config_t c;
    config_defaults(&c);
    assert_string_equal(c.addr, "127.0.0.1:7379");
    assert_string_equal(c.dir, ".");
    assert_string_equal(c.roles, "engine,frontend-resp,persister,scheduler");
    assert_string_equal(c.role, "");
    assert_string_equal(c.loglevel, "notice");
    assert_string_equal(c.logfile, "");
    assert_int_equal(c.databases, 16);
    assert_int_equal(c.hz, 10);
    assert_int_equal(c.maxclients, 10000);
    assert_int_equal(c.proto_max_bulk_len, 512LL * 1024 * 1024);
    assert_int_equal(c.client_query_buffer_limit, 1024LL * 1024 * 1024);
    assert_int_equal(c.maxmemory, 0);
    assert_string_equal(c.maxmemory_policy, "noeviction");
    assert_int_equal(c.batches_in_flight, 1);
    assert_int_equal(c.watchdog_ms, 15000);
    assert_int_equal(c.hb_fd, -1);

    /* derived values */
    config_finish(&c);
    char cwd[512], want[700];
    assert_non_null(getcwd(cwd, sizeof cwd));
    snprintf(want, sizeof want, "%s/run", strcmp(cwd, "/") == 0 ? "" : cwd);
    assert_string_equal(c.run_dir, want);
    snprintf(want, sizeof want, "ipc://%s/engine.sock", c.run_dir);
    assert_string_equal(c.engine_ep, want);
}

static void test_flags(void **state) {
    vole_config_t c;
    char err[256] = "";
    int help = -1;
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--addr", "0.0.0.0:6000", "--dir", "/tmp/x",
                           "--databases=4", "--hz", "50", "--maxmemory", "100mb",
                           "--maxmemory-policy", "ALLKEYS-LRU", "--loglevel", "Warning",
                           "--role", "engine", "--hb-fd", "5", "--run-dir", "/tmp/x/r",
                           "--batches-in-flight", "3", "--watchdog-ms", "2000", "--logfile",
                           "/tmp/x.log", "--maxclients", "7"),
                     0);
    assert_int_equal(help, 0);
    assert_string_equal(c.addr, "0.0.0.0:6000");
    assert_string_equal(c.dir, "/tmp/x");
    assert_int_equal(c.databases, 4);
    assert_int_equal(c.hz, 50);
    assert_int_equal(c.maxmemory, 100LL * 1024 * 1024);
    assert_string_equal(c.maxmemory_policy, "allkeys-lru");
    assert_string_equal(c.loglevel, "warning");
    assert_string_equal(c.role, "engine");
    assert_int_equal(c.hb_fd, 5);
    assert_int_equal(c.batches_in_flight, 3);
    assert_int_equal(c.watchdog_ms, 2000);
    assert_string_equal(c.logfile, "/tmp/x.log");
    assert_int_equal(c.maxclients, 7);
    config_finish(&c);
    assert_string_equal(c.run_dir, "/tmp/x/r");
    assert_string_equal(c.engine_ep, "ipc:///tmp/x/r/engine.sock");

    /* run_dir follows dir, and is made absolute and clean */
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--dir", "/tmp/./a/../b/", "--engine", "tcp://h:1"), 0);
    config_finish(&c);
    assert_string_equal(c.run_dir, "/tmp/b/run");
    assert_string_equal(c.engine_ep, "tcp://h:1");

    /* port and bind aliases edit addr */
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--port", "6380"), 0);
    assert_string_equal(c.addr, "127.0.0.1:6380");
    assert_int_equal(PARSE(&c, &help, err, "--bind", "10.0.0.1", "::1"), 0);
    assert_string_equal(c.addr, "10.0.0.1:6380");
    assert_int_equal(PARSE(&c, &help, err, "--bind", "::1"), 0);
    assert_string_equal(c.addr, "[::1]:6380");
    assert_int_equal(PARSE(&c, &help, err, "--port", "1"), 0);
    assert_string_equal(c.addr, "[::1]:1");
    assert_int_equal(PARSE(&c, &help, err, "--addr", "[::]:99"), 0);
    assert_string_equal(c.addr, "[::]:99");

    /* underscores and case are tolerated in names */
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--proto_max_bulk_len", "2mb"), 0);
    assert_int_equal(c.proto_max_bulk_len, 2 * 1024 * 1024);

    /* --help anywhere */
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--port", "1", "--help"), 0);
    assert_int_equal(help, 1);
}

static void test_file(void **state) {
    vole_config_t c;
    char err[256] = "";
    int help;
    const char *path = s_write_file("# a comment\n"
                                    "\n"
                                    "   port 7000\n"
                                    "bind 127.0.0.2 -::1\n"
                                    "dir \"/tmp/with space\"\n"
                                    "maxmemory 1gb\n"
                                    "hz 20\n"
                                    "  # indented comment\n"
                                    "loglevel verbose\r\n"
                                    "roles 'engine'\n");
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, err, sizeof err), 0);
    assert_string_equal(c.addr, "127.0.0.2:7000");
    assert_string_equal(c.dir, "/tmp/with space");
    assert_int_equal(c.maxmemory, 1024LL * 1024 * 1024);
    assert_int_equal(c.hz, 20);
    assert_string_equal(c.loglevel, "verbose");
    assert_string_equal(c.roles, "engine");

    /* flags win over the file, whatever their order on the command line */
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--hz", "30", "--config", (char *)path), 0);
    assert_int_equal(c.hz, 30);
    assert_int_equal(c.maxmemory, 1024LL * 1024 * 1024);
    assert_string_equal(c.config_file, path);
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, "--config=" "/dev/null", "--hz", "7"), 0);
    assert_int_equal(c.hz, 7);
    /* redis-server style: the file as first positional argument */
    config_defaults(&c);
    assert_int_equal(PARSE(&c, &help, err, (char *)path, "--port", "1234"), 0);
    assert_string_equal(c.addr, "127.0.0.2:1234");
    assert_string_equal(c.dir, "/tmp/with space");
    unlink(path);

    /* include */
    char inc[128];
    const char *p1 = s_write_file("databases 3\n");
    snprintf(inc, sizeof inc, "include %s\nhz 11\n", p1);
    char p1copy[64];
    snprintf(p1copy, sizeof p1copy, "%s", p1);
    const char *p2 = s_write_file(inc);
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, p2, err, sizeof err), 0);
    assert_int_equal(c.databases, 3);
    assert_int_equal(c.hz, 11);
    unlink(p1copy);
    unlink(p2);
}

/* Settings only the engine has are kept as "name value" lines, in order, for the engine to
 * check and apply at start; flags add to them after the file. */
static void test_engine_settings(void **state) {
    vole_config_t c;
    char err[256] = "";
    int help;
    const char *path = s_write_file("timeout 30\n"
                                    "hash-max-ziplist-entries 64\n"
                                    "list-max-listpack-size -3\n");
    config_defaults(&c);
    assert_string_equal(c.engine_settings, "");
    assert_int_equal(config_load_file(&c, path, err, sizeof err), 0);
    assert_string_equal(c.engine_settings,
                        "timeout 30\nhash-max-ziplist-entries 64\nlist-max-listpack-size -3\n");
    assert_int_equal(PARSE(&c, &help, err, "--timeout", "5"), 0);
    assert_string_equal(c.engine_settings, "timeout 30\nhash-max-ziplist-entries 64\n"
                                           "list-max-listpack-size -3\ntimeout 5\n");
    unlink(path);
    /* a value is needed (the engine judges it) */
    path = s_write_file("timeout\n");
    config_defaults(&c);
    assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "timeout"));
    unlink(path);
}

static void test_memtoll(void **state) {
    int ok;
    assert_int_equal(config_memtoll("0", &ok), 0);
    assert_int_equal(ok, 1);
    assert_int_equal(config_memtoll("100", &ok), 100);
    assert_int_equal(config_memtoll("100b", &ok), 100);
    assert_int_equal(config_memtoll("100k", &ok), 100000);
    assert_int_equal(config_memtoll("100kb", &ok), 102400);
    assert_int_equal(config_memtoll("2m", &ok), 2000000);
    assert_int_equal(config_memtoll("512mb", &ok), 512LL * 1024 * 1024);
    assert_int_equal(config_memtoll("512MB", &ok), 512LL * 1024 * 1024);
    assert_int_equal(config_memtoll("3g", &ok), 3000000000LL);
    assert_int_equal(config_memtoll("1gb", &ok), 1LL << 30);
    assert_int_equal(ok, 1);
    const char *bad[] = {"", "abc", "10x", "-1", "+1", " 1", "1 ", "1tb", "mb",
                         "99999999999999999999", "9000000000gb", NULL};
    for (int i = 0; bad[i]; i++) {
        ok = 1;
        assert_int_equal(config_memtoll(bad[i], &ok), -1);
        assert_int_equal(ok, 0);
    }
    assert_int_equal(config_memtoll("5", NULL), 5);
}

static void test_errors(void **state) {
    vole_config_t c;
    char err[256];
    int help;
    config_defaults(&c);
    err[0] = '\0';
    assert_int_equal(PARSE(&c, &help, err, "--foo", "1"), -1);
    assert_string_equal(err, "unknown option --foo");
    assert_int_equal(PARSE(&c, &help, err, "--foo=1"), -1);
    assert_string_equal(err, "unknown option --foo");
    assert_int_equal(PARSE(&c, &help, err, "--include", "x"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--hz"), -1);
    assert_non_null(strstr(err, "needs a value"));
    assert_int_equal(PARSE(&c, &help, err, "--hz", "abc"), -1);
    assert_non_null(strstr(err, "hz"));
    assert_int_equal(PARSE(&c, &help, err, "--hz", "0"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--hz", "1", "2"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--databases", "12x"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--databases", ""), -1);
    assert_int_equal(PARSE(&c, &help, err, "--maxmemory", "lots"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--proto-max-bulk-len", "1000"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--maxmemory-policy", "sometimes"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--loglevel", "loud"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--addr", "nohostport"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--addr", "h:99999"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--addr", ":80"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--port", "-1"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--config"), -1);
    assert_int_equal(PARSE(&c, &help, err, "--config", "/nonexistent/vole.conf"), -1);
    assert_non_null(strstr(err, "/nonexistent/vole.conf"));
    assert_int_equal(PARSE(&c, &help, err, "--port", "1", "stray"), -1);
    assert_int_equal(PARSE(&c, &help, err, "-x"), -1);
    /* an over-long string value is refused, not truncated */
    char longv[2000];
    memset(longv, 'a', sizeof longv - 1);
    longv[sizeof longv - 1] = '\0';
    assert_int_equal(PARSE(&c, &help, err, "--dir", longv), -1);
    /* config_set directly */
    char *one[] = {"5"};
    assert_int_equal(config_set(&c, "nosuch", 1, one, err, sizeof err), -1);
    assert_int_equal(config_set(&c, "hz", 0, one, err, sizeof err), -1);
    assert_int_equal(config_set(&c, "hz", 1, one, err, sizeof err), 0);
    assert_int_equal(c.hz, 5);

    /* file errors name the file and line */
    const char *path = s_write_file("hz 10\nsave 900 1 300\n");
    assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "line 2"));
    assert_non_null(strstr(err, "save"));
    unlink(path);
    path = s_write_file("dir \"unbalanced\n");
    assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
    assert_non_null(strstr(err, "unbalanced"));
    unlink(path);
    path = s_write_file("config /etc/other.conf\n");
    assert_int_equal(config_load_file(&c, path, err, sizeof err), -1);
    unlink(path);
    /* self-include is stopped */
    char text[128];
    char self[64];
    path = s_write_file("hz 10\n");
    snprintf(self, sizeof self, "%s", path);
    snprintf(text, sizeof text, "include %s\n", self);
    FILE *f = fopen(self, "w");
    fputs(text, f);
    fclose(f);
    assert_int_equal(config_load_file(&c, self, err, sizeof err), -1);
    assert_non_null(strstr(err, "nested"));
    unlink(self);
}

static void test_help(void **state) {
    /* Every documented option appears; output goes to stdout, so capture it. */
    fflush(stdout);
    char path[] = "/tmp/vole-test-help-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    int saved = dup(1);
    dup2(fd, 1);
    config_print_help("vole");
    fflush(stdout);
    dup2(saved, 1);
    close(saved);
    static char buf[65536];
    lseek(fd, 0, SEEK_SET);
    ssize_t n = read(fd, buf, sizeof buf - 1);
    close(fd);
    unlink(path);
    assert_true(n > 0);
    buf[n] = '\0';
    const char *want[] = {"--config", "--addr", "--port", "--bind", "--dir", "--roles",
                          "--loglevel", "--logfile", "--databases", "--hz", "--maxclients",
                          "--proto-max-bulk-len", "--client-query-buffer-limit", "--maxmemory",
                          "--maxmemory-policy", "--batches-in-flight", "--watchdog-ms",
                          "--engine", "--run-dir", "--role", "--hb-fd", "--help", "15000",
                          "512mb", NULL};
    for (int i = 0; want[i]; i++) assert_non_null(strstr(buf, want[i]));
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults), cmocka_unit_test(test_flags),
        cmocka_unit_test(test_file),     cmocka_unit_test(test_memtoll),
        cmocka_unit_test(test_errors),   cmocka_unit_test(test_help),
        cmocka_unit_test(test_engine_settings),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
