# Kernel matrix (ctest label "vm"): tests that boot each Debian 12 kernel of GLASSBOX_VM_KERNELS
# under qemu with scripts/vmtest.sh and run something of this build tree inside (docs/testing.md,
# "Kernel matrix"). Each is one VM boot (5-30 s under TCG, plus a one-time kernel download into
# the vmtest cache), runs alone (RUN_SERIAL: TCG wants both cores) and is named
# vm/<series>/<name>.
#
# To add a suite: glassbox_vm_suite(NAME TARGET [FILTER catch2-spec] [TIMEOUT s] [KERNELS ...])
# at the bottom of this file runs the Catch2 binary TARGET (an integration_<subsystem> target)
# inside every kernel of the matrix (or only KERNELS) with the test filter FILTER, as root, from
# the source tree. `-w NoTests` makes a filter that matches nothing fail instead of passing.
set(GLASSBOX_VM_KERNELS "6.1;6.12" CACHE STRING
    "Debian 12 kernel series the vm tests boot (scripts/vmtest.sh KERNEL); empty: no vm tests")
set(GLASSBOX_VM_TIMEOUT 1200 CACHE STRING "Default seconds a vm test's guest may run")

# Registers vm/<series>/<name> for each kernel: vmtest.sh --timeout <timeout> <series> -- COMMAND...
# ctest's own TIMEOUT is 5 minutes longer, so vmtest's timeout (exit 124, VM killed, console
# shown) fires first and the first run still has time to fetch and unpack the kernel.
function(glassbox_vm_test name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "TIMEOUT" "KERNELS;COMMAND")
  if(NOT arg_COMMAND)
    message(FATAL_ERROR "glassbox_vm_test(${name}): COMMAND is missing")
  endif()
  if(NOT arg_TIMEOUT)
    set(arg_TIMEOUT ${GLASSBOX_VM_TIMEOUT})
  endif()
  if(NOT arg_KERNELS)
    set(arg_KERNELS ${GLASSBOX_VM_KERNELS})
  endif()
  math(EXPR ctest_timeout "${arg_TIMEOUT} + 300")
  foreach(kernel IN LISTS arg_KERNELS)
    add_test(NAME vm/${kernel}/${name}
             COMMAND ${PROJECT_SOURCE_DIR}/scripts/vmtest.sh --timeout ${arg_TIMEOUT} ${kernel} -- ${arg_COMMAND}
             WORKING_DIRECTORY ${PROJECT_SOURCE_DIR})
    set_tests_properties(vm/${kernel}/${name} PROPERTIES
                         LABELS vm RUN_SERIAL TRUE TIMEOUT ${ctest_timeout})
  endforeach()
endfunction()

# A root-tier Catch2 binary inside the VM: vm/<series>/<name> runs `TARGET FILTER -w NoTests`.
function(glassbox_vm_suite name target)
  cmake_parse_arguments(PARSE_ARGV 2 arg "" "FILTER;TIMEOUT" "KERNELS")
  if(NOT TARGET ${target})
    message(FATAL_ERROR "glassbox_vm_suite(${name}): no test binary target ${target}")
  endif()
  set(extra "")
  if(arg_TIMEOUT)
    list(APPEND extra TIMEOUT ${arg_TIMEOUT})
  endif()
  if(arg_KERNELS)
    list(APPEND extra KERNELS ${arg_KERNELS})
  endif()
  glassbox_vm_test(${name} ${extra} COMMAND $<TARGET_FILE:${target}> ${arg_FILTER} -w NoTests)
endfunction()

# Boot smoke test per kernel: the guest runs that kernel, glassbox starts, and vmtest.sh carries
# the directory, environment, streams and exit status (tests/vm/boot_smoke.sh checks each). It runs
# the script's host half directly, which calls vmtest.sh itself.
foreach(kernel IN LISTS GLASSBOX_VM_KERNELS)
  add_test(NAME vm/${kernel}/boot
           COMMAND ${CMAKE_CURRENT_SOURCE_DIR}/vm/boot_smoke.sh ${kernel} $<TARGET_FILE:glassbox>)
  set_tests_properties(vm/${kernel}/boot PROPERTIES LABELS vm RUN_SERIAL TRUE TIMEOUT 1200)
endforeach()

# The root suites that run inside every kernel of the matrix, with the same assertions as on the
# host: where a kernel lacks something, the trace's `coverage` (or enforce's mechanism report)
# declares it and the tests read that declaration (issue #14). The burst tests (a million opens)
# are left to the host: under TCG they would take most of CI's time and measure the emulator.
glassbox_vm_suite(coverage integration_coverage FILTER "[coverage]")
glassbox_vm_suite(record integration_record FILTER "[record]~[burst]")
# enforce: on 6.1 (Landlock ABI 2, no cgroup unix hooks) the tests read the mechanism report's
# declaration of what the kernel cannot enforce, and check the rest as everywhere.
glassbox_vm_suite(enforce integration_enforce FILTER "[enforce]" TIMEOUT 1800)
# The hostile-agent suite on every kernel, with the protection each one has (pidns everywhere,
# landlock where Landlock ABI 6 exists). GB_HOSTILE_VM=1 lets its kill(-1) cases run: the VM is
# disposable, the machine running CI is not. The flood (200,000 opens) is left to the host.
glassbox_vm_test(hostile COMMAND /usr/bin/env GB_HOSTILE_VM=1 $<TARGET_FILE:integration_hostile> "[hostile]~[flood]"
                 -w NoTests)

# doctor inside each kernel: its facts against the kernel's own, and its recording coverage (from a
# dry load of the recorder) against the header of a trace recorded in the same guest.
glassbox_vm_suite(doctor integration_doctor FILTER "[doctor]")
