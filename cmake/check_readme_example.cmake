# Fails unless README.md contains the examples verbatim (so the README's examples are the ones
# that CI compiles and runs): examples/example.c and examples/example.f90, or
# -DEXAMPLE=<path relative to SRC>.
if(EXAMPLE)
  set(examples ${EXAMPLE})
else()
  set(examples examples/example.c examples/example.f90)
endif()
file(READ "${SRC}/README.md" readme)
foreach(f IN LISTS examples)
  file(READ "${SRC}/${f}" example)
  string(FIND "${readme}" "${example}" pos)
  if(pos EQUAL -1)
    message(FATAL_ERROR "README.md does not contain ${f} verbatim")
  endif()
endforeach()
