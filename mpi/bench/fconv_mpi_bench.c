/* fconv_mpi_bench — the benchmark's distributed section: run under mpirun.
 *
 *   mpirun -np P fconv_mpi_bench [--reps N] [--weak] [--threads T] [--measure] [--no-verify]
 *                                [--pingpong] CASE...
 *
 * CASE is the benchmark's grammar (bench/bench_core.h), e.g. 2d:f32:8192x8192:k7x7:same:direct:cpu,
 * for the GLOBAL problem; --weak multiplies axis 0 by P (the same rows per rank). The signal is
 * decomposed with fconv_mpi_local_size. Per case, rank 0 prints one line:
 *   the distributed execute time (median over reps of the slowest rank, after a barrier),
 *   the same rank's computation without any exchange (a serial plan over its slab with the
 *   halo rows already in place: the "no exchange" time; halo path only),
 *   the halo/redistribution bytes and messages per rank, plan time, and the verification
 *   (every rank's rows against serial fconv of the gathered global problem on rank 0; --no-verify
 *   skips it).
 * --pingpong measures the point-to-point latency and bandwidth between ranks 0 and 1 (the cost
 * model's terms; README "Distributed").
 * Exit status: 0 verified, 1 usage, 2 a verification failed, 3 an error. */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench_core.h"
#include "fconv_mpi.h"

static int me, np;

static double now(void) { return MPI_Wtime(); }

static double max_all(double v) {
  double r = v;
  MPI_Allreduce(&v, &r, 1, MPI_DOUBLE, MPI_MAX, MPI_COMM_WORLD);
  return r;
}

static size_t esize(fconv_dtype t) { return t == FCONV_F32 ? 4 : t == FCONV_C128 ? 16 : 8; }

static void pingpong(void) {
  if (np < 2) {
    if (!me) printf("pingpong: needs 2 ranks\n");
    return;
  }
  const size_t maxb = (size_t)16 << 20;
  char *buf = calloc(maxb, 1);
  double lat = 0, bw = 0;
  for (size_t b = 8; b <= maxb; b *= 8) {
    const int reps = b < 65536 ? 2000 : 40;
    double t[5];
    for (int k = 0; k < 5; k++) {
      MPI_Barrier(MPI_COMM_WORLD);
      const double t0 = now();
      for (int r = 0; r < reps; r++) {
        if (me == 0) {
          MPI_Send(buf, (int)b, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
          MPI_Recv(buf, (int)b, MPI_BYTE, 1, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
        } else if (me == 1) {
          MPI_Recv(buf, (int)b, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
          MPI_Send(buf, (int)b, MPI_BYTE, 0, 0, MPI_COMM_WORLD);
        }
      }
      t[k] = (now() - t0) / reps / 2;
    }
    bench_stats st;
    bench_stats_of(t, 5, &st);
    if (b == 8) lat = st.median;
    else bw = (double)b / (st.median - lat);
    if (!me) printf("pingpong %9zu B  %10.2f us one way\n", b, st.median * 1e6);
  }
  if (!me) printf("pingpong: latency alpha = %.2f us, bandwidth beta = %.2f GB/s\n", lat * 1e6,
                  bw / 1e9);
  free(buf);
}

/* One case. Returns 0 ok, 2 verification failed, 3 error. */
static int run_case(const char *spec, int reps, int weak, int threads, int measure, int verify) {
  bench_case c;
  char err[256];
  if (bench_parse_case(spec, &c, err, sizeof err)) {
    if (!me) fprintf(stderr, "fconv_mpi_bench: %s: %s\n", spec, err);
    return 1;
  }
  if (weak) c.n[0] *= (size_t)np;
  fconv_desc d;
  fconv_desc_init(&d, c.rank, c.n, c.k, c.dtype);
  d.mode = c.mode, d.method = c.method, d.op = c.op, d.boundary = c.boundary;
  d.batch = c.batch, d.kernel_batch = c.kernel_batch, d.threads = threads;
  d.backend = FCONV_BACKEND_CPU;
  for (int a = 0; a < c.rank; a++) d.stride[a] = c.stride[a];
  if (measure) d.flags |= FCONV_FLAG_MEASURE;
  const size_t es = esize(c.dtype), cplx = c.dtype == FCONV_C64 || c.dtype == FCONV_C128;
  size_t row = 1, krow = c.kernel_batch;
  for (int a = 1; a < c.rank; a++) row *= c.n[a];
  for (int a = 0; a < c.rank; a++) krow *= c.k[a];
  size_t n0 = 0, s0 = 0;
  fconv_mpi_local_size(&d, MPI_COMM_WORLD, &n0, &s0);
  unsigned char *x = malloc(c.batch * n0 * row * es + 1), *h = malloc(krow * es + 1);
  bench_fill(x, c.batch * n0 * row * (cplx ? 2 : 1), es == 16 || c.dtype == FCONV_F64,
             1000 + (unsigned long long)s0);
  bench_fill_kernel(&c, h, 7);

  fconv_mpi_plan *p = NULL;
  MPI_Barrier(MPI_COMM_WORLD);
  double t0 = now();
  fconv_status st = fconv_mpi_plan_create(&p, &d, MPI_COMM_WORLD, n0, s0);
  const double plan_s = max_all(now() - t0);
  if (st != FCONV_OK) {
    if (!me) fprintf(stderr, "fconv_mpi_bench: %s: %s\n", spec, fconv_status_string(st));
    free(x), free(h);
    return 3;
  }
  size_t on = 0, os = 0, oshape[3];
  fconv_mpi_plan_output_range(p, &on, &os, oshape);
  size_t orow = 1;
  for (int a = 1; a < c.rank; a++) orow *= oshape[a];
  const size_t count = c.batch > c.kernel_batch ? c.batch : c.kernel_batch;
  unsigned char *y = malloc(count * on * orow * es + 1);
  st = fconv_mpi_plan_set_kernel(p, h);
  if (st == FCONV_OK) st = fconv_mpi_execute(p, x, NULL, y); /* warm-up */
  double *t = malloc(sizeof(double) * (size_t)reps);
  for (int r = 0; r < reps && st == FCONV_OK; r++) {
    MPI_Barrier(MPI_COMM_WORLD);
    t0 = now();
    st = fconv_mpi_execute(p, x, NULL, y);
    t[r] = max_all(now() - t0);
  }
  fconv_mpi_plan_info info;
  fconv_mpi_plan_get_info(p, &info);
  bench_stats ex;
  bench_stats_of(t, (size_t)reps, &ex);

  /* The same rank's computation with the halo already in place (halo path, SAME on axis 0). */
  double comp = -1;
  if (!info.fftw_mpi && c.mode == FCONV_MODE_SAME && c.stride[0] == 1 && n0) {
    fconv_desc l = d;
    l.signal_shape[0] = n0 + c.k[0] - 1;
    l.mode = FCONV_MODE_PAD;
    for (int a = 1; a < c.rank; a++) l.pad_before[a] = c.k[a] / 2, l.pad_after[a] = (c.k[a] - 1) / 2;
    l.pad_before[0] = l.pad_after[0] = 0;
    l.method = info.method;
    fconv_plan *sp = NULL;
    unsigned char *xl = calloc(c.batch * l.signal_shape[0] * row * es + 1, 1);
    unsigned char *yl = malloc(count * n0 * orow * es + 1);
    if (xl && yl && fconv_plan_create(&sp, &l) == FCONV_OK &&
        fconv_plan_set_kernel(sp, h) == FCONV_OK) {
      fconv_execute(sp, xl, NULL, yl);
      for (int r = 0; r < reps; r++) {
        t0 = now();
        fconv_execute(sp, xl, NULL, yl);
        t[r] = now() - t0;
      }
      bench_stats cs;
      bench_stats_of(t, (size_t)reps, &cs);
      comp = cs.median;
    }
    fconv_plan_destroy(sp);
    free(xl), free(yl);
  }
  MPI_Barrier(MPI_COMM_WORLD);
  double comp_max = max_all(comp);

  /* Verification: gather on rank 0, serial fconv, compare. */
  double maxrel = -1;
  if (verify && st == FCONV_OK) {
    int *cnt = malloc(sizeof(int) * (size_t)np), *dsp = malloc(sizeof(int) * (size_t)np);
    const size_t gsig = c.n[0] * row, gout = oshape[0] * orow;
    unsigned char *gx = !me ? malloc(c.batch * gsig * es) : NULL;
    unsigned char *gy = !me ? malloc(count * gout * es) : NULL;
    unsigned char *ry = !me ? malloc(count * gout * es) : NULL;
    MPI_Datatype elem;
    MPI_Type_contiguous((int)es, MPI_BYTE, &elem);
    MPI_Type_commit(&elem);
    for (size_t b = 0; b < c.batch; b++) {
      int mine = (int)(n0 * row), off = (int)(s0 * row);
      MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, MPI_COMM_WORLD);
      MPI_Gather(&off, 1, MPI_INT, dsp, 1, MPI_INT, 0, MPI_COMM_WORLD);
      MPI_Gatherv(x + b * n0 * row * es, mine, elem, gx ? gx + b * gsig * es : NULL, cnt, dsp,
                  elem, 0, MPI_COMM_WORLD);
    }
    for (size_t k = 0; k < count; k++) {
      int mine = (int)(on * orow), off = (int)(os * orow);
      MPI_Gather(&mine, 1, MPI_INT, cnt, 1, MPI_INT, 0, MPI_COMM_WORLD);
      MPI_Gather(&off, 1, MPI_INT, dsp, 1, MPI_INT, 0, MPI_COMM_WORLD);
      MPI_Gatherv(y + k * on * orow * es, mine, elem, gy ? gy + k * gout * es : NULL, cnt, dsp,
                  elem, 0, MPI_COMM_WORLD);
    }
    MPI_Type_free(&elem);
    if (!me) {
      fconv_desc s = d;
      s.method = FCONV_METHOD_AUTO, s.threads = 0, s.flags = 0;
      if (fconv_convolve(&s, gx, h, ry) != FCONV_OK) {
        maxrel = INFINITY;
      } else {
        const int dbl = c.dtype == FCONV_F64 || c.dtype == FCONV_C128;
        const size_t n = count * gout * (cplx ? 2 : 1);
        double m = 0, e = 0;
        for (size_t i = 0; i < n; i++) {
          const double a = dbl ? ((double *)gy)[i] : ((float *)gy)[i];
          const double b = dbl ? ((double *)ry)[i] : ((float *)ry)[i];
          m = fmax(m, fabs(b)), e = fmax(e, fabs(a - b));
        }
        maxrel = m > 0 ? e / m : e;
      }
    }
    free(cnt), free(dsp), free(gx), free(gy), free(ry);
  }
  size_t msgs = info.send_messages, bytes = info.send_bytes;
  size_t mmax = 0, bmax = 0;
  MPI_Reduce(&msgs, &mmax, 1, MPI_UNSIGNED_LONG, MPI_MAX, 0, MPI_COMM_WORLD);
  MPI_Reduce(&bytes, &bmax, 1, MPI_UNSIGNED_LONG, MPI_MAX, 0, MPI_COMM_WORLD);
  int rc = st != FCONV_OK ? 3 : 0;
  const double tol = (c.dtype == FCONV_F32 || c.dtype == FCONV_C64) ? 1e-4 : 1e-10;
  if (!rc && verify && !me && !(maxrel <= tol)) rc = 2;
  MPI_Bcast(&rc, 1, MPI_INT, 0, MPI_COMM_WORLD);
  if (!me) {
    printf("np=%d%s %s%s method=%s%s exec_ms=%.3f (min %.3f max %.3f, %d reps) "
           "nox_ms=",
           np, np > 2 ? " (oversubscribed beyond 2 cores)" : "", spec, weak ? " weak" : "",
           fconv_method_name(info.method), info.fftw_mpi ? "(fftw-mpi)" : "(halo)",
           ex.median * 1e3, ex.min * 1e3, ex.max * 1e3, reps);
    if (comp_max >= 0) printf("%.3f", comp_max * 1e3);
    else printf("-");
    printf(" sent_per_rank=%zu B in %zu msgs transpose_B=%zu plan_ms=%.1f maxrel=%.2g%s\n",
           bmax, mmax, info.transpose_bytes, plan_s * 1e3, maxrel,
           rc == 2 ? " VERIFY FAILED" : "");
    fflush(stdout);
  }
  fconv_mpi_plan_destroy(p);
  free(x), free(h), free(y), free(t);
  return rc;
}

int main(int argc, char **argv) {
  MPI_Init(&argc, &argv);
  MPI_Comm_rank(MPI_COMM_WORLD, &me);
  MPI_Comm_size(MPI_COMM_WORLD, &np);
  int reps = 5, weak = 0, threads = 1, measure = 0, verify = 1, rc = 0, any = 0;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    if (!strcmp(a, "--reps") && i + 1 < argc) reps = atoi(argv[++i]);
    else if (!strcmp(a, "--threads") && i + 1 < argc) threads = atoi(argv[++i]);
    else if (!strcmp(a, "--weak")) weak = 1;
    else if (!strcmp(a, "--measure")) measure = 1;
    else if (!strcmp(a, "--no-verify")) verify = 0;
    else if (!strcmp(a, "--pingpong")) pingpong(), any = 1;
    else if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
      if (!me) printf("usage: mpirun -np P fconv_mpi_bench [--reps N] [--weak] [--threads T] "
                      "[--measure] [--no-verify] [--pingpong] CASE...\n");
      MPI_Finalize();
      return 0;
    } else {
      const int r = run_case(a, reps < 1 ? 1 : reps, weak, threads, measure, verify);
      if (r > rc) rc = r;
      any = 1;
    }
  }
  if (!any && !me) fprintf(stderr, "fconv_mpi_bench: no case (see --help)\n");
  MPI_Finalize();
  return any ? rc : 1;
}
