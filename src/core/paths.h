/* paths.h — fconv's per-user cache directory and file helpers (the FFTW wisdom cache,
 * cpu/fftw.c; the CUDA calibration files, cuda/cost.cu). Pure C, no state. */
#ifndef FCONV_CORE_PATHS_H
#define FCONV_CORE_PATHS_H

#include <stddef.h>

#include "error.h"

#ifdef __cplusplus
extern "C" {
#endif

/* "$XDG_CACHE_HOME/fconv", else "$HOME/.cache/fconv", into buf (n bytes); 0 when neither
 * variable is set or the path does not fit, 1 otherwise. */
FCONV_HIDDEN int fconv_cache_dir(char *buf, size_t n);
/* mkdir -p of path's directory (best effort: the write that follows reports failure). */
FCONV_HIDDEN void fconv_make_parent_dirs(const char *path);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_PATHS_H */
