/* Unit tests for the engine's half of the scheduler features (engine/webhook.c, cron.c,
 * delmatch.c) through the dispatcher: the outbox (matching, '*', its bound and drops,
 * nothing while loading), internal commands refused to other clients, and effects that
 * replay to the same jobs, registrations and failed list (CRON.ADD's creation time, DELMATCH
 * as DEL). Also the shared record codec (shared/schedrec.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "engine/sched.h"
#include "engine/snapshot.h"
#include "shared/schedrec.h"
#include "shared/util.h"


static engine_t *s_e;
static client_t *s_c;
static char s_reply[65536];
static size_t s_rlen, s_hdr;

/* Runs a command; the reply's RESP (after the record framing) ends up in s_reply. */
static const char *s_runv(int argc, const char **words) {
    proto_arg_t argv[64];
    for (int i = 0; i < argc; i++) argv[i] = (proto_arg_t){words[i], strlen(words[i])};
    frontend_t *fe = s_c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    s_e->now_ms = now_ms();
    engine_execute(s_e, s_c, argc, argv);
    /* the message and record headers come first (their size found in s_setup) */
    assert_true(fe->out.len >= s_hdr && fe->out.len - s_hdr < sizeof s_reply);
    s_rlen = fe->out.len - s_hdr;
    memcpy(s_reply, fe->out.data + s_hdr, s_rlen);
    s_reply[s_rlen] = '\0';
    return s_reply;
}

#define RUN(...) s_runv((int)(sizeof((const char *[]){__VA_ARGS__}) / sizeof(char *)), (const char *[]){__VA_ARGS__})
#define EXPECT(want, ...)                                                                          \
    do {                                                                                           \
        const char *r_ = RUN(__VA_ARGS__);                                                         \
        if (strcmp(r_, want) != 0) fail_msg("reply %s, expected %s", r_, want);                    \
    } while (0)

/* An integer field of WEBHOOK STATS. */
static long long s_stat(const char *name) {
    RUN("WEBHOOK", "STATS");
    char pat[80];
    snprintf(pat, sizeof pat, "\r\n%s\r\n:", name);
    const char *p = strstr(s_reply, pat);
    if (!p) fail_msg("no %s in %s", name, s_reply);
    return strtoll(p + strlen(pat), NULL, 10);
}

static int s_setup(void **state) {
    (void)state;
    s_e = engine_new_for_test();
    s_c = client_new(s_e, s_e->frontends, 1);
    s_c->db = &s_e->dbs[0];
    s_hdr = 0;
    RUN("GET", "__probe__");
    s_hdr = s_rlen - 5; /* the reply was "$-1\r\n": the rest is framing */
    assert_string_equal(s_reply + s_hdr, "$-1\r\n");
    return 0;
}

static int s_teardown(void **state) {
    (void)state;
    client_free(s_e, s_c);
    engine_free_for_test(s_e);
    return 0;
}

static void test_outbox(void **st) {
    (void)st;
    EXPECT("+OK\r\n", "WEBHOOK", "REGISTER", "k*", "set", "http://h/1");
    EXPECT("+OK\r\n", "WEBHOOK", "REGISTER", "k*", "*", "http://h/2", "SECRET", "s");
    long long a0 = s_stat("outbox_appended");
    EXPECT("+OK\r\n", "SET", "k1", "v");   /* set (both) */
    EXPECT("+OK\r\n", "SET", "zz", "v");   /* no match */
    EXPECT(":1\r\n", "DEL", "k1");          /* del ('*' only) */
    assert_int_equal(s_stat("outbox_appended") - a0, 3);
    /* nothing while replaying data: those events were delivered when they happened */
    s_e->loading = 1;
    webhook_key_event(s_e, "set", "k9", 2, 0);
    s_e->loading = 0;
    assert_int_equal(s_stat("outbox_appended") - a0, 3);
    /* the bound drops the oldest undelivered records */
    webhook_configure(2, 1 << 20);
    long long d0 = s_stat("outbox_dropped");
    EXPECT("+OK\r\n", "SET", "k2", "v");
    EXPECT("+OK\r\n", "SET", "k3", "v");
    assert_int_equal(s_stat("outbox_records"), 2);
    assert_true(s_stat("outbox_dropped") - d0 >= 4);
    webhook_configure(100000, 64LL << 20);
    EXPECT(":1\r\n", "WEBHOOK", "UNREGISTER", "k*", "SET", "http://h/1");
    EXPECT(":1\r\n", "WEBHOOK", "UNREGISTER", "k*", "*", "http://h/2");
    EXPECT(":0\r\n", "WEBHOOK", "UNREGISTER", "k*", "*", "http://h/2");
    assert_int_equal(webhook_count, 0);
}

static void test_internal_refused(void **st) {
    (void)st;
    snprintf(s_c->fe->role, sizeof s_c->fe->role, "frontend-resp");
    const char *r = RUN("vole.cron-jobs", "0");
    assert_non_null(strstr(r, "internal to Vole"));
    r = RUN("vole.webhook-failed", "u", "e", "k", "0", "1", "1", "x", "1");
    assert_non_null(strstr(r, "internal to Vole"));
    snprintf(s_c->fe->role, sizeof s_c->fe->role, "scheduler");
    r = RUN("vole.cron-jobs", "0");
    assert_int_equal(r[0], '$'); /* the (empty) table */
    srec_reader_t rd = {strchr(r, '\n') + 1, s_rlen - (size_t)(strchr(r, '\n') + 1 - r) - 2, 0};
    uint64_t version;
    uint32_t n;
    assert_int_equal(srec_get_u64(&rd, &version), 0);
    assert_int_equal(srec_get_u32(&rd, &n), 0);
    assert_int_equal(n, 0);
    char v[24];
    snprintf(v, sizeof v, "%llu", (unsigned long long)version);
    EXPECT("$-1\r\n", "vole.cron-jobs", v); /* unchanged */
    s_c->fe->role[0] = '\0';
}

/* Copies of the effect units recorded since seq `from`. */
typedef struct {
    char *p[64];
    size_t len[64];
    int n;
} units_t;

static void s_units(uint64_t from, units_t *u) {
    u->n = 0;
    for (uint64_t s = from + 1; s <= effects_last_seq(s_e); s++) {
        const char *p;
        size_t len;
        assert_int_equal(effects_get(s_e, s, &p, &len), 0);
        u->p[u->n] = malloc(len);
        memcpy(u->p[u->n], p, len);
        u->len[u->n++] = len;
    }
}

static void test_replay(void **st) {
    (void)st;
    snprintf(s_c->fe->role, sizeof s_c->fe->role, "scheduler");
    uint64_t seq0 = effects_last_seq(s_e);
    EXPECT("+OK\r\n", "CRON.ADD", "job", "@hourly", "SET", "a", "b");
    EXPECT("+OK\r\n", "WEBHOOK", "REGISTER", "p:*", "expired", "http://h/x", "SECRET", "s");
    EXPECT(":1\r\n", "vole.cron-done", "job", "1700000000000", "error", "ERR boom", "0");
    EXPECT("+OK\r\n", "vole.webhook-failed", "http://h/x", "expired", "p:1", "0", "17", "6",
           "HTTP status 500", "18");
    EXPECT("+OK\r\n", "MSET", "t:1", "1", "t:2", "2", "keep", "3");
    EXPECT(":2\r\n", "DELMATCH", "t:*");
    EXPECT("+OK\r\n", "CRON.RUN", "job"); /* not data: recorded nothing */
    char info[4096], failed[4096], list[4096];
    snprintf(info, sizeof info, "%s", RUN("CRON.INFO", "job"));
    snprintf(failed, sizeof failed, "%s", RUN("WEBHOOK", "FAILED", "COUNT", "1"));
    snprintf(list, sizeof list, "%s", RUN("WEBHOOK", "LIST"));
    assert_non_null(strstr(info, "$5\r\nerror\r\n"));
    assert_non_null(strstr(info, "$9\r\nrun_count\r\n:1\r\n"));
    units_t u;
    s_units(seq0, &u);
    assert_int_equal(u.n, 6);
    /* back to nothing, then replay */
    EXPECT(":1\r\n", "CRON.DEL", "job");
    EXPECT(":1\r\n", "WEBHOOK", "UNREGISTER", "p:*", "expired", "http://h/x");
    EXPECT("+OK\r\n", "FLUSHALL");
    char err[256];
    for (int i = 0; i < u.n; i++) {
        if (engine_apply_unit(s_e, u.p[i], u.len[i], err, sizeof err) != 0) fail_msg("%s", err);
        free(u.p[i]);
    }
    EXPECT(info, "CRON.INFO", "job"); /* same creation time, last run, result, counters */
    EXPECT(failed, "WEBHOOK", "FAILED", "COUNT", "1");
    EXPECT(list, "WEBHOOK", "LIST");
    EXPECT(":0\r\n", "EXISTS", "t:1", "t:2");
    EXPECT(":1\r\n", "EXISTS", "keep");
    EXPECT(":1\r\n", "CRON.DEL", "job");
    EXPECT(":1\r\n", "WEBHOOK", "UNREGISTER", "p:*", "expired", "http://h/x");
    s_c->fe->role[0] = '\0';
}

static void test_cron_add_effect_and_errors(void **st) {
    (void)st;
    const char *r = RUN("CRON.ADD", "x", "* * *", "PING");
    assert_non_null(strstr(r, "invalid cron expression"));
    r = RUN("CRON.ADD", "x", "* * * * *", "BRPOP", "l", "0");
    assert_non_null(strstr(r, "cannot run 'brpop'"));
    r = RUN("CRON.ADD", "x", "* * * * *", "CONFIG", "GET");
    assert_non_null(strstr(r, "wrong number of arguments for 'config|get'"));
    uint64_t seq0 = effects_last_seq(s_e);
    EXPECT("+OK\r\n", "CRON.ADD", "x", "*/5 * * * *", "CONFIG", "GET", "hz");
    units_t u;
    s_units(seq0, &u);
    assert_int_equal(u.n, 1);
    /* recorded as vole.cron-set with the creation time and the database */
    assert_non_null(memmem(u.p[0], u.len[0], "vole.cron-set", 13));
    free(u.p[0]);
    EXPECT(":1\r\n", "CRON.DEL", "x");
}

static void test_snapshot_sections(void **st) {
    (void)st;
    snprintf(s_c->fe->role, sizeof s_c->fe->role, "scheduler");
    EXPECT("+OK\r\n", "CRON.ADD", "job", "30 9 * * mon-fri", "HSET", "h", "f", "v\x01");
    EXPECT(":1\r\n", "vole.cron-done", "job", "1700000000000", "ok", "1", "0");
    EXPECT("+OK\r\n", "CRON.ADD", "other", "@daily", "PING");
    EXPECT("+OK\r\n", "WEBHOOK", "REGISTER", "p:*", "expired", "http://h/x", "SECRET", "s");
    EXPECT("+OK\r\n", "WEBHOOK", "REGISTER", "q?", "*", "https://h/y");
    EXPECT("+OK\r\n", "vole.webhook-failed", "http://h/x", "expired", "p:1", "0", "17", "6",
           "HTTP status 500", "18");
    char info[4096], list[4096], failed[4096], wl[4096];
    snprintf(info, sizeof info, "%s", RUN("CRON.INFO", "job"));
    snprintf(list, sizeof list, "%s", RUN("CRON.LIST"));
    snprintf(failed, sizeof failed, "%s", RUN("WEBHOOK", "FAILED"));
    snprintf(wl, sizeof wl, "%s", RUN("WEBHOOK", "LIST"));
    char path[] = "/tmp/vole-test-sched-XXXXXX", err[256];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    if (snapshot_save_file(s_e, path, 1, err, sizeof err) < 0) fail_msg("%s", err);
    cron_reset();
    webhook_reset();
    EXPECT("*0\r\n", "CRON.LIST");
    engine_t *e2 = engine_new_for_test();
    uint64_t seq;
    if (snapshot_load_file(e2, path, &seq, NULL, NULL, err, sizeof err) < 0) fail_msg("%s", err);
    unlink(path);
    /* the tables are the process's (module state), so s_e sees what e2 loaded; freeing e2
     * would clear them, so it goes last */
    EXPECT(info, "CRON.INFO", "job");
    EXPECT(list, "CRON.LIST");
    EXPECT(failed, "WEBHOOK", "FAILED");
    EXPECT(wl, "WEBHOOK", "LIST");
    assert_int_equal(webhook_count, 2);
    engine_free_for_test(e2);
    cron_reset();
    webhook_reset();
    s_c->fe->role[0] = '\0';
}

static void test_whrec_codec(void **st) {
    (void)st;
    buf_t b;
    buf_init(&b);
    whrec_t r = {{"http://x/y", 10}, {"", 0}, {"set", 3}, {"k\0\xff", 3}, {"n", 1}, 1234567, 7};
    whrec_encode(&b, &r);
    whrec_t o;
    assert_int_equal(whrec_decode(b.data, b.len, &o), 0);
    assert_int_equal(o.url.len, 10);
    assert_memory_equal(o.key.p, "k\0\xff", 3);
    assert_int_equal(o.secret.len, 0);
    assert_int_equal(o.ts_ms, 1234567);
    assert_int_equal(o.db, 7);
    /* every truncation, a trailing byte and a wrong version are refused */
    for (size_t n = 0; n < b.len; n++) assert_int_equal(whrec_decode(b.data, n, &o), -1);
    buf_put_u8(&b, 0);
    assert_int_equal(whrec_decode(b.data, b.len, &o), -1);
    b.data[0] = 2;
    assert_int_equal(whrec_decode(b.data, b.len - 1, &o), -1);
    /* a length pointing past the end */
    buf_clear(&b);
    buf_put_u8(&b, 1);
    buf_put_u32(&b, 0xffffffffu);
    assert_int_equal(whrec_decode(b.data, b.len, &o), -1);
    buf_free(&b);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(test_outbox, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_internal_refused, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_replay, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_cron_add_effect_and_errors, s_setup, s_teardown),
        cmocka_unit_test_setup_teardown(test_snapshot_sections, s_setup, s_teardown),
        cmocka_unit_test(test_whrec_codec),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
