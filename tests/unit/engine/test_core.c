/* Unit tests for Vole's core features (engine/core.h) through the dispatcher of in-process
 * engines: the persistence round trip (every effect unit one engine recorded, replayed into
 * a fresh engine, gives the same namespaces, keys, TTLs, tags, schemas, pending delayed keys
 * and audit log), the audit ring's bound and order, the tag index against a model under
 * random renames/deletes/retags, and namespace slots staying put. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "engine/core.h"
#include "engine/effects_backlog.h"
#include "engine/engine.h"
#include "tests/unit/engine/engine_harness.h"
#include "engine/snapshot.h"
#include "engine/types/t_hash.h"
#include "shared/util.h"

typedef struct {
    engine_t *e;
    client_t *c;
} s_eng_t;

static char s_reply[1 << 16];
static size_t s_reply_len;

/* Runs one command (NULL-terminated words) on x; the reply is copied to s_reply. */
static const char *s_runv(s_eng_t *x, const char *first, va_list ap) {
    th_engine_t t = {x->e, x->c};
    char *r = th_run_v(&t, &s_reply_len, first, ap);
    assert_true(s_reply_len < sizeof s_reply);
    memcpy(s_reply, r, s_reply_len + 1);
    free(r);
    return s_reply;
}

static const char *s_run(s_eng_t *x, const char *first, ...) {
    va_list ap;
    va_start(ap, first);
    const char *r = s_runv(x, first, ap);
    va_end(ap);
    return r;
}

#define RUN(x, ...) s_run(x, __VA_ARGS__, (const char *)NULL)
#define CHECK(x, expect, ...)                                                                      \
    do {                                                                                           \
        const char *r_ = RUN(x, __VA_ARGS__);                                                      \
        if (strcmp(r_, expect) != 0) fail_msg("reply %s, expected %s", r_, expect);                \
    } while (0)

/* Makes x's engine. */
static void s_new_engine(s_eng_t *x) { x->e = engine_new_for_test(); }

/* Gives x (its engine made) a client. */
static void s_open_client(s_eng_t *x) {
    x->c = client_new(x->e, x->e->frontends, 1);
    RUN(x, "GET", "__probe__");
    assert_memory_equal(s_reply, "$-1\r\n", 5);
}

static void s_open(s_eng_t *x) {
    s_new_engine(x);
    s_open_client(x);
}

static void s_open2(s_eng_t *a, s_eng_t *b) {
    s_new_engine(a);
    s_new_engine(b);
    s_open_client(a);
    s_open_client(b);
}

static void s_close(s_eng_t *x) {
    client_free(x->e, x->c);
    engine_free_for_test(x->e);
}

/* ---- comparing two engines' data ---- */

static void s_same_value(const vobj_t *a, const vobj_t *b) {
    assert_int_equal(a->type, b->type);
    if (a->type == OBJ_STRING) {
        char ta[24], tb[24];
        size_t la, lb;
        const char *pa = obj_str(a, ta, &la), *pb = obj_str(b, tb, &lb);
        assert_int_equal(la, lb);
        assert_memory_equal(pa, pb, la);
    } else if (a->type == OBJ_HASH) {
        assert_int_equal(hash_type_length(a), hash_type_length(b));
        hash_iter_t it;
        hash_field_t hf;
        hash_iter_init(&it, a);
        while (hash_iter_next(&it, &hf)) {
            const char *v;
            size_t vl;
            assert_true(hash_type_get(b, hf.f, hf.flen, &v, &vl));
            assert_int_equal(vl, hf.vlen);
            assert_memory_equal(v, hf.v, vl);
        }
        hash_iter_done(&it);
    }
}

static void s_same_data(engine_t *a, engine_t *b) {
    int n = a->ndbs > b->ndbs ? a->ndbs : b->ndbs;
    for (int i = 0; i < n; i++) {
        db_t *da = i < a->ndbs ? &a->dbs[i] : NULL, *db = i < b->ndbs ? &b->dbs[i] : NULL;
        uint64_t na = da ? dict_size(da->keys) : 0, nb = db ? dict_size(db->keys) : 0;
        assert_int_equal(na, nb);
        const char *xa = da ? da->name : NULL, *xb = db ? db->name : NULL;
        assert_true((xa == NULL) == (xb == NULL));
        if (xa) assert_string_equal(xa, xb);
        if (!na) continue;
        dict_iter_t it;
        dict_entry_t *de;
        dict_iter_init(&it, da->keys);
        while ((de = dict_iter_next(&it))) {
            const vstr_t *k = de->key;
            vobj_t *o = db_peek(db, k->ptr, k->len);
            if (!o) fail_msg("key %s missing in db %d after the replay", k->ptr, i);
            s_same_value(de->v.val, o);
            if (db_get_expire(da, k->ptr, k->len) != db_get_expire(db, k->ptr, k->len))
                fail_msg("TTL of %s in db %d differs after the replay", k->ptr, i);
        }
        dict_iter_done(&it);
    }
}

/* Both engines give the same reply to a command. */
static void s_same_reply(s_eng_t *a, s_eng_t *b, const char *first, ...) {
    static char ra[sizeof s_reply];
    va_list ap;
    va_start(ap, first);
    s_runv(a, first, ap);
    va_end(ap);
    memcpy(ra, s_reply, s_reply_len + 1);
    va_start(ap, first);
    s_runv(b, first, ap);
    va_end(ap);
    if (strcmp(ra, s_reply) != 0) fail_msg("%s: %s vs %s", first, ra, s_reply);
}

/* Replays one command in database dbid as an effect unit (the internal commands run only
 * inside a replay); returns engine_apply_unit's result. */
static int s_apply(engine_t *e, int dbid, int argc, const char **argv) {
    buf_t b;
    buf_init(&b);
    buf_put_u32(&b, 1);
    buf_put_u32(&b, (uint32_t)dbid);
    buf_put_u32(&b, (uint32_t)argc);
    for (int i = 0; i < argc; i++) {
        buf_put_u32(&b, (uint32_t)strlen(argv[i]));
        buf_append(&b, argv[i], strlen(argv[i]));
    }
    char err[256];
    int rc = engine_apply_unit(e, b.data, b.len, err, sizeof err);
    buf_free(&b);
    return rc;
}

/* ---- the persistence round trip ---- */

static void test_replay_round_trip(void **state) {
    (void)state;
    s_eng_t a, b;
    s_open2(&a, &b);
    uint64_t first = effects_last_seq(a.e) + 1;
    CHECK(&a, "+OK\r\n", "AUDIT.ENABLE");
    CHECK(&a, "+OK\r\n", "SCHEMA.SET", "user:*", "name:string", "age:int", "mail:email:required");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "one");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "two");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "three");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "USE", "two");
    CHECK(&a, ":3\r\n", "HSET", "user:1", "name", "Ann", "age", "30", "mail", "a@b.io");
    CHECK(&a, "-ERR schema violation: field 'age' must be int\r\n", "HSET", "user:2", "age", "x");
    CHECK(&a, ":2\r\n", "TAG", "user:1", "env=prod", "tier=gold");
    CHECK(&a, "+OK\r\n", "SET", "s", "v");
    /* an absolute time: EXPIRE's relative one is not turned into an absolute effect yet */
    char at[32];
    snprintf(at, sizeof at, "%lld", (long long)now_ms() + 1000000);
    CHECK(&a, ":1\r\n", "PEXPIREAT", "s", at);
    CHECK(&a, ":1\r\n", "TAG", "s", "env=dev");
    CHECK(&a, "+OK\r\n", "RENAME", "s", "s2");
    /* one namespace dropped, another created in its slot */
    CHECK(&a, ":0\r\n", "NAMESPACE", "DROP", "one");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "four");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "USE", "four");
    CHECK(&a, "+OK\r\n", "SET", "in-four", "x");
    /* a delayed key that comes due now, and one that stays pending */
    CHECK(&a, "+OK\r\n", "SETDELAYED", "due", "now", "0", "EX", "500");
    CHECK(&a, "+OK\r\n", "SET", "later", "v", "AFTER", "3600", "PX", "7000");
    core_cron(a.e);
    CHECK(&a, "$3\r\nnow\r\n", "GET", "due");
    CHECK(&a, "$-1\r\n", "GET", "later");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "USE", "default");
    CHECK(&a, "+OK\r\n", "SET", "d0", "1");
    CHECK(&a, ":0\r\n", "TAGDEL", "user:1", "nothing");
    CHECK(&a, "+OK\r\n", "AUDIT.DISABLE");
    CHECK(&a, "+OK\r\n", "SET", "unaudited", "1");
    uint64_t last = effects_last_seq(a.e);
    assert_true(effects_oldest_seq(a.e) <= first);

    char err[256];
    for (uint64_t s = first; s <= last; s++) {
        const char *p;
        size_t len;
        assert_int_equal(effects_get(a.e, s, &p, &len), 0);
        if (engine_apply_unit(b.e, p, len, err, sizeof err) != 0)
            fail_msg("unit %llu: %s", (unsigned long long)s, err);
    }
    s_same_data(a.e, b.e);
    s_same_reply(&a, &b, "NAMESPACE", "LIST", NULL);
    s_same_reply(&a, &b, "SCHEMA.LIST", NULL);
    s_same_reply(&a, &b, "SCHEMA.GET", "user:*", NULL);
    s_same_reply(&a, &b, "AUDIT.SEARCH", "*", "COUNT", "1000", NULL);
    s_same_reply(&a, &b, "AUDIT.SIZE", NULL);
    RUN(&a, "NAMESPACE", "USE", "two");
    RUN(&b, "NAMESPACE", "USE", "two");
    s_same_reply(&a, &b, "AUDIT.SEARCH", "*", "COUNT", "1000", NULL);
    s_same_reply(&a, &b, "TAGGET", "user:1", NULL);
    s_same_reply(&a, &b, "TAGGET", "s2", NULL);
    s_same_reply(&a, &b, "TAGQUERY", "env=*", NULL);
    s_same_reply(&a, &b, "HSEARCH", "user:*", "WHERE", "age", ">", "18", NULL);
    CHECK(&b, "-ERR schema violation: field 'mail' is required\r\n", "HSET", "user:3", "age", "1");
    /* the pending delayed key replays to the same value and TTL when it fires */
    RUN(&a, "NAMESPACE", "USE", "four");
    RUN(&b, "NAMESPACE", "USE", "four");
    const char *fire[] = {"VOLE.DELAYED", "FIRE", "later", "1000000"};
    int four = namespace_find(a.e, "four", 4)->id;
    assert_int_equal(s_apply(a.e, four, 4, fire), 0);
    assert_int_equal(s_apply(b.e, four, 4, fire), 0);
    assert_int_equal(s_apply(b.e, four, 4, fire), -1); /* no such delayed key any more */
    s_same_data(a.e, b.e);
    assert_int_equal(db_get_expire(b.c->db, "later", 5), 1007000);
    s_close(&b);
    s_close(&a);
}

/* ---- the snapshot round trip ---- */

static void test_snapshot_round_trip(void **state) {
    (void)state;
    s_eng_t a, b;
    s_open2(&a, &b);
    CHECK(&a, "+OK\r\n", "AUDIT.ENABLE");
    CHECK(&a, "+OK\r\n", "SCHEMA.SET", "u:*", "age:int", "mail:email:required");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "gone");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "kept");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "empty");
    CHECK(&a, ":0\r\n", "NAMESPACE", "DROP", "gone"); /* a hole: "kept" stays in slot +1 */
    CHECK(&a, "+OK\r\n", "NAMESPACE", "USE", "kept");
    CHECK(&a, ":2\r\n", "HSET", "u:1", "age", "7", "mail", "x@y.io");
    CHECK(&a, ":1\r\n", "TAG", "u:1", "env=prod");
    CHECK(&a, "+OK\r\n", "SETDELAYED", "later", "v", "3600", "EX", "9");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "USE", "default");
    CHECK(&a, "+OK\r\n", "SET", "plain", "1");
    CHECK(&a, ":1\r\n", "TAG", "plain", "a=b");
    char path[] = "/tmp/vole-test-core-XXXXXX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char err[256];
    if (snapshot_save_file(a.e, path, 42, err, sizeof err) != 0) {
        unlink(path);
        s_close(&b);
        s_close(&a);
        fail_msg("save: %s", err);
    }
    uint64_t seq = 0;
    if (snapshot_load_file(b.e, path, &seq, NULL, NULL, err, sizeof err) != 0)
        fail_msg("load: %s", err);
    unlink(path);
    assert_int_equal(seq, 42);
    s_same_data(a.e, b.e); /* the same slots, names, keys and TTLs */
    s_same_reply(&a, &b, "NAMESPACE", "LIST", NULL);
    s_same_reply(&a, &b, "SCHEMA.GET", "u:*", NULL);
    s_same_reply(&a, &b, "TAGGET", "plain", NULL);
    s_same_reply(&a, &b, "AUDIT.SEARCH", "*", "COUNT", "100", NULL);
    s_same_reply(&a, &b, "AUDIT.SIZE", NULL);
    RUN(&a, "NAMESPACE", "USE", "kept");
    RUN(&b, "NAMESPACE", "USE", "kept");
    s_same_reply(&a, &b, "TAGQUERY", "env=prod", NULL);
    s_same_reply(&a, &b, "AUDIT.SEARCH", "*", "COUNT", "100", NULL);
    s_same_reply(&a, &b, "HSEARCH", "u:*", "WHERE", "age", "=", "7", NULL);
    CHECK(&b, "-ERR schema violation: field 'age' must be int\r\n", "HSET", "u:2", "age", "x");
    /* the pending delayed key came back: it appears with its TTL when it fires */
    const char *fire[] = {"VOLE.DELAYED", "FIRE", "later", "5000"};
    assert_int_equal(s_apply(b.e, b.c->db->id, 4, fire), 0);
    assert_int_equal(db_get_expire(b.c->db, "later", 5), 14000);
    s_close(&b);
    s_close(&a);
}

/* ---- the audit ring ---- */

static void test_audit_ring(void **state) {
    (void)state;
    s_eng_t a;
    s_open(&a);
    RUN(&a, "AUDIT.ENABLE");
    a.e->cfg.audit_max_entries = 100;
    char k[32];
    for (int i = 0; i < 1000; i++) {
        snprintf(k, sizeof k, "k%d", i);
        RUN(&a, "SET", k, "v");
    }
    CHECK(&a, ":100\r\n", "AUDIT.SIZE");
    /* newest first: k999 .. k900 */
    RUN(&a, "AUDIT.SEARCH", "*", "COUNT", "1");
    assert_non_null(strstr(s_reply, "$4\r\nk999\r\n"));
    CHECK(&a, "*0\r\n", "AUDIT", "k899");
    RUN(&a, "AUDIT", "k900");
    assert_non_null(strstr(s_reply, "SET k900 v"));
    /* shrinking drops the oldest at the next entry; growing keeps everything */
    a.e->cfg.audit_max_entries = 10;
    RUN(&a, "SET", "x", "1");
    CHECK(&a, ":10\r\n", "AUDIT.SIZE");
    CHECK(&a, "*0\r\n", "AUDIT", "k990");
    RUN(&a, "AUDIT", "k991");
    assert_non_null(strstr(s_reply, "SET k991 v"));
    a.e->cfg.audit_max_entries = 5000;
    for (int i = 0; i < 3000; i++) {
        snprintf(k, sizeof k, "m%d", i);
        RUN(&a, "SET", k, "v");
    }
    CHECK(&a, ":3010\r\n", "AUDIT.SIZE");
    RUN(&a, "AUDIT", "k991");
    assert_non_null(strstr(s_reply, "SET k991 v"));
    CHECK(&a, ":3010\r\n", "AUDIT.CLEAR");
    CHECK(&a, ":0\r\n", "AUDIT.SIZE");
    s_close(&a);
}

/* ---- the tag index against a model ---- */

#define NK 40
static void test_tags_model(void **state) {
    (void)state;
    s_eng_t a;
    s_open(&a);
    int exists[NK] = {0}, color[NK]; /* color: -1 none, else 0..2 */
    static const char *colors[] = {"red", "green", "blue"};
    for (int i = 0; i < NK; i++)
        color[i] = -1;
    srand(42);
    char k[16], k2[16], t[32];
    for (int step = 0; step < 4000; step++) {
        int i = rand() % NK, j = rand() % NK;
        snprintf(k, sizeof k, "k%02d", i);
        snprintf(k2, sizeof k2, "k%02d", j);
        switch (rand() % 5) {
        case 0:
            RUN(&a, "SET", k, "v");
            exists[i] = 1;
            break;
        case 1:
            if (!exists[i]) break;
            color[i] = rand() % 3;
            snprintf(t, sizeof t, "color=%s", colors[color[i]]);
            RUN(&a, "TAG", k, t);
            break;
        case 2:
            RUN(&a, "DEL", k);
            exists[i] = 0, color[i] = -1;
            break;
        case 3:
            if (!exists[i] || i == j) break;
            RUN(&a, "RENAME", k, k2);
            exists[j] = 1, color[j] = color[i];
            exists[i] = 0, color[i] = -1;
            break;
        default: RUN(&a, "TAGDEL", k, "color"); color[i] = -1;
        }
        if (step % 50) continue;
        for (int c = 0; c < 3; c++) {
            char expect[4096], *p = expect;
            int n = 0;
            for (int x = 0; x < NK; x++)
                n += color[x] == c;
            p += sprintf(p, "*%d\r\n", n);
            for (int x = 0; x < NK; x++)
                if (color[x] == c) p += sprintf(p, "$3\r\nk%02d\r\n", x);
            snprintf(t, sizeof t, "color=%s", colors[c]);
            CHECK(&a, expect, "TAGQUERY", t);
            /* NOT covers exactly the other tagged keys */
            char q[64];
            snprintf(q, sizeof q, "NOT color=%s AND color=*", colors[c]);
            RUN(&a, "TAGQUERY", q);
            int m = 0;
            for (int x = 0; x < NK; x++)
                m += color[x] >= 0 && color[x] != c;
            char hdr[16];
            snprintf(hdr, sizeof hdr, "*%d\r\n", m);
            assert_memory_equal(s_reply, hdr, strlen(hdr));
        }
    }
    s_close(&a);
}

/* ---- HSEARCH indexes filled by the cron ---- */

static void test_hsearch_incremental_build(void **state) {
    (void)state;
    s_eng_t a;
    s_open(&a);
    char k[32], age[16];
    for (int i = 0; i < 20000; i++) {
        snprintf(k, sizeof k, "p:%d", i);
        snprintf(age, sizeof age, "%d", i % 100);
        RUN(&a, "HSET", k, "age", age, "city", i % 7 ? "rome" : "oslo");
    }
    static char scan[1 << 16];
    RUN(&a, "HSEARCH", "p:*", "WHERE", "age", ">=", "97", "AND", "city", "=", "oslo");
    memcpy(scan, s_reply, s_reply_len + 1);
    CHECK(&a, "+OK\r\n", "SCHEMA.SET", "p:*", "age:int", "city:string");
    RUN(&a, "INFO", "keyspace");
    assert_non_null(strstr(s_reply, "hsearch_index:status=building"));
    a.e->cfg.hz = 500; /* slices of 0.8 ms: the build takes several cron ticks */
    int ticks = 0;
    /* writes while the build runs are indexed by the hooks, before or after the scan */
    RUN(&a, "HSET", "p:0", "age", "99", "city", "oslo");
    RUN(&a, "DEL", "p:7");
    for (;;) {
        RUN(&a, "INFO", "keyspace");
        if (strstr(s_reply, "status=ready")) break;
        core_cron(a.e);
        ticks++;
        if (ticks == 2) RUN(&a, "HSET", "p:14", "age", "98");
        assert_true(ticks < 100000);
    }
    assert_true(ticks > 1);
    /* the same answer from the indexes as from a scan (same pattern prefix: indexed) */
    RUN(&a, "HSEARCH", "p:*", "WHERE", "age", ">=", "97", "AND", "city", "=", "oslo");
    memcpy(scan, s_reply, s_reply_len + 1);
    RUN(&a, "HSEARCH", "*", "WHERE", "age", ">=", "97", "AND", "city", "=", "oslo");
    assert_string_equal(scan, s_reply);
    assert_non_null(strstr(scan, "$3\r\np:0\r\n"));
    assert_non_null(strstr(scan, "$4\r\np:14\r\n"));
    assert_null(strstr(scan, "$3\r\np:7\r\n"));
    s_close(&a);
}

/* ---- namespace slots ---- */

static void test_namespace_slots(void **state) {
    (void)state;
    s_eng_t a;
    s_open(&a);
    int base = a.e->cfg.databases;
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "x");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "y");
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "z");
    assert_int_equal(a.e->ndbs, base + 3);
    assert_ptr_equal(namespace_find(a.e, "y", 1), &a.e->dbs[base + 1]);
    CHECK(&a, ":0\r\n", "NAMESPACE", "DROP", "y");
    assert_int_equal(a.e->ndbs, base + 3); /* a hole stays */
    CHECK(&a, "+OK\r\n", "NAMESPACE", "CREATE", "w");
    assert_ptr_equal(namespace_find(a.e, "w", 1), &a.e->dbs[base + 1]); /* lowest free slot */
    CHECK(&a, ":0\r\n", "NAMESPACE", "DROP", "z");
    assert_int_equal(a.e->ndbs, base + 2); /* trailing free slots go */
    assert_ptr_equal(namespace_find(a.e, "default", 7), &a.e->dbs[0]);
    assert_null(namespace_find(a.e, "z", 1));
    /* namespace_slot: what a snapshot loader uses to put a namespace back in its slot */
    assert_non_null(namespace_slot(a.e, base + 5, "v", 1));
    assert_ptr_equal(namespace_find(a.e, "v", 1), &a.e->dbs[base + 5]);
    assert_null(namespace_slot(a.e, base + 5, "other", 5));
    assert_null(namespace_slot(a.e, 3, "v", 1));
    assert_null(namespace_slot(a.e, base + ENGINE_NAMESPACES_MAX, "q", 1));
    assert_int_equal(a.e->ndbs, base + 6);
    for (int i = 0; i < a.e->ndbs; i++)
        assert_non_null(a.e->dbs[i].keys);
    s_close(&a);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_replay_round_trip),
        cmocka_unit_test(test_snapshot_round_trip),
        cmocka_unit_test(test_audit_ring),
        cmocka_unit_test(test_tags_model),
        cmocka_unit_test(test_hsearch_incremental_build),
        cmocka_unit_test(test_namespace_slots),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
