/* c_probes.h — see c_probes.c. */
#ifndef FCONV_TESTS_C_PROBES_H
#define FCONV_TESTS_C_PROBES_H

#include "fconv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef enum {
  FT_FIELD_DTYPE,
  FT_FIELD_MODE,
  FT_FIELD_OP,
  FT_FIELD_BOUNDARY,
  FT_FIELD_METHOD,
  FT_FIELD_BACKEND
} ft_enum_field;

/* Store an arbitrary int (possibly out of the enum's range) into one enum field of *d. */
void ft_set_enum_field(fconv_desc *d, ft_enum_field field, int value);
/* The name / status functions called with an arbitrary int. */
const char *ft_status_string(int s);
const char *ft_method_name(int m);
const char *ft_backend_name(int b);
const char *ft_dtype_name(int t);

#ifdef __cplusplus
}
#endif

#endif
