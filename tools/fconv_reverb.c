/* fconv-reverb — convolution reverb on files with fconv's streaming convolution (fconv_stream_*)
 * and libsndfile: any file libsndfile reads (WAV, FLAC, ...) in, an impulse-response file, a
 * WAV file out (32-bit float, or 16/24-bit PCM).
 *
 *   fconv-reverb [options] INPUT IMPULSE OUTPUT
 *     -b, --block N     samples per block (default 256)
 *     -m, --mix W       wet fraction 0..1: out = W * wet + (1 - W) * dry (default 1)
 *     -n, --normalize   scale the output so that its peak is -1 dBFS (buffers the output)
 *     --no-tail         stop at the input's length (default: append the response's tail)
 *     --pcm16, --pcm24  integer output samples (default 32-bit float)
 *     -q, --quiet       no progress
 *
 * Channels: a mono response filters every input channel; a stereo response filters a mono input
 * into stereo (left, right), or a stereo input channel by channel; a 4-channel (true-stereo)
 * response takes a stereo input, its channels being L->L, L->R, R->L, R->R. The sample rates of
 * input and response must match. Exit status 0 on success, 1 on any error (with a message). */
#include <fconv.h>
#include <sndfile.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct options {
  size_t block;
  double mix;
  int normalize, tail, quiet, subtype;
  const char *in, *ir, *out;
} options;

static int usage(const char *argv0, const char *why) {
  if (why) fprintf(stderr, "fconv-reverb: %s\n", why);
  fprintf(stderr,
          "usage: %s [-b N] [-m W] [-n] [--no-tail] [--pcm16|--pcm24] [-q] INPUT IMPULSE OUTPUT\n"
          "  -b, --block N    samples per block (default 256)\n"
          "  -m, --mix W      wet fraction 0..1 (default 1)\n"
          "  -n, --normalize  output peak at -1 dBFS\n"
          "  --no-tail        stop at the input's length\n"
          "  --pcm16, --pcm24 integer output (default 32-bit float WAV)\n"
          "  -q, --quiet      no progress\n"
          "Responses: mono, stereo, or 4-channel true stereo (L->L, L->R, R->L, R->R).\n",
          argv0);
  return why ? 1 : 0;
}

static int parse(int argc, char **argv, options *o) {
  memset(o, 0, sizeof *o);
  o->block = 256;
  o->mix = 1.0;
  o->tail = 1;
  o->subtype = SF_FORMAT_FLOAT;
  const char *pos[3];
  int npos = 0;
  for (int a = 1; a < argc; a++) {
    const char *k = argv[a];
    if (!strcmp(k, "-h") || !strcmp(k, "--help")) return -2;
    if (!strcmp(k, "-b") || !strcmp(k, "--block") || !strcmp(k, "-m") || !strcmp(k, "--mix")) {
      if (a + 1 >= argc) return -1;
      char *end;
      if (k[1] == 'b' || k[2] == 'b') {
        const long v = strtol(argv[++a], &end, 10);
        if (*end || v < 1 || v > (1 << 20)) return -1;
        o->block = (size_t)v;
      } else {
        o->mix = strtod(argv[++a], &end);
        if (*end || !(o->mix >= 0 && o->mix <= 1)) return -1;
      }
    } else if (!strcmp(k, "-n") || !strcmp(k, "--normalize")) {
      o->normalize = 1;
    } else if (!strcmp(k, "--no-tail")) {
      o->tail = 0;
    } else if (!strcmp(k, "--pcm16")) {
      o->subtype = SF_FORMAT_PCM_16;
    } else if (!strcmp(k, "--pcm24")) {
      o->subtype = SF_FORMAT_PCM_24;
    } else if (!strcmp(k, "-q") || !strcmp(k, "--quiet")) {
      o->quiet = 1;
    } else if (k[0] == '-' && k[1]) {
      return -1;
    } else {
      if (npos == 3) return -1;
      pos[npos++] = k;
    }
  }
  if (npos != 3) return -1;
  o->in = pos[0];
  o->ir = pos[1];
  o->out = pos[2];
  return 0;
}

/* The whole of a sound file as float frames (interleaved). */
static float *read_all(const char *path, SF_INFO *info) {
  memset(info, 0, sizeof *info);
  SNDFILE *f = sf_open(path, SFM_READ, info);
  if (!f) {
    fprintf(stderr, "fconv-reverb: cannot read %s: %s\n", path, sf_strerror(NULL));
    return NULL;
  }
  const size_t n = (size_t)info->frames * (size_t)info->channels;
  float *buf = malloc((n ? n : 1) * sizeof(float));
  if (!buf || sf_readf_float(f, buf, info->frames) != info->frames) {
    fprintf(stderr, "fconv-reverb: cannot read %s: %s\n", path, buf ? sf_strerror(f) : "out of memory");
    free(buf);
    buf = NULL;
  }
  sf_close(f);
  return buf;
}

int main(int argc, char **argv) {
  options o;
  const int pr = parse(argc, argv, &o);
  if (pr == -2) return usage(argv[0], NULL);
  if (pr) return usage(argv[0], "bad arguments");

  SF_INFO ii, hi;
  float *hbuf = read_all(o.ir, &hi);
  if (!hbuf) return 1;
  SNDFILE *fin = NULL, *fout = NULL;
  float *y_all = NULL, *xb = NULL, *yb = NULL, *planar_in = NULL, *planar_out = NULL;
  float **resp = NULL;
  fconv_stream *s = NULL;
  size_t npairs = 0;
  int rc = 1;
  memset(&ii, 0, sizeof ii);
  fin = sf_open(o.in, SFM_READ, &ii);
  if (!fin) {
    fprintf(stderr, "fconv-reverb: cannot read %s: %s\n", o.in, sf_strerror(NULL));
    goto done;
  }
  if (ii.samplerate != hi.samplerate) {
    fprintf(stderr, "fconv-reverb: sample rates differ: %s is %d Hz, %s is %d Hz\n", o.in,
            ii.samplerate, o.ir, hi.samplerate);
    goto done;
  }
  if (hi.frames < 1) {
    fprintf(stderr, "fconv-reverb: %s has no samples\n", o.ir);
    goto done;
  }
  /* The channel matrix: out x in responses (index o * nin + i), NULL = silent. */
  const int ci = ii.channels, ch = hi.channels;
  int nin, nout;
  int map[4] = {-1, -1, -1, -1}; /* response channel of pair (o, i) */
  if (ch == 1) {
    nin = nout = ci;
  } else if (ch == 2 && ci == 1) {
    nin = 1, nout = 2;
    map[0] = 0, map[1] = 1;
  } else if (ch == 2 && ci == 2) {
    nin = nout = 2;
    map[0] = 0, map[3] = 1;
  } else if (ch == 4 && ci == 2) {
    nin = nout = 2;
    map[0] = 0, map[2] = 1, map[1] = 2, map[3] = 3; /* (o, i): L->L, L->R, R->L, R->R */
  } else {
    fprintf(stderr, "fconv-reverb: a %d-channel response does not fit a %d-channel input (use a "
                    "mono, stereo or 4-channel true-stereo response)\n", ch, ci);
    goto done;
  }
  const size_t pairs = (size_t)nin * (size_t)nout, L = (size_t)hi.frames, B = o.block;
  resp = calloc(pairs, sizeof *resp);
  npairs = resp ? pairs : 0;
  float *zero = calloc(1, sizeof(float));
  size_t *len = calloc(pairs, sizeof *len);
  const void **rp = calloc(pairs, sizeof *rp);
  if (!resp || !zero || !len || !rp) {
    fprintf(stderr, "fconv-reverb: out of memory\n");
    free(zero), free(len), free(rp);
    goto done;
  }
  for (int oc = 0; oc < nout; oc++)
    for (int ic = 0; ic < nin; ic++) {
      const size_t p = (size_t)oc * nin + ic;
      const int c = ch == 1 ? (oc == ic ? 0 : -1) : map[p];
      if (c < 0) {
        rp[p] = zero, len[p] = 1; /* a silent path */
        continue;
      }
      resp[p] = malloc(L * sizeof(float));
      if (!resp[p]) {
        rp[p] = NULL; /* fconv_stream_create reports it */
        continue;
      }
      for (size_t t = 0; t < L; t++) resp[p][t] = hbuf[t * ch + c];
      rp[p] = resp[p], len[p] = L;
    }
  fconv_stream_desc d;
  fconv_stream_desc_init(&d, B, (size_t)nin, (size_t)nout, FCONV_F32);
  d.responses = rp;
  d.response_lengths = len;
  const fconv_status st = fconv_stream_create(&s, &d);
  free(zero), free(len), free(rp);
  if (st != FCONV_OK) {
    fprintf(stderr, "fconv-reverb: %s\n", fconv_status_string(st));
    goto done;
  }

  const size_t frames = (size_t)ii.frames + (o.tail ? L - 1 : 0);
  SF_INFO oi;
  memset(&oi, 0, sizeof oi);
  oi.samplerate = ii.samplerate;
  oi.channels = nout;
  oi.format = SF_FORMAT_WAV | o.subtype;
  fout = sf_open(o.out, SFM_WRITE, &oi);
  if (!fout) {
    fprintf(stderr, "fconv-reverb: cannot write %s: %s\n", o.out, sf_strerror(NULL));
    goto done;
  }
  sf_command(fout, SFC_SET_CLIPPING, NULL, SF_TRUE);
  xb = calloc(B * nin, sizeof(float));
  yb = calloc(B * nout, sizeof(float));
  planar_in = calloc(B * nin, sizeof(float));
  planar_out = calloc(B * nout, sizeof(float));
  if (o.normalize) y_all = malloc((frames ? frames : 1) * nout * sizeof(float));
  if (!xb || !yb || !planar_in || !planar_out || (o.normalize && !y_all)) {
    fprintf(stderr, "fconv-reverb: out of memory\n");
    goto done;
  }
  double peak = 0;
  int shown = -1;
  for (size_t t = 0; t < frames; t += B) {
    const size_t n = frames - t < B ? frames - t : B;
    memset(xb, 0, B * nin * sizeof(float));
    if (t < (size_t)ii.frames) sf_readf_float(fin, xb, (sf_count_t)(n < ii.frames - t ? n : ii.frames - t));
    for (int c = 0; c < nin; c++)
      for (size_t k = 0; k < B; k++) planar_in[c * B + k] = xb[k * nin + c];
    if (fconv_stream_process(s, planar_in, planar_out) != FCONV_OK) {
      fprintf(stderr, "fconv-reverb: processing failed\n");
      goto done;
    }
    for (int c = 0; c < nout; c++)
      for (size_t k = 0; k < n; k++) {
        const float dry = nin == nout ? xb[k * nin + c] : xb[k * nin];
        const float v = (float)(o.mix * planar_out[c * B + k] + (1 - o.mix) * dry);
        yb[k * nout + c] = v;
        if (fabs(v) > peak) peak = fabs(v);
      }
    if (y_all)
      memcpy(y_all + t * nout, yb, n * nout * sizeof(float));
    else if (sf_writef_float(fout, yb, (sf_count_t)n) != (sf_count_t)n) {
      fprintf(stderr, "fconv-reverb: cannot write %s: %s\n", o.out, sf_strerror(fout));
      goto done;
    }
    const int pct = (int)(100.0 * (t + n) / frames);
    if (!o.quiet && frames > 10 * (size_t)ii.samplerate && pct / 10 != shown / 10) {
      fprintf(stderr, "fconv-reverb: %3d%%\n", pct);
      shown = pct;
    }
  }
  if (y_all) {
    const double gain = peak > 0 ? pow(10.0, -1.0 / 20.0) / peak : 1.0;
    for (size_t k = 0; k < frames * nout; k++) y_all[k] = (float)(y_all[k] * gain);
    if (sf_writef_float(fout, y_all, (sf_count_t)frames) != (sf_count_t)frames) {
      fprintf(stderr, "fconv-reverb: cannot write %s: %s\n", o.out, sf_strerror(fout));
      goto done;
    }
  } else if (peak > 1.0 && o.subtype != SF_FORMAT_FLOAT && !o.quiet) {
    fprintf(stderr, "fconv-reverb: the output clipped (peak %.2f); try --normalize\n", peak);
  }
  rc = 0;
done:
  if (fout && sf_close(fout) && rc == 0) {
    fprintf(stderr, "fconv-reverb: cannot finish %s\n", o.out);
    rc = 1;
  }
  if (fin) sf_close(fin);
  fconv_stream_destroy(s);
  for (size_t p = 0; p < npairs; p++) free(resp[p]);
  free(resp);
  free(hbuf), free(y_all), free(xb), free(yb), free(planar_in), free(planar_out);
  return rc;
}
