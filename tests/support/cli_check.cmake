# One CLI smoke test (tests/CMakeLists.txt): runs PROGRAM with ARGS (a list joined by '|') and
# fails unless it exits with exactly STATUS and its stdout+stderr match REGEX. ctest's
# PASS_REGULAR_EXPRESSION alone would ignore the exit status.
#   cmake -DPROGRAM=... -DARGS=run|--help -DSTATUS=0 -DREGEX=Examples -P cli_check.cmake
string(REPLACE "|" ";" arg_list "${ARGS}")
execute_process(COMMAND ${PROGRAM} ${arg_list} RESULT_VARIABLE status OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT "${status}" STREQUAL "${STATUS}")
  message(FATAL_ERROR "${PROGRAM} ${arg_list}: exit status ${status}, expected ${STATUS}\nstdout:\n${out}\nstderr:\n${err}")
endif()
if(DEFINED REGEX AND NOT "${out}${err}" MATCHES "${REGEX}")
  message(FATAL_ERROR "${PROGRAM} ${arg_list}: output does not match '${REGEX}'\nstdout:\n${out}\nstderr:\n${err}")
endif()
