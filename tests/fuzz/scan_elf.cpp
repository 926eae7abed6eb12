// libFuzzer harness for the scan ELF reader and code analysis: any byte string goes through
// read_elf() and, when it parses as x86-64, through the Capstone back-walk (analyse_code). Must
// never crash, hang or read out of bounds; errors are fine. Corpus: tests/fuzz/corpus/scan_elf/.
#include "scan/disasm.hpp"
#include "scan/elf_reader.hpp"
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    if (size > (8u << 20))
        return 0;
    // A private copy: read_elf may let libelf convert data in place.
    std::vector<std::byte> buf(size);
    if (size)
        std::memcpy(buf.data(), data, size);
    auto img = glassbox::scan::read_elf(buf);
    if (!img)
        return 0;
    auto code = glassbox::scan::analyse_code(*img, {{"syscall", 0}});
    (void)code;
    return 0;
}
