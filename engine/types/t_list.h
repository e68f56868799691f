/* The list type: a deque of byte strings (engine/ds/deque.h), reported as "quicklist" like
 * every list in Redis 7.0. The type API below is what the list commands, and later the
 * blocking commands, SORT, snapshots and replication, build on. */
#ifndef VOLE_T_LIST_H
#define VOLE_T_LIST_H
#include <stddef.h>

#include "engine/ds/deque.h"
#include "engine/engine.h"

/* The two ends, as Redis's LIST_HEAD / LIST_TAIL: LEFT is the head, RIGHT the tail. */
enum { LIST_HEAD = 0, LIST_TAIL = 1 };

/* Room for an element short enough to live inside its slot (see list_elem_t in t_list.c):
 * readers pass a buffer of this size and get pointers into it for such elements. */
#define LIST_TMP 8

typedef struct list {
    deque_t items;     /* one word per element: a short string in place, or a vstr_t* */
    size_t heap_bytes; /* bytes of the elements kept on the heap (MEMORY USAGE in O(1)) */
} list_t;

/* ===================== the value ===================== */

/* An empty list object (ENC_QUICKLIST); a list key is never left empty in the keyspace. */
vobj_t *list_type_new(void);
size_t list_type_length(const vobj_t *o);
void list_type_push(vobj_t *o, const char *p, size_t len, int where);
/* Removes the element at an end and returns it as a new string the caller frees; NULL when
 * the list is empty. */
vstr_t *list_type_pop(vobj_t *o, int where);
/* The element at index (negative counts from the tail, -1 the last), NULL when out of range.
 * Short elements are copied to tmp; the bytes stay valid until the list changes. */
const char *list_type_index(const vobj_t *o, long long index, char tmp[LIST_TMP], size_t *len);
/* Replaces the element at index; -1 when out of range (nothing changes). */
int list_type_set(vobj_t *o, long long index, const char *p, size_t len);
/* Inserts before (LIST_HEAD) or after (LIST_TAIL) position pos (0 <= pos < length). */
void list_type_insert(vobj_t *o, size_t pos, const char *p, size_t len, int where);
/* Removes count elements starting at start (negative counts from the tail), clamped to the
 * list as Redis's listTypeDelRange. */
void list_type_delete_range(vobj_t *o, long long start, long long count);
/* Moves one element from an end of src to an end of dst without copying it (src may be dst);
 * -1 when src is empty. */
int list_type_move(vobj_t *src, int from, vobj_t *dst, int to);

/* Iteration from index start (negative from the tail; clamped) towards the tail
 * (dir LIST_TAIL) or the head (dir LIST_HEAD). The list must not change meanwhile. */
typedef struct list_iter {
    const deque_t *d;
    size_t pos, left;
    int dir;
    char tmp[LIST_TMP];
} list_iter_t;
void list_iter_init(list_iter_t *it, const vobj_t *o, long long start, int dir);
/* The next element (bytes valid until the next call); 0 when there are no more. */
int list_iter_next(list_iter_t *it, const char **p, size_t *len);

/* ===================== building blocks of the commands =====================
 * Shared by the list commands and the blocking ones (BLPOP, BRPOP, BLMPOP, BLMOVE,
 * BRPOPLPUSH) for when a key they wait on becomes ready. All work on c->db and end every
 * write with signal_modified_key, the keyspace events and dirty. A key passed in must not be
 * the keyspace's own copy of it: an emptied list's key is deleted before the events name it. */

/* LEFT or RIGHT (case-insensitive); otherwise replies a syntax error and returns -1. */
int list_parse_where_or_reply(client_t *c, const proto_arg_t *a, int *where);

/* Replies with elements start..end (inclusive; negative from the tail; clamped as LRANGE),
 * tail-first when reverse. */
void list_reply_range(client_t *c, const vobj_t *o, long long start, long long end, int reverse);

/* The reply shapes of a pop. */
enum {
    LIST_POP_BULK,      /* the element: LPOP / RPOP without count (count must be 1) */
    LIST_POP_ARRAY,     /* the elements: LPOP / RPOP with a count */
    LIST_POP_KEY_VALUE, /* [key, element]: BLPOP / BRPOP (count must be 1) */
    LIST_POP_KEY_ARRAY, /* [key, [elements]]: LMPOP / BLMPOP */
};
/* Pops up to count (>= 1) elements from an end of the non-empty list o stored at key and
 * replies in the given shape (the tail end replies tail-first). Emits lpop / rpop, deletes the
 * key with "del" when it became empty, signals the key and adds the count to dirty. Returns
 * the number of elements popped; *deleted (may be NULL) tells whether the key is gone. */
long long list_pop_reply(client_t *c, const char *key, size_t keylen, vobj_t *o, int where,
                         long long count, int shape, int *deleted);

/* LMOVE once the source src is known to hold the non-empty list sobj: when dst holds another
 * type replies WRONGTYPE and returns -1 with nothing moved; else moves one element from the
 * `from` end of src to the `to` end of dst (created when missing), replies with it, and emits
 * what Redis emits: the push event on dst, then the pop event on src and "del" when src became
 * empty. Returns 0. */
int list_move_reply(client_t *c, const char *src, size_t srclen, vobj_t *sobj, const char *dst,
                    size_t dstlen, int from, int to);

/* The row group of engine/commands.c. */
extern command_t list_commands[];
#endif
