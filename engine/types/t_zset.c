/* The zset commands' rows; the type arrives with the core data types milestone (issue 3). */
#include "engine/engine.h"

command_t zset_commands[] = {{0}};
