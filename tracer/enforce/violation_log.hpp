// Violation bookkeeping for the command line: the field order of the trace's `violation` event
// (docs/trace-format.md), shared by every writer, and a thread-safe tally of the decisions for the
// end-of-run report on stderr (the supervisor and the network reader both report).
#pragma once

#include "enforce/policy.hpp"

#include <cstddef>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace glassbox::enforce {

// Visits the violation-specific fields in their documented order. `Sink` has
// str(key, value) and num(key, value).
template <typename Sink>
void visit_violation_fields(const violation& v, Sink& s) {
    s.str("section", v.section);
    s.str("attempted", v.what);
    if (!v.syscall.empty())
        s.str("syscall", v.syscall);
    if (!v.path.empty())
        s.str("path", v.path);
    if (!v.access.empty())
        s.str("access", v.access);
    if (!v.addr.empty())
        s.str("addr", v.addr);
    if (v.port >= 0)
        s.num("port", v.port);
    if (!v.protocol.empty())
        s.str("protocol", v.protocol);
    if (!v.name.empty())
        s.str("name", v.name);
    s.str("action", v.action);
    s.str("mechanism", v.mechanism);
}

class violation_log {
public:
    void add(const violation& v);
    std::size_t count() const;
    std::size_t denied() const;
    std::map<std::string, std::size_t> by_section() const;
    std::vector<violation> all() const;

private:
    mutable std::mutex mu_;
    std::vector<violation> all_;
};

} // namespace glassbox::enforce
