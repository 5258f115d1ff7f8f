// A consumer of the installed fconv (C++ only): 2-D SAME correlation of a 4x5 ramp with a 3x3
// kernel that picks one neighbour, so the result is the shifted ramp (zeros where it leaves).
#include <fconv.h>

#include <cstdio>
#include <memory>
#include <vector>

int main() {
  const size_t n[2] = {4, 5}, k[2] = {3, 3};
  std::vector<float> x(20), h(9, 0.0f), y(20, -1.0f);
  for (int i = 0; i < 20; i++) x[i] = float(i + 1);
  h[5] = 1.0f;  // correlate: y[r][c] = x[r][c + 1]
  fconv_desc d;
  fconv_desc_init(&d, 2, n, k, FCONV_F32);
  d.mode = FCONV_MODE_SAME;
  d.op = FCONV_OP_CORRELATE;
  fconv_plan *raw = nullptr;
  fconv_status st = fconv_plan_create(&raw, &d);
  std::unique_ptr<fconv_plan, void (*)(fconv_plan *)> plan(raw, fconv_plan_destroy);
  if (st == FCONV_OK) st = fconv_execute(plan.get(), x.data(), h.data(), y.data());
  if (st != FCONV_OK) {
    std::fprintf(stderr, "c++ consumer: %s\n", fconv_status_string(st));
    return 1;
  }
  for (int r = 0; r < 4; r++)
    for (int c = 0; c < 5; c++) {
      const float want = c + 1 < 5 ? x[r * 5 + c + 1] : 0.0f;
      if (y[r * 5 + c] < want - 1e-4f || y[r * 5 + c] > want + 1e-4f) {
        std::fprintf(stderr, "c++ consumer: y[%d][%d] = %g, want %g\n", r, c, y[r * 5 + c], want);
        return 1;
      }
    }
  std::printf("c++ consumer ok: fconv %s\n", fconv_version_string());
  return 0;
}
