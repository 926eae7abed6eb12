# glassbox_bpf_object(NAME SOURCES src1.bpf.c [src2.bpf.c ...] [DEFINES D1 D2 ...] [DEPENDS ...])
#
# Compiles each .bpf.c with clang -target bpf (CO-RE, against a vmlinux.h dumped from the build
# host's BTF), links the objects into one with `bpftool gen object`, generates `<NAME>.skel.h`
# into the build tree and exposes it as the INTERFACE target `<NAME>_skel`. DEFINES are passed to
# clang as -D (one source, several builds: the recorder's per-kernel variants). After linking, the
# combined stack of every call chain is checked against the 512 bytes that kernels without BPF
# private stacks allow (scripts/bpf-stack-check.py): a chain that would load only on machines whose
# JIT gives private stacks fails the build on every machine.
# A function, not a macro: nothing leaks into the caller's scope.

find_program(GLASSBOX_CLANG NAMES clang-14 clang REQUIRED)
find_program(GLASSBOX_BPFTOOL NAMES bpftool PATHS /usr/sbin /sbin REQUIRED)
find_package(Python3 REQUIRED COMPONENTS Interpreter)

set(GLASSBOX_VMLINUX_DIR ${CMAKE_BINARY_DIR}/vmlinux)
set(GLASSBOX_VMLINUX_H ${GLASSBOX_VMLINUX_DIR}/vmlinux.h)
if(NOT EXISTS /sys/kernel/btf/vmlinux)
  message(FATAL_ERROR "glassbox needs kernel BTF at /sys/kernel/btf/vmlinux to build its CO-RE BPF programs")
endif()
# Dumped at configure time: a custom command's OUTPUT is only visible to its own directory, and
# the BPF objects are built from bpf/, so a build-time rule left fresh build trees without a rule.
if(NOT EXISTS ${GLASSBOX_VMLINUX_H})
  file(MAKE_DIRECTORY ${GLASSBOX_VMLINUX_DIR})
  execute_process(
    COMMAND ${GLASSBOX_BPFTOOL} btf dump file /sys/kernel/btf/vmlinux format c
    OUTPUT_FILE ${GLASSBOX_VMLINUX_H}.tmp
    RESULT_VARIABLE dump_result)
  if(NOT dump_result EQUAL 0)
    message(FATAL_ERROR "bpftool could not dump /sys/kernel/btf/vmlinux into vmlinux.h")
  endif()
  file(RENAME ${GLASSBOX_VMLINUX_H}.tmp ${GLASSBOX_VMLINUX_H})
endif()

function(glassbox_bpf_object name)
  cmake_parse_arguments(PARSE_ARGV 1 arg "" "" "SOURCES;DEPENDS;DEFINES")
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "glassbox_bpf_object(${name}): SOURCES is required")
  endif()
  set(out_dir ${CMAKE_CURRENT_BINARY_DIR}/${name})
  set(objects "")
  set(defines "")
  foreach(d IN LISTS arg_DEFINES)
    list(APPEND defines -D${d})
  endforeach()
  foreach(src IN LISTS arg_SOURCES)
    get_filename_component(abs ${src} ABSOLUTE)
    get_filename_component(stem ${src} NAME_WE)
    set(obj ${out_dir}/${stem}.bpf.o)
    add_custom_command(
      OUTPUT ${obj}
      COMMAND ${CMAKE_COMMAND} -E make_directory ${out_dir}
      COMMAND ${GLASSBOX_CLANG} -g -O2 -target bpf -D__TARGET_ARCH_x86 -mcpu=v3 ${defines}
              -Wall -Wno-unused-function -Wno-address-of-packed-member
              -I${GLASSBOX_VMLINUX_DIR} -I${PROJECT_SOURCE_DIR}/include -I${PROJECT_SOURCE_DIR}/bpf
              -MD -MF ${obj}.d -c ${abs} -o ${obj}
      DEPENDS ${abs} ${GLASSBOX_VMLINUX_H} ${arg_DEPENDS}
      DEPFILE ${obj}.d
      COMMENT "BPF ${name}: ${stem}.bpf.c"
      VERBATIM)
    list(APPEND objects ${obj})
  endforeach()
  set(linked ${out_dir}/${name}.bpf.o)
  set(skel ${out_dir}/${name}.skel.h)
  add_custom_command(
    OUTPUT ${linked} ${skel}
    COMMAND ${GLASSBOX_BPFTOOL} gen object ${linked} ${objects}
    COMMAND ${Python3_EXECUTABLE} ${PROJECT_SOURCE_DIR}/scripts/bpf-stack-check.py ${linked}
    COMMAND ${GLASSBOX_BPFTOOL} gen skeleton ${linked} name ${name} > ${skel}.tmp
    COMMAND ${CMAKE_COMMAND} -E rename ${skel}.tmp ${skel}
    DEPENDS ${objects} ${PROJECT_SOURCE_DIR}/scripts/bpf-stack-check.py
    COMMENT "BPF ${name}: linking, checking the stack, generating the skeleton"
    VERBATIM)
  add_custom_target(${name}_skel_gen DEPENDS ${skel})
  add_library(${name}_skel INTERFACE)
  add_dependencies(${name}_skel ${name}_skel_gen)
  target_include_directories(${name}_skel INTERFACE ${out_dir})
endfunction()
