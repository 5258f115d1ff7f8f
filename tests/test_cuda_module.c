/* test_cuda_module.c — the CUDA module (libfconv_cuda, opened at run time) seen from a program
 * that links a CUDA-built libfconv, through the public API only. ctest runs it:
 *   test_cuda_module present
 *       with the module where the build puts it: no CUDA library is in the process until the
 *       first CUDA request; then the module and cuFFT are, and a CUDA request either works (a GPU)
 *       or is FCONV_ERR_NO_DEVICE for want of a device, not of the module;
 *   test_cuda_module absent <text>
 *       with FCONV_CUDA_MODULE naming something that cannot be used (set by ctest): CUDA requests
 *       are FCONV_ERR_NO_DEVICE with a last_error that explains it (it contains <text>, e.g. the
 *       loader's reason), AUTO plans run on the CPU with the right result, and no CUDA library
 *       is ever loaded into the process.
 * Prints what it checked; exit status 0 only when all is right. */
#define _GNU_SOURCE
#include <fconv.h>
#include <link.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
#define CHECK(cond, ...)                                 \
  do {                                                   \
    if (!(cond)) {                                       \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__); \
      fprintf(stderr, __VA_ARGS__);                      \
      fputc('\n', stderr);                               \
      failures++;                                        \
    }                                                    \
  } while (0)

/* Whether a loaded object's path contains `name`. */
struct find { const char *name; int found; };
static int find_object(struct dl_phdr_info *info, size_t size, void *arg) {
  (void)size;
  struct find *f = (struct find *)arg;
  if (info->dlpi_name && strstr(info->dlpi_name, f->name)) f->found = 1;
  return 0;
}
static int loaded(const char *name) {
  struct find f = {name, 0};
  dl_iterate_phdr(find_object, &f);
  return f.found;
}
static int any_cuda_library(void) {
  return loaded("libcudart") || loaded("libcufft") || loaded("libcuda.so") ||
         loaded("libfconv_cuda");
}

/* The end of a run: on success, *ran = backend and y[0..n) checked against want. */
static fconv_status checked(fconv_status st, fconv_backend backend, fconv_backend *ran,
                            const double *y, const double *want, int n) {
  if (st != FCONV_OK) return st;
  *ran = backend;
  for (int i = 0; i < n; i++)
    CHECK(fabs(y[i] - want[i]) < 1e-12, "y[%d] = %g, want %g", i, y[i], want[i]);
  return st;
}

/* A first difference, full mode: [1, 2, 4, 8] * [1, -1] = [1, 1, 2, 4, -8], on the given
 * backend; its status, and the backend that ran it in *ran. */
static fconv_status convolve(fconv_backend backend, unsigned flags, fconv_backend *ran) {
  const size_t n = 4, k = 2;
  const double x[4] = {1, 2, 4, 8}, h[2] = {1, -1};
  const double want[5] = {1, 1, 2, 4, -8};
  double y[5] = {0};
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
  d.backend = backend;
  d.flags = flags;
  fconv_plan *plan = NULL;
  fconv_status st = fconv_plan_create(&plan, &d);
  if (st != FCONV_OK) return st;
  fconv_plan_info info;
  st = fconv_execute(plan, x, h, y);
  if (st == FCONV_OK) st = fconv_plan_get_info(plan, &info);
  fconv_plan_destroy(plan);
  return checked(st, info.backend, ran, y, want, 5);
}

/* The same first difference as a stream (blocks of 4, one input and output) on the given
 * backend: its status, and the engine's backend in *ran. */
static fconv_status stream_diff(fconv_backend backend, fconv_backend *ran) {
  const double h[2] = {1, -1}, x[8] = {1, 2, 4, 8, 16, 32, 64, 128};
  const double want[8] = {1, 1, 2, 4, 8, 16, 32, 64};
  const void *hp[1] = {h};
  size_t len[1] = {2};
  double y[8] = {0};
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, 4, 1, 1, FCONV_F64);
  d.responses = hp;
  d.response_lengths = len;
  d.backend = backend;
  fconv_stream *s = NULL;
  fconv_status st = fconv_stream_create(&s, &d);
  if (st != FCONV_OK) return st;
  fconv_stream_info info;
  st = fconv_stream_process(s, x, y);
  if (st == FCONV_OK) st = fconv_stream_process(s, x + 4, y + 4);
  if (st == FCONV_OK) st = fconv_stream_get_info(s, &info);
  fconv_stream_destroy(s);
  return checked(st, info.backend, ran, y, want, 8);
}

static void absent(const char *text) {
  CHECK(strstr(fconv_version_string(), "cuda backend built"), "not a CUDA build: %s",
        fconv_version_string());
  fconv_backend ran = FCONV_BACKEND_CUDA;
  fconv_status st = convolve(FCONV_BACKEND_AUTO, 0, &ran);
  CHECK(st == FCONV_OK && ran == FCONV_BACKEND_CPU, "AUTO: %s, ran on %s", fconv_status_string(st),
        fconv_backend_name(ran));
  CHECK(fconv_cuda_device_count() == 0, "device count %d", fconv_cuda_device_count());
  const unsigned flags[2] = {0, FCONV_FLAG_DEVICE_POINTERS};
  for (int f = 0; f < 2; f++) {
    st = convolve(FCONV_BACKEND_CUDA, flags[f], &ran);
    const char *why = fconv_last_error();
    CHECK(st == FCONV_ERR_NO_DEVICE, "BACKEND_CUDA (flags %u): %s, want NO_DEVICE", flags[f],
          fconv_status_string(st));
    CHECK(strstr(why, "CUDA backend module is not available") && strstr(why, text),
          "last_error does not explain (want \"%s\"): %s", text, why);
    printf("BACKEND_CUDA (flags %u): %s: %s\n", flags[f], fconv_status_string(st), why);
  }
  st = stream_diff(FCONV_BACKEND_AUTO, &ran);
  CHECK(st == FCONV_OK && ran == FCONV_BACKEND_CPU, "AUTO stream: %s, ran on %s",
        fconv_status_string(st), fconv_backend_name(ran));
  st = stream_diff(FCONV_BACKEND_CUDA, &ran);
  const char *why = fconv_last_error();
  CHECK(st == FCONV_ERR_NO_DEVICE, "CUDA stream: %s, want NO_DEVICE", fconv_status_string(st));
  CHECK(strstr(why, "CUDA backend module is not available") && strstr(why, text),
        "CUDA stream: last_error does not explain (want \"%s\"): %s", text, why);
  printf("CUDA stream: %s: %s\n", fconv_status_string(st), why);
  CHECK(!any_cuda_library(), "a CUDA library was loaded into the process");
}

static void present(void) {
  fconv_backend ran = FCONV_BACKEND_CUDA;
  fconv_status st = convolve(FCONV_BACKEND_CPU, 0, &ran);
  CHECK(st == FCONV_OK && ran == FCONV_BACKEND_CPU, "CPU: %s", fconv_status_string(st));
  st = stream_diff(FCONV_BACKEND_CPU, &ran);
  CHECK(st == FCONV_OK && ran == FCONV_BACKEND_CPU, "CPU stream: %s", fconv_status_string(st));
  CHECK(!any_cuda_library(), "a CUDA library was loaded before any CUDA request");
  st = convolve(FCONV_BACKEND_CUDA, 0, &ran);
  const char *why = st == FCONV_OK ? "" : fconv_last_error();
  CHECK(st == FCONV_OK || (st == FCONV_ERR_NO_DEVICE && !strstr(why, "module")),
        "BACKEND_CUDA: %s: %s", fconv_status_string(st), why);
  CHECK(loaded("libfconv_cuda") && loaded("libcufft"), "the module (and cuFFT) not loaded");
  printf("BACKEND_CUDA with the module: %s%s%s (devices: %d)\n", fconv_status_string(st),
         why[0] ? ": " : "", why, fconv_cuda_device_count());
  st = stream_diff(FCONV_BACKEND_CUDA, &ran);
  why = st == FCONV_OK ? "" : fconv_last_error();
  CHECK((st == FCONV_OK && ran == FCONV_BACKEND_CUDA) ||
            (st == FCONV_ERR_NO_DEVICE && !strstr(why, "module")),
        "CUDA stream: %s: %s", fconv_status_string(st), why);
  printf("CUDA stream with the module: %s%s%s\n", fconv_status_string(st), why[0] ? ": " : "",
         why);
  st = stream_diff(FCONV_BACKEND_AUTO, &ran);
  CHECK(st == FCONV_OK, "AUTO stream: %s", fconv_status_string(st));
}

int main(int argc, char **argv) {
  if (argc == 2 && strcmp(argv[1], "present") == 0) {
    present();
  } else if (argc == 3 && strcmp(argv[1], "absent") == 0) {
    printf("FCONV_CUDA_MODULE=%s\n", getenv("FCONV_CUDA_MODULE") ? getenv("FCONV_CUDA_MODULE") : "");
    absent(argv[2]);
  } else {
    fprintf(stderr, "usage: %s present | absent <text the reason contains>\n", argv[0]);
    return 2;
  }
  if (failures) return 1;
  printf("ok\n");
  return 0;
}
