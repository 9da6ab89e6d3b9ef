# One compile-fail case (see CMakeLists.txt beside this file); run with cmake -P.
# Arguments: BUILD_DIR (the build tree), TARGET (the case's target), SOURCE (the case's file).
execute_process(COMMAND ${CMAKE_COMMAND} --build ${BUILD_DIR} --target ${TARGET}
                RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)

file(STRINGS ${SOURCE} lines LIMIT_COUNT 20)
set(expects "")
foreach(line IN LISTS lines)
  if(line MATCHES "^// expect: (.*)$")
    list(APPEND expects "${CMAKE_MATCH_1}")
  endif()
endforeach()

get_filename_component(name ${SOURCE} NAME)
if(NOT expects)
  if(NOT rc EQUAL 0)
    message("${out}")
    message(FATAL_ERROR "${name}: the control case must compile, but the build failed")
  endif()
  message(STATUS "${name}: compiles, as it must")
  return()
endif()

if(rc EQUAL 0)
  message("${out}")
  message(FATAL_ERROR "${name}: compiled, but must not")
endif()
foreach(expect IN LISTS expects)
  if(NOT out MATCHES "${expect}")
    message("${out}")
    message(FATAL_ERROR "${name}: the build failed, but its output does not match '${expect}'")
  endif()
  message(STATUS "${name}: matched '${expect}'")
endforeach()
