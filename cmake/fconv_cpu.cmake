# CPU paths. Included from the top-level CMakeLists.txt; adds sources to the fconv target.
target_sources(fconv PRIVATE
  src/cpu/direct.c
  src/cpu/fft.c
  src/cpu/overlap_save.c)

# ---- FFT and overlap-save paths: the shared FFTW engine and planner helpers ------------------
target_sources(fconv PRIVATE
  src/cpu/fftconv.c
  src/cpu/fftw_util.c)
