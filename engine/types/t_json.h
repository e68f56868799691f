/* JSON documents (OBJ_JSON): the type API used by the commands in t_json.c, the snapshot code
 * and the unit tests. A document is a jansson tree; the key's vobj_t holds its root. */
#ifndef VOLE_T_JSON_H
#define VOLE_T_JSON_H
#include <jansson.h>

#include "engine/engine.h"
#include "shared/buf.h"

/* Deepest nesting a document may reach (containers above a value): parsing and every
 * insertion enforce it, so recursive walks of a document stay within the stack. */
#define JSON_MAX_DEPTH 128

/* Output layout of JSON.GET (INDENT / NEWLINE / SPACE); all NULL means compact. */
typedef struct json_fmt {
    const char *indent, *newline, *space;
    size_t indent_len, newline_len, space_len;
} json_fmt_t;

/* Parses one JSON value (any type at the top) of at most JSON_MAX_DEPTH levels; NULL with a
 * message in err ("ERR ... at line L column C") on malformed input (json_parse.c). */
json_t *json_type_parse(const char *p, size_t len, char *err, size_t errlen);
/* Serialises v as RedisJSON does (serde_json's number and string forms); fmt may be NULL. */
void json_type_serialize(buf_t *b, const json_t *v, const json_fmt_t *fmt);
/* Appends a double in the shortest form that reads back exactly ("1.0", "0.1", "1e21"). */
void json_type_format_double(buf_t *b, double d);
/* Containers above the deepest value of v (0 for a scalar). */
size_t json_type_depth(const json_t *v);
/* Estimated bytes a tree holds (MEMORY USAGE). */
size_t json_type_mem(const json_t *v);
/* RedisJSON's type names: null boolean integer number string array object. */
const char *json_type_name(const json_t *v);
/* A JSON key object owning root. */
vobj_t *json_type_create(json_t *root);
#endif
