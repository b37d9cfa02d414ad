#define _GNU_SOURCE
#include "CGanderSystem.h"
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

int gander_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path) {
    return posix_spawn_file_actions_addchdir_np(actions, path);
}

const void *gander_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length) {
    return memmem(haystack, haystack_length, needle, needle_length);
}

int gander_start_writeback(int descriptor, long long offset, long long length) {
#ifdef __linux__
    return sync_file_range(descriptor, (off64_t)offset, (off64_t)length, SYNC_FILE_RANGE_WRITE);
#else
    (void)descriptor; (void)offset; (void)length;
    return 0;
#endif
}

int gander_open_uncached(const char *path) {
#if defined(__linux__)
    return open(path, O_WRONLY | O_DIRECT | O_CLOEXEC);
#elif defined(__APPLE__)
    int descriptor = open(path, O_WRONLY | O_CLOEXEC);
    if (descriptor >= 0 && fcntl(descriptor, F_NOCACHE, 1) != 0) {
        close(descriptor);
        return -1;
    }
    return descriptor;
#else
    (void)path;
    return -1;
#endif
}
