/* Durable file replacement: the whole new content goes to a temporary file beside the old
 * one, is fsynced, renamed over it, and the directory is fsynced, so a crash leaves either
 * the old file or the new one, never a mix. */
#ifndef VOLE_FILEIO_H
#define VOLE_FILEIO_H

#include <stddef.h>

/* fsync of a directory (after creating, renaming or removing files in it); 0 or -1. */
int file_fsync_dir(const char *dir);
/* Replaces path with len bytes of data; mode < 0 keeps the old file's permissions (0644 for a
 * new file). 0, or -1 with errno set and the reason in err. */
int file_replace(const char *path, const void *data, size_t len, int mode, char *err,
                 size_t errlen);

#endif
