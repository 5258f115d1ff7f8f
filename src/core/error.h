/* core/error.h — visibility and host/device markers, debug logging, and the error macros every
 * layer uses. Every failure the library reports goes through fconv_error() (log.c), so what
 * happens on a failure (today: a log line under FCONV_DEBUG) is decided in one function.
 *
 *   FCONV_RETURN_ERROR(st, "why", ...)   leave with st (unconditional); why is printf-style
 *   FCONV_RETURN_IF(cond, st, "why", ...) leave with st when cond holds
 *   FCONV_FORWARD(expr)                  evaluate an fconv_status call; leave with it unless OK
 *                                        (logged under FCONV_DEBUG with the expression)
 */
#ifndef FCONV_CORE_ERROR_H
#define FCONV_CORE_ERROR_H

#include <stdarg.h>

#include "fconv.h"

#ifdef __cplusplus
extern "C" {
#endif

#define FCONV_HIDDEN __attribute__((visibility("hidden")))

/* Functions shared by host code and CUDA device code (and the CUDA emulator used in tests). */
#if defined(__CUDACC__)
#define FCONV_HD __host__ __device__
#else
#define FCONV_HD
#endif

/* Debug logging: printed to stderr only when the environment variable FCONV_DEBUG is set to a
 * non-empty value other than "0". Never used for the caller's mistakes otherwise. */
FCONV_HIDDEN int fconv_debug_enabled(void);
FCONV_HIDDEN void fconv_log(const char *file, int line, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
FCONV_HIDDEN void fconv_vlog(const char *file, int line, const char *fmt, va_list ap);
#define FCONV_LOG(...) \
  do { if (fconv_debug_enabled()) fconv_log(__FILE__, __LINE__, __VA_ARGS__); } while (0)

/* The one string table of statuses (fconv_status_string returns it; never NULL). */
FCONV_HIDDEN const char *fconv_status_text(fconv_status s);

/* Every failure passes through here: records the detail that fconv_last_error() returns on this
 * thread (fmt and its arguments, printf-style: name the field and its value, e.g.
 * "desc->rank = %d: must be 1, 2 or 3"), logs it under FCONV_DEBUG, never prints otherwise, and
 * returns st. func is the failing function (__func__). */
FCONV_HIDDEN fconv_status fconv_error(fconv_status st, const char *file, int line,
                                      const char *func, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));
FCONV_HIDDEN fconv_status fconv_verror(fconv_status st, const char *file, int line,
                                       const char *func, const char *fmt, va_list ap);
/* A failure st leaving function func (FCONV_FORWARD, FCONV_PASS): the detail keeps the reason
 * recorded by fconv_error and names the outermost function the failure left, i.e. the public
 * one. A failure that no fconv_error recorded gets the status sentence as its reason. */
FCONV_HIDDEN fconv_status fconv_error_pass(fconv_status st, const char *func);
/* Public entry points call this first: no failure recorded yet in this call. */
FCONV_HIDDEN void fconv_error_clear(void);
/* The calling thread's last failure as "function: reason"; "" when none was recorded. */
FCONV_HIDDEN const char *fconv_error_detail(void);

/* ERROR(st, "why", ...): record a failure and evaluate to st (for cleanup before returning). */
#define FCONV_ERROR(st, ...) fconv_error((st), __FILE__, __LINE__, __func__, __VA_ARGS__)
#define FCONV_RETURN_ERROR(st, ...) return FCONV_ERROR(st, __VA_ARGS__)
#define FCONV_RETURN_IF(cond, st, ...)                                      \
  do {                                                                      \
    if (cond) FCONV_RETURN_ERROR(st, __VA_ARGS__);                          \
  } while (0)
/* The caller's mistake: FCONV_ERR_INVALID_ARGUMENT when cond holds. */
#define FCONV_INVALID_IF(cond, ...) \
  FCONV_RETURN_IF(cond, FCONV_ERR_INVALID_ARGUMENT, __VA_ARGS__)
/* PASS(st): st, with a failure recorded as leaving this function (use on a status returned
 * after cleanup: `return FCONV_PASS(st);`). */
#define FCONV_PASS(st) fconv_error_pass((st), __func__)
#define FCONV_FORWARD(expr)                                                 \
  do {                                                                      \
    fconv_status fconv_fw_st_ = (expr);                                     \
    if (fconv_fw_st_ != FCONV_OK) {                                         \
      FCONV_LOG("forwarding %s from %s", fconv_status_text(fconv_fw_st_), #expr); \
      return fconv_error_pass(fconv_fw_st_, __func__);                      \
    }                                                                       \
  } while (0)

#ifdef __cplusplus
}
#endif

#endif /* FCONV_CORE_ERROR_H */
