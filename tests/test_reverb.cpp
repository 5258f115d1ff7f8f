// test_reverb.cpp — fconv-reverb on generated files: the output file holds the convolution of
// the input with the response (channel layouts mono, mono -> stereo, stereo, true stereo), the
// wet/dry mix, the tail and the normalisation; unreadable files, sample-rate and channel
// mismatches and bad arguments exit 1 with a message. The program's path is FCONV_REVERB_EXE.
#include <gtest/gtest.h>
#include <sndfile.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <vector>

namespace {

std::string dir() {
  static std::string d = [] {
    std::string t = ::testing::TempDir() + "fconv_reverb_" + std::to_string(getpid());
    std::system(("mkdir -p " + t).c_str());
    return t;
  }();
  return d;
}

// Write frames x channels interleaved float samples as a 32-bit float WAV.
void write_wav(const std::string &path, const std::vector<float> &x, int channels, int rate) {
  SF_INFO info = {};
  info.samplerate = rate;
  info.channels = channels;
  info.format = SF_FORMAT_WAV | SF_FORMAT_FLOAT;
  SNDFILE *f = sf_open(path.c_str(), SFM_WRITE, &info);
  ASSERT_NE(f, nullptr) << sf_strerror(nullptr);
  ASSERT_EQ(sf_writef_float(f, x.data(), (sf_count_t)(x.size() / channels)),
            (sf_count_t)(x.size() / channels));
  sf_close(f);
}

std::vector<float> read_wav(const std::string &path, int *channels) {
  SF_INFO info = {};
  SNDFILE *f = sf_open(path.c_str(), SFM_READ, &info);
  EXPECT_NE(f, nullptr) << path << ": " << sf_strerror(nullptr);
  if (!f) return {};
  std::vector<float> y((size_t)info.frames * info.channels);
  sf_readf_float(f, y.data(), info.frames);
  sf_close(f);
  *channels = info.channels;
  return y;
}

std::vector<float> noise(size_t n, std::mt19937 &g, float scale = 0.5f) {
  std::uniform_real_distribution<float> u(-scale, scale);
  std::vector<float> v(n);
  for (auto &x : v) x = u(g);
  return v;
}

// Run the program; returns the exit status, stderr in *err.
int run(const std::string &args, std::string *err) {
  const std::string e = dir() + "/stderr.txt";
  const int rc = std::system((std::string(FCONV_REVERB_EXE) + " " + args + " 2> " + e).c_str());
  std::ifstream f(e);
  std::stringstream ss;
  ss << f.rdbuf();
  if (err) *err = ss.str();
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}

// Channel c of interleaved x (frames x ch), as double.
std::vector<double> chan(const std::vector<float> &x, int ch, int c) {
  std::vector<double> v(x.size() / ch);
  for (size_t t = 0; t < v.size(); t++) v[t] = x[t * ch + c];
  return v;
}

std::vector<double> conv(const std::vector<double> &x, const std::vector<double> &h) {
  std::vector<double> y(x.size() + h.size() - 1, 0.0);
  for (size_t i = 0; i < x.size(); i++)
    for (size_t k = 0; k < h.size(); k++) y[i + k] += x[i] * h[k];
  return y;
}

void expect_close(const std::vector<float> &got, int ch, int c, const std::vector<double> &want,
                  double tol, const std::string &what) {
  ASSERT_EQ(got.size() / ch, want.size()) << what;
  for (size_t t = 0; t < want.size(); t++)
    ASSERT_NEAR(got[t * ch + c], want[t], tol) << what << " channel " << c << " frame " << t;
}

struct Layout {
  int in_ch, ir_ch, out_ch;
  const char *name;
};

TEST(Reverb, ChannelLayoutsMixAndTail) {
  std::mt19937 g(7);
  const Layout layouts[] = {{1, 1, 1, "mono"}, {1, 2, 2, "mono->stereo"},
                            {2, 2, 2, "stereo"}, {2, 4, 2, "true stereo"}, {3, 1, 3, "3ch mono ir"}};
  for (const Layout &l : layouts) {
    const size_t N = 3000, L = 700;
    const auto x = noise(N * l.in_ch, g), h = noise(L * l.ir_ch, g, 0.05f);
    write_wav(dir() + "/in.wav", x, l.in_ch, 44100);
    write_wav(dir() + "/ir.wav", h, l.ir_ch, 44100);
    for (double mix : {1.0, 0.25}) {
      std::string err;
      ASSERT_EQ(run("-q -b 100 -m " + std::to_string(mix) + " " + dir() + "/in.wav " + dir() +
                        "/ir.wav " + dir() + "/out.wav",
                    &err),
                0)
          << err;
      int ch = 0;
      const auto y = read_wav(dir() + "/out.wav", &ch);
      ASSERT_EQ(ch, l.out_ch) << l.name;
      for (int o = 0; o < l.out_ch; o++) {
        std::vector<double> want(N + L - 1, 0.0);
        auto add = [&](int in_c, int ir_c) {
          const auto w = conv(chan(x, l.in_ch, in_c), chan(h, l.ir_ch, ir_c));
          for (size_t t = 0; t < want.size(); t++) want[t] += mix * w[t];
        };
        if (l.ir_ch == 1) add(o, 0);
        else if (l.ir_ch == 2 && l.in_ch == 1) add(0, o);
        else if (l.ir_ch == 2) add(o, o);
        else { add(0, o == 0 ? 0 : 1); add(1, o == 0 ? 2 : 3); } // L->L, L->R, R->L, R->R
        const auto dry = chan(x, l.in_ch, l.in_ch == l.out_ch ? o : 0);
        for (size_t t = 0; t < N; t++) want[t] += (1 - mix) * dry[t];
        expect_close(y, ch, o, want, 2e-5, std::string(l.name) + " mix " + std::to_string(mix));
      }
    }
  }
  // --no-tail: the input's length.
  ASSERT_EQ(run("-q --no-tail " + dir() + "/in.wav " + dir() + "/ir.wav " + dir() + "/out.wav",
                nullptr),
            0);
  int ch = 0;
  EXPECT_EQ(read_wav(dir() + "/out.wav", &ch).size() / ch, (size_t)3000);
}

TEST(Reverb, NormalizeSetsThePeak) {
  std::mt19937 g(8);
  const auto x = noise(5000, g), h = noise(300, g, 2.0f); // loud: the wet signal clips
  write_wav(dir() + "/in.wav", x, 1, 48000);
  write_wav(dir() + "/ir.wav", h, 1, 48000);
  ASSERT_EQ(run("-q -n -b 64 " + dir() + "/in.wav " + dir() + "/ir.wav " + dir() + "/out.wav",
                nullptr),
            0);
  int ch = 0;
  const auto y = read_wav(dir() + "/out.wav", &ch);
  const auto want = conv(chan(x, 1, 0), chan(h, 1, 0));
  double peak = 0, wpeak = 0;
  for (float v : y) peak = std::max(peak, (double)std::fabs(v));
  for (double v : want) wpeak = std::max(wpeak, std::fabs(v));
  EXPECT_NEAR(peak, std::pow(10.0, -1.0 / 20), 1e-5);
  const double gain = peak / wpeak;
  for (size_t t = 0; t < want.size(); t++) ASSERT_NEAR(y[t], gain * want[t], 1e-5) << t;
}

TEST(Reverb, ErrorsExitOneWithAMessage) {
  std::mt19937 g(9);
  write_wav(dir() + "/in2.wav", noise(2000, g), 2, 48000);
  write_wav(dir() + "/ir3.wav", noise(300, g), 3, 48000);
  write_wav(dir() + "/ir44.wav", noise(100, g), 1, 44100);
  std::string err;
  EXPECT_EQ(run(dir() + "/missing.wav " + dir() + "/ir44.wav " + dir() + "/o.wav", &err), 1);
  EXPECT_NE(err.find("cannot read"), std::string::npos) << err;
  EXPECT_EQ(run(dir() + "/in2.wav " + dir() + "/ir44.wav " + dir() + "/o.wav", &err), 1);
  EXPECT_NE(err.find("sample rates differ"), std::string::npos) << err;
  EXPECT_EQ(run(dir() + "/in2.wav " + dir() + "/ir3.wav " + dir() + "/o.wav", &err), 1);
  EXPECT_NE(err.find("does not fit"), std::string::npos) << err;
  EXPECT_EQ(run("-b 0 " + dir() + "/in2.wav " + dir() + "/ir3.wav " + dir() + "/o.wav", &err), 1);
  EXPECT_NE(err.find("usage"), std::string::npos) << err;
  EXPECT_EQ(run(dir() + "/in2.wav " + dir() + "/ir3.wav", &err), 1);
  EXPECT_EQ(run("-m 2 a b c", &err), 1);
  EXPECT_EQ(run(dir() + "/in2.wav " + dir() + "/in2.wav /nonexistent-dir/o.wav", &err), 1);
  EXPECT_NE(err.find("cannot write"), std::string::npos) << err;
}

} // namespace
