/* calibrate.cu — the CUDA module's calibration routine: measures the cost models' constants
 * (cost.h) on the current device and writes its calibration file, which every later process
 * loads at its first CUDA plan. Reached through the module table (fconv_cuda_module.calibrate)
 * from `fconv_calibrate cuda` (tools/fconv_calibrate.c); scripts/gpu-check.sh runs it.
 *
 * What it measures (best of REPS each, on the plan-like blocking stream):
 *   mem_bw            device-to-device copy of 256 MiB: (read + written bytes) / seconds
 *   launch_s          LAUNCHES empty kernels back to back / their count
 *   sync_s            synchronising an idle stream (host clock)
 *   stage_bw          64 MiB of pageable host memory through the plans' stager (dev.h), host clock
 *   pinned_bw         64 MiB host -> device from pinned memory
 *   flops_f32         8 multiply-add chains per thread, 8 blocks of 256 threads per SM
 *   fp64_ratio        the same in double: FP32 seconds / FP64 seconds
 *   plan_s_per_point  creating a cuFFT plan (2-D 1024^2 R2C f32, work area not allocated) / points
 *   fft_scale         that transform's measured seconds / the model's (cost.h
 *                     fconv_cost_fft_seconds with the figures measured above)
 * Device time: events with timing. Everything goes through dev.h and fft_dev.h, so the
 * emulator tests run the routine (quick sizes; their figures mean nothing) and check that what
 * it writes is what the next process loads. */
#include "compat.cuh"
#include "dev.h"
#include "fft_dev.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "calibrate_kernels.cuh"

#define REPS 3

static double wall_now(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + 1e-9 * (double)ts.tv_nsec;
}

struct cal_ctx {
  fconv_dev_stream s;
  fconv_dev_event e0, e1;
};

/* Seconds between the two events after they completed. */
static fconv_status elapsed(cal_ctx *c, double *t) {
  FCONV_FORWARD(fconv_dev_event_sync(c->e1));
  return fconv_dev_event_elapsed(c->e0, c->e1, t);
}

static fconv_status measure(int quick, const fconv_dev_props *d, fconv_cuda_cost *v,
                            cal_ctx *c, void **bufs) {
  const size_t big = quick ? ((size_t)1 << 16) : ((size_t)256 << 20);
  const size_t xfer = quick ? ((size_t)1 << 16) : ((size_t)64 << 20);
  double best, t;
  /* device copy bandwidth */
  FCONV_FORWARD(fconv_dev_malloc(&bufs[0], big));
  FCONV_FORWARD(fconv_dev_malloc(&bufs[1], big));
  FCONV_FORWARD(fconv_dev_memset(bufs[0], 1, big, c->s));
  best = 1e30;
  for (int r = 0; r < REPS; r++) {
    FCONV_FORWARD(fconv_dev_event_record(c->e0, c->s));
    FCONV_FORWARD(fconv_dev_copy_d2d(bufs[1], bufs[0], big, c->s));
    FCONV_FORWARD(fconv_dev_event_record(c->e1, c->s));
    FCONV_FORWARD(elapsed(c, &t));
    if (t < best) best = t;
  }
  v->mem_bw = 2.0 * (double)big / (best > 1e-9 ? best : 1e-9);
  /* launch latency */
  const int launches = quick ? 4 : 2000;
  best = 1e30;
  for (int r = 0; r < REPS; r++) {
    FCONV_FORWARD(fconv_dev_event_record(c->e0, c->s));
    for (int i = 0; i < launches; i++) {
      void (*const nop)(int) = fconv_cal_nop_kernel;
      FCONV_FORWARD(FCONV_LAUNCH(nop, dim3(1), dim3(32), 0, c->s, i));
    }
    FCONV_FORWARD(fconv_dev_event_record(c->e1, c->s));
    FCONV_FORWARD(elapsed(c, &t));
    if (t < best) best = t;
  }
  v->launch_s = best / launches;
  /* synchronisation of an idle stream */
  best = 1e30;
  for (int r = 0; r < (quick ? 3 : 100); r++) {
    const double t0 = wall_now();
    FCONV_FORWARD(fconv_dev_stream_sync(c->s));
    t = wall_now() - t0;
    if (t < best) best = t;
  }
  v->sync_s = best > 1e-9 ? best : 1e-9;
  /* host -> device: pageable through the stager, and pinned */
  {
    fconv_dev_stager stg;
    FCONV_FORWARD(fconv_dev_stager_create(&stg, xfer));
    unsigned char *host = (unsigned char *)malloc(xfer);
    fconv_status st = host ? FCONV_OK : FCONV_ERR_OUT_OF_MEMORY;
    if (host) memset(host, 3, xfer);
    best = 1e30;
    for (int r = 0; r < REPS && st == FCONV_OK; r++) {
      const double t0 = wall_now();
      st = fconv_dev_stage_h2d(&stg, bufs[0], host, xfer, c->s);
      if (st == FCONV_OK) st = fconv_dev_stream_sync(c->s);
      t = wall_now() - t0;
      if (t < best) best = t;
    }
    free(host);
    fconv_dev_stager_destroy(&stg);
    FCONV_FORWARD(st);
    v->stage_bw = (double)xfer / (best > 1e-9 ? best : 1e-9);
    FCONV_FORWARD(fconv_dev_malloc_host(&bufs[2], xfer));
    memset(bufs[2], 5, xfer);
    best = 1e30;
    for (int r = 0; r < REPS; r++) {
      FCONV_FORWARD(fconv_dev_event_record(c->e0, c->s));
      FCONV_FORWARD(fconv_dev_copy_h2d(bufs[0], bufs[2], xfer, c->s));
      FCONV_FORWARD(fconv_dev_event_record(c->e1, c->s));
      FCONV_FORWARD(elapsed(c, &t));
      if (t < best) best = t;
    }
    v->pinned_bw = (double)xfer / (best > 1e-9 ? best : 1e-9);
  }
  /* FP32 and FP64 multiply-add throughput: the same work in both types */
  {
    const unsigned blocks = quick ? 2u : (unsigned)(8 * (d->sms > 0 ? d->sms : 132));
    const unsigned threads = quick ? 32u : 256u;
    const int iters = quick ? 8 : 4096;
    double tt[2];
    for (int dbl = 0; dbl < 2; dbl++) {
      best = 1e30;
      for (int r = 0; r < REPS; r++) {
        FCONV_FORWARD(fconv_dev_event_record(c->e0, c->s));
        if (dbl) {
          void (*const k)(double *, int, double, double) = fconv_cal_fma_kernel<double>;
          FCONV_FORWARD(FCONV_LAUNCH(k, dim3(blocks), dim3(threads), 0, c->s, (double *)bufs[1],
                                     iters, 0.999999, 1e-7));
        } else {
          void (*const k)(float *, int, float, float) = fconv_cal_fma_kernel<float>;
          FCONV_FORWARD(FCONV_LAUNCH(k, dim3(blocks), dim3(threads), 0, c->s, (float *)bufs[1],
                                     iters, 0.999999f, 1e-7f));
        }
        FCONV_FORWARD(fconv_dev_event_record(c->e1, c->s));
        FCONV_FORWARD(elapsed(c, &t));
        if (t < best) best = t;
      }
      tt[dbl] = best > 1e-9 ? best : 1e-9;
    }
    const double flop = 2.0 * FCONV_CAL_CHAINS * (double)iters * blocks * threads;
    v->flops_f32 = flop / tt[0];
    v->fp64_ratio = tt[0] / tt[1];
    if (v->fp64_ratio > 1.0) v->fp64_ratio = 1.0;
  }
  /* cuFFT: plan creation per point, and one transform against the model */
  {
    const long long n = quick ? 64 : 1024, h = n / 2 + 1;
    fconv_fft_layout l;
    memset(&l, 0, sizeof l);
    l.rank = 2;
    l.n[0] = l.n[1] = l.inembed[0] = l.onembed[0] = n;
    l.inembed[1] = 2 * h;
    l.onembed[1] = h;
    l.istride = l.ostride = 1;
    l.idist = 2 * n * h;
    l.odist = n * h;
    l.howmany = 1;
    fconv_fft *plan = NULL;
    size_t work = 0;
    const double t0 = wall_now();
    FCONV_FORWARD(fconv_fft_plan_many(&plan, FCONV_FFT_R2C, 0, &l, 1, &work));
    const double tplan = wall_now() - t0;
    fconv_status st = fconv_dev_malloc(&bufs[3], work);
    if (st == FCONV_OK) st = fconv_fft_set_work_area(plan, bufs[3]);
    if (st == FCONV_OK) st = fconv_fft_set_stream(plan, c->s);
    best = 1e30;
    for (int r = 0; r < REPS + 1 && st == FCONV_OK; r++) { /* the first one warms up */
      st = fconv_dev_event_record(c->e0, c->s);
      if (st == FCONV_OK) st = fconv_fft_exec(plan, bufs[1], bufs[1], 0);
      if (st == FCONV_OK) st = fconv_dev_event_record(c->e1, c->s);
      if (st == FCONV_OK) st = elapsed(c, &t);
      if (st == FCONV_OK && r > 0 && t < best) best = t;
    }
    fconv_fft_destroy(plan);
    FCONV_FORWARD(st);
    const double vol = (double)(n * n);
    v->plan_s_per_point = tplan / vol > 1e-15 ? tplan / vol : 1e-15;
    v->fft_scale = 1.0;
    /* one pass per axis (n <= 2^12), each reading and writing the half spectrum */
    const double model = fconv_cost_fft_seconds(v, 2.0 * 2 * (double)(n * h) * 8.0,
                                                2.5 * vol * log2(vol), 0);
    v->fft_scale = (best > 1e-9 ? best : 1e-9) / model;
    if (v->fft_scale < 1e-3) v->fft_scale = 1e-3;
    if (v->fft_scale > 1e3) v->fft_scale = 1e3;
  }
  return FCONV_OK;
}

extern "C" FCONV_HIDDEN fconv_status fconv_cuda_calibrate(int quick, char *report,
                                                          size_t report_bytes);
fconv_status fconv_cuda_calibrate(int quick, char *report, size_t report_bytes) {
  int dev = 0;
  fconv_dev_props d;
  char path[4096];
  FCONV_FORWARD(fconv_dev_get_device(&dev));
  FCONV_FORWARD(fconv_dev_properties(dev, &d));
  FCONV_RETURN_IF(fconv_cuda_cost_path(&d, path, sizeof path) != FCONV_OK,
                  FCONV_ERR_INVALID_ARGUMENT,
                  "no calibration directory: FCONV_CUDA_CALIBRATION is 0, or neither it, "
                  "XDG_CACHE_HOME nor HOME is set");
  fconv_cuda_cost v, def;
  fconv_cuda_cost_defaults(&d, &def);
  v = def;
  cal_ctx c = {NULL, NULL, NULL};
  void *bufs[4] = {NULL, NULL, NULL, NULL};
  fconv_status st = fconv_dev_stream_create(&c.s, 1);
  if (st == FCONV_OK) st = fconv_dev_timer_create(&c.e0);
  if (st == FCONV_OK) st = fconv_dev_timer_create(&c.e1);
  if (st == FCONV_OK) st = measure(quick, &d, &v, &c, bufs);
  if (c.s) (void)fconv_dev_stream_sync(c.s);
  fconv_dev_free(bufs[0]);
  fconv_dev_free(bufs[1]);
  fconv_dev_free_host(bufs[2]);
  fconv_dev_free(bufs[3]);
  fconv_dev_event_destroy(c.e0);
  fconv_dev_event_destroy(c.e1);
  fconv_dev_stream_destroy(c.s);
  FCONV_FORWARD(st);
  char made[128];
  const time_t now = time(NULL);
  struct tm tmv;
  gmtime_r(&now, &tmv);
  strftime(made, sizeof made, "fconv_calibrate cuda, %Y-%m-%d %H:%M UTC", &tmv);
  FCONV_FORWARD(fconv_cuda_cost_write(path, &d, &v, made));
  fconv_cuda_cost_reset(); /* this process's next plans use the file too */
  if (report && report_bytes)
    snprintf(report, report_bytes,
             "device %s (cc %d.%d, driver %d, %d SMs)\nfile %s\n"
             "| constant | measured | default (device properties) |\n|---|---|---|\n"
             "| device copy bandwidth (bytes/s, read + written) | %.3g | %.3g |\n"
             "| launch (s) | %.3g | %.3g |\n| stream sync (s) | %.3g | %.3g |\n"
             "| host -> device, pageable through the stager (bytes/s) | %.3g | %.3g |\n"
             "| host -> device, pinned (bytes/s) | %.3g | %.3g |\n"
             "| FP32 flops/s | %.3g | %.3g |\n| FP64 / FP32 | %.3g | %.3g |\n"
             "| cuFFT plan creation (s per point) | %.3g | %.3g |\n"
             "| cuFFT measured / modelled | %.3g | %.3g |\n",
             d.name, d.cc_major, d.cc_minor, d.driver, d.sms, path, v.mem_bw, def.mem_bw,
             v.launch_s, def.launch_s, v.sync_s, def.sync_s, v.stage_bw, def.stage_bw,
             v.pinned_bw, def.pinned_bw, v.flops_f32, def.flops_f32, v.fp64_ratio,
             def.fp64_ratio, v.plan_s_per_point, def.plan_s_per_point, v.fft_scale,
             def.fft_scale);
  return FCONV_OK;
}
