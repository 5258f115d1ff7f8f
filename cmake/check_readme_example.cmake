# Fails unless README.md contains examples/example.c verbatim (so the README's example is the
# one that CI compiles and runs).
file(READ "${SRC}/README.md" readme)
file(READ "${SRC}/examples/example.c" example)
string(FIND "${readme}" "${example}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "README.md does not contain examples/example.c verbatim")
endif()
