// The x86-64 code analysis of `glassbox scan`: finds every syscall site in an ELF image's code and
// recovers the syscall number by walking back through the instructions that reach it (across
// merging branches), resolves calls to functions that take the number as an argument (libc's
// syscall(), local wrappers, exported wrappers of dependencies) at their call sites, and marks what
// stays unknown. Uses Capstone with RAII handles; only functions that contain a candidate byte
// pattern are decoded, which keeps a whole libc under a second.
#pragma once

#include <glassbox/scan.hpp>

#include "scan/elf_reader.hpp"
#include <map>
#include <string>
#include <vector>

namespace glassbox::scan {

struct code_analysis {
    std::vector<site> sites; // sorted by address
    std::vector<socket_use> sockets;
    std::map<std::string, int>
        exported_dispatchers; // exported name -> argument index of the number
    std::size_t functions_decoded = 0;
    std::vector<std::string> warnings;
};

// `dispatchers`: imported functions whose argument N is a syscall number (at least {"syscall", 0}).
result<code_analysis> analyse_code(const elf_image& img,
                                   const std::map<std::string, int>& dispatchers);

} // namespace glassbox::scan
