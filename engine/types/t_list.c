/* The list commands' rows; the type arrives with the core data types milestone (issue 3). */
#include "engine/engine.h"

command_t list_commands[] = {{0}};
