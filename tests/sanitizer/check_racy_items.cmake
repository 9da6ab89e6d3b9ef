# sanitizer.tsan_racy_items: runs PROGRAM (racy_items, built with -fsanitize=thread) and passes
# only if ThreadSanitizer reports its race: exit code 86 (TSAN_OPTIONS' exitcode, which no other
# failure of the program gives) and a data race report naming the racy item in racy_items.cpp.
set(ENV{TSAN_OPTIONS} "halt_on_error=1:exitcode=86")
execute_process(COMMAND ${PROGRAM} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 86 OR NOT err MATCHES "WARNING: ThreadSanitizer: data race"
   OR NOT err MATCHES "racy_items\\.cpp")
  message(FATAL_ERROR "TSan did not report the racy items (exit ${rc}; a report exits 86 and "
                      "names racy_items.cpp):\n${out}${err}")
endif()
message(STATUS "TSan reported the racy items (exit ${rc}, a data race in racy_items.cpp)")
