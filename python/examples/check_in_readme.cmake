# Fails unless README.md contains python/examples/example.py verbatim (so the README's Python
# example is the one the tests run).  cmake -DSRC=<source dir> -P check_in_readme.cmake
file(READ "${SRC}/README.md" readme)
file(READ "${SRC}/python/examples/example.py" example)
string(FIND "${readme}" "${example}" pos)
if(pos EQUAL -1)
  message(FATAL_ERROR "README.md does not contain python/examples/example.py verbatim")
endif()
