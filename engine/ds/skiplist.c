/* The sorted sets' skip list: nodes ordered by (score, member), spans for ranks, level
 * chosen with probability 1/4 per extra level, search paths shared by every operation. */
#include "engine/ds/skiplist.h"

#include <stdlib.h>
#include <string.h>

#include "shared/util.h"

/* ---------- nodes ---------- */

static size_t s_node_bytes(int nlevel, size_t len) {
    return sizeof(zsl_node_t) + (size_t)nlevel * sizeof(struct zsl_link) + len + 1;
}

static zsl_node_t *s_node_new(int nlevel, double score, const char *ele, size_t len) {
    zsl_node_t *n = malloc(s_node_bytes(nlevel, len));
    if (!n) abort(); /* out of memory: maxmemory is the graceful path */
    char *bytes = (char *)&n->level[nlevel];
    if (len) memcpy(bytes, ele, len);
    bytes[len] = '\0';
    n->ele.ptr = bytes;
    n->ele.len = len;
    n->score = score;
    n->backward = NULL;
    n->nlevel = nlevel;
    for (int i = 0; i < nlevel; i++) {
        n->level[i].forward = NULL;
        n->level[i].span = 0;
    }
    return n;
}

void zsl_free_node(zsl_node_t *n) { free(n); }

size_t zsl_node_size(const zsl_node_t *n) { return s_node_bytes(n->nlevel, n->ele.len); }

static int s_random_level(void) {
    int level = 1;
    for (;;) {
        uint64_t r = rand_u64();
        /* each 2-bit group is one coin with p = 1/4; 32 groups cover the max level */
        for (int i = 0; i < 32; i++, r >>= 2) {
            if ((r & 3) != 0 || level >= ZSL_MAXLEVEL) return level;
            level++;
        }
    }
}

zsl_t *zsl_new(void) {
    zsl_t *zsl = malloc(sizeof *zsl);
    if (!zsl) abort();
    zsl->header = s_node_new(ZSL_MAXLEVEL, 0, NULL, 0);
    zsl->tail = NULL;
    zsl->length = 0;
    zsl->level = 1;
    return zsl;
}

void zsl_free(zsl_t *zsl) {
    if (!zsl) return;
    zsl_node_t *n = zsl->header->level[0].forward;
    while (n) {
        zsl_node_t *next = n->level[0].forward;
        free(n);
        n = next;
    }
    free(zsl->header);
    free(zsl);
}

/* ---------- ordering ---------- */

int zsl_cmp_member(const char *a, size_t alen, const char *b, size_t blen) {
    size_t n = alen < blen ? alen : blen;
    int c = n ? memcmp(a, b, n) : 0;
    if (c) return c;
    return alen < blen ? -1 : (alen > blen ? 1 : 0);
}

/* 1 when node x sorts before (score, ele). */
static inline int s_before(const zsl_node_t *x, double score, const char *ele, size_t len) {
    return x->score < score ||
           (x->score == score && zsl_cmp_member(x->ele.ptr, x->ele.len, ele, len) < 0);
}

/* Fills update[] with the last node before (score, ele) on each level, and rank[] (when not
 * NULL) with the number of nodes those positions are past the header. */
static zsl_node_t *s_search(const zsl_t *zsl, double score, const char *ele, size_t len,
                            zsl_node_t **update, unsigned long *rank) {
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--) {
        if (rank) rank[i] = i == zsl->level - 1 ? 0 : rank[i + 1];
        while (x->level[i].forward && s_before(x->level[i].forward, score, ele, len)) {
            if (rank) rank[i] += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    return x->level[0].forward;
}

/* Links x after the positions in update[] (rank[] as filled by s_search). */
static void s_link(zsl_t *zsl, zsl_node_t *x, zsl_node_t **update, unsigned long *rank) {
    int level = x->nlevel;
    if (level > zsl->level) {
        for (int i = zsl->level; i < level; i++) {
            rank[i] = 0;
            update[i] = zsl->header;
            update[i]->level[i].span = zsl->length;
        }
        zsl->level = level;
    }
    for (int i = 0; i < level; i++) {
        x->level[i].forward = update[i]->level[i].forward;
        update[i]->level[i].forward = x;
        x->level[i].span = update[i]->level[i].span - (rank[0] - rank[i]);
        update[i]->level[i].span = (rank[0] - rank[i]) + 1;
    }
    for (int i = level; i < zsl->level; i++)
        update[i]->level[i].span++;
    x->backward = update[0] == zsl->header ? NULL : update[0];
    if (x->level[0].forward)
        x->level[0].forward->backward = x;
    else
        zsl->tail = x;
    zsl->length++;
}

static void s_unlink_node(zsl_t *zsl, zsl_node_t *x, zsl_node_t **update) {
    for (int i = 0; i < zsl->level; i++) {
        if (update[i]->level[i].forward == x) {
            update[i]->level[i].span += x->level[i].span - 1;
            update[i]->level[i].forward = x->level[i].forward;
        } else {
            update[i]->level[i].span -= 1;
        }
    }
    if (x->level[0].forward)
        x->level[0].forward->backward = x->backward;
    else
        zsl->tail = x->backward;
    while (zsl->level > 1 && zsl->header->level[zsl->level - 1].forward == NULL)
        zsl->level--;
    zsl->length--;
}

zsl_node_t *zsl_insert(zsl_t *zsl, double score, const char *ele, size_t len) {
    zsl_node_t *update[ZSL_MAXLEVEL];
    unsigned long rank[ZSL_MAXLEVEL];
    s_search(zsl, score, ele, len, update, rank);
    zsl_node_t *x = s_node_new(s_random_level(), score, ele, len);
    s_link(zsl, x, update, rank);
    return x;
}

zsl_node_t *zsl_node_new(double score, const char *ele, size_t len) {
    return s_node_new(s_random_level(), score, ele, len);
}

void zsl_relink(zsl_t *zsl, zsl_node_t *x) {
    zsl_node_t *update[ZSL_MAXLEVEL];
    unsigned long rank[ZSL_MAXLEVEL];
    s_search(zsl, x->score, x->ele.ptr, x->ele.len, update, rank);
    s_link(zsl, x, update, rank);
}

zsl_node_t *zsl_unlink(zsl_t *zsl, double score, const char *ele, size_t len) {
    zsl_node_t *update[ZSL_MAXLEVEL];
    zsl_node_t *x = s_search(zsl, score, ele, len, update, NULL);
    if (!x || x->score != score || zsl_cmp_member(x->ele.ptr, x->ele.len, ele, len) != 0)
        return NULL;
    s_unlink_node(zsl, x, update);
    return x;
}

zsl_node_t *zsl_update_score(zsl_t *zsl, double curscore, const char *ele, size_t len,
                             double newscore) {
    zsl_node_t *update[ZSL_MAXLEVEL];
    zsl_node_t *x = s_search(zsl, curscore, ele, len, update, NULL);
    if (!x || x->score != curscore) abort(); /* the caller's dict said it exists */
    /* still strictly between its neighbours: the order holds, only the score changes */
    if ((x->backward == NULL || x->backward->score < newscore) &&
        (x->level[0].forward == NULL || x->level[0].forward->score > newscore)) {
        x->score = newscore;
        return x;
    }
    s_unlink_node(zsl, x, update);
    x->score = newscore;
    zsl_relink(zsl, x);
    return x;
}

/* ---------- ranks ---------- */

unsigned long zsl_rank(const zsl_t *zsl, double score, const char *ele, size_t len) {
    const zsl_node_t *x = zsl->header;
    unsigned long rank = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               (x->level[i].forward->score < score ||
                (x->level[i].forward->score == score &&
                 zsl_cmp_member(x->level[i].forward->ele.ptr, x->level[i].forward->ele.len, ele,
                                len) <= 0))) {
            rank += x->level[i].span;
            x = x->level[i].forward;
        }
        if (x != zsl->header && x->score == score &&
            zsl_cmp_member(x->ele.ptr, x->ele.len, ele, len) == 0)
            return rank;
    }
    return 0;
}

zsl_node_t *zsl_by_rank(const zsl_t *zsl, unsigned long rank) {
    zsl_node_t *x = zsl->header;
    unsigned long traversed = 0;
    if (rank == 0 || rank > zsl->length) return NULL;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span <= rank) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        if (traversed == rank) return x;
    }
    return NULL;
}

/* ---------- score ranges ---------- */

int zsl_value_gte_min(double v, const zsl_range_t *r) {
    return r->minex ? v > r->min : v >= r->min;
}
int zsl_value_lte_max(double v, const zsl_range_t *r) {
    return r->maxex ? v < r->max : v <= r->max;
}

int zsl_range_empty(const zsl_range_t *r) {
    return r->min > r->max || (r->min == r->max && (r->minex || r->maxex));
}

static int s_in_range(const zsl_t *zsl, const zsl_range_t *r) {
    if (zsl_range_empty(r)) return 0;
    if (!zsl->tail || !zsl_value_gte_min(zsl->tail->score, r)) return 0;
    zsl_node_t *first = zsl->header->level[0].forward;
    return first && zsl_value_lte_max(first->score, r);
}

zsl_node_t *zsl_first_in_range(const zsl_t *zsl, const zsl_range_t *r) {
    if (!s_in_range(zsl, r)) return NULL;
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--)
        while (x->level[i].forward && !zsl_value_gte_min(x->level[i].forward->score, r))
            x = x->level[i].forward;
    x = x->level[0].forward;
    return x && zsl_value_lte_max(x->score, r) ? x : NULL;
}

zsl_node_t *zsl_last_in_range(const zsl_t *zsl, const zsl_range_t *r) {
    if (!s_in_range(zsl, r)) return NULL;
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--)
        while (x->level[i].forward && zsl_value_lte_max(x->level[i].forward->score, r))
            x = x->level[i].forward;
    return x != zsl->header && zsl_value_gte_min(x->score, r) ? x : NULL;
}

/* ---------- lexicographic ranges ---------- */

/* Orders two bounds, the infinities below and above every string. */
static int s_bound_cmp(const zsl_lex_bound_t *a, const zsl_lex_bound_t *b) {
    if (a->kind != ZLEX_VALUE && a->kind == b->kind) return 0;
    if (a->kind == ZLEX_NEG_INF || b->kind == ZLEX_POS_INF) return -1;
    if (a->kind == ZLEX_POS_INF || b->kind == ZLEX_NEG_INF) return 1;
    return zsl_cmp_member(a->ptr, a->len, b->ptr, b->len);
}

/* A member against a bound. */
static int s_value_cmp(const char *p, size_t len, const zsl_lex_bound_t *b) {
    if (b->kind == ZLEX_NEG_INF) return 1;
    if (b->kind == ZLEX_POS_INF) return -1;
    return zsl_cmp_member(p, len, b->ptr, b->len);
}

int zsl_lex_gte_min(const char *p, size_t len, const zsl_lex_range_t *r) {
    int c = s_value_cmp(p, len, &r->min);
    return r->min.ex ? c > 0 : c >= 0;
}

int zsl_lex_lte_max(const char *p, size_t len, const zsl_lex_range_t *r) {
    int c = s_value_cmp(p, len, &r->max);
    return r->max.ex ? c < 0 : c <= 0;
}

int zsl_lex_range_empty(const zsl_lex_range_t *r) {
    int c = s_bound_cmp(&r->min, &r->max);
    return c > 0 || (c == 0 && (r->min.ex || r->max.ex));
}

static int s_in_lex_range(const zsl_t *zsl, const zsl_lex_range_t *r) {
    if (zsl_lex_range_empty(r)) return 0;
    const zsl_node_t *x = zsl->tail;
    if (!x || !zsl_lex_gte_min(x->ele.ptr, x->ele.len, r)) return 0;
    x = zsl->header->level[0].forward;
    return x && zsl_lex_lte_max(x->ele.ptr, x->ele.len, r);
}

zsl_node_t *zsl_first_in_lex_range(const zsl_t *zsl, const zsl_lex_range_t *r) {
    if (!s_in_lex_range(zsl, r)) return NULL;
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--)
        while (x->level[i].forward &&
               !zsl_lex_gte_min(x->level[i].forward->ele.ptr, x->level[i].forward->ele.len, r))
            x = x->level[i].forward;
    x = x->level[0].forward;
    return x && zsl_lex_lte_max(x->ele.ptr, x->ele.len, r) ? x : NULL;
}

zsl_node_t *zsl_last_in_lex_range(const zsl_t *zsl, const zsl_lex_range_t *r) {
    if (!s_in_lex_range(zsl, r)) return NULL;
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--)
        while (x->level[i].forward &&
               zsl_lex_lte_max(x->level[i].forward->ele.ptr, x->level[i].forward->ele.len, r))
            x = x->level[i].forward;
    return x != zsl->header && zsl_lex_gte_min(x->ele.ptr, x->ele.len, r) ? x : NULL;
}

/* ---------- range deletions ---------- */

/* Removes nodes from update[0]'s successor on while keep() says they are in range. */
typedef int s_keep_fn(const zsl_node_t *x, const void *arg);

static unsigned long s_delete_run(zsl_t *zsl, zsl_node_t **update, s_keep_fn *inside,
                                  const void *arg, unsigned long limit, zsl_unlink_fn *fn,
                                  void *priv) {
    unsigned long removed = 0;
    zsl_node_t *x = update[0]->level[0].forward;
    while (x && removed < limit && inside(x, arg)) {
        zsl_node_t *next = x->level[0].forward;
        s_unlink_node(zsl, x, update);
        if (fn) fn(priv, x);
        free(x);
        removed++;
        x = next;
    }
    return removed;
}

static int s_score_inside(const zsl_node_t *x, const void *arg) {
    return zsl_value_lte_max(x->score, arg);
}

static int s_lex_inside(const zsl_node_t *x, const void *arg) {
    return zsl_lex_lte_max(x->ele.ptr, x->ele.len, arg);
}

static int s_always(const zsl_node_t *x, const void *arg) {
    (void)x, (void)arg;
    return 1;
}

unsigned long zsl_delete_range_by_score(zsl_t *zsl, const zsl_range_t *r, zsl_unlink_fn *fn,
                                        void *priv) {
    zsl_node_t *update[ZSL_MAXLEVEL];
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && !zsl_value_gte_min(x->level[i].forward->score, r))
            x = x->level[i].forward;
        update[i] = x;
    }
    return s_delete_run(zsl, update, s_score_inside, r, (unsigned long)-1, fn, priv);
}

unsigned long zsl_delete_range_by_lex(zsl_t *zsl, const zsl_lex_range_t *r, zsl_unlink_fn *fn,
                                      void *priv) {
    zsl_node_t *update[ZSL_MAXLEVEL];
    zsl_node_t *x = zsl->header;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward &&
               !zsl_lex_gte_min(x->level[i].forward->ele.ptr, x->level[i].forward->ele.len, r))
            x = x->level[i].forward;
        update[i] = x;
    }
    return s_delete_run(zsl, update, s_lex_inside, r, (unsigned long)-1, fn, priv);
}

unsigned long zsl_delete_range_by_rank(zsl_t *zsl, unsigned long start, unsigned long end,
                                       zsl_unlink_fn *fn, void *priv) {
    if (start == 0 || end < start) return 0;
    zsl_node_t *update[ZSL_MAXLEVEL];
    zsl_node_t *x = zsl->header;
    unsigned long traversed = 0;
    for (int i = zsl->level - 1; i >= 0; i--) {
        while (x->level[i].forward && traversed + x->level[i].span < start) {
            traversed += x->level[i].span;
            x = x->level[i].forward;
        }
        update[i] = x;
    }
    return s_delete_run(zsl, update, s_always, NULL, end - start + 1, fn, priv);
}
