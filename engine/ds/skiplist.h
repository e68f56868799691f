/* Skip list ordered by (score, member bytes) with per-link spans, so rank lookups and
 * rank ranges cost O(log n); the backward links make reverse walks O(1) per step. Each node
 * carries its own copy of the member, and the node itself can serve as a hash-table key
 * (its first field is the member view), which is how sorted sets pair it with a dict for
 * O(1) member lookups. Knows nothing about the engine. */
#ifndef VOLE_SKIPLIST_H
#define VOLE_SKIPLIST_H
#include <stddef.h>
#include <stdint.h>

#define ZSL_MAXLEVEL 32

/* A member as bytes; also the lookup probe for a dict keyed by nodes. */
typedef struct zsl_member {
    const char *ptr;
    size_t len;
} zsl_member_t;

typedef struct zsl_node {
    zsl_member_t ele; /* must stay first: a node pointer is a zsl_member_t pointer */
    double score;
    struct zsl_node *backward;
    int nlevel;
    struct zsl_link {
        struct zsl_node *forward;
        unsigned long span; /* nodes crossed by this link (1 = the next node) */
    } level[];
    /* the member bytes follow the links */
} zsl_node_t;

typedef struct zsl {
    zsl_node_t *header, *tail;
    unsigned long length;
    int level;
} zsl_t;

/* A score interval; minex/maxex make a bound exclusive. */
typedef struct zsl_range {
    double min, max;
    int minex, maxex;
} zsl_range_t;

/* A lexicographic interval: each bound is a byte string or one of the infinities. */
enum { ZLEX_VALUE = 0, ZLEX_NEG_INF = 1, ZLEX_POS_INF = 2 };
typedef struct zsl_lex_bound {
    int kind;
    int ex; /* exclusive */
    const char *ptr;
    size_t len;
} zsl_lex_bound_t;
typedef struct zsl_lex_range {
    zsl_lex_bound_t min, max;
} zsl_lex_range_t;

/* Called for every node a range deletion unlinks, before the node is freed. */
typedef void zsl_unlink_fn(void *priv, zsl_node_t *n);

zsl_t *zsl_new(void);
void zsl_free(zsl_t *zsl);
/* Inserts a member that must not be present yet (the caller checks); copies the bytes. */
zsl_node_t *zsl_insert(zsl_t *zsl, double score, const char *ele, size_t len);
/* A node not linked anywhere yet (random level), for zsl_relink() later: lets a caller
 * gather members in a dict first and order them once at the end. */
zsl_node_t *zsl_node_new(double score, const char *ele, size_t len);
/* Puts an unlinked node in order (its score may have changed); keeps its address. */
void zsl_relink(zsl_t *zsl, zsl_node_t *x);
/* Unlinks the node holding (score, ele); returns it (the caller frees it with
 * zsl_free_node) or NULL when absent. */
zsl_node_t *zsl_unlink(zsl_t *zsl, double score, const char *ele, size_t len);
void zsl_free_node(zsl_node_t *n);
/* Changes the score of the node holding (curscore, ele), which must exist. The node keeps
 * its address (so a dict keyed by it stays valid); it moves only when the order requires. */
zsl_node_t *zsl_update_score(zsl_t *zsl, double curscore, const char *ele, size_t len,
                             double newscore);

/* 1-based rank of (score, ele), 0 when absent. */
unsigned long zsl_rank(const zsl_t *zsl, double score, const char *ele, size_t len);
/* The node at a 1-based rank, NULL when out of range. */
zsl_node_t *zsl_by_rank(const zsl_t *zsl, unsigned long rank);
static inline zsl_node_t *zsl_first(const zsl_t *zsl) { return zsl->header->level[0].forward; }
static inline zsl_node_t *zsl_last(const zsl_t *zsl) { return zsl->tail; }
static inline zsl_node_t *zsl_next(const zsl_node_t *n) { return n->level[0].forward; }
static inline zsl_node_t *zsl_prev(const zsl_node_t *n) { return n->backward; }

/* Byte-wise member order (shorter first on a common prefix), as Redis's sdscmp. */
int zsl_cmp_member(const char *a, size_t alen, const char *b, size_t blen);

/* Score ranges. */
int zsl_value_gte_min(double v, const zsl_range_t *r);
int zsl_value_lte_max(double v, const zsl_range_t *r);
/* 1 when the interval cannot hold anything (min > max, or equal with an open bound). */
int zsl_range_empty(const zsl_range_t *r);
zsl_node_t *zsl_first_in_range(const zsl_t *zsl, const zsl_range_t *r);
zsl_node_t *zsl_last_in_range(const zsl_t *zsl, const zsl_range_t *r);

/* Lexicographic ranges (meaningful when all scores are equal). */
int zsl_lex_gte_min(const char *p, size_t len, const zsl_lex_range_t *r);
int zsl_lex_lte_max(const char *p, size_t len, const zsl_lex_range_t *r);
int zsl_lex_range_empty(const zsl_lex_range_t *r);
zsl_node_t *zsl_first_in_lex_range(const zsl_t *zsl, const zsl_lex_range_t *r);
zsl_node_t *zsl_last_in_lex_range(const zsl_t *zsl, const zsl_lex_range_t *r);

/* Range deletions; each returns the number of nodes removed and reports every one to fn
 * (may be NULL) before freeing it. Ranks are 1-based and inclusive. */
unsigned long zsl_delete_range_by_score(zsl_t *zsl, const zsl_range_t *r, zsl_unlink_fn *fn,
                                        void *priv);
unsigned long zsl_delete_range_by_lex(zsl_t *zsl, const zsl_lex_range_t *r, zsl_unlink_fn *fn,
                                      void *priv);
unsigned long zsl_delete_range_by_rank(zsl_t *zsl, unsigned long start, unsigned long end,
                                       zsl_unlink_fn *fn, void *priv);

/* Bytes a node of this member occupies (for memory estimates). */
size_t zsl_node_size(const zsl_node_t *n);
#endif
