# Test programs for `glassbox scan` (tests/scan_programs/*.c): small binaries with known syscall
# sites, built by the suite and scanned by tests/unit/scan. Variants:
#   <stem>            normal PIE build (calls through the PLT)
#   scan_libc_syscall_noplt   -fno-plt (call *syscall@GOTPCREL(%rip))
#   scan_libc_syscall_static  -static (libc's syscall() is local code: a discovered dispatcher)
#   scan_inline_stripped      strip --strip-all copy (functions only from .eh_frame)
#   scan_inline_noeh, scan_libc_syscall_static_noeh
#                             stripped AND without .eh_frame/.eh_frame_hdr (functions only from
#                             the sweep: call targets and prologues)
#   scan_inline_truncated     the first 2000 bytes (truncated ELF)
#   scan_inline_corrupt       e_shoff overwritten with garbage (corrupt section headers)
#   scan_i386.o               a 32-bit i386 ELF (objcopy -I binary -O elf32-i386)
#   scan_not_elf.txt          not an ELF file at all
set(GLASSBOX_SCAN_PROGRAMS_DIR ${CMAKE_CURRENT_BINARY_DIR}/scan_programs)
file(GLOB scan_program_sources CONFIGURE_DEPENDS ${CMAKE_CURRENT_SOURCE_DIR}/scan_programs/*.c)
set(scan_program_targets "")
function(glassbox_scan_program target source)
  add_executable(${target} ${source})
  set_target_properties(${target} PROPERTIES RUNTIME_OUTPUT_DIRECTORY ${GLASSBOX_SCAN_PROGRAMS_DIR})
  # -O1 keeps the noinline helpers as real functions; unwind tables give stripped copies their
  # function starts. No -Werror games: these are inputs, not product code.
  target_compile_options(${target} PRIVATE -O1 -fasynchronous-unwind-tables -fno-lto)
endfunction()
foreach(src IN LISTS scan_program_sources)
  get_filename_component(stem ${src} NAME_WE)
  glassbox_scan_program(${stem} ${src})
  list(APPEND scan_program_targets ${stem})
endforeach()
if(TARGET scan_libc_syscall)
  glassbox_scan_program(scan_libc_syscall_noplt ${CMAKE_CURRENT_SOURCE_DIR}/scan_programs/scan_libc_syscall.c)
  target_compile_options(scan_libc_syscall_noplt PRIVATE -fno-plt)
  glassbox_scan_program(scan_libc_syscall_static ${CMAKE_CURRENT_SOURCE_DIR}/scan_programs/scan_libc_syscall.c)
  target_link_options(scan_libc_syscall_static PRIVATE -static)
  list(APPEND scan_program_targets scan_libc_syscall_noplt scan_libc_syscall_static)
endif()

set(d ${GLASSBOX_SCAN_PROGRAMS_DIR})
find_program(GLASSBOX_OBJCOPY objcopy REQUIRED)
find_program(GLASSBOX_STRIP strip REQUIRED)
add_custom_command(
  OUTPUT ${d}/scan_inline_stripped ${d}/scan_inline_truncated ${d}/scan_inline_corrupt
         ${d}/scan_i386.o ${d}/scan_not_elf.txt
  COMMAND ${GLASSBOX_STRIP} --strip-all -o ${d}/scan_inline_stripped $<TARGET_FILE:scan_inline>
  COMMAND sh -c "head -c 2000 '$<TARGET_FILE:scan_inline>' > '${d}/scan_inline_truncated'"
  COMMAND ${CMAKE_COMMAND} -E copy $<TARGET_FILE:scan_inline> ${d}/scan_inline_corrupt
  # e_shoff (offset 40, 8 bytes) -> far past the end of the file
  COMMAND sh -c "printf '\\377\\377\\377\\177\\000\\000\\000\\000' | dd of='${d}/scan_inline_corrupt' bs=1 seek=40 conv=notrunc status=none"
  COMMAND sh -c "printf 'this is not an ELF file\\n' > '${d}/scan_blob.bin' && cd '${d}' && ${GLASSBOX_OBJCOPY} -I binary -O elf32-i386 -B i386 scan_blob.bin scan_i386.o"
  COMMAND sh -c "printf '#!/bin/sh\\necho not elf\\n' > '${d}/scan_not_elf.txt'"
  DEPENDS scan_inline
  COMMENT "scan test inputs: stripped, truncated, corrupt, i386 and non-ELF files"
  VERBATIM)
add_custom_command(
  OUTPUT ${d}/scan_inline_noeh ${d}/scan_libc_syscall_static_noeh
  COMMAND ${GLASSBOX_OBJCOPY} --strip-all --remove-section=.eh_frame --remove-section=.eh_frame_hdr
          $<TARGET_FILE:scan_inline> ${d}/scan_inline_noeh
  COMMAND ${GLASSBOX_OBJCOPY} --strip-all --remove-section=.eh_frame --remove-section=.eh_frame_hdr
          $<TARGET_FILE:scan_libc_syscall_static> ${d}/scan_libc_syscall_static_noeh
  DEPENDS scan_inline scan_libc_syscall_static
  COMMENT "scan test inputs: stripped copies without unwind tables"
  VERBATIM)
add_custom_target(scan_program_variants DEPENDS ${d}/scan_inline_stripped ${d}/scan_inline_truncated
                  ${d}/scan_inline_corrupt ${d}/scan_i386.o ${d}/scan_not_elf.txt
                  ${d}/scan_inline_noeh ${d}/scan_libc_syscall_static_noeh)
add_custom_target(scan_programs DEPENDS ${scan_program_targets} scan_program_variants)

foreach(t unit_scan integration_scan)
  if(TARGET ${t})
    add_dependencies(${t} scan_programs)
    target_compile_definitions(${t} PRIVATE GLASSBOX_SCAN_PROGRAMS="${GLASSBOX_SCAN_PROGRAMS_DIR}")
  endif()
endforeach()
if(TARGET fuzz_scan_elf)
  add_dependencies(fuzz_scan_elf scan_programs)
endif()
