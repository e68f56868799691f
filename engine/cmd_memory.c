/* MEMORY's rows; the command arrives with the core data types milestone (issue 3). */
#include "engine/engine.h"

command_t memory_commands[] = {{0}};
