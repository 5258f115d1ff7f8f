// test_concurrency.cpp — "distinct plans may be created, used and destroyed from any threads at
// the same time": several threads each create, set kernels, execute and destroy their own
// plans at once (all released together), and every output must match the reference.
#include <gtest/gtest.h>

#include <atomic>
#include <memory>
#include <thread>

#include "test_common.h"

namespace {

using ft::Array;
using ft::MethodBackend;

struct Job {
  fconv_desc d;
  std::unique_ptr<Array> x, h, y;
  reference::Result ref;
  fconv_status st = FCONV_ERR_INTERNAL;
  bool use_set_kernel = false;
};

class Concurrency : public ::testing::TestWithParam<MethodBackend> {};

TEST_P(Concurrency, ThreadsWithTheirOwnPlansGetCorrectResults) {
  const MethodBackend mb = GetParam();
  FT_SKIP_IF_UNAVAILABLE(mb, FCONV_F32, 2);
  std::mt19937_64 g = ft::rng();
  const int kThreads = 4, kJobsPerThread = 12;
  std::vector<std::vector<Job>> jobs(kThreads);
  for (int t = 0; t < kThreads; t++)
    for (int j = 0; j < kJobsPerThread; j++) {
      Job job;
      const int rank = (int)ft::uniform(g, 1, 3);
      const size_t cap = rank == 1 ? 64 : rank == 2 ? 14 : 6;
      size_t n[3], k[3];
      for (int a = 0; a < 3; a++) {
        n[a] = ft::uniform(g, 2, cap);
        k[a] = ft::uniform(g, 1, std::min<size_t>(n[a], 5));
      }
      job.d = ft::make_desc(rank, n, k, ft::kAllDtypes[ft::uniform(g, 0, 3)]);
      job.d.mode = (fconv_mode)ft::uniform(g, 0, 3);
      job.d.op = (fconv_op)ft::uniform(g, 0, 1);
      job.d.boundary = (fconv_boundary)ft::uniform(g, 0, 4);
      for (int a = 0; a < rank; a++) {
        job.d.pad_before[a] = ft::uniform(g, 0, n[a] + 2);
        job.d.pad_after[a] = ft::uniform(g, 0, n[a] + 2);
      }
      job.d.batch = ft::uniform(g, 1, 2);
      job.d.threads = (int)ft::uniform(g, 0, 2);
      job.d.method = mb.method;
      job.d.backend = mb.backend;
      job.use_set_kernel = ft::coin(g);
      job.x = std::make_unique<Array>(job.d.dtype, ft::signal_elems(job.d));
      job.h = std::make_unique<Array>(job.d.dtype, ft::kernel_elems(job.d));
      job.x->fill_random(g);
      job.h->fill_random(g);
      job.ref = ft::reference_of(job.d, *job.x, *job.h);
      job.y = std::make_unique<Array>(job.d.dtype, job.ref.y.size());
      job.y->fill_pattern(0xFF);
      jobs[t].push_back(std::move(job));
    }
  ASSERT_FALSE(HasFailure());

  std::atomic<int> ready{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < kThreads; t++)
    pool.emplace_back([&, t] {
      ready++;
      while (ready.load() < kThreads) std::this_thread::yield(); // start together
      for (Job &job : jobs[t]) {
        fconv_plan *p = nullptr;
        job.st = fconv_plan_create(&p, &job.d);
        if (job.st != FCONV_OK) continue;
        if (job.use_set_kernel) {
          job.st = fconv_plan_set_kernel(p, job.h->data());
          if (job.st == FCONV_OK) job.st = fconv_execute(p, job.x->data(), nullptr, job.y->data());
        } else {
          job.st = fconv_execute(p, job.x->data(), job.h->data(), job.y->data());
        }
        fconv_plan_destroy(p);
      }
    });
  for (std::thread &th : pool) th.join();

  for (int t = 0; t < kThreads; t++)
    for (const Job &job : jobs[t]) {
      SCOPED_TRACE("thread " + std::to_string(t) + ": " + ft::describe(job.d));
      EXPECT_EQ(job.st, FCONV_OK) << fconv_status_string(job.st);
      EXPECT_TRUE(ft::matches_reference(*job.y, job.ref));
    }
}

INSTANTIATE_TEST_SUITE_P(Api, Concurrency, ::testing::ValuesIn(ft::all_method_backends()),
                         [](const ::testing::TestParamInfo<MethodBackend> &i) {
                           return ft::name_of(i.param);
                         });

} // namespace
