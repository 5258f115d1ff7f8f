/* util.h — the clock (util.c), and the CPU threads runtime (core/threads.h). */
#ifndef FCONV_UTIL_H
#define FCONV_UTIL_H

#include <stddef.h>

#include "core/error.h"
#include "core/threads.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Wall clock in seconds (monotonic). */
FCONV_HIDDEN double fconv_now(void);

#ifdef __cplusplus
}
#endif

#endif /* FCONV_UTIL_H */
