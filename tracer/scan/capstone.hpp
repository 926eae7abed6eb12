// RAII owners for Capstone (x86-64 handle, one decoded instruction), shared by the syscall-site
// analysis (disasm.cpp) and the function-start sweep for binaries without symbols or unwind
// tables (function_starts.cpp).
#pragma once

#include <glassbox/error.hpp>

#include <capstone/capstone.h>

#include <memory>
#include <utility>

namespace glassbox::scan {

class capstone_handle {
  public:
    // `detail`: operand details (the back-walk needs them; a plain sweep is faster without).
    static result<capstone_handle> open(bool detail) {
        capstone_handle h;
        if (cs_open(CS_ARCH_X86, CS_MODE_64, &h.h_) != CS_ERR_OK)
            return std::unexpected(error{"capstone: cannot open an x86-64 disassembler"});
        cs_option(h.h_, CS_OPT_DETAIL, detail ? CS_OPT_ON : CS_OPT_OFF);
        return h;
    }
    capstone_handle() = default;
    capstone_handle(capstone_handle&& o) noexcept : h_(o.h_) { o.h_ = 0; }
    capstone_handle& operator=(capstone_handle&& o) noexcept {
        std::swap(h_, o.h_);
        return *this;
    }
    capstone_handle(const capstone_handle&) = delete;
    capstone_handle& operator=(const capstone_handle&) = delete;
    ~capstone_handle() {
        if (h_)
            cs_close(&h_);
    }
    csh get() const { return h_; }

  private:
    csh h_ = 0;
};

struct insn_deleter {
    void operator()(cs_insn* i) const { cs_free(i, 1); }
};
using insn_ptr = std::unique_ptr<cs_insn, insn_deleter>;

} // namespace glassbox::scan
