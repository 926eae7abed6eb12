// Landlock ruleset compilation (see landlock.hpp). The system headers predate the newer ABIs, so
// the access bits and the ruleset attribute layout of ABI 3-7 are spelled out here.
#include "enforce/landlock.hpp"

#include <elf.h>
#include <fcntl.h>
#include <linux/landlock.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <fmt/core.h>

#include <cerrno>
#include <cstring>
#include <dirent.h>
#include <fstream>
#include <map>
#include <set>

namespace glassbox::enforce {

namespace {

constexpr std::uint64_t ll_execute = 1ull << 0, ll_write_file = 1ull << 1, ll_read_file = 1ull << 2,
                        ll_read_dir = 1ull << 3, ll_remove_dir = 1ull << 4, ll_remove_file = 1ull << 5,
                        ll_make_char = 1ull << 6, ll_make_dir = 1ull << 7, ll_make_reg = 1ull << 8,
                        ll_make_sock = 1ull << 9, ll_make_fifo = 1ull << 10, ll_make_block = 1ull << 11,
                        ll_make_sym = 1ull << 12, ll_refer = 1ull << 13, ll_truncate = 1ull << 14,
                        ll_ioctl_dev = 1ull << 15;
constexpr std::uint64_t ll_file_only = ll_execute | ll_write_file | ll_read_file | ll_truncate | ll_ioctl_dev;
constexpr std::uint64_t ll_scope_abstract_unix = 1ull << 0, ll_scope_signal = 1ull << 1;

struct ruleset_attr_v6 {
    std::uint64_t handled_access_fs;
    std::uint64_t handled_access_net;
    std::uint64_t scoped;
};

std::uint64_t handled_for_abi(int abi) {
    std::uint64_t h = (ll_make_sym << 1) - 1; // ABI 1: bits 0..12
    if (abi >= 2)
        h |= ll_refer;
    if (abi >= 3)
        h |= ll_truncate;
    if (abi >= 5)
        h |= ll_ioctl_dev;
    return h;
}

std::uint64_t rights_for(std::uint32_t access) {
    std::uint64_t r = 0;
    if (access & acc_read)
        r |= ll_read_file | ll_read_dir | ll_ioctl_dev;
    // Not MAKE_SOCK: a socket file is made by bind(), which network.bind governs (unix_bind).
    if (access & acc_write)
        r |= ll_write_file | ll_truncate | ll_make_reg | ll_make_dir | ll_make_sym | ll_make_fifo | ll_ioctl_dev;
    if (access & acc_exec)
        r |= ll_execute | ll_read_file; // the kernel opens the executable for reading to exec it
    if (access & acc_remove)
        r |= ll_remove_file | ll_remove_dir;
    if (access & acc_refer)
        r |= ll_refer;
    return r;
}

// Files under `anchor` matching `pattern` (bounded walk: the expansion is done once, at start).
void expand_glob(const std::string& anchor, const file_rule& pattern, std::vector<std::string>& out,
                 int depth, std::size_t& budget) {
    if (depth > 16 || budget == 0)
        return;
    DIR* d = opendir(anchor.c_str());
    if (!d)
        return;
    while (dirent* e = readdir(d)) {
        if (!std::strcmp(e->d_name, ".") || !std::strcmp(e->d_name, ".."))
            continue;
        if (budget == 0)
            break;
        --budget;
        std::string p = (anchor == "/" ? "" : anchor) + "/" + e->d_name;
        if (pattern.matches(p))
            out.push_back(p);
        if (e->d_type == DT_DIR)
            expand_glob(p, pattern, out, depth + 1, budget);
    }
    closedir(d);
}

// Whether whole-hierarchy rules ("/top/**") containing `dir` grant every access in `access`
// (possibly several rules between them): a grant on `dir` for those accesses then allows
// nothing the profile does not, and stays exact without the supervisor.
bool hierarchy_covers(const policy& pol, const std::string& dir, std::uint32_t access) {
    std::uint32_t covered = 0;
    for (const auto& r : pol.files) {
        if (!r.pattern.ends_with("/**"))
            continue;
        std::string top = r.pattern.substr(0, r.pattern.size() - 3);
        if (glob_has_wildcard(top))
            continue;
        if (top.empty() || dir == top || dir.starts_with(top + "/"))
            covered |= r.access;
    }
    return (access & ~covered) == 0;
}

bool read_hierarchy_covers(const policy& pol, const std::string& dir) { return hierarchy_covers(pol, dir, acc_read); }

} // namespace

std::string exec_interpreter(const std::string& path) {
    std::ifstream f(path, std::ios::binary);
    if (!f)
        return {};
    char head[4] = {};
    f.read(head, 4);
    if (f.gcount() >= 2 && head[0] == '#' && head[1] == '!') {
        f.seekg(2);
        std::string line;
        std::getline(f, line);
        auto b = line.find_first_not_of(" \t");
        if (b == std::string::npos)
            return {};
        auto e = line.find_first_of(" \t\r", b);
        return line.substr(b, e == std::string::npos ? std::string::npos : e - b);
    }
    if (f.gcount() != 4 || std::memcmp(head, ELFMAG, SELFMAG) != 0)
        return {};
    Elf64_Ehdr eh{};
    f.seekg(0);
    f.read(reinterpret_cast<char*>(&eh), sizeof eh);
    if (!f || eh.e_ident[EI_CLASS] != ELFCLASS64 || eh.e_phentsize != sizeof(Elf64_Phdr) || eh.e_phnum > 256)
        return {};
    for (int i = 0; i < eh.e_phnum; ++i) {
        Elf64_Phdr ph{};
        f.seekg(static_cast<std::streamoff>(eh.e_phoff + i * sizeof ph));
        f.read(reinterpret_cast<char*>(&ph), sizeof ph);
        if (!f)
            return {};
        if (ph.p_type == PT_INTERP && ph.p_filesz > 1 && ph.p_filesz < 4096) {
            std::string interp(ph.p_filesz, '\0');
            f.seekg(static_cast<std::streamoff>(ph.p_offset));
            f.read(interp.data(), static_cast<std::streamsize>(ph.p_filesz));
            interp.resize(std::strlen(interp.c_str()));
            return interp;
        }
    }
    return {};
}

std::vector<std::string> landlock_abi_limits(int abi) {
    std::vector<std::string> out;
    if (abi <= 0)
        return {"Landlock is unavailable: exec, unlink, rename, mkdir and truncate by path are NOT restricted"};
    if (abi < 6)
        out.push_back(fmt::format("Landlock ABI {} < 6: signals to processes outside the sandbox and "
                                  "abstract unix sockets are not scoped",
                                  abi));
    if (abi < 2)
        out.push_back("Landlock ABI 1: renaming/linking files between directories is always denied");
    if (abi < 3)
        out.push_back("Landlock ABI < 3: truncate() by path is not restricted");
    if (abi < 5)
        out.push_back("Landlock ABI < 5: ioctl on devices is not restricted");
    return out;
}

result<landlock_plan> landlock_compile(const policy& pol, bool scope_signals, bool exec_at_exec_time) {
    landlock_plan plan;
    plan.abi = landlock_abi();
    if (plan.abi == 0)
        return std::unexpected(error{"Landlock is not available on this kernel (not built in, or not in the lsm= list)"});
    std::uint64_t handled = handled_for_abi(plan.abi);
    ruleset_attr_v6 attr{handled, 0, 0};
    std::size_t attr_size = plan.abi >= 6 ? sizeof(ruleset_attr_v6) : plan.abi >= 4 ? 16 : 8;
    if (plan.abi >= 6) {
        attr.scoped = scope_signals ? ll_scope_signal : 0;
        bool abstract_allowed = false;
        for (const auto& u : pol.unix_connect)
            abstract_allowed |= u.starts_with("@");
        if (!abstract_allowed)
            attr.scoped |= ll_scope_abstract_unix;
    }
    for (auto& limit : landlock_abi_limits(plan.abi))
        plan.notes.push_back(std::move(limit));

    long fd = syscall(SYS_landlock_create_ruleset, &attr, attr_size, 0);
    if (fd < 0)
        return std::unexpected(error{fmt::format("landlock_create_ruleset: {}", std::strerror(errno))});
    plan.ruleset.reset(static_cast<int>(fd));

    // Collect (path -> rights), merging rules that land on the same object.
    std::map<std::string, std::uint64_t> grants;
    auto grant = [&](const std::string& p, std::uint64_t r) { grants[p] |= r; };

    for (const auto& rule : pol.files) {
        if (!rule.pattern.starts_with("/") && !rule.pattern.starts_with("*"))
            continue; // pipe:*, memfd:*, ... are not filesystem paths
        std::uint64_t rights = rights_for(rule.access) & handled;
        if (!rights)
            continue;
        if (!glob_has_wildcard(rule.pattern)) {
            grant(rule.pattern, rights);
            for (std::string interp = (rule.access & acc_exec) ? exec_interpreter(rule.pattern) : "";
                 !interp.empty(); interp.clear())
                grant(interp, (ll_execute | ll_read_file) & handled);
            continue;
        }
        // A trailing "/**" is exactly a Landlock hierarchy.
        if (rule.pattern.ends_with("/**") && !glob_has_wildcard(rule.pattern.substr(0, rule.pattern.size() - 3))) {
            std::string dir = rule.pattern.substr(0, rule.pattern.size() - 3);
            grant(dir.empty() ? "/" : dir, rights);
            continue;
        }
        // Finer globs: executables are expanded to the files that exist now (exact, per-file
        // rules) unless the supervisor decides execs; other rights go to the enclosing hierarchy
        // and are refined by the supervisor.
        std::string anchor = glob_anchor(rule.pattern);
        if (rule.access & acc_exec)
            plan.exec_imprecise = true;
        if ((rule.access & acc_exec) && exec_at_exec_time) {
            // The hierarchy, plus the ELF interpreters (ld.so) of what matches now and of
            // glassbox itself: a program created later most likely uses one of those.
            std::vector<std::string> found;
            std::size_t budget = 20000;
            expand_glob(anchor, rule, found, 0, budget);
            found.push_back("/proc/self/exe");
            std::set<std::string> interps;
            for (const auto& f : found)
                if (auto interp = exec_interpreter(f); !interp.empty() && interps.insert(interp).second)
                    grant(interp, (ll_execute | ll_read_file) & handled);
            // Executing needs READ_FILE too: the hierarchy becomes readable, which only stays
            // exact when a read rule already covers all of it (else the supervisor checks opens).
            grant(anchor, rights);
            if (!read_hierarchy_covers(pol, anchor) || (rights_for(rule.access & ~acc_exec) & handled))
                plan.imprecise = true;
            continue;
        } else if (rule.access & acc_exec) {
            std::vector<std::string> found;
            std::size_t budget = 200000;
            expand_glob(anchor, rule, found, 0, budget);
            for (const auto& f : found) {
                grant(f, (ll_execute | ll_read_file) & handled);
                if (auto interp = exec_interpreter(f); !interp.empty())
                    grant(interp, (ll_execute | ll_read_file) & handled);
            }
            rights = rights_for(rule.access & ~acc_exec) & handled;
        }
        if (rights) {
            grant(anchor, rights);
            // A glob inside a hierarchy the profile allows anyway (a read glob under a read
            // "/dir/**") adds nothing: opens need no supervisor for it.
            if (!hierarchy_covers(pol, anchor, rule.access & ~acc_exec))
                plan.imprecise = true;
        }
    }

    // network.bind "unix PATH": bind() creates the socket file, which Landlock allows with
    // MAKE_SOCK on the directory it is made in (there is no finer grant: the file does not exist
    // before). A rule finer than a directory therefore allows any socket name in that directory.
    for (const auto& pattern : pol.unix_bind) {
        const bool exact =
            pattern.ends_with("/**") && !glob_has_wildcard(pattern.substr(0, pattern.size() - 3));
        std::string dir = exact ? pattern.substr(0, pattern.size() - 3) : glob_anchor(pattern);
        if (!exact && dir == pattern) // an exact socket path: its directory
            dir.resize(dir.rfind('/') == std::string::npos ? 0 : dir.rfind('/'));
        if (dir.empty())
            dir.push_back('/');
        grant(dir, ll_make_sock & handled);
        if (!exact)
            plan.notes.push_back(fmt::format("unix bind rule '{}': Landlock lets the command bind any socket name "
                                             "in {} (a directory is the finest grant for a file not yet made)",
                                             pattern, dir));
    }

    for (auto& [path, rights] : grants) {
        // A rule on a path that does not exist yet goes to the nearest existing directory, with
        // only the rights needed to create it there; the supervisor keeps that exact.
        std::string target = path;
        struct stat st{};
        bool broadened = false;
        while (::stat(target.c_str(), &st) != 0) {
            auto slash = target.rfind('/');
            target = slash == 0 || slash == std::string::npos ? "/" : target.substr(0, slash);
            broadened = true;
        }
        if (broadened) {
            plan.imprecise = true;
            if (rights & ll_execute)
                plan.exec_imprecise = true;
            plan.notes.push_back(fmt::format("{} does not exist: creating it is allowed through a rule on {}",
                                             path, target));
        }
        std::uint64_t r = rights;
        if (!S_ISDIR(st.st_mode))
            r &= ll_file_only;
        if (!r)
            continue;
        int pfd = ::open(target.c_str(), O_PATH | O_CLOEXEC);
        if (pfd < 0)
            continue;
        landlock_path_beneath_attr pb{};
        pb.allowed_access = r;
        pb.parent_fd = pfd;
        if (syscall(SYS_landlock_add_rule, plan.ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
            plan.notes.push_back(fmt::format("Landlock rule on {} rejected: {}", target, std::strerror(errno)));
        ::close(pfd);
    }
    return plan;
}

result<void> landlock_allow_exec_fd(landlock_plan& plan, int fd, const policy& pol) {
    char name[64], buf[4096];
    std::snprintf(name, sizeof name, "/proc/self/fd/%d", fd);
    ssize_t n = readlink(name, buf, sizeof buf - 1);
    if (n <= 0)
        return std::unexpected(error{fmt::format("cannot read the path of the executable: {}", std::strerror(errno))});
    std::string path(buf, static_cast<std::size_t>(n));
    if (!pol.file_allows(path, acc_exec))
        return {}; // not allowed: Landlock denies it like any other forbidden exec
    landlock_path_beneath_attr pb{};
    pb.allowed_access = (ll_execute | ll_read_file) & handled_for_abi(plan.abi);
    pb.parent_fd = fd;
    if (syscall(SYS_landlock_add_rule, plan.ruleset.get(), LANDLOCK_RULE_PATH_BENEATH, &pb, 0) != 0)
        return std::unexpected(error{fmt::format("Landlock rule on {} rejected: {}", path, std::strerror(errno))});
    return {};
}

result<landlock_plan> landlock_scope_only() {
    landlock_plan plan;
    plan.abi = landlock_abi();
    if (plan.abi < 6)
        return std::unexpected(error{"Landlock ABI < 6: no scope-only domain"});
    int fd = landlock_scope_signal_ruleset();
    if (fd < 0)
        return std::unexpected(error{fmt::format("landlock_create_ruleset: {}", std::strerror(errno))});
    plan.ruleset.reset(fd);
    return plan;
}

result<void> landlock_apply(int ruleset_fd) {
    if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
        return std::unexpected(error{"prctl(PR_SET_NO_NEW_PRIVS) failed"});
    if (syscall(SYS_landlock_restrict_self, ruleset_fd, 0) != 0)
        return std::unexpected(error{"landlock_restrict_self failed"});
    return {};
}

} // namespace glassbox::enforce
