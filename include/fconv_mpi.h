/*
 * fconv_mpi — distributed convolution over MPI, on top of fconv (fconv.h).
 *
 * The model, in a dozen lines:
 *   1. Every rank of a communicator describes the SAME global problem in an fconv_desc (the
 *      whole serial contract: rank 1-3, modes, op, boundary, stride, batch, filter bank, dtype).
 *   2. The global signal is slab-decomposed along axis 0: rank r holds rows
 *      [local_start, local_start + local_n0) of every signal of the batch, each signal's rows
 *      back to back ([batch][local_n0][n1][n2], C order). Ranges are chosen by the caller (they
 *      must tile [0, n0) in rank order; a rank may hold no rows) or by fconv_mpi_local_size.
 *   3. fconv_mpi_plan_create (collective) validates the description on every rank, checks that
 *      the ranks agree and that the ranges tile the array, chooses the method and plans it.
 *   4. The output is distributed the same way along axis 0: fconv_mpi_plan_output_range tells
 *      each rank its rows ([count][local_out_n0][o1][o2]). Output row j belongs to the rank
 *      holding the signal row at the centre of its window (for SAME with stride 1 the output
 *      rows are exactly the rank's signal rows).
 *   5. fconv_mpi_execute (collective) computes every rank's output rows. The kernel is
 *      replicated: every rank passes the whole kernel (or sets it once with
 *      fconv_mpi_plan_set_kernel).
 * Methods: DIRECT and OVERLAP_SAVE run on each rank through serial fconv plans over its slab
 * extended by halo rows from the other ranks (a non-blocking exchange overlapped with the
 * interior's computation; halos deeper than a neighbour's slab come from several ranks); FFT
 * runs FFTW-MPI's distributed transforms or serial FFT plans on halo-extended slabs, whichever
 * the cost model (communication included) finds cheaper (FCONV_MPI_FFT overrides: README). AUTO
 * chooses among all of them the same way.
 *
 * Errors are collective: every function marked "collective" returns the same status on every
 * rank, also when only one rank's arguments are wrong (descriptions that differ between ranks,
 * ranges that do not tile the global array, a NULL array on one rank): never a hang or abort.
 * Nothing is printed; set FCONV_DEBUG=1 to log why a call failed.
 *
 * Threads: a plan is used by one thread at a time; the collectives it issues need MPI
 * initialised with at least MPI_THREAD_SERIALIZED when other threads also use MPI.
 * The plan duplicates the communicator (its messages never mix with the caller's).
 */
#ifndef FCONV_MPI_H
#define FCONV_MPI_H

#include <mpi.h>

#include "fconv.h"

#ifdef __cplusplus
extern "C" {
#endif

typedef struct fconv_mpi_plan fconv_mpi_plan; /* opaque */

/* fconv_mpi_local_size: the default decomposition of d's axis 0 (signal_shape[0] rows) over
 * comm, as FFTW-MPI's block distribution: blocks of ceil(n0 / size) rows in rank order, so the
 * last ranks may hold fewer rows or none. Writes this rank's row count and first row.
 * Local (no communication). FCONV_ERR_INVALID_ARGUMENT for NULL pointers, rank outside 1..3,
 * n0 == 0 or comm == MPI_COMM_NULL. */
FCONV_API fconv_status fconv_mpi_local_size(const fconv_desc *d, MPI_Comm comm,
                                            size_t *local_n0, size_t *local_start);

/* fconv_mpi_plan_create: collective over comm. d describes the global problem (identical on
 * every rank except `threads`, which is per rank); this rank holds signal rows
 * [local_start, local_start + local_n0). On success *plan is a new plan on every rank; on
 * failure *plan is NULL on every rank and every rank returns the same status:
 * FCONV_ERR_INVALID_ARGUMENT (bad description on some rank, descriptions that differ, ranges
 * that do not tile [0, n0) in rank order, NULL plan), FCONV_ERR_UNSUPPORTED (e.g.
 * FCONV_FLAG_DEVICE_POINTERS, see README), FCONV_ERR_OUT_OF_MEMORY, FCONV_ERR_FFT,
 * FCONV_ERR_INTERNAL (an MPI call failed). Neither d nor comm is retained (comm is duplicated). */
FCONV_API fconv_status fconv_mpi_plan_create(fconv_mpi_plan **plan, const fconv_desc *d,
                                             MPI_Comm comm, size_t local_n0, size_t local_start);

/* fconv_mpi_plan_output_range: this rank's output rows along axis 0: local_out_n0 rows starting
 * at global output row local_out_start (either pointer may be NULL), and the global extents of
 * one output in global_shape (entries past rank are 1; may be NULL). The rank's output array
 * holds max(batch, kernel_batch) outputs of local_out_n0 rows each, back to back. Local. */
FCONV_API fconv_status fconv_mpi_plan_output_range(const fconv_mpi_plan *plan,
                                                   size_t *local_out_n0, size_t *local_out_start,
                                                   size_t global_shape[FCONV_MAX_RANK]);

/* fconv_mpi_plan_set_kernel: collective. Copy the whole (global, replicated) kernel array,
 * kernel_batch * prod(kernel_shape) elements, into the plan and precompute what the method
 * needs. The caller's array is not retained. */
FCONV_API fconv_status fconv_mpi_plan_set_kernel(fconv_mpi_plan *plan, const void *kernel);

/* fconv_mpi_execute: collective. signal: this rank's rows, batch * local_n0 * n1 * n2
 * elements (may be NULL when local_n0 == 0); kernel: the whole kernel array (identical on every
 * rank), or NULL on every rank to use the one set with fconv_mpi_plan_set_kernel; out: this
 * rank's output rows, max(batch, kernel_batch) * local_out_n0 * o1 * o2 elements (may be NULL
 * when local_out_n0 == 0). Host memory. Nothing is retained. On failure every rank returns the
 * same status and out is untouched or fully written. */
FCONV_API fconv_status fconv_mpi_execute(fconv_mpi_plan *plan, const void *signal,
                                         const void *kernel, void *out);

/* fconv_mpi_plan_destroy: collective (the plan's duplicated communicator is freed). Frees the
 * plan and everything it owns. NULL is a no-op (then on every rank). */
FCONV_API void fconv_mpi_plan_destroy(fconv_mpi_plan *plan);

/* What a distributed plan chose, and its communication per execute on this rank. */
typedef struct fconv_mpi_plan_info {
  fconv_method method;          /* DIRECT, OVERLAP_SAVE or FFT: what runs (for the halo path,
                                   the serial method of this rank's largest piece) */
  int fftw_mpi;                 /* 1: FFTW-MPI's distributed transforms; 0: the halo path
                                   (serial plans on halo-extended slabs: FFT too when modelled
                                   cheaper, or FCONV_MPI_FFT=halo, and always for rank 1,
                                   VALID-swapped problems and shapes FFTW-MPI cannot plan) */
  int nranks;                   /* size of the communicator */
  size_t local_n0, local_start; /* this rank's signal rows */
  size_t local_out_n0, local_out_start; /* this rank's output rows */
  size_t send_bytes, recv_bytes;     /* bytes this rank sends / receives per execute */
  size_t send_messages, recv_messages; /* point-to-point messages per execute (halo, or the
                                         redistribution around the FFT; FFTW-MPI's own
                                         transposes not counted) */
  size_t transpose_bytes;       /* FFT: bytes of this rank's data moved by FFTW-MPI's transposes
                                   per execute (model), else 0 */
  double estimated_seconds;     /* the cost model's figure for the chosen method */
  double candidate_seconds[4];  /* indexed by fconv_method; negative = not a candidate */
  char reason[160];             /* one line: why this method */
} fconv_mpi_plan_info;

/* fconv_mpi_last_error: why the calling thread's most recent failed fconv_mpi call failed on
 * this rank ("" before any failure): this rank's own reason (the function and field, or the
 * serial fconv plan's reason), or "another rank failed (...)" when only another rank's arguments
 * were wrong. Thread-local, never NULL; fconv_last_error keeps the serial library's own. */
FCONV_API const char *fconv_mpi_last_error(void);

/* fconv_mpi_plan_get_info: fill *info. Local. FCONV_ERR_INVALID_ARGUMENT for NULL. */
FCONV_API fconv_status fconv_mpi_plan_get_info(const fconv_mpi_plan *plan,
                                               fconv_mpi_plan_info *info);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* FCONV_MPI_H */
