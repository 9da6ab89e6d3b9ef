# Run with cmake -P; see CMakeLists.txt beside this file. Arguments: MODE, CTNN_SOURCE_DIR,
# CTNN_BUILD_DIR, CONSUMER_DIR, PREFIX, CXX, WORK_DIR (not for MODE=install), IMAGE (ON when
# this build has ctnn::image: then the consumer's image program must build and run too).

# Runs a command, echoing it; stops the test with its output if it fails.
function(run)
  cmake_parse_arguments(ARG "" "WORKING_DIRECTORY" "COMMAND" ${ARGN})
  if(NOT ARG_WORKING_DIRECTORY)
    set(ARG_WORKING_DIRECTORY ${CMAKE_CURRENT_BINARY_DIR})
  endif()
  string(JOIN " " shown ${ARG_COMMAND})
  message(STATUS "$ ${shown}")
  execute_process(COMMAND ${ARG_COMMAND} WORKING_DIRECTORY ${ARG_WORKING_DIRECTORY}
                  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message("${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "failed (exit ${rc}): ${shown}")
  endif()
endfunction()

# When `enabled` (IMAGE, MPI), the consumer's CMake project must have defined `target` and built
# `program` from it, which must run: consumer_image (ctnn::image, examples/consumer/image.cpp)
# and consumer_distributed (ctnn::mpi, distributed.cpp, run as one MPI process).
function(consumer_optional enabled program target)
  if(NOT enabled)
    return()
  endif()
  if(NOT EXISTS ${WORK_DIR}/${program})
    message(FATAL_ERROR "the consumer found no ${target} target (no ${program} built)")
  endif()
  run(COMMAND ${WORK_DIR}/${program} WORKING_DIRECTORY ${WORK_DIR})
endfunction()
function(consumer_image)
  consumer_optional("${IMAGE}" consumer_image ctnn::image)
endfunction()
function(consumer_mpi)
  consumer_optional("${MPI}" consumer_distributed ctnn::mpi)
endfunction()

# The consumer's compiler flags: a release build (NDEBUG), optimised at -O1: the packaging is
# under test, not the code's speed, and -O2 took 1.6x the CPU (21 s against 13 for main.cpp)
# in each of the nine consumer builds. No -march: ctnn must not need it.
set(consumer_config -DCMAKE_BUILD_TYPE=Release "-DCMAKE_CXX_FLAGS_RELEASE=-O1 -DNDEBUG"
                    -DCMAKE_CXX_COMPILER=${CXX})

if(MODE STREQUAL "install")
  file(REMOVE_RECURSE ${PREFIX})
  run(COMMAND ${CMAKE_COMMAND} --install ${CTNN_BUILD_DIR} --prefix ${PREFIX} --component ctnn)
  foreach(f include/ctnn/ctnn.hpp include/ctnn/version.hpp include/ctnn/kernels/conv.hpp
            share/cmake/ctnn/ctnnConfig.cmake share/cmake/ctnn/ctnnConfigVersion.cmake
            share/cmake/ctnn/ctnnTargets.cmake share/pkgconfig/ctnn.pc share/doc/ctnn/LICENSE)
    if(NOT EXISTS ${PREFIX}/${f})
      message(FATAL_ERROR "the install lacks ${f}")
    endif()
  endforeach()
  if(IMAGE)
    foreach(f include/ctnn/io/image.hpp share/cmake/ctnn/ctnnImageTargets.cmake)
      if(NOT EXISTS ${PREFIX}/${f})
        message(FATAL_ERROR "the install lacks ${f}")
      endif()
    endforeach()
  endif()
  if(MPI)
    foreach(f include/ctnn/distributed/data_parallel.hpp share/cmake/ctnn/ctnnMpiTargets.cmake
              share/pkgconfig/ctnn-mpi.pc)
      if(NOT EXISTS ${PREFIX}/${f})
        message(FATAL_ERROR "the install lacks ${f}")
      endif()
    endforeach()
  endif()
  file(GLOB_RECURSE stray RELATIVE ${PREFIX} ${PREFIX}/lib/* ${PREFIX}/bin/*)
  if(stray)
    message(FATAL_ERROR "a header-only install put files in lib/ or bin/: ${stray}")
  endif()
  message(STATUS "installed ctnn into ${PREFIX}")

elseif(MODE STREQUAL "find_package")
  file(REMOVE_RECURSE ${WORK_DIR})
  run(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR} ${consumer_config}
              -DCMAKE_PREFIX_PATH=${PREFIX} -DCMAKE_FIND_USE_PACKAGE_REGISTRY=OFF)
  # It must have found the install under test, not another ctnn on the machine.
  file(STRINGS ${WORK_DIR}/CMakeCache.txt ctnn_dir REGEX "^ctnn_DIR:")
  if(NOT ctnn_dir MATCHES "${PREFIX}/share/cmake/ctnn")
    message(FATAL_ERROR "find_package(ctnn) found ${ctnn_dir}, not the install in ${PREFIX}")
  endif()
  run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR})
  run(COMMAND ${WORK_DIR}/consumer WORKING_DIRECTORY ${WORK_DIR})
  consumer_image()
  consumer_mpi()

elseif(MODE STREQUAL "pkg_config")
  file(REMOVE_RECURSE ${WORK_DIR})
  file(MAKE_DIRECTORY ${WORK_DIR})
  find_program(PKG_CONFIG NAMES pkg-config pkgconf REQUIRED)
  set(ENV{PKG_CONFIG_PATH} ${PREFIX}/share/pkgconfig)
  execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ctnn RESULT_VARIABLE rc
                  OUTPUT_VARIABLE flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "pkg-config --cflags --libs ctnn failed: ${err}")
  endif()
  message(STATUS "pkg-config --cflags --libs ctnn: ${flags}")
  if(NOT flags MATCHES "-I${PREFIX}/share/pkgconfig/../../include")
    message(FATAL_ERROR "ctnn.pc does not point into the install ${PREFIX}: ${flags}")
  endif()
  separate_arguments(flags UNIX_COMMAND "${flags}")
  # pkg-config's -I does not make ctnn's headers system headers: a user's warnings apply to them.
  run(COMMAND ${CXX} -std=c++20 -O1 -DNDEBUG -Wall -Wextra -Wpedantic ${CONSUMER_DIR}/main.cpp ${flags}
              -o ${WORK_DIR}/consumer)
  run(COMMAND ${WORK_DIR}/consumer WORKING_DIRECTORY ${WORK_DIR})
  if(IMAGE)
    # The image component: ctnn.pc does not require stb and libpng (ctnn::ctnn does not need
    # them); a program that reads or writes images names them beside ctnn.
    execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ctnn stb libpng RESULT_VARIABLE rc
                    OUTPUT_VARIABLE image_flags ERROR_VARIABLE err
                    OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "pkg-config --cflags --libs ctnn stb libpng failed: ${err}")
    endif()
    message(STATUS "pkg-config --cflags --libs ctnn stb libpng: ${image_flags}")
    separate_arguments(image_flags UNIX_COMMAND "${image_flags}")
    run(COMMAND ${CXX} -std=c++20 -O1 -DNDEBUG -Wall -Wextra -Wpedantic ${CONSUMER_DIR}/image.cpp
                ${image_flags} -o ${WORK_DIR}/consumer_image)
    run(COMMAND ${WORK_DIR}/consumer_image WORKING_DIRECTORY ${WORK_DIR})
  endif()
  if(MPI)
    # ctnn-mpi.pc: ctnn.pc and the MPI's flags (Debian's mpi-c.pc).
    execute_process(COMMAND ${PKG_CONFIG} --cflags --libs ctnn-mpi RESULT_VARIABLE rc
                    OUTPUT_VARIABLE mpi_flags ERROR_VARIABLE err OUTPUT_STRIP_TRAILING_WHITESPACE)
    if(NOT rc EQUAL 0)
      message(FATAL_ERROR "pkg-config --cflags --libs ctnn-mpi failed: ${err}")
    endif()
    message(STATUS "pkg-config --cflags --libs ctnn-mpi: ${mpi_flags}")
    separate_arguments(mpi_flags UNIX_COMMAND "${mpi_flags}")
    run(COMMAND ${CXX} -std=c++20 -O1 -DNDEBUG -Wall -Wextra -Wpedantic ${CONSUMER_DIR}/distributed.cpp
                ${mpi_flags} -o ${WORK_DIR}/consumer_distributed)
    run(COMMAND ${WORK_DIR}/consumer_distributed WORKING_DIRECTORY ${WORK_DIR})
  endif()

elseif(MODE STREQUAL "add_subdirectory")
  file(REMOVE_RECURSE ${WORK_DIR})
  run(COMMAND ${CMAKE_COMMAND} -S ${CONSUMER_DIR} -B ${WORK_DIR} ${consumer_config}
              -DCTNN_SOURCE_DIR=${CTNN_SOURCE_DIR})
  # As a subproject ctnn adds its library target only: no tests, examples or install rules.
  file(STRINGS ${WORK_DIR}/CMakeCache.txt tests_option REGEX "^CTNN_BUILD_TESTS:BOOL=")
  if(NOT tests_option STREQUAL "CTNN_BUILD_TESTS:BOOL=OFF")
    message(FATAL_ERROR "as a subproject ctnn should not build its tests: ${tests_option}")
  endif()
  run(COMMAND ${CMAKE_COMMAND} --build ${WORK_DIR})
  run(COMMAND ${WORK_DIR}/consumer WORKING_DIRECTORY ${WORK_DIR})
  consumer_image()
  consumer_mpi()

else()
  message(FATAL_ERROR "consumer_test.cmake: unknown MODE '${MODE}'")
endif()
