// Loads libcapstone on first use (see capstone.hpp for why it is not linked).
#include "scan/capstone.hpp"

#include <dlfcn.h>
#include <fmt/format.h>

#include <mutex>

namespace glassbox::scan {

namespace {
template <typename F> bool resolve(void* lib, const char* name, F& out) {
    out = reinterpret_cast<F>(::dlsym(lib, name));
    return out != nullptr;
}
} // namespace

result<const capstone_api*> load_capstone() {
    static std::once_flag once;
    static capstone_api api{};
    static std::string failure;
    std::call_once(once, [] {
        // The library of the Capstone whose header this was built against (CMake passes its soname).
        void* lib = ::dlopen(GLASSBOX_CAPSTONE_SONAME, RTLD_NOW | RTLD_LOCAL);
        if (!lib) {
            const char* why = ::dlerror();
            failure = fmt::format("capstone: cannot load {} ({}); install the libcapstone4 package",
                                  GLASSBOX_CAPSTONE_SONAME, why ? why : "unknown reason");
            return;
        }
        if (!(resolve(lib, "cs_open", api.open) && resolve(lib, "cs_option", api.option) &&
              resolve(lib, "cs_close", api.close) && resolve(lib, "cs_malloc", api.malloc) &&
              resolve(lib, "cs_free", api.free) && resolve(lib, "cs_disasm_iter", api.disasm_iter) &&
              resolve(lib, "cs_regs_access", api.regs_access)))
            failure = fmt::format("capstone: {} lacks a function glassbox needs", GLASSBOX_CAPSTONE_SONAME);
    });
    if (!failure.empty())
        return std::unexpected(error{failure});
    return &api;
}

} // namespace glassbox::scan
