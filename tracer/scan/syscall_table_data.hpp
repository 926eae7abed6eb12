// The raw syscall name tables (generated data in syscall_table_data.cpp); syscall_table.cpp wraps
// them with lookups, categories and the sensitive flag.
#pragma once

#include <array>
#include <string_view>

namespace glassbox::scan::detail {

extern const std::array<std::string_view, 470> x86_64_syscall_names;
extern const std::array<std::string_view, 470> i386_syscall_names;

} // namespace glassbox::scan::detail
