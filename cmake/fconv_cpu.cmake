# CPU paths. Included from the top-level CMakeLists.txt; adds sources to the fconv target.
target_sources(fconv PRIVATE
  src/cpu/direct.c
  src/cpu/fft.c
  src/cpu/overlap_save.c)

# ---- FFT and overlap-save paths: the shared FFTW engine and planner helpers ------------------
target_sources(fconv PRIVATE
  src/cpu/fftconv.c
  src/cpu/fftw_util.c)
# Tools (not built by default): the cost-model calibration and the FFT-path timing program.
# They use the engine's hidden symbols, so they need the static library.
if(NOT BUILD_SHARED_LIBS)
  add_executable(fconv_fft_timing EXCLUDE_FROM_ALL tools/fconv_fft_timing.c)
  target_include_directories(fconv_fft_timing PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(fconv_fft_timing PRIVATE fconv m)
  add_executable(fconv_calibrate EXCLUDE_FROM_ALL tools/fconv_calibrate.c)
  target_include_directories(fconv_calibrate PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(fconv_calibrate PRIVATE fconv m)
endif()
