// libFuzzer harness for the trace reader and the analysis stages behind it: any byte string fed
// as a trace file must end in events, an error or a warning, never a crash, hang or sanitizer
// report. The input goes through a memfd so the real file-reading path is exercised. The
// memoising normaliser learn and diff use is checked against normalise_subject on every subject
// (a differential check: any disagreement aborts).
#include <glassbox/analysis.hpp>
#include <glassbox/trace_reader.hpp>

#include "analysis/engine.hpp"

#include <sys/mman.h>
#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <string>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
    int fd = memfd_create("glassbox-fuzz-trace", MFD_CLOEXEC);
    if (fd < 0)
        return 0;
    const uint8_t* p = data;
    size_t left = size;
    while (left > 0) {
        ssize_t n = write(fd, p, left);
        if (n <= 0)
            break;
        p += n;
        left -= static_cast<size_t>(n);
    }
    std::string path = "/proc/self/fd/" + std::to_string(fd);
    if (auto r = glassbox::trace::reader::open(path)) {
        glassbox::analysis::extractor ex;
        glassbox::analysis::process_tree tree;
        glassbox::analysis::subject_normaliser memo;
        std::size_t n = 0;
        while (true) {
            auto e = (*r)->next();
            if (!e || !*e || ++n > 100000)
                break;
            tree.observe(**e);
            (void)tree.chain((*e)->pid);
            ex.extract(**e, [&memo](const glassbox::analysis::behaviour& b) {
                auto plain = glassbox::analysis::normalise_subject(b.sec, b.subject);
                if (memo(b.sec, b.subject) != plain)
                    std::abort();
            });
        }
    }
    close(fd);
    return 0;
}
