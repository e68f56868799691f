/* The command table's parsed side: key specifications, documented arguments, ACL categories,
 * key extraction (COMMAND GETKEYS, later cluster and ACL checks) and the prototype of every
 * command handler. The table itself is data in engine/commands.c. */
#ifndef VOLE_COMMANDS_H
#define VOLE_COMMANDS_H
#include <stddef.h>
#include <stdint.h>

#include "engine/engine.h"

/* ===================== names and bits ===================== */

/* A name for a bit, for parsing table words and for COMMAND replies. Tables end with a NULL
 * name and are in the order Redis prints them. */
typedef struct cmd_name_bit {
    const char *name;
    uint64_t bit;
    int hidden; /* parsed from the table but never shown (COMMAND INFO hides these) */
} cmd_name_bit_t;

/* ACL categories, as bits in Redis's order (COMMAND INFO lists a command's categories in
 * this order). */
enum {
    ACL_KEYSPACE = 1 << 0,
    ACL_READ = 1 << 1,
    ACL_WRITE = 1 << 2,
    ACL_SET = 1 << 3,
    ACL_SORTEDSET = 1 << 4,
    ACL_LIST = 1 << 5,
    ACL_HASH = 1 << 6,
    ACL_STRING = 1 << 7,
    ACL_BITMAP = 1 << 8,
    ACL_HYPERLOGLOG = 1 << 9,
    ACL_GEO = 1 << 10,
    ACL_STREAM = 1 << 11,
    ACL_PUBSUB = 1 << 12,
    ACL_ADMIN = 1 << 13,
    ACL_FAST = 1 << 14,
    ACL_SLOW = 1 << 15,
    ACL_BLOCKING = 1 << 16,
    ACL_DANGEROUS = 1 << 17,
    ACL_CONNECTION = 1 << 18,
    ACL_TRANSACTION = 1 << 19,
    ACL_SCRIPTING = 1 << 20,
};

/* Key spec flags (COMMAND INFO, COMMAND GETKEYSANDFLAGS). */
enum {
    KS_RO = 1 << 0,
    KS_RW = 1 << 1,
    KS_OW = 1 << 2,
    KS_RM = 1 << 3,
    KS_ACCESS = 1 << 4,
    KS_UPDATE = 1 << 5,
    KS_INSERT = 1 << 6,
    KS_DELETE = 1 << 7,
    KS_NOT_KEY = 1 << 8,
    KS_INCOMPLETE = 1 << 9,
    KS_VARIABLE_FLAGS = 1 << 10,
};

extern const cmd_name_bit_t command_flag_names[]; /* CMD_* of engine.h */
extern const cmd_name_bit_t acl_category_names[]; /* ACL_*, without the '@' */
extern const cmd_name_bit_t keyspec_flag_names[]; /* KS_* */
extern const cmd_name_bit_t arg_flag_names[];     /* ARGF_* */
extern const char *const arg_type_names[];        /* indexed by ARG_* */

/* The ACL category bit for a name without '@' (case-insensitive), 0 when unknown. */
uint64_t acl_category_by_name(const char *name, size_t len);

/* The number of top-level commands (COMMAND COUNT). */
int commands_count(void);

/* ===================== key specs ===================== */

enum { KS_BS_INDEX = 1, KS_BS_KEYWORD, KS_BS_UNKNOWN };
enum { KS_FK_RANGE = 1, KS_FK_KEYNUM, KS_FK_UNKNOWN };

typedef struct cmd_keyspec {
    char *notes; /* NULL when none */
    uint32_t flags;
    int bs_type;
    int bs_index;     /* KS_BS_INDEX: position of the first key */
    char *bs_keyword; /* KS_BS_KEYWORD: keys follow this word ... */
    int bs_startfrom; /* ... searched from here (negative: from the end, backwards) */
    int fk_type;
    int fk_lastkey, fk_limit;      /* KS_FK_RANGE */
    int fk_keynumidx, fk_firstkey; /* KS_FK_KEYNUM */
    int fk_keystep;                /* both */
} cmd_keyspec_t;

/* ===================== documented arguments (COMMAND DOCS) ===================== */

enum {
    ARG_STRING,
    ARG_INTEGER,
    ARG_DOUBLE,
    ARG_KEY,
    ARG_PATTERN,
    ARG_UNIX_TIME,
    ARG_PURE_TOKEN,
    ARG_ONEOF,
    ARG_BLOCK,
    ARG_TYPE_COUNT
};
enum { ARGF_OPTIONAL = 1 << 0, ARGF_MULTIPLE = 1 << 1, ARGF_MULTIPLE_TOKEN = 1 << 2 };

typedef struct cmd_arg {
    char *name;
    char *token;            /* NULL when none */
    char *since;            /* NULL when none */
    char *deprecated_since; /* NULL when none */
    int type;               /* ARG_* */
    int flags;              /* ARGF_* */
    int key_spec_index;     /* -1 when none */
    struct cmd_arg *sub;    /* ARG_ONEOF / ARG_BLOCK */
    int nsub;
} cmd_arg_t;

/* Parsers of the table's notations (documented at the top of commands.c). They allocate;
 * on a malformed notation they return -1 with *err set to a static message. */
int command_parse_keyspecs(const char *s, cmd_keyspec_t **out, int *n, const char **err);
void command_free_keyspecs(cmd_keyspec_t *specs, int n);
int command_parse_args(const char *s, cmd_arg_t **out, int *n, const char **err);
void command_free_args(cmd_arg_t *args, int n);

/* ===================== key extraction ===================== */

typedef struct cmd_keyref {
    int pos;        /* index into argv */
    uint32_t flags; /* KS_* */
} cmd_keyref_t;

typedef struct cmd_keys {
    cmd_keyref_t *keys; /* points to local until more room is needed */
    int numkeys, cap;
    cmd_keyref_t local[8];
} cmd_keys_t;

void cmd_keys_init(cmd_keys_t *k);
void cmd_keys_free(cmd_keys_t *k);
void cmd_keys_add(cmd_keys_t *k, int pos, uint32_t flags);

/* The keys of argv (argv[0] is the command name, argv[1] the subcommand for subcommands) as
 * Redis finds them: the key specs when their flags are reliable, else the row's getkeys.
 * Returns the number of keys; 0 when there are none or the arguments do not fit the specs. */
int command_get_keys(const command_t *cmd, int argc, const proto_arg_t *argv, cmd_keys_t *out);
/* 1 when the command can take key arguments at all. */
int command_has_keys(const command_t *cmd);

/* ===================== command handlers ===================== */

/* Strings (engine/types/t_string.c) */
void cmd_get(client_t *c);
void cmd_set(client_t *c);
void cmd_setnx(client_t *c);
void cmd_setex(client_t *c);
void cmd_psetex(client_t *c);
void cmd_mget(client_t *c);
void cmd_mset(client_t *c);
void cmd_msetnx(client_t *c);
void cmd_getset(client_t *c);
void cmd_getex(client_t *c);
void cmd_getdel(client_t *c);
void cmd_getrange(client_t *c);
void cmd_substr(client_t *c);
void cmd_setrange(client_t *c);
void cmd_incr(client_t *c);
void cmd_incrby(client_t *c);
void cmd_decr(client_t *c);
void cmd_decrby(client_t *c);
void cmd_incrbyfloat(client_t *c);
void cmd_append(client_t *c);
void cmd_strlen(client_t *c);
void cmd_lcs(client_t *c);

/* Keyspace */
void cmd_del(client_t *c);
void cmd_unlink(client_t *c);
void cmd_exists(client_t *c);
void cmd_type(client_t *c);
void cmd_keys(client_t *c);
void cmd_scan(client_t *c);
void cmd_rename(client_t *c);
void cmd_renamenx(client_t *c);
void cmd_copy(client_t *c);
void cmd_move(client_t *c);
void cmd_touch(client_t *c);
void cmd_randomkey(client_t *c);
void cmd_expire(client_t *c);
void cmd_pexpire(client_t *c);
void cmd_expireat(client_t *c);
void cmd_pexpireat(client_t *c);
void cmd_ttl(client_t *c);
void cmd_pttl(client_t *c);
void cmd_persist(client_t *c);
void cmd_expiretime(client_t *c);
void cmd_pexpiretime(client_t *c);
void cmd_dbsize(client_t *c);
void cmd_flushdb(client_t *c);
void cmd_flushall(client_t *c);
void cmd_swapdb(client_t *c);

/* OBJECT */
void cmd_object_encoding(client_t *c);
void cmd_object_refcount(client_t *c);
void cmd_object_idletime(client_t *c);
void cmd_object_freq(client_t *c);
void cmd_object_help(client_t *c);

/* Connection and server */
void cmd_ping(client_t *c);
void cmd_echo(client_t *c);
void cmd_hello(client_t *c);
void cmd_auth(client_t *c);
void cmd_quit(client_t *c);
void cmd_reset(client_t *c);
void cmd_select(client_t *c);
void cmd_time(client_t *c);
void cmd_info(client_t *c);
void cmd_debug(client_t *c);

/* CLIENT */
void cmd_client_id(client_t *c);
void cmd_client_setname(client_t *c);
void cmd_client_getname(client_t *c);
void cmd_client_list(client_t *c);
void cmd_client_info(client_t *c);
void cmd_client_kill(client_t *c);
void cmd_client_no_evict(client_t *c);
void cmd_client_unblock(client_t *c); /* engine/blocking.c */
void cmd_client_help(client_t *c);

/* CONFIG */
void cmd_config_get(client_t *c);
void cmd_config_set(client_t *c);
void cmd_config_resetstat(client_t *c);
void cmd_config_rewrite(client_t *c);
void cmd_config_help(client_t *c);

/* COMMAND (engine/cmd_command.c) */
void cmd_command(client_t *c);
void cmd_command_count(client_t *c);
void cmd_command_info(client_t *c);
void cmd_command_docs(client_t *c);
void cmd_command_list(client_t *c);
void cmd_command_getkeys(client_t *c);
void cmd_command_getkeysandflags(client_t *c);
void cmd_command_help(client_t *c);
#endif
