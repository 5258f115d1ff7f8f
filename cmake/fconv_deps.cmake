# fconv_deps.cmake — libfconv's link dependencies, named ONCE (FCONV_DEPS below), and everything
# derived from that list: the libraries the build links, the package config's link interface for
# a static install (fconvConfig.cmake), and fconv.pc's Requires/Libs for the installed kind.
# Included from the top-level CMakeLists.txt after the CUDA detection.
#
# Entry kinds:
#   pc:<module>[>=<version>]  a pkg-config module (build: PkgConfig::<MODULE>; .pc: Requires;
#                      package config: pkg_check_modules at find_package time)
#   lib:<name>         a library found with find_library beside the pkg-config modules
#                      (build: its path; .pc: -l<name>; package config: find_library again)
#   sys:<name>         a system library linked by name (-l<name>), e.g. m, stdc++
#   threads            the platform's thread library (whatever FindThreads found; often nothing)
# The package config needs no compiler language for any kind, so find_package(fconv) works from
# C, C++-only and Fortran-only projects.
set(FCONV_DEPS
  pc:fftw3f>=3.3.9 pc:fftw3>=3.3.9      # fftw_threads_set_callback: FFTW's threads on fconv's
  lib:fftw3f_threads lib:fftw3_threads  # runtime (the pthreads build, not _omp)
  threads sys:m)
if(FCONV_HAVE_CUDA AND CMAKE_DL_LIBS)
  # dlopen, for the CUDA module (libfconv_cuda, cmake/fconv_cuda.cmake): the only thing a CUDA
  # build adds to libfconv's link; the module itself links the CUDA runtime and cuFFT.
  list(APPEND FCONV_DEPS sys:${CMAKE_DL_LIBS})
endif()

find_package(PkgConfig REQUIRED)
find_package(Threads REQUIRED)

set(FCONV_DEP_LINK "")        # what the build links (PRIVATE)
set(FCONV_DEP_LIBS "")        # the lib: entries' paths (FFTW's threads libraries), for programs
                              # that call FFTW beside libfconv and must use the same ones
set(FCONV_PC_REQUIRES "")     # pkg-config modules
set(FCONV_PC_LIBS "")         # -l flags after -lfconv
set(FCONV_CONFIG_DEPS "")     # CMake code for fconvConfig.cmake (static installs)
set(_fconv_pc_libdirs "")
foreach(_dep IN LISTS FCONV_DEPS)
  if(_dep MATCHES "^pc:([^>=<]+)(.*)$")
    set(_m "${CMAKE_MATCH_1}")
    set(_spec "${CMAKE_MATCH_1}${CMAKE_MATCH_2}")          # fftw3f>=3.3.9
    string(REGEX REPLACE "([<>=]+)" " \\1 " _pcspec "${_spec}") # fftw3f >= 3.3.9 (.pc syntax)
    string(TOUPPER "${_m}" _v)
    string(MAKE_C_IDENTIFIER "${_v}" _v)   # fftw3f -> PkgConfig::FFTW3F
    pkg_check_modules(${_v} REQUIRED IMPORTED_TARGET ${_spec})
    list(APPEND FCONV_DEP_LINK PkgConfig::${_v})
    list(APPEND _fconv_pc_libdirs ${${_v}_LIBRARY_DIRS})
    list(APPEND FCONV_PC_REQUIRES "${_pcspec}")
    string(APPEND FCONV_CONFIG_DEPS "fconv_dep_pc(${_v} \"${_spec}\")\n")
  elseif(_dep MATCHES "^lib:(.+)$")
    set(_n "${CMAKE_MATCH_1}")
    find_library(FCONV_LIB_${_n} NAMES ${_n} HINTS ${_fconv_pc_libdirs} REQUIRED)
    list(APPEND FCONV_DEP_LINK ${FCONV_LIB_${_n}})
    list(APPEND FCONV_DEP_LIBS ${FCONV_LIB_${_n}})
    string(APPEND FCONV_PC_LIBS " -l${_n}")
    string(APPEND FCONV_CONFIG_DEPS "fconv_dep_lib(${_n})\n")
  elseif(_dep MATCHES "^sys:(.+)$")
    list(APPEND FCONV_DEP_LINK ${CMAKE_MATCH_1})
    string(APPEND FCONV_PC_LIBS " -l${CMAKE_MATCH_1}")
    string(APPEND FCONV_CONFIG_DEPS "fconv_dep_sys(${CMAKE_MATCH_1})\n")
  elseif(_dep STREQUAL "threads")
    list(APPEND FCONV_DEP_LINK Threads::Threads)
    if(CMAKE_THREAD_LIBS_INIT)
      string(APPEND FCONV_PC_LIBS " ${CMAKE_THREAD_LIBS_INIT}")
      string(APPEND FCONV_CONFIG_DEPS "fconv_dep_sys(${CMAKE_THREAD_LIBS_INIT})\n")
    endif()
  else()
    message(FATAL_ERROR "fconv_deps.cmake: unknown dependency entry '${_dep}'")
  endif()
endforeach()
string(REPLACE ";" ", " FCONV_PC_REQUIRES "${FCONV_PC_REQUIRES}")
string(STRIP "${FCONV_PC_LIBS}" FCONV_PC_LIBS)

# fconv_write_pc(NAME <name> DESCRIPTION <text> LIB <library> [CFLAGS <flags>]
#                [REQUIRES <modules>] [DEPS]): write and install <name>.pc for the installed kind.
# REQUIRES are packages the user calls directly (always public). DEPS adds FCONV_DEPS: a shared
# library keeps them private (Requires.private / Libs.private); a static one lists them in
# Requires / Libs, so the plain `pkg-config --libs` line links (and `--static` gives the same).
# The prefix is found from the .pc file's own directory, so the install can be moved.
function(fconv_write_pc)
  cmake_parse_arguments(PC "DEPS" "NAME;DESCRIPTION;LIB;CFLAGS" "REQUIRES" ${ARGN})
  string(REPLACE ";" ", " req "${PC_REQUIRES}")
  set(req_private "")
  set(libs "")
  set(libs_private "")
  set(cflags "${PC_CFLAGS}")
  if(PC_DEPS AND BUILD_SHARED_LIBS)
    set(req_private "${FCONV_PC_REQUIRES}")
    set(libs_private "${FCONV_PC_LIBS}")
  elseif(PC_DEPS)
    if(req)
      string(APPEND req ", ")
    endif()
    string(APPEND req "${FCONV_PC_REQUIRES}")
    set(libs " ${FCONV_PC_LIBS}")
    if(FCONV_HAVE_CUDA)
      # the program's run path leads the static library's dlopen to the CUDA module in libdir
      string(APPEND libs " -Wl,-rpath,\${libdir}")
    endif()
    string(APPEND cflags " -DFCONV_STATIC_DEFINE")
  endif()
  file(RELATIVE_PATH prefix_rel "/_/${CMAKE_INSTALL_LIBDIR}/pkgconfig" "/_")
  string(REGEX REPLACE "/$" "" prefix_rel "${prefix_rel}")
  file(WRITE ${PROJECT_BINARY_DIR}/${PC_NAME}.pc
"prefix=\${pcfiledir}/${prefix_rel}
exec_prefix=\${prefix}
libdir=\${prefix}/${CMAKE_INSTALL_LIBDIR}
includedir=\${prefix}/${CMAKE_INSTALL_INCLUDEDIR}

Name: ${PC_NAME}
Description: ${PC_DESCRIPTION}
Version: ${PROJECT_VERSION}
Requires: ${req}
Requires.private: ${req_private}
Libs: -L\${libdir} -l${PC_LIB}${libs}
Libs.private: ${libs_private}
Cflags: -I\${includedir}${cflags}
")
  install(FILES ${PROJECT_BINARY_DIR}/${PC_NAME}.pc DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
endfunction()
