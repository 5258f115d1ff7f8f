/* stream_gpu_bench.c — the streaming engine on the CUDA backend against the clock (issue 12's
 * GPU target: 64 channels x 10 s responses at block 256 in real time, with the margin): a stream
 * of `inputs` x `outputs` channels at 48 kHz with decaying-noise responses of --ir seconds (the
 * diagonal pairs only with --matrix diag, every pair with full; the other pairs one zero
 * sample), f32, host arrays, fed noise block by block for --seconds of audio. Wall-clock time of
 * every fconv_stream_process (it returns with the output on the host), the first second not
 * counted (warm-up). Prints one line and, with --csv, a row:
 *   real-time factor = audio seconds / wall seconds of the processing;
 *   margin           = block period / worst block (above 1: every block was in time);
 *   median and 99th-percentile block in ms, the engine's memory.
 * Exit status 0 measured; 1 usage; 3 no CUDA stream here (the reason is printed: "not
 * measured").
 *
 *   fconv_stream_gpu_bench [--inputs 64] [--outputs 64] [--matrix diag|full] [--ir 10]
 *                          [--block 256] [--seconds 20] [--backend cuda|auto|cpu]
 *                          [--partitioning auto|uniform|nonuniform] [--csv FILE] */
#include <fconv.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static double now(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec + 1e-9 * (double)t.tv_nsec;
}

static uint64_t rng_state = 0x9e3779b97f4a7c15ull;
static float noise(void) { /* xorshift64*, uniform in [-1, 1) */
  rng_state ^= rng_state >> 12;
  rng_state ^= rng_state << 25;
  rng_state ^= rng_state >> 27;
  return (float)((double)((rng_state * 2685821657736338717ull) >> 11) / 9007199254740992.0 * 2.0 -
                 1.0);
}

static int cmp_double(const void *a, const void *b) {
  const double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

int main(int argc, char **argv) {
  size_t inputs = 64, outputs = 64, block = 256;
  double ir = 10.0, seconds = 20.0, rate = 48000.0;
  int full = 0;
  fconv_backend backend = FCONV_BACKEND_CUDA;
  fconv_stream_partitioning policy = FCONV_STREAM_PARTITION_AUTO;
  const char *csv = NULL;
  for (int a = 1; a < argc; a++) {
    const char *k = argv[a], *v = a + 1 < argc ? argv[a + 1] : NULL;
    if (!strcmp(k, "-h") || !strcmp(k, "--help")) {
      printf("usage: %s [--inputs 64] [--outputs 64] [--matrix diag|full] [--ir 10] "
             "[--block 256] [--seconds 20] [--backend cuda|auto|cpu] "
             "[--partitioning auto|uniform|nonuniform] [--csv FILE]\n", argv[0]);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "%s: %s needs a value\n", argv[0], k);
      return 1;
    }
    a++;
    if (!strcmp(k, "--inputs")) inputs = (size_t)atol(v);
    else if (!strcmp(k, "--outputs")) outputs = (size_t)atol(v);
    else if (!strcmp(k, "--block")) block = (size_t)atol(v);
    else if (!strcmp(k, "--ir")) ir = atof(v);
    else if (!strcmp(k, "--seconds")) seconds = atof(v);
    else if (!strcmp(k, "--csv")) csv = v;
    else if (!strcmp(k, "--matrix") && (!strcmp(v, "diag") || !strcmp(v, "full"))) full = !strcmp(v, "full");
    else if (!strcmp(k, "--backend") && !strcmp(v, "cuda")) backend = FCONV_BACKEND_CUDA;
    else if (!strcmp(k, "--backend") && !strcmp(v, "auto")) backend = FCONV_BACKEND_AUTO;
    else if (!strcmp(k, "--backend") && !strcmp(v, "cpu")) backend = FCONV_BACKEND_CPU;
    else if (!strcmp(k, "--partitioning") && !strcmp(v, "auto")) policy = FCONV_STREAM_PARTITION_AUTO;
    else if (!strcmp(k, "--partitioning") && !strcmp(v, "uniform")) policy = FCONV_STREAM_PARTITION_UNIFORM;
    else if (!strcmp(k, "--partitioning") && !strcmp(v, "nonuniform")) policy = FCONV_STREAM_PARTITION_NONUNIFORM;
    else {
      fprintf(stderr, "%s: bad option %s %s\n", argv[0], k, v);
      return 1;
    }
  }
  const size_t len = (size_t)(ir * rate), pairs = inputs * outputs;
  const size_t nblocks = (size_t)(seconds * rate) / (block ? block : 1);
  const size_t warm = (size_t)(rate / (double)(block ? block : 1));
  if (!inputs || !outputs || !block || !len || nblocks <= warm) {
    fprintf(stderr, "%s: channels, block, --ir must be positive and --seconds above 1\n", argv[0]);
    return 1;
  }
  /* responses: decaying noise (60 dB over the length) on the pairs in use, else one zero */
  float zero = 0.0f;
  float **h = calloc(pairs, sizeof *h);
  const void **hp = calloc(pairs, sizeof *hp);
  size_t *lens = calloc(pairs, sizeof *lens);
  if (!h || !hp || !lens) return 1;
  for (size_t p = 0; p < pairs; p++) {
    const int used = full || p / inputs == p % inputs;
    lens[p] = used ? len : 1;
    hp[p] = &zero;
    if (!used) continue;
    if (!(h[p] = malloc(len * sizeof(float)))) return 1;
    for (size_t t = 0; t < len; t++)
      h[p][t] = noise() * (float)exp(-6.9 * (double)t / (double)len) * 0.01f;
    hp[p] = h[p];
  }
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, block, inputs, outputs, FCONV_F32);
  d.responses = hp;
  d.response_lengths = lens;
  d.backend = backend;
  d.partitioning = policy;
  fconv_stream *s = NULL;
  const double c0 = now();
  const fconv_status st = fconv_stream_create(&s, &d);
  const double create_s = now() - c0;
  if (st != FCONV_OK) {
    printf("stream %zux%zu %s ir %.3g s block %zu: not measured: %s: %s\n", inputs, outputs,
           full ? "full" : "diag", ir, block, fconv_status_string(st), fconv_last_error());
    return 3;
  }
  fconv_stream_info info;
  fconv_stream_get_info(s, &info);
  float *in = malloc(inputs * block * sizeof(float)), *out = malloc(outputs * block * sizeof(float));
  double *dt = malloc(nblocks * sizeof(double));
  if (!in || !out || !dt) return 1;
  double busy = 0.0, sink = 0.0;
  for (size_t b = 0; b < nblocks; b++) {
    for (size_t k = 0; k < inputs * block; k++) in[k] = noise();
    const double t0 = now();
    const fconv_status ps = fconv_stream_process(s, in, out);
    dt[b] = now() - t0;
    if (ps != FCONV_OK) {
      printf("process failed at block %zu: %s: %s\n", b, fconv_status_string(ps), fconv_last_error());
      return 2;
    }
    sink += out[b % (outputs * block)];
    if (b >= warm) busy += dt[b];
  }
  const size_t counted = nblocks - warm;
  qsort(dt + warm, counted, sizeof(double), cmp_double);
  const double period = (double)block / rate, med = dt[warm + counted / 2];
  const double p99 = dt[warm + (size_t)(0.99 * (double)(counted - 1))], worst = dt[nblocks - 1];
  const double rtf = (double)counted * period / busy, margin = period / worst;
  printf("stream %zux%zu %s ir %.3g s block %zu on %s: real-time factor %.2f, margin %.2f "
         "(worst %.3f ms, p99 %.3f ms, median %.3f ms, period %.3f ms), %zu partitions in %d "
         "levels (largest %zu), memory %.1f MiB, create %.2f s (checksum %g)\n",
         inputs, outputs, full ? "full" : "diag", ir, block, fconv_backend_name(info.backend), rtf,
         margin, worst * 1e3, p99 * 1e3, med * 1e3, period * 1e3, info.partitions, info.levels,
         info.partition_size[info.levels > 0 ? info.levels - 1 : 0],
         (double)info.memory_bytes / 1048576.0, create_s, sink);
  if (csv) {
    FILE *f = fopen(csv, "a");
    if (!f) {
      fprintf(stderr, "%s: cannot write %s\n", argv[0], csv);
      return 1;
    }
    fprintf(f, "%zu,%zu,%s,%g,%zu,%s,%.4f,%.4f,%.4f,%.4f,%.4f,%zu,%zu\n", inputs, outputs,
            full ? "full" : "diag", ir, block, fconv_backend_name(info.backend), rtf, margin,
            worst * 1e3, p99 * 1e3, med * 1e3, info.partitions, info.memory_bytes);
    fclose(f);
  }
  fconv_stream_destroy(s);
  for (size_t p = 0; p < pairs; p++) free(h[p]);
  free(h);
  free(hp);
  free(lens);
  free(in);
  free(out);
  free(dt);
  return 0;
}
