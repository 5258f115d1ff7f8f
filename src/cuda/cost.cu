/* cost.cu — the CUDA cost models' constants per device (cost.h): defaults from the device's
 * properties, the calibration file (path, read, write), and the per-device cache. Host code
 * only, through dev.h, so it also compiles with g++ for the emulator tests (cost_emu.cpp). */
#include "compat.cuh"
#include "dev.h"

#include "../core/paths.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <mutex>

/* ---- defaults -------------------------------------------------------------------------------- */

/* FP32 lanes per SM and the FP64/FP32 ratio by compute capability (the CUDA programming guide's
 * arithmetic-throughput table): the data-centre parts (x.0 of Pascal, Volta, Ampere, Hopper,
 * Blackwell) have FP64 at half rate, the others at 1/32 (Pascal, Volta, Turing) or 1/64. */
static void cc_table(int major, int minor, int *lanes, double *fp64) {
  const int dc = minor == 0 && (major == 6 || major == 7 || major == 8 || major == 9 || major == 10);
  if (major <= 5) *lanes = 128;
  else if (major == 6) *lanes = minor == 0 ? 64 : 128;
  else if (major == 7) *lanes = 64;
  else if (major == 8) *lanes = minor == 0 ? 64 : 128;
  else *lanes = 128;
  if (dc) *fp64 = 0.5;
  else if (major <= 7) *fp64 = 1.0 / 32;
  else *fp64 = 1.0 / 64;
}

void fconv_cuda_cost_defaults(const fconv_dev_props *d, fconv_cuda_cost *c) {
  memset(c, 0, sizeof *c);
  c->mem_bw = FCONV_COST_MEM_BW;
  c->launch_s = FCONV_COST_LAUNCH_S;
  c->sync_s = FCONV_COST_SYNC_S;
  c->stage_bw = FCONV_COST_STAGE_BW;
  c->pinned_bw = FCONV_COST_PINNED_BW;
  c->flops_f32 = FCONV_COST_FLOPS_F32;
  c->fp64_ratio = FCONV_COST_FP64_RATIO;
  c->fft_scale = 1.0;
  c->plan_s_per_point = FCONV_COST_PLAN_S_PER_POINT;
  if (!d) return;
  if (d->mem_clock_hz > 0 && d->bus_bits > 0) /* double data rate x bus bytes */
    c->mem_bw = FCONV_COST_STREAM_EFFICIENCY * 2.0 * d->mem_clock_hz * (d->bus_bits / 8.0);
  if (d->cc_major > 0) {
    int lanes;
    cc_table(d->cc_major, d->cc_minor, &lanes, &c->fp64_ratio);
    if (d->sms > 0 && d->clock_hz > 0) c->flops_f32 = 2.0 * d->sms * lanes * d->clock_hz;
  }
}

/* ---- the file -------------------------------------------------------------------------------- */

fconv_status fconv_cuda_cost_path(const fconv_dev_props *d, char *buf, size_t n) {
  const char *e = getenv("FCONV_CUDA_CALIBRATION");
  char dir[4096];
  int w;
  if (e && !strcmp(e, "0")) return FCONV_ERR_UNSUPPORTED;
  if (e && *e) w = snprintf(dir, sizeof dir, "%s", e);
  else if (fconv_cache_dir(dir, sizeof dir)) w = (int)strlen(dir);
  else return FCONV_ERR_UNSUPPORTED;
  if (w < 0 || (size_t)w >= sizeof dir) return FCONV_ERR_UNSUPPORTED;
  char name[256];
  size_t k = 0;
  for (const char *p = d->name; *p && k + 1 < sizeof name; p++) {
    const char ch = *p;
    const int ok = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
                   ch == '-' || ch == '_' || ch == '.';
    name[k++] = ok ? ch : '_';
  }
  name[k] = '\0';
  w = snprintf(buf, n, "%s/cuda-%s-cc%d%d-drv%d.txt", dir, k ? name : "unnamed", d->cc_major,
               d->cc_minor, d->driver);
  return w < 0 || (size_t)w >= n ? FCONV_ERR_UNSUPPORTED : FCONV_OK;
}

#define COST_FORMAT 1

/* The numeric fields of the file, in its order: name, member, lowest, highest (inclusive). */
static const struct {
  const char *key;
  size_t off;
  double lo, hi;
} kFields[] = {
    {"mem_bw", offsetof(fconv_cuda_cost, mem_bw), 1e6, 1e15},
    {"launch_s", offsetof(fconv_cuda_cost, launch_s), 1e-9, 1e-1},
    {"sync_s", offsetof(fconv_cuda_cost, sync_s), 1e-9, 1e-1},
    {"stage_bw", offsetof(fconv_cuda_cost, stage_bw), 1e6, 1e13},
    {"pinned_bw", offsetof(fconv_cuda_cost, pinned_bw), 1e6, 1e13},
    {"flops_f32", offsetof(fconv_cuda_cost, flops_f32), 1e6, 1e17},
    {"fp64_ratio", offsetof(fconv_cuda_cost, fp64_ratio), 1e-3, 2.0},
    {"fft_scale", offsetof(fconv_cuda_cost, fft_scale), 1e-3, 1e3},
    {"plan_s_per_point", offsetof(fconv_cuda_cost, plan_s_per_point), 1e-15, 1e-3},
};
#define NFIELDS (sizeof kFields / sizeof kFields[0])

static void strip(char *s) {
  size_t n = strlen(s);
  while (n && (s[n - 1] == '\n' || s[n - 1] == '\r' || s[n - 1] == ' ' || s[n - 1] == '\t'))
    s[--n] = '\0';
}

fconv_status fconv_cuda_cost_read(const char *path, const fconv_dev_props *d,
                                  fconv_cuda_cost *c) {
  struct stat sb;
  if (!path || stat(path, &sb) != 0) return FCONV_ERR_UNSUPPORTED;
  if (!S_ISREG(sb.st_mode) || sb.st_size > 65536) {
    FCONV_LOG("CUDA calibration %s: not a small regular file, ignored", path);
    return FCONV_ERR_INVALID_ARGUMENT;
  }
  FILE *f = fopen(path, "r");
  if (!f) return FCONV_ERR_UNSUPPORTED;
  fconv_cuda_cost v;
  memset(&v, 0, sizeof v);
  unsigned seen = 0; /* bit i: kFields[i]; bits 28..31: format, device, cc, driver */
  const char *why = NULL;
  char line[1024];
  while (!why && fgets(line, sizeof line, f)) {
    if (!strchr(line, '\n') && !feof(f)) why = "a line longer than 1023 characters";
    strip(line);
    if (!line[0] || line[0] == '#') continue;
    char *val = strchr(line, ' ');
    if (!val) { why = "a line without a value"; break; }
    *val++ = '\0';
    if (!strcmp(line, "format")) {
      if (atoi(val) != COST_FORMAT || strspn(val, "0123456789") != strlen(val)) why = "format";
      seen |= 1u << 28;
    } else if (!strcmp(line, "device")) {
      if (strcmp(val, d->name) != 0) why = "made on another device";
      seen |= 1u << 29;
    } else if (!strcmp(line, "cc")) {
      char want[32];
      snprintf(want, sizeof want, "%d.%d", d->cc_major, d->cc_minor);
      if (strcmp(val, want) != 0) why = "another compute capability";
      seen |= 1u << 30;
    } else if (!strcmp(line, "driver")) {
      char want[32];
      snprintf(want, sizeof want, "%d", d->driver);
      if (strcmp(val, want) != 0) why = "another driver version";
      seen |= 1u << 31;
    } else {
      for (size_t i = 0; i < NFIELDS; i++) {
        if (strcmp(line, kFields[i].key) != 0) continue;
        char *end = NULL;
        errno = 0;
        const double x = strtod(val, &end);
        if (errno || end == val || *end || !isfinite(x) || x < kFields[i].lo || x > kFields[i].hi)
          why = "a value that is not a number in range";
        else
          *(double *)((char *)&v + kFields[i].off) = x;
        seen |= 1u << i;
      }
      /* unknown keys: a later format's additions, ignored */
    }
  }
  if (!why && ferror(f)) why = "a read error";
  fclose(f);
  const unsigned all = (1u << NFIELDS) - 1u;
  if (!why && (seen & 0xF0000000u) != 0xF0000000u) why = "no format / device / cc / driver key";
  if (!why && (seen & all) != all) why = "a missing value";
  if (why) {
    FCONV_LOG("CUDA calibration %s: %s, ignored (defaults from the device's properties)", path,
              why);
    return FCONV_ERR_INVALID_ARGUMENT;
  }
  v.measured = 1;
  *c = v;
  return FCONV_OK;
}

fconv_status fconv_cuda_cost_write(const char *path, const fconv_dev_props *d,
                                   const fconv_cuda_cost *c, const char *made_by) {
  char tmp[4200];
  FCONV_RETURN_IF(snprintf(tmp, sizeof tmp, "%s.%ld.tmp", path, (long)getpid()) >= (int)sizeof tmp,
                  FCONV_ERR_INVALID_ARGUMENT, "calibration path too long");
  fconv_make_parent_dirs(path);
  FILE *f = fopen(tmp, "w");
  FCONV_RETURN_IF(!f, FCONV_ERR_INVALID_ARGUMENT, "cannot write %s: %s", tmp, strerror(errno));
  fprintf(f, "# fconv CUDA calibration: %s\n", made_by ? made_by : "");
  fprintf(f, "format %d\ndevice %s\ncc %d.%d\ndriver %d\n", COST_FORMAT, d->name, d->cc_major,
          d->cc_minor, d->driver);
  for (size_t i = 0; i < NFIELDS; i++)
    fprintf(f, "%s %.6g\n", kFields[i].key, *(const double *)((const char *)c + kFields[i].off));
  const int bad = ferror(f);
  if (fclose(f) != 0 || bad || rename(tmp, path) != 0) {
    unlink(tmp);
    FCONV_RETURN_ERROR(FCONV_ERR_INVALID_ARGUMENT, "cannot write %s", path);
  }
  return FCONV_OK;
}

/* ---- the per-device cache -------------------------------------------------------------------- */

#define MAX_DEVICES 64
static std::mutex cost_mutex;
static fconv_cuda_cost cost_cache[MAX_DEVICES];
static int cost_loaded[MAX_DEVICES];
static fconv_cuda_cost cost_fallback; /* devices beyond MAX_DEVICES or unknown */

static void load(int dev, fconv_cuda_cost *c) {
  fconv_dev_props d;
  if (fconv_dev_properties(dev, &d) != FCONV_OK) {
    fconv_cuda_cost_defaults(NULL, c);
    return;
  }
  fconv_cuda_cost_defaults(&d, c);
  char path[4096];
  if (fconv_cuda_cost_path(&d, path, sizeof path) == FCONV_OK &&
      fconv_cuda_cost_read(path, &d, c) == FCONV_OK)
    FCONV_LOG("CUDA cost model of device %d (%s): calibration %s", dev, d.name, path);
  else
    FCONV_LOG("CUDA cost model of device %d (%s): defaults from its properties", dev, d.name);
}

const fconv_cuda_cost *fconv_cuda_cost_get(void) {
  int dev = -1;
  std::lock_guard<std::mutex> lock(cost_mutex);
  if (fconv_dev_get_device(&dev) != FCONV_OK || dev < 0 || dev >= MAX_DEVICES) {
    fconv_cuda_cost_defaults(NULL, &cost_fallback);
    return &cost_fallback;
  }
  if (!cost_loaded[dev]) {
    load(dev, &cost_cache[dev]);
    cost_loaded[dev] = 1;
  }
  return &cost_cache[dev];
}

void fconv_cuda_cost_reset(void) {
  std::lock_guard<std::mutex> lock(cost_mutex);
  memset(cost_loaded, 0, sizeof cost_loaded);
}
