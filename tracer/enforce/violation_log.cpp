// Standalone enforcement trace writer (see violation_log.hpp).
#include "enforce/violation_log.hpp"

#include <fcntl.h>
#include <sys/utsname.h>
#include <sys/wait.h>
#include <unistd.h>

#include <glassbox/log.hpp>

#include <fmt/core.h>
#include <nlohmann/json.hpp>

#include <climits>
#include <cstring>
#include <cstdio>
#include <ctime>
#include <filesystem>
#include <fstream>

namespace glassbox::enforce {

namespace {
std::int64_t clock_ns(clockid_t c) {
    timespec ts{};
    clock_gettime(c, &ts);
    return std::int64_t(ts.tv_sec) * 1000000000LL + ts.tv_nsec;
}

std::string rfc3339(std::int64_t ns) {
    time_t secs = static_cast<time_t>(ns / 1000000000LL);
    tm t{};
    gmtime_r(&secs, &t);
    char buf[64];
    strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &t);
    return fmt::format("{}.{:09d}Z", buf, ns % 1000000000LL);
}

struct json_sink {
    nlohmann::json& j;
    void str(const char* k, const std::string& v) { j[k] = v; }
    void num(const char* k, long v) { j[k] = v; }
};

// Common event fields from /proc (best effort: the process may be gone, then nulls).
void common_fields(nlohmann::json& j, int pid, int tid) {
    j["pid"] = pid;
    j["tid"] = tid ? tid : pid;
    std::ifstream st(fmt::format("/proc/{}/status", pid));
    std::string line;
    j["ppid"] = nullptr;
    j["uid"] = nullptr;
    j["euid"] = nullptr;
    j["comm"] = nullptr;
    while (std::getline(st, line)) {
        if (line.starts_with("Name:\t"))
            j["comm"] = line.substr(6);
        else if (line.starts_with("PPid:\t"))
            j["ppid"] = std::atoi(line.c_str() + 6);
        else if (line.starts_with("Uid:\t")) {
            int r = 0, e = 0;
            std::sscanf(line.c_str() + 5, "%d %d", &r, &e);
            j["uid"] = r;
            j["euid"] = e;
        }
    }
    char exe[PATH_MAX];
    ssize_t n = readlink(fmt::format("/proc/{}/exe", pid).c_str(), exe, sizeof exe);
    j["exe"] = n > 0 ? nlohmann::json(std::string(exe, static_cast<std::size_t>(n))) : nlohmann::json(nullptr);
}
} // namespace

violation_log::violation_log(std::string path, std::vector<std::string> command, std::string profile_path, mode m)
    : path_(std::move(path)), profile_path_(std::move(profile_path)), command_(std::move(command)), mode_(m) {
    start_mono_ = clock_ns(CLOCK_MONOTONIC);
    start_real_ = clock_ns(CLOCK_REALTIME);
    if (path_.empty())
        return;
    partial_ = path_ + ".partial";
    fd_ = ::open(partial_.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (fd_ < 0)
        error_ = fmt::format("cannot write {}: {}", partial_, std::strerror(errno));
}

violation_log::~violation_log() {
    if (fd_ >= 0)
        ::close(fd_);
}

void violation_log::write_line(const std::string& line) {
    if (fd_ < 0)
        return;
    std::string l = line + "\n";
    if (::write(fd_, l.data(), l.size()) != static_cast<ssize_t>(l.size()))
        error_ = "short write to the trace";
}

void violation_log::set_root(int pid, const std::string& cgroup) {
    std::lock_guard lk(mu_);
    root_pid_ = pid;
    cgroup_ = cgroup;
    if (header_written_)
        return;
    header_written_ = true;
    utsname u{};
    uname(&u);
    nlohmann::json h;
    h["type"] = "header";
    h["format"] = "glassbox-trace";
    h["version"] = 1;
    h["glassbox_version"] = glassbox::version();
    h["mode"] = "enforce";
    h["command"] = command_;
    h["cwd"] = std::filesystem::current_path().string();
    h["host"] = u.nodename;
    h["kernel"] = u.release;
    h["start_wall"] = rfc3339(start_real_);
    h["start_ns"] = start_real_;
    h["root_pid"] = pid;
    h["cgroup"] = cgroup;
    h["profile"] = {{"path", profile_path_}, {"mode", std::string(mode_name(mode_))}};
    write_line(h.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void violation_log::add(const violation& v) {
    nlohmann::json j;
    j["type"] = "violation";
    std::int64_t ts = static_cast<std::int64_t>(v.ts_ns) - start_mono_;
    j["ts"] = ts < 0 ? 0 : ts;
    common_fields(j, v.pid, v.tid);
    json_sink s{j};
    visit_violation_fields(v, s);
    std::lock_guard lk(mu_);
    all_.push_back(v);
    ++counts_["violation"];
    write_line(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
}

void violation_log::finish(int wait_status, bool ended_by_signal, std::uint64_t lost) {
    std::lock_guard lk(mu_);
    if (fd_ < 0)
        return;
    nlohmann::json s;
    s["type"] = "summary";
    s["events"] = all_.size();
    s["counts"] = counts_;
    s["duration_ns"] = clock_ns(CLOCK_MONOTONIC) - start_mono_;
    s["lost"] = lost;
    s["lost_by_cpu"] = nlohmann::json::array();
    if (WIFSIGNALED(wait_status))
        s["exit"] = {{"signal", WTERMSIG(wait_status)}};
    else
        s["exit"] = {{"code", WEXITSTATUS(wait_status)}};
    s["ended_by"] = ended_by_signal ? "signal" : "exit";
    s["complete"] = true;
    write_line(s.dump());
    fsync(fd_);
    ::close(fd_);
    fd_ = -1;
    if (::rename(partial_.c_str(), path_.c_str()) != 0)
        error_ = fmt::format("cannot rename {} to {}", partial_, path_);
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
