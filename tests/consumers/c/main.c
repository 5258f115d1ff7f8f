/* A consumer of the installed fconv (C): 1-D full convolution against SciPy's golden result
 * (scipy.signal.convolve([3,4,5,6,5,4], [1,2,3]) = [3,10,22,28,32,32,23,12]), through a plan
 * with the kernel set once, and the version query. A CUDA-built install must also find its CUDA
 * module (libfconv_cuda, opened at run time): a CUDA request either runs or finds no device, it
 * never lacks the module. Exit status 0 only when all is right. */
#include <fconv.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

int main(void) {
  const size_t n = 6, k = 3;
  const double x[6] = {3, 4, 5, 6, 5, 4}, h[3] = {1, 2, 3};
  const double want[8] = {3, 10, 22, 28, 32, 32, 23, 12};
  double y[8] = {0};
  fconv_desc d;
  fconv_desc_init(&d, 1, &n, &k, FCONV_F64);
  fconv_plan *plan = NULL;
  fconv_status st = fconv_plan_create(&plan, &d);
  if (st == FCONV_OK) st = fconv_plan_set_kernel(plan, h);
  if (st == FCONV_OK) st = fconv_execute(plan, x, NULL, y);
  fconv_plan_info info;
  if (st == FCONV_OK) st = fconv_plan_get_info(plan, &info);
  fconv_plan_destroy(plan);
  if (st != FCONV_OK) {
    fprintf(stderr, "c consumer: %s\n", fconv_status_string(st));
    return 1;
  }
  for (int i = 0; i < 8; i++)
    if (fabs(y[i] - want[i]) > 1e-9) {
      fprintf(stderr, "c consumer: y[%d] = %g, want %g\n", i, y[i], want[i]);
      return 1;
    }
  if (fconv_version_number() != FCONV_VERSION_NUMBER) return 1;
  const char *cuda = "";
  if (strstr(fconv_version_string(), "cuda backend built")) {
    d.backend = FCONV_BACKEND_CUDA;
    st = fconv_convolve(&d, x, h, y);
    if (st != FCONV_OK && strstr(fconv_last_error(), "module")) {
      fprintf(stderr, "c consumer: %s\n", fconv_last_error());
      return 1;
    }
    cuda = st == FCONV_OK ? ", CUDA module found and run" : ", CUDA module found (no device)";
  }
  printf("c consumer ok: fconv %s, %s on %s%s\n", fconv_version_string(),
         fconv_method_name(info.method), fconv_backend_name(info.backend), cuda);
  return 0;
}
