# libFuzzer harnesses: every tests/fuzz/<name>.cpp defines LLVMFuzzerTestOneInput.
# - Normal builds (g++): each harness links a replay driver and ctest replays its committed corpus
#   tests/fuzz/corpus/<name>/ (regression tests: every input that once crashed stays fixed).
#   The same replay also runs under AddressSanitizer and UBSan (fuzz-replay-sanitized/<name>):
#   the inputs that ASan once found only fail again where the code is instrumented. Those
#   binaries link sanitized twins of the four libraries below, built at -O1 beside the normal ones.
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
# Sanitized twins: same sources, include directories and definitions as the library, linked to the
# other twins. No -Werror for them: GCC's instrumented builds warn falsely (maybe-uninitialized),
# and the very same sources are warning-checked in the normal build.
# (simdjson's imported target is found in tracer/trace's scope only: find it here too.)
find_package(simdjson REQUIRED)
set(sanitize_flags -fsanitize=address,undefined -fno-sanitize-recover=undefined -fno-omit-frame-pointer)
if(NOT GLASSBOX_FUZZ)
  foreach(lib IN LISTS fuzz_libs)
    get_target_property(srcs ${lib} SOURCES)
    get_target_property(src_dir ${lib} SOURCE_DIR)
    set(abs_srcs "")
    foreach(src IN LISTS srcs)
      if(NOT IS_ABSOLUTE ${src})
        set(src ${src_dir}/${src})
      endif()
      list(APPEND abs_srcs ${src})
    endforeach()
    add_library(${lib}_sanitized STATIC ${abs_srcs})
    target_include_directories(${lib}_sanitized PUBLIC $<TARGET_PROPERTY:${lib},INCLUDE_DIRECTORIES>)
    target_compile_definitions(${lib}_sanitized PUBLIC $<TARGET_PROPERTY:${lib},COMPILE_DEFINITIONS>)
    target_compile_options(${lib}_sanitized PRIVATE ${sanitize_flags} -O1 -Wno-error)
    get_target_property(deps ${lib} LINK_LIBRARIES)
    set(twin_deps "")
    foreach(dep IN LISTS deps)
      if(dep IN_LIST fuzz_libs)
        list(APPEND twin_deps ${dep}_sanitized)
      else()
        list(APPEND twin_deps ${dep})
      endif()
    endforeach()
    target_link_libraries(${lib}_sanitized PUBLIC ${twin_deps})
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
    add_executable(fuzz_${stem}_sanitized ${src} ${CMAKE_CURRENT_SOURCE_DIR}/fuzz_replay_main.cpp)
    target_compile_options(fuzz_${stem}_sanitized PRIVATE ${sanitize_flags} -O1 -Wno-error)
    target_link_options(fuzz_${stem}_sanitized PRIVATE -fsanitize=address,undefined)
    set(twins "")
    foreach(lib IN LISTS fuzz_libs)
      list(APPEND twins ${lib}_sanitized)
    endforeach()
    target_link_libraries(fuzz_${stem}_sanitized PRIVATE ${twins})
    add_test(NAME fuzz-replay-sanitized/${stem} COMMAND fuzz_${stem}_sanitized ${corpus})
    # Any report ends the run with an error; UBSan's are fatal through -fno-sanitize-recover.
    set_tests_properties(fuzz-replay-sanitized/${stem} PROPERTIES LABELS unit
                         ENVIRONMENT "ASAN_OPTIONS=abort_on_error=0:detect_leaks=1;UBSAN_OPTIONS=print_stacktrace=1")
  endif()
  target_link_libraries(fuzz_${stem} PRIVATE ${fuzz_libs})
endforeach()
