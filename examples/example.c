/* 2-D 'same' convolution of a 512x512 image with a 5x5 box blur, mirror boundary. */
#include <fconv.h>
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  const size_t img[2] = {512, 512}, ker[2] = {5, 5};
  float *x = malloc(sizeof(float) * 512 * 512), *y = malloc(sizeof(float) * 512 * 512);
  float h[25];
  if (!x || !y) return 1;
  for (size_t i = 0; i < 512 * 512; i++) x[i] = (float)(i % 7);
  for (int i = 0; i < 25; i++) h[i] = 1.0f / 25;

  fconv_desc d;
  fconv_desc_init(&d, 2, img, ker, FCONV_F32); /* every other field at its default */
  d.mode = FCONV_MODE_SAME;
  d.boundary = FCONV_BOUNDARY_MIRROR;

  fconv_plan *plan = NULL;
  fconv_status st = fconv_plan_create(&plan, &d); /* validates, chooses, plans, allocates */
  if (st == FCONV_OK) st = fconv_plan_set_kernel(plan, h); /* copied; spectrum cached */
  if (st == FCONV_OK) st = fconv_execute(plan, x, NULL, y); /* reuse for many signals */
  if (st != FCONV_OK) {
    fprintf(stderr, "fconv: %s\n", fconv_status_string(st));
    fconv_plan_destroy(plan);
    return 1;
  }
  fconv_plan_info info;
  fconv_plan_get_info(plan, &info);
  printf("y[0] = %g, method %s on %s\n", y[0], fconv_method_name(info.method),
         fconv_backend_name(info.backend));
  fconv_plan_destroy(plan);
  free(x);
  free(y);
  return 0;
}
