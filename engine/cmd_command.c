/* The COMMAND family: describes the command table (INFO, DOCS, COUNT, LIST) and finds the
 * keys of a command line (GETKEYS, GETKEYSANDFLAGS), with Redis's reply shapes. */
#include <stdio.h>
#include <string.h>

#include "engine/commands.h"
#include "engine/engine.h"
#include "shared/util.h"

/* ===================== shared pieces ===================== */

/* A set of the names of the bits in mask, as simple strings, optionally prefixed. */
static void s_reply_bits(client_t *c, const cmd_name_bit_t *t, uint64_t mask, const char *prefix) {
    long long n = 0;
    for (const cmd_name_bit_t *e = t; e->name; e++)
        if ((mask & e->bit) && !e->hidden) n++;
    reply_set(c, n);
    char tmp[64];
    for (const cmd_name_bit_t *e = t; e->name; e++) {
        if (!(mask & e->bit) || e->hidden) continue;
        if (prefix) {
            snprintf(tmp, sizeof tmp, "%s%s", prefix, e->name);
            reply_simple(c, tmp);
        } else {
            reply_simple(c, e->name);
        }
    }
}

/* Calls fn(c, word, len) for each space-separated word of s; returns the number of words. */
static long long s_words(client_t *c, const char *s, void (*fn)(client_t *, const char *, size_t)) {
    long long n = 0;
    if (!s) return 0;
    while (*s) {
        while (*s == ' ')
            s++;
        const char *w = s;
        while (*s && *s != ' ')
            s++;
        if (s == w) break;
        if (fn) fn(c, w, (size_t)(s - w));
        n++;
    }
    return n;
}

static void s_word_bulk(client_t *c, const char *w, size_t len) { reply_bulk(c, w, len); }

static void s_word_simple(client_t *c, const char *w, size_t len) {
    char tmp[64];
    if (len >= sizeof tmp) len = sizeof tmp - 1;
    memcpy(tmp, w, len);
    tmp[len] = '\0';
    reply_simple(c, tmp);
}

static void s_kv_int(client_t *c, const char *k, long long v) {
    reply_bulk_cstr(c, k);
    reply_int(c, v);
}

static void s_kv_str(client_t *c, const char *k, const char *v) {
    reply_bulk_cstr(c, k);
    reply_bulk_cstr(c, v);
}

/* ===================== COMMAND INFO ===================== */

static void s_reply_keyspec(client_t *c, const cmd_keyspec_t *ks) {
    reply_map(c, ks->notes ? 4 : 3);
    if (ks->notes) s_kv_str(c, "notes", ks->notes);
    reply_bulk_cstr(c, "flags");
    s_reply_bits(c, keyspec_flag_names, ks->flags, NULL);

    reply_bulk_cstr(c, "begin_search");
    reply_map(c, 2);
    switch (ks->bs_type) {
    case KS_BS_INDEX:
        s_kv_str(c, "type", "index");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 1);
        s_kv_int(c, "index", ks->bs_index);
        break;
    case KS_BS_KEYWORD:
        s_kv_str(c, "type", "keyword");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 2);
        s_kv_str(c, "keyword", ks->bs_keyword);
        s_kv_int(c, "startfrom", ks->bs_startfrom);
        break;
    default:
        s_kv_str(c, "type", "unknown");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 0);
        break;
    }

    reply_bulk_cstr(c, "find_keys");
    reply_map(c, 2);
    switch (ks->fk_type) {
    case KS_FK_RANGE:
        s_kv_str(c, "type", "range");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 3);
        s_kv_int(c, "lastkey", ks->fk_lastkey);
        s_kv_int(c, "keystep", ks->fk_keystep);
        s_kv_int(c, "limit", ks->fk_limit);
        break;
    case KS_FK_KEYNUM:
        s_kv_str(c, "type", "keynum");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 3);
        s_kv_int(c, "keynumidx", ks->fk_keynumidx);
        s_kv_int(c, "firstkey", ks->fk_firstkey);
        s_kv_int(c, "keystep", ks->fk_keystep);
        break;
    default:
        s_kv_str(c, "type", "unknown");
        reply_bulk_cstr(c, "spec");
        reply_map(c, 0);
        break;
    }
}

/* One command's COMMAND INFO entry, or a null for an unknown name. */
static void s_reply_info(client_t *c, const command_t *cmd) {
    if (!cmd) {
        reply_null(c);
        return;
    }
    reply_array(c, 10);
    reply_bulk_cstr(c, cmd->fullname);
    reply_int(c, cmd->arity);
    s_reply_bits(c, command_flag_names, cmd->flagbits, NULL);
    reply_int(c, cmd->first_key);
    reply_int(c, cmd->last_key);
    reply_int(c, cmd->key_step);
    s_reply_bits(c, acl_category_names, cmd->aclbits, "@");
    reply_set(c, s_words(c, cmd->tips, NULL));
    s_words(c, cmd->tips, s_word_bulk);
    reply_set(c, cmd->nspecs);
    for (int i = 0; i < cmd->nspecs; i++)
        s_reply_keyspec(c, &cmd->specs[i]);
    if (!cmd->subcommands) {
        reply_set(c, 0);
    } else {
        reply_array(c, cmd->nsubcommands);
        for (const command_t *s = cmd->subcommands; s->name; s++)
            s_reply_info(c, s);
    }
}

static void s_reply_all_info(client_t *c) {
    reply_array(c, commands_count());
    for (const command_t *cmd = commands_table(); cmd->name; cmd++)
        s_reply_info(c, cmd);
}

void cmd_command(client_t *c) { s_reply_all_info(c); }

void cmd_command_info(client_t *c) {
    if (c->argc == 2) {
        s_reply_all_info(c);
        return;
    }
    reply_array(c, c->argc - 2);
    for (int i = 2; i < c->argc; i++)
        s_reply_info(c, command_by_fullname(c->argv[i].ptr, c->argv[i].len));
}

void cmd_command_count(client_t *c) { reply_int(c, commands_count()); }

/* ===================== COMMAND DOCS ===================== */

static void s_reply_args(client_t *c, const cmd_arg_t *args, int n) {
    reply_array(c, n);
    for (int i = 0; i < n; i++) {
        const cmd_arg_t *a = &args[i];
        int container = a->type == ARG_ONEOF || a->type == ARG_BLOCK;
        reply_map(c, 2 + (a->key_spec_index >= 0) + !!a->token + !!a->since +
                         !!a->deprecated_since + !!a->flags + container);
        s_kv_str(c, "name", a->name);
        s_kv_str(c, "type", arg_type_names[a->type]);
        if (a->key_spec_index >= 0) s_kv_int(c, "key_spec_index", a->key_spec_index);
        if (a->token) s_kv_str(c, "token", a->token);
        if (a->since) s_kv_str(c, "since", a->since);
        if (a->deprecated_since) s_kv_str(c, "deprecated_since", a->deprecated_since);
        if (a->flags) {
            reply_bulk_cstr(c, "flags");
            s_reply_bits(c, arg_flag_names, (uint64_t)a->flags, NULL);
        }
        if (container) {
            reply_bulk_cstr(c, "arguments");
            s_reply_args(c, a->sub, a->nsub);
        }
    }
}

static long long s_history_len(const char *h) {
    if (!h || !*h) return 0;
    long long n = 1;
    for (; *h; h++)
        if (*h == '|') n++;
    return n;
}

static void s_reply_history(client_t *c, const char *h) {
    reply_set(c, s_history_len(h));
    while (h && *h) {
        const char *end = strchr(h, '|');
        if (!end) end = h + strlen(h);
        const char *sp = memchr(h, ' ', (size_t)(end - h));
        if (!sp) sp = end;
        reply_array(c, 2);
        reply_bulk(c, h, (size_t)(sp - h));
        const char *text = sp < end ? sp + 1 : end;
        reply_bulk(c, text, (size_t)(end - text));
        h = *end ? end + 1 : end;
    }
}

static void s_reply_docs(client_t *c, const command_t *cmd) {
    long long n = 4 + !!cmd->doc_flags + !!cmd->deprecated_since + !!cmd->replaced_by +
                  !!cmd->history + (cmd->ndocargs > 0) + !!cmd->subcommands;
    reply_map(c, n);
    s_kv_str(c, "summary", cmd->summary);
    s_kv_str(c, "since", cmd->since);
    s_kv_str(c, "group", cmd->group);
    s_kv_str(c, "complexity", cmd->complexity);
    if (cmd->doc_flags) {
        reply_bulk_cstr(c, "doc_flags");
        reply_set(c, s_words(c, cmd->doc_flags, NULL));
        s_words(c, cmd->doc_flags, s_word_simple);
    }
    if (cmd->deprecated_since) s_kv_str(c, "deprecated_since", cmd->deprecated_since);
    if (cmd->replaced_by) s_kv_str(c, "replaced_by", cmd->replaced_by);
    if (cmd->history) {
        reply_bulk_cstr(c, "history");
        s_reply_history(c, cmd->history);
    }
    if (cmd->ndocargs > 0) {
        reply_bulk_cstr(c, "arguments");
        s_reply_args(c, cmd->docargs, cmd->ndocargs);
    }
    if (cmd->subcommands) {
        reply_bulk_cstr(c, "subcommands");
        reply_map(c, cmd->nsubcommands);
        for (const command_t *s = cmd->subcommands; s->name; s++) {
            reply_bulk_cstr(c, s->fullname);
            s_reply_docs(c, s);
        }
    }
}

void cmd_command_docs(client_t *c) {
    if (c->argc == 2) {
        reply_map(c, commands_count());
        for (const command_t *cmd = commands_table(); cmd->name; cmd++) {
            reply_bulk_cstr(c, cmd->fullname);
            s_reply_docs(c, cmd);
        }
        return;
    }
    long long found = 0;
    for (int i = 2; i < c->argc; i++)
        if (command_by_fullname(c->argv[i].ptr, c->argv[i].len)) found++;
    reply_map(c, found);
    for (int i = 2; i < c->argc; i++) {
        const command_t *cmd = command_by_fullname(c->argv[i].ptr, c->argv[i].len);
        if (!cmd) continue;
        reply_bulk_cstr(c, cmd->fullname);
        s_reply_docs(c, cmd);
    }
}

/* ===================== COMMAND LIST ===================== */

enum { FILTER_NONE, FILTER_MODULE, FILTER_ACLCAT, FILTER_PATTERN };

static int s_list_match(const command_t *cmd, int type, uint64_t cat, const proto_arg_t *arg) {
    switch (type) {
    case FILTER_NONE: return 1;
    case FILTER_MODULE: return 0; /* no modules here */
    case FILTER_ACLCAT: return cat && (cmd->aclbits & cat);
    default: return glob_match(arg->ptr, arg->len, cmd->fullname, strlen(cmd->fullname), 1);
    }
}

void cmd_command_list(client_t *c) {
    int type = FILTER_NONE;
    const proto_arg_t *arg = NULL;
    for (int i = 2; i < c->argc; i++) {
        int more = c->argc - 1 - i;
        if (arg_is(&c->argv[i], "filterby") && more == 2) {
            const proto_arg_t *t = &c->argv[i + 1];
            if (arg_is(t, "module"))
                type = FILTER_MODULE;
            else if (arg_is(t, "aclcat"))
                type = FILTER_ACLCAT;
            else if (arg_is(t, "pattern"))
                type = FILTER_PATTERN;
            else {
                reply_error(c, ERR_SYNTAX);
                return;
            }
            arg = &c->argv[i + 2];
            i += 2;
        } else {
            reply_error(c, ERR_SYNTAX);
            return;
        }
    }
    uint64_t cat = type == FILTER_ACLCAT ? acl_category_by_name(arg->ptr, arg->len) : 0;
    long long n = 0;
    for (const command_t *cmd = commands_table(); cmd->name; cmd++) {
        n += s_list_match(cmd, type, cat, arg);
        for (const command_t *s = cmd->subcommands; s && s->name; s++)
            n += s_list_match(s, type, cat, arg);
    }
    reply_array(c, n);
    for (const command_t *cmd = commands_table(); cmd->name; cmd++) {
        if (s_list_match(cmd, type, cat, arg)) reply_bulk_cstr(c, cmd->fullname);
        for (const command_t *s = cmd->subcommands; s && s->name; s++)
            if (s_list_match(s, type, cat, arg)) reply_bulk_cstr(c, s->fullname);
    }
}

/* ===================== COMMAND GETKEYS / GETKEYSANDFLAGS ===================== */

static void s_getkeys(client_t *c, int with_flags) {
    int argc = c->argc - 2;
    const proto_arg_t *argv = c->argv + 2;
    const command_t *cmd = command_lookup(argc, argv);
    if (!cmd) {
        reply_error(c, "Invalid command specified");
        return;
    }
    if (!command_has_keys(cmd)) {
        reply_error(c, "The command has no key arguments");
        return;
    }
    if ((cmd->arity > 0 && cmd->arity != argc) || argc < -cmd->arity) {
        reply_error(c, "Invalid number of arguments specified for command");
        return;
    }
    cmd_keys_t keys;
    cmd_keys_init(&keys);
    if (!command_get_keys(cmd, argc, argv, &keys)) {
        if (cmd->flagbits & CMD_NO_MANDATORY_KEYS)
            reply_array(c, 0);
        else
            reply_error(c, "Invalid arguments specified for command");
        cmd_keys_free(&keys);
        return;
    }
    reply_array(c, keys.numkeys);
    for (int i = 0; i < keys.numkeys; i++) {
        const proto_arg_t *k = &argv[keys.keys[i].pos];
        if (with_flags) {
            reply_array(c, 2);
            reply_bulk(c, k->ptr, k->len);
            s_reply_bits(c, keyspec_flag_names, keys.keys[i].flags, NULL);
        } else {
            reply_bulk(c, k->ptr, k->len);
        }
    }
    cmd_keys_free(&keys);
}

void cmd_command_getkeys(client_t *c) { s_getkeys(c, 0); }

void cmd_command_getkeysandflags(client_t *c) { s_getkeys(c, 1); }

/* ===================== COMMAND HELP ===================== */

void cmd_command_help(client_t *c) {
    static const char *lines[] = {
        "(no subcommand)",
        "    Describes every command of the server.",
        "COUNT",
        "    Tells how many commands the server has.",
        "LIST [FILTERBY (MODULE <module-name>|ACLCAT <category>|PATTERN <pattern>)]",
        "    Names the commands and subcommands, optionally filtered.",
        "INFO [<command-name> ...]",
        "    Describes the named commands (a subcommand is named as",
        "    <container>|<subcommand>); with no names, describes",
        "    every command.",
        "DOCS [<command-name> ...]",
        "    Returns the documentation of the named commands; with no",
        "    names, the documentation of every command.",
        "    Unknown names are left out.",
        "GETKEYS <full-command>",
        "    Lists the key arguments of a complete command line.",
        "GETKEYSANDFLAGS <full-command>",
        "    Lists the key arguments of a command line with their access flags.",
        NULL,
    };
    reply_help(c, lines);
}
