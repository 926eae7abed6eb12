// cgroup v2 scope for a recording (see include/glassbox/record.hpp): finds or mounts the cgroup2
// hierarchy (through the one finder in include/glassbox/mountinfo.hpp), creates a fresh directory
// per run (the child is born inside it), tells whether it is still populated, kills what is left
// and removes it. First step of the data path: the BPF
// programs test membership of this cgroup (plus a pid set) to decide what is in scope.
#include <glassbox/mountinfo.hpp>
#include <glassbox/record.hpp>

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <atomic>
#include <cerrno>
#include <csignal>
#include <cstring>
#include <dirent.h>
#include <fcntl.h>
#include <fstream>
#include <sstream>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>

namespace glassbox::record {

namespace {

std::string read_file(const std::string& path) {
    std::ifstream in(path);
    std::stringstream ss;
    ss << in.rdbuf();
    return ss.str();
}

void collect_pids(const std::string& dir, std::vector<pid_t>& out, int depth) {
    std::istringstream procs(read_file(dir + "/cgroup.procs"));
    pid_t p;
    while (procs >> p)
        out.push_back(p);
    if (depth > 16)
        return;
    // Sub-cgroups the traced program created.
    std::string ls = dir;
    if (auto* d = opendir(ls.c_str())) {
        while (auto* e = readdir(d)) {
            if (e->d_type == DT_DIR && e->d_name[0] != '.')
                collect_pids(dir + "/" + e->d_name, out, depth + 1);
        }
        closedir(d);
    }
}

void remove_tree(const std::string& dir, int depth) {
    if (depth < 16) {
        if (auto* d = opendir(dir.c_str())) {
            std::vector<std::string> subs;
            while (auto* e = readdir(d))
                if (e->d_type == DT_DIR && e->d_name[0] != '.')
                    subs.push_back(dir + "/" + e->d_name);
            closedir(d);
            for (auto& s : subs)
                remove_tree(s, depth + 1);
        }
    }
    ::rmdir(dir.c_str());
}

} // namespace

result<std::string> cgroup2_root() { return glassbox::cgroup2_root(); }

result<cgroup_dir> cgroup_dir::create(const std::string& prefix) {
    auto root = cgroup2_root();
    if (!root)
        return std::unexpected(root.error());
    cgroup_dir cg;
    for (int attempt = 0; attempt < 100; ++attempt) {
        std::string path = fmt::format("{}/{}-{}-{}", *root, prefix, ::getpid(), attempt);
        if (::mkdir(path.c_str(), 0755) == 0) {
            cg.path_ = path;
            cg.owned_ = true;
            break;
        }
        if (errno != EEXIST)
            return std::unexpected(
                error{fmt::format("cannot create the cgroup {}: {}", path, std::strerror(errno))});
    }
    if (cg.path_.empty())
        return std::unexpected(error{"cannot create a cgroup: too many leftovers"});
    cg.fd_ = ::open(cg.path_.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg.fd_ < 0)
        return std::unexpected(error{fmt::format("cannot open {}: {}", cg.path_, std::strerror(errno))});
    struct stat st{};
    ::fstat(cg.fd_, &st);
    cg.id_ = st.st_ino;
    return cg;
}

result<cgroup_dir> cgroup_dir::open_existing(const std::string& path) {
    cgroup_dir cg;
    cg.path_ = path;
    cg.fd_ = ::open(path.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (cg.fd_ < 0)
        return std::unexpected(error{fmt::format("cannot open the cgroup {}: {}", path, std::strerror(errno))});
    if (::access((path + "/cgroup.procs").c_str(), R_OK) != 0)
        return std::unexpected(error{fmt::format("{} is not a cgroup v2 directory", path)});
    struct stat st{};
    ::fstat(cg.fd_, &st);
    cg.id_ = st.st_ino;
    return cg;
}

cgroup_dir::cgroup_dir(cgroup_dir&& o) noexcept
    : path_(std::move(o.path_)), fd_(o.fd_), id_(o.id_), owned_(o.owned_) {
    o.fd_ = -1;
    o.owned_ = false;
}

cgroup_dir& cgroup_dir::operator=(cgroup_dir&& o) noexcept {
    if (this != &o) {
        reset();
        path_ = std::move(o.path_);
        fd_ = o.fd_;
        id_ = o.id_;
        owned_ = o.owned_;
        o.fd_ = -1;
        o.owned_ = false;
    }
    return *this;
}

cgroup_dir::~cgroup_dir() { reset(); }

void cgroup_dir::reset() {
    if (owned_) {
        // Nothing may outlive the run inside our cgroup; then the directory can go.
        for (int i = 0; i < 50 && populated(); ++i) {
            kill();
            std::this_thread::sleep_for(std::chrono::milliseconds(20));
        }
        remove_tree(path_, 0);
        owned_ = false;
    }
    if (fd_ >= 0) {
        ::close(fd_);
        fd_ = -1;
    }
}

bool cgroup_dir::populated() const {
    std::string events = read_file(path_ + "/cgroup.events");
    if (events.empty())
        return !pids().empty();
    return events.find("populated 1") != std::string::npos;
}

std::vector<pid_t> cgroup_dir::pids() const {
    std::vector<pid_t> out;
    collect_pids(path_, out, 0);
    return out;
}

void cgroup_dir::kill() const {
    if (write_kernel_file(path_ + "/cgroup.kill", "1"))
        return;
    for (pid_t p : pids())
        ::kill(p, SIGKILL);
}

} // namespace glassbox::record
