# The Fortran binding: module `fconv` (fortran/fconv.f90) compiled into libfconv_fortran, target
# fconv::fconv_fortran, installed with its .mod file and fconv-fortran.pc. Included from the
# top-level CMakeLists.txt when a Fortran compiler is enabled (FCONV_FORTRAN).
set(FCONV_FORTRAN_MODDIR ${PROJECT_BINARY_DIR}/fortran_modules)
set(FCONV_FORTRAN_MOD_INSTALL ${CMAKE_INSTALL_INCLUDEDIR}/fconv/fortran)
add_library(fconv_fortran fortran/fconv.f90)
add_library(fconv::fconv_fortran ALIAS fconv_fortran)
set_target_properties(fconv_fortran PROPERTIES
  Fortran_MODULE_DIRECTORY ${FCONV_FORTRAN_MODDIR}
  VERSION ${PROJECT_VERSION} SOVERSION ${PROJECT_VERSION_MAJOR}
  POSITION_INDEPENDENT_CODE ON)
target_include_directories(fconv_fortran PUBLIC
  $<BUILD_INTERFACE:${FCONV_FORTRAN_MODDIR}> $<INSTALL_INTERFACE:${FCONV_FORTRAN_MOD_INSTALL}>)
target_link_libraries(fconv_fortran PUBLIC fconv
  PRIVATE $<BUILD_INTERFACE:fconv_warnings> $<BUILD_INTERFACE:fconv_sanitize>)
install(TARGETS fconv_fortran EXPORT fconvTargets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(FILES ${FCONV_FORTRAN_MODDIR}/fconv.mod DESTINATION ${FCONV_FORTRAN_MOD_INSTALL})
fconv_write_pc(NAME fconv-fortran DESCRIPTION "Fortran binding of fconv (module fconv)"
  LIB fconv_fortran CFLAGS " -I\${includedir}/fconv/fortran" REQUIRES fconv)
# The compiler that wrote fconv.mod (other compilers, or other major versions, cannot read it;
# they can compile the installed fortran source, include/fconv.f90, themselves).
set(FCONV_FORTRAN_ID "${CMAKE_Fortran_COMPILER_ID}")
