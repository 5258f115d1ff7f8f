/* fconv_emu.cpp — the block emulator: every CUDA thread of a block is a fiber (ucontext) with
 * its own stack; __syncthreads() switches back to a per-block scheduler which releases the
 * barrier only when every thread of the block waits at the same call site. See fconv_emu.h. */
#include "fconv_emu.h"

#include <gtest/gtest.h>
#include <sys/mman.h>
#include <ucontext.h>
#include <unistd.h>

#include <cstdio>
#include <atomic>
#include <cstdlib>
#include <mutex>

#if defined(__SANITIZE_ADDRESS__)
#define FCONV_EMU_ASAN 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define FCONV_EMU_ASAN 1
#endif
#endif
#ifdef FCONV_EMU_ASAN
#include <sanitizer/asan_interface.h>
#include <sanitizer/common_interface_defs.h>
#endif

/* __thread, constant-initialised, no TLS wrapper: see fconv_emu.h. */
__thread uint3 threadIdx;
__thread uint3 blockIdx;
__thread dim3 blockDim;
__thread dim3 gridDim;

namespace fconv_emu {
namespace {

#ifdef FCONV_EMU_ASAN
constexpr size_t kStackBytes = 256 * 1024; /* ASan frames are larger */
#else
constexpr size_t kStackBytes = 64 * 1024;
#endif

/* One fiber stack: mmap'd with a PROT_NONE guard page below it, so an overflow faults. */
struct Stack {
  char *base = nullptr; /* start of the usable region */
  size_t size = 0;
};

Stack stack_new() {
  const size_t page = (size_t)sysconf(_SC_PAGESIZE);
  void *m = mmap(nullptr, kStackBytes + page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                 -1, 0);
  if (m == MAP_FAILED) {
    std::fprintf(stderr, "fconv_emu: cannot map a fiber stack\n");
    std::abort(); /* test infrastructure, not library code */
  }
  mprotect(m, page, PROT_NONE);
  Stack s;
  s.base = (char *)m + page;
  s.size = kStackBytes;
  return s;
}

enum class FiberState { Ready, Waiting, Done };

struct Fiber {
  ucontext_t ctx;
  FiberState state = FiberState::Ready;
  const char *wait_file = nullptr;
  int wait_line = 0;
  uint3 tid{0, 0, 0};
  void *fake_stack = nullptr; /* ASan */
};

/* The block being run on this OS thread. */
struct BlockRun {
  const KernelLaunch *k = nullptr;
  Fiber *fibers = nullptr;
  size_t nfibers = 0;
  size_t cur = 0;
  ucontext_t sched;
  const void *sched_bottom = nullptr; /* ASan: the scheduler's stack */
  size_t sched_size = 0;
  void *dyn_smem = nullptr;
};

thread_local BlockRun *g_run = nullptr;
thread_local std::vector<Stack> g_stacks; /* reused across launches */

std::recursive_mutex &exec_mutex() {
  static std::recursive_mutex m;
  return m;
}
std::mutex &handler_mutex() {
  static std::mutex m;
  return m;
}
FailureHandler g_handler;
Stats g_stats{0, 0, 0, 0};          /* under exec_mutex(), except failures */
std::atomic<unsigned long long> g_failures{0};

/* ---- fiber switching (with ASan's fiber annotations when ASan is on) ----------------------- */
inline void to_fiber(BlockRun *r, Fiber &f, const Stack &st) {
#ifdef FCONV_EMU_ASAN
  void *fake = nullptr;
  __sanitizer_start_switch_fiber(&fake, st.base, st.size);
  swapcontext(&r->sched, &f.ctx);
  __sanitizer_finish_switch_fiber(fake, nullptr, nullptr);
#else
  (void)st;
  swapcontext(&r->sched, &f.ctx);
#endif
}

inline void to_scheduler(BlockRun *r, Fiber &f, bool dying) {
#ifdef FCONV_EMU_ASAN
  __sanitizer_start_switch_fiber(dying ? nullptr : &f.fake_stack, r->sched_bottom, r->sched_size);
  swapcontext(&f.ctx, &r->sched);
  __sanitizer_finish_switch_fiber(f.fake_stack, &r->sched_bottom, &r->sched_size);
#else
  (void)dying;
  swapcontext(&f.ctx, &r->sched);
#endif
}

void fiber_main() {
  BlockRun *r = g_run;
#ifdef FCONV_EMU_ASAN
  __sanitizer_finish_switch_fiber(nullptr, &r->sched_bottom, &r->sched_size);
#endif
  Fiber &f = r->fibers[r->cur];
  r->k->body();
  f.state = FiberState::Done;
  to_scheduler(r, f, true); /* never resumed */
  std::abort();
}

/* getcontext returns twice: kept out of run_block's loops (-Wclobbered). */
__attribute__((noinline)) void init_context(Fiber &f, const Stack &st) {
  getcontext(&f.ctx);
  f.ctx.uc_stack.ss_sp = st.base;
  f.ctx.uc_stack.ss_size = st.size;
  f.ctx.uc_link = nullptr;
  makecontext(&f.ctx, fiber_main, 0);
}

std::string where(const KernelLaunch &k, const uint3 &b) {
  char buf[256];
  std::snprintf(buf, sizeof buf, "kernel %s, block (%u,%u,%u) of grid (%u,%u,%u), block dim (%u,%u,%u)",
                k.name.c_str(), b.x, b.y, b.z, k.grid.x, k.grid.y, k.grid.z, k.block.x, k.block.y,
                k.block.z);
  return buf;
}

/* Run one block to completion. Returns false (after reporting) on a barrier mismatch. */
bool run_block(BlockRun &r, const uint3 &b) {
  const KernelLaunch &k = *r.k;
  blockIdx = b;
  if (r.dyn_smem) std::memset(r.dyn_smem, 0xff, k.shmem); /* garbage, as on a GPU (NaNs) */
  size_t i = 0;
  for (unsigned z = 0; z < k.block.z; z++)
    for (unsigned y = 0; y < k.block.y; y++)
      for (unsigned x = 0; x < k.block.x; x++, i++) {
        Fiber &f = r.fibers[i];
        f.state = FiberState::Ready;
        f.tid = uint3{x, y, z};
        f.fake_stack = nullptr;
        init_context(f, g_stacks[i]);
      }
  unsigned long long barrier = 0;
  for (;;) {
    for (size_t t = 0; t < r.nfibers; t++) {
      Fiber &f = r.fibers[t];
      if (f.state != FiberState::Ready) continue;
      r.cur = t;
      threadIdx = f.tid;
      to_fiber(&r, f, g_stacks[t]);
    }
    size_t waiting = 0, done = 0;
    const Fiber *first = nullptr, *other = nullptr;
    size_t nfirst = 0;
    for (size_t t = 0; t < r.nfibers; t++) {
      const Fiber &f = r.fibers[t];
      if (f.state == FiberState::Done) {
        done++;
        continue;
      }
      waiting++;
      if (!first) first = &f;
      if (f.wait_line == first->wait_line && std::strcmp(f.wait_file, first->wait_file) == 0)
        nfirst++;
      else if (!other)
        other = &f;
    }
    if (waiting == 0) return true;
    char buf[512];
    if (done > 0) {
      std::snprintf(buf, sizeof buf,
                    "__syncthreads() divergence: %zu of %zu threads exited while %zu wait at "
                    "%s:%d (barrier #%llu of the block), e.g. thread (%u,%u,%u) waits",
                    done, r.nfibers, waiting, first->wait_file, first->wait_line, barrier + 1,
                    first->tid.x, first->tid.y, first->tid.z);
      report_failure(where(k, b) + ": " + buf);
      return false;
    }
    if (other) {
      std::snprintf(buf, sizeof buf,
                    "__syncthreads() divergence: threads wait at different barriers (barrier #%llu "
                    "of the block): %zu at %s:%d, others e.g. thread (%u,%u,%u) at %s:%d",
                    barrier + 1, nfirst, first->wait_file, first->wait_line, other->tid.x,
                    other->tid.y, other->tid.z, other->wait_file, other->wait_line);
      report_failure(where(k, b) + ": " + buf);
      return false;
    }
    barrier++;
    g_stats.barriers++;
    for (size_t t = 0; t < r.nfibers; t++) r.fibers[t].state = FiberState::Ready;
  }
}

}  // namespace

/* ---- kernel-side entry points ---------------------------------------------------------------- */

void syncthreads(const char *file, int line) {
  BlockRun *r = g_run;
  if (!r) {
    report_failure(std::string("__syncthreads() called outside a kernel at ") + file + ":" +
                   std::to_string(line));
    return;
  }
  Fiber &f = r->fibers[r->cur];
  f.state = FiberState::Waiting;
  f.wait_file = file;
  f.wait_line = line;
  to_scheduler(r, f, false);
  /* resumed by the scheduler: the barrier is released */
}

void *dynamic_shared() {
  BlockRun *r = g_run;
  return r ? r->dyn_smem : nullptr;
}

/* ---- launches -------------------------------------------------------------------------------- */

static std::string config_error(const KernelLaunch &k) {
  const unsigned long long threads = (unsigned long long)k.block.x * k.block.y * k.block.z;
  char buf[256];
  if (k.block.x == 0 || k.block.y == 0 || k.block.z == 0 || threads > 1024 || k.block.z > 64) {
    std::snprintf(buf, sizeof buf, "invalid block (%u,%u,%u)", k.block.x, k.block.y, k.block.z);
    return buf;
  }
  if (k.grid.x == 0 || k.grid.y == 0 || k.grid.z == 0 || k.grid.x > 2147483647u ||
      k.grid.y > 65535 || k.grid.z > 65535) {
    std::snprintf(buf, sizeof buf, "invalid grid (%u,%u,%u)", k.grid.x, k.grid.y, k.grid.z);
    return buf;
  }
  if (k.shmem > FCONV_EMU_MAX_SHMEM) {
    std::snprintf(buf, sizeof buf, "dynamic shared memory %zu bytes > %u", k.shmem,
                  FCONV_EMU_MAX_SHMEM);
    return buf;
  }
  return std::string();
}

fconv_status launch_check(const KernelLaunch &k) {
  std::string e = config_error(k);
  if (e.empty()) return FCONV_OK;
  report_failure("launch of kernel " + k.name + ": " + e);
  return FCONV_ERR_CUDA;
}

fconv_status launch_run(const KernelLaunch &k) {
  std::lock_guard<std::recursive_mutex> lock(exec_mutex());
  if (g_run) {
    report_failure("kernel " + k.name + " launched from inside a kernel");
    return FCONV_ERR_CUDA;
  }
  if (launch_check(k) != FCONV_OK) return FCONV_ERR_CUDA;
  const size_t n = (size_t)k.block.x * k.block.y * k.block.z;
  while (g_stacks.size() < n) g_stacks.push_back(stack_new());
  std::vector<Fiber> fibers(n);
  BlockRun r;
  r.k = &k;
  r.fibers = fibers.data();
  r.nfibers = n;
  r.dyn_smem = k.shmem ? std::malloc(k.shmem) : nullptr;
  g_run = &r;
  blockDim = k.block;
  gridDim = k.grid;
  g_stats.launches++;
  bool ok = true;
  for (unsigned z = 0; ok && z < k.grid.z; z++)
    for (unsigned y = 0; ok && y < k.grid.y; y++)
      for (unsigned x = 0; ok && x < k.grid.x; x++) {
        g_stats.blocks++;
        ok = run_block(r, uint3{x, y, z});
      }
  g_run = nullptr;
  std::free(r.dyn_smem);
#ifdef FCONV_EMU_ASAN
  if (!ok) /* abandoned fibers left poisoned frames on their stacks */
    for (size_t t = 0; t < n; t++) __asan_unpoison_memory_region(g_stacks[t].base, g_stacks[t].size);
#endif
  return ok ? FCONV_OK : FCONV_ERR_CUDA;
}

/* ---- failures -------------------------------------------------------------------------------- */

void set_failure_handler(FailureHandler h) {
  std::lock_guard<std::mutex> lock(handler_mutex());
  g_handler = std::move(h);
}

void report_failure(const std::string &msg) {
  g_failures++;
  FailureHandler h;
  {
    std::lock_guard<std::mutex> lock(handler_mutex());
    h = g_handler;
  }
  if (h)
    h(msg);
  else
    ADD_FAILURE() << "CUDA emulator: " << msg;
}

ScopedCapture::ScopedCapture() {
  std::lock_guard<std::mutex> lock(handler_mutex());
  prev_ = g_handler;
  g_handler = [this](const std::string &m) { msgs_.push_back(m); };
}

ScopedCapture::~ScopedCapture() {
  std::lock_guard<std::mutex> lock(handler_mutex());
  g_handler = prev_;
}

Stats stats() {
  std::lock_guard<std::recursive_mutex> lock(exec_mutex());
  Stats s = g_stats;
  s.failures = g_failures.load();
  return s;
}

}  // namespace fconv_emu
