/* The effect stream (DESIGN.md §3): every write the engine executes is recorded as a
 * deterministic effect, numbered by one global sequence, so that replaying the effects in
 * order on an empty engine (the AOF at start-up, a replica) rebuilds exactly the same data.
 *
 * Units: everything one top-level call writes (one command, one EXEC, one expiry cycle, one
 * timer action) is one *unit* with one sequence number; a unit is applied all or nothing.
 * A unit holds commands, each with its database index and arguments.
 *
 * What a command records:
 *   - by default, a command with the "write" flag that raised e->stats.dirty is recorded as
 *     it was called (its argv, the client's database);
 *   - a command whose replay would differ (relative times, randomness, blocking, "*" IDs)
 *     records something else with effect_add() — e.g. EXPIRE k 10 adds PEXPIREAT k <abs>,
 *     SPOP adds SREM of the chosen members. Once a command called effect_add() its own argv
 *     is not recorded; call effect_add() as often as needed, in the order to replay;
 *   - effect_none() records nothing for this call even though dirty rose.
 * Keys removed by expiry or eviction are recorded as DEL by the keyspace code itself.
 * Work done outside a command (timers: delayed keys, queue visibility) uses effect_add_db().
 *
 * While the engine loads (replays effects) nothing is recorded. */
#ifndef VOLE_EFFECTS_H
#define VOLE_EFFECTS_H
#include <stdint.h>

#include "engine/engine.h"

/* Records argv (argc >= 1) in c's database as part of the running command's unit. */
void effect_add(client_t *c, int argc, const proto_arg_t *argv);
/* The same for a database other than c's (MOVE, SWAPDB...). */
void effect_add_in(client_t *c, int dbid, int argc, const proto_arg_t *argv);
/* Records nothing for the running command (even if it raised dirty). */
void effect_none(client_t *c);
/* Records argv in database dbid outside any command (a unit of its own unless a unit is
 * open: expiry during a command belongs to that command's unit, before its own effect). */
void effect_add_db(engine_t *e, int dbid, int argc, const proto_arg_t *argv);
/* Convenience: argv from C strings (NUL-terminated; use effect_add for binary data). */
void effect_add_cstrs(client_t *c, int argc, const char *const *argv);

/* A proto_arg_t from a pointer and length, for building effect argument arrays. */
#define EFF_ARG(p, n) ((proto_arg_t){(const char *)(p), (size_t)(n)})
#define EFF_LIT(s) ((proto_arg_t){(s), sizeof(s) - 1})

/* ---- used by the engine core ---- */
/* Opens a unit (nesting is counted: EXEC inside a batch, a command inside EXEC). */
void effects_unit_begin(engine_t *e);
/* Closes it; the outermost close assigns the next sequence number to a non-empty unit and
 * appends it to the backlog. */
void effects_unit_end(engine_t *e);
/* Called around each command: start marks c as recording nothing explicit yet; end adds
 * the default effect (c's argv) when the command wrote and recorded nothing itself. */
void effects_cmd_start(client_t *c, long long dirty_before);
void effects_cmd_end(client_t *c, const command_t *cmd, long long dirty_before);
/* The sequence number of the last unit recorded (0 when none since the data began). */
uint64_t effects_last_seq(engine_t *e);
#endif
