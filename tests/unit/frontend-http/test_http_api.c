/* Unit tests for the HTTP frontend's pure parts: RESP3 -> JSON conversion, JSON strings and
 * base64, request parsing limits, and routing/rendering with canned engine replies (statuses,
 * prefixes for identity changes, SSE confirmation handling, /ready while loading). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "frontend-http/http_api.h"
#include "frontend-http/http_parse.h"
#include "frontend-http/json_out.h"
#include "frontend-http/resp3.h"

static char *s_jsonn(const char *resp, size_t n) {
    static char out[4096];
    buf_t b;
    buf_init(&b);
    const char *p = resp;
    int r = r3_to_json(&b, &p, resp + n);
    assert_int_equal(r, 1);
    assert_ptr_equal(p, resp + n);
    snprintf(out, sizeof out, "%.*s", (int)b.len, b.data ? b.data : "");
    buf_free(&b);
    return out;
}

static char *s_json(const char *resp) { return s_jsonn(resp, strlen(resp)); }

static void test_resp3_to_json(void **state) {
    assert_string_equal(s_json("+OK\r\n"), "\"OK\"");
    assert_string_equal(s_json(":-42\r\n"), "-42");
    assert_string_equal(s_json("$5\r\nhe\"l\n\r\n"), "\"he\\\"l\\n\"");
    assert_string_equal(s_json("$-1\r\n"), "null");
    assert_string_equal(s_json("*-1\r\n"), "null");
    assert_string_equal(s_json("_\r\n"), "null");
    assert_string_equal(s_json(",1.5\r\n"), "1.5");
    assert_string_equal(s_json(",inf\r\n"), "\"inf\"");
    assert_string_equal(s_json(",-inf\r\n"), "\"-inf\"");
    assert_string_equal(s_json("#t\r\n"), "true");
    assert_string_equal(s_json("(12345678901234567890\r\n"), "12345678901234567890");
    assert_string_equal(s_json("%2\r\n$1\r\na\r\n:1\r\n:7\r\n*1\r\n+x\r\n"), "{\"a\":1,\"7\":[\"x\"]}");
    assert_string_equal(s_json("~2\r\n+a\r\n+b\r\n"), "[\"a\",\"b\"]");
    assert_string_equal(s_json("-ERR bad\r\n"), "{\"error\":\"ERR bad\"}");
    assert_string_equal(s_json("!7\r\nERR bad\r\n"), "{\"error\":\"ERR bad\"}");
    assert_string_equal(s_json("=8\r\ntxt:a:1\n\r\n"), "\"a:1\\n\"");
    assert_string_equal(s_json("|1\r\n+k\r\n+v\r\n:3\r\n"), "3");
    assert_string_equal(s_jsonn("$3\r\n\xff\x00\x01\r\n", 9), "{\"$base64\":\"/wAB\"}");
    assert_string_equal(s_json("$2\r\n\xc3\xa9\r\n"), "\"\xc3\xa9\"");
    assert_string_equal(s_json("$1\r\n\x01\r\n"), "\"\\u0001\"");
}

static void test_resp3_framing(void **state) {
    size_t used;
    const char *full = "*2\r\n$3\r\nabc\r\n:1\r\n+next\r\n";
    assert_int_equal(r3_frame(full, strlen(full), &used), 1);
    assert_int_equal(used, strlen("*2\r\n$3\r\nabc\r\n:1\r\n"));
    for (size_t n = 0; n < used; n++) assert_int_equal(r3_frame(full, n, &used), 0);
    assert_int_equal(r3_frame("?x\r\n", 4, &used), -1);
    assert_int_equal(r3_frame("$3\r\nabcd\r\n", 10, &used), -1);
    assert_int_equal(r3_frame(":1x\r\n", 5, &used), -1);
    /* nesting past the limit is refused, not recursed into */
    buf_t deep;
    buf_init(&deep);
    for (int i = 0; i < 100; i++) buf_append_str(&deep, "*1\r\n");
    buf_append_str(&deep, ":1\r\n");
    assert_int_equal(r3_frame(deep.data, deep.len, &used), -1);
    buf_free(&deep);
}

static void test_base64_and_utf8(void **state) {
    buf_t b, d;
    buf_init(&b);
    buf_init(&d);
    for (size_t n = 0; n < 40; n++) {
        unsigned char src[40];
        for (size_t i = 0; i < n; i++) src[i] = (unsigned char)(i * 37 + n);
        buf_clear(&b);
        buf_clear(&d);
        base64_encode(&b, src, n);
        assert_int_equal(b.len, (n + 2) / 3 * 4);
        assert_int_equal(base64_decode(&d, b.data ? b.data : "", b.len), 0);
        assert_int_equal(d.len, n);
        if (n) assert_memory_equal(d.data, src, n);
    }
    assert_int_equal(base64_decode(&d, "a$==", 4), -1);
    assert_int_equal(base64_decode(&d, "a", 1), -1);
    assert_true(json_utf8_valid("abc\xe2\x9c\x93", 6));
    assert_false(json_utf8_valid("\xc0\xaf", 2));         /* overlong */
    assert_false(json_utf8_valid("\xed\xa0\x80", 3));     /* surrogate */
    assert_false(json_utf8_valid("\xf4\x90\x80\x80", 4)); /* past U+10FFFF */
    assert_false(json_utf8_valid("\xe2\x9c", 2));         /* truncated */
    buf_free(&b);
    buf_free(&d);
}

/* ---- parsing ---- */

static int s_nreq;
static char s_urls[8][256];
static char s_bodies[8][256];
static int s_head(void *ud, hreq_t *r) { return 0; }
static int s_req(void *ud, hreq_t *r) {
    snprintf(s_urls[s_nreq], 256, "%.*s", (int)r->url.len, r->url.data);
    snprintf(s_bodies[s_nreq], 256, "%.*s", (int)r->body.len, r->body.data ? r->body.data : "");
    s_nreq++;
    return 0;
}

static int s_parse(const char *req, size_t max_head, size_t max_body, size_t step) {
    hparse_t hp;
    s_nreq = 0;
    hparse_init(&hp, max_head, max_body, NULL, s_head, s_req);
    size_t n = strlen(req), pos = 0;
    while (pos < n && !hp.status) {
        size_t len = n - pos < step ? n - pos : step;
        size_t used = hparse_feed(&hp, req + pos, len);
        if (!hp.status) assert_int_equal(used, len);
        pos += len;
    }
    int st = hp.status;
    hparse_free(&hp);
    return st;
}

static void test_parse_pipelined_chunked_split(void **state) {
    const char *req = "GET /a HTTP/1.1\r\nHost: x\r\n\r\n"
                      "POST /b HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"
                      "PUT /c HTTP/1.1\r\nContent-Length: 2\r\n\r\nxy";
    for (size_t step = 1; step < 20; step++) {
        assert_int_equal(s_parse(req, 1024, 1024, step), 0);
        assert_int_equal(s_nreq, 3);
        assert_string_equal(s_urls[1], "/b");
        assert_string_equal(s_bodies[1], "abcde");
        assert_string_equal(s_bodies[2], "xy");
    }
}

static void test_parse_limits(void **state) {
    char big[600];
    memset(big, 'a', sizeof big - 1);
    big[sizeof big - 1] = 0;
    char req[1024];
    snprintf(req, sizeof req, "GET /x HTTP/1.1\r\nX-A: %s\r\n\r\n", big);
    assert_int_equal(s_parse(req, 512, 1024, 1000), 431);
    snprintf(req, sizeof req, "GET /%s HTTP/1.1\r\n\r\n", big);
    assert_int_equal(s_parse(req, 512, 1024, 1000), 414);
    assert_int_equal(s_parse("PUT /x HTTP/1.1\r\nContent-Length: 2000\r\n\r\n", 512, 1024, 1000), 413);
    assert_int_equal(s_parse("PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n"
                             "400\r\n", 512, 16, 1000), 0);
    assert_int_equal(s_parse("GET /x HTTP/2.0\r\n\r\n", 512, 16, 1000), 505);
    assert_int_equal(s_parse("BREW /x HTTP/1.1\r\n\r\n", 512, 16, 1000), 501);
    assert_int_equal(s_parse("GET /x HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 512, 16, 1000), 400);
}

/* ---- routing and rendering ---- */

static hapi_t s_api = {.cors_origin = "", .run_dir = "", .engine_up = 1};

static hjob_t *s_job;

static int s_route_req(void *ud, hreq_t *r) {
    s_job = hjob_new();
    hapi_route(&s_api, r, s_job, ud);
    return 0;
}

/* Parses one request and routes it with the connection identity given. */
static hjob_t *s_route(const char *method_line, const char *body, buf_t *identity) {
    char req[2048];
    snprintf(req, sizeof req, "%s HTTP/1.1\r\nContent-Length: %zu\r\n\r\n%s", method_line,
             strlen(body), body);
    s_job = NULL;
    hparse_t hp;
    hparse_init(&hp, 4096, 4096, identity, s_head, s_route_req);
    hparse_feed(&hp, req, strlen(req));
    hparse_free(&hp);
    assert_non_null(s_job);
    return s_job;
}

/* The response, NUL-terminated for the string checks. */
static const char *s_resp(hjob_t *j) {
    buf_put_u8(&j->resp, 0);
    j->resp.len--;
    return j->resp.data;
}
static int s_status(hjob_t *j) { return atoi(s_resp(j) + 9); }
static const char *s_body(hjob_t *j) { return strstr(s_resp(j), "\r\n\r\n") + 4; }

/* The i-th command of a job as "ARG ARG ...". */
static void s_cmd(const hjob_t *j, int i, char *out, size_t cap) {
    const char *p = j->cmds.data;
    out[0] = 0;
    for (int k = 0; k <= i; k++) {
        uint32_t argc, len;
        memcpy(&argc, p, 4);
        p += 4;
        for (uint32_t a = 0; a < argc; a++) {
            memcpy(&len, p, 4);
            if (k == i)
                snprintf(out + strlen(out), cap - strlen(out), "%s%.*s", a ? " " : "", (int)len, p + 4);
            p += 4 + len;
        }
    }
}

static void s_feed(hjob_t *j, const char *reply) {
    buf_t out;
    buf_init(&out);
    hapi_reply(&s_api, j, reply, strlen(reply), &out);
    buf_free(&out);
}

static void test_route_key_get(void **state) {
    buf_t id;
    buf_init(&id);
    buf_put_u8(&id, 0);
    char cmd[256];
    hjob_t *j = s_route("GET /api/v1/keys/a%2Fb", "", &id);
    assert_int_equal(j->ncmds, 2);
    assert_int_equal(j->reopen, 0);
    s_cmd(j, 0, cmd, sizeof cmd);
    assert_string_equal(cmd, "GET a/b");
    s_feed(j, "$2\r\nhi\r\n");
    assert_false(j->done);
    s_feed(j, ":-1\r\n");
    assert_true(j->done);
    assert_int_equal(s_status(j), 200);
    assert_string_equal(s_body(j), "{\"key\":\"a/b\",\"value\":\"hi\",\"ttl_ms\":-1}");
    hjob_free(j);
    j = s_route("GET /api/v1/keys/x", "", &id);
    s_feed(j, "-WRONGTYPE Operation against a key holding the wrong kind of value\r\n");
    s_feed(j, ":-1\r\n");
    assert_int_equal(s_status(j), 409);
    hjob_free(j);
    buf_free(&id);
}

static void test_identity_prefix(void **state) {
    buf_t id;
    buf_init(&id);
    buf_put_u8(&id, 0);
    char cmd[256];
    hjob_t *j = s_route("GET /api/v1/dbsize?db=3", "", &id);
    assert_int_equal(j->reopen, 1);
    assert_int_equal(j->nprefix, 1);
    s_cmd(j, 0, cmd, sizeof cmd);
    assert_string_equal(cmd, "SELECT 3");
    s_feed(j, "+OK\r\n");
    s_feed(j, ":7\r\n");
    assert_string_equal(s_body(j), "{\"dbsize\":7}");
    hjob_free(j);
    /* same identity: no prefix; back to the default: a fresh client without prefix */
    j = s_route("GET /api/v1/dbsize?db=3", "", &id);
    assert_int_equal(j->reopen, 0);
    assert_int_equal(j->nprefix, 0);
    hjob_free(j);
    j = s_route("GET /api/v1/dbsize", "", &id);
    assert_int_equal(j->reopen, 1);
    assert_int_equal(j->nprefix, 0);
    hjob_free(j);
    /* the identity reads the decoded query, as the prefix does */
    j = s_route("GET /api/v1/dbsize?d%62=5", "", &id);
    assert_int_equal(j->reopen, 1);
    s_cmd(j, 0, cmd, sizeof cmd);
    assert_string_equal(cmd, "SELECT 5");
    hjob_free(j);
    /* a bad SELECT is the engine's error */
    j = s_route("GET /api/v1/dbsize?db=99", "", &id);
    s_feed(j, "-ERR DB index is out of range\r\n");
    s_feed(j, ":0\r\n");
    assert_int_equal(s_status(j), 400);
    hjob_free(j);
    buf_free(&id);
}

static void test_ready_while_loading(void **state) {
    buf_t id;
    buf_init(&id);
    buf_put_u8(&id, 0);
    hjob_t *j = s_route("GET /ready", "", &id);
    s_feed(j, "-LOADING Vole is loading the dataset in memory\r\n");
    assert_int_equal(s_status(j), 503);
    hjob_free(j);
    j = s_route("GET /ready", "", &id);
    s_feed(j, ":12\r\n");
    assert_int_equal(s_status(j), 200);
    hjob_free(j);
    s_api.engine_up = 0;
    j = s_route("GET /ready", "", &id);
    assert_true(j->done);
    assert_int_equal(s_status(j), 503);
    hjob_free(j);
    j = s_route("GET /health", "", &id);
    assert_int_equal(s_status(j), 200);
    hjob_free(j);
    s_api.engine_up = 1;
    buf_free(&id);
}

static void test_ratelimit_headers(void **state) {
    buf_t id;
    buf_init(&id);
    buf_put_u8(&id, 0);
    hjob_t *j = s_route("POST /api/v1/ratelimit/k", "{\"max\":10,\"window\":60}", &id);
    char cmd[256];
    s_cmd(j, 0, cmd, sizeof cmd);
    assert_string_equal(cmd, "RATELIMIT k 10 60");
    s_feed(j, "*4\r\n:0\r\n:0\r\n:1500\r\n:30000\r\n");
    assert_int_equal(s_status(j), 429);
    assert_non_null(strstr(s_resp(j), "Retry-After: 2\r\n"));
    assert_non_null(strstr(s_resp(j), "RateLimit-Limit: 10\r\n"));
    assert_non_null(strstr(s_resp(j), "X-RateLimit-Remaining: 0\r\n"));
    assert_non_null(strstr(s_resp(j), "RateLimit-Reset: 30\r\n"));
    hjob_free(j);
    buf_free(&id);
}

static void test_sse_confirmations(void **state) {
    buf_t id, out;
    buf_init(&id);
    buf_init(&out);
    buf_put_u8(&id, 0);
    hjob_t *j = s_route("GET /api/v1/events?channels=a,b&patterns=__keyspace__:*", "", &id);
    assert_true(j->sse);
    assert_int_equal(j->sse_pending, 3);
    char cmd[256];
    s_cmd(j, 1, cmd, sizeof cmd);
    assert_string_equal(cmd, "PSUBSCRIBE __keyspace@0__:*");
    const char *conf = ">3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n";
    hapi_reply(&s_api, j, conf, strlen(conf), &out);
    hapi_reply(&s_api, j, conf, strlen(conf), &out);
    assert_false(j->sse_started);
    const char *pconf = ">3\r\n$10\r\npsubscribe\r\n$1\r\n*\r\n:3\r\n";
    hapi_reply(&s_api, j, pconf, strlen(pconf), &out);
    assert_true(j->sse_started);
    buf_clear(&out);
    const char *msg = ">3\r\n$7\r\nmessage\r\n$1\r\na\r\n$2\r\nhi\r\n";
    hapi_reply(&s_api, j, msg, strlen(msg), &out);
    buf_put_u8(&out, 0);
    assert_string_equal(out.data, "id: 1\nevent: message\ndata: {\"channel\":\"a\",\"message\":\"hi\"}\n\n");
    hjob_free(j);
    buf_free(&out);
    buf_free(&id);
}

static void test_bad_requests(void **state) {
    buf_t id;
    buf_init(&id);
    buf_put_u8(&id, 0);
    struct {
        const char *line, *body;
        int status;
    } cases[] = {
        {"GET /nope", "", 404},
        {"POST /api/v1/keys/a", "", 405},
        {"PUT /api/v1/keys/a", "{", 400},
        {"PUT /api/v1/keys/a", "[]", 400},
        {"POST /api/v1/command", "[]", 400},
        {"POST /api/v1/command", "[\"subscribe\",\"x\"]", 400},
        {"GET /api/v1/keys/%4", "", 400},
        {"GET /api/v1/list/l?start=x", "", 400},
        {"POST /api/v1/ratelimit/k", "{\"max\":\"a\",\"window\":1}", 400},
        {"GET /api/v1/events", "", 400},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        hjob_t *j = s_route(cases[i].line, cases[i].body, &id);
        if (!j->done) fail_msg("%s: not answered without the engine", cases[i].line);
        assert_int_equal(j->ncmds, 0);
        if (s_status(j) != cases[i].status) fail_msg("%s -> %d", cases[i].line, s_status(j));
        assert_non_null(strstr(s_body(j), "{\"error\":"));
        hjob_free(j);
    }
    buf_free(&id);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_resp3_to_json),
        cmocka_unit_test(test_resp3_framing),
        cmocka_unit_test(test_base64_and_utf8),
        cmocka_unit_test(test_parse_pipelined_chunked_split),
        cmocka_unit_test(test_parse_limits),
        cmocka_unit_test(test_route_key_get),
        cmocka_unit_test(test_identity_prefix),
        cmocka_unit_test(test_ready_while_loading),
        cmocka_unit_test(test_ratelimit_headers),
        cmocka_unit_test(test_sse_confirmations),
        cmocka_unit_test(test_bad_requests),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
