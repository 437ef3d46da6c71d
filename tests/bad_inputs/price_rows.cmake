# Prices a file of malformed shipment rows and compares what `lode price` writes with the expected
# files committed beside it: the results (stdout) and the row errors (stderr, without the timing).
#   cmake -DLODE=path/to/lode -DDIR=tests/bad_inputs/rows -DINPUT=shipments.csv -DFORMAT=jsonl
#         [-DENGINE=interp|jit] [-DUPDATE=ON] -P price_rows.cmake
# The command runs inside DIR with relative names, so the expected files hold no absolute paths.
# -DUPDATE=ON rewrites the expected files instead (then review the diff before committing).
cmake_minimum_required(VERSION 3.20)
if(NOT ENGINE)
  set(ENGINE interp)
endif()
set(expected_out ${DIR}/${INPUT}.expected.${FORMAT})
set(expected_err ${DIR}/${INPUT}.expected.stderr)
execute_process(COMMAND ${LODE} price agreement.lode --shipments ${INPUT} --format ${FORMAT} --engine ${ENGINE}
                WORKING_DIRECTORY ${DIR} RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
# "priced 54 rows, 49 with errors, in 0.01 s (5400 rows/s)": keep the counts, drop the clock.
string(REGEX REPLACE ", in [0-9.]+ s( \\([0-9]+ rows/s\\))?" "" err "${err}")
message("lode price ${INPUT} --format ${FORMAT} --engine ${ENGINE}: exit ${rc}\n${err}")
if(UPDATE)
  file(WRITE ${expected_out} "${out}")
  file(WRITE ${expected_err} "${err}")
  message("wrote ${expected_out} and ${expected_err}")
  return()
endif()
if(NOT rc EQUAL 1)
  message(FATAL_ERROR "the file has malformed rows: lode price must exit 1 (got '${rc}')")
endif()
file(READ ${expected_out} want_out)
file(READ ${expected_err} want_err)
set(failed FALSE)
if(NOT out STREQUAL want_out)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${INPUT}.${ENGINE}.actual.${FORMAT} "${out}")
  message(SEND_ERROR "results differ from ${expected_out}; actual: ${CMAKE_CURRENT_BINARY_DIR}/${INPUT}.${ENGINE}.actual.${FORMAT}")
  set(failed TRUE)
endif()
if(NOT err STREQUAL want_err)
  file(WRITE ${CMAKE_CURRENT_BINARY_DIR}/${INPUT}.${ENGINE}.actual.stderr "${err}")
  message(SEND_ERROR "row errors differ from ${expected_err}; actual: ${CMAKE_CURRENT_BINARY_DIR}/${INPUT}.${ENGINE}.actual.stderr")
  set(failed TRUE)
endif()
if(failed)
  message(FATAL_ERROR "lode price output changed (rerun with -DUPDATE=ON to accept a deliberate change)")
endif()
