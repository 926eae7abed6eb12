// Capstone for the syscall-site analysis (disasm.cpp) and the function-start sweep for binaries
// without symbols or unwind tables (function_starts.cpp): RAII owners of an x86-64 handle and of
// one decoded instruction.
//
// libcapstone is loaded with dlopen() the first time a handle is opened, not linked: its 1.3 MB of
// relocated tables cost every process that links it ~8 ms of dynamic loading on the lab VM, and
// only `scan` uses it (`run` pays its start-up before the traced command starts; see
// docs/recording.md "Start-up"). The header still gives the types and constants.
#pragma once

#include <glassbox/error.hpp>

#include <capstone/capstone.h>

#include <memory>
#include <utility>

namespace glassbox::scan {

// The Capstone functions glassbox calls, resolved from the shared library.
struct capstone_api {
    decltype(&::cs_open) open;
    decltype(&::cs_option) option;
    decltype(&::cs_close) close;
    decltype(&::cs_malloc) malloc;
    decltype(&::cs_free) free;
    decltype(&::cs_disasm_iter) disasm_iter;
    decltype(&::cs_regs_access) regs_access;
};

// Loads the library once (thread-safe); an error names the library and dlopen's reason.
result<const capstone_api*> load_capstone();

struct insn_deleter {
    const capstone_api* api = nullptr;
    void operator()(cs_insn* i) const { api->free(i, 1); }
};
using insn_ptr = std::unique_ptr<cs_insn, insn_deleter>;

class capstone_handle {
  public:
    // `detail`: operand details (the back-walk needs them; a plain sweep is faster without).
    static result<capstone_handle> open(bool detail) {
        auto api = load_capstone();
        if (!api)
            return std::unexpected(api.error());
        capstone_handle h;
        if ((*api)->open(CS_ARCH_X86, CS_MODE_64, &h.h_) != CS_ERR_OK)
            return std::unexpected(error{"capstone: cannot open an x86-64 disassembler"});
        h.api_ = *api;
        h.api_->option(h.h_, CS_OPT_DETAIL, detail ? CS_OPT_ON : CS_OPT_OFF);
        return h;
    }
    capstone_handle() = default;
    capstone_handle(capstone_handle&& o) noexcept : h_(o.h_), api_(o.api_) { o.h_ = 0; }
    capstone_handle& operator=(capstone_handle&& o) noexcept {
        std::swap(h_, o.h_);
        std::swap(api_, o.api_);
        return *this;
    }
    capstone_handle(const capstone_handle&) = delete;
    capstone_handle& operator=(const capstone_handle&) = delete;
    ~capstone_handle() {
        if (h_)
            api_->close(&h_);
    }
    csh get() const { return h_; }
    // One instruction buffer for disasm_iter().
    insn_ptr alloc_insn() const { return insn_ptr(api_->malloc(h_), insn_deleter{api_}); }
    // Decodes the instruction at *code (cs_disasm_iter: advances code, size and address).
    bool disasm_iter(const uint8_t** code, size_t* size, uint64_t* address, cs_insn* insn) const {
        return api_->disasm_iter(h_, code, size, address, insn);
    }
    bool regs_access(const cs_insn* insn, cs_regs regs_read, uint8_t* nread, cs_regs regs_write,
                     uint8_t* nwrite) const {
        return api_->regs_access(h_, insn, regs_read, nread, regs_write, nwrite) == CS_ERR_OK;
    }

  private:
    csh h_ = 0;
    const capstone_api* api_ = nullptr;
};

} // namespace glassbox::scan
