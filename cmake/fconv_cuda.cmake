# CUDA paths. Included from the top-level CMakeLists.txt only when FCONV_HAVE_CUDA; adds sources
# to the fconv target. Every .cu includes src/cuda/compat.cuh first.
target_sources(fconv PRIVATE
  # device abstraction (dev.h) and the tiled direct path
  src/cuda/dev_cuda.cu
  # the host skeleton shared by every CUDA path (stream, workspace, stager, pointer checks)
  src/cuda/host.cu
  src/cuda/direct_path.cu
  # the multi-channel direct path (the FFT paths run channels too)
  src/cuda/channels_direct.cu
  # cuFFT and overlap-save paths (fft_dev.h on cuFFT)
  src/cuda/fft_path.cu
  src/cuda/fft_cufft.cu)
set_target_properties(fconv PROPERTIES
  CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
  CUDA_RUNTIME_LIBRARY Shared)
target_compile_options(fconv PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Wno-unused-parameter>)
target_link_libraries(fconv PRIVATE CUDA::cudart CUDA::cufft)
