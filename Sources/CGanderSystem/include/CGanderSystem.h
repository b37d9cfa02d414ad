// GNU extensions of the C library that Swift's Glibc module does not expose, because they need _GNU_SOURCE.
#ifndef CGANDER_SYSTEM_H
#define CGANDER_SYSTEM_H

#include <spawn.h>
#include <stddef.h>

/// posix_spawn_file_actions_addchdir_np: the spawned process starts in `path`.
int gander_spawn_file_actions_addchdir(posix_spawn_file_actions_t *actions, const char *path);

/// memmem: the first occurrence of `needle` in `haystack`, or NULL.
const void *gander_memmem(const void *haystack, size_t haystack_length, const void *needle, size_t needle_length);

/// sync_file_range with SYNC_FILE_RANGE_WRITE on Linux: starts writing the range's dirty pages to disk without
/// waiting for them, so a later fsync has little left to do. Elsewhere it does nothing. Returns 0 or -1 (errno).
int gander_start_writeback(int descriptor, long long offset, long long length);

/// Opens `path` for writing past the page cache: O_DIRECT on Linux (writes must then be aligned to
/// GANDER_DIRECT_ALIGNMENT in address, offset and length), F_NOCACHE on Apple systems. Returns the descriptor, or -1
/// where the system or the file system does not offer it.
int gander_open_uncached(const char *path);

/// The alignment that writes to a descriptor from gander_open_uncached keep: a page, which covers every block size.
#define GANDER_DIRECT_ALIGNMENT 4096

#endif
