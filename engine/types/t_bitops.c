/* The bitops commands' rows; the type arrives with the core data types milestone (issue 3). */
#include "engine/engine.h"

command_t bitops_commands[] = {{0}};
