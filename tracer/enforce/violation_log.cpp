// Thread-safe violation tally (see violation_log.hpp).
#include "enforce/violation_log.hpp"

namespace glassbox::enforce {

void violation_log::add(const violation& v) {
    std::lock_guard lk(mu_);
    all_.push_back(v);
}

std::size_t violation_log::count() const {
    std::lock_guard lk(mu_);
    return all_.size();
}

std::size_t violation_log::denied() const {
    std::lock_guard lk(mu_);
    std::size_t n = 0;
    for (const auto& v : all_)
        n += v.action != "allowed";
    return n;
}

std::map<std::string, std::size_t> violation_log::by_section() const {
    std::lock_guard lk(mu_);
    std::map<std::string, std::size_t> m;
    for (const auto& v : all_)
        ++m[v.section];
    return m;
}

std::vector<violation> violation_log::all() const {
    std::lock_guard lk(mu_);
    return all_;
}

} // namespace glassbox::enforce
