# Optional components of the fconv package, included by fconvConfig.cmake when installed.
#   find_package(fconv COMPONENTS mpi)  ->  target fconv::fconv_mpi (include/fconv_mpi.h)
foreach(_fconv_comp IN LISTS ${CMAKE_FIND_PACKAGE_NAME}_FIND_COMPONENTS)
  if(_fconv_comp STREQUAL "mpi" AND EXISTS "${CMAKE_CURRENT_LIST_DIR}/fconv_mpiTargets.cmake")
    find_dependency(MPI COMPONENTS C)
    include("${CMAKE_CURRENT_LIST_DIR}/fconv_mpiTargets.cmake")
    set(${CMAKE_FIND_PACKAGE_NAME}_mpi_FOUND TRUE)
  endif()
endforeach()
