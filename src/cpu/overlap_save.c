/* overlap_save.c — PLACEHOLDER: not built yet (estimate < 0 makes dispatch skip it). */
#include "../fconv_internal.h"

static double stub_estimate(const fconv_problem *p) { (void)p; return -1.0; }
static fconv_status stub_create(const fconv_problem *p, void **s) {
  (void)p; (void)s;
  return FCONV_ERR_UNSUPPORTED;
}
static fconv_status stub_execute(void *s, const void *x, const void *h, void *y) {
  (void)s; (void)x; (void)h; (void)y;
  return FCONV_ERR_UNSUPPORTED;
}
static void stub_destroy(void *s) { (void)s; }

const fconv_path_vtbl fconv_cpu_overlap_save_path = {
    "cpu-overlap-save", FCONV_BACKEND_CPU, FCONV_METHOD_OVERLAP_SAVE, stub_estimate, stub_create, NULL,
    stub_execute, stub_destroy, NULL, NULL, NULL, NULL, NULL};
