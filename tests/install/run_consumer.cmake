# ctest entry install_consumer (cmake -P): installs the build tree FORGE_BUILD_DIR
# under WORK_DIR/prefix, configures and builds tests/install against it as an
# outside project would, checks the installed binary's --version, and runs the
# consumer (two training steps). Any failure is a FATAL_ERROR naming the step.
foreach(var FORGE_BUILD_DIR WORK_DIR GENERATOR CXX_COMPILER)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "run_consumer.cmake needs -D${var}=...")
  endif()
endforeach()

function(run step)
  execute_process(COMMAND ${ARGN} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE out)
  message(STATUS "${step}:\n${out}")
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "${step} failed (${rc})")
  endif()
  set(output "${out}" PARENT_SCOPE)
endfunction()

file(REMOVE_RECURSE ${WORK_DIR})
set(prefix ${WORK_DIR}/prefix)
run("install" ${CMAKE_COMMAND} --install ${FORGE_BUILD_DIR} --prefix ${prefix})

run("installed forge --version" ${prefix}/bin/forge --version)
if(NOT output MATCHES "^forge [0-9]+\\.[0-9]+\\.[0-9]+")
  message(FATAL_ERROR "installed forge --version printed '${output}'")
endif()

set(launcher "")
if(CXX_LAUNCHER)
  set(launcher -DCMAKE_CXX_COMPILER_LAUNCHER=${CXX_LAUNCHER})
endif()
get_filename_component(source_dir ${CMAKE_CURRENT_LIST_DIR} ABSOLUTE)
run("configure the consumer" ${CMAKE_COMMAND} -S ${source_dir} -B ${WORK_DIR}/build -G ${GENERATOR}
    -DCMAKE_BUILD_TYPE=Release -DCMAKE_CXX_COMPILER=${CXX_COMPILER} ${launcher} -DCMAKE_PREFIX_PATH=${prefix})
run("build the consumer" ${CMAKE_COMMAND} --build ${WORK_DIR}/build)
run("train two steps" ${WORK_DIR}/build/train_two_steps)
