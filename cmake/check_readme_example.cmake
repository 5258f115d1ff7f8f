# Fails unless README.md contains examples/example.c and examples/example.f90 verbatim (so the
# README's examples are the ones that CI compiles and runs).
file(READ "${SRC}/README.md" readme)
foreach(f example.c example.f90)
  file(READ "${SRC}/examples/${f}" example)
  string(FIND "${readme}" "${example}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "README.md does not contain examples/${f} verbatim")
  endif()
endforeach()
