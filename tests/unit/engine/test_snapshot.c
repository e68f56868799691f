/* Unit tests for engine/snapshot.c and the types' save/load: a round trip of every type in
 * every encoding built through the commands (values, TTLs, encodings, stream internals,
 * databases, namespaces, sections), then damage of every kind — truncation at every length,
 * flipped bytes, wrong magic and version, unknown type, duplicate key, bad lengths and
 * counts, a bad checksum, random mutations of both the file and its uncompressed stream:
 * each load fails with a message naming the offset and leaves the engine empty, or (when a
 * mutation left the data intact) loads exactly the same data. */
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
#include <sys/wait.h>
#include <unistd.h>
#include <xxhash.h>
#include <zstd.h>

#include "engine/engine.h"
#include "engine/snapshot.h"
#include "engine/types/t_hash.h"
#include "engine/types/t_set.h"
#include "shared/util.h"

/* ---------- a test section ---------- */

static uint64_t s_sec_a, s_sec_b;
static char s_sec_text[32];
static int s_sec_loaded, s_sec_cleared, s_sec_overread;

static void s_sec_save(engine_t *e, snap_writer_t *w) {
    snap_put_u64(w, s_sec_a);
    snap_put_i64(w, -(int64_t)s_sec_b);
    snap_put_bytes(w, s_sec_text, strlen(s_sec_text));
}

static int s_sec_load(engine_t *e, snap_reader_t *r) {
    uint64_t a;
    int64_t b;
    const char *p;
    size_t len;
    if (snap_get_u64(r, &a) < 0 || snap_get_i64(r, &b) < 0 || snap_get_bytes(r, &p, &len) < 0)
        return -1;
    if (len >= sizeof s_sec_text) return snap_fail(r, "test text too long");
    if (s_sec_overread) {
        uint8_t x;
        if (snap_get_u8(r, &x) < 0) return -1; /* reads past its payload: must fail */
    }
    s_sec_a = a;
    s_sec_b = (uint64_t)-b;
    memcpy(s_sec_text, p, len);
    s_sec_text[len] = '\0';
    s_sec_loaded++;
    return 0;
}

static void s_sec_clear(engine_t *e) { s_sec_cleared++; }

static const snap_section_t s_test_section = {"test-section", s_sec_save, s_sec_load, s_sec_clear};

__attribute__((constructor)) static void s_reg_section(void) {
    snapshot_register_section(&s_test_section);
}

/* ---------- engines and commands ---------- */

typedef struct {
    engine_t *e;
    client_t *c;
    size_t hdr;
} s_eng_t;

/* Both engines exist before any data: creating an engine reseeds the dict hash. */
static s_eng_t s_a, s_b;
static char s_path[256];

static const char *s_runv(s_eng_t *x, size_t *len, int argc, const char **words,
                          const size_t *lens) {
    proto_arg_t argv[700];
    assert_true(argc <= 700);
    for (int i = 0; i < argc; i++) {
        argv[i].ptr = words[i];
        argv[i].len = lens ? lens[i] : strlen(words[i]);
    }
    frontend_t *fe = x->c->fe;
    fe->out.len = 0;
    fe->out_client = NULL;
    fe->out_count = 0;
    x->e->now_ms = now_ms();
    engine_execute(x->e, x->c, argc, argv);
    assert_true(fe->out.len >= x->hdr);
    *len = fe->out.len - x->hdr;
    return fe->out.data + x->hdr;
}

static const char *s_run(s_eng_t *x, size_t *len, const char *first, ...) {
    const char *words[64];
    int argc = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *w = first; w; w = va_arg(ap, const char *)) {
        assert_true(argc < 64);
        words[argc++] = w;
    }
    va_end(ap);
    return s_runv(x, len, argc, words, NULL);
}

/* Runs a command on the first engine; fails the test on an error reply. */
#define A(...)                                                                                     \
    do {                                                                                           \
        size_t n_;                                                                                 \
        const char *r_ = s_run(&s_a, &n_, __VA_ARGS__, (const char *)NULL);                        \
        if (n_ && r_[0] == '-') fail_msg("error reply: %.*s", (int)n_, r_);                        \
    } while (0)

static void s_eng_init(s_eng_t *x) {
    x->c = client_new(x->e, x->e->frontends, 1);
    x->hdr = 0;
    size_t n;
    s_run(x, &n, "GET", "__probe__", (const char *)NULL);
    x->hdr = n - 5;
}

static void s_eng_free(s_eng_t *x) {
    client_free(x->e, x->c);
    engine_free_for_test(x->e);
}

static int s_setup(void **state) {
    s_a.e = engine_new_for_test();
    s_b.e = engine_new_for_test();
    s_eng_init(&s_a);
    s_eng_init(&s_b);
    snprintf(s_path, sizeof s_path, "/tmp/vole-test-snapshot-%d.snap", (int)getpid());
    return 0;
}

static int s_teardown(void **state) {
    s_eng_free(&s_a);
    s_eng_free(&s_b);
    unlink(s_path);
    return 0;
}

static void s_flush_engine(engine_t *e) {
    for (int i = 0; i < e->ndbs; i++) {
        dict_clear(e->dbs[i].expires);
        dict_clear(e->dbs[i].keys);
    }
}

static int s_reset(void **state) {
    s_flush_engine(s_a.e);
    s_flush_engine(s_b.e);
    s_a.c->db = &s_a.e->dbs[0];
    s_b.c->db = &s_b.e->dbs[0];
    s_sec_a = s_sec_b = 0;
    s_sec_text[0] = '\0';
    s_sec_overread = 0;
    return 0;
}

static uint64_t s_nkeys(const engine_t *e) {
    uint64_t n = 0;
    for (int i = 0; i < e->ndbs; i++)
        n += dict_size(e->dbs[i].keys);
    return n;
}

/* ---------- deep comparison ---------- */

/* The reply of a command on a key, run on an engine whose client is in the key's db. */
static char *s_key_reply(s_eng_t *x, db_t *db, const char *cmd, const vstr_t *key,
                         const char *extra1, const char *extra2, size_t *len) {
    const char *words[5] = {cmd, key->ptr, extra1, extra2, NULL};
    size_t lens[5] = {strlen(cmd), key->len, extra1 ? strlen(extra1) : 0,
                      extra2 ? strlen(extra2) : 0, 0};
    int argc = 2 + (extra1 != NULL) + (extra2 != NULL);
    db_t *saved = x->c->db;
    x->c->db = db;
    const char *r = s_runv(x, len, argc, words, lens);
    x->c->db = saved;
    char *copy = malloc(*len + 1);
    memcpy(copy, r, *len);
    copy[*len] = '\0';
    return copy;
}

static void s_same_reply(db_t *da, db_t *db, const char *cmd, const vstr_t *key, const char *e1,
                         const char *e2) {
    size_t la, lb;
    char *ra = s_key_reply(&s_a, da, cmd, key, e1, e2, &la);
    char *rb = s_key_reply(&s_b, db, cmd, key, e1, e2, &lb);
    if (la != lb || memcmp(ra, rb, la) != 0)
        fail_msg("%s %s differs:\n%s\nvs\n%s", cmd, key->ptr, ra, rb);
    free(ra);
    free(rb);
}

/* The encoding a value should have after a load: what the current settings pick. */
static int s_expected_enc(const engine_t *e, const vobj_t *o) {
    if (o->type == OBJ_STRING && o->enc == ENC_RAW && o->v.s->len <= 44) {
        long long v;
        return o->v.s->len <= 20 && str_to_ll(o->v.s->ptr, o->v.s->len, &v) ? ENC_INT : ENC_EMBSTR;
    }
    if (o->type == OBJ_SET && o->enc == ENC_HT &&
        set_type_size(o) <= (uint64_t)e->cfg.set_max_intset_entries) {
        set_iter_t it;
        set_member_t m;
        int all_int = 1;
        set_iter_init(&it, o);
        while (set_iter_next(&it, &m)) {
            int64_t v;
            char buf[24];
            size_t len;
            const char *p = set_member_str(&m, buf, &len);
            if (!set_member_is_int(p, len, &v)) all_int = 0;
        }
        set_iter_done(&it);
        return all_int ? ENC_INTSET : ENC_HT;
    }
    return o->enc;
}

static void s_same_value(db_t *da, db_t *db, const vstr_t *key, const vobj_t *a, const vobj_t *b) {
    assert_int_equal(a->type, b->type);
    if (s_expected_enc(s_a.e, a) != b->enc)
        fail_msg("key %s: encoding %s, expected from %s", key->ptr, obj_encoding_name(b),
                 obj_encoding_name(a));
    switch (a->type) {
    case OBJ_STRING: s_same_reply(da, db, "GET", key, NULL, NULL); break;
    case OBJ_LIST: s_same_reply(da, db, "LRANGE", key, "0", "-1"); break;
    case OBJ_ZSET: s_same_reply(da, db, "ZRANGE", key, "0", "-1"); break;
    case OBJ_STREAM: s_same_reply(da, db, "XINFO", key, "FULL", NULL); break;
    case OBJ_SET: {
        assert_int_equal(set_type_size(a), set_type_size(b));
        set_iter_t it;
        set_member_t m;
        set_iter_init(&it, a);
        while (set_iter_next(&it, &m)) {
            char buf[24];
            size_t len;
            const char *p = set_member_str(&m, buf, &len);
            assert_true(set_type_is_member(b, p, len));
        }
        set_iter_done(&it);
        break;
    }
    case OBJ_HASH: {
        assert_int_equal(hash_type_length(a), hash_type_length(b));
        hash_iter_t it;
        hash_field_t hf;
        hash_iter_init(&it, a);
        while (hash_iter_next(&it, &hf)) {
            const char *v;
            size_t vlen;
            assert_true(hash_type_get(b, hf.f, hf.flen, &v, &vlen));
            assert_int_equal(vlen, hf.vlen);
            assert_memory_equal(v, hf.v, vlen);
        }
        hash_iter_done(&it);
        if (a->enc == ENC_LISTPACK) s_same_reply(da, db, "HGETALL", key, NULL, NULL);
        break;
    }
    default: fail_msg("untested type %d", a->type);
    }
    if (a->type == OBJ_ZSET) {
        /* scores exactly, through the WITHSCORES text */
        s_same_reply(da, db, "ZRANGE", key, "0", "-1");
        size_t la, lb;
        const char *w[5] = {"ZRANGE", key->ptr, "0", "-1", "WITHSCORES"};
        size_t l[5] = {6, key->len, 1, 2, 10};
        db_t *sa = s_a.c->db, *sb = s_b.c->db;
        s_a.c->db = da;
        s_b.c->db = db;
        const char *ra = s_runv(&s_a, &la, 5, w, l);
        char *copy = malloc(la);
        memcpy(copy, ra, la);
        const char *rb = s_runv(&s_b, &lb, 5, w, l);
        assert_int_equal(la, lb);
        assert_memory_equal(copy, rb, la);
        free(copy);
        s_a.c->db = sa;
        s_b.c->db = sb;
    }
}

/* Every key of a in b with the same type, encoding (as loading picks it), value and TTL,
 * and nothing more in b. */
static void s_assert_same(void) {
    assert_int_equal(s_nkeys(s_a.e), s_nkeys(s_b.e));
    assert_int_equal(s_a.e->ndbs, s_b.e->ndbs);
    for (int i = 0; i < s_a.e->ndbs; i++) {
        db_t *da = &s_a.e->dbs[i], *db = &s_b.e->dbs[i];
        if (da->name || db->name) assert_string_equal(da->name, db->name);
        assert_int_equal(dict_size(da->keys), dict_size(db->keys));
        assert_int_equal(dict_size(da->expires), dict_size(db->expires));
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, da->keys);
        while ((de = dict_iter_next(&it)) != NULL) {
            const vstr_t *k = de->key;
            vobj_t *b = db_peek(db, k->ptr, k->len);
            if (!b) fail_msg("key %s missing after the load", k->ptr);
            assert_int_equal(db_get_expire(da, k->ptr, k->len), db_get_expire(db, k->ptr, k->len));
            s_same_value(da, db, k, de->v.val, b);
        }
        dict_iter_done(&it);
    }
}

static void s_save(void) {
    char err[512];
    if (snapshot_save_file(s_a.e, s_path, 77, err, sizeof err) < 0) fail_msg("%s", err);
}

static uint64_t s_progress_keys;
static int s_progress_calls;
static void s_progress(void *ctx, uint64_t keys, uint64_t bytes) {
    s_progress_keys = keys;
    s_progress_calls++;
}

static void s_load_ok(void) {
    char err[512];
    uint64_t seq = 0;
    s_progress_calls = 0;
    if (snapshot_load_file(s_b.e, s_path, &seq, s_progress, NULL, err, sizeof err) < 0)
        fail_msg("%s", err);
    assert_int_equal(seq, 77);
    assert_true(s_progress_calls >= 1);
    assert_int_equal(s_progress_keys, s_nkeys(s_b.e));
}

/* ---------- data: every type in every encoding ---------- */

static void s_fill_all(void) {
    char k[64], v[256], m[64];
    /* strings: int, embstr, raw, raw made by APPEND (loads as embstr), binary, empty */
    A("SET", "str:int", "-9223372036854775808");
    A("SET", "str:int2", "42");
    A("SET", "str:embstr", "hello world");
    memset(v, 'r', 200);
    v[200] = '\0';
    A("SET", "str:raw", v);
    A("SET", "str:appended", "ab");
    A("APPEND", "str:appended", "cd");
    A("SET", "str:empty", "");
    {
        const char *w[3] = {"SET", "str:bin\0key", "a\0b\r\n\xff"};
        size_t l[3] = {3, 11, 6}, n;
        s_runv(&s_a, &n, 3, w, l);
    }
    A("SETRANGE", "str:setrange", "3", "xyz");
    /* TTLs */
    A("SET", "ttl:one", "v", "PX", "100000000");
    A("PEXPIREAT", "str:int2", "4102444800000");
    /* lists: short elements (inline), long ones, a big list */
    A("RPUSH", "list:small", "a", "bb", "", "1234567", "12345678", "a longer element here");
    for (int i = 0; i < 1000; i++) {
        snprintf(v, sizeof v, "element-%d-%s", i, i % 3 ? "x" : "a longer tail to keep");
        A("LPUSH", "list:big", v);
    }
    /* sets: intset (with extremes), hashtable of strings, of integers past the limit */
    A("SADD", "set:intset", "1", "-5", "9223372036854775807", "-9223372036854775808", "0", "65536",
      "-70000");
    A("SADD", "set:ht", "a", "b", "c", "17");
    for (int i = 0; i < 600; i++) {
        snprintf(m, sizeof m, "%d", i * 7 - 2000);
        A("SADD", "set:bigints", m);
    }
    A("SADD", "set:shrunk", "x", "1", "2");
    A("SREM", "set:shrunk", "x"); /* hashtable of integers: loads as an intset */
    /* sorted sets: listpack, skiplist by count, skiplist by member length, special scores */
    A("ZADD", "zset:lp", "1", "a", "1", "b", "-2.5", "c", "inf", "d", "-inf", "e", "0", "f",
      "3.14159265358979", "g");
    for (int i = 0; i < 300; i++) {
        snprintf(m, sizeof m, "member-%d", i);
        snprintf(v, sizeof v, "%.17g", (double)(i % 17) / 3.0);
        A("ZADD", "zset:sk", v, m);
    }
    memset(v, 'm', 100);
    v[100] = '\0';
    A("ZADD", "zset:long", "1", "x", "2", v);
    /* hashes: listpack, hashtable by count, by value length */
    A("HSET", "hash:lp", "f1", "v1", "f2", "", "", "empty field", "n", "12");
    for (int i = 0; i < 600; i++) {
        snprintf(k, sizeof k, "field-%d", i);
        snprintf(v, sizeof v, "value-%d", i * i);
        A("HSET", "hash:ht", k, v);
    }
    memset(v, 'h', 100);
    v[100] = '\0';
    A("HSET", "hash:longval", "a", "1", "b", v);
    /* HyperLogLog and geo are strings and sorted sets */
    A("PFADD", "hll", "a", "b", "c", "d");
    A("GEOADD", "geo", "13.361389", "38.115556", "Palermo", "15.087269", "37.502669", "Catania");
    /* streams: several nodes, deletions, trimming, groups, PELs, consumers */
    for (int i = 1; i <= 250; i++) {
        snprintf(k, sizeof k, "%d-%d", 1000 + i / 3, i % 3);
        snprintf(v, sizeof v, "%d", i);
        if (i % 50 == 0)
            A("XADD", "stream", k, "other", v, "fields", "here");
        else
            A("XADD", "stream", k, "n", v, "text", "some text");
    }
    A("XDEL", "stream", "1010-0", "1010-1", "1050-2");
    A("XTRIM", "stream", "MAXLEN", "240");
    A("XGROUP", "CREATE", "stream", "g1", "0");
    A("XGROUP", "CREATE", "stream", "g2", "$");
    A("XGROUP", "CREATE", "stream", "g0", "1020-0", "ENTRIESREAD", "50");
    A("XREADGROUP", "GROUP", "g1", "alice", "COUNT", "10", "STREAMS", "stream", ">");
    A("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", "stream", ">");
    A("XREADGROUP", "GROUP", "g1", "bob", "COUNT", "5", "STREAMS", "stream", "0");
    A("XACK", "stream", "g1", "1003-2");
    A("XCLAIM", "stream", "g1", "carol", "0", "1004-0", "1004-1");
    A("XGROUP", "CREATECONSUMER", "stream", "g2", "dave");
    A("XADD", "stream:empty", "5-5", "f", "v");
    A("XDEL", "stream:empty", "5-5");
    A("XGROUP", "CREATE", "stream:mk", "g", "$", "MKSTREAM");
    A("XADD", "stream:setid", "1-1", "a", "b");
    A("XSETID", "stream:setid", "99-0", "ENTRIESADDED", "10", "MAXDELETEDID", "50-0");
    /* another database */
    A("SELECT", "5");
    A("SET", "db5:key", "value");
    A("HSET", "db5:hash", "a", "b");
    A("PEXPIRE", "db5:hash", "500000");
    A("SELECT", "0");
}

static void test_round_trip_all_types(void **state) {
    s_fill_all();
    s_sec_a = 123456789;
    s_sec_b = 42;
    strcpy(s_sec_text, "section text");
    s_save();
    /* the section's state comes back from the file */
    s_sec_a = s_sec_b = 0;
    s_sec_text[0] = '\0';
    int loaded = s_sec_loaded;
    s_load_ok();
    assert_int_equal(s_sec_loaded, loaded + 1);
    assert_int_equal(s_sec_a, 123456789);
    assert_int_equal(s_sec_b, 42);
    assert_string_equal(s_sec_text, "section text");
    s_assert_same();
    /* the encodings that must be there */
    struct {
        const char *key;
        const char *enc;
    } want[] = {
        {"str:int", "int"},         {"str:embstr", "embstr"},     {"str:raw", "raw"},
        {"str:appended", "embstr"}, {"list:big", "quicklist"},    {"set:intset", "intset"},
        {"set:ht", "hashtable"},    {"set:bigints", "hashtable"}, {"set:shrunk", "intset"},
        {"zset:lp", "listpack"},    {"zset:sk", "skiplist"},      {"zset:long", "skiplist"},
        {"hash:lp", "listpack"},    {"hash:ht", "hashtable"},     {"hash:longval", "hashtable"},
        {"stream", "stream"}};
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        vobj_t *o = db_peek(&s_b.e->dbs[0], want[i].key, strlen(want[i].key));
        if (!o || strcmp(obj_encoding_name(o), want[i].enc) != 0)
            fail_msg("%s: %s, expected %s", want[i].key, o ? obj_encoding_name(o) : "missing",
                     want[i].enc);
    }
    /* the loaded engine works: a write to a loaded stream and list */
    size_t n;
    const char *r = s_run(&s_b, &n, "XADD", "stream", "*", "a", "b", (const char *)NULL);
    assert_int_equal(r[0], '$');
    r = s_run(&s_b, &n, "XLEN", "stream", (const char *)NULL);
    assert_memory_equal(r, ":241\r\n", 6);
    /* saving the loaded engine gives a file that loads to the same again */
    char err[512];
    char path2[300];
    snprintf(path2, sizeof path2, "%s.2", s_path);
    assert_int_equal(snapshot_save_file(s_b.e, path2, 5, err, sizeof err), 0);
    unlink(path2);
}

/* Every value read while the reader's window moves under it: a type that keeps a pointer from
 * one snap_get_bytes across another read would load wrong data here. */
static void test_round_trip_moving_window(void **state) {
    s_fill_all();
    s_save();
    size_t chunks[] = {1, 2, 3, 7, 17, 100, 4096};
    for (size_t i = 0; i < sizeof chunks / sizeof chunks[0]; i++) {
        snapshot_debug_fill_chunk(chunks[i]);
        s_load_ok();
        snapshot_debug_fill_chunk(0);
        s_assert_same();
        s_flush_engine(s_b.e);
    }
}

static void test_loading_follows_settings(void **state) {
    /* a hash saved as a listpack loads as a hashtable once the threshold is lower, and a
     * set saved as an intset loads as a hashtable past set-max-intset-entries */
    A("HSET", "h", "a", "1", "b", "2", "c", "3");
    A("SADD", "s", "1", "2", "3");
    A("ZADD", "z", "1", "a", "2", "b", "3", "c");
    s_save();
    s_b.e->cfg.hash_max_listpack_entries = 2;
    s_b.e->cfg.set_max_intset_entries = 2;
    s_b.e->cfg.zset_max_listpack_entries = 2;
    char err[512];
    assert_int_equal(snapshot_load_file(s_b.e, s_path, NULL, NULL, NULL, err, sizeof err), 0);
    assert_string_equal(obj_encoding_name(db_peek(&s_b.e->dbs[0], "h", 1)), "hashtable");
    assert_string_equal(obj_encoding_name(db_peek(&s_b.e->dbs[0], "s", 1)), "hashtable");
    assert_string_equal(obj_encoding_name(db_peek(&s_b.e->dbs[0], "z", 1)), "skiplist");
    size_t n;
    const char *r = s_run(&s_b, &n, "HGET", "h", "c", (const char *)NULL);
    assert_memory_equal(r, "$1\r\n3\r\n", 7);
    r = s_run(&s_b, &n, "SISMEMBER", "s", "3", (const char *)NULL);
    assert_memory_equal(r, ":1\r\n", 4);
    s_b.e->cfg.hash_max_listpack_entries = 128;
    s_b.e->cfg.set_max_intset_entries = 512;
    s_b.e->cfg.zset_max_listpack_entries = 128;
}

static void test_namespaces(void **state) {
    /* a namespace database (appended after the numbered ones) comes back by name */
    engine_t *e = s_a.e;
    int nd = e->ndbs;
    e->dbs = realloc(e->dbs, (size_t)(nd + 1) * sizeof(db_t));
    s_a.c->db = &e->dbs[0];
    db_t *ns = &e->dbs[nd];
    memset(ns, 0, sizeof *ns);
    ns->id = nd;
    ns->name = strdup("tenant-a");
    ns->keys = dict_new(e->dbs[0].keys->type);
    ns->expires = dict_new(e->dbs[0].expires->type);
    e->ndbs++;
    db_add(e, ns, "nk", 2, obj_string("nv", 2));
    db_set_expire(e, ns, "nk", 2, 4102444800000LL);
    A("SET", "plain", "1");
    s_save();
    s_load_ok();
    assert_int_equal(s_b.e->ndbs, nd + 1);
    assert_string_equal(s_b.e->dbs[nd].name, "tenant-a");
    assert_ptr_equal(s_b.c->db, &s_b.e->dbs[0]); /* the client followed the moved array */
    s_assert_same();
    /* a damaged file removes the namespace it created again */
    s_flush_engine(s_b.e);
    dict_destroy(&s_b.e->dbs[nd].keys);
    dict_destroy(&s_b.e->dbs[nd].expires);
    free(s_b.e->dbs[nd].name);
    s_b.e->ndbs = nd;
    dict_destroy(&ns->keys);
    dict_destroy(&ns->expires);
    free(ns->name);
    e->ndbs = nd;
}

/* ---------- damage ---------- */

static unsigned char *s_read_file(const char *path, size_t *len) {
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    unsigned char *p = malloc((size_t)n + 1);
    assert_int_equal(fread(p, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return p;
}

static void s_write_file(const char *path, const void *p, size_t len) {
    FILE *f = fopen(path, "wb");
    assert_non_null(f);
    assert_int_equal(fwrite(p, 1, len, f), len);
    fclose(f);
}

/* Loads path into b: either it fails with a located message and b stays empty, or (ok_same)
 * it succeeds and b holds the same as a. Returns 1 when it failed. */
static int s_load_bad(const char *path, int ok_same, const char *want_in_msg) {
    char err[1024] = "";
    int cleared = s_sec_cleared;
    int rc = snapshot_load_file(s_b.e, path, NULL, NULL, NULL, err, sizeof err);
    if (rc == 0) {
        if (!ok_same) fail_msg("a damaged file loaded");
        s_assert_same();
        s_flush_engine(s_b.e);
        return 0;
    }
    assert_int_equal(s_nkeys(s_b.e), 0);
    assert_int_equal(s_b.e->ndbs, s_b.e->cfg.databases);
    assert_true(s_sec_cleared == cleared + 1 || strstr(err, "cannot open"));
    if (!strstr(err, "byte")) fail_msg("no offset in: %s", err);
    if (want_in_msg && !strstr(err, want_in_msg))
        fail_msg("expected '%s' in: %s", want_in_msg, err);
    return 1;
}

static void s_fill_some(void) {
    char v[64];
    A("SET", "a", "1");
    A("SET", "b", "two");
    A("RPUSH", "l", "x", "y", "z");
    A("SADD", "s", "1", "2", "x");
    A("ZADD", "z", "1", "m", "2", "n");
    A("HSET", "h", "f", "v", "g", "w");
    A("XADD", "x", "1-1", "f", "v");
    A("XGROUP", "CREATE", "x", "g", "0");
    A("XREADGROUP", "GROUP", "g", "c", "STREAMS", "x", ">");
    A("SET", "t", "ttl", "PX", "100000000");
    for (int i = 0; i < 40; i++) {
        snprintf(v, sizeof v, "k%d", i);
        A("SET", v, v);
    }
}

/* Saves s_fill_some()'s data; returns the file's bytes and names a path for damaged copies. */
static unsigned char *s_saved_some(char *bad, size_t cap, size_t *len) {
    s_fill_some();
    s_save();
    snprintf(bad, cap, "%s.bad", s_path);
    return s_read_file(s_path, len);
}

static void test_truncated_everywhere(void **state) {
    char bad[300];
    size_t len;
    unsigned char *p = s_saved_some(bad, sizeof bad, &len);
    for (size_t n = 0; n < len; n++) {
        s_write_file(bad, p, n);
        s_load_bad(bad, 0, n < 12 ? NULL : "truncated");
    }
    /* a byte too many after the frame */
    unsigned char *q = malloc(len + 1);
    memcpy(q, p, len);
    q[len] = 0;
    s_write_file(bad, q, len + 1);
    s_load_bad(bad, 0, "trailing");
    free(q);
    unlink(bad);
    free(p);
}

static void test_flipped_bytes(void **state) {
    char bad[300];
    size_t len;
    unsigned char *p = s_saved_some(bad, sizeof bad, &len);
    int failed = 0;
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            p[i] ^= (unsigned char)(1 << bit);
            s_write_file(bad, p, len);
            failed += s_load_bad(bad, 1, NULL);
            p[i] ^= (unsigned char)(1 << bit);
        }
    }
    /* nearly every flip is caught; the rest changed nothing the data depends on */
    assert_true(failed > (int)len * 2);
    unlink(bad);
    free(p);
}

static void test_magic_and_version(void **state) {
    A("SET", "a", "1");
    s_save();
    size_t len;
    unsigned char *p = s_read_file(s_path, &len);
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", s_path);
    p[0] = 'X';
    s_write_file(bad, p, len);
    s_load_bad(bad, 0, "bad magic");
    p[0] = 'V';
    p[8] = 2; /* version 2 */
    s_write_file(bad, p, len);
    s_load_bad(bad, 0, "unsupported format version 2");
    p[8] = 1;
    s_write_file(bad, "REDIS0009", 9);
    s_load_bad(bad, 0, "bad magic");
    s_write_file(bad, "", 0);
    s_load_bad(bad, 0, "bad magic");
    unlink(bad);
    free(p);
    char err[512];
    assert_int_equal(
        snapshot_load_file(s_b.e, "/nonexistent/x.snap", NULL, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot open"));
    /* loading into an engine holding keys is refused */
    size_t n;
    s_run(&s_b, &n, "SET", "x", "y", (const char *)NULL);
    assert_int_equal(snapshot_load_file(s_b.e, s_path, NULL, NULL, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "holds keys"));
}

/* ---------- surgery on the uncompressed stream ---------- */

static unsigned char *s_raw(const unsigned char *file, size_t flen, size_t *rlen) {
    ZSTD_DStream *d = ZSTD_createDStream();
    ZSTD_initDStream(d);
    size_t cap = 1 << 16, len = 0;
    unsigned char *out = malloc(cap);
    ZSTD_inBuffer in = {file + 12, flen - 12, 0};
    for (;;) {
        if (cap - len < 65536) out = realloc(out, cap *= 2);
        ZSTD_outBuffer o = {out, cap, len};
        size_t r = ZSTD_decompressStream(d, &o, &in);
        assert_false(ZSTD_isError(r));
        len = o.pos;
        if (r == 0) break;
    }
    ZSTD_freeDStream(d);
    *rlen = len;
    return out;
}

/* Writes prefix + compress(raw), with the checksum recomputed when fix. */
static void s_write_raw(const char *path, const unsigned char *prefix, unsigned char *raw,
                        size_t rlen, int fix) {
    if (fix && rlen >= 8) {
        XXH3_state_t *x = XXH3_createState();
        XXH3_64bits_reset(x);
        XXH3_64bits_update(x, prefix, 12);
        XXH3_64bits_update(x, raw, rlen - 8);
        uint64_t sum = XXH3_64bits_digest(x);
        XXH3_freeState(x);
        for (int i = 0; i < 8; i++)
            raw[rlen - 8 + i] = (unsigned char)(sum >> (8 * i));
    }
    size_t cap = ZSTD_compressBound(rlen) + 12;
    unsigned char *out = malloc(cap);
    memcpy(out, prefix, 12);
    size_t z = ZSTD_compress(out + 12, cap - 12, raw, rlen, 1);
    assert_false(ZSTD_isError(z));
    s_write_file(path, out, z + 12);
    free(out);
}

static unsigned char *s_find(unsigned char *hay, size_t n, const char *needle, size_t nl) {
    for (size_t i = 0; i + nl <= n; i++)
        if (memcmp(hay + i, needle, nl) == 0) return hay + i;
    return NULL;
}

/* Changes the byte at offset `at` from the first `needle` in a copy of raw, fixes the
 * checksum and expects the load to fail naming `want`. */
static void s_surgery(const char *bad, const unsigned char *file, const unsigned char *raw,
                      size_t rlen, unsigned char *work, const char *needle, int at, int byte,
                      const char *want) {
    memcpy(work, raw, rlen);
    unsigned char *p = s_find(work, rlen, needle, strlen(needle));
    assert_non_null(p);
    p[at] = (unsigned char)byte;
    s_write_raw(bad, file, work, rlen, 1);
    s_load_bad(bad, 0, want);
}

static void test_stream_surgery(void **state) {
    A("SET", "key1", "vvvv");
    A("SET", "key2", "bbbb");
    A("HSET", "hh", "fx1", "v1", "fx2", "v2");
    s_sec_a = 5;
    strcpy(s_sec_text, "payload");
    s_save();
    size_t flen, rlen;
    unsigned char *file = s_read_file(s_path, &flen);
    unsigned char *raw = s_raw(file, flen, &rlen);
    unsigned char *work = malloc(rlen + 64);
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", s_path);

    /* the unchanged stream recompressed in one shot loads (the checksum is of the
     * uncompressed bytes) */
    memcpy(work, raw, rlen);
    s_write_raw(bad, file, work, rlen, 0);
    s_load_bad(bad, 1, NULL);

    /* a bad checksum */
    memcpy(work, raw, rlen);
    work[rlen - 1] ^= 0x40;
    s_write_raw(bad, file, work, rlen, 0);
    s_load_bad(bad, 0, "checksum mismatch");

    /* a byte of a value changed: only the checksum can tell */
    memcpy(work, raw, rlen);
    s_find(work, rlen, "vvvv", 4)[1] = 'X';
    s_write_raw(bad, file, work, rlen, 0);
    s_load_bad(bad, 0, "checksum mismatch");

    /* a duplicate key, a duplicate hash field, an unknown type (the byte before the key's
     * length), an empty collection */
    s_surgery(bad, file, raw, rlen, work, "key2", 3, '1', "duplicate key");
    s_surgery(bad, file, raw, rlen, work, "fx2", 2, '1', "duplicate hash field");
    s_surgery(bad, file, raw, rlen, work, "key1", -2, 13, "unknown type 13");
    /* the hash's field count (before the first field's length) made 0 */
    s_surgery(bad, file, raw, rlen, work, "fx1", -2, 0, "empty hash");

    /* a length far beyond the data */
    memcpy(work, raw, rlen);
    unsigned char *k = s_find(work, rlen, "vvvv", 4);
    /* replace the one-byte length 4 by a 9-byte varint (moves the rest along) */
    size_t at = (size_t)(k - 1 - work);
    unsigned char big[9] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
    memmove(work + at + 9, work + at + 1, rlen - at - 1);
    memcpy(work + at, big, 9);
    s_write_raw(bad, file, work, rlen + 8, 1);
    s_load_bad(bad, 0, "bad length");

    /* an unknown section */
    memcpy(work, raw, rlen);
    s_find(work, rlen, "test-section", 12)[0] = 'T';
    s_write_raw(bad, file, work, rlen, 1);
    s_load_bad(bad, 0, "unknown section 'Test-section'");

    /* a section that reads past its payload */
    s_sec_overread = 1;
    s_load_bad(s_path, 0, "section 'test-section'");
    s_sec_overread = 0;

    /* data after the checksum inside the frame */
    memcpy(work, raw, rlen);
    work[rlen] = 0;
    s_write_raw(bad, file, work, rlen + 1, 0);
    s_load_bad(bad, 0, NULL);

    unlink(bad);
    free(work);
    free(raw);
    free(file);
}

/* Random mutations, bounded: of the file, and of the uncompressed stream with the checksum
 * fixed so the parsers themselves see garbage. A load must fail cleanly or give the same
 * data (file mutations) / any consistent data (stream mutations). */
static uint64_t s_rnd(uint64_t *s) {
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void test_fuzz(void **state) {
    s_fill_all();
    s_save();
    size_t flen, rlen;
    unsigned char *file = s_read_file(s_path, &flen);
    unsigned char *raw = s_raw(file, flen, &rlen);
    unsigned char *work = malloc((flen > rlen ? flen : rlen) + 64);
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", s_path);
    uint64_t seed = 0x9e3779b97f4a7c15ULL;
#define RND() s_rnd(&seed)
    for (int round = 0; round < 150; round++) {
        memcpy(work, file, flen);
        int edits = 1 + (int)(RND() % 4);
        for (int j = 0; j < edits; j++)
            work[12 + RND() % (flen - 12)] = (unsigned char)RND();
        s_write_file(bad, work, flen);
        s_load_bad(bad, 1, NULL);
    }
    int loaded = 0;
    for (int round = 0; round < 1500; round++) {
        memcpy(work, raw, rlen);
        size_t len = rlen;
        int edits = 1 + (int)(RND() % 3);
        for (int j = 0; j < edits; j++) {
            size_t at = RND() % (len - 8);
            switch (RND() % 4) {
            case 0: work[at] = (unsigned char)RND(); break;
            case 1: work[at] ^= (unsigned char)(1u << (RND() % 8)); break;
            case 2: work[at] = (unsigned char)(RND() % 2 ? 0xff : 0x00); break;
            default: /* drop a byte */ memmove(work + at, work + at + 1, len - at - 1); len--;
            }
        }
        s_write_raw(bad, file, work, len, 1);
        char err[1024];
        snapshot_debug_fill_chunk(round % 3 == 0 ? 1 + RND() % 64 : 0); /* a moving window */
        int rc = snapshot_load_file(s_b.e, bad, NULL, NULL, NULL, err, sizeof err);
        snapshot_debug_fill_chunk(0);
        if (rc == 0) {
            loaded++; /* a value changed into another valid one: fine, but it must work */
            char again[300];
            snprintf(again, sizeof again, "%s.again", s_path);
            assert_int_equal(snapshot_save_file(s_b.e, again, 1, err, sizeof err), 0);
            s_flush_engine(s_b.e);
            assert_int_equal(snapshot_load_file(s_b.e, again, NULL, NULL, NULL, err, sizeof err),
                             0);
            unlink(again);
            s_flush_engine(s_b.e);
            while (s_b.e->ndbs > s_b.e->cfg.databases) { /* a namespace name mutated in */
                db_t *db = &s_b.e->dbs[--s_b.e->ndbs];
                dict_destroy(&db->keys);
                dict_destroy(&db->expires);
                free(db->name);
            }
        } else {
            assert_int_equal(s_nkeys(s_b.e), 0);
            assert_int_equal(s_b.e->ndbs, s_b.e->cfg.databases);
            assert_non_null(strstr(err, "byte"));
        }
    }
    print_message("fuzz: %d of 1500 stream mutations still made a valid file\n", loaded);
    unlink(bad);
    free(work);
    free(raw);
    free(file);
}

/* check-snapshot runs as its own process (`vole check-snapshot`): it builds a scratch engine,
 * and a new engine reseeds the dict hash under the engines of this test. */
static int s_check(const char *path, int argc) {
    pid_t pid = fork();
    assert_true(pid >= 0);
    if (pid == 0) {
        int fd = open("/dev/null", O_WRONLY);
        dup2(fd, 1);
        dup2(fd, 2);
        char *argv[3] = {"check-snapshot", (char *)path, NULL};
        _exit(snapshot_check_main(argc, argv));
    }
    int st;
    assert_int_equal(waitpid(pid, &st, 0), pid);
    assert_true(WIFEXITED(st));
    return WEXITSTATUS(st);
}

static void test_check_snapshot(void **state) {
    s_fill_some();
    s_save();
    assert_int_equal(s_check(s_path, 2), 0);
    char bad[300];
    snprintf(bad, sizeof bad, "%s.bad", s_path);
    size_t len;
    unsigned char *p = s_read_file(s_path, &len);
    s_write_file(bad, p, len / 2);
    assert_int_equal(s_check(bad, 2), 1);
    assert_int_equal(s_check(bad, 1), 1);
    unlink(bad);
    free(p);
}

static void test_write_error(void **state) {
    A("SET", "a", "1");
    char err[512];
    /* a read-only descriptor: the write fails and says so */
    int fd = open("/dev/null", O_RDONLY);
    assert_true(fd >= 0);
    assert_int_equal(snapshot_write_fd(s_a.e, fd, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "write"));
    close(fd);
    assert_int_equal(snapshot_save_file(s_a.e, "/nonexistent-dir/x.snap", 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot create"));
    /* the target is a directory: the rename fails and the temp file goes */
    char dir[300], tmp[340];
    snprintf(dir, sizeof dir, "%s.dir", s_path);
    assert_int_equal(mkdir(dir, 0700), 0);
    assert_int_equal(snapshot_save_file(s_a.e, dir, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "cannot rename"));
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", dir, (int)getpid());
    assert_int_equal(access(tmp, F_OK), -1);
    rmdir(dir);
#ifdef __linux__
    fd = open("/dev/full", O_WRONLY);
    if (fd >= 0) {
        assert_int_equal(snapshot_write_fd(s_a.e, fd, 1, err, sizeof err), -1);
        assert_non_null(strstr(err, "No space"));
        close(fd);
    }
#endif
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(test_round_trip_all_types, s_reset),
        cmocka_unit_test_setup(test_round_trip_moving_window, s_reset),
        cmocka_unit_test_setup(test_loading_follows_settings, s_reset),
        cmocka_unit_test_setup(test_namespaces, s_reset),
        cmocka_unit_test_setup(test_truncated_everywhere, s_reset),
        cmocka_unit_test_setup(test_flipped_bytes, s_reset),
        cmocka_unit_test_setup(test_magic_and_version, s_reset),
        cmocka_unit_test_setup(test_stream_surgery, s_reset),
        cmocka_unit_test_setup(test_fuzz, s_reset),
        cmocka_unit_test_setup(test_check_snapshot, s_reset),
        cmocka_unit_test_setup(test_write_error, s_reset),
    };
    return cmocka_run_group_tests(tests, s_setup, s_teardown);
}
