/* The stream commands' rows; the type arrives with issue 4. */
#include "engine/engine.h"

command_t stream_commands[] = {{0}};
