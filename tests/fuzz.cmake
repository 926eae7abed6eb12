# libFuzzer harnesses: every tests/fuzz/<name>.cpp defines LLVMFuzzerTestOneInput.
# - Normal builds (g++): each harness links a replay driver and ctest replays its committed corpus
#   tests/fuzz/corpus/<name>/ (regression tests: every input that once crashed stays fixed).
# - -DGLASSBOX_FUZZ=ON with clang: real libFuzzer binaries (scripts/fuzz.sh runs them).
# The harnesses link only the libraries they exercise (trace, analysis, scan), never the recorder
# and its BPF skeletons, so the fuzz build stays small. In the fuzz build those libraries are
# instrumented too: ASan/UBSan only see bugs in code compiled with them, and libFuzzer's coverage
# guidance (fuzzer-no-link) needs the code under test, not just the harness.
set(fuzz_libs glassbox_analysis glassbox_scan glassbox_trace glassbox_common)
if(GLASSBOX_FUZZ)
  foreach(lib IN LISTS fuzz_libs)
    target_compile_options(${lib} PRIVATE -fsanitize=fuzzer-no-link,address,undefined -fno-sanitize-recover=undefined)
  endforeach()
endif()
file(GLOB fuzz_harnesses CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/*.cpp)
foreach(src IN LISTS fuzz_harnesses)
  get_filename_component(stem ${src} NAME_WE)
  if(GLASSBOX_FUZZ)
    add_executable(fuzz_${stem} ${src})
    target_compile_options(fuzz_${stem} PRIVATE -fsanitize=fuzzer,address,undefined -fno-sanitize-recover=undefined)
    target_link_options(fuzz_${stem} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    add_executable(fuzz_${stem} ${src} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay_main.cpp)
    set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${stem})
    add_test(NAME fuzz-replay/${stem} COMMAND fuzz_${stem} ${corpus})
    set_tests_properties(fuzz-replay/${stem} PROPERTIES LABELS unit)
  endif()
  target_link_libraries(fuzz_${stem} PRIVATE ${fuzz_libs})
endforeach()
