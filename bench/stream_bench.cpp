// stream_bench.cpp — the streaming section of the benchmark: fconv_stream against zita-convolver
// (the engine of jconvolver), measured side by side in one run, as issue 12 states it:
// 48 kHz, N seconds of noise through decaying-noise impulse responses, blocks of B samples;
// zita with Convproc::process(sync = true) in the calling thread, minimum partition = B, maximum
// 8192, options FFTW_MEASURE + VECTOR_MODE; fconv with FCONV_FLAG_MEASURE, single-threaded.
// Figures: CPU microseconds per block (process CPU time, all threads counted, no clock read
// per block), median over the runs; real-time factor (audio seconds per CPU second); fconv's
// worst block over its median block, from as many further runs: CPU time of the calling thread
// per block, each block position of the schedule's period
// (largest partition / B blocks) taken as the median over its repetitions, so that preemption
// and interrupts on a busy machine do not count, the least disturbed run (not measurable this way
// for zita, whose work runs in its own threads); and each engine's largest difference from the
// offline FULL convolution (fconv_convolve) of the whole signal, relative to the largest output
// sample.
//
//   fconv_stream_bench [--seconds S] [--runs R] [--ir 0.5,2,10] [--blocks 64,128,256,1024]
//                      [--channels 1,2] [--csv FILE] [--even-load] [--max-partition P]
//                      [--layout]
// --even-load: fconv with FCONV_STREAM_FLAG_EVEN_LOAD (split transforms, no spikes).
// --max-partition: fconv's max_partition (default 0: its cost model's choice).
// --layout: print fconv's partitioning of each cell (stderr).
// Built with zita-convolver when libzita-convolver-dev is installed (else its columns say
// "n/a").
#include <fconv.h>

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <random>
#include <string>
#include <vector>

#ifdef FCONV_BENCH_ZITA
#include <zita-convolver.h>
#endif

namespace {

const double kRate = 48000.0;
unsigned g_fconv_flags = FCONV_FLAG_MEASURE;
size_t g_max_partition = 0;
bool g_layout = false;

double cpu_now() {
  timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}
double thread_now() {
  timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
  return t.tv_sec + 1e-9 * t.tv_nsec;
}

std::vector<double> parse_list(const char *s) {
  std::vector<double> v;
  for (const char *p = s; *p;) {
    char *end;
    v.push_back(strtod(p, &end));
    if (end == p) break;
    p = *end == ',' ? end + 1 : end;
  }
  return v;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v.empty() ? NAN : v.size() % 2 ? v[v.size() / 2] : 0.5 * (v[v.size() / 2 - 1] + v[v.size() / 2]);
}

struct Timing {
  double us_per_block = NAN; // median over runs of CPU time / blocks
  double worst_ratio = NAN;  // worst block / median block (calling thread's CPU time), least
                             // disturbed run; meaningless for engines with worker threads
  std::vector<float> out;    // outputs x T of the last run
};

// The engine under test: set up, process blocks (in: inputs x B, out: outputs x B), tear down.
struct Engine {
  virtual ~Engine() {}
  virtual bool process(const float *in, float *out) = 0;
  virtual size_t period() const { return 0; } // blocks after which the work pattern repeats
};

struct FconvEngine : Engine {
  fconv_stream *s = nullptr;
  FconvEngine(size_t B, size_t nin, size_t nout, const std::vector<std::vector<float>> &h) {
    std::vector<const void *> ptr;
    std::vector<size_t> len;
    for (auto &r : h) {
      ptr.push_back(r.data());
      len.push_back(r.size());
    }
    fconv_stream_desc d;
    fconv_stream_desc_init(&d, B, nin, nout, FCONV_F32);
    d.responses = ptr.data();
    d.response_lengths = len.data();
    d.flags = g_fconv_flags;
    d.max_partition = g_max_partition;
    const fconv_status st = fconv_stream_create(&s, &d);
    if (st != FCONV_OK) fprintf(stderr, "fconv_stream_create: %s\n", fconv_status_string(st));
    fconv_stream_info info;
    if (g_layout && s && fconv_stream_get_info(s, &info) == FCONV_OK) {
      fprintf(stderr, "fconv layout B=%zu: head %zu, %d levels (split %d), cost %.0f ns, peak "
              "%.0f ns:", info.block, info.head_length, info.levels, info.split_levels,
              info.cost_per_block, info.cost_peak);
      for (int l = 0; l < info.levels; l++)
        fprintf(stderr, " %zux%zu", info.partition_count[l], info.partition_size[l]);
      fprintf(stderr, "\n");
    }
  }
  ~FconvEngine() { fconv_stream_destroy(s); }
  size_t period() const override {
    fconv_stream_info info;
    if (!s || fconv_stream_get_info(s, &info) != FCONV_OK || info.levels == 0) return 1;
    return info.partition_size[info.levels - 1] / info.block;
  }
  bool process(const float *in, float *out) override {
    return s && fconv_stream_process(s, in, out) == FCONV_OK;
  }
};

#ifdef FCONV_BENCH_ZITA
struct ZitaEngine : Engine {
  Convproc c;
  size_t B, nin, nout;
  bool ok = false;
  ZitaEngine(size_t B_, size_t nin_, size_t nout_, const std::vector<std::vector<float>> &h)
      : B(B_), nin(nin_), nout(nout_) {
    size_t maxlen = 0;
    for (auto &r : h) maxlen = std::max(maxlen, r.size());
    c.set_options(Convproc::OPT_FFTW_MEASURE | Convproc::OPT_VECTOR_MODE);
    if (c.configure(nin, nout, maxlen, B, B, 8192, 0.0f)) return;
    for (size_t o = 0; o < nout; o++)
      for (size_t i = 0; i < nin; i++) {
        auto &r = h[o * nin + i];
        if (c.impdata_create(i, o, 1, const_cast<float *>(r.data()), 0, (int)r.size())) return;
      }
    ok = c.start_process(0, 0) == 0;
  }
  ~ZitaEngine() {
    c.stop_process();
    while (!c.check_stop()) {
      timespec t = {0, 1000000};
      nanosleep(&t, nullptr);
    }
    c.cleanup();
  }
  bool process(const float *in, float *out) override {
    if (!ok) return false;
    for (size_t i = 0; i < nin; i++) memcpy(c.inpdata(i), in + i * B, B * sizeof(float));
    c.process(true);
    for (size_t o = 0; o < nout; o++) memcpy(out + o * B, c.outdata(o), B * sizeof(float));
    return true;
  }
};
#endif

// Run x (nin x T) through a fresh engine `runs` times for the CPU time per block, and (with
// per_block, for engines without threads of their own) `runs` more times timing each block for
// the worst block: a thread CPU clock read is a system call (about 1 us on a virtual machine),
// which would otherwise be counted in every block of both engines.
template <class E>
Timing measure(size_t B, size_t nin, size_t nout, const std::vector<std::vector<float>> &h,
               const std::vector<float> &x, size_t T, int runs, bool per_block) {
  Timing r;
  const size_t nblocks = T / B;
  std::vector<double> per_run, worst;
  std::vector<float> in(nin * B), out(nout * B);
  r.out.assign(nout * T, 0.0f);
  std::vector<double> bt(nblocks);
  for (int run = 0; run < (per_block ? 2 * runs : runs); run++) {
    const bool timed = run >= runs; // this run times each block
    E e(B, nin, nout, h);
    const double c0 = cpu_now();
    bool ok = true;
    for (size_t b = 0; b < nblocks && ok; b++) {
      for (size_t i = 0; i < nin; i++) memcpy(&in[i * B], &x[i * T + b * B], B * sizeof(float));
      const double w0 = timed ? thread_now() : 0.0;
      ok = e.process(in.data(), out.data());
      if (timed) bt[b] = thread_now() - w0;
      if (run == runs - 1)
        for (size_t o = 0; o < nout; o++) memcpy(&r.out[o * T + b * B], &out[o * B], B * sizeof(float));
    }
    const double c1 = cpu_now();
    if (!ok) return Timing();
    if (!timed) {
      per_run.push_back((c1 - c0) / nblocks * 1e6);
      continue;
    }
    // The schedule repeats every `period` blocks: the median over the repetitions of each block
    // position is that position's cost without the machine's random interruptions; the worst
    // position over the median one is the engine's own spike.
    const size_t period = std::max<size_t>(1, e.period());
    if (nblocks >= 3 * period) {
      std::vector<double> phase(period), reps;
      for (size_t p = 0; p < period; p++) {
        reps.clear();
        for (size_t b = period + p; b < nblocks; b += period) reps.push_back(bt[b]);
        phase[p] = median(reps);
      }
      worst.push_back(*std::max_element(phase.begin(), phase.end()) / median(phase));
    }
  }
  r.us_per_block = median(per_run);
  r.worst_ratio = worst.empty() ? NAN : *std::min_element(worst.begin(), worst.end());
  return r;
}

// The leading T samples of sum_i FULL(x_i, h_oi) per output, offline (fconv_convolve, f64).
std::vector<float> offline(const std::vector<float> &x, const std::vector<std::vector<float>> &h,
                           size_t nch, size_t T) {
  std::vector<float> y(nch * T, 0.0f);
  for (size_t o = 0; o < nch; o++)
    for (size_t i = 0; i < nch; i++) {
      const auto &r = h[o * nch + i];
      const size_t n[1] = {T}, k[1] = {r.size()};
      std::vector<double> xd(x.begin() + i * T, x.begin() + (i + 1) * T), hd(r.begin(), r.end()),
          yd(T + r.size() - 1);
      fconv_desc d;
      fconv_desc_init(&d, 1, n, k, FCONV_F64);
      d.method = FCONV_METHOD_FFT;
      if (fconv_convolve(&d, xd.data(), hd.data(), yd.data()) != FCONV_OK) return {};
      for (size_t t = 0; t < T; t++) y[o * T + t] += (float)yd[t];
    }
  return y;
}

// max |a - ref| / max |ref| (NAN when either is missing).
double rel_diff(const std::vector<float> &a, const std::vector<float> &ref) {
  if (a.size() != ref.size() || ref.empty()) return NAN;
  double m = 0, dm = 0;
  for (size_t k = 0; k < a.size(); k++) {
    m = std::max(m, (double)std::fabs(ref[k]));
    dm = std::max(dm, (double)std::fabs(a[k] - ref[k]));
  }
  return dm / m;
}

} // namespace

int main(int argc, char **argv) {
  double seconds = 60;
  int runs = 5;
  std::vector<double> irs = {0.5, 2, 10}, blocks = {64, 128, 256, 1024}, chans = {1, 2};
  const char *csv = nullptr;
  for (int a = 1; a < argc; a++) {
    std::string k = argv[a];
    const char *v = a + 1 < argc ? argv[a + 1] : nullptr;
    if (k == "--even-load") {
      g_fconv_flags |= FCONV_STREAM_FLAG_EVEN_LOAD;
      continue;
    }
    if (k == "--layout") {
      g_layout = true;
      continue;
    }
    if (k == "--help" || k == "-h") {
      printf("usage: %s [--seconds S] [--runs R] [--ir 0.5,2,10] [--blocks 64,128,256,1024] "
             "[--channels 1,2] [--csv FILE] [--even-load] [--max-partition P] [--layout]\n",
             argv[0]);
      return 0;
    }
    if (!v) {
      fprintf(stderr, "%s: %s needs a value\n", argv[0], k.c_str());
      return 2;
    }
    a++;
    if (k == "--seconds") seconds = atof(v);
    else if (k == "--runs") runs = atoi(v);
    else if (k == "--ir") irs = parse_list(v);
    else if (k == "--blocks") blocks = parse_list(v);
    else if (k == "--channels") chans = parse_list(v);
    else if (k == "--csv") csv = v;
    else if (k == "--max-partition") g_max_partition = (size_t)atof(v);
    else {
      fprintf(stderr, "%s: unknown option %s\n", argv[0], k.c_str());
      return 2;
    }
  }
  if (seconds <= 0 || runs < 1) {
    fprintf(stderr, "%s: --seconds and --runs must be positive\n", argv[0]);
    return 2;
  }
  FILE *f = csv ? fopen(csv, "w") : nullptr;
  if (csv && !f) {
    fprintf(stderr, "%s: cannot write %s\n", argv[0], csv);
    return 1;
  }
  if (f) fprintf(f, "ir_s,channels,block,fconv_us,zita_us,ratio,fconv_rtf,fconv_worst,fconv_err,zita_err\n");
#ifdef FCONV_BENCH_ZITA
  const bool zita = true;
#else
  const bool zita = false;
#endif
  printf("streaming: %.0f s of noise at 48 kHz, CPU us per block (median of %d runs); fconv%s; "
         "zita-convolver 4 (process(sync), FFTW_MEASURE + VECTOR_MODE, partitions B..8192)%s\n",
         seconds, runs, (g_fconv_flags & FCONV_STREAM_FLAG_EVEN_LOAD) ? " with EVEN_LOAD" : "",
         zita ? "" : " not built (libzita-convolver-dev missing)");
  printf("| IR | channels | block | fconv us | zita us | fconv/zita | fconv RT factor | fconv worst/median | fconv error | zita error |\n");
  printf("|---|---|---|---|---|---|---|---|---|---|\n");
  std::mt19937 g(12345);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (double ir : irs)
    for (double ch : chans) {
      const size_t nch = (size_t)ch, len = (size_t)(ir * kRate);
      std::vector<std::vector<float>> h(nch * nch, std::vector<float>(len));
      for (auto &r : h)
        for (size_t n = 0; n < len; n++) r[n] = u(g) * std::exp(-6.9f * (float)n / (float)len) * 0.05f;
      for (double bd : blocks) {
        const size_t B = (size_t)bd, T = (size_t)(seconds * kRate) / B * B;
        std::vector<float> x(nch * T);
        for (auto &v : x) v = u(g);
        const std::vector<float> ref = offline(x, h, nch, T);
        const Timing tf = measure<FconvEngine>(B, nch, nch, h, x, T, runs, true);
        Timing tz;
#ifdef FCONV_BENCH_ZITA
        tz = measure<ZitaEngine>(B, nch, nch, h, x, T, runs, false);
#endif
        const double df = rel_diff(tf.out, ref), dz = rel_diff(tz.out, ref);
        const double rtf = (B / kRate) / (tf.us_per_block * 1e-6);
        printf("| %g s | %zu in, %zu out | %zu | %.1f | %.1f | %.2f | %.0f | %.1f | %.1e | %.1e |\n",
               ir, nch, nch, B, tf.us_per_block, tz.us_per_block,
               tf.us_per_block / tz.us_per_block, rtf, tf.worst_ratio, df, dz);
        fflush(stdout);
        if (f)
          fprintf(f, "%g,%zu,%zu,%.3f,%.3f,%.4f,%.1f,%.2f,%.3e,%.3e\n", ir, nch, B,
                  tf.us_per_block, tz.us_per_block, tf.us_per_block / tz.us_per_block, rtf,
                  tf.worst_ratio, df, dz);
      }
    }
  if (f) fclose(f);
  return 0;
}
