/* The command table: one row per command and subcommand, the single source of truth for
 * dispatch, COMMAND INFO/DOCS/LIST/GETKEYS, ACL categories and key positions. Also owns the
 * start-up parsing of the rows' notations and the name lookup used for every command.
 *
 * A row is data in Redis's vocabulary (see struct command in engine.h). Three compact
 * notations keep the rows short; commands_init() parses them once and aborts on a malformed
 * row, so a mistake shows on the first start (and in tests/unit/engine/test_cmdtable.c).
 *
 * flags, acl, tips, doc_flags: words separated by spaces.
 *   flags    "write denyoom fast"   the COMMAND INFO flags; "protected", "may_replicate",
 *                                   "sentinel" and "only_sentinel" are accepted and hidden, as
 *                                   in Redis; "movablekeys" is derived from the key specs.
 *   acl      "keyspace string"      categories beyond those the flags imply: write -> @write,
 *                                   readonly -> @read (unless @scripting), admin -> @admin
 *                                   @dangerous, pubsub -> @pubsub, fast -> @fast, blocking ->
 *                                   @blocking, and @slow for whatever is not @fast.
 *   tips     "request_policy:all_shards nondeterministic_output"
 *
 * keyspecs: specs separated by '|', each "FLAGS;BEGIN;FIND[;NOTES]":
 *   FLAGS    words among RO RW OW RM access update insert delete not_key incomplete
 *            variable_flags (any case)
 *   BEGIN    index:POS                  the first key is argv[POS]
 *            keyword:WORD,STARTFROM     the keys follow WORD, searched from argv[STARTFROM]
 *                                       (a negative STARTFROM searches backwards from the end)
 *            unknown
 *   FIND     range:LASTKEY,KEYSTEP,LIMIT     LASTKEY relative to the first key, -1 = the last
 *                                            argument; LIMIT divides the remaining arguments
 *            keynum:KEYNUMIDX,FIRSTKEY,KEYSTEP  the number of keys is at first+KEYNUMIDX
 *            unknown
 *   NOTES    free text shown by COMMAND INFO (no '|')
 *   e.g. "RW access delete;index:1;range:0,1,0|OW update;index:2;range:0,1,0" (RENAME).
 *   The legacy first/last/step triple of COMMAND INFO is derived from the specs as Redis
 *   derives it, so rows never state it.
 *
 * args (COMMAND DOCS "arguments"): arguments separated by spaces, each
 *   [?*&]TYPE:NAME[=TOKEN][@KEYSPEC][+SINCE][!DEPRECATED_SINCE][(ARGS)]
 *   ?  optional   *  multiple   &  multiple_token
 *   TYPE is one of string integer double key pattern unix-time pure-token oneof block;
 *   NAME may hold ':' and '/', but none of "=@+!( )"; TOKEN none of "@+!( )".
 *   (ARGS) lists the members of a oneof or block. A pure-token named after its token in
 *   lowercase shortens to "=TOKEN": "?=GET+6.2.0" is "?pure-token:get=GET+6.2.0".
 *   e.g. "key:key@0 integer:seconds ?oneof:condition+7.0.0(=NX =XX =GT =LT)" (EXPIRE).
 *
 * history: entries separated by '|', each "VERSION text" (our own words).
 *
 * Lookup is a case-insensitive open-addressing hash over (parent, name), built once: the
 * dispatch path hashes argv[0] (and argv[1] for containers) and compares at most a few rows. */
#include "engine/commands.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/tracking.h"
#include "shared/util.h"

/* ===================== vocabularies ===================== */

const cmd_name_bit_t command_flag_names[] = {
    {"write", CMD_WRITE, 0},
    {"readonly", CMD_READONLY, 0},
    {"denyoom", CMD_DENYOOM, 0},
    {"module", CMD_MODULE, 0},
    {"admin", CMD_ADMIN, 0},
    {"pubsub", CMD_PUBSUB, 0},
    {"noscript", CMD_NOSCRIPT, 0},
    {"blocking", CMD_BLOCKING, 0},
    {"loading", CMD_LOADING, 0},
    {"stale", CMD_STALE, 0},
    {"skip_monitor", CMD_SKIP_MONITOR, 0},
    {"skip_slowlog", CMD_SKIP_SLOWLOG, 0},
    {"asking", CMD_ASKING, 0},
    {"fast", CMD_FAST, 0},
    {"no_auth", CMD_NO_AUTH, 0},
    {"may_replicate", CMD_MAY_REPLICATE, 1},
    {"sentinel", CMD_SENTINEL, 1},
    {"only_sentinel", CMD_ONLY_SENTINEL, 1},
    {"no_mandatory_keys", CMD_NO_MANDATORY_KEYS, 0},
    {"protected", CMD_PROTECTED, 1},
    {"no_async_loading", CMD_NO_ASYNC_LOADING, 0},
    {"no_multi", CMD_NO_MULTI, 0},
    {"movablekeys", CMD_MOVABLE_KEYS, 0},
    {"allow_busy", CMD_ALLOW_BUSY, 0},
    {NULL, 0, 0},
};

const cmd_name_bit_t acl_category_names[] = {
    {"keyspace", ACL_KEYSPACE, 0},
    {"read", ACL_READ, 0},
    {"write", ACL_WRITE, 0},
    {"set", ACL_SET, 0},
    {"sortedset", ACL_SORTEDSET, 0},
    {"list", ACL_LIST, 0},
    {"hash", ACL_HASH, 0},
    {"string", ACL_STRING, 0},
    {"bitmap", ACL_BITMAP, 0},
    {"hyperloglog", ACL_HYPERLOGLOG, 0},
    {"geo", ACL_GEO, 0},
    {"stream", ACL_STREAM, 0},
    {"pubsub", ACL_PUBSUB, 0},
    {"admin", ACL_ADMIN, 0},
    {"fast", ACL_FAST, 0},
    {"slow", ACL_SLOW, 0},
    {"blocking", ACL_BLOCKING, 0},
    {"dangerous", ACL_DANGEROUS, 0},
    {"connection", ACL_CONNECTION, 0},
    {"transaction", ACL_TRANSACTION, 0},
    {"scripting", ACL_SCRIPTING, 0},
    {NULL, 0, 0},
};

const cmd_name_bit_t keyspec_flag_names[] = {
    {"RO", KS_RO, 0},
    {"RW", KS_RW, 0},
    {"OW", KS_OW, 0},
    {"RM", KS_RM, 0},
    {"access", KS_ACCESS, 0},
    {"update", KS_UPDATE, 0},
    {"insert", KS_INSERT, 0},
    {"delete", KS_DELETE, 0},
    {"not_key", KS_NOT_KEY, 0},
    {"incomplete", KS_INCOMPLETE, 0},
    {"variable_flags", KS_VARIABLE_FLAGS, 0},
    {NULL, 0, 0},
};

const cmd_name_bit_t arg_flag_names[] = {
    {"optional", ARGF_OPTIONAL, 0},
    {"multiple", ARGF_MULTIPLE, 0},
    {"multiple_token", ARGF_MULTIPLE_TOKEN, 0},
    {NULL, 0, 0},
};

const char *const arg_type_names[] = {"string",    "integer",    "double", "key",  "pattern",
                                      "unix-time", "pure-token", "oneof",  "block"};

static int s_word_eq(const char *a, size_t alen, const char *lit) {
    size_t n = strlen(lit);
    if (alen != n) return 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char x = (unsigned char)a[i], y = (unsigned char)lit[i];
        if (x >= 'A' && x <= 'Z') x += 32;
        if (y >= 'A' && y <= 'Z') y += 32;
        if (x != y) return 0;
    }
    return 1;
}

static uint64_t s_bit_by_name(const cmd_name_bit_t *t, const char *name, size_t len) {
    for (; t->name; t++)
        if (s_word_eq(name, len, t->name)) return t->bit;
    return 0;
}

uint64_t acl_category_by_name(const char *name, size_t len) {
    return s_bit_by_name(acl_category_names, name, len);
}

/* Parses space-separated words of a vocabulary into bits; -1 on an unknown word. */
static int s_parse_words(const cmd_name_bit_t *t, const char *s, uint64_t *out) {
    *out = 0;
    if (!s) return 0;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if (s == w) break;
        uint64_t bit = s_bit_by_name(t, w, (size_t)(s - w));
        if (!bit) return -1;
        *out |= bit;
    }
    return 0;
}

/* ===================== key finders for rows whose specs are not enough ===================== */

/* SET reads the old value only with its GET option, so its one key spec carries
 * variable_flags and the flags come from here. */
static int s_set_getkeys(const command_t *cmd, int argc, const proto_arg_t *argv, cmd_keys_t *out) {
    (void)cmd;
    uint32_t flags = KS_OW | KS_UPDATE;
    for (int i = 3; i < argc; i++) {
        if (s_word_eq(argv[i].ptr, argv[i].len, "get")) {
            flags = KS_RW | KS_ACCESS | KS_UPDATE;
            break;
        }
    }
    cmd_keys_add(out, 1, flags);
    return 1;
}

/* ===================== the table ===================== */

/* Rows are laid out by hand to stay compact (clang-format would give every field a line). */
// clang-format off
static command_t s_object_subs[] = {
    {.name = "encoding", .proc = cmd_object_encoding, .arity = 3, .flags = "readonly",
     .acl = "keyspace", .keyspecs = "RO;index:2;range:0,1,0", .tips = "nondeterministic_output",
     .group = "generic", .since = "2.2.3",
     .summary = "Returns the internal encoding of the value at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "refcount", .proc = cmd_object_refcount, .arity = 3, .flags = "readonly",
     .acl = "keyspace", .keyspecs = "RO;index:2;range:0,1,0", .tips = "nondeterministic_output",
     .group = "generic", .since = "2.2.3",
     .summary = "Returns the reference count of the value at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "idletime", .proc = cmd_object_idletime, .arity = 3, .flags = "readonly",
     .acl = "keyspace", .keyspecs = "RO;index:2;range:0,1,0", .tips = "nondeterministic_output",
     .group = "generic", .since = "2.2.3",
     .summary = "Returns the seconds since the value at a key was last used.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "freq", .proc = cmd_object_freq, .arity = 3, .flags = "readonly", .acl = "keyspace",
     .keyspecs = "RO;index:2;range:0,1,0", .tips = "nondeterministic_output", .group = "generic",
     .since = "4.0.0",
     .summary = "Returns the logarithmic access frequency counter of the value at a key.",
     .complexity = "O(1)", .args = "key:key@0"},
    {.name = "help", .proc = cmd_object_help, .arity = 2, .flags = "loading stale",
     .acl = "keyspace", .group = "generic", .since = "6.2.0",
     .summary = "Lists the OBJECT subcommands.", .complexity = "O(1)"},
    {0}};

static command_t s_client_subs[] = {
    {.name = "id", .proc = cmd_client_id, .arity = 2, .flags = "noscript loading stale",
     .acl = "connection", .group = "connection", .since = "5.0.0",
     .summary = "Returns the id of the current connection.", .complexity = "O(1)"},
    {.name = "setname", .proc = cmd_client_setname, .arity = 3, .flags = "noscript loading stale",
     .acl = "connection", .group = "connection", .since = "2.6.9",
     .summary = "Names the current connection.", .complexity = "O(1)",
     .args = "string:connection-name"},
    {.name = "getname", .proc = cmd_client_getname, .arity = 2, .flags = "noscript loading stale",
     .acl = "connection", .group = "connection", .since = "2.6.9",
     .summary = "Returns the name of the current connection.", .complexity = "O(1)"},
    {.name = "list", .proc = cmd_client_list, .arity = -2, .flags = "admin noscript loading stale",
     .acl = "connection", .tips = "nondeterministic_output", .group = "connection",
     .since = "2.4.0", .summary = "Lists the client connections.",
     .complexity = "O(N), N being the number of connections.",
     .history = "2.8.12 Field id.|5.0.0 Filter TYPE.|6.0.0 Field user.|"
                "6.2.0 Fields argv-mem, tot-mem, laddr and redir; filter ID.|"
                "7.0.0 Fields resp, multi-mem, rbs and rbp.|7.0.3 Field ssub.",
     .args = "?oneof:normal_master_replica_pubsub=TYPE+5.0.0(=NORMAL =MASTER =REPLICA =PUBSUB) "
             "?block:id=ID+6.2.0(*integer:client-id)"},
    {.name = "info", .proc = cmd_client_info, .arity = 2, .flags = "noscript loading stale",
     .acl = "connection", .tips = "nondeterministic_output", .group = "connection",
     .since = "6.2.0", .summary = "Describes the current connection.", .complexity = "O(1)"},
    {.name = "kill", .proc = cmd_client_kill, .arity = -3, .flags = "admin noscript loading stale",
     .acl = "connection", .group = "connection", .since = "2.4.0",
     .summary = "Closes client connections.",
     .complexity = "O(N), N being the number of connections.",
     .history = "2.8.12 Filter syntax with named fields.|2.8.12 Filter ID.|"
                "3.2.0 Type master for TYPE.|"
                "5.0.0 Type replica replaces slave, which is still accepted.|6.2.0 Filter LADDR.",
     .args = "oneof:filter(string:ip:port!2.8.12 *oneof:new-format(?integer:client-id=ID+2.8.12 "
             "?oneof:normal_master_slave_pubsub=TYPE+2.8.12(=NORMAL =MASTER+3.2.0 =SLAVE "
             "=REPLICA+5.0.0 =PUBSUB) ?string:username=USER ?string:ip:port=ADDR "
             "?string:ip:port=LADDR+6.2.0 ?string:yes/no=SKIPME))"},
    {.name = "no-evict", .proc = cmd_client_no_evict, .arity = 3,
     .flags = "admin noscript loading stale", .acl = "connection", .group = "connection",
     .since = "7.0.0", .summary = "Exempts the current connection from client eviction, or not.",
     .complexity = "O(1)", .args = "oneof:enabled(=ON =OFF)"},
    {.name = "unblock", .proc = cmd_client_unblock, .arity = -3,
     .flags = "admin noscript loading stale", .acl = "connection", .group = "connection",
     .since = "5.0.0", .summary = "Wakes up a client blocked in a blocking command.",
     .complexity = "O(log N), N being the number of connections.",
     .args = "integer:client-id ?oneof:timeout_error(=TIMEOUT =ERROR)"},
    {.name = "help", .proc = cmd_client_help, .arity = 2, .flags = "loading stale",
     .acl = "connection", .group = "connection", .since = "5.0.0",
     .summary = "Lists the CLIENT subcommands.", .complexity = "O(1)"},
    /* client-side caching: handlers in engine/tracking.c */
    {.name = "tracking", .proc = cmd_client_tracking, .arity = -3,
     .flags = "noscript loading stale", .acl = "connection", .group = "connection",
     .since = "6.0.0", .summary = "Turns client-side caching invalidations on or off.",
     .complexity = "O(1), or O(N) in BCAST mode, N being the number of prefixes.",
     .args = "oneof:status(=ON =OFF) ?integer:client-id=REDIRECT &?string:prefix=PREFIX "
             "?=BCAST ?=OPTIN ?=OPTOUT ?=NOLOOP"},
    {.name = "caching", .proc = cmd_client_caching, .arity = 3, .flags = "noscript loading stale",
     .acl = "connection", .group = "connection", .since = "6.0.0",
     .summary = "Says whether the next command's keys are tracked (OPTIN/OPTOUT modes).",
     .complexity = "O(1)", .args = "oneof:mode(=YES =NO)"},
    {.name = "getredir", .proc = cmd_client_getredir, .arity = 2,
     .flags = "noscript loading stale", .acl = "connection", .group = "connection",
     .since = "6.0.0", .summary = "Returns the client id invalidations are redirected to.",
     .complexity = "O(1)"},
    {.name = "trackinginfo", .proc = cmd_client_trackinginfo, .arity = 2,
     .flags = "noscript loading stale", .acl = "connection", .group = "connection",
     .since = "6.2.0", .summary = "Describes the client-side caching state of the connection.",
     .complexity = "O(1)"},
    {0}};

static command_t s_config_subs[] = {
    {.name = "get", .proc = cmd_config_get, .arity = -3, .flags = "admin noscript loading stale",
     .group = "server", .since = "2.0.0",
     .summary = "Returns the values of configuration parameters.",
     .complexity = "O(N), N being the number of parameters requested.",
     .history = "7.0.0 Several patterns may be given.",
     .args = "*block:parameter(string:parameter)"},
    {.name = "set", .proc = cmd_config_set, .arity = -4, .flags = "admin noscript loading stale",
     .tips = "request_policy:all_nodes response_policy:all_succeeded", .group = "server",
     .since = "2.0.0", .summary = "Changes configuration parameters.",
     .complexity = "O(N), N being the number of parameters given.",
     .history = "7.0.0 Several parameters may be set at once.",
     .args = "*block:parameter_value(string:parameter string:value)"},
    {.name = "resetstat", .proc = cmd_config_resetstat, .arity = 2,
     .flags = "admin noscript loading stale", .group = "server", .since = "2.0.0",
     .summary = "Resets the statistics reported by INFO.", .complexity = "O(1)"},
    {.name = "rewrite", .proc = cmd_config_rewrite, .arity = 2,
     .flags = "admin noscript loading stale", .group = "server", .since = "2.8.0",
     .summary = "Writes the running configuration back to the configuration file.",
     .complexity = "O(1)"},
    {.name = "help", .proc = cmd_config_help, .arity = 2, .flags = "loading stale",
     .group = "server", .since = "5.0.0", .summary = "Lists the CONFIG subcommands.",
     .complexity = "O(1)"},
    {0}};

static command_t s_command_subs[] = {
    {.name = "count", .proc = cmd_command_count, .arity = 2, .flags = "loading stale",
     .acl = "connection", .group = "server", .since = "2.8.13",
     .summary = "Returns the number of commands.", .complexity = "O(1)"},
    {.name = "info", .proc = cmd_command_info, .arity = -2, .flags = "loading stale",
     .acl = "connection", .tips = "nondeterministic_output_order", .group = "server",
     .since = "2.8.13", .summary = "Describes commands, or all of them when none is named.",
     .complexity = "O(N), N being the number of commands requested.",
     .history = "7.0.0 Without arguments, every command is described.",
     .args = "?*string:command-name"},
    {.name = "docs", .proc = cmd_command_docs, .arity = -2, .flags = "loading stale",
     .acl = "connection", .tips = "nondeterministic_output_order", .group = "server",
     .since = "7.0.0", .summary = "Returns the documentation of commands.",
     .complexity = "O(N), N being the number of commands requested.",
     .args = "?*string:command-name"},
    {.name = "list", .proc = cmd_command_list, .arity = -2, .flags = "loading stale",
     .acl = "connection", .tips = "nondeterministic_output_order", .group = "server",
     .since = "7.0.0", .summary = "Returns the names of commands, optionally filtered.",
     .complexity = "O(N), N being the number of commands.",
     .args = "?oneof:filterby=FILTERBY(string:module-name=MODULE string:category=ACLCAT "
             "pattern:pattern=PATTERN)"},
    {.name = "getkeys", .proc = cmd_command_getkeys, .arity = -4, .flags = "loading stale",
     .acl = "connection", .group = "server", .since = "2.8.13",
     .summary = "Returns the key arguments of a command line.",
     .complexity = "O(N), N being the number of arguments."},
    {.name = "getkeysandflags", .proc = cmd_command_getkeysandflags, .arity = -4,
     .flags = "loading stale", .acl = "connection", .group = "server", .since = "7.0.0",
     .summary = "Returns the key arguments of a command line with their access flags.",
     .complexity = "O(N), N being the number of arguments."},
    {.name = "help", .proc = cmd_command_help, .arity = 2, .flags = "loading stale",
     .acl = "connection", .group = "server", .since = "5.0.0",
     .summary = "Lists the COMMAND subcommands.", .complexity = "O(1)"},
    {0}};

static command_t s_core_commands[] = {
    {.name = "get", .proc = cmd_get, .arity = 2, .flags = "readonly fast", .acl = "string",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "string", .since = "1.0.0",
     .summary = "Returns the string value stored at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "set", .proc = cmd_set, .arity = -3, .flags = "write denyoom", .acl = "string",
     .keyspecs = "RW access update variable_flags;index:1;range:0,1,0;RW and ACCESS due to the "
                 "optional `GET` argument",
     .getkeys = s_set_getkeys, .group = "string", .since = "1.0.0",
     .summary = "Stores a string value at a key, with optional expiry and conditions.",
     .complexity = "O(1)",
     .history = "2.6.12 Options EX, PX, NX and XX.|6.0.0 Option KEEPTTL.|"
                "6.2.0 Options GET, EXAT and PXAT.|7.0.0 NX may be combined with GET.",
     .args = "key:key@0 string:value ?oneof:condition+2.6.12(=NX =XX) ?=GET+6.2.0 "
             "?oneof:expiration(integer:seconds=EX+2.6.12 integer:milliseconds=PX+2.6.12 "
             "unix-time:unix-time-seconds=EXAT+6.2.0 unix-time:unix-time-milliseconds=PXAT+6.2.0 "
             "=KEEPTTL+6.0.0)"},
    {.name = "setnx", .proc = cmd_setnx, .arity = 3, .flags = "write denyoom fast", .acl = "string",
     .keyspecs = "OW insert;index:1;range:0,1,0", .group = "string", .since = "1.0.0",
     .summary = "Stores a string value at a key only when the key is absent.", .complexity = "O(1)",
     .args = "key:key@0 string:value"},
    {.name = "setex", .proc = cmd_setex, .arity = 4, .flags = "write denyoom", .acl = "string",
     .keyspecs = "OW update;index:1;range:0,1,0", .group = "string", .since = "2.0.0",
     .summary = "Stores a string value at a key with a time to live in seconds.",
     .complexity = "O(1)", .args = "key:key@0 integer:seconds string:value"},
    {.name = "psetex", .proc = cmd_psetex, .arity = 4, .flags = "write denyoom", .acl = "string",
     .keyspecs = "OW update;index:1;range:0,1,0", .group = "string", .since = "2.6.0",
     .summary = "Stores a string value at a key with a time to live in milliseconds.",
     .complexity = "O(1)", .args = "key:key@0 integer:milliseconds string:value"},
    {.name = "mget", .proc = cmd_mget, .arity = -2, .flags = "readonly fast", .acl = "string",
     .keyspecs = "RO access;index:1;range:-1,1,0", .tips = "request_policy:multi_shard",
     .group = "string", .since = "1.0.0", .summary = "Returns the string values of several keys.",
     .complexity = "O(N), N being the number of keys requested.", .args = "*key:key@0"},
    {.name = "mset", .proc = cmd_mset, .arity = -3, .flags = "write denyoom", .acl = "string",
     .keyspecs = "OW update;index:1;range:-1,2,0",
     .tips = "request_policy:multi_shard response_policy:all_succeeded", .group = "string",
     .since = "1.0.1", .summary = "Stores string values at several keys at once.",
     .complexity = "O(N), N being the number of keys written.",
     .args = "*block:key_value(key:key@0 string:value)"},
    {.name = "msetnx", .proc = cmd_msetnx, .arity = -3, .flags = "write denyoom", .acl = "string",
     .keyspecs = "OW insert;index:1;range:-1,2,0",
     .tips = "request_policy:multi_shard response_policy:agg_min", .group = "string",
     .since = "1.0.1",
     .summary = "Stores string values at several keys only when none of them exists.",
     .complexity = "O(N), N being the number of keys written.",
     .args = "*block:key_value(key:key@0 string:value)"},
    {.name = "getset", .proc = cmd_getset, .arity = 3, .flags = "write denyoom fast",
     .acl = "string", .keyspecs = "RW access update;index:1;range:0,1,0", .group = "string",
     .since = "1.0.0", .summary = "Stores a string value at a key and returns the previous value.",
     .complexity = "O(1)", .doc_flags = "deprecated", .deprecated_since = "6.2.0",
     .replaced_by = "`SET` with its `GET` option", .args = "key:key@0 string:value"},
    {.name = "getex", .proc = cmd_getex, .arity = -2, .flags = "write fast", .acl = "string",
     .keyspecs = "RW access update;index:1;range:0,1,0;RW and UPDATE because it changes the TTL",
     .group = "string", .since = "6.2.0",
     .summary = "Returns the string value of a key and optionally changes its expiry.",
     .complexity = "O(1)",
     .args = "key:key@0 ?oneof:expiration(integer:seconds=EX integer:milliseconds=PX "
             "unix-time:unix-time-seconds=EXAT unix-time:unix-time-milliseconds=PXAT =PERSIST)"},
    {.name = "getdel", .proc = cmd_getdel, .arity = 2, .flags = "write fast", .acl = "string",
     .keyspecs = "RW access delete;index:1;range:0,1,0", .group = "string", .since = "6.2.0",
     .summary = "Returns the string value of a key and removes the key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "getrange", .proc = cmd_getrange, .arity = 4, .flags = "readonly", .acl = "string",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "string", .since = "2.4.0",
     .summary = "Returns a range of bytes from the string stored at a key.",
     .complexity = "O(N), N being the length of the returned range; small ranges are effectively "
                   "O(1).",
     .args = "key:key@0 integer:start integer:end"},
    {.name = "substr", .proc = cmd_substr, .arity = 4, .flags = "readonly", .acl = "string",
     .keyspecs = "RO access;index:1;range:0,1,0", .group = "string", .since = "1.0.0",
     .summary = "Returns a range of bytes from the string stored at a key.",
     .complexity = "O(N), N being the length of the returned range; small ranges are effectively "
                   "O(1).",
     .doc_flags = "deprecated", .deprecated_since = "2.0.0", .replaced_by = "`GETRANGE`",
     .args = "key:key@0 integer:start integer:end"},
    {.name = "setrange", .proc = cmd_setrange, .arity = 4, .flags = "write denyoom",
     .acl = "string", .keyspecs = "RW update;index:1;range:0,1,0", .group = "string",
     .since = "2.2.0", .summary = "Overwrites part of the string at a key, starting at an offset.",
     .complexity = "O(1) plus the cost of copying the new bytes: O(M), M being the length of the "
                   "value.",
     .args = "key:key@0 integer:offset string:value"},
    {.name = "incr", .proc = cmd_incr, .arity = 2, .flags = "write denyoom fast", .acl = "string",
     .keyspecs = "RW access update;index:1;range:0,1,0", .group = "string", .since = "1.0.0",
     .summary = "Adds one to the integer stored at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "incrby", .proc = cmd_incrby, .arity = 3, .flags = "write denyoom fast",
     .acl = "string", .keyspecs = "RW access update;index:1;range:0,1,0", .group = "string",
     .since = "1.0.0", .summary = "Adds an integer to the integer stored at a key.",
     .complexity = "O(1)", .args = "key:key@0 integer:increment"},
    {.name = "decr", .proc = cmd_decr, .arity = 2, .flags = "write denyoom fast", .acl = "string",
     .keyspecs = "RW access update;index:1;range:0,1,0", .group = "string", .since = "1.0.0",
     .summary = "Subtracts one from the integer stored at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "decrby", .proc = cmd_decrby, .arity = 3, .flags = "write denyoom fast",
     .acl = "string", .keyspecs = "RW access update;index:1;range:0,1,0", .group = "string",
     .since = "1.0.0", .summary = "Subtracts an integer from the integer stored at a key.",
     .complexity = "O(1)", .args = "key:key@0 integer:decrement"},
    {.name = "incrbyfloat", .proc = cmd_incrbyfloat, .arity = 3, .flags = "write denyoom fast",
     .acl = "string", .keyspecs = "RW access update;index:1;range:0,1,0", .group = "string",
     .since = "2.6.0", .summary = "Adds a floating point number to the number stored at a key.",
     .complexity = "O(1)", .args = "key:key@0 double:increment"},
    {.name = "append", .proc = cmd_append, .arity = 3, .flags = "write denyoom fast",
     .acl = "string", .keyspecs = "RW insert;index:1;range:0,1,0", .group = "string",
     .since = "2.0.0", .summary = "Appends bytes to the string stored at a key.",
     .complexity = "O(1) amortized: the string grows geometrically, so appending small values is "
                   "cheap.",
     .args = "key:key@0 string:value"},
    {.name = "strlen", .proc = cmd_strlen, .arity = 2, .flags = "readonly fast", .acl = "string",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "string", .since = "2.2.0",
     .summary = "Returns the length of the string stored at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "lcs", .proc = cmd_lcs, .arity = -3, .flags = "readonly", .acl = "string",
     .keyspecs = "RO access;index:1;range:1,1,0", .group = "string", .since = "7.0.0",
     .summary = "Finds the longest common subsequence of two strings.",
     .complexity = "O(N*M), N and M being the lengths of the two strings.",
     .args = "key:key1@0 key:key2@0 ?=LEN ?=IDX ?integer:len=MINMATCHLEN ?=WITHMATCHLEN"},

    {.name = "del", .proc = cmd_del, .arity = -2, .flags = "write", .acl = "keyspace",
     .keyspecs = "RM delete;index:1;range:-1,1,0",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .since = "1.0.0", .summary = "Removes keys.",
     .complexity = "O(N), N being the number of keys; removing a collection costs O(M) in its "
                   "number of elements.",
     .args = "*key:key@0"},
    {.name = "unlink", .proc = cmd_unlink, .arity = -2, .flags = "write fast", .acl = "keyspace",
     .keyspecs = "RM delete;index:1;range:-1,1,0",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .since = "4.0.0",
     .summary = "Removes keys, reclaiming the memory of large values in the background.",
     .complexity = "O(1) per key; freeing big values happens later, outside the command.",
     .args = "*key:key@0"},
    {.name = "exists", .proc = cmd_exists, .arity = -2, .flags = "readonly fast", .acl = "keyspace",
     .keyspecs = "RO;index:1;range:-1,1,0",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .since = "1.0.0", .summary = "Counts how many of the given keys exist.",
     .complexity = "O(N), N being the number of keys.", .history = "3.0.3 Takes several keys.",
     .args = "*key:key@0"},
    {.name = "type", .proc = cmd_type, .arity = 2, .flags = "readonly fast", .acl = "keyspace",
     .keyspecs = "RO;index:1;range:0,1,0", .group = "generic", .since = "1.0.0",
     .summary = "Returns the type of the value stored at a key.", .complexity = "O(1)",
     .args = "key:key@0"},
    {.name = "keys", .proc = cmd_keys, .arity = 2, .flags = "readonly", .acl = "keyspace dangerous",
     .tips = "request_policy:all_shards nondeterministic_output_order", .group = "generic",
     .since = "1.0.0", .summary = "Returns every key matching a glob pattern.",
     .complexity = "O(N), N being the number of keys in the database.", .args = "pattern:pattern"},
    {.name = "scan", .proc = cmd_scan, .arity = -2, .flags = "readonly", .acl = "keyspace",
     .tips = "nondeterministic_output request_policy:special", .group = "generic", .since = "2.8.0",
     .summary = "Iterates over the keys of the database with a cursor.",
     .complexity = "O(1) per call; a full iteration is O(N), N being the number of keys.",
     .history = "6.0.0 Option TYPE.",
     .args = "integer:cursor ?pattern:pattern=MATCH ?integer:count=COUNT ?string:type=TYPE+6.0.0"},
    {.name = "rename", .proc = cmd_rename, .arity = 3, .flags = "write", .acl = "keyspace",
     .keyspecs = "RW access delete;index:1;range:0,1,0|OW update;index:2;range:0,1,0",
     .group = "generic", .since = "1.0.0",
     .summary = "Gives a key a new name, replacing any key of that name.", .complexity = "O(1)",
     .args = "key:key@0 key:newkey@1"},
    {.name = "renamenx", .proc = cmd_renamenx, .arity = 3, .flags = "write fast", .acl = "keyspace",
     .keyspecs = "RW access delete;index:1;range:0,1,0|OW insert;index:2;range:0,1,0",
     .group = "generic", .since = "1.0.0",
     .summary = "Gives a key a new name only when no key has that name.", .complexity = "O(1)",
     .history = "3.2.0 Renaming a key to its own name is no longer an error.",
     .args = "key:key@0 key:newkey@1"},
    {.name = "copy", .proc = cmd_copy, .arity = -3, .flags = "write denyoom", .acl = "keyspace",
     .keyspecs = "RO access;index:1;range:0,1,0|OW update;index:2;range:0,1,0", .group = "generic",
     .since = "6.2.0", .summary = "Copies the value of a key to another key.",
     .complexity = "O(N) for collections, N being the number of nested elements; O(1) for strings.",
     .args = "key:source@0 key:destination@1 ?integer:destination-db=DB ?=REPLACE"},
    {.name = "move", .proc = cmd_move, .arity = 3, .flags = "write fast", .acl = "keyspace",
     .keyspecs = "RW access update;index:1;range:0,1,0", .group = "generic", .since = "1.0.0",
     .summary = "Moves a key to another database.", .complexity = "O(1)",
     .args = "key:key@0 integer:db"},
    {.name = "touch", .proc = cmd_touch, .arity = -2, .flags = "readonly fast", .acl = "keyspace",
     .keyspecs = "RO;index:1;range:-1,1,0",
     .tips = "request_policy:multi_shard response_policy:agg_sum", .group = "generic",
     .since = "3.2.1",
     .summary = "Updates the last access time of keys and counts those that exist.",
     .complexity = "O(N), N being the number of keys.", .args = "*key:key@0"},
    {.name = "randomkey", .proc = cmd_randomkey, .arity = 1, .flags = "readonly", .acl = "keyspace",
     .tips = "request_policy:all_shards nondeterministic_output", .group = "generic",
     .since = "1.0.0", .summary = "Returns a key picked at random.", .complexity = "O(1)"},
    {.name = "expire", .proc = cmd_expire, .arity = -3, .flags = "write fast", .acl = "keyspace",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "generic", .since = "1.0.0",
     .summary = "Sets the time to live of a key in seconds.", .complexity = "O(1)",
     .history = "7.0.0 Conditions NX, XX, GT and LT.",
     .args = "key:key@0 integer:seconds ?oneof:condition+7.0.0(=NX =XX =GT =LT)"},
    {.name = "pexpire", .proc = cmd_pexpire, .arity = -3, .flags = "write fast", .acl = "keyspace",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "generic", .since = "2.6.0",
     .summary = "Sets the time to live of a key in milliseconds.", .complexity = "O(1)",
     .history = "7.0.0 Conditions NX, XX, GT and LT.",
     .args = "key:key@0 integer:milliseconds ?oneof:condition+7.0.0(=NX =XX =GT =LT)"},
    {.name = "expireat", .proc = cmd_expireat, .arity = -3, .flags = "write fast",
     .acl = "keyspace", .keyspecs = "RW update;index:1;range:0,1,0", .group = "generic",
     .since = "1.2.0", .summary = "Sets the expiry of a key as a Unix time in seconds.",
     .complexity = "O(1)", .history = "7.0.0 Conditions NX, XX, GT and LT.",
     .args = "key:key@0 unix-time:unix-time-seconds ?oneof:condition+7.0.0(=NX =XX =GT =LT)"},
    {.name = "pexpireat", .proc = cmd_pexpireat, .arity = -3, .flags = "write fast",
     .acl = "keyspace", .keyspecs = "RW update;index:1;range:0,1,0", .group = "generic",
     .since = "2.6.0", .summary = "Sets the expiry of a key as a Unix time in milliseconds.",
     .complexity = "O(1)", .history = "7.0.0 Conditions NX, XX, GT and LT.",
     .args = "key:key@0 unix-time:unix-time-milliseconds ?oneof:condition+7.0.0(=NX =XX =GT =LT)"},
    {.name = "ttl", .proc = cmd_ttl, .arity = 2, .flags = "readonly fast", .acl = "keyspace",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "generic", .since = "1.0.0",
     .summary = "Returns the remaining time to live of a key in seconds.", .complexity = "O(1)",
     .history = "2.8.0 A missing key gives -2.", .args = "key:key@0"},
    {.name = "pttl", .proc = cmd_pttl, .arity = 2, .flags = "readonly fast", .acl = "keyspace",
     .keyspecs = "RO access;index:1;range:0,1,0", .tips = "nondeterministic_output",
     .group = "generic", .since = "2.6.0",
     .summary = "Returns the remaining time to live of a key in milliseconds.",
     .complexity = "O(1)", .history = "2.8.0 A missing key gives -2.", .args = "key:key@0"},
    {.name = "persist", .proc = cmd_persist, .arity = 2, .flags = "write fast", .acl = "keyspace",
     .keyspecs = "RW update;index:1;range:0,1,0", .group = "generic", .since = "2.2.0",
     .summary = "Removes the time to live of a key.", .complexity = "O(1)", .args = "key:key@0"},
    {.name = "expiretime", .proc = cmd_expiretime, .arity = 2, .flags = "readonly fast",
     .acl = "keyspace", .keyspecs = "RO access;index:1;range:0,1,0", .group = "generic",
     .since = "7.0.0", .summary = "Returns the Unix time in seconds at which a key expires.",
     .complexity = "O(1)", .args = "key:key@0"},
    {.name = "pexpiretime", .proc = cmd_pexpiretime, .arity = 2, .flags = "readonly fast",
     .acl = "keyspace", .keyspecs = "RO access;index:1;range:0,1,0", .group = "generic",
     .since = "7.0.0", .summary = "Returns the Unix time in milliseconds at which a key expires.",
     .complexity = "O(1)", .args = "key:key@0"},
    {.name = "dbsize", .proc = cmd_dbsize, .arity = 1, .flags = "readonly fast", .acl = "keyspace",
     .tips = "request_policy:all_shards response_policy:agg_sum", .group = "server",
     .since = "1.0.0", .summary = "Returns the number of keys in the current database.",
     .complexity = "O(1)"},
    {.name = "flushdb", .proc = cmd_flushdb, .arity = -1, .flags = "write",
     .acl = "keyspace dangerous", .tips = "request_policy:all_shards response_policy:all_succeeded",
     .group = "server", .since = "1.0.0", .summary = "Removes every key of the current database.",
     .complexity = "O(N), N being the number of keys in the database.",
     .history = "4.0.0 Modifier ASYNC.|6.2.0 Modifier SYNC.",
     .args = "?oneof:async(=ASYNC+4.0.0 =SYNC+6.2.0)"},
    {.name = "flushall", .proc = cmd_flushall, .arity = -1, .flags = "write",
     .acl = "keyspace dangerous", .tips = "request_policy:all_shards response_policy:all_succeeded",
     .group = "server", .since = "1.0.0", .summary = "Removes every key of every database.",
     .complexity = "O(N), N being the number of keys in all databases.",
     .history = "4.0.0 Modifier ASYNC.|6.2.0 Modifier SYNC.",
     .args = "?oneof:async(=ASYNC+4.0.0 =SYNC+6.2.0)"},
    {.name = "swapdb", .proc = cmd_swapdb, .arity = 3, .flags = "write fast",
     .acl = "keyspace dangerous", .group = "server", .since = "4.0.0",
     .summary = "Exchanges the contents of two databases.",
     .complexity = "O(N), N being the number of clients watching or blocked on keys of either "
                   "database.",
     .args = "integer:index1 integer:index2"},
    {.name = "object", .proc = NULL, .arity = -2, .flags = "", .group = "generic", .since = "2.2.3",
     .summary = "Inspects the internals of stored values.",
     .complexity = "Depends on the subcommand.", .subcommands = s_object_subs},

    {.name = "ping", .proc = cmd_ping, .arity = -1, .flags = "fast", .acl = "connection",
     .tips = "request_policy:all_shards response_policy:all_succeeded", .group = "connection",
     .since = "1.0.0", .summary = "Checks that the server answers.", .complexity = "O(1)",
     .args = "?string:message"},
    {.name = "echo", .proc = cmd_echo, .arity = 2, .flags = "loading stale fast",
     .acl = "connection", .group = "connection", .since = "1.0.0",
     .summary = "Returns its argument.", .complexity = "O(1)", .args = "string:message"},
    {.name = "auth", .proc = cmd_auth, .arity = -2,
     .flags = "noscript loading stale fast no_auth allow_busy", .acl = "connection",
     .group = "connection", .since = "1.0.0",
     .summary = "Authenticates the connection (the default user and requirepass until ACLs).",
     .complexity = "O(N) where N is the number of passwords defined for the user",
     .history = "6.0.0 Added ACL style (username and password).",
     .args = "?string:username+6.0.0 string:password"},
    {.name = "hello", .proc = cmd_hello, .arity = -1,
     .flags = "noscript loading stale fast no_auth allow_busy", .acl = "connection",
     .group = "connection", .since = "6.0.0",
     .summary = "Negotiates the protocol version and describes the connection.",
     .complexity = "O(1)",
     .history = "6.2.0 Protocol version optional; with no arguments it describes the connection.",
     .args = "?block:arguments(integer:protover ?block:username_password=AUTH(string:username "
             "string:password) ?string:clientname=SETNAME)"},
    {.name = "quit", .proc = cmd_quit, .arity = -1,
     .flags = "noscript loading stale fast no_auth allow_busy", .acl = "connection",
     .group = "connection", .since = "1.0.0", .summary = "Closes the connection.",
     .complexity = "O(1)"},
    {.name = "reset", .proc = cmd_reset, .arity = 1,
     .flags = "noscript loading stale fast no_auth allow_busy", .acl = "connection",
     .group = "connection", .since = "6.2.0",
     .summary = "Returns the connection to its initial state.", .complexity = "O(1)"},
    {.name = "select", .proc = cmd_select, .arity = 2, .flags = "loading stale fast",
     .acl = "connection", .group = "connection", .since = "1.0.0",
     .summary = "Changes the database of the connection.", .complexity = "O(1)",
     .args = "integer:index"},
    {.name = "time", .proc = cmd_time, .arity = 1, .flags = "loading stale fast",
     .tips = "nondeterministic_output", .group = "server", .since = "2.6.0",
     .summary = "Returns the server's clock.", .complexity = "O(1)"},
    {.name = "info", .proc = cmd_info, .arity = -1, .flags = "loading stale", .acl = "dangerous",
     .tips = "nondeterministic_output request_policy:all_shards response_policy:special",
     .group = "server", .since = "1.0.0",
     .summary = "Returns information and statistics about the server.", .complexity = "O(1)",
     .history = "7.0.0 Several sections may be requested at once.", .args = "?*string:section"},
    {.name = "debug", .proc = cmd_debug, .arity = -2,
     .flags = "admin noscript loading stale protected", .group = "server", .since = "1.0.0",
     .summary = "Debugging and testing helpers.", .complexity = "Depends on the subcommand.",
     .doc_flags = "syscmd"},
    {.name = "client", .proc = NULL, .arity = -2, .flags = "", .group = "connection",
     .since = "2.4.0", .summary = "Inspects and manages client connections.",
     .complexity = "Depends on the subcommand.", .subcommands = s_client_subs},
    {.name = "config", .proc = NULL, .arity = -2, .flags = "", .group = "server", .since = "2.0.0",
     .summary = "Reads and changes the server configuration.",
     .complexity = "Depends on the subcommand.", .subcommands = s_config_subs},
    {.name = "command", .proc = cmd_command, .arity = -1, .flags = "loading stale",
     .acl = "connection", .tips = "nondeterministic_output_order", .group = "server",
     .since = "2.8.13", .summary = "Describes the commands of the server.",
     .complexity = "O(N), N being the number of commands.", .subcommands = s_command_subs},
    {0}};
// clang-format on

/* ===================== notation parsers ===================== */

static char *s_strndup(const char *p, size_t n) {
    char *s = malloc(n + 1);
    if (!s) abort();
    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/* Parses a decimal int in [p, end) (optional leading '-'); returns 0 or -1. */
static int s_parse_int(const char *p, const char *end, int *out) {
    long long v;
    if (p >= end || !str_to_ll(p, (size_t)(end - p), &v) || v < -100000 || v > 100000) return -1;
    *out = (int)v;
    return 0;
}

/* Parses "A,B,C" in [p, end) into three ints. */
static int s_parse_int3(const char *p, const char *end, int *a, int *b, int *c) {
    const char *c1 = memchr(p, ',', (size_t)(end - p));
    if (!c1) return -1;
    const char *c2 = memchr(c1 + 1, ',', (size_t)(end - c1 - 1));
    if (!c2) return -1;
    if (s_parse_int(p, c1, a) || s_parse_int(c1 + 1, c2, b) || s_parse_int(c2 + 1, end, c))
        return -1;
    return 0;
}

static int s_starts(const char *p, const char *end, const char *lit) {
    size_t n = strlen(lit);
    return (size_t)(end - p) >= n && memcmp(p, lit, n) == 0;
}

static int s_parse_one_spec(const char *p, const char *end, cmd_keyspec_t *ks, const char **err) {
    memset(ks, 0, sizeof(*ks));
    const char *f[4];
    size_t flen[4];
    int nf = 0;
    const char *q = p;
    /* three ';'-separated fields, then the notes take the rest */
    while (nf < 3) {
        const char *semi = memchr(q, ';', (size_t)(end - q));
        if (!semi) break;
        f[nf] = q;
        flen[nf++] = (size_t)(semi - q);
        q = semi + 1;
    }
    if (nf < 2) {
        *err = "key spec needs FLAGS;BEGIN;FIND";
        return -1;
    }
    f[nf] = q;
    flen[nf++] = (size_t)(end - q);
    if (nf == 4) {
        if (flen[3] == 0) {
            *err = "empty key spec notes";
            return -1;
        }
        ks->notes = s_strndup(f[3], flen[3]);
    }

    /* flags */
    const char *w = f[0], *fe = f[0] + flen[0];
    while (w < fe) {
        while (w < fe && *w == ' ')
            w++;
        const char *we = w;
        while (we < fe && *we != ' ')
            we++;
        if (we == w) break;
        uint64_t bit = s_bit_by_name(keyspec_flag_names, w, (size_t)(we - w));
        if (!bit) {
            *err = "unknown key spec flag";
            return -1;
        }
        ks->flags |= (uint32_t)bit;
        w = we;
    }

    /* begin search */
    const char *b = f[1], *be = f[1] + flen[1];
    if (s_starts(b, be, "index:")) {
        ks->bs_type = KS_BS_INDEX;
        if (s_parse_int(b + 6, be, &ks->bs_index) || ks->bs_index < 1) {
            *err = "bad index: begin search";
            return -1;
        }
    } else if (s_starts(b, be, "keyword:")) {
        ks->bs_type = KS_BS_KEYWORD;
        const char *kw = b + 8;
        const char *comma = memchr(kw, ',', (size_t)(be - kw));
        if (!comma || comma == kw || s_parse_int(comma + 1, be, &ks->bs_startfrom) ||
            ks->bs_startfrom == 0) {
            *err = "bad keyword: begin search";
            return -1;
        }
        ks->bs_keyword = s_strndup(kw, (size_t)(comma - kw));
    } else if ((size_t)(be - b) == 7 && memcmp(b, "unknown", 7) == 0) {
        ks->bs_type = KS_BS_UNKNOWN;
    } else {
        *err = "unknown begin search type";
        return -1;
    }

    /* find keys */
    const char *k = f[2], *ke = f[2] + flen[2];
    if (s_starts(k, ke, "range:")) {
        ks->fk_type = KS_FK_RANGE;
        if (s_parse_int3(k + 6, ke, &ks->fk_lastkey, &ks->fk_keystep, &ks->fk_limit) ||
            ks->fk_keystep < 1 || ks->fk_limit < 0 || (ks->fk_limit > 0 && ks->fk_lastkey != -1)) {
            *err = "bad range: find keys";
            return -1;
        }
    } else if (s_starts(k, ke, "keynum:")) {
        ks->fk_type = KS_FK_KEYNUM;
        if (s_parse_int3(k + 7, ke, &ks->fk_keynumidx, &ks->fk_firstkey, &ks->fk_keystep) ||
            ks->fk_keystep < 1 || ks->fk_keynumidx < 0 || ks->fk_firstkey < 1) {
            *err = "bad keynum: find keys";
            return -1;
        }
    } else if ((size_t)(ke - k) == 7 && memcmp(k, "unknown", 7) == 0) {
        ks->fk_type = KS_FK_UNKNOWN;
    } else {
        *err = "unknown find keys type";
        return -1;
    }
    return 0;
}

void command_free_keyspecs(cmd_keyspec_t *specs, int n) {
    for (int i = 0; i < n; i++) {
        free(specs[i].notes);
        free(specs[i].bs_keyword);
    }
    free(specs);
}

int command_parse_keyspecs(const char *s, cmd_keyspec_t **out, int *n, const char **err) {
    *out = NULL;
    *n = 0;
    if (!s || !*s) return 0;
    int count = 1;
    for (const char *p = s; *p; p++)
        if (*p == '|') count++;
    cmd_keyspec_t *specs = calloc((size_t)count, sizeof(*specs));
    if (!specs) abort();
    const char *p = s;
    for (int i = 0; i < count; i++) {
        const char *end = strchr(p, '|');
        if (!end) end = p + strlen(p);
        if (s_parse_one_spec(p, end, &specs[i], err) < 0) {
            command_free_keyspecs(specs, i + 1);
            return -1;
        }
        p = end + 1;
    }
    *out = specs;
    *n = count;
    return 0;
}

void command_free_args(cmd_arg_t *args, int n) {
    for (int i = 0; i < n; i++) {
        free(args[i].name);
        free(args[i].token);
        free(args[i].since);
        free(args[i].deprecated_since);
        command_free_args(args[i].sub, args[i].nsub);
    }
    free(args);
}

static const char *s_scan_until(const char *p, const char *stops) {
    while (*p && !strchr(stops, *p))
        p++;
    return p;
}

static int s_parse_arg_list(const char **pp, char close, cmd_arg_t **out, int *n, const char **err);

static int s_parse_arg(const char **pp, cmd_arg_t *a, const char **err) {
    const char *p = *pp;
    memset(a, 0, sizeof(*a));
    a->key_spec_index = -1;
    for (;; p++) {
        if (*p == '?')
            a->flags |= ARGF_OPTIONAL;
        else if (*p == '*')
            a->flags |= ARGF_MULTIPLE;
        else if (*p == '&')
            a->flags |= ARGF_MULTIPLE_TOKEN;
        else
            break;
    }
    if (*p == '=') { /* shorthand pure-token */
        const char *t = p + 1, *te = s_scan_until(t, "@+!( )");
        if (te == t) {
            *err = "empty token";
            return -1;
        }
        a->type = ARG_PURE_TOKEN;
        a->token = s_strndup(t, (size_t)(te - t));
        a->name = s_strndup(t, (size_t)(te - t));
        for (char *c = a->name; *c; c++)
            if (*c >= 'A' && *c <= 'Z') *c += 32;
        p = te;
    } else {
        const char *colon = s_scan_until(p, ": ()");
        if (*colon != ':') {
            *err = "argument needs TYPE:NAME";
            return -1;
        }
        a->type = -1;
        for (int t = 0; t < ARG_TYPE_COUNT; t++)
            if (strlen(arg_type_names[t]) == (size_t)(colon - p) &&
                memcmp(arg_type_names[t], p, (size_t)(colon - p)) == 0)
                a->type = t;
        if (a->type < 0) {
            *err = "unknown argument type";
            return -1;
        }
        const char *nm = colon + 1, *nme = s_scan_until(nm, "=@+!( )");
        if (nme == nm) {
            *err = "empty argument name";
            return -1;
        }
        a->name = s_strndup(nm, (size_t)(nme - nm));
        p = nme;
        if (*p == '=') {
            const char *t = p + 1, *te = s_scan_until(t, "@+!( )");
            if (te == t) {
                *err = "empty token";
                return -1;
            }
            a->token = s_strndup(t, (size_t)(te - t));
            p = te;
        }
    }
    for (;;) {
        if (*p == '@') {
            const char *v = p + 1, *ve = s_scan_until(v, "@+!( )");
            if (s_parse_int(v, ve, &a->key_spec_index) || a->key_spec_index < 0) {
                *err = "bad key spec index";
                return -1;
            }
            p = ve;
        } else if (*p == '+' || *p == '!') {
            const char *v = p + 1, *ve = s_scan_until(v, "@+!( )");
            if (ve == v) {
                *err = "empty version";
                return -1;
            }
            char **dst = *p == '+' ? &a->since : &a->deprecated_since;
            if (*dst) {
                *err = "version given twice";
                return -1;
            }
            *dst = s_strndup(v, (size_t)(ve - v));
            p = ve;
        } else {
            break;
        }
    }
    if (*p == '(') {
        p++;
        if (s_parse_arg_list(&p, ')', &a->sub, &a->nsub, err) < 0) return -1;
        if (*p != ')') {
            *err = "missing ')'";
            return -1;
        }
        p++;
    }
    int container = a->type == ARG_ONEOF || a->type == ARG_BLOCK;
    if (container != (a->nsub > 0)) {
        *err = "only oneof and block arguments have members, and they must";
        return -1;
    }
    if (a->type == ARG_PURE_TOKEN && !a->token) {
        *err = "pure-token without a token";
        return -1;
    }
    /* a key always names its spec; a pattern may (SORT's BY/GET patterns name the keys they
     * read); nothing else does */
    if ((a->type == ARG_KEY && a->key_spec_index < 0) ||
        (a->type != ARG_KEY && a->type != ARG_PATTERN && a->key_spec_index >= 0)) {
        *err = "key arguments must name a key spec, and only they and patterns may";
        return -1;
    }
    *pp = p;
    return 0;
}

static int s_parse_arg_list(const char **pp, char close, cmd_arg_t **out, int *n,
                            const char **err) {
    const char *p = *pp;
    int cap = 4, count = 0;
    cmd_arg_t *args = calloc((size_t)cap, sizeof(*args));
    if (!args) abort();
    for (;;) {
        while (*p == ' ')
            p++;
        if (*p == close) break;
        if (*p == '\0' || *p == ')') {
            *err = close ? "missing ')'" : "unbalanced ')'";
            command_free_args(args, count);
            return -1;
        }
        if (count == cap) {
            cap *= 2;
            args = realloc(args, (size_t)cap * sizeof(*args));
            if (!args) abort();
        }
        if (s_parse_arg(&p, &args[count], err) < 0) {
            command_free_args(args, count + 1);
            return -1;
        }
        count++;
        if (*p != ' ' && *p != close) {
            *err = "unexpected character after an argument";
            command_free_args(args, count);
            return -1;
        }
    }
    *pp = p;
    *out = args;
    *n = count;
    return 0;
}

int command_parse_args(const char *s, cmd_arg_t **out, int *n, const char **err) {
    *out = NULL;
    *n = 0;
    if (!s || !*s) return 0;
    const char *p = s;
    cmd_arg_t *args;
    int count;
    if (s_parse_arg_list(&p, '\0', &args, &count, err) < 0) return -1;
    if (count == 0) {
        free(args);
        return 0;
    }
    *out = args;
    *n = count;
    return 0;
}

/* ===================== start-up ===================== */

static uint64_t s_implied_acl(uint64_t flags, uint64_t acl) {
    if (flags & CMD_WRITE) acl |= ACL_WRITE;
    if ((flags & CMD_READONLY) && !(acl & ACL_SCRIPTING)) acl |= ACL_READ;
    if (flags & CMD_ADMIN) acl |= ACL_ADMIN | ACL_DANGEROUS;
    if (flags & CMD_PUBSUB) acl |= ACL_PUBSUB;
    if (flags & CMD_FAST) acl |= ACL_FAST;
    if (flags & CMD_BLOCKING) acl |= ACL_BLOCKING;
    if (!(acl & ACL_FAST)) acl |= ACL_SLOW;
    return acl;
}

/* Redis's legacy (first, last, step) triple: the one spec when there is a single plain range,
 * else the union of the consecutive plain ranges; anything it cannot express makes the
 * command "movablekeys". */
static void s_legacy_range(command_t *c) {
    c->first_key = c->last_key = c->key_step = 0;
    if (c->nspecs == 0) return;
    const cmd_keyspec_t *s0 = &c->specs[0];
    if (c->nspecs == 1 && s0->bs_type == KS_BS_INDEX && s0->fk_type == KS_FK_RANGE) {
        c->first_key = s0->bs_index;
        c->last_key = s0->fk_lastkey >= 0 ? s0->fk_lastkey + s0->bs_index : s0->fk_lastkey;
        c->key_step = s0->fk_keystep;
        if (s0->flags & KS_INCOMPLETE) c->flagbits |= CMD_MOVABLE_KEYS;
        return;
    }
    int first = -1;
    unsigned last = 0, prev_last = 0;
    for (int i = 0; i < c->nspecs; i++) {
        const cmd_keyspec_t *s = &c->specs[i];
        if (s->bs_type != KS_BS_INDEX || s->fk_type != KS_FK_RANGE || s->fk_keystep != 1 ||
            (prev_last && prev_last != (unsigned)(s->bs_index - 1))) {
            c->flagbits |= CMD_MOVABLE_KEYS;
            continue;
        }
        if (s->flags & KS_INCOMPLETE) c->flagbits |= CMD_MOVABLE_KEYS;
        if (first < 0 || s->bs_index < first) first = s->bs_index;
        int abs_last = s->fk_lastkey >= 0 ? s->fk_lastkey + s->bs_index : s->fk_lastkey;
        /* unsigned, so a negative (count from the end) last key wins */
        if ((unsigned)abs_last > last) last = (unsigned)abs_last;
        prev_last = last;
    }
    if (first < 0) {
        c->flagbits |= CMD_MOVABLE_KEYS;
        return;
    }
    c->first_key = first;
    c->last_key = (int)last;
    c->key_step = 1;
}

static void s_die(const command_t *c, const char *what, const char *err) {
    fprintf(stderr, "command table: row '%s': %s: %s\n", c->fullname, what, err);
    abort();
}

/* Walks the args checking key spec indexes. */
static int s_args_keyspec_ok(const cmd_arg_t *a, int n, int nspecs) {
    for (int i = 0; i < n; i++) {
        if (a[i].key_spec_index >= nspecs) return 0;
        if (!s_args_keyspec_ok(a[i].sub, a[i].nsub, nspecs)) return 0;
    }
    return 1;
}

static void s_init_row(command_t *c, command_t *parent) {
    const char *err = "";
    c->parent = parent;
    int n = parent ? snprintf(c->fullname, sizeof(c->fullname), "%s|%s", parent->name, c->name)
                   : snprintf(c->fullname, sizeof(c->fullname), "%s", c->name);
    if (n < 0 || (size_t)n >= sizeof(c->fullname)) s_die(c, "name", "too long");
    for (const char *p = c->name; *p; p++)
        if ((*p >= 'A' && *p <= 'Z') || *p == '|' || *p == ' ') s_die(c, "name", "not lowercase");
    if (c->arity == 0) s_die(c, "arity", "zero");
    if (!c->group || !c->since || !c->summary || !c->complexity) s_die(c, "docs", "missing");
    if (s_parse_words(command_flag_names, c->flags, &c->flagbits) < 0)
        s_die(c, "flags", "unknown word");
    uint64_t acl;
    if (s_parse_words(acl_category_names, c->acl, &acl) < 0) s_die(c, "acl", "unknown category");
    c->aclbits = s_implied_acl(c->flagbits, acl);
    if (command_parse_keyspecs(c->keyspecs, &c->specs, &c->nspecs, &err) < 0)
        s_die(c, "keyspecs", err);
    if (command_parse_args(c->args, &c->docargs, &c->ndocargs, &err) < 0) s_die(c, "args", err);
    if (!s_args_keyspec_ok(c->docargs, c->ndocargs, c->nspecs))
        s_die(c, "args", "key spec index out of range");
    s_legacy_range(c);
    c->nsubcommands = 0;
    if (c->subcommands) {
        if (parent) s_die(c, "subcommands", "only one level");
        for (command_t *s = c->subcommands; s->name; s++) {
            s_init_row(s, c);
            c->nsubcommands++;
        }
        if (c->nsubcommands == 0) s_die(c, "subcommands", "empty");
    } else if (!c->proc) {
        s_die(c, "proc", "missing");
    }
}

/* ----- the lookup index ----- */

typedef struct {
    const command_t *cmd; /* NULL: empty slot */
    uint32_t hash;
    uint32_t len;
} s_slot_t;

static command_t *s_commands; /* every group joined, see commands_init() */
static s_slot_t *s_slots;
static uint32_t s_mask;
static int s_ready;
static int s_count; /* top-level rows */

static unsigned char s_foldtab[256]; /* ASCII lowercase, like strcasecmp in the C locale */

static uint32_t s_hash(const command_t *parent, const char *p, size_t len) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < len; i++) {
        h ^= s_foldtab[(unsigned char)p[i]];
        h *= 16777619u;
    }
    if (parent) h ^= (uint32_t)(parent - s_commands + 1) * 0x9e3779b1u;
    return h;
}

static void s_index_add(const command_t *c) {
    size_t len = strlen(c->name);
    uint32_t h = s_hash(c->parent, c->name, len);
    uint32_t i = h & s_mask;
    while (s_slots[i].cmd) {
        if (s_slots[i].cmd->parent == c->parent && s_slots[i].len == len &&
            memcmp(s_slots[i].cmd->name, c->name, len) == 0)
            s_die(c, "name", "duplicate");
        i = (i + 1) & s_mask;
    }
    s_slots[i].cmd = c;
    s_slots[i].hash = h;
    s_slots[i].len = (uint32_t)len;
}

static const command_t *s_find(const command_t *parent, const char *p, size_t len) {
    uint32_t h = s_hash(parent, p, len);
    for (uint32_t i = h & s_mask;; i = (i + 1) & s_mask) {
        const s_slot_t *s = &s_slots[i];
        if (!s->cmd) return NULL;
        if (s->hash != h || s->len != len || s->cmd->parent != parent) continue;
        const char *name = s->cmd->name;
        size_t j = 0;
        while (j < len && s_foldtab[(unsigned char)p[j]] == (unsigned char)name[j])
            j++;
        if (j == len) return s->cmd;
    }
}

/* The groups of rows: the core ones above, and each data type's own table, defined in its
 * file under engine/types/ (NULL-name terminated). commands_init() joins them into one array
 * so everything that walks the table sees a single list. */
extern command_t hash_commands[], list_commands[], set_commands[], zset_commands[],
    bitops_commands[], hll_commands[], geo_commands[], sort_commands[], memory_commands[],
    multi_commands[], pubsub_commands[], blocking_commands[], stream_commands[],
    monitor_commands[];
static command_t *const s_groups[] = {s_core_commands, hash_commands,     list_commands,
                                      set_commands,    zset_commands,     bitops_commands,
                                      hll_commands,    geo_commands,      sort_commands,
                                      memory_commands, multi_commands,    pubsub_commands,
                                      blocking_commands, stream_commands, monitor_commands};

/* Tables registered by later files (Vole's own features) through command_group_register. */
#define EXTRA_GROUPS_MAX 32
static command_t *s_extra_groups[EXTRA_GROUPS_MAX];
static size_t s_nextra;

void command_group_register(command_t *rows) {
    if (s_nextra == EXTRA_GROUPS_MAX) abort(); /* programming error: raise the limit */
    s_extra_groups[s_nextra++] = rows;
}

static void s_join_groups(void) {
    size_t n = 0, ngroups = sizeof s_groups / sizeof s_groups[0];
    for (size_t g = 0; g < ngroups + s_nextra; g++)
        for (command_t *c = g < ngroups ? s_groups[g] : s_extra_groups[g - ngroups]; c->name; c++)
            n++;
    s_commands = calloc(n + 1, sizeof *s_commands);
    if (!s_commands) abort();
    n = 0;
    for (size_t g = 0; g < ngroups + s_nextra; g++)
        for (command_t *c = g < ngroups ? s_groups[g] : s_extra_groups[g - ngroups]; c->name; c++)
            s_commands[n++] = *c;
}

void commands_init(void) {
    if (s_ready) return;
    for (int i = 0; i < 256; i++)
        s_foldtab[i] = (unsigned char)((i >= 'A' && i <= 'Z') ? i + 32 : i);
    s_join_groups();
    size_t total = 0;
    s_count = 0;
    for (command_t *c = s_commands; c->name; c++) {
        s_init_row(c, NULL);
        s_count++;
        total += 1 + (size_t)c->nsubcommands;
    }
    /* load factor at most 1/4 keeps probe runs short */
    uint32_t size = 16;
    while (size < total * 4)
        size <<= 1;
    s_slots = calloc(size, sizeof(*s_slots));
    if (!s_slots) abort();
    s_mask = size - 1;
    for (command_t *c = s_commands; c->name; c++) {
        s_index_add(c);
        for (command_t *s = c->subcommands; s && s->name; s++)
            s_index_add(s);
    }
    s_ready = 1;
}

command_t *commands_table(void) { return s_commands; }

int commands_count(void) { return s_count; }

const command_t *command_lookup(int argc, const proto_arg_t *argv) {
    if (argc < 1) return NULL;
    const command_t *base = s_find(NULL, argv[0].ptr, argv[0].len);
    if (!base || argc == 1 || !base->subcommands) return base;
    return s_find(base, argv[1].ptr, argv[1].len);
}

const command_t *command_by_fullname(const char *name, size_t len) {
    const char *bar = memchr(name, '|', len);
    if (!bar) return s_find(NULL, name, len);
    const command_t *base = s_find(NULL, name, (size_t)(bar - name));
    if (!base || !base->subcommands) return NULL;
    const char *sub = bar + 1;
    size_t sublen = len - (size_t)(sub - name);
    if (memchr(sub, '|', sublen)) return NULL; /* one level of subcommands only */
    return s_find(base, sub, sublen);
}

/* ===================== key extraction ===================== */

void cmd_keys_init(cmd_keys_t *k) {
    k->keys = k->local;
    k->numkeys = 0;
    k->cap = (int)(sizeof(k->local) / sizeof(k->local[0]));
}

void cmd_keys_free(cmd_keys_t *k) {
    if (k->keys != k->local) free(k->keys);
    cmd_keys_init(k);
}

void cmd_keys_add(cmd_keys_t *k, int pos, uint32_t flags) {
    if (k->numkeys == k->cap) {
        int cap = k->cap * 2;
        cmd_keyref_t *n = malloc((size_t)cap * sizeof(*n));
        if (!n) abort();
        memcpy(n, k->keys, (size_t)k->numkeys * sizeof(*n));
        if (k->keys != k->local) free(k->keys);
        k->keys = n;
        k->cap = cap;
    }
    k->keys[k->numkeys].pos = pos;
    k->keys[k->numkeys].flags = flags;
    k->numkeys++;
}

/* Keys from the specs; -1 when the arguments do not fit them (or a spec cannot be followed),
 * so the caller may fall back to the row's getkeys. */
static int s_keys_from_specs(const command_t *cmd, int argc, const proto_arg_t *argv,
                             cmd_keys_t *out) {
    for (int j = 0; j < cmd->nspecs; j++) {
        const cmd_keyspec_t *s = &cmd->specs[j];
        if (s->flags & KS_NOT_KEY) continue;
        long first = 0, last, step;
        if (s->bs_type == KS_BS_INDEX) {
            first = s->bs_index;
        } else if (s->bs_type == KS_BS_KEYWORD) {
            int from = s->bs_startfrom > 0 ? s->bs_startfrom : argc + s->bs_startfrom;
            int to = s->bs_startfrom > 0 ? argc - 1 : 1;
            int dir = from <= to ? 1 : -1;
            for (int i = from; i != to; i += dir) {
                if (i >= argc || i < 1) break;
                if (s_word_eq(argv[i].ptr, argv[i].len, s->bs_keyword)) {
                    first = i + 1;
                    break;
                }
            }
            if (!first) continue; /* the keyword is absent: no keys from this spec */
        } else {
            goto invalid;
        }
        if (s->fk_type == KS_FK_RANGE) {
            step = s->fk_keystep;
            if (s->fk_lastkey >= 0)
                last = first + s->fk_lastkey;
            else if (!s->fk_limit)
                last = argc + s->fk_lastkey;
            else
                last = first + ((argc - first) / s->fk_limit + s->fk_lastkey);
        } else if (s->fk_type == KS_FK_KEYNUM) {
            step = s->fk_keystep;
            long long nkeys;
            long at = first + s->fk_keynumidx;
            if (at >= argc || !str_to_ll(argv[at].ptr, argv[at].len, &nkeys) || nkeys < 0 ||
                nkeys > argc)
                goto invalid;
            first += s->fk_firstkey;
            last = first + (long)nkeys - 1;
        } else {
            goto invalid;
        }
        if (last >= argc || last < first || first >= argc) goto invalid;
        for (long i = first; i <= last; i += step)
            cmd_keys_add(out, (int)i, s->flags);
        if (s->flags & KS_INCOMPLETE) goto invalid;
    }
    return out->numkeys;
invalid:
    out->numkeys = 0;
    return -1;
}

int command_has_keys(const command_t *cmd) {
    if (cmd->getkeys) return 1;
    for (int i = 0; i < cmd->nspecs; i++)
        if (!(cmd->specs[i].flags & KS_NOT_KEY)) return 1;
    return 0;
}

int command_get_keys(const command_t *cmd, int argc, const proto_arg_t *argv, cmd_keys_t *out) {
    int has_keyspec = 0, has_varflags = 0;
    for (int i = 0; i < cmd->nspecs; i++) {
        if (!(cmd->specs[i].flags & KS_NOT_KEY)) has_keyspec = 1;
        if (cmd->specs[i].flags & KS_VARIABLE_FLAGS) has_varflags = 1;
    }
    out->numkeys = 0;
    if (has_keyspec && !has_varflags) {
        int r = s_keys_from_specs(cmd, argc, argv, out);
        if (r >= 0) return r;
    }
    if (cmd->getkeys) return cmd->getkeys(cmd, argc, argv, out);
    return 0;
}

/* ===================== latency accounting ===================== */

void command_account(const command_t *cmd, int64_t ns) {
    command_t *c = (command_t *)cmd;
    if (ns < 1) ns = 1;
    c->usec += ns / 1000;
    int k = 63 - __builtin_clzll((unsigned long long)ns);
    if (k >= CMD_LAT_BUCKETS) k = CMD_LAT_BUCKETS - 1;
    c->lat_hist[k]++;
}

double command_latency_percentile(const command_t *cmd, double p) {
    uint64_t total = 0;
    for (int k = 0; k < CMD_LAT_BUCKETS; k++) total += cmd->lat_hist[k];
    if (!total) return 0;
    uint64_t want = (uint64_t)(p * (double)total + 0.5), seen = 0;
    if (want < 1) want = 1;
    for (int k = 0; k < CMD_LAT_BUCKETS; k++) {
        seen += cmd->lat_hist[k];
        if (seen >= want) return (double)(1ULL << (k + 1)) / 1000.0;
    }
    return (double)(1ULL << CMD_LAT_BUCKETS) / 1000.0;
}
