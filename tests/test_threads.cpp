// test_threads.cpp — the CPU thread runtime (src/core/threads.h): fconv_parallel_for covers
// every index once in chunks of at least `grain`, with at most `threads` threads and no tid in
// two places at once; a call finishes, correctly, while every helper is held inside another
// caller's blocked job (the caller does all the work itself); a helper slow inside a claimed
// chunk is waited for; concurrent and nested callers; a fork child uses the runtime; exit while
// another thread is inside a call; the default thread count follows the affinity mask and the
// cgroup CPU quota; FFTW's threads run on the runtime (no thread of FFTW's own).
//
// Built twice: against the library (futex waits), and standalone with threads.c compiled
// with FCONV_THREADS_NO_FUTEX (the condition-variable waits), where the library tests are
// left out. No timing assertions: waits have generous limits that only catch hangs.
#include <gtest/gtest.h>

#include <sched.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <dirent.h>
#include <string>
#include <thread>
#include <vector>

#include "core/threads.h"

#ifndef FCONV_THREADS_STANDALONE
#include "fconv.h"
#include "test_common.h"
#endif

namespace {

// ---- a checked job: every index once, chunk sizes, tids, concurrency ----------------------------

struct Coverage {
  size_t n = 0, grain = 1;
  int threads = 1;
  std::vector<std::atomic<int>> hits;
  std::vector<std::atomic<int>> busy;  // per tid: inside fn now
  std::atomic<int> inside{0}, max_inside{0}, bad_tid{0}, tid_twice{0}, small_chunk{0}, calls{0};
  Coverage(size_t n_, size_t grain_, int threads_)
      : n(n_), grain(grain_ ? grain_ : 1), threads(threads_), hits(n_), busy(threads_ < 1 ? 1 : threads_) {}

  static void fn(void *vctx, size_t b, size_t e, int tid) {
    Coverage *c = static_cast<Coverage *>(vctx);
    c->calls++;
    const int limit = c->threads < 1 ? 1 : c->threads;
    if (tid < 0 || tid >= limit) {
      c->bad_tid++;
      return;
    }
    if (c->busy[tid].exchange(1)) c->tid_twice++;
    int now = ++c->inside;
    int m = c->max_inside.load();
    while (now > m && !c->max_inside.compare_exchange_weak(m, now)) {
    }
    // A chunk shorter than grain is only allowed as the single inline call of a small job.
    if (e - b < c->grain && !(b == 0 && e == c->n)) c->small_chunk++;
    for (size_t i = b; i < e && i < c->n; i++) c->hits[i]++;
    if (e - b > 1000) std::this_thread::yield();
    --c->inside;
    c->busy[tid].store(0);
  }

  ::testing::AssertionResult ok() const {
    for (size_t i = 0; i < n; i++)
      if (hits[i].load() != 1)
        return ::testing::AssertionFailure() << "index " << i << " run " << hits[i].load()
                                             << " times (n " << n << ", grain " << grain
                                             << ", threads " << threads << ")";
    const int limit = threads < 1 ? 1 : threads;
    if (bad_tid || tid_twice || small_chunk || max_inside > limit)
      return ::testing::AssertionFailure()
             << "bad tid " << bad_tid.load() << ", tid twice at once " << tid_twice.load()
             << ", chunks below grain " << small_chunk.load() << ", " << max_inside.load()
             << " threads at once (limit " << limit << ")";
    return ::testing::AssertionSuccess();
  }
};

::testing::AssertionResult run_checked(size_t n, size_t grain, int threads) {
  Coverage c(n, grain, threads);
  fconv_parallel_for(n, grain, threads, Coverage::fn, &c);
  return c.ok();
}

// Wait (up to 20 s: only a hang fails) until pred holds.
template <class P> bool wait_for(P pred) {
  for (int i = 0; i < 20000; i++) {
    if (pred()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return pred();
}

// Wait for a forked child (up to 60 s); its exit status, or -1 (killed on timeout / signal).
int wait_child(pid_t pid) {
  for (int i = 0; i < 6000; i++) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  kill(pid, SIGKILL);
  waitpid(pid, nullptr, 0);
  return -1;
}

TEST(Threads, CoversEveryIndexOnceOverManyShapes) {
  const size_t ns[] = {1, 2, 3, 7, 8, 63, 64, 65, 1000, 4097, 100003};
  const size_t grains[] = {0, 1, 2, 3, 16, 64, 1000, 200000};
  const int threads[] = {0, 1, 2, 3, 4, 7, 16};
  for (size_t n : ns)
    for (size_t g : grains)
      for (int t : threads) EXPECT_TRUE(run_checked(n, g, t));
}

TEST(Threads, ZeroItemsCallsNothing) {
  Coverage c(0, 1, 4);
  fconv_parallel_for(0, 1, 4, Coverage::fn, &c);
  EXPECT_EQ(c.calls.load(), 0);
}

TEST(Threads, SmallJobsRunInlineOnTheCaller) {
  // threads <= 1, or fewer than 2 * grain items: one call fn(ctx, 0, n, 0).
  struct Rec {
    int calls = 0;
    size_t b = 99, e = 99;
    int tid = 99;
    std::thread::id who;
  };
  auto fn = [](void *v, size_t b, size_t e, int tid) {
    Rec *r = static_cast<Rec *>(v);
    r->calls++;
    r->b = b;
    r->e = e;
    r->tid = tid;
    r->who = std::this_thread::get_id();
  };
  for (auto c : {std::make_tuple(size_t(100), size_t(1), 1), std::make_tuple(size_t(100), size_t(51), 8),
                 std::make_tuple(size_t(1), size_t(0), 8)}) {
    Rec r;
    fconv_parallel_for(std::get<0>(c), std::get<1>(c), std::get<2>(c), fn, &r);
    EXPECT_EQ(r.calls, 1);
    EXPECT_EQ(r.b, 0u);
    EXPECT_EQ(r.e, std::get<0>(c));
    EXPECT_EQ(r.tid, 0);
    EXPECT_EQ(r.who, std::this_thread::get_id());
  }
}

TEST(Threads, CutsWorkIntoMoreChunksThanThreads) {
  std::atomic<int> chunks{0};
  auto fn = [](void *v, size_t, size_t, int) { ++*static_cast<std::atomic<int> *>(v); };
  fconv_parallel_for(100000, 1, 2, fn, &chunks);
  EXPECT_GE(chunks.load(), 8) << "work claimed in chunks, many more than threads";
  EXPECT_GE(fconv_threads_pool_size(), 1);
}

// Every helper is held inside another caller's job (its chunks block until released): a new
// call cannot get any helper, and still finishes, correctly, with the caller doing every chunk.
TEST(Threads, FinishesWhileEveryHelperIsHeldBack) {
  EXPECT_TRUE(run_checked(10000, 1, 4));  // the pool has at least 3 helpers now
  const int helpers = fconv_threads_pool_size();
  ASSERT_GE(helpers, 3);

  struct Hold {
    std::atomic<int> entered{0};
    std::atomic<size_t> items{0};
    std::atomic<bool> release{false};
  } hold;
  auto blocker = [](void *v, size_t b, size_t e, int) {
    Hold *h = static_cast<Hold *>(v);
    ++h->entered;
    while (!h->release.load()) std::this_thread::sleep_for(std::chrono::microseconds(200));
    h->items += e - b;
  };
  // helpers + 1 seats, many chunks: the holder's caller and every helper end up blocked.
  std::thread holder([&] { fconv_parallel_for(100 * (size_t)(helpers + 1), 1, helpers + 1, blocker, &hold); });
  const bool all_held = wait_for([&] { return hold.entered.load() >= helpers + 1; });
  EXPECT_TRUE(all_held) << hold.entered.load() << " of " << helpers + 1 << " threads held";

  struct Sum {
    std::vector<std::atomic<int>> hits;
    std::atomic<int> helper_chunks{0};
    explicit Sum(size_t n) : hits(n) {}
  } sum(50000);
  auto add = [](void *v, size_t b, size_t e, int tid) {
    Sum *s = static_cast<Sum *>(v);
    if (tid != 0) ++s->helper_chunks;
    for (size_t i = b; i < e; i++) s->hits[i]++;
  };
  fconv_parallel_for(sum.hits.size(), 1, 4, add, &sum);  // must return although no helper can come
  size_t wrong = 0;
  for (auto &h : sum.hits) wrong += h.load() != 1;
  EXPECT_EQ(wrong, 0u);
  if (all_held) {
    EXPECT_EQ(sum.helper_chunks.load(), 0) << "every helper was held elsewhere";
  }

  hold.release = true;
  holder.join();
  EXPECT_EQ(hold.items.load(), 100 * (size_t)(helpers + 1)) << "the held job still ran every item";
  EXPECT_TRUE(run_checked(10000, 1, 4)) << "the pool works again afterwards";
}

// Helpers that claimed a chunk and then run slowly (as when descheduled) are waited for: the
// call returns only when their chunks are done.
TEST(Threads, WaitsForChunksHelpersClaimed) {
  struct Slow {
    std::vector<std::atomic<int>> hits;
    std::atomic<int> helper_done{0};
    explicit Slow(size_t n) : hits(n) {}
  } s(64);
  auto fn = [](void *v, size_t b, size_t e, int tid) {
    Slow *x = static_cast<Slow *>(v);
    if (tid != 0) std::this_thread::sleep_for(std::chrono::milliseconds(20));
    for (size_t i = b; i < e; i++) x->hits[i]++;
    if (tid != 0) ++x->helper_done;
  };
  for (int rep = 0; rep < 5; rep++) {
    for (auto &h : s.hits) h = 0;
    fconv_parallel_for(s.hits.size(), 1, 3, fn, &s);
    for (size_t i = 0; i < s.hits.size(); i++) ASSERT_EQ(s.hits[i].load(), 1) << "index " << i;
  }
}

TEST(Threads, ConcurrentCallers) {
  const int callers = 8;
  std::atomic<int> failures{0};
  std::vector<std::thread> th;
  for (int c = 0; c < callers; c++)
    th.emplace_back([c, &failures] {
      for (int i = 0; i < 60; i++) {
        const size_t n = 1 + (size_t)((c * 7919 + i * 104729) % 20000);
        if (!run_checked(n, 1 + (size_t)(i % 5), 1 + (c + i) % 5)) failures++;
      }
    });
  for (auto &t : th) t.join();
  EXPECT_EQ(failures.load(), 0);
}

TEST(Threads, NestedCalls) {
  // Each outer chunk runs an inner parallel_for (as FFTW's threads do inside a path's chunk).
  const size_t outer = 40, inner = 3000;
  std::vector<std::atomic<int>> hits(outer * inner);
  struct Ctx {
    std::vector<std::atomic<int>> *hits;
    size_t inner;
    size_t row;
  };
  auto out = [](void *v, size_t b, size_t e, int) {
    Ctx *c = static_cast<Ctx *>(v);
    auto in_fn = [](void *w, size_t b2, size_t e2, int) {
      Ctx *cc = static_cast<Ctx *>(w);
      for (size_t i = b2; i < e2; i++) (*cc->hits)[cc->row * cc->inner + i]++;
    };
    for (size_t r = b; r < e; r++) {
      Ctx mine{c->hits, c->inner, r};
      fconv_parallel_for(c->inner, 16, 3, in_fn, &mine);
    }
  };
  Ctx top{&hits, inner, 0};
  fconv_parallel_for(outer, 1, 4, out, &top);
  size_t wrong = 0;
  for (auto &h : hits) wrong += h.load() != 1;
  EXPECT_EQ(wrong, 0u);
}

// ---- fork and exit ------------------------------------------------------------------------------

TEST(Threads, ForkChildUsesTheRuntime) {
  ASSERT_TRUE(run_checked(50000, 1, 4));  // the parent's pool exists
  ASSERT_GE(fconv_threads_pool_size(), 1);
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    int code = 0;
    if (fconv_threads_pool_size() != 0) code = 2;                   // no helper survives fork
    if (!run_checked(50000, 1, 4)) code = 3;                        // the child makes its own
    if (fconv_threads_pool_size() < 1) code = 4;
    if (!run_checked(777, 3, 2)) code = 5;
    _exit(code);
  }
  EXPECT_EQ(wait_child(pid), 0) << "2: helpers survived fork, 3/5: wrong result, 4: no pool";
  EXPECT_TRUE(run_checked(50000, 1, 4)) << "the parent's pool still works";
}

TEST(Threads, ExitWhileAnotherThreadIsInsideACall) {
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    std::atomic<int> started{0};
    std::thread busy([&] {
      for (;;) {
        started = 1;
        if (!run_checked(200000, 1, 4)) _exit(3);
      }
    });
    busy.detach();
    while (!started.load()) std::this_thread::yield();
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    exit(0);  // destructors stop and join the helpers while `busy` keeps calling
  }
  EXPECT_EQ(wait_child(pid), 0) << "exit hung or crashed (-1), or a wrong result (3)";
}

// ---- how many cores ------------------------------------------------------------------------------

int affinity_count() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
  return CPU_COUNT(&set);
}

TEST(Threads, CpuCountFollowsAffinity) {
  const int aff = affinity_count();
  ASSERT_GE(aff, 1);
  EXPECT_GE(fconv_cpu_count(), 1);
  EXPECT_LE(fconv_cpu_count(), aff);
  fflush(nullptr);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    sched_getaffinity(0, sizeof set, &set);
    int first = -1;
    for (int c = 0; c < CPU_SETSIZE && first < 0; c++)
      if (CPU_ISSET(c, &set)) first = c;
    CPU_ZERO(&set);
    CPU_SET(first, &set);
    if (sched_setaffinity(0, sizeof set, &set) != 0) _exit(10);
    if (fconv_cpu_count() != 1) _exit(2);
#ifndef FCONV_THREADS_STANDALONE
    // threads = 0 ("all cores") in a plan: the cores this process may use.
    const size_t n[1] = {4096}, k[1] = {5};
    fconv_desc d;
    fconv_desc_init(&d, 1, n, k, FCONV_F32);
    d.backend = FCONV_BACKEND_CPU;
    fconv_plan *p = nullptr;
    if (fconv_plan_create(&p, &d) != FCONV_OK) _exit(3);
    fconv_plan_info info;
    if (fconv_plan_get_info(p, &info) != FCONV_OK || info.threads != 1) _exit(4);
    fconv_plan_destroy(p);
#endif
    _exit(0);
  }
  const int code = wait_child(pid);
  if (code == 10) GTEST_SKIP() << "sched_setaffinity refused here";
  EXPECT_EQ(code, 0) << "2: fconv_cpu_count ignores the affinity mask; 4: a plan's threads = 0 does";
}

TEST(Threads, QuotaText) {
  EXPECT_EQ(fconv_threads_quota_cpus("max 100000\n", nullptr), 0);
  EXPECT_EQ(fconv_threads_quota_cpus("100000 100000\n", nullptr), 1);
  EXPECT_EQ(fconv_threads_quota_cpus("150000 100000\n", nullptr), 2);
  EXPECT_EQ(fconv_threads_quota_cpus("50000 100000", nullptr), 1);
  EXPECT_EQ(fconv_threads_quota_cpus("800000 100000", nullptr), 8);
  EXPECT_EQ(fconv_threads_quota_cpus("-1\n", "100000\n"), 0);
  EXPECT_EQ(fconv_threads_quota_cpus("250000\n", "100000\n"), 3);
  EXPECT_EQ(fconv_threads_quota_cpus("garbage", nullptr), 0);
  EXPECT_EQ(fconv_threads_quota_cpus("", nullptr), 0);
  EXPECT_EQ(fconv_threads_quota_cpus(nullptr, nullptr), 0);
}

class CgroupTree : public ::testing::Test {
protected:
  std::string root;
  void SetUp() override {
    char tmpl[] = "/tmp/fconv_cgroup_XXXXXX";
    ASSERT_NE(mkdtemp(tmpl), nullptr);
    root = tmpl;
  }
  void TearDown() override {
    std::string cmd = "rm -rf '" + root + "'";
    (void)!system(cmd.c_str());
  }
  void put(const std::string &rel, const std::string &text) {
    std::string path = root;
    size_t pos = 0;
    while ((pos = rel.find('/', pos + 1)) != std::string::npos) mkdir((root + rel.substr(0, pos)).c_str(), 0755);
    path += rel;
    FILE *f = fopen(path.c_str(), "w");
    ASSERT_NE(f, nullptr) << path;
    fputs(text.c_str(), f);
    fclose(f);
  }
};

TEST_F(CgroupTree, V2SmallestQuotaOnThePath) {
  put("/a/cpu.max", "300000 100000\n");
  put("/a/b/cpu.max", "max 100000\n");
  EXPECT_EQ(fconv_threads_cgroup_cpus("0::/a/b\n", root.c_str()), 3);
  put("/a/b/cpu.max", "120000 100000\n");
  EXPECT_EQ(fconv_threads_cgroup_cpus("0::/a/b\n", root.c_str()), 2);
  EXPECT_EQ(fconv_threads_cgroup_cpus("0::/elsewhere\n", root.c_str()), 0);
}

TEST_F(CgroupTree, V2ContainerSeesItsOwnCgroupAtTheRoot) {
  // /proc/self/cgroup names the host's path, the container mounts its own cgroup as root.
  put("/cpu.max", "200000 100000\n");
  EXPECT_EQ(fconv_threads_cgroup_cpus("0::/docker/0123abcd\n", root.c_str()), 2);
}

TEST_F(CgroupTree, V2UnderUnifiedOnHybridHosts) {
  put("/unified/job/cpu.max", "400000 100000\n");
  EXPECT_EQ(fconv_threads_cgroup_cpus("1:cpu:/\n0::/job\n", root.c_str()), 4);
}

TEST_F(CgroupTree, V1CpuController) {
  put("/cpu,cpuacct/x/cpu.cfs_quota_us", "100000\n");
  put("/cpu,cpuacct/x/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(fconv_threads_cgroup_cpus("5:memory:/x\n4:cpu,cpuacct:/x\n", root.c_str()), 1);
  EXPECT_EQ(fconv_threads_cgroup_cpus("4:cpuacct:/x\n", root.c_str()), 0) << "not the cpu controller";
  put("/cpu/y/cpu.cfs_quota_us", "-1\n");
  put("/cpu/y/cpu.cfs_period_us", "100000\n");
  EXPECT_EQ(fconv_threads_cgroup_cpus("2:cpu:/y\n", root.c_str()), 0) << "unlimited";
}

// ---- FFTW's threads run on the runtime ----------------------------------------------------------
#ifndef FCONV_THREADS_STANDALONE
int task_count() {
  int n = 0;
  DIR *d = opendir("/proc/self/task");
  if (!d) return -1;
  while (struct dirent *e = readdir(d))
    if (e->d_name[0] != '.') n++;
  closedir(d);
  return n;
}

TEST(Threads, FftwThreadsRunOnTheRuntime) {
  // One long 1-D FFT with 2 threads: the plan's transforms run with 2 FFTW threads. With the
  // callback installed FFTW starts no thread of its own: the process holds this thread and the
  // pool's helpers only (an FFTW pool would add threads that stay). The result is checked too.
  const size_t n[1] = {1u << 17}, k[1] = {33};
  fconv_desc d;
  fconv_desc_init(&d, 1, n, k, FCONV_F32);
  d.method = FCONV_METHOD_FFT;
  d.backend = FCONV_BACKEND_CPU;
  d.threads = 2;
  auto g = ft::rng();
  ft::Array x(FCONV_F32, n[0]), h(FCONV_F32, k[0]);
  x.fill_random(g);
  h.fill_random(g);
  fconv_plan *p = nullptr;
  ASSERT_EQ(fconv_plan_create(&p, &d), FCONV_OK);
  size_t shape[FCONV_MAX_RANK];
  ASSERT_EQ(fconv_plan_output_shape(p, shape), FCONV_OK);
  ft::Array y(FCONV_F32, shape[0]);
  for (int rep = 0; rep < 3; rep++) ASSERT_EQ(fconv_execute(p, x.data(), h.data(), y.data()), FCONV_OK);
  fconv_plan_destroy(p);
  EXPECT_TRUE(ft::matches_reference(y, ft::reference_of(d, x, h)));
  EXPECT_EQ(task_count(), 1 + fconv_threads_pool_size()) << "threads beyond fconv's pool";
}
#endif

}  // namespace
