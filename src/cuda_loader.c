/* cuda_loader.c — libfconv's side of the CUDA module (cuda_module.h): find libfconv_cuda, open it
 * on the first CUDA request, check that it was built from this fconv, and keep it. Built only
 * into CUDA-configured libraries; nothing here links or names a CUDA library.
 *
 * Search, first success wins (each attempt logged under FCONV_DEBUG):
 *  1. FCONV_CUDA_MODULE, when set and not empty: that file (a path, or a name for the dynamic
 *     loader) and nothing else: a value that cannot be loaded turns the CUDA backend off;
 *  2. the directory of the binary that holds libfconv (libfconv.so's directory: the install's
 *     libdir or the build tree; for a static libfconv, the program's or plugin's own directory);
 *  3. the module's name through the dynamic loader (LD_LIBRARY_PATH, the run path of the binary
 *     holding libfconv, the system's directories);
 *  4. the libdir this build was configured to install into (FCONV_CUDA_MODULE_LIBDIR).
 * An fconv from another version, or a file that is not an fconv CUDA module, is not used. */
#define _GNU_SOURCE
#include "cuda_module.h"

#include <dlfcn.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/memory.h"

#ifndef FCONV_CUDA_MODULE_NAME
#error "cuda_loader.c: FCONV_CUDA_MODULE_NAME (the module's file name) comes from the build"
#endif
#ifndef FCONV_CUDA_MODULE_LIBDIR
#define FCONV_CUDA_MODULE_LIBDIR ""
#endif

static const fconv_host_services host_services = {
    .verror = fconv_verror,
    .error_pass = fconv_error_pass,
    .vlog = fconv_vlog,
    .debug_enabled = fconv_debug_enabled,
    .status_text = fconv_status_text,
    .malloc = fconv_malloc,
    .calloc = fconv_calloc,
    .free = fconv_free,
};

static pthread_once_t once = PTHREAD_ONCE_INIT;
static const fconv_cuda_module *loaded;
static char why[512];  /* why nothing was loaded: the first attempt that found a module file but
                          could not use it, else the last attempt */
static int why_found;  /* why[] is about a module file that exists */

/* Record a failed attempt (found: the module file was there). */
static void note(int found, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void note(int found, const char *fmt, ...) {
  char text[sizeof why];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(text, sizeof text, fmt, ap);
  va_end(ap);
  FCONV_LOG("CUDA module: %s", text);
  if (!why_found) {
    snprintf(why, sizeof why, "%s", text);
    why_found = found;
  }
}

/* The module's checks: built from this fconv, with this layout. NULL when it may be used. */
static const char *mismatch(const fconv_cuda_module *m) {
  static const size_t layout[FCONV_CUDA_MODULE_NLAYOUT] = FCONV_CUDA_MODULE_LAYOUT;
  if (!m) return "its entry returned nothing";
  if (m->abi != FCONV_CUDA_MODULE_ABI || m->version != FCONV_VERSION_NUMBER)
    return "it was built from another fconv (version or module ABI differ)";
  if (memcmp(m->layout, layout, sizeof layout) != 0)
    return "its structures' layout differs from this libfconv's";
  if (!m->direct || !m->fft || !m->overlap_save || !m->channels_direct || !m->devices ||
      !m->stream)
    return "it is incomplete";
  return NULL;
}

/* One attempt: 1 when `file` is loaded, checked and kept. A name without '/' goes through the
 * dynamic loader's search. */
static int try_load(const char *file) {
  FCONV_LOG("CUDA module: trying %s", file);
  void *h = dlopen(file, RTLD_NOW | RTLD_LOCAL);
  if (!h) {
    const char *e = dlerror();
    if (!e) e = "dlopen failed";
    const size_t n = strlen(file);
    const int names_file = strncmp(e, file, n) == 0 && e[n] == ':';
    /* found: the file is there, and the failure is a missing dependency (libcudart, libcufft),
     * a bad ELF file or an unresolved symbol */
    const int found = strchr(file, '/') ? access(file, F_OK) == 0
                                        : !(names_file && strstr(e, "cannot open shared object"));
    if (names_file)
      note(found, "%s", e);
    else
      note(found, "%s: %s", file, e);
    return 0;
  }
  fconv_cuda_module_entry_fn entry;
  *(void **)&entry = dlsym(h, FCONV_CUDA_MODULE_ENTRY);
  const fconv_cuda_module *m = entry ? entry(&host_services) : NULL;
  const char *bad = entry ? mismatch(m) : "no " FCONV_CUDA_MODULE_ENTRY " symbol";
  if (bad) {
    note(1, "%s is not this fconv's CUDA module: %s", file, bad);
    dlclose(h);
    return 0;
  }
  loaded = m;
  FCONV_LOG("CUDA module: loaded %s", file);
  return 1;
}

/* try_load of the module's name in directory dir. */
static int try_in(const char *dir) {
  char path[PATH_MAX];
  const int n = snprintf(path, sizeof path, "%s/%s", dir, FCONV_CUDA_MODULE_NAME);
  return n > 0 && (size_t)n < sizeof path && try_load(path);
}

static void load(void) {
  const char *env = getenv("FCONV_CUDA_MODULE");
  if (env && *env) {
    if (!try_load(env)) {
      const size_t n = strlen(why);
      snprintf(why + n, sizeof why - n, " (named by FCONV_CUDA_MODULE)");
    }
    return;
  }
  /* the directory of the binary holding this code */
  char dir[PATH_MAX] = "";
  Dl_info info;
  if (dladdr((void *)&fconv_cuda_module_get, &info) && info.dli_fname) {
    const char *slash = strrchr(info.dli_fname, '/');
    if (slash && (size_t)(slash - info.dli_fname) < sizeof dir)
      snprintf(dir, sizeof dir, "%.*s", (int)(slash - info.dli_fname), info.dli_fname);
  }
  const char *libdir = FCONV_CUDA_MODULE_LIBDIR;
  if (strcmp(libdir, dir) == 0) libdir = "";
  if (dir[0] && try_in(dir)) return;
  if (try_load(FCONV_CUDA_MODULE_NAME)) return;
  if (libdir[0] && try_in(libdir)) return;
  if (!why_found)
    snprintf(why, sizeof why, "%s is in none of: %s%sthe dynamic loader's path%s%s (or set "
             "FCONV_CUDA_MODULE)", FCONV_CUDA_MODULE_NAME, dir, dir[0] ? ", " : "",
             libdir[0] ? ", " : "", libdir);
}

const fconv_cuda_module *fconv_cuda_module_get(void) {
  pthread_once(&once, load);
  return loaded;
}

const char *fconv_cuda_module_why(void) {
  pthread_once(&once, load);
  return loaded ? "" : why;
}
