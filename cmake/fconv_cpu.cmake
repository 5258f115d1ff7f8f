# CPU paths. Included from the top-level CMakeLists.txt; adds sources to the fconv target.
target_sources(fconv PRIVATE
  src/cpu/direct_path.c
  src/cpu/fft_path.c
  src/cpu/channels_direct.c
  src/cpu/channels_winograd.c
  src/cpu/channels_fft.c)

# ---- FFT and overlap-save paths: the shared FFTW engine and planner helpers ------------------
target_sources(fconv PRIVATE
  src/cpu/fft_plan.c
  src/cpu/fft_passes.c
  src/cpu/fft_exec.c
  src/cpu/fftw.c)
# ---- streaming convolution (fconv_stream_*): layout and the engine ---------------------------
target_sources(fconv PRIVATE
  src/cpu/stream_layout.c
  src/cpu/stream.c)
# The calibration program (not built by default; tools/fconv_calibrate.c writes the generated
# cost headers src/cpu/cost_fft.h and src/cpu/cost_direct.h). It uses the engine's hidden
# symbols, so it needs the static library.
if(NOT BUILD_SHARED_LIBS)
  add_executable(fconv_calibrate EXCLUDE_FROM_ALL tools/fconv_calibrate.c)
  set_target_properties(fconv_calibrate PROPERTIES C_STANDARD 11 C_EXTENSIONS ON)
  target_include_directories(fconv_calibrate PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(fconv_calibrate PRIVATE fconv m $<BUILD_INTERFACE:fconv_warnings>)
endif()

# ---- direct path: micro-kernels compiled once per instruction set ---------------------------
# src/cpu/direct_kernels.c is built as several OBJECT libraries with their own flags and a
# suffix macro; direct_path.c picks one at run time (__builtin_cpu_supports, FCONV_ISA). The
# baseline variant uses no -m flags, so the library runs on any CPU of the target; nothing is
# built with -march=native.
include(CheckCCompilerFlag)
function(fconv_direct_variant isa vbytes)
  set(tgt fconv_direct_${isa})
  add_library(${tgt} OBJECT src/cpu/direct_kernels.c src/cpu/channel_kernels.c)
  target_compile_definitions(${tgt} PRIVATE FCONV_DK_ISA=${isa} FCONV_DK_VBYTES=${vbytes})
  target_compile_options(${tgt} PRIVATE ${ARGN} -ffp-contract=fast)
  set_target_properties(${tgt} PROPERTIES C_STANDARD 11 C_EXTENSIONS ON
    C_VISIBILITY_PRESET hidden POSITION_INDEPENDENT_CODE ON)
  target_link_libraries(${tgt} PRIVATE $<BUILD_INTERFACE:fconv_warnings>
    $<BUILD_INTERFACE:fconv_sanitize>)
  target_sources(fconv PRIVATE $<TARGET_OBJECTS:${tgt}>)
endfunction()

fconv_direct_variant(generic 16)
if(CMAKE_SYSTEM_PROCESSOR MATCHES "^(x86_64|AMD64|amd64|i[3-6]86)$")
  check_c_compiler_flag("-mavx2 -mfma" FCONV_CC_HAS_AVX2)
  check_c_compiler_flag("-mavx512f" FCONV_CC_HAS_AVX512F)
  if(FCONV_CC_HAS_AVX2)
    fconv_direct_variant(avx2 32 -mavx2 -mfma)
    target_compile_definitions(fconv PRIVATE FCONV_DK_HAVE_AVX2)
  endif()
  if(FCONV_CC_HAS_AVX2 AND FCONV_CC_HAS_AVX512F)
    fconv_direct_variant(avx512 64 -mavx512f -mavx2 -mfma)
    target_compile_definitions(fconv PRIVATE FCONV_DK_HAVE_AVX512)
  endif()
endif()

# FFTW's threads on FFTW's pool vs on fconv's runtime (tools/fftw_threads_timing.c); on request.
if(NOT BUILD_SHARED_LIBS)
  add_executable(fconv_fftw_threads_timing EXCLUDE_FROM_ALL tools/fftw_threads_timing.c)
  target_include_directories(fconv_fftw_threads_timing PRIVATE ${PROJECT_SOURCE_DIR}/src)
  target_link_libraries(fconv_fftw_threads_timing PRIVATE fconv PkgConfig::FFTW3F
                        ${FCONV_DEP_LIBS} Threads::Threads m $<BUILD_INTERFACE:fconv_warnings>)
endif()
