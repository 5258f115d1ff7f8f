// test_wisdom_fresh.cpp — FFTW wisdom imported by a process that has not planned yet. Its own
// executable, one test: in every other suite some plan runs before the wisdom tests, and FFTW is
// then initialised. A child process (fork) plans FFTs with FCONV_FLAG_MEASURE on 2 threads and
// exports the wisdom to a file; this process, which has not called fconv before, imports it:
// wisdom of threaded plans names FFTW's threads solvers, which FFTW knows only after
// fftw(f)_init_threads (the import failed with FCONV_ERR_FFT before the fix). Public API only.
#include <gtest/gtest.h>

#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>

#include "fconv.h"

namespace {

// A 2-D f32 FFT plan of 256^2 (3x3 kernel) with FFTW_MEASURE on 2 threads: created, destroyed.
fconv_status plan_measured() {
  const size_t ss[2] = {256, 256}, ks[2] = {3, 3};
  fconv_desc d;
  fconv_desc_init(&d, 2, ss, ks, FCONV_F32);
  d.method = FCONV_METHOD_FFT;
  d.backend = FCONV_BACKEND_CPU;
  d.flags = FCONV_FLAG_MEASURE;
  d.threads = 2;
  fconv_plan *p = nullptr;
  const fconv_status st = fconv_plan_create(&p, &d);
  fconv_plan_destroy(p);
  return st;
}

TEST(WisdomFresh, ImportBeforeAnyPlan) {
  char path[] = "/tmp/fconv-wisdom-fresh-XXXXXX";
  const int fd = mkstemp(path);
  ASSERT_GE(fd, 0);
  close(fd);
  const pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) { // the child plans and exports; nothing of it reaches this process's FFTW
    const bool ok = plan_measured() == FCONV_OK && fconv_wisdom_export_file(path) == FCONV_OK;
    _exit(ok ? 0 : 1);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0) << "the child could not export";
  EXPECT_EQ(fconv_wisdom_import_file(path), FCONV_OK) << fconv_last_error();
  EXPECT_EQ(plan_measured(), FCONV_OK) << fconv_last_error(); // planned from that wisdom
  std::remove(path);
}

} // namespace
