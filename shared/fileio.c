/* Durable file replacement (shared/fileio.h). */
#include "shared/fileio.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int file_fsync_dir(const char *dir) {
    int fd = open(dir[0] ? dir : "/", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) return -1;
    int rc = fsync(fd);
    int en = errno;
    close(fd);
    errno = en;
    return rc;
}

/* Writes err and keeps errno for the caller. */
static int s_fail(char *err, size_t errlen, const char *what, const char *path) {
    int en = errno;
    snprintf(err, errlen, "%s %s: %s", what, path, strerror(en));
    errno = en;
    return -1;
}

int file_replace(const char *path, const void *data, size_t len, int mode, char *err,
                 size_t errlen) {
    char tmp[PATH_MAX + 32];
    snprintf(tmp, sizeof tmp, "%s.tmp-%d", path, (int)getpid());
    struct stat st;
    if (mode < 0) mode = stat(path, &st) == 0 ? (int)(st.st_mode & 07777) : 0644;
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) return s_fail(err, errlen, "cannot create", tmp);
    const char *p = data;
    size_t left = len;
    while (left > 0) {
        ssize_t w = write(fd, p, left);
        if (w < 0 && errno == EINTR) continue;
        if (w <= 0) {
            if (w == 0) errno = ENOSPC;
            goto fail;
        }
        p += w, left -= (size_t)w;
    }
    if (fchmod(fd, (mode_t)mode) < 0 || fsync(fd) < 0) goto fail;
    if (close(fd) < 0) {
        fd = -1;
        goto fail;
    }
    if (rename(tmp, path) < 0) {
        s_fail(err, errlen, "cannot replace", path);
        int en = errno;
        unlink(tmp);
        errno = en;
        return -1;
    }
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (slash) *slash = '\0';
    else snprintf(dir, sizeof dir, ".");
    if (file_fsync_dir(dir) < 0) return s_fail(err, errlen, "cannot fsync", dir);
    return 0;
fail:
    s_fail(err, errlen, "cannot write", tmp);
    int en = errno;
    if (fd >= 0) close(fd);
    unlink(tmp);
    errno = en;
    return -1;
}
