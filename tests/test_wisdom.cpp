// test_wisdom.cpp — FFTW wisdom (fconv.h, "FFTW wisdom"): export/import round trips through
// strings and files, bad input statuses, and the opt-in per-user cache (FCONV_WISDOM_CACHE)
// being written and reused. Public API only.
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <set>
#include <sstream>
#include <string>
#include <unistd.h>

#include "test_common.h"

namespace {

// A small FFT plan of n samples made with FCONV_FLAG_MEASURE (which leaves wisdom).
void plan_measured(size_t n) {
  const size_t k = 3;
  fconv_desc d = ft::make_desc(1, &n, &k, FCONV_F32);
  d.method = FCONV_METHOD_FFT;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = 1;
  d.flags = FCONV_FLAG_MEASURE;
  fconv_plan *p = nullptr;
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  fconv_plan_destroy(p);
}

std::string exported() {
  char *t = nullptr;
  EXPECT_EQ(fconv_wisdom_export_string(&t), FCONV_OK);
  std::string s = t ? t : "";
  fconv_wisdom_free(t);
  return s;
}

std::string slurp(const std::string &path) {
  std::ifstream f(path, std::ios::binary);
  std::stringstream ss;
  ss << f.rdbuf();
  return ss.str();
}

// The lines of wisdom text that are FFTW entries (inside the s-expressions).
std::set<std::string> entries(const std::string &w) {
  std::set<std::string> out;
  std::istringstream in(w);
  for (std::string line; std::getline(in, line);)
    if (line.find("(fftw-") == std::string::npos && line.find('(') != std::string::npos)
      out.insert(line.substr(line.find('(')));
  return out;
}

std::string temp_path(const char *tag) {
  return std::string(::testing::TempDir()) + "fconv_wisdom_" + tag + "_" +
         std::to_string((long)getpid());
}

// Clears FCONV_WISDOM_CACHE when a test leaves.
struct CacheEnv {
  explicit CacheEnv(const std::string &v) { setenv("FCONV_WISDOM_CACHE", v.c_str(), 1); }
  ~CacheEnv() { unsetenv("FCONV_WISDOM_CACHE"); }
};

} // namespace

TEST(Wisdom, RoundTripThroughStringAndFile) {
  plan_measured(1000);
  const std::string w = exported();
  ASSERT_EQ(w.rfind("fconv-wisdom 1\n", 0), 0u) << w.substr(0, 40);
  EXPECT_NE(w.find("fftwf_wisdom"), std::string::npos);
  EXPECT_NE(w.find("fftw_wisdom"), std::string::npos);
  ASSERT_FALSE(entries(w).empty()) << "a MEASURE plan should leave wisdom";
  // forget, then import the string: the same wisdom again
  fconv_wisdom_forget();
  EXPECT_TRUE(entries(exported()).empty());
  ASSERT_EQ(fconv_wisdom_import_string(w.c_str()), FCONV_OK);
  EXPECT_EQ(entries(exported()), entries(w));
  // through a file
  const std::string path = temp_path("roundtrip");
  ASSERT_EQ(fconv_wisdom_export_file(path.c_str()), FCONV_OK);
  EXPECT_EQ(slurp(path), exported());
  fconv_wisdom_forget();
  ASSERT_EQ(fconv_wisdom_import_file(path.c_str()), FCONV_OK);
  EXPECT_EQ(entries(exported()), entries(w));
  std::remove(path.c_str());
}

TEST(Wisdom, BadInputStatuses) {
  EXPECT_EQ(fconv_wisdom_export_string(nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_string(nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_string(""), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_string("garbage"), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_string("fconv-wisdom 1\n(fftw-3.3.10 fftwf_wisdom #x1 (a b"),
            FCONV_ERR_INVALID_ARGUMENT); /* truncated */
  // well-formed but not FFTW's: FFTW itself rejects it
  EXPECT_EQ(fconv_wisdom_import_string("fconv-wisdom 1\n(fftw-0.0 fftwf_wisdom #x1 #x2 #x3 #x4"
                                       "\n  (nonsense))\n(fftw-0.0 fftw_wisdom (x))\n"),
            FCONV_ERR_FFT);
  EXPECT_EQ(fconv_wisdom_export_file(nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_file(nullptr), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_file(""), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_import_file("/nonexistent/fconv/wisdom"), FCONV_ERR_INVALID_ARGUMENT);
  EXPECT_EQ(fconv_wisdom_export_file("/nonexistent/dir/wisdom"), FCONV_ERR_INVALID_ARGUMENT);
  fconv_wisdom_free(nullptr); /* a no-op */
}

// The cache: a plan writes it (the directory made on the way); a process that starts with the
// cache on imports it before planning (shown by wisdom forgotten here coming back from the
// file) and adds its own new wisdom to it.
TEST(Wisdom, CacheWrittenAndReused) {
  const std::string dir = temp_path("cache"), path1 = dir + "/sub/w1", path2 = dir + "/w2";
  fconv_wisdom_forget();
  {
    CacheEnv env(path1);
    plan_measured(1100); /* plans with the cache on measure, and write the cache */
  }
  const std::string w1 = slurp(path1);
  ASSERT_EQ(w1.rfind("fconv-wisdom 1\n", 0), 0u) << "cache file not written";
  ASSERT_FALSE(entries(w1).empty());
  { std::ofstream(path2, std::ios::binary) << w1; }
  fconv_wisdom_forget();
  {
    CacheEnv env(path2);
    plan_measured(1300); /* imports path2 first, then adds 1300's wisdom to it */
  }
  const std::string w2 = slurp(path2);
  const std::set<std::string> e1 = entries(w1), e2 = entries(w2);
  for (const std::string &e : e1) EXPECT_TRUE(e2.count(e)) << "lost from the cache: " << e;
  EXPECT_GT(e2.size(), e1.size()) << "the new plan's wisdom was not added";
  // everything in the process's wisdom now came from the cache or the new plan
  for (const std::string &e : entries(exported())) EXPECT_TRUE(e2.count(e)) << e;
  std::remove(path1.c_str());
  std::remove(path2.c_str());
  rmdir((dir + "/sub").c_str());
  rmdir(dir.c_str());
}
