/* JSONPath for JSON documents held as jansson trees (engine/types/t_json.c): compiling a
 * path once and evaluating it to the list of matching nodes, each with the place it sits in
 * (parent and key or index) so that commands can replace, delete or modify it.
 *
 * Syntax (RedisJSON's JSONPath): $ root; .name and ['name'] / ["name"] members; .* and [*]
 * wildcards; [n] indexes (negative from the end), [a,b] unions of indexes or names,
 * [start:end:step] slices; ..x recursive descent (..name, ..*, ..[...]); filters
 * [?(expr)] on the items of an array or the values of an object, where expr compares
 * relative (@.x) or absolute ($.x) paths and literals (numbers, 'strings', "strings", true,
 * false, null) with == != < <= > >= and =~ (POSIX extended regex, "(?i)" prefix for
 * case-insensitive), combines them with && || ! and parentheses, and a bare @.x tests
 * existence. No engine dependency: unit-tested alone (tests/unit/engine/test_jsonpath.c). */
#ifndef VOLE_JSONPATH_H
#define VOLE_JSONPATH_H
#include <jansson.h>
#include <stddef.h>

typedef struct jp_path jp_path_t;

/* One match: node, and where it sits (parent NULL for the document root). For an object
 * parent, key/klen name the member (the bytes stay valid while the path and the document
 * are unchanged); for an array parent, idx is the position. depth counts the containers
 * above the node. */
typedef struct jp_match {
    json_t *node;
    json_t *parent;
    const char *key;
    size_t klen;
    size_t idx;
    size_t depth;
} jp_match_t;

typedef struct jp_matches {
    jp_match_t *v;
    size_t n, cap;
} jp_matches_t;

/* Compiles path (which must start with '$'); NULL with a message in err on a syntax error. */
jp_path_t *jp_compile(const char *path, size_t len, char *err, size_t errlen);
void jp_free(jp_path_t *p);
/* 1 when the path has only member names and single indexes (it can name a place that does
 * not exist yet: JSON.SET adds the last member). */
int jp_is_static(const jp_path_t *p);
/* Number of steps after '$' (0 for the root itself). */
size_t jp_size(const jp_path_t *p);
/* When the last step is one member name, returns 1 and its bytes; 0 when it is an index. */
int jp_last_name(const jp_path_t *p, const char **name, size_t *len);
/* Evaluates p on root, appending the matches to out (in document order, as RedisJSON).
 * With skip_last the last step is left out (the parents of what p names). */
void jp_eval(const jp_path_t *p, json_t *root, int skip_last, jp_matches_t *out);
void jp_matches_free(jp_matches_t *m);

/* Deep equality as RedisJSON compares values: same types (the integer 1 is not the number
 * 1.0), objects member by member regardless of order. */
int jp_equal(const json_t *a, const json_t *b);
#endif
