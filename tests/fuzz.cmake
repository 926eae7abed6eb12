# libFuzzer harnesses: every tests/fuzz/<name>.cpp defines LLVMFuzzerTestOneInput.
# - Normal builds (g++): each harness links a replay driver and ctest replays its committed corpus
#   tests/fuzz/corpus/<name>/ (regression tests: every input that once crashed stays fixed).
# - -DGLASSBOX_FUZZ=ON with clang: real libFuzzer binaries (scripts/fuzz.sh runs them).
file(GLOB fuzz_harnesses CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/*.cpp)
foreach(src IN LISTS fuzz_harnesses)
  get_filename_component(stem ${src} NAME_WE)
  if(GLASSBOX_FUZZ)
    add_executable(fuzz_${stem} ${src})
    target_compile_options(fuzz_${stem} PRIVATE -fsanitize=fuzzer,address,undefined)
    target_link_options(fuzz_${stem} PRIVATE -fsanitize=fuzzer,address,undefined)
  else()
    add_executable(fuzz_${stem} ${src} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay_main.cpp)
    set(corpus ${CMAKE_CURRENT_SOURCE_DIR}/fuzz/corpus/${stem})
    add_test(NAME fuzz-replay/${stem} COMMAND fuzz_${stem} ${corpus})
    set_tests_properties(fuzz-replay/${stem} PROPERTIES LABELS unit)
  endif()
  target_link_libraries(fuzz_${stem} PRIVATE glassbox_cli)
endforeach()
