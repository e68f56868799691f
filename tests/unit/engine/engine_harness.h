/* Running commands on an in-process engine from cmocka tests: an engine with one test
 * client, and a call that executes a command (NUL-terminated words) and returns its RESP
 * reply. Header-only: each test program includes it once. */
#ifndef VOLE_TEST_ENGINE_HARNESS_H
#define VOLE_TEST_ENGINE_HARNESS_H
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "shared/util.h"

typedef struct {
    engine_t *e;
    client_t *c;
} th_engine_t;

static inline th_engine_t th_new(void) {
    th_engine_t t;
    t.e = engine_new_for_test();
    t.c = client_new(t.e, t.e->frontends, 1);
    return t;
}

static inline void th_free(th_engine_t *t) {
    engine_free_for_test(t->e); /* frees its clients too */
    t->e = NULL;
    t->c = NULL;
}

/* Executes the command and returns a malloc'ed copy of its reply (NUL-terminated; *len is
 * its length), without the message and record framing. */
static inline char *th_run_v(th_engine_t *t, size_t *len, const char *first, va_list ap) {
    proto_arg_t argv[64];
    int argc = 0;
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        argv[argc].ptr = w;
        argv[argc].len = strlen(w);
        argc++;
    }
    frontend_t *fe = t->c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    t->e->now_ms = now_ms();
    engine_execute(t->e, t->c, argc, argv);
    size_t skip = PROTO_HEADER_SIZE + 9; /* message header, then u32 client u8 flags u32 len */
    assert_true(fe->out.len >= skip);
    *len = fe->out.len - skip;
    char *copy = malloc(*len + 1);
    assert_non_null(copy);
    memcpy(copy, fe->out.data + skip, *len);
    copy[*len] = '\0';
    return copy;
}

static inline char *th_run(th_engine_t *t, size_t *len, const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    char *r = th_run_v(t, len, first, ap);
    va_end(ap);
    return r;
}
#endif
