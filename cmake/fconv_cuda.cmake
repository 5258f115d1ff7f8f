# The CUDA backend. Included from the top-level CMakeLists.txt only when FCONV_HAVE_CUDA.
# src/cuda is built as the module libfconv_cuda.so.<version> (the only binary that links the CUDA
# runtime and cuFFT), installed beside libfconv; libfconv opens it on the first CUDA request
# (src/cuda_loader.c, src/cuda_module.h), so a CUDA-built fconv runs its CPU paths on machines
# without any CUDA library. Every .cu includes src/cuda/compat.cuh first.
add_library(fconv_cuda MODULE
  # the entry (the module's one exported symbol) and the core services forwarded to libfconv
  src/cuda/module.c
  # device abstraction (dev.h) and the tiled direct path
  src/cuda/dev_cuda.cu
  # the host skeleton shared by every CUDA path (stream, workspace, stager, pointer checks)
  src/cuda/host.cu
  src/cuda/direct_path.cu
  # the multi-channel direct path (the FFT paths run channels too)
  src/cuda/channels_direct.cu
  # cuFFT and overlap-save paths (fft_dev.h on cuFFT)
  src/cuda/fft_path.cu
  src/cuda/fft_cufft.cu
  # the cost models' constants per device (calibration file or device properties), and the
  # calibration routine that writes the file (fconv_calibrate cuda)
  src/cuda/cost.cu
  src/cuda/calibrate.cu
  # the streaming engine (stream_path.h): a uniform frequency-domain delay line on the device
  src/cuda/stream.cu
  # the pure core code the paths call (geometry, kernel analysis, problem sizes), compiled in
  src/core/geometry.c
  src/core/kernel_info.c
  src/core/problem.c
  src/core/paths.c)
set_target_properties(fconv_cuda PROPERTIES
  PREFIX lib SUFFIX .so.${PROJECT_VERSION}   # versioned: only this fconv's libfconv opens it
  C_STANDARD 11 C_EXTENSIONS ON
  CUDA_STANDARD 17 CUDA_STANDARD_REQUIRED ON
  CUDA_RUNTIME_LIBRARY Shared
  C_VISIBILITY_PRESET hidden CXX_VISIBILITY_PRESET hidden CUDA_VISIBILITY_PRESET hidden
  VISIBILITY_INLINES_HIDDEN ON
  # the CUDA toolkit's libraries stay found where they are not in the loader's path
  INSTALL_RPATH_USE_LINK_PATH ON)
target_include_directories(fconv_cuda PRIVATE ${PROJECT_SOURCE_DIR}/include ${PROJECT_SOURCE_DIR}/src)
target_compile_definitions(fconv_cuda PRIVATE FCONV_HAVE_CUDA FCONV_BUILDING)
target_compile_options(fconv_cuda PRIVATE
  $<$<COMPILE_LANGUAGE:CUDA>:-Xcompiler=-Wall,-Wextra,-Wno-unused-parameter>)
target_link_libraries(fconv_cuda PRIVATE CUDA::cudart CUDA::cufft m
  fconv_warnings fconv_sanitize)
if(NOT FCONV_SANITIZE)
  # every symbol the module needs is resolved in it or its CUDA libraries (the core services
  # come from libfconv through the entry, not by name)
  target_link_options(fconv_cuda PRIVATE LINKER:--no-undefined)
endif()
install(TARGETS fconv_cuda LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})

# libfconv's side: the loader, told the module's file name and the libdir it is installed into.
target_sources(fconv PRIVATE src/cuda_loader.c)
target_compile_definitions(fconv PRIVATE
  FCONV_CUDA_MODULE_NAME="$<TARGET_FILE_NAME:fconv_cuda>"
  FCONV_CUDA_MODULE_LIBDIR="${CMAKE_INSTALL_FULL_LIBDIR}")
add_dependencies(fconv fconv_cuda) # whatever builds against libfconv gets the module built too
if(TARGET fconv_calibrate) # its `cuda` mode calls the module's calibration routine
  target_compile_definitions(fconv_calibrate PRIVATE FCONV_HAVE_CUDA)
endif()
