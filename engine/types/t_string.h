/* The string type's snapshot callbacks (its obj_type_t lives in engine/object.c with the
 * string encodings; the file format part lives with the commands in t_string.c). */
#ifndef VOLE_T_STRING_H
#define VOLE_T_STRING_H
#include "engine/engine.h"

struct snap_writer;
struct snap_reader;
void string_snap_save(const vobj_t *o, struct snap_writer *w);
/* Picks the encoding SET would: int, embstr or raw. */
vobj_t *string_snap_load(engine_t *e, struct snap_reader *r);
#endif
