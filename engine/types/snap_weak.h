/* Until engine/snapshot.c (written in parallel) is merged, the snapshot primitives the queue and
 * rate-limit types call are weak references, so the engine links without them; nothing calls
 * a type's save/load before snapshot.c exists. Remove this file once it has landed. */
#ifndef VOLE_SNAP_WEAK_H
#define VOLE_SNAP_WEAK_H
#include "engine/snapshot.h"
#pragma weak snap_put_u8
#pragma weak snap_put_u64
#pragma weak snap_put_i64
#pragma weak snap_put_bytes
#pragma weak snap_get_u8
#pragma weak snap_get_u64
#pragma weak snap_get_i64
#pragma weak snap_get_bytes
#pragma weak snap_get_count
#pragma weak snap_fail
#endif
