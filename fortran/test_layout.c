/* test_layout.c — the C side of the Fortran binding's layout check: sizes and offsets of the
 * structs that fortran/fconv.f90 mirrors field for field (fconv_desc, fconv_plan_info,
 * fconv_stream_desc, fconv_stream_info). */
#include <fconv.h>
#include <stddef.h>

void fconv_test_layout(size_t v[8]) {
  v[0] = sizeof(fconv_desc);
  v[1] = sizeof(fconv_plan_info);
  v[2] = offsetof(fconv_plan_info, reason);
  v[3] = offsetof(fconv_plan_info, workspace_bytes);
  v[4] = sizeof(fconv_stream_desc);
  v[5] = offsetof(fconv_stream_desc, flags);
  v[6] = sizeof(fconv_stream_info);
  v[7] = offsetof(fconv_stream_info, backend);
}
