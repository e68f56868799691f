/* Until engine/snapshot.c is merged into main its functions may be absent (as engine/persist.c
 * allows for snapshot_load_file): files that register a snapshot section include this after
 * engine/snapshot.h and register only when snapshot_register_section exists. Harmless once
 * snapshot.c is linked (a weak reference to a defined symbol is an ordinary one); delete it
 * then. */
#ifndef VOLE_SNAPSHOT_WEAK_H
#define VOLE_SNAPSHOT_WEAK_H
#include "engine/snapshot.h"

#pragma weak snapshot_register_section
#pragma weak snap_put_u64
#pragma weak snap_put_i64
#pragma weak snap_put_bytes
#pragma weak snap_get_u64
#pragma weak snap_get_i64
#pragma weak snap_get_bytes
#pragma weak snap_get_count
#pragma weak snap_fail
#endif
