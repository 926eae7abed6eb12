// The ELF reader of `glassbox scan`: turns the bytes of one file into the facts the disassembler
// and the dependency resolver need (code regions, function starts from symbols or .eh_frame, PLT
// stubs and GOT slots named by their relocations, imports, DT_NEEDED/RUNPATH/RPATH, the
// interpreter, library names that look dlopen'ed). Built on libelf over an in-memory image, with
// every offset bounds-checked: the input is untrusted (fuzzed by tests/fuzz/scan_elf.cpp).
#pragma once

#include <glassbox/error.hpp>

#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <span>
#include <string>
#include <vector>

namespace glassbox::scan {

// A read-only view of a file kept mapped for as long as the image is used (RAII over mmap).
class mapped_file {
  public:
    static result<mapped_file> open(const std::string& path);
    mapped_file() = default;
    mapped_file(mapped_file&& o) noexcept;
    mapped_file& operator=(mapped_file&& o) noexcept;
    mapped_file(const mapped_file&) = delete;
    mapped_file& operator=(const mapped_file&) = delete;
    ~mapped_file();

    std::span<std::byte> bytes() const { return {static_cast<std::byte*>(data_), size_}; }

  private:
    void* data_ = nullptr;
    std::size_t size_ = 0;
};

struct code_region {
    std::string name; // section name, or "PT_LOAD[n]" when the file has no section headers
    std::uint64_t address = 0;
    std::span<const std::uint8_t> bytes;
};

struct elf_image {
    // Identity
    int elf_class = 0;     // 32 or 64
    int machine = 0;       // e_machine
    std::string arch;      // "x86-64", "i386", "aarch64", ... (human name)
    std::string type;      // executable, pie-executable, shared-object, relocatable
    bool stripped = false; // no .symtab

    // Dynamic linking
    std::string interpreter;
    std::string soname;
    std::vector<std::string> needed;
    std::vector<std::string> runpath;
    std::vector<std::string> rpath;
    std::vector<std::string> imports; // undefined dynamic symbols (functions and untyped)
    std::vector<std::string> exports; // defined dynamic function symbols

    // Code
    std::vector<code_region> code;
    std::map<std::uint64_t, std::string> functions; // start -> name ("" when only from .eh_frame)
    std::string function_source; // "symtab", "dynsym", "eh_frame", "sweep", "none" (joined by '+')
    std::map<std::uint64_t, std::string> got_slots; // GOT slot address -> symbol (from relocations)
    std::map<std::uint64_t, std::string> plt_stubs; // PLT stub entry address -> symbol

    // Strings in read-only data that look like shared library names (dlopen candidates).
    std::vector<std::string> library_strings;

    std::vector<std::string> warnings; // recoverable oddities (a section out of bounds, ...)
};

// Parses an ELF image held in `bytes` (which must stay alive while the result is used: code
// regions point into it). libelf may byte-swap in place, so the buffer is writable.
// Errors are one line: "not an ELF file", "truncated ELF header", "32-bit ELF (i386): ...".
result<elf_image> read_elf(std::span<std::byte> bytes);

// Function starts of x86-64 code without symbols or unwind tables, from one linear sweep:
// direct call targets, and frame-opening instructions at aligned addresses after the end of the
// previous function (function_starts.cpp). Sorted, unique.
std::vector<std::uint64_t> sweep_function_starts(const std::vector<code_region>& code);

// The human name of an e_machine value ("x86-64", "aarch64", "EM_183").
std::string machine_name(int machine);

// Quick check of the first bytes: is this an ELF file at all (magic only)?
bool has_elf_magic(std::span<const std::byte> bytes);

} // namespace glassbox::scan
