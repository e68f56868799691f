/* Values: byte strings (vstr_t) and typed objects (vobj_t), with Redis's string encodings
 * (int / embstr / raw) and a registry through which each data type supplies free/dup/size. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "engine/engine.h"
#include "engine/types/t_string.h"
#include "shared/util.h"

#define EMBSTR_MAX 44 /* Redis's OBJ_ENCODING_EMBSTR_SIZE_LIMIT */

static void *s_xmalloc(size_t n) {
    void *p = malloc(n);
    if (!p) abort(); /* out of memory: maxmemory is the graceful path */
    return p;
}

vstr_t *vstr_new(const char *p, size_t len) {
    vstr_t *s = s_xmalloc(sizeof(vstr_t) + len + 1);
    s->len = len;
    if (len) memcpy(s->ptr, p, len);
    s->ptr[len] = '\0';
    return s;
}

vstr_t *vstr_empty(size_t len) {
    vstr_t *s = s_xmalloc(sizeof(vstr_t) + len + 1);
    s->len = len;
    memset(s->ptr, 0, len + 1);
    return s;
}

vstr_t *vstr_grow_zero(vstr_t *s, size_t len) {
    if (s->len >= len) return s;
    vstr_t *n = realloc(s, sizeof(vstr_t) + len + 1);
    if (!n) abort();
    memset(n->ptr + n->len, 0, len - n->len + 1);
    n->len = len;
    return n;
}

vstr_t *vstr_cat(vstr_t *s, const char *p, size_t len) {
    vstr_t *n = realloc(s, sizeof(vstr_t) + s->len + len + 1);
    if (!n) abort();
    memcpy(n->ptr + n->len, p, len);
    n->len += len;
    n->ptr[n->len] = '\0';
    return n;
}

void vstr_free(vstr_t *s) { free(s); }

uint64_t vstr_dict_hash(const void *k) {
    const vstr_t *s = k;
    return dict_hash_bytes(s->ptr, s->len);
}

int vstr_dict_eq(const void *a, const void *b) {
    const vstr_t *x = a, *y = b;
    return x->len == y->len && memcmp(x->ptr, y->ptr, x->len) == 0;
}

void vstr_dict_free(void *p) { vstr_free(p); }

const obj_type_t *obj_types[OBJ_TYPE_MAX];

void obj_register_type(int type, const obj_type_t *t) { obj_types[type] = t; }

static vobj_t *s_obj(uint8_t type, uint8_t enc) {
    vobj_t *o = s_xmalloc(sizeof *o);
    o->type = type;
    o->enc = enc;
    o->lru = 0;
    o->v.p = NULL;
    return o;
}

vobj_t *obj_string_ll(long long v) {
    vobj_t *o = s_obj(OBJ_STRING, ENC_INT);
    o->v.i = v;
    return o;
}

vobj_t *obj_string_raw(const char *p, size_t len) {
    vobj_t *o = s_obj(OBJ_STRING, ENC_RAW);
    o->v.s = vstr_new(p, len);
    return o;
}

vobj_t *obj_string(const char *p, size_t len) {
    long long v;
    if (len <= 20 && str_to_ll(p, len, &v)) return obj_string_ll(v);
    vobj_t *o = obj_string_raw(p, len);
    if (len <= EMBSTR_MAX) o->enc = ENC_EMBSTR;
    return o;
}

vobj_t *obj_string_from_vstr(vstr_t *s) {
    vobj_t *o = s_obj(OBJ_STRING, ENC_RAW);
    o->v.s = s;
    return o;
}

void obj_free(vobj_t *o) {
    if (!o) return;
    if (o->type == OBJ_STRING) {
        if (o->enc != ENC_INT) vstr_free(o->v.s);
    } else if (obj_types[o->type] && obj_types[o->type]->free) {
        obj_types[o->type]->free(o);
    }
    free(o);
}

vobj_t *obj_dup(const vobj_t *o) {
    if (o->type == OBJ_STRING) {
        vobj_t *n = s_obj(OBJ_STRING, o->enc);
        if (o->enc == ENC_INT) n->v.i = o->v.i;
        else n->v.s = vstr_new(o->v.s->ptr, o->v.s->len);
        return n;
    }
    return obj_types[o->type]->dup(o);
}

const char *obj_str(const vobj_t *o, char *tmp, size_t *len) {
    if (o->enc == ENC_INT) {
        *len = (size_t)ll_to_str(tmp, o->v.i);
        return tmp;
    }
    *len = o->v.s->len;
    return o->v.s->ptr;
}

size_t obj_strlen(const vobj_t *o) {
    if (o->enc == ENC_INT) {
        char tmp[24];
        return (size_t)ll_to_str(tmp, o->v.i);
    }
    return o->v.s->len;
}

void obj_make_raw(vobj_t *o) {
    if (o->enc == ENC_INT) {
        char tmp[24];
        int n = ll_to_str(tmp, o->v.i);
        o->v.s = vstr_new(tmp, (size_t)n);
    }
    o->enc = ENC_RAW;
}

const char *obj_encoding_name(const vobj_t *o) {
    switch (o->enc) {
    case ENC_RAW: return "raw";
    case ENC_INT: return "int";
    case ENC_HT: return "hashtable";
    case ENC_EMBSTR: return "embstr";
    case ENC_LISTPACK: return "listpack";
    case ENC_QUICKLIST: return "quicklist";
    case ENC_INTSET: return "intset";
    case ENC_SKIPLIST: return "skiplist";
    case ENC_STREAM: return "stream";
    default: return "unknown";
    }
}

static size_t s_string_mem(const vobj_t *o) {
    return sizeof(vobj_t) + (o->enc == ENC_INT ? 0 : sizeof(vstr_t) + o->v.s->len + 1);
}

static const obj_type_t s_string_type = {
    "string", NULL, NULL, s_string_mem, string_snap_save, string_snap_load};

__attribute__((constructor)) static void s_register_string(void) {
    obj_register_type(OBJ_STRING, &s_string_type);
}
