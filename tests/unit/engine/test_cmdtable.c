/* Unit tests for engine/commands.c: every row parses, lookups (case, subcommands, unknown),
 * arity signs, flags -> ACL categories, the legacy key range, the notation parsers and key
 * extraction (index/range, keyword, keynum, SET's GET). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h> /* needs the headers above */

#include "engine/commands.h"

/* argv from C strings */
#define MAXA 16
typedef struct {
    proto_arg_t a[MAXA];
    int n;
} argv_t;

static argv_t s_argv(const char *first, ...) {
    argv_t v;
    v.n = 0;
    va_list ap;
    va_start(ap, first);
    for (const char *s = first; s && v.n < MAXA; s = va_arg(ap, const char *)) {
        v.a[v.n].ptr = s;
        v.a[v.n].len = strlen(s);
        v.n++;
    }
    va_end(ap);
    return v;
}
#define ARGV(...) s_argv(__VA_ARGS__, NULL)

static const command_t *s_lookup(argv_t v) { return command_lookup(v.n, v.a); }
static const command_t *s_full(const char *name) { return command_by_fullname(name, strlen(name)); }

static int s_setup(void **state) {
    (void)state;
    commands_init();
    commands_init(); /* idempotent */
    return 0;
}

static void s_check_row(const command_t *c, const command_t *parent) {
    assert_non_null(c->name);
    assert_ptr_equal(c->parent, parent);
    char want[64];
    if (parent)
        snprintf(want, sizeof want, "%s|%s", parent->name, c->name);
    else
        snprintf(want, sizeof want, "%s", c->name);
    assert_string_equal(c->fullname, want);
    assert_int_not_equal(c->arity, 0);
    assert_true(c->proc != NULL || c->subcommands != NULL);
    assert_non_null(c->summary);
    assert_non_null(c->group);
    assert_non_null(c->since);
    /* a row with a keyspecs string has parsed specs, and only then */
    assert_int_equal(c->keyspecs != NULL && *c->keyspecs, c->nspecs > 0);
    assert_int_equal(c->args != NULL && *c->args, c->ndocargs > 0);
    /* exactly one of @fast / @slow */
    assert_int_equal(!!(c->aclbits & ACL_FAST) + !!(c->aclbits & ACL_SLOW), 1);
    /* movablekeys is derived from the key specs: a row with a keynum, keyword or
     * incomplete spec (LMPOP, ZUNION, SORT...) has it, a row with plain index/range specs not */
    int movable = 0;
    for (int i = 0; i < c->nspecs; i++)
        if (c->specs[i].bs_type != KS_BS_INDEX || c->specs[i].fk_type != KS_FK_RANGE ||
            (c->specs[i].flags & KS_INCOMPLETE))
            movable = 1;
    if (!movable) assert_false(c->flagbits & CMD_MOVABLE_KEYS);
    /* the row is found by its full name, and by its argv */
    assert_ptr_equal(s_full(c->fullname), c);
    if (parent)
        assert_ptr_equal(s_lookup(ARGV(parent->name, c->name)), c);
    else
        assert_ptr_equal(s_lookup(ARGV(c->name)), c);
}

static void test_every_row_parses(void **state) {
    (void)state;
    int top = 0, subs = 0;
    for (const command_t *c = commands_table(); c->name; c++) {
        s_check_row(c, NULL);
        top++;
        int n = 0;
        for (const command_t *s = c->subcommands; s && s->name; s++) {
            s_check_row(s, c);
            n++;
        }
        assert_int_equal(n, c->nsubcommands);
        subs += n;
    }
    assert_int_equal(top, commands_count());
    assert_true(top >= 60);
    assert_true(subs >= 23);
}

static void test_lookup(void **state) {
    (void)state;
    const command_t *get = s_lookup(ARGV("get"));
    assert_non_null(get);
    assert_string_equal(get->fullname, "get");
    assert_ptr_equal(s_lookup(ARGV("GET", "k")), get);
    assert_ptr_equal(s_lookup(ARGV("gEt")), get);
    assert_null(s_lookup(ARGV("nosuch")));
    assert_null(s_lookup(ARGV("ge")));
    assert_null(s_lookup(ARGV("gett")));
    assert_null(command_lookup(0, NULL));
    /* binary-safe: an embedded NUL is part of the name */
    proto_arg_t nul = {"get\0", 4};
    assert_null(command_lookup(1, &nul));

    /* containers: alone they resolve to themselves, with a word to the subcommand */
    const command_t *config = s_lookup(ARGV("config"));
    assert_non_null(config);
    assert_null(config->proc);
    const command_t *cget = s_lookup(ARGV("CONFIG", "Get", "maxmemory"));
    assert_non_null(cget);
    assert_string_equal(cget->fullname, "config|get");
    assert_ptr_equal(cget->parent, config);
    assert_null(s_lookup(ARGV("config", "nosuch")));
    /* COMMAND is both a container and a command of its own */
    const command_t *command = s_lookup(ARGV("command"));
    assert_non_null(command->proc);
    assert_string_equal(s_lookup(ARGV("command", "count"))->fullname, "command|count");
    assert_null(s_lookup(ARGV("command", "nosuch")));
    /* a subcommand name is not a top-level command, nor under another container */
    assert_null(s_lookup(ARGV("encoding")));
    assert_null(s_lookup(ARGV("client", "encoding")));
    /* commands without subcommands ignore the second word */
    assert_ptr_equal(s_lookup(ARGV("get", "encoding")), get);

    /* by full name, as COMMAND INFO / DOCS resolve names */
    assert_ptr_equal(s_full("GET"), get);
    assert_ptr_equal(s_full("Config|Get"), cget);
    assert_ptr_equal(s_full("config"), config);
    assert_null(s_full("get|x"));
    assert_null(s_full("config|"));
    assert_null(s_full("|get"));
    assert_null(s_full("config|get|x"));
    assert_null(s_full(""));
    assert_null(s_full("|"));
}

static void test_arity(void **state) {
    (void)state;
    assert_int_equal(s_full("get")->arity, 2);
    assert_int_equal(s_full("set")->arity, -3);
    assert_int_equal(s_full("mget")->arity, -2);
    assert_int_equal(s_full("ping")->arity, -1);
    assert_int_equal(s_full("randomkey")->arity, 1);
    assert_int_equal(s_full("object|encoding")->arity, 3);
    assert_int_equal(s_full("config|set")->arity, -4);
    assert_int_equal(s_full("command")->arity, -1);
    assert_int_equal(s_full("command|getkeys")->arity, -4);
    assert_int_equal(s_full("debug")->arity, -2);
    assert_int_equal(s_full("client")->arity, -2);
}

static void test_flags_and_categories(void **state) {
    (void)state;
    const command_t *c = s_full("get");
    assert_int_equal(c->flagbits, CMD_READONLY | CMD_FAST);
    assert_int_equal(c->aclbits, ACL_READ | ACL_STRING | ACL_FAST);
    c = s_full("set");
    assert_int_equal(c->flagbits, CMD_WRITE | CMD_DENYOOM);
    assert_int_equal(c->aclbits, ACL_WRITE | ACL_STRING | ACL_SLOW);
    c = s_full("del");
    assert_int_equal(c->aclbits, ACL_KEYSPACE | ACL_WRITE | ACL_SLOW);
    c = s_full("keys");
    assert_int_equal(c->aclbits, ACL_KEYSPACE | ACL_READ | ACL_SLOW | ACL_DANGEROUS);
    c = s_full("debug"); /* admin implies @admin @dangerous; protected is kept but hidden */
    assert_int_equal(c->aclbits, ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS);
    assert_true(c->flagbits & CMD_PROTECTED);
    c = s_full("config|get");
    assert_int_equal(c->aclbits, ACL_ADMIN | ACL_SLOW | ACL_DANGEROUS);
    c = s_full("ping");
    assert_int_equal(c->aclbits, ACL_FAST | ACL_CONNECTION);
    c = s_full("object"); /* a container with no flags is just @slow */
    assert_int_equal(c->flagbits, 0);
    assert_int_equal(c->aclbits, ACL_SLOW);
    c = s_full("hello");
    assert_int_equal(c->flagbits, CMD_NOSCRIPT | CMD_LOADING | CMD_STALE | CMD_FAST | CMD_NO_AUTH |
                                      CMD_ALLOW_BUSY);

    assert_int_equal(acl_category_by_name("Connection", 10), ACL_CONNECTION);
    assert_int_equal(acl_category_by_name("nosuch", 6), 0);
    assert_int_equal(acl_category_by_name("@read", 5), 0);
}

static void test_legacy_range(void **state) {
    (void)state;
    struct {
        const char *name;
        int first, last, step;
    } want[] = {
        {"get", 1, 1, 1},    {"mset", 1, -1, 2}, {"mget", 1, -1, 1},
        {"rename", 1, 2, 1}, {"copy", 1, 2, 1},  {"lcs", 1, 2, 1},
        {"keys", 0, 0, 0},   {"ping", 0, 0, 0},  {"object|encoding", 2, 2, 1},
        {"object", 0, 0, 0}, {"del", 1, -1, 1},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        const command_t *c = s_full(want[i].name);
        assert_non_null(c);
        assert_int_equal(c->first_key, want[i].first);
        assert_int_equal(c->last_key, want[i].last);
        assert_int_equal(c->key_step, want[i].step);
    }
}

static void test_keyspec_parser(void **state) {
    (void)state;
    cmd_keyspec_t *ks;
    int n;
    const char *err = NULL;
    assert_int_equal(command_parse_keyspecs("RW access delete;index:1;range:0,1,0|"
                                            "OW update;index:2;range:0,1,0",
                                            &ks, &n, &err),
                     0);
    assert_int_equal(n, 2);
    assert_int_equal(ks[0].flags, KS_RW | KS_ACCESS | KS_DELETE);
    assert_int_equal(ks[1].bs_index, 2);
    assert_null(ks[0].notes);
    command_free_keyspecs(ks, n);

    assert_int_equal(command_parse_keyspecs("ro access;keyword:STREAMS,1;range:-1,1,2;some notes",
                                            &ks, &n, &err),
                     0);
    assert_int_equal(n, 1);
    assert_int_equal(ks[0].flags, KS_RO | KS_ACCESS);
    assert_int_equal(ks[0].bs_type, KS_BS_KEYWORD);
    assert_string_equal(ks[0].bs_keyword, "STREAMS");
    assert_int_equal(ks[0].bs_startfrom, 1);
    assert_int_equal(ks[0].fk_lastkey, -1);
    assert_int_equal(ks[0].fk_limit, 2);
    assert_string_equal(ks[0].notes, "some notes");
    command_free_keyspecs(ks, n);

    assert_int_equal(
        command_parse_keyspecs("RO;unknown;unknown|RW;index:1;keynum:0,1,2", &ks, &n, &err), 0);
    assert_int_equal(ks[0].bs_type, KS_BS_UNKNOWN);
    assert_int_equal(ks[0].fk_type, KS_FK_UNKNOWN);
    assert_int_equal(ks[1].fk_type, KS_FK_KEYNUM);
    assert_int_equal(ks[1].fk_keynumidx, 0);
    assert_int_equal(ks[1].fk_firstkey, 1);
    assert_int_equal(ks[1].fk_keystep, 2);
    command_free_keyspecs(ks, n);

    assert_int_equal(command_parse_keyspecs(NULL, &ks, &n, &err), 0);
    assert_int_equal(n, 0);

    const char *bad[] = {
        "RX;index:1;range:0,1,0",     /* unknown flag */
        "RO;index:0;range:0,1,0",     /* index below 1 */
        "RO;index:1",                 /* no find keys */
        "RO;index:x;range:0,1,0",     /* not a number */
        "RO;index:1;range:0,0,0",     /* step 0 */
        "RO;index:1;range:0,1",       /* two numbers */
        "RO;index:1;range:1,1,2",     /* a limit needs lastkey -1 */
        "RO;keyword:,1;range:0,1,0",  /* empty keyword */
        "RO;keyword:K,0;range:0,1,0", /* startfrom 0 */
        "RO;nowhere:1;range:0,1,0",   /* unknown begin search */
        "RO;index:1;ranges:0,1,0",    /* unknown find keys */
        "RO;index:1;range:0,1,0|",    /* empty second spec */
        "RO;index:1;range:0,1,0;",    /* empty notes */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        assert_int_equal(command_parse_keyspecs(bad[i], &ks, &n, &err), -1);
        assert_non_null(err);
    }
}

static void test_args_parser(void **state) {
    (void)state;
    cmd_arg_t *a;
    int n;
    const char *err = NULL;
    assert_int_equal(command_parse_args("key:key@0 ?oneof:condition+7.0.0(=NX =XX) "
                                        "?*&string:ip:port=ADDR+6.2.0!7.0.0 "
                                        "*block:kv(key:key@0 string:value)",
                                        &a, &n, &err),
                     0);
    assert_int_equal(n, 4);
    assert_string_equal(a[0].name, "key");
    assert_int_equal(a[0].type, ARG_KEY);
    assert_int_equal(a[0].key_spec_index, 0);
    assert_null(a[0].token);
    assert_int_equal(a[1].type, ARG_ONEOF);
    assert_int_equal(a[1].flags, ARGF_OPTIONAL);
    assert_string_equal(a[1].since, "7.0.0");
    assert_int_equal(a[1].nsub, 2);
    assert_string_equal(a[1].sub[0].name, "nx");
    assert_string_equal(a[1].sub[0].token, "NX");
    assert_int_equal(a[1].sub[0].type, ARG_PURE_TOKEN);
    assert_int_equal(a[1].sub[1].key_spec_index, -1);
    assert_string_equal(a[2].name, "ip:port");
    assert_string_equal(a[2].token, "ADDR");
    assert_int_equal(a[2].flags, ARGF_OPTIONAL | ARGF_MULTIPLE | ARGF_MULTIPLE_TOKEN);
    assert_string_equal(a[2].since, "6.2.0");
    assert_string_equal(a[2].deprecated_since, "7.0.0");
    assert_int_equal(a[3].type, ARG_BLOCK);
    assert_int_equal(a[3].flags, ARGF_MULTIPLE);
    assert_int_equal(a[3].nsub, 2);
    command_free_args(a, n);

    /* tokens may be punctuation (XADD's "=", "~" and "*") */
    assert_int_equal(command_parse_args("oneof:s(pure-token:equal== pure-token:approx=~ "
                                        "pure-token:auto-id=*)",
                                        &a, &n, &err),
                     0);
    assert_string_equal(a[0].sub[0].token, "=");
    assert_string_equal(a[0].sub[1].token, "~");
    assert_string_equal(a[0].sub[2].token, "*");
    command_free_args(a, n);

    const char *bad[] = {
        "key:key",          /* a key names its key spec */
        "string:x@0",       /* only keys do */
        "oneof:x",          /* oneof without members */
        "string:x(=A)",     /* members on a plain argument */
        "foo:bar",          /* unknown type */
        "nameonly",         /* no type */
        "?oneof:c(=NX",     /* unclosed */
        "string:a)",        /* stray ')' */
        "pure-token:x",     /* pure-token without token */
        "string:",          /* empty name */
        "=",                /* empty token */
        "string:a+",        /* empty version */
        "string:a+1.0+2.0", /* since twice */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err = NULL;
        assert_int_equal(command_parse_args(bad[i], &a, &n, &err), -1);
        assert_non_null(err);
    }
}

/* Keys of an argv as positions; returns the count. */
static int s_keys(const command_t *c, argv_t v, int *pos, uint32_t *flags) {
    cmd_keys_t k;
    cmd_keys_init(&k);
    int n = command_get_keys(c, v.n, v.a, &k);
    assert_int_equal(n, k.numkeys);
    for (int i = 0; i < n; i++) {
        pos[i] = k.keys[i].pos;
        if (flags) flags[i] = k.keys[i].flags;
    }
    cmd_keys_free(&k);
    return n;
}

static void test_getkeys_table(void **state) {
    (void)state;
    int pos[16];
    uint32_t fl[16];
    argv_t v = ARGV("mset", "a", "1", "b", "2");
    assert_int_equal(s_keys(s_lookup(v), v, pos, fl), 2);
    assert_int_equal(pos[0], 1);
    assert_int_equal(pos[1], 3);
    assert_int_equal(fl[0], KS_OW | KS_UPDATE);

    v = ARGV("mset", "a", "1", "b"); /* Redis still reports b */
    assert_int_equal(s_keys(s_lookup(v), v, pos, NULL), 2);
    assert_int_equal(pos[1], 3);

    v = ARGV("rename", "a", "b");
    assert_int_equal(s_keys(s_lookup(v), v, pos, fl), 2);
    assert_int_equal(fl[0], KS_RW | KS_ACCESS | KS_DELETE);
    assert_int_equal(fl[1], KS_OW | KS_UPDATE);

    v = ARGV("set", "k", "v");
    assert_int_equal(s_keys(s_lookup(v), v, pos, fl), 1);
    assert_int_equal(pos[0], 1);
    assert_int_equal(fl[0], KS_OW | KS_UPDATE);
    v = ARGV("set", "k", "v", "XX", "gEt");
    assert_int_equal(s_keys(s_lookup(v), v, pos, fl), 1);
    assert_int_equal(fl[0], KS_RW | KS_ACCESS | KS_UPDATE);
    v = ARGV("set", "k", "get"); /* the value "get" is not the option */
    s_keys(s_lookup(v), v, pos, fl);
    assert_int_equal(fl[0], KS_OW | KS_UPDATE);

    v = ARGV("object", "encoding", "k");
    assert_int_equal(s_keys(s_lookup(v), v, pos, NULL), 1);
    assert_int_equal(pos[0], 2);

    assert_true(command_has_keys(s_full("get")));
    assert_true(command_has_keys(s_full("set")));
    assert_false(command_has_keys(s_full("keys")));
    assert_false(command_has_keys(s_full("ping")));
    assert_false(command_has_keys(s_full("object")));
}

/* A row built by hand to reach the keyword and keynum paths no milestone command uses. */
static void s_fake(command_t *c, const char *specs, int arity) {
    const char *err = NULL;
    memset(c, 0, sizeof(*c));
    c->name = "fake";
    c->arity = arity;
    assert_int_equal(command_parse_keyspecs(specs, &c->specs, &c->nspecs, &err), 0);
}

static void test_getkeys_keyword_keynum(void **state) {
    (void)state;
    int pos[16];
    uint32_t fl[16];
    command_t c;

    /* ZUNIONSTORE-like: destination, then numkeys and the keys */
    s_fake(&c, "OW update;index:1;range:0,1,0|RO access;index:2;keynum:0,1,1", -4);
    argv_t v = ARGV("fake", "dst", "2", "a", "b", "WEIGHTS", "1", "2");
    assert_int_equal(s_keys(&c, v, pos, fl), 3);
    assert_int_equal(pos[0], 1);
    assert_int_equal(pos[1], 3);
    assert_int_equal(pos[2], 4);
    assert_int_equal(fl[1], KS_RO | KS_ACCESS);
    v = ARGV("fake", "dst", "3", "a", "b"); /* too few keys: invalid, no fallback */
    assert_int_equal(s_keys(&c, v, pos, NULL), 0);
    v = ARGV("fake", "dst", "x", "a");
    assert_int_equal(s_keys(&c, v, pos, NULL), 0);
    v = ARGV("fake", "dst", "-1", "a");
    assert_int_equal(s_keys(&c, v, pos, NULL), 0);
    command_free_keyspecs(c.specs, c.nspecs);

    /* XREAD-like: keys after STREAMS, half of the rest */
    s_fake(&c, "RO access;keyword:STREAMS,1;range:-1,1,2", -4);
    v = ARGV("fake", "COUNT", "2", "streams", "s1", "s2", "0", "0");
    assert_int_equal(s_keys(&c, v, pos, NULL), 2);
    assert_int_equal(pos[0], 4);
    assert_int_equal(pos[1], 5);
    v = ARGV("fake", "COUNT", "2", "nostreams", "s1");
    assert_int_equal(s_keys(&c, v, pos, NULL), 0);
    command_free_keyspecs(c.specs, c.nspecs);

    /* searching backwards from the end (MIGRATE's KEYS) */
    s_fake(&c, "RW;keyword:KEYS,-2;range:-1,1,0", -6);
    v = ARGV("fake", "h", "p", "", "0", "5", "KEYS", "k1", "k2");
    assert_int_equal(s_keys(&c, v, pos, NULL), 2);
    assert_int_equal(pos[0], 7);
    assert_int_equal(pos[1], 8);
    command_free_keyspecs(c.specs, c.nspecs);

    /* not_key specs are skipped; an incomplete spec makes the whole result invalid */
    s_fake(&c, "RO not_key;index:1;range:0,1,0|RO;index:2;range:0,1,0", 3);
    v = ARGV("fake", "chan", "k");
    assert_int_equal(s_keys(&c, v, pos, NULL), 1);
    assert_int_equal(pos[0], 2);
    command_free_keyspecs(c.specs, c.nspecs);
    s_fake(&c, "RO incomplete;index:1;range:0,1,0", 2);
    v = ARGV("fake", "k");
    assert_int_equal(s_keys(&c, v, pos, NULL), 0);
    command_free_keyspecs(c.specs, c.nspecs);
}

static void test_many_keys(void **state) {
    (void)state;
    /* more keys than the inline buffer holds */
    const command_t *del = s_full("del");
    proto_arg_t a[40];
    a[0].ptr = "del";
    a[0].len = 3;
    for (int i = 1; i < 40; i++) {
        a[i].ptr = "k";
        a[i].len = 1;
    }
    cmd_keys_t k;
    cmd_keys_init(&k);
    assert_int_equal(command_get_keys(del, 40, a, &k), 39);
    assert_int_equal(k.keys[38].pos, 39);
    cmd_keys_free(&k);
}

int main(void) {
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_row_parses),
        cmocka_unit_test(test_lookup),
        cmocka_unit_test(test_arity),
        cmocka_unit_test(test_flags_and_categories),
        cmocka_unit_test(test_legacy_range),
        cmocka_unit_test(test_keyspec_parser),
        cmocka_unit_test(test_args_parser),
        cmocka_unit_test(test_getkeys_table),
        cmocka_unit_test(test_getkeys_keyword_keynum),
        cmocka_unit_test(test_many_keys),
    };
    return cmocka_run_group_tests(tests, s_setup, NULL);
}
