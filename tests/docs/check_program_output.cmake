# Runs a program and passes only when it exits with 0 AND its output matches every regular
# expression of EXPECT. (ctest's PASS_REGULAR_EXPRESSION alone ignores the exit code, so a program
# that printed the expected lines and then failed would pass.) Run with cmake -P, in the program's
# working directory. Arguments: PROGRAM, EXPECT (a list of regular expressions).
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
message("${out}")
get_filename_component(name ${PROGRAM} NAME)
if(NOT rc STREQUAL "0")
  message(FATAL_ERROR "${name} failed (exit status: ${rc})")
endif()
foreach(regex IN LISTS EXPECT)
  if(NOT out MATCHES "${regex}")
    message(FATAL_ERROR "${name} exited with 0, but its output has no line matching '${regex}'")
  endif()
endforeach()
message(STATUS "${name} exited with 0 and printed what was expected")
