# CUDA paths. Included only when FCONV_HAVE_CUDA.
target_sources(fconv PRIVATE src/cuda/cuda_stub.c)
target_link_libraries(fconv PRIVATE CUDA::cudart CUDA::cufft)
