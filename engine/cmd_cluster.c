/* CLUSTER: Vole runs as a single node until the replication and cluster milestone, and
 * answers every CLUSTER subcommand as Redis 7 does with cluster-enabled no ("This instance
 * has cluster support disabled"); unknown subcommands and wrong arities get the dispatcher's
 * usual errors first, as in Redis. The rows mirror Redis's arities and flags so COMMAND and
 * cluster-aware clients see the same table. */
#include "engine/commands.h"
#include "engine/engine.h"

static void cmd_cluster_disabled(client_t *c) {
    reply_error(c, "This instance has cluster support disabled");
}

#define ADMIN_W "admin stale no_async_loading"
// clang-format off
#define ROW(n, a, f, acl_, tips_, since_, sum, args_)                                            \
    {.name = n, .proc = cmd_cluster_disabled, .arity = a, .flags = f, .acl = acl_,               \
     .tips = tips_, .group = "cluster", .since = since_, .summary = sum, .complexity = "O(1)",   \
     .args = args_}
static command_t s_cluster_subs[] = {
    ROW("addslots", -3, ADMIN_W, "dangerous", NULL, "3.0.0", "Assigns slots to this node.",
        "*integer:slot"),
    ROW("addslotsrange", -4, ADMIN_W, "dangerous", NULL, "7.0.0",
        "Assigns ranges of slots to this node.",
        "*block:range(integer:start-slot integer:end-slot)"),
    ROW("bumpepoch", 2, ADMIN_W, "dangerous", "nondeterministic_output", "3.0.0",
        "Advances the node's configuration epoch.", NULL),
    ROW("count-failure-reports", 3, "admin stale", "dangerous", "nondeterministic_output",
        "3.0.0", "Counts the failure reports about a node.", "string:node-id"),
    ROW("countkeysinslot", 3, "stale", NULL, NULL, "3.0.0", "Counts the keys of a hash slot.",
        "integer:slot"),
    ROW("delslots", -3, ADMIN_W, "dangerous", NULL, "3.0.0", "Removes slots from this node.",
        "*integer:slot"),
    ROW("delslotsrange", -4, ADMIN_W, "dangerous", NULL, "7.0.0",
        "Removes ranges of slots from this node.",
        "*block:range(integer:start-slot integer:end-slot)"),
    ROW("failover", -2, ADMIN_W, "dangerous", NULL, "3.0.0",
        "Makes a replica take over from its primary.", "?oneof:options(=FORCE =TAKEOVER)"),
    ROW("flushslots", 2, ADMIN_W, "dangerous", NULL, "3.0.0",
        "Removes every slot from this node.", NULL),
    ROW("forget", 3, ADMIN_W, "dangerous", NULL, "3.0.0", "Removes a node from this node's view.",
        "string:node-id"),
    ROW("getkeysinslot", 4, "stale", NULL, "nondeterministic_output", "3.0.0",
        "Lists keys of a hash slot.", "integer:slot integer:count"),
    ROW("help", 2, "loading stale", NULL, NULL, "5.0.0", "Describes the CLUSTER subcommands.",
        NULL),
    ROW("info", 2, "stale", NULL, "nondeterministic_output", "3.0.0",
        "Describes the state of the cluster.", NULL),
    ROW("keyslot", 3, "stale", NULL, NULL, "3.0.0", "Tells the hash slot of a key.",
        "string:key"),
    ROW("links", 2, "stale", NULL, "nondeterministic_output", "7.0.0",
        "Lists the links to the other nodes.", NULL),
    ROW("meet", -4, ADMIN_W, "dangerous", NULL, "3.0.0", "Connects this node to another.",
        "string:ip integer:port ?integer:cluster-bus-port+4.0.0"),
    ROW("myid", 2, "stale", NULL, NULL, "3.0.0", "Tells this node's id.", NULL),
    ROW("nodes", 2, "stale", NULL, "nondeterministic_output", "3.0.0",
        "Describes the nodes of the cluster.", NULL),
    ROW("replicas", 3, "admin stale", "dangerous", "nondeterministic_output", "5.0.0",
        "Lists the replicas of a primary.", "string:node-id"),
    ROW("replicate", 3, ADMIN_W, "dangerous", NULL, "3.0.0",
        "Makes this node a replica of another.", "string:node-id"),
    ROW("reset", -2, "admin noscript stale", "dangerous", NULL, "3.0.0",
        "Resets this node's cluster state.", "?oneof:reset-type(=HARD =SOFT)"),
    ROW("saveconfig", 2, ADMIN_W, "dangerous", NULL, "3.0.0",
        "Writes the cluster configuration to disk.", NULL),
    ROW("set-config-epoch", 3, ADMIN_W, "dangerous", NULL, "3.0.0",
        "Sets this node's configuration epoch.", "integer:config-epoch"),
    ROW("setslot", -4, ADMIN_W, "dangerous", NULL, "3.0.0", "Changes the state of a hash slot.",
        "integer:slot oneof:subcommand(string:importing=IMPORTING string:migrating=MIGRATING "
        "string:node=NODE =STABLE)"),
    ROW("shards", 2, "stale", NULL, "nondeterministic_output", "7.0.0",
        "Describes the shards of the cluster.", NULL),
    ROW("slaves", 3, "admin stale", "dangerous", "nondeterministic_output", "3.0.0",
        "Lists the replicas of a primary (old name).", "string:node-id"),
    ROW("slots", 2, "stale", NULL, "nondeterministic_output", "3.0.0",
        "Maps hash slots to nodes.", NULL),
    {0}};

command_t cluster_commands[] = {
    {.name = "cluster", .proc = NULL, .arity = -2, .flags = "", .group = "cluster",
     .since = "3.0.0", .summary = "Cluster management (a single node until the cluster "
     "milestone: every subcommand says cluster support is disabled, as Redis does).",
     .complexity = "Depends on the subcommand.", .subcommands = s_cluster_subs},
    {0}};
// clang-format on

__attribute__((constructor)) static void s_register(void) { command_group_register(cluster_commands); }
