/* c_probes.c — C helpers for the API suites: values outside an enum's range are ordinary ints
 * in C, whereas in C++ loading such a value from an enum object is undefined behaviour (and
 * trips UBSan). So out-of-range enum values are written and passed from here. */
#include "c_probes.h"

void ft_set_enum_field(fconv_desc *d, ft_enum_field field, int value) {
  switch (field) {
  case FT_FIELD_DTYPE: d->dtype = (fconv_dtype)value; break;
  case FT_FIELD_MODE: d->mode = (fconv_mode)value; break;
  case FT_FIELD_OP: d->op = (fconv_op)value; break;
  case FT_FIELD_BOUNDARY: d->boundary = (fconv_boundary)value; break;
  case FT_FIELD_METHOD: d->method = (fconv_method)value; break;
  case FT_FIELD_BACKEND: d->backend = (fconv_backend)value; break;
  }
}

const char *ft_status_string(int s) { return fconv_status_string((fconv_status)s); }
const char *ft_method_name(int m) { return fconv_method_name((fconv_method)m); }
const char *ft_backend_name(int b) { return fconv_backend_name((fconv_backend)b); }
const char *ft_dtype_name(int t) { return fconv_dtype_name((fconv_dtype)t); }
