/* test_cuda_host_emu.cpp — the CUDA host skeleton (src/cuda/host.cu) and dispatch's CUDA
 * policy, through the public API on the emulated device, for every CUDA path: stream ordering
 * with the legacy default stream, pointer kind / device / alignment checks, the device guard,
 * and AUTO's fallback when a CUDA create fails. Results are compared with the same plan run on
 * synchronously written inputs (same data, same code: bitwise equal). */
#include <gtest/gtest.h>

#include <cstring>
#include <string>
#include <vector>

#include "fconv.h"
#include "fconv_emu.h"

#include "cuda/compat.cuh"
#include "cuda/dev.h"

extern "C" void fconv_emu_cpu_stub_enable(int on); /* emu/emu_cpu_stubs.c */

namespace {

const fconv_method kMethods[] = {FCONV_METHOD_DIRECT, FCONV_METHOD_FFT,
                                 FCONV_METHOD_OVERLAP_SAVE};

fconv_desc desc1d(fconv_method m, fconv_dtype t, unsigned flags) {
  const size_t n[1] = {300}, k[1] = {9};
  fconv_desc d;
  fconv_desc_init(&d, 1, n, k, t);
  d.method = m;
  d.backend = FCONV_BACKEND_CUDA;
  d.flags = flags;
  return d;
}

size_t elem_bytes(fconv_dtype t) {
  return t == FCONV_F32 ? 4 : t == FCONV_F64 || t == FCONV_C64 ? 8 : 16;
}

std::vector<float> ramp(size_t n, float a) {
  std::vector<float> v(n);
  for (size_t i = 0; i < n; i++) v[i] = a * (float)((i * 37) % 101) / 101.0f - 0.3f;
  return v;
}

struct DevBuf {
  void *p = nullptr;
  explicit DevBuf(size_t bytes) { EXPECT_EQ(fconv_dev_malloc(&p, bytes), FCONV_OK); }
  ~DevBuf() { fconv_dev_free(p); }
};

/* A device-pointer f32 plan, its kernel set, and its output for `x` written synchronously. */
struct Case {
  fconv_plan *plan = nullptr;
  std::vector<float> x, h, ref;
  size_t out_elems = 0;
  explicit Case(fconv_method m) {
    fconv_desc d = desc1d(m, FCONV_F32, FCONV_FLAG_DEVICE_POINTERS);
    EXPECT_EQ(fconv_plan_create(&plan, &d), FCONV_OK) << fconv_method_name(m);
    x = ramp(300, 1.0f);
    h = ramp(9, 0.5f);
    out_elems = 308;
    DevBuf dh(h.size() * 4), dx(x.size() * 4), dy(out_elems * 4);
    EXPECT_EQ(fconv_dev_copy_h2d(dh.p, h.data(), h.size() * 4, nullptr), FCONV_OK);
    EXPECT_EQ(fconv_plan_set_kernel(plan, dh.p), FCONV_OK);
    EXPECT_EQ(fconv_dev_copy_h2d(dx.p, x.data(), x.size() * 4, nullptr), FCONV_OK);
    EXPECT_EQ(fconv_execute(plan, dx.p, nullptr, dy.p), FCONV_OK);
    ref.resize(out_elems);
    EXPECT_EQ(fconv_dev_copy_d2h(ref.data(), dy.p, out_elems * 4, nullptr), FCONV_OK);
  }
  ~Case() { fconv_plan_destroy(plan); }
};

/* Fix 1: a caller fills the signal on the legacy default stream (asynchronously: a pinned
 * source, like a kernel launch) and calls execute without a stream of its own. The plan must
 * see the filled signal; the caller's later stream-0 read of out must see the result. */
TEST(CudaHostEmu, PlanWithoutCallersStreamIsOrderedAfterLegacyDefaultStreamWork) {
  for (fconv_method m : kMethods) {
    Case c(m);
    DevBuf dx(c.x.size() * 4), dy(c.out_elems * 4);
    std::vector<float> zeros(c.out_elems, 0.0f), y(c.out_elems, -1.0f);
    ASSERT_EQ(fconv_dev_copy_h2d(dx.p, zeros.data(), c.x.size() * 4, nullptr), FCONV_OK);
    void *pin = nullptr;
    ASSERT_EQ(fconv_dev_malloc_host(&pin, c.x.size() * 4), FCONV_OK);
    std::memcpy(pin, c.x.data(), c.x.size() * 4);
    ASSERT_EQ(fconv_dev_copy_h2d(dx.p, pin, c.x.size() * 4, nullptr), FCONV_OK); /* queued */
    ASSERT_EQ(fconv_execute(c.plan, dx.p, nullptr, dy.p), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy.p, c.out_elems * 4, nullptr), FCONV_OK);
    EXPECT_EQ(std::memcmp(y.data(), c.ref.data(), c.out_elems * 4), 0)
        << fconv_method_name(m) << ": the plan ran before the caller's stream-0 copy";
    fconv_dev_free_host(pin);
  }
}

/* Fix 2: every path refuses misaligned, wrong-kind and other-device pointers at execute and
 * set_kernel with FCONV_ERR_INVALID_ARGUMENT, and still works afterwards. */
TEST(CudaHostEmu, EveryPathChecksPointerKindDeviceAndAlignment) {
  for (fconv_method m : kMethods)
    for (fconv_dtype t : {FCONV_F32, FCONV_C128}) {
      SCOPED_TRACE(std::string(fconv_method_name(m)) + " " + fconv_dtype_name(t));
      const size_t es = elem_bytes(t);
      fconv_desc d = desc1d(m, t, FCONV_FLAG_DEVICE_POINTERS);
      fconv_plan *plan = nullptr;
      ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
      DevBuf dx(300 * es + 64), dh(9 * es + 64), dy(308 * es + 64);
      std::vector<char> host(308 * es + 64, 0);
      ASSERT_EQ(fconv_dev_memset(dx.p, 0, 300 * es + 64, nullptr), FCONV_OK);
      ASSERT_EQ(fconv_dev_memset(dh.p, 0, 9 * es + 64, nullptr), FCONV_OK);
      ASSERT_EQ(fconv_dev_stream_sync(nullptr), FCONV_OK);
      char *mis_x = (char *)dx.p + es / 2, *mis_h = (char *)dh.p + es / 2;
      EXPECT_EQ(fconv_plan_set_kernel(plan, mis_h), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_plan_set_kernel(plan, host.data()), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan, mis_x, dh.p, dy.p), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan, dx.p, mis_h, dy.p), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan, dx.p, dh.p, (char *)dy.p + es / 2),
                FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_execute(plan, host.data(), dh.p, dy.p), FCONV_ERR_INVALID_ARGUMENT);
      /* device memory of another device */
      fconv_emu::set_device_count(2);
      ASSERT_EQ(fconv_dev_set_device(1), FCONV_OK);
      void *other = nullptr;
      ASSERT_EQ(fconv_dev_malloc(&other, 300 * es), FCONV_OK);
      ASSERT_EQ(fconv_dev_set_device(0), FCONV_OK);
      EXPECT_EQ(fconv_execute(plan, other, dh.p, dy.p), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_plan_set_kernel(plan, other), FCONV_ERR_INVALID_ARGUMENT);
      fconv_dev_free(other);
      fconv_emu::set_device_count(1);
      /* and the plan still runs on good pointers */
      EXPECT_EQ(fconv_execute(plan, dx.p, dh.p, dy.p), FCONV_OK);
      fconv_plan_destroy(plan);

      /* host-pointer plan given device memory */
      d.flags = 0;
      ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
      EXPECT_EQ(fconv_execute(plan, dx.p, host.data(), host.data()), FCONV_ERR_INVALID_ARGUMENT);
      EXPECT_EQ(fconv_plan_set_kernel(plan, dh.p), FCONV_ERR_INVALID_ARGUMENT);
      fconv_plan_destroy(plan);
    }
}

/* Device guard: a plan made on device 1 runs there when the caller's current device is 0, and
 * leaves device 0 current. */
TEST(CudaHostEmu, EveryEntrySelectsThePlansDeviceAndRestoresTheCallers) {
  fconv_emu::set_device_count(2);
  for (fconv_method m : kMethods) {
    ASSERT_EQ(fconv_dev_set_device(1), FCONV_OK);
    Case c(m); /* plan and buffers on device 1 */
    DevBuf dx(c.x.size() * 4), dy(c.out_elems * 4), dh(c.h.size() * 4);
    ASSERT_EQ(fconv_dev_copy_h2d(dx.p, c.x.data(), c.x.size() * 4, nullptr), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_h2d(dh.p, c.h.data(), c.h.size() * 4, nullptr), FCONV_OK);
    ASSERT_EQ(fconv_dev_set_device(0), FCONV_OK);
    EXPECT_EQ(fconv_plan_set_kernel(c.plan, dh.p), FCONV_OK);
    EXPECT_EQ(fconv_execute(c.plan, dx.p, nullptr, dy.p), FCONV_OK);
    int cur = -1;
    ASSERT_EQ(fconv_dev_get_device(&cur), FCONV_OK);
    EXPECT_EQ(cur, 0) << fconv_method_name(m);
    std::vector<float> y(c.out_elems);
    ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy.p, c.out_elems * 4, nullptr), FCONV_OK);
    EXPECT_EQ(std::memcmp(y.data(), c.ref.data(), c.out_elems * 4), 0);
    ASSERT_EQ(fconv_dev_set_device(1), FCONV_OK); /* free on the plan's device */
  }
  ASSERT_EQ(fconv_dev_set_device(0), FCONV_OK);
  fconv_emu::set_device_count(1);
}

/* Fix 5: after the caller destroys its stream (its work done), set_stream(NULL), set_workspace
 * and destroy never touch that stream again (the emulator reports any use of a dead stream). */
TEST(CudaHostEmu, CallersStreamMayBeGoneAtSetStreamAndDestroy) {
  for (fconv_method m : kMethods)
    for (int reset : {0, 1}) {
      Case c(m);
      DevBuf dx(c.x.size() * 4), dy(c.out_elems * 4);
      ASSERT_EQ(fconv_dev_copy_h2d(dx.p, c.x.data(), c.x.size() * 4, nullptr), FCONV_OK);
      fconv_dev_stream s;
      ASSERT_EQ(fconv_dev_stream_create(&s, 0), FCONV_OK);
      ASSERT_EQ(fconv_plan_set_cuda_stream(c.plan, s), FCONV_OK);
      ASSERT_EQ(fconv_execute(c.plan, dx.p, nullptr, dy.p), FCONV_OK);
      ASSERT_EQ(fconv_dev_stream_sync(s), FCONV_OK);
      fconv_dev_stream_destroy(s);
      std::vector<float> y(c.out_elems);
      ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy.p, c.out_elems * 4, nullptr), FCONV_OK);
      EXPECT_EQ(std::memcmp(y.data(), c.ref.data(), c.out_elems * 4), 0) << fconv_method_name(m);
      if (reset) { /* back to the plan's own stream, then run again */
        EXPECT_EQ(fconv_plan_set_cuda_stream(c.plan, nullptr), FCONV_OK);
        EXPECT_EQ(fconv_execute(c.plan, dx.p, nullptr, dy.p), FCONV_OK);
      }
      /* ~Case destroys the plan */
    }
}

/* Fix 4: taps are per plan: two direct plans on two of the caller's streams share nothing, so
 * finishing one stream does not run the other's work (with a process-wide constant bank the
 * second plan's launches waited for the first's). */
TEST(CudaHostEmu, DirectPlansOnTwoStreamsAreIndependent) {
  Case a(FCONV_METHOD_DIRECT), b(FCONV_METHOD_DIRECT);
  DevBuf dx(a.x.size() * 4), dya(a.out_elems * 4), dyb(b.out_elems * 4);
  ASSERT_EQ(fconv_dev_copy_h2d(dx.p, a.x.data(), a.x.size() * 4, nullptr), FCONV_OK);
  const std::vector<float> sentinel(a.out_elems, 12345.0f);
  ASSERT_EQ(fconv_dev_copy_h2d(dya.p, sentinel.data(), a.out_elems * 4, nullptr), FCONV_OK);
  fconv_dev_stream sa, sb;
  ASSERT_EQ(fconv_dev_stream_create(&sa, 0), FCONV_OK);
  ASSERT_EQ(fconv_dev_stream_create(&sb, 0), FCONV_OK);
  ASSERT_EQ(fconv_plan_set_cuda_stream(a.plan, sa), FCONV_OK);
  ASSERT_EQ(fconv_plan_set_cuda_stream(b.plan, sb), FCONV_OK);
  ASSERT_EQ(fconv_execute(a.plan, dx.p, nullptr, dya.p), FCONV_OK); /* queued on sa */
  ASSERT_EQ(fconv_execute(b.plan, dx.p, nullptr, dyb.p), FCONV_OK); /* queued on sb */
  ASSERT_EQ(fconv_dev_stream_sync(sb), FCONV_OK);
  std::vector<float> y(a.out_elems);
  ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dyb.p, b.out_elems * 4, nullptr), FCONV_OK);
  EXPECT_EQ(std::memcmp(y.data(), b.ref.data(), b.out_elems * 4), 0);
  ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dya.p, a.out_elems * 4, nullptr), FCONV_OK);
  EXPECT_EQ(std::memcmp(y.data(), sentinel.data(), a.out_elems * 4), 0)
      << "plan B's work waited for plan A's stream";
  ASSERT_EQ(fconv_dev_stream_sync(sa), FCONV_OK);
  ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dya.p, a.out_elems * 4, nullptr), FCONV_OK);
  EXPECT_EQ(std::memcmp(y.data(), a.ref.data(), a.out_elems * 4), 0);
  fconv_dev_stream_destroy(sa);
  fconv_dev_stream_destroy(sb);
}

/* Fix 4: on a stream capturing a CUDA graph, a device-pointer execute is only queued (captured)
 * and calls that must synchronise the stream are refused with FCONV_ERR_UNSUPPORTED (the
 * emulator reports any synchronisation of a capturing stream). */
TEST(CudaHostEmu, StreamCaptureWorksOrIsRefused) {
  for (fconv_method m : kMethods) {
    SCOPED_TRACE(fconv_method_name(m));
    Case c(m);
    DevBuf dx(c.x.size() * 4), dy(c.out_elems * 4), dh(c.h.size() * 4);
    ASSERT_EQ(fconv_dev_copy_h2d(dx.p, c.x.data(), c.x.size() * 4, nullptr), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_h2d(dh.p, c.h.data(), c.h.size() * 4, nullptr), FCONV_OK);
    fconv_dev_stream s;
    ASSERT_EQ(fconv_dev_stream_create(&s, 0), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_cuda_stream(c.plan, s), FCONV_OK);
    fconv_emu::set_capturing(s, true);
    EXPECT_EQ(fconv_execute(c.plan, dx.p, nullptr, dy.p), FCONV_OK);
    EXPECT_EQ(fconv_plan_set_kernel(c.plan, dh.p), FCONV_ERR_UNSUPPORTED);

    fconv_desc d = desc1d(m, FCONV_F32, 0); /* host pointers: execute synchronises */
    fconv_plan *hp = nullptr;
    ASSERT_EQ(fconv_plan_create(&hp, &d), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_kernel(hp, c.h.data()), FCONV_OK);
    ASSERT_EQ(fconv_plan_set_cuda_stream(hp, s), FCONV_OK);
    std::vector<float> y(c.out_elems);
    EXPECT_EQ(fconv_execute(hp, c.x.data(), nullptr, y.data()), FCONV_ERR_UNSUPPORTED);
    EXPECT_EQ(fconv_plan_set_kernel(hp, c.h.data()), FCONV_ERR_UNSUPPORTED);

    fconv_emu::set_capturing(s, false);
    ASSERT_EQ(fconv_dev_stream_sync(s), FCONV_OK);
    ASSERT_EQ(fconv_dev_copy_d2h(y.data(), dy.p, c.out_elems * 4, nullptr), FCONV_OK);
    EXPECT_EQ(std::memcmp(y.data(), c.ref.data(), c.out_elems * 4), 0);
    fconv_plan_destroy(hp);
    ASSERT_EQ(fconv_plan_set_cuda_stream(c.plan, nullptr), FCONV_OK);
    fconv_dev_stream_destroy(s);
  }
}

/* Fix 3: AUTO falls back to the next candidate when every CUDA create fails (a busy
 * exclusive-process device), and get_info says why; an explicit CUDA backend reports the
 * failure; nothing leaks either way. */
TEST(CudaHostEmu, AutoFallsBackWhenCudaCreateFails) {
  const long live = fconv_emu::live_device_allocations();
  fconv_emu_cpu_stub_enable(1); /* a CPU candidate modelled at 1 s: CUDA wins on cost */
  fconv_desc d = desc1d(FCONV_METHOD_AUTO, FCONV_F32, 0);
  d.backend = FCONV_BACKEND_AUTO;
  fconv_plan *plan = nullptr;
  fconv_plan_info info;
  ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  EXPECT_EQ(info.backend, FCONV_BACKEND_CUDA) << info.reason;
  fconv_plan_destroy(plan);

  fconv_emu::dev_fail_stream_create(true);
  ASSERT_EQ(fconv_plan_create(&plan, &d), FCONV_OK);
  ASSERT_EQ(fconv_plan_get_info(plan, &info), FCONV_OK);
  EXPECT_EQ(info.backend, FCONV_BACKEND_CPU);
  EXPECT_NE(std::string(info.reason).find("could not be created"), std::string::npos)
      << info.reason;
  EXPECT_NE(std::string(info.reason).find("cuda-"), std::string::npos) << info.reason;
  fconv_plan_destroy(plan);

  d.backend = FCONV_BACKEND_CUDA; /* no CPU candidate: the CUDA failure is the answer */
  EXPECT_EQ(fconv_plan_create(&plan, &d), FCONV_ERR_NO_DEVICE);
  EXPECT_EQ(plan, nullptr);
  fconv_emu::dev_fail_stream_create(false);
  fconv_emu_cpu_stub_enable(0);
  EXPECT_EQ(fconv_emu::live_device_allocations(), live);
}

}  // namespace
