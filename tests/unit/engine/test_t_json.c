/* Unit tests for JSON documents: JSONPath compilation and evaluation (engine/types/jsonpath.c)
 * alone, the serialiser's number/string/layout forms and the nesting limit (t_json.c's type
 * API), and, through the engine's dispatcher, the persistence round trip: every effect unit
 * the JSON commands recorded, replayed into a fresh engine, rebuilds the same documents. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/types/jsonpath.h"
#include "engine/types/t_json.h"
#include "shared/util.h"

/* ===================== JSONPath ===================== */

static json_t *s_parse_n(const char *text, size_t n) {
    char err[200];
    json_t *v = json_type_parse(text, n, err, sizeof err);
    if (!v) fail_msg("parse %.*s: %s", (int)n, text, err);
    return v;
}

static json_t *s_parse(const char *text) { return s_parse_n(text, strlen(text)); }

/* The matches of path over doc, serialised as one JSON array. */
static char *s_select(json_t *doc, const char *path) {
    char err[200];
    jp_path_t *p = jp_compile(path, strlen(path), err, sizeof err);
    if (!p) fail_msg("compile %s: %s", path, err);
    jp_matches_t m = {0};
    jp_eval(p, doc, 0, &m);
    json_t *arr = json_array();
    for (size_t i = 0; i < m.n; i++)
        json_array_append(arr, m.v[i].node);
    buf_t b;
    buf_init(&b);
    json_type_serialize(&b, arr, NULL);
    buf_append(&b, "", 1);
    json_decref(arr);
    jp_matches_free(&m);
    jp_free(p);
    return b.data;
}

#define SELECT(doc, path, expect)                                                                  \
    do {                                                                                           \
        char *got_ = s_select(doc, path);                                                          \
        if (strcmp(got_, expect) != 0) fail_msg("%s gave %s, expected %s", path, got_, expect);    \
        free(got_);                                                                                \
    } while (0)

static const char *s_store =
    "{\"store\":{\"book\":[{\"cat\":\"ref\",\"author\":\"Rees\",\"price\":8.95},"
    "{\"cat\":\"fic\",\"author\":\"Waugh\",\"price\":12.99},"
    "{\"cat\":\"fic\",\"author\":\"Melville\",\"isbn\":\"0-553\",\"price\":8.99},"
    "{\"cat\":\"fic\",\"author\":\"Tolkien\",\"isbn\":\"0-395\",\"price\":22.99}],"
    "\"bicycle\":{\"color\":\"red\",\"price\":19.95}},\"n\":[1,2,3,4,5]}";

static void test_jsonpath_select(void **state) {
    (void)state;
    json_t *d = s_parse(s_store);
    SELECT(d, "$.store.book[*].author", "[\"Rees\",\"Waugh\",\"Melville\",\"Tolkien\"]");
    SELECT(d, "$..author", "[\"Rees\",\"Waugh\",\"Melville\",\"Tolkien\"]");
    SELECT(d, "$.store.*.color", "[\"red\"]");
    SELECT(d, "$..price", "[8.95,12.99,8.99,22.99,19.95]");
    SELECT(d, "$..book[2].author", "[\"Melville\"]");
    SELECT(d, "$..book[-1].author", "[\"Tolkien\"]");
    SELECT(d, "$..book[0,1].cat", "[\"ref\",\"fic\"]");
    SELECT(d, "$..book[:2].cat", "[\"ref\",\"fic\"]");
    SELECT(d, "$.n[1:4]", "[2,3,4]");
    SELECT(d, "$.n[-2:]", "[4,5]");
    SELECT(d, "$.n[::2]", "[1,3,5]");
    SELECT(d, "$.n[10]", "[]");
    SELECT(d, "$..book[?(@.isbn)].author", "[\"Melville\",\"Tolkien\"]");
    SELECT(d, "$..book[?(@.price < 10)].price", "[8.95,8.99]");
    SELECT(d, "$..book[?(@.price<10&&@.cat=='fic')].author", "[\"Melville\"]");
    SELECT(d, "$..book[?(@.cat == 'ref' || @.price > 20)].author", "[\"Rees\",\"Tolkien\"]");
    SELECT(d, "$..book[?(@.author =~ \"(?i)^w\")].author", "[\"Waugh\"]");
    SELECT(d, "$..book[?(@.price > $.store.bicycle.price)].author", "[\"Tolkien\"]");
    SELECT(d, "$..book[?(@.author =~ \"(\")].author", "[]"); /* an invalid regex matches nothing */
    SELECT(d, "$..book[?(@.author =~ @.author)].cat", "[\"ref\",\"fic\",\"fic\",\"fic\"]");
    SELECT(d, "$.n[?(@ >= 4)]", "[4,5]");
    SELECT(d, "$.n[?(@ != 4 && !(@ < 3))]", "[3,5]");
    SELECT(d, "$.store[\"bicycle\"]['color']", "[\"red\"]");
    SELECT(d, "$.store.bicycle[?(@ == 'red')]", "[\"red\"]");
    SELECT(d, "$.zz.yy", "[]");
    /* mismatched types compare unequal, not "less" or "greater" */
    SELECT(d, "$..book[?(@.price == '8.95')].author", "[]");
    SELECT(d, "$..book[?(@.price != '8.95')].cat", "[\"ref\",\"fic\",\"fic\",\"fic\"]");
    json_decref(d);
}

static void test_jsonpath_compile(void **state) {
    (void)state;
    static const char *bad[] = {"",
                                "a",
                                "$.",
                                "$[",
                                "$[1",
                                "$['a'",
                                "$..",
                                "$.a[?(@.b >)]",
                                "$.a[?(@.b == 1]",
                                "$[1:2:0]",
                                "$.a b",
                                "$[?()]",
                                "$$",
                                NULL};
    char err[200];
    for (int i = 0; bad[i]; i++) {
        jp_path_t *p = jp_compile(bad[i], strlen(bad[i]), err, sizeof err);
        if (p) fail_msg("%s compiled", bad[i]);
        assert_non_null(strstr(err, "JSON Path error"));
    }
    static const struct {
        const char *p;
        int is_static;
        size_t size;
    } good[] = {{"$", 1, 0},           {"$.a.b", 1, 2},  {"$.a[0]", 1, 2},   {"$['a'][3]", 1, 2},
                {"$..a", 0, 1},        {"$.a[*]", 0, 2}, {"$.a[0,1]", 0, 2}, {"$.a[1:]", 0, 2},
                {"$.a[?(@.x)]", 0, 2}, {"$.*", 0, 1}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        jp_path_t *p = jp_compile(good[i].p, strlen(good[i].p), err, sizeof err);
        if (!p) fail_msg("%s: %s", good[i].p, err);
        assert_int_equal(jp_is_static(p), good[i].is_static);
        assert_int_equal(jp_size(p), good[i].size);
        jp_free(p);
    }
    const char *name;
    size_t len;
    jp_path_t *p = jp_compile("$.a.bc", 6, err, sizeof err);
    assert_true(jp_last_name(p, &name, &len));
    assert_int_equal(len, 2);
    assert_memory_equal(name, "bc", 2);
    jp_free(p);
    p = jp_compile("$.a[2]", 6, err, sizeof err);
    assert_false(jp_last_name(p, &name, &len));
    /* skip_last gives the parents */
    json_t *d = s_parse("{\"a\":[1,2,3]}");
    jp_matches_t m = {0};
    jp_eval(p, d, 1, &m);
    assert_int_equal(m.n, 1);
    assert_ptr_equal(m.v[0].node, json_object_get(d, "a"));
    jp_matches_free(&m);
    jp_eval(p, d, 0, &m);
    assert_int_equal(m.n, 1);
    assert_ptr_equal(m.v[0].parent, json_object_get(d, "a"));
    assert_int_equal(m.v[0].idx, 2);
    assert_int_equal(m.v[0].depth, 2);
    jp_matches_free(&m);
    jp_free(p);
    json_decref(d);
}

static void test_jp_equal(void **state) {
    (void)state;
    json_t *a = s_parse("{\"x\":[1,{\"y\":null}],\"z\":\"s\"}");
    json_t *b = s_parse("{\"z\":\"s\",\"x\":[1,{\"y\":null}]}");
    json_t *c = s_parse("{\"z\":\"s\",\"x\":[1.0,{\"y\":null}]}");
    assert_true(jp_equal(a, b));
    assert_false(jp_equal(a, c)); /* 1 is an integer, 1.0 a number */
    json_decref(a);
    json_decref(b);
    json_decref(c);
}

/* ===================== the serialiser ===================== */

static void s_expect_ser(const char *in, const json_fmt_t *f, const char *expect) {
    json_t *v = s_parse(in);
    buf_t b;
    buf_init(&b);
    json_type_serialize(&b, v, f);
    if (b.len != strlen(expect) || memcmp(b.data, expect, b.len) != 0)
        fail_msg("%s gave %.*s, expected %s", in, (int)b.len, b.data, expect);
    buf_free(&b);
    json_decref(v);
}

static void test_serialize(void **state) {
    (void)state;
    static const char *nums[][2] = {{"1.0", "1.0"},
                                    {"0.1", "0.1"},
                                    {"1e21", "1e21"},
                                    {"1e16", "1e16"},
                                    {"1e15", "1000000000000000.0"},
                                    {"1.5e-7", "1.5e-7"},
                                    {"0.0001", "0.0001"},
                                    {"0.00001", "0.00001"},
                                    {"0.000001", "1e-6"},
                                    {"-2.5", "-2.5"},
                                    {"-0.0", "-0.0"},
                                    {"123.456", "123.456"},
                                    {"1.7976931348623157e308", "1.7976931348623157e308"},
                                    {"5e-324", "5e-324"},
                                    {"0.30000000000000004", "0.30000000000000004"},
                                    {"12345678901234567", "12345678901234567"},
                                    {"-9223372036854775808", "-9223372036854775808"},
                                    {"1.2345e20", "1.2345e20"}};
    for (size_t i = 0; i < sizeof nums / sizeof nums[0]; i++)
        s_expect_ser(nums[i][0], NULL, nums[i][1]);
    s_expect_ser("\"a\\\"b\\\\c\\u0001\\u001f\\n\\t\\r\\b\\f\\/\\u00e9\\u20ac\"", NULL,
                 "\"a\\\"b\\\\c\\u0001\\u001f\\n\\t\\r\\b\\f/\xc3\xa9\xe2\x82\xac\"");
    s_expect_ser("{ \"a\" : [ true, false, null ], \"b\" : { } , \"c\": []}", NULL,
                 "{\"a\":[true,false,null],\"b\":{},\"c\":[]}");
    json_fmt_t f = {"  ", "\n", " ", 2, 1, 1};
    s_expect_ser("{\"a\":[1,[]],\"b\":{}}", &f,
                 "{\n  \"a\": [\n    1,\n    []\n  ],\n  \"b\": {}\n}");
    json_fmt_t only_space = {NULL, NULL, "_", 0, 0, 1};
    s_expect_ser("{\"a\":{\"b\":1}}", &only_space, "{\"a\":_{\"b\":_1}}");
    json_fmt_t only_indent = {"\t", NULL, NULL, 1, 0, 0};
    s_expect_ser("[1,2]", &only_indent, "[\t1,\t2]");
    /* strings with NUL bytes survive */
    s_expect_ser("\"a\\u0000b\"", NULL, "\"a\\u0000b\"");
}

static void test_parse_limits(void **state) {
    (void)state;
    char err[200];
    char deep[600];
    for (int n = 127; n <= 129; n++) {
        memset(deep, '[', (size_t)n);
        memset(deep + n, ']', (size_t)n);
        json_t *v = json_type_parse(deep, (size_t)n * 2, err, sizeof err);
        if (n <= JSON_MAX_DEPTH) {
            assert_non_null(v);
            assert_int_equal(json_type_depth(v), (size_t)n);
            json_decref(v);
        } else {
            assert_null(v);
            assert_non_null(strstr(err, "recursion limit"));
        }
    }
    assert_null(json_type_parse("{\"a\":1", 6, err, sizeof err));
    assert_non_null(strstr(err, "line 1"));
    assert_null(json_type_parse("\"\xff\"", 3, err, sizeof err)); /* not UTF-8 */
    json_t *v = json_type_parse("7", 1, err, sizeof err);         /* any value at the top */
    assert_true(json_is_integer(v));
    assert_int_equal(json_type_depth(v), 0);
    assert_string_equal(json_type_name(v), "integer");
    json_decref(v);
    v = s_parse("{\"a\":\"xxxxxxxxxx\",\"b\":[1,2.5,true]}");
    size_t mem = json_type_mem(v);
    assert_true(mem > 200 && mem < 2000);
    json_decref(v);
}

/* ===================== the parser against jansson's ===================== */

static unsigned long long s_rng = 88172645463325252ULL;
static unsigned s_rand(unsigned n) {
    s_rng ^= s_rng << 13, s_rng ^= s_rng >> 7, s_rng ^= s_rng << 17;
    return (unsigned)(s_rng % n);
}

/* A random document as text, with random spacing and escapes. */
static void s_gen(buf_t *b, int depth) {
    static const char *ws[] = {"", "", " ", "\n", "\t ", "\r\n"};
    static const char *atoms[] = {"0",
                                  "-0",
                                  "17",
                                  "-42",
                                  "9223372036854775807",
                                  "-9223372036854775808",
                                  "1.5",
                                  "-0.25",
                                  "1e10",
                                  "2.5E-3",
                                  "1e308",
                                  "true",
                                  "false",
                                  "null",
                                  "\"\"",
                                  "\"abc\"",
                                  "\"\\u00e9\\n\\\"\\\\\"",
                                  "\"\xc3\xa9\xe2\x82\xac\"",
                                  "\"\\ud83d\\ude00\"",
                                  "\"\\u0000x\"",
                                  "123.456e+7",
                                  "18446744073709551615"};
    buf_append_str(b, ws[s_rand(6)]);
    unsigned k = depth > 4 ? 0 : s_rand(4);
    if (k < 2) {
        buf_append_str(b, atoms[s_rand(sizeof atoms / sizeof atoms[0])]);
    } else if (k == 2) {
        buf_append_str(b, "[");
        unsigned n = s_rand(4);
        for (unsigned i = 0; i < n; i++) {
            if (i) buf_append_str(b, ",");
            s_gen(b, depth + 1);
        }
        buf_append_str(b, "]");
    } else {
        buf_append_str(b, "{");
        unsigned n = s_rand(4);
        for (unsigned i = 0; i < n; i++) {
            if (i) buf_append_str(b, ",");
            buf_printf(b, "%s\"k%u\"%s:", ws[s_rand(6)], s_rand(3), ws[s_rand(6)]);
            s_gen(b, depth + 1);
        }
        buf_append_str(b, "}");
    }
    buf_append_str(b, ws[s_rand(6)]);
}

static void s_compare_parsers(const char *p, size_t n, int *accepted) {
    char err[256];
    json_error_t je;
    json_t *mine = json_type_parse(p, n, err, sizeof err);
    json_t *ref = json_loadb(p, n, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!ref && mine && strstr(je.text, "too big")) { /* we keep it as a number */
        json_decref(mine);
        return;
    }
    if ((mine == NULL) != (ref == NULL)) {
        for (size_t i = 0; i < n; i++) {
            unsigned char ch = (unsigned char)p[i];
            fprintf(stderr, ch < 0x20 || ch > 0x7e ? "\\x%02x" : "%c", ch);
        }
        fail_msg("parsers disagree: ours %s, jansson %s", mine ? "accepts" : err,
                 ref ? "accepts" : je.text);
    }
    if (mine) {
        assert_true(jp_equal(mine, ref));
        (*accepted)++;
    } else {
        assert_non_null(strstr(err, " at line "));
    }
    json_decref(mine);
    json_decref(ref);
}

static void test_parser_vs_jansson(void **state) {
    (void)state;
    int accepted = 0;
    buf_t b;
    buf_init(&b);
    for (int i = 0; i < 20000; i++) {
        buf_clear(&b);
        s_gen(&b, 0);
        s_compare_parsers(b.data, b.len, &accepted);
        /* damage: cut, flip a byte, insert one */
        size_t at = s_rand((unsigned)b.len + 1);
        s_compare_parsers(b.data, at, &accepted);
        if (b.len) {
            static const char bytes[] = "{}[],:\"\\u0x- .eE+\x80\xff\x01";
            char save = b.data[at % b.len];
            b.data[at % b.len] = bytes[s_rand(sizeof bytes - 1)];
            s_compare_parsers(b.data, b.len, &accepted);
            b.data[at % b.len] = save;
        }
    }
    buf_free(&b);
    assert_true(accepted > 20000);
    /* serialising what we parsed and parsing it again gives the same tree */
    json_t *v = s_parse("{\"a\":[1,2.5,-0.0,\"\\u0001\\ud83d\\ude00\"],\"b\":{\"c\":null}}");
    buf_init(&b);
    json_type_serialize(&b, v, NULL);
    json_t *w = s_parse_n(b.data, b.len);
    assert_true(jp_equal(v, w));
    json_decref(v);
    json_decref(w);
    buf_free(&b);
}

/* Every double prints in a form that reads back exactly, with as few digits as the
 * brute-force search finds. */
static void test_double_forms(void **state) {
    (void)state;
    for (int i = 0; i < 200000; i++) {
        double d;
        if (i % 2) {
            uint64_t bits =
                ((uint64_t)s_rand(1u << 31) << 33) ^ ((uint64_t)s_rand(1u << 31) << 2) ^ s_rand(4);
            memcpy(&d, &bits, sizeof d);
            if (!isfinite(d) || d == 0) continue;
        } else { /* short decimals, the common case in documents */
            d = (double)((int)s_rand(2000000) - 1000000) / pow(10, s_rand(12));
            if (d == 0) continue;
        }
        buf_t b;
        buf_init(&b);
        json_type_format_double(&b, d);
        buf_append(&b, "", 1);
        if (strtod(b.data, NULL) != d) fail_msg("%.17g printed as %s", d, b.data);
        int digits = 0, seen = 0, trailing = 0;
        for (const char *q = b.data; *q && *q != 'e'; q++) {
            if (*q < '0' || *q > '9') continue;
            if (*q == '0' && !seen) continue;
            seen = 1;
            digits++;
            trailing = *q == '0' ? trailing + 1 : 0;
        }
        digits -= trailing;
        int best = 1;
        char tmp[40];
        for (; best <= 17; best++) {
            snprintf(tmp, sizeof tmp, "%.*e", best - 1, d);
            if (strtod(tmp, NULL) == d) break;
        }
        if (digits != best)
            fail_msg("%.17g printed as %s: %d digits, %d needed", d, b.data, digits, best);
        buf_free(&b);
    }
}

/* ===================== through the engine ===================== */

typedef struct {
    engine_t *e;
    client_t *c;
} s_eng_t;

static s_eng_t s_eng_new(void) {
    s_eng_t x;
    x.e = engine_new_for_test();
    x.c = client_new(x.e, x.e->frontends, 1);
    return x;
}

static void s_eng_free(s_eng_t *x) { engine_free_for_test(x->e); /* frees its clients */ }

/* Runs a command given as words separated by '|' (JSON text has spaces). */
static void s_exec(s_eng_t *x, const char *line) {
    char *copy = strdup(line);
    proto_arg_t argv[16];
    int argc = 0;
    for (char *save = NULL, *w = strtok_r(copy, "|", &save); w; w = strtok_r(NULL, "|", &save)) {
        assert_true(argc < 16);
        argv[argc].ptr = w;
        argv[argc++].len = strlen(w);
    }
    x->c->fe->out.len = 0;
    x->c->fe->out_client = NULL;
    x->c->fe->out_count = 0;
    x->e->now_ms = now_ms();
    engine_execute(x->e, x->c, argc, argv);
    free(copy);
}

static char *s_doc_text(s_eng_t *x, const char *key) {
    vobj_t *o = db_peek(x->c->db, key, strlen(key));
    if (!o) return NULL;
    assert_int_equal(o->type, OBJ_JSON);
    buf_t b;
    buf_init(&b);
    json_type_serialize(&b, o->v.p, NULL);
    buf_append(&b, "", 1);
    return b.data;
}

static void test_effects_replay(void **state) {
    (void)state;
    /* both engines first: creating one re-seeds the process-wide dict hash */
    s_eng_t a = s_eng_new(), b = s_eng_new();
    static const char *cmds[] = {
        "JSON.SET|doc|$|{\"a\":1,\"b\":[1,2,3],\"c\":{\"d\":\"x\",\"e\":true},\"f\":1.5}",
        "JSON.SET|doc|$.g|{\"h\":[7]}",
        "JSON.SET|doc|$..d|\"y\"",
        "JSON.NUMINCRBY|doc|$.a|41",
        "JSON.NUMMULTBY|doc|$.f|3",
        "JSON.NUMINCRBY|doc|.f|0.1",
        "JSON.STRAPPEND|doc|$.c.d|\"zz\"",
        "JSON.ARRAPPEND|doc|$.b|4|{\"k\":5}",
        "JSON.ARRINSERT|doc|.b|1|\"ins\"",
        "JSON.ARRPOP|doc|$.b|0",
        "JSON.ARRTRIM|doc|$.b|0|2",
        "JSON.TOGGLE|doc|$.c.e",
        "JSON.MERGE|doc|$|{\"c\":{\"e\":null,\"m\":[1]},\"a\":{\"x\":0}}",
        "JSON.CLEAR|doc|$.g.h",
        "JSON.DEL|doc|$..m",
        "JSON.ARRINSERT|doc|$.b|99|1", /* fails: nothing recorded */
        "JSON.SET|other|$|[1,2,3]",
        "JSON.DEL|other|$[?(@>1)]",
        "JSON.SET|gone|$|{}",
        "JSON.FORGET|gone",
    };
    for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++)
        s_exec(&a, cmds[i]);

    uint64_t first = effects_oldest_seq(a.e), last = effects_last_seq(a.e);
    assert_true(last >= first);
    /* 19 of the 20 commands wrote (the failed ARRINSERT did not) */
    assert_int_equal(last - first + 1, 19);
    for (uint64_t s = first; s <= last; s++) {
        const char *p;
        size_t len;
        assert_int_equal(effects_get(a.e, s, &p, &len), 0);
        char err[256];
        if (engine_apply_unit(b.e, p, len, err, sizeof err) != 0)
            fail_msg("unit %llu: %s", (unsigned long long)s, err);
    }
    static const char *keys[] = {"doc", "other", "gone"};
    for (size_t i = 0; i < 3; i++) {
        char *x = s_doc_text(&a, keys[i]), *y = s_doc_text(&b, keys[i]);
        if ((x == NULL) != (y == NULL) || (x && strcmp(x, y) != 0))
            fail_msg("%s: %s vs %s", keys[i], x ? x : "(none)", y ? y : "(none)");
        free(x);
        free(y);
    }
    char *d = s_doc_text(&a, "doc");
    assert_string_equal(
        d,
        "{\"a\":{\"x\":0},\"b\":[\"ins\",2,3],\"c\":{\"d\":\"yzz\"},\"f\":4.6,\"g\":{\"h\":[]}}");
    free(d);
    s_eng_free(&a);
    s_eng_free(&b);
}

/* Snapshot round trip through the file format (engine/snapshot.c). */
static void test_snapshot_roundtrip(void **state) {
    (void)state;
    s_eng_t a = s_eng_new(), b = s_eng_new();
    s_exec(&a, "JSON.SET|j1|$|{\"a\":[1,2.5,\"x\\u0000y\",{\"b\":null}],\"t\":true,"
               "\"big\":-9223372036854775808,\"f\":1e-300,\"u\":\"\\u00e9\"}");
    s_exec(&a, "JSON.SET|j2|$|\"just a string\"");
    s_exec(&a, "JSON.SET|j3|$|[]");
    s_exec(&a, "PEXPIRE|j2|100000");
    char path[] = "/tmp/vole-json-snap-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    if (snapshot_save_file(a.e, path, 7, err, sizeof err) != 0) fail_msg("save: %s", err);
    uint64_t seq = 0;
    if (snapshot_load_file(b.e, path, &seq, NULL, NULL, err, sizeof err) != 0)
        fail_msg("load: %s", err);
    unlink(path);
    assert_int_equal(seq, 7);
    static const char *keys[] = {"j1", "j2", "j3"};
    for (size_t i = 0; i < 3; i++) {
        char *x = s_doc_text(&a, keys[i]), *y = s_doc_text(&b, keys[i]);
        assert_non_null(x);
        assert_non_null(y);
        assert_string_equal(x, y);
        free(x);
        free(y);
    }
    assert_true(db_get_expire(b.c->db, "j2", 2) > 0);
    s_eng_free(&a);
    s_eng_free(&b);
}

/* COPY and the type's dup/free/mem, DEBUG-free: a copy is deep. */
static void test_copy_is_deep(void **state) {
    (void)state;
    s_eng_t a = s_eng_new();
    s_exec(&a, "JSON.SET|src|$|{\"a\":[1]}");
    s_exec(&a, "COPY|src|dst");
    s_exec(&a, "JSON.ARRAPPEND|src|$.a|2");
    char *s = s_doc_text(&a, "src"), *d = s_doc_text(&a, "dst");
    assert_string_equal(s, "{\"a\":[1,2]}");
    assert_string_equal(d, "{\"a\":[1]}");
    free(s);
    free(d);
    vobj_t *o = db_peek(a.c->db, "src", 3);
    assert_string_equal(obj_types[OBJ_JSON]->name, "ReJSON-RL");
    assert_true(obj_types[OBJ_JSON]->mem(o) > sizeof *o);
    s_eng_free(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_jsonpath_select), cmocka_unit_test(test_jsonpath_compile),
        cmocka_unit_test(test_jp_equal),        cmocka_unit_test(test_serialize),
        cmocka_unit_test(test_parse_limits),    cmocka_unit_test(test_parser_vs_jansson),
        cmocka_unit_test(test_double_forms),    cmocka_unit_test(test_effects_replay),
        cmocka_unit_test(test_copy_is_deep),    cmocka_unit_test(test_snapshot_roundtrip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
