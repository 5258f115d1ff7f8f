// header_cxx.cpp — fconv.h must compile alone as C++11 (-std=c++11 -Wall -Wextra -pedantic
// -Werror; the build failing is the test) and link (extern "C").
#include "fconv.h"

int main() {
  fconv_desc d;
  const size_t n[2] = {3, 3}, k[2] = {2, 2};
  fconv_desc_init(&d, 2, n, k, FCONV_C128);
  fconv_plan *plan = nullptr;
  const fconv_status st = fconv_plan_create(&plan, &d);
  fconv_plan_destroy(plan);
  return st == FCONV_OK && fconv_version_number() == FCONV_VERSION_NUMBER ? 0 : 1;
}
