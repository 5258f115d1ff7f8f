/* Distributed 2-D 'same' smoothing of a 1024x1024 field held in row slabs by the MPI ranks. */
#include <fconv_mpi.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  int me;
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  const size_t n[2] = {1024, 1024}, k[2] = {5, 5};
  fconv_desc d;
  fconv_desc_init(&d, 2, n, k, FCONV_F32); /* the GLOBAL problem, identical on every rank */
  d.mode = FCONV_MODE_SAME;
  d.boundary = FCONV_BOUNDARY_WRAP; /* periodic: rows wrap between the last rank and the first */

  size_t rows, first; /* this rank's slab: rows [first, first + rows) */
  fconv_mpi_local_size(&d, MPI_COMM_WORLD, &rows, &first);
  float *x = malloc(sizeof(float) * (rows * 1024 + 1)), h[25];
  for (size_t i = 0; i < rows * 1024; i++) x[i] = (float)((first * 1024 + i) % 7);
  for (int i = 0; i < 25; i++) h[i] = 1.0f / 25;

  fconv_mpi_plan *plan = NULL; /* collective: the same status on every rank */
  fconv_status st = fconv_mpi_plan_create(&plan, &d, MPI_COMM_WORLD, rows, first);
  size_t out_rows = 0, out_first = 0;
  if (st == FCONV_OK) st = fconv_mpi_plan_output_range(plan, &out_rows, &out_first, NULL);
  float *y = malloc(sizeof(float) * (out_rows * 1024 + 1));
  if (st == FCONV_OK) st = fconv_mpi_plan_set_kernel(plan, h); /* the whole kernel, every rank */
  if (st == FCONV_OK) st = fconv_mpi_execute(plan, x, NULL, y); /* halo exchange + compute */
  if (st == FCONV_OK && me == 0) {
    fconv_mpi_plan_info info;
    fconv_mpi_plan_get_info(plan, &info);
    printf("rank 0: output rows [%zu, %zu), y[0] = %g, method %s, %zu bytes sent\n", out_first,
           out_first + out_rows, y[0], fconv_method_name(info.method), info.send_bytes);
  }
  if (st != FCONV_OK && me == 0) fprintf(stderr, "fconv_mpi: %s\n", fconv_status_string(st));
  fconv_mpi_plan_destroy(plan);
  free(x);
  free(y);
  MPI_Finalize();
  return st == FCONV_OK ? 0 : 1;
}
