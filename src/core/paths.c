/* paths.c — see paths.h. */
#include "paths.h"

#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>

int fconv_cache_dir(char *buf, size_t n) {
  const char *x = getenv("XDG_CACHE_HOME"), *h = getenv("HOME");
  if (x && *x) return snprintf(buf, n, "%s/fconv", x) < (int)n;
  if (h && *h) return snprintf(buf, n, "%s/.cache/fconv", h) < (int)n;
  return 0;
}

void fconv_make_parent_dirs(const char *path) {
  char d[4096];
  if (snprintf(d, sizeof d, "%s", path) >= (int)sizeof d) return;
  for (char *p = d + 1; *p; p++)
    if (*p == '/') {
      *p = '\0';
      mkdir(d, 0755);
      *p = '/';
    }
}
