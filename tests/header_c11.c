/* header_c11.c — fconv.h must compile alone as strict C11 (-std=c11 -Wall -Wextra -pedantic
 * -Werror; the build failing is the test). The program also runs as a ctest entry and checks
 * that the header and the library agree on a few values. */
#include "fconv.h"

#include <stdio.h>

int main(void) {
  fconv_desc d;
  fconv_plan *plan = NULL;
  const size_t n[1] = {4}, k[1] = {2};
  const float x[4] = {1, 2, 3, 4}, h[2] = {1, -1};
  float y[5];
  const float want[5] = {1, 1, 1, 1, -4};
  int i, bad = 0;
  fconv_desc_init(&d, 1, n, k, FCONV_F32);
  if (fconv_version_number() != FCONV_VERSION_NUMBER) bad |= 1;
  if (fconv_status_string(FCONV_OK) == NULL) bad |= 2;
  if (fconv_plan_create(&plan, &d) != FCONV_OK) bad |= 4;
  if (!bad && fconv_execute(plan, x, h, y) != FCONV_OK) bad |= 8;
  for (i = 0; !bad && i < 5; i++)
    if (y[i] != want[i]) bad |= 16;
  fconv_plan_destroy(plan);
  if (bad) fprintf(stderr, "header_c11: failure mask %d\n", bad);
  return bad;
}
