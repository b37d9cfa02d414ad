// GNU extensions of the C library that Swift's Glibc module does not expose, because they need _GNU_SOURCE.
#ifndef CGANDER_SYSTEM_H
#define CGANDER_SYSTEM_H

#include <spawn.h>
#include <stddef.h>

/// posix_spawn_file_actions_addchdir_np: the spawned process starts in `path`.
int gander_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// memmem: the first occurrence of `needle` in `haystack`, or NULL.
const void *gander_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

#endif
