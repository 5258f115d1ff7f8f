/* test_cuda_cost_emu.cpp — the CUDA cost models' constants per device (src/cuda/cost.h):
 * defaults derived from the device's properties, the calibration file (path, read, write, and
 * every way it can be unusable: missing, malformed, truncated, out of range, from another
 * device, compute capability or driver: defaults, never a crash, never a print), the
 * per-device cache, and the calibration routine itself run end to end on the emulated device
 * (its figures mean nothing there; what it writes must be what the next load reads).
 * Label: cuda-emu. */
#include <gtest/gtest.h>

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "cuda/compat.cuh"
#include "cuda/dev.h"
#include "fconv.h"

extern "C" fconv_status fconv_cuda_calibrate(int quick, char *report, size_t report_bytes);

namespace {

/* A fresh directory, FCONV_CUDA_CALIBRATION pointing at it for the test's duration. */
struct CalDir {
  std::string dir;
  std::string old;
  bool had;
  CalDir() {
    char t[] = "/tmp/fconv-cost-XXXXXX";
    dir = mkdtemp(t);
    const char *o = getenv("FCONV_CUDA_CALIBRATION");
    had = o != nullptr;
    if (o) old = o;
    setenv("FCONV_CUDA_CALIBRATION", dir.c_str(), 1);
    fconv_cuda_cost_reset();
  }
  ~CalDir() {
    if (had) setenv("FCONV_CUDA_CALIBRATION", old.c_str(), 1);
    else unsetenv("FCONV_CUDA_CALIBRATION");
    fconv_cuda_cost_reset();
    std::string cmd = "rm -rf '" + dir + "'";
    if (std::system(cmd.c_str()) != 0) ADD_FAILURE() << cmd;
  }
};

fconv_dev_props h100() {
  fconv_dev_props d;
  EXPECT_EQ(fconv_dev_properties(0, &d), FCONV_OK);
  return d;
}

std::string path_of(const fconv_dev_props &d) {
  char p[4096];
  EXPECT_EQ(fconv_cuda_cost_path(&d, p, sizeof p), FCONV_OK);
  return p;
}

void write_text(const std::string &path, const std::string &text) {
  std::ofstream f(path);
  f << text;
}

/* A valid file of device d with every value distinct from the defaults. */
std::string good_file(const fconv_dev_props &d) {
  char b[1024];
  std::snprintf(b, sizeof b,
                "# made by hand\nformat 1\ndevice %s\ncc %d.%d\ndriver %d\nmem_bw 3.1e12\n"
                "launch_s 3e-06\nsync_s 7e-06\nstage_bw 1.1e10\npinned_bw 5.2e10\n"
                "flops_f32 6e13\nfp64_ratio 0.49\nfft_scale 1.7\nplan_s_per_point 4e-09\n",
                d.name, d.cc_major, d.cc_minor, d.driver);
  return b;
}

TEST(CudaCost, DefaultsComeFromTheDeviceProperties) {
  fconv_dev_props d = h100();
  fconv_cuda_cost c;
  fconv_cuda_cost_defaults(&d, &c);
  /* 2 transfers per clock x 2.619 GHz x 640 bytes x the streaming efficiency */
  EXPECT_NEAR(c.mem_bw, FCONV_COST_STREAM_EFFICIENCY * 2 * 2.619e9 * 640, 1e6);
  EXPECT_NEAR(c.flops_f32, 2.0 * 132 * 128 * 1.98e9, 1e6);
  EXPECT_EQ(c.fp64_ratio, 0.5);
  EXPECT_EQ(c.measured, 0);
  /* a consumer Ada part: FP64 at 1/64; an older SM count and clock scale the FP32 rate */
  d.cc_major = 8;
  d.cc_minor = 9;
  d.sms = 76;
  d.clock_hz = 2.5e9;
  d.mem_clock_hz = 1.3e9;
  d.bus_bits = 256;
  fconv_cuda_cost_defaults(&d, &c);
  EXPECT_EQ(c.fp64_ratio, 1.0 / 64);
  EXPECT_NEAR(c.flops_f32, 2.0 * 76 * 128 * 2.5e9, 1e6);
  EXPECT_NEAR(c.mem_bw, FCONV_COST_STREAM_EFFICIENCY * 2 * 1.3e9 * 32, 1e3);
  EXPECT_LT(fconv_cost_mac_rate(&c, 1, 0), fconv_cost_mac_rate(&c, 0, 0) / 8)
      << "FP64 direct bound by the slow FP64 pipe";
  d.cc_major = 8;
  d.cc_minor = 0; /* A100: half rate, 64 lanes */
  fconv_cuda_cost_defaults(&d, &c);
  EXPECT_EQ(c.fp64_ratio, 0.5);
  EXPECT_NEAR(c.flops_f32, 2.0 * 76 * 64 * 2.5e9, 1e6);
  /* nothing known: the fixed fallbacks */
  fconv_dev_props z;
  std::memset(&z, 0, sizeof z);
  fconv_cuda_cost_defaults(&z, &c);
  EXPECT_EQ(c.mem_bw, FCONV_COST_MEM_BW);
  EXPECT_EQ(c.flops_f32, FCONV_COST_FLOPS_F32);
  fconv_cuda_cost_defaults(nullptr, &c);
  EXPECT_EQ(c.stage_bw, FCONV_COST_STAGE_BW);
}

TEST(CudaCost, PathIsKeyedByDeviceCapabilityAndDriver) {
  CalDir cd;
  fconv_dev_props d = h100();
  std::snprintf(d.name, sizeof d.name, "NVIDIA H200/x y");
  d.driver = 13020;
  EXPECT_EQ(path_of(d), cd.dir + "/cuda-NVIDIA_H200_x_y-cc90-drv13020.txt");
  setenv("FCONV_CUDA_CALIBRATION", "0", 1);
  char p[4096];
  EXPECT_EQ(fconv_cuda_cost_path(&d, p, sizeof p), FCONV_ERR_UNSUPPORTED) << "0: files off";
  setenv("FCONV_CUDA_CALIBRATION", "", 1);
  const char *x = getenv("XDG_CACHE_HOME");
  const std::string xs = x ? x : "";
  setenv("XDG_CACHE_HOME", "/tmp/xdg-test", 1);
  EXPECT_EQ(fconv_cuda_cost_path(&d, p, sizeof p), FCONV_OK);
  EXPECT_EQ(std::string(p), "/tmp/xdg-test/fconv/cuda-NVIDIA_H200_x_y-cc90-drv13020.txt");
  if (x) setenv("XDG_CACHE_HOME", xs.c_str(), 1);
  else unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(fconv_cuda_cost_path(&d, p, 8), FCONV_ERR_UNSUPPORTED) << "buffer too small";
}

TEST(CudaCost, WrittenFileReadsBackAndTheModuleLoadsIt) {
  CalDir cd;
  const fconv_dev_props d = h100();
  fconv_cuda_cost c, r;
  fconv_cuda_cost_defaults(&d, &c);
  c.mem_bw = 3.3e12;
  c.fp64_ratio = 0.25;
  c.fft_scale = 2.5;
  ASSERT_EQ(fconv_cuda_cost_write(path_of(d).c_str(), &d, &c, "test"), FCONV_OK);
  ASSERT_EQ(fconv_cuda_cost_read(path_of(d).c_str(), &d, &r), FCONV_OK);
  EXPECT_EQ(r.measured, 1);
  EXPECT_NEAR(r.mem_bw, 3.3e12, 1e7);
  EXPECT_NEAR(r.fp64_ratio, 0.25, 1e-9);
  EXPECT_NEAR(r.fft_scale, 2.5, 1e-9);
  EXPECT_NEAR(r.launch_s, c.launch_s, 1e-12);
  const fconv_cuda_cost *g = fconv_cuda_cost_get();
  EXPECT_EQ(g->measured, 1) << "the current device's file is loaded at first use";
  EXPECT_NEAR(g->mem_bw, 3.3e12, 1e7);
  write_text(path_of(d), good_file(d));
  EXPECT_NEAR(fconv_cuda_cost_get()->mem_bw, 3.3e12, 1e7) << "loaded once per process";
  fconv_cuda_cost_reset();
  EXPECT_NEAR(fconv_cuda_cost_get()->mem_bw, 3.1e12, 1e6) << "reset: read again";
  EXPECT_NEAR(fconv_cuda_cost_get()->fft_scale, 1.7, 1e-9);
}

/* Every unusable file: the defaults, with no crash and nothing printed. */
TEST(CudaCost, UnusableFilesGiveTheDefaultsSilently) {
  CalDir cd;
  const fconv_dev_props d = h100();
  fconv_cuda_cost def;
  fconv_cuda_cost_defaults(&d, &def);
  const std::string good = good_file(d);
  auto replace = [&](const std::string &from, const std::string &to) {
    std::string s = good;
    const size_t at = s.find(from);
    EXPECT_NE(at, std::string::npos) << from;
    return s.replace(at, from.size(), to);
  };
  char other_cc[64], other_drv[64];
  std::snprintf(other_cc, sizeof other_cc, "cc %d.%d\n", d.cc_major, d.cc_minor + 1);
  std::snprintf(other_drv, sizeof other_drv, "driver %d\n", d.driver + 10);
  const std::string bad[] = {
      "",                                           /* empty */
      "garbage\n\x01\x02\xff\n",                    /* not the format */
      good.substr(0, good.size() / 2),              /* truncated: values missing */
      replace("format 1", "format 2"),              /* a later format */
      replace("device ", "device x"),               /* another device */
      replace(std::to_string(d.cc_major) + "." + std::to_string(d.cc_minor) + "\n",
              other_cc + 3),                        /* another compute capability */
      replace(std::to_string(d.driver) + "\n", other_drv + 7), /* another driver */
      replace("mem_bw 3.1e12", "mem_bw -5"),        /* out of range */
      replace("mem_bw 3.1e12", "mem_bw nan"),       /* not a number */
      replace("mem_bw 3.1e12", "mem_bw 3.1e12x"),   /* trailing junk */
      replace("fp64_ratio 0.49", "fp64_ratio 1e300"),
      replace("launch_s 3e-06", "launch_s"),        /* no value */
      good + std::string(2000, 'x') + "\n",         /* an overlong line */
  };
  int i = 0;
  for (const std::string &text : bad) {
    SCOPED_TRACE(i++);
    write_text(path_of(d), text);
    fconv_cuda_cost c = def;
    c.mem_bw = 1; /* must stay untouched by a failed read */
    testing::internal::CaptureStderr();
    EXPECT_NE(fconv_cuda_cost_read(path_of(d).c_str(), &d, &c), FCONV_OK);
    fconv_cuda_cost_reset();
    const fconv_cuda_cost *g = fconv_cuda_cost_get();
    const std::string err = testing::internal::GetCapturedStderr();
    EXPECT_EQ(c.mem_bw, 1.0);
    EXPECT_EQ(g->measured, 0);
    EXPECT_EQ(g->mem_bw, def.mem_bw);
    EXPECT_EQ(g->fp64_ratio, def.fp64_ratio);
    if (!getenv("FCONV_DEBUG")) {
      EXPECT_EQ(err, "") << "nothing printed";
    }
  }
  /* the good one is accepted (so the rejections above are about what was changed) */
  write_text(path_of(d), good);
  fconv_cuda_cost c;
  EXPECT_EQ(fconv_cuda_cost_read(path_of(d).c_str(), &d, &c), FCONV_OK);
  /* a directory where the file should be, a missing file, files off */
  std::remove(path_of(d).c_str());
  fconv_cuda_cost_reset();
  EXPECT_EQ(fconv_cuda_cost_get()->measured, 0) << "missing file";
  ASSERT_EQ(mkdir(path_of(d).c_str(), 0755), 0);
  EXPECT_NE(fconv_cuda_cost_read(path_of(d).c_str(), &d, &c), FCONV_OK) << "a directory";
  fconv_cuda_cost_reset();
  EXPECT_EQ(fconv_cuda_cost_get()->measured, 0);
  rmdir(path_of(d).c_str());
  write_text(path_of(d), good);
  setenv("FCONV_CUDA_CALIBRATION", "0", 1);
  fconv_cuda_cost_reset();
  EXPECT_EQ(fconv_cuda_cost_get()->measured, 0) << "FCONV_CUDA_CALIBRATION=0: no file read";
}

/* The file of another device name is not this device's: the emulated device renamed. */
TEST(CudaCost, AnotherDevicesFileIsNotLoaded) {
  CalDir cd;
  const fconv_dev_props d = h100();
  write_text(path_of(d), good_file(d));
  fconv_emu::set_device_name("NVIDIA H100 80GB HBM3");
  fconv_cuda_cost_reset();
  EXPECT_EQ(fconv_cuda_cost_get()->measured, 0);
  fconv_emu::set_device_name("fconv emulated device");
  fconv_cuda_cost_reset();
  EXPECT_EQ(fconv_cuda_cost_get()->measured, 1);
}

/* The cost models read the loaded constants: a calibration saying the staging is 100x slower
 * raises a host-pointer FFT plan's estimate by the extra transfer time. */
TEST(CudaCost, TheModelsUseTheLoadedConstants) {
  CalDir cd;
  const fconv_dev_props d = h100();
  const size_t n[1] = {1u << 20}, k[1] = {65};
  fconv_desc desc;
  fconv_desc_init(&desc, 1, n, k, FCONV_F32);
  desc.backend = FCONV_BACKEND_CUDA; /* method AUTO: every CUDA candidate is modelled */
  auto estimate = [&]() {
    fconv_plan *p = nullptr;
    EXPECT_EQ(fconv_plan_create(&p, &desc), FCONV_OK);
    fconv_plan_info info;
    EXPECT_EQ(fconv_plan_get_info(p, &info), FCONV_OK);
    fconv_plan_destroy(p);
    return info.candidate_seconds[FCONV_METHOD_FFT];
  };
  const double before = estimate();
  fconv_cuda_cost c;
  fconv_cuda_cost_defaults(&d, &c);
  c.stage_bw /= 100;
  ASSERT_EQ(fconv_cuda_cost_write(path_of(d).c_str(), &d, &c, "test"), FCONV_OK);
  fconv_cuda_cost_reset();
  const double after = estimate();
  const double bytes = 4.0 * ((double)n[0] + (double)(n[0] + k[0] - 1));
  EXPECT_NEAR(after - before, bytes / c.stage_bw - bytes / (100 * c.stage_bw),
              0.01 * (after - before));
}

/* The calibration routine end to end on the emulated device: it writes this device's file,
 * which the next load reads (measured), with every value in range. */
TEST(CudaCost, CalibrationWritesTheFileTheModuleLoads) {
  CalDir cd;
  char report[4096] = "";
  ASSERT_EQ(fconv_cuda_calibrate(1, report, sizeof report), FCONV_OK) << fconv_last_error();
  const std::string rep = report;
  EXPECT_NE(rep.find(path_of(h100())), std::string::npos) << rep;
  EXPECT_NE(rep.find("FP64 / FP32"), std::string::npos) << rep;
  const fconv_cuda_cost *g = fconv_cuda_cost_get();
  EXPECT_EQ(g->measured, 1);
  EXPECT_GT(g->mem_bw, 0);
  EXPECT_GT(g->fp64_ratio, 0);
  EXPECT_LE(g->fp64_ratio, 1.0);
  setenv("FCONV_CUDA_CALIBRATION", "0", 1);
  EXPECT_EQ(fconv_cuda_calibrate(1, report, sizeof report), FCONV_ERR_INVALID_ARGUMENT)
      << "nowhere to write";
}

}  // namespace
