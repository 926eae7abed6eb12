# The HTML review dossier in a real browser (tests/review/browser_test.sh): Debian's chromium,
# headless, reads the rendered DOM and takes a screenshot. Needs no privilege (chromium runs with
# --no-sandbox when the suite runs as root), so it is in the unit tier; install-deps.sh installs
# chromium and libjs-d3.
add_test(NAME review/html-in-chromium
         COMMAND bash ${CMAKE_CURRENT_SOURCE_DIR}/review/browser_test.sh $<TARGET_FILE:glassbox>
                 ${PROJECT_SOURCE_DIR} ${CMAKE_CURRENT_BINARY_DIR}/review-browser)
set_tests_properties(review/html-in-chromium PROPERTIES LABELS unit TIMEOUT 300)
# unit_review scans two of scan's test programs as the packages of its update (tests/scan.cmake).
if(TARGET unit_review)
  add_dependencies(unit_review scan_rename_import scan_rename_syscall)
endif()
