/* The hll commands' rows; the type arrives with the core data types milestone (issue 3). */
#include "engine/engine.h"

command_t hll_commands[] = {{0}};
