/* A small harness for unit tests that run commands through the engine's dispatcher at a clock
 * the test sets (Vole's time-based types): one engine, one client, raw RESP replies. Included
 * by one test file each (everything is static). */
#ifndef VOLE_TEST_CMD_HARNESS_H
#define VOLE_TEST_CMD_HARNESS_H
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
#include "engine/snapshot.h"

typedef struct {
    engine_t *e;
    engine_t *b;  /* an empty engine to rebuild e's data in (replay, snapshot) */
    client_t *c;
    size_t hdr;   /* bytes of record framing before a reply's RESP */
    int64_t now;  /* the engine's clock for the next command */
    size_t outlen; /* bytes of the last h_runv_as() output (records of other clients too) */
} h_ctx_t;

static h_ctx_t H;

static void h_reset_out(client_t *c) {
    frontend_t *fe = c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
}

/* Runs argv as client c at H.now; returns the RESP reply (NUL-terminated copy kept until the
 * next call). */
static const char *h_runv_as(client_t *c, int argc, const char **words) {
    static char out[1 << 16];
    proto_arg_t argv[64];
    assert_true(argc <= 64);
    for (int i = 0; i < argc; i++) argv[i] = (proto_arg_t){words[i], strlen(words[i])};
    h_reset_out(c);
    c->eng->now_ms = H.now;
    engine_execute(c->eng, c, argc, argv);
    frontend_t *fe = c->fe;
    size_t n = fe->out.len >= H.hdr ? fe->out.len - H.hdr : 0;
    assert_true(n < sizeof out);
    memcpy(out, (const char *)fe->out.data + H.hdr, n);
    out[n] = '\0';
    H.outlen = n;
    return out;
}

static const char *h_run_list(client_t *c, const char *first, va_list ap) {
    const char *words[64];
    int argc = 0;
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        words[argc++] = w;
    }
    return h_runv_as(c, argc, words);
}

static const char *h_run(const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    const char *r = h_run_list(H.c, first, ap);
    va_end(ap);
    return r;
}

#define RUN(...) h_run(__VA_ARGS__, (const char *)NULL)
#define CHECK(expect, ...)                                                                        \
    do {                                                                                          \
        const char *r_ = RUN(__VA_ARGS__);                                                        \
        if (strcmp(r_, expect) != 0) fail_msg("reply %s, expected %s", r_, expect);               \
    } while (0)

static int h_setup(void **state) {
    (void)state;
    /* both engines exist before any data: creating an engine reseeds the dict hash */
    H.e = engine_new_for_test();
    H.b = engine_new_for_test();
    H.c = client_new(H.e, H.e->frontends, 1);
    H.hdr = 0;
    H.now = 1000000;
    RUN("GET", "__probe__");
    /* the reply was "$-1\r\n": everything before it is record framing */
    H.hdr = H.c->fe->out.len - 5;
    assert_memory_equal(H.c->fe->out.data + H.hdr, "$-1\r\n", 5);
    return 0;
}

static int h_teardown(void **state) {
    (void)state;
    client_free(H.e, H.c);
    engine_free_for_test(H.e);
    engine_free_for_test(H.b);
    return 0;
}

/* Before each command test: a fresh engine (its backlog then holds only the test's units, and
 * a test that created a second engine, which reseeds the dict hash, leaves nothing behind). */
static int h_fresh(void **state) {
    h_teardown(state);
    return h_setup(state);
}

/* Replays every unit H.e recorded into H.b (the AOF / replica path) and returns it. */
static engine_t *h_replay_all(void) {
    engine_t *b = H.b;
    uint64_t last = effects_last_seq(H.e);
    for (uint64_t s = effects_oldest_seq(H.e); s <= last; s++) {
        const char *p;
        size_t len;
        assert_int_equal(effects_get(H.e, s, &p, &len), 0);
        char err[256] = "";
        if (engine_apply_unit(b, p, len, err, sizeof err) != 0)
            fail_msg("replaying unit %llu: %s", (unsigned long long)s, err);
    }
    return b;
}

/* Saves H.e to a snapshot file and loads it into H.b, which it returns. */
static engine_t *h_snapshot_round_trip(void) {
    char path[] = "/tmp/vole-unit-snap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    char err[256] = "";
    if (snapshot_write_fd(H.e, fd, effects_last_seq(H.e), err, sizeof err) != 0)
        fail_msg("saving: %s", err);
    close(fd);
    engine_t *b = H.b;
    uint64_t seq = 0;
    int rc = snapshot_load_file(b, path, &seq, NULL, NULL, err, sizeof err);
    unlink(path);
    if (rc != 0) fail_msg("loading: %s", err);
    return b;
}
#endif
