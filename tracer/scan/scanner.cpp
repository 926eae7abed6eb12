// The scan orchestration (include/glassbox/scan.hpp): per-file analysis (ELF facts + syscall sites,
// cached by canonical path so a libc shared by a thousand binaries is read once), the dependency
// closure of each top-level binary resolved like ld.so, and the two surfaces: `own` (the binary's
// code and its libc imports) and `all` (own plus every dependency's own surface).
#include <glassbox/log.hpp>
#include <glassbox/scan.hpp>

#include <fmt/core.h>
#include <spdlog/spdlog.h>

#include "scan/disasm.hpp"
#include "scan/elf_reader.hpp"
#include "scan/ld_resolver.hpp"
#include <algorithm>
#include <cstdio>
#include <deque>
#include <filesystem>
#include <fstream>
#include <set>
#include <unistd.h>
#include <unordered_map>

namespace fs = std::filesystem;

namespace glassbox::scan {

namespace {

struct file_analysis {
    std::string path;
    std::string error;
    std::uint64_t size = 0;
    std::string sha256;
    elf_image img; // code spans are cleared once analysed (the mapping is gone)
    std::vector<site> sites;
    std::vector<socket_use> sockets;
    std::map<std::string, int> exported_dispatchers;
    std::vector<std::string> warnings;
    surface own;
    std::size_t unresolved = 0;
    bool in_progress = false;
};

std::string canonical_or_same(const std::string& p) {
    std::error_code ec;
    auto c = fs::weakly_canonical(p, ec);
    return ec ? p : c.string();
}

void add_evidence(surface& s, syscall_id id, evidence e, std::size_t cap = 64) {
    auto& v = s[id];
    if (v.size() < cap && std::find(v.begin(), v.end(), e) == v.end())
        v.push_back(std::move(e));
}

bool read_magic(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    char m[4] = {};
    return in.read(m, 4) && m[0] == 0x7f && m[1] == 'E' && m[2] == 'L' && m[3] == 'F';
}

} // namespace

struct scanner::impl {
    scan_options opts;
    ld_resolver ld;
    std::unordered_map<std::string, std::unique_ptr<file_analysis>> cache;

    explicit impl(scan_options o) : opts(std::move(o)), ld(opts.sysroot) {}

    file_analysis& analyse(const std::string& raw_path) {
        std::string path = canonical_or_same(raw_path);
        auto it = cache.find(path);
        if (it != cache.end())
            return *it->second;
        auto fa = std::make_unique<file_analysis>();
        file_analysis& a = *fa;
        cache.emplace(path, std::move(fa));
        a.path = path;
        a.in_progress = true;
        auto mf = mapped_file::open(path);
        if (!mf) {
            a.error = mf.error().message;
            a.in_progress = false;
            return a;
        }
        auto bytes = mf->bytes();
        a.size = bytes.size();
        a.sha256 = sha256_hex(bytes.data(), bytes.size());
        if (bytes.empty()) {
            a.error = "empty file";
            a.in_progress = false;
            return a;
        }
        auto img = read_elf(bytes);
        if (!img) {
            a.error = img.error().message;
            a.in_progress = false;
            return a;
        }
        a.img = std::move(*img);
        // Dispatchers: libc's syscall() always, plus functions the direct dependencies export
        // that take the number as an argument (found by analysing them first).
        std::map<std::string, int> dispatchers{{"syscall", 0}};
        if (opts.follow_dependencies) {
            for (const auto& n : a.img.needed) {
                std::string dep = ld.resolve(n, path, a.img.runpath, a.img.rpath, {});
                if (dep.empty())
                    continue;
                auto& d = analyse(dep);
                if (d.in_progress)
                    continue;
                for (const auto& [name, arg] : d.exported_dispatchers)
                    dispatchers.emplace(name, arg);
            }
        }
        auto code = analyse_code(a.img, dispatchers);
        if (!code) {
            a.error = code.error().message;
            a.in_progress = false;
            return a;
        }
        a.sites = std::move(code->sites);
        a.sockets = std::move(code->sockets);
        a.exported_dispatchers = std::move(code->exported_dispatchers);
        a.warnings = std::move(a.img.warnings);
        for (auto& w : code->warnings)
            a.warnings.push_back(std::move(w));
        a.img.code.clear(); // spans into the mapping, which ends here
        for (const auto& s : a.sites) {
            if (s.numbers.empty() && !s.dispatcher)
                ++a.unresolved; // partial sites (some paths unknown) keep their numbers and a note
            for (auto nr : s.numbers) {
                if (nr < 0 || nr >= 1024)
                    continue;
                add_evidence(a.own, {s.table, static_cast<int>(nr)},
                             {"site", fmt::format("{:#x} in {} ({})", s.address, s.function,
                                                  s.instruction)});
            }
        }
        for (const auto& imp : a.img.imports) {
            for (auto sc : libc_function_syscalls(imp)) {
                auto nr = syscall_number(sc);
                if (nr)
                    add_evidence(a.own, {abi::x86_64, *nr}, {"import", imp});
            }
        }
        a.in_progress = false;
        return a;
    }

    binary_report report(const std::string& raw_path) {
        file_analysis& a = analyse(raw_path);
        binary_report r;
        r.path = raw_path;
        r.error = a.error;
        r.size = a.size;
        r.sha256 = a.sha256;
        if (!a.error.empty())
            return r;
        const auto& img = a.img;
        r.arch = img.arch;
        r.type = img.type;
        r.stripped = img.stripped;
        r.function_source = img.function_source;
        r.functions = img.functions.size();
        r.interpreter = img.interpreter;
        r.soname = img.soname;
        r.needed = img.needed;
        r.runpath = img.runpath;
        r.rpath = img.rpath;
        r.imports = img.imports;
        r.dlopen_names = img.library_strings;
        r.warnings = a.warnings;
        r.sites = a.sites;
        r.sockets = a.sockets;
        for (const auto& [n, arg] : a.exported_dispatchers)
            r.dispatchers.push_back(fmt::format("{} (argument {})", n, arg + 1));
        r.unresolved_sites = a.unresolved;
        r.own = a.own;
        r.all = a.own;
        if (!opts.follow_dependencies)
            return r;

        // Dependency closure, breadth first like ld.so's load order.
        struct pending {
            std::string name, via, requester_path;
            std::vector<std::string> runpath, rpath;
            bool dlopen_allowed;
        };
        std::deque<pending> queue;
        std::set<std::string> seen_paths{a.path};
        std::set<std::pair<std::string, std::string>> seen_names;
        auto enqueue = [&](const file_analysis& from, const std::string& from_path) {
            if (!from.img.interpreter.empty())
                queue.push_back({from.img.interpreter, "interpreter", from_path, {}, {}, false});
            for (const auto& n : from.img.needed)
                queue.push_back({n, "needed", from_path, from.img.runpath, from.img.rpath, false});
            if (opts.include_dlopen)
                for (const auto& n : from.img.library_strings)
                    queue.push_back(
                        {n, "dlopen", from_path, from.img.runpath, from.img.rpath, true});
        };
        enqueue(a, a.path);
        std::size_t guard = 0;
        while (!queue.empty() && guard++ < 4096) {
            pending p = std::move(queue.front());
            queue.pop_front();
            if (!seen_names.insert({p.name, p.via == "dlopen" ? "" : p.requester_path}).second)
                continue;
            std::string host;
            if (p.via == "interpreter")
                host = ld.host_path(p.name);
            else
                host = ld.resolve(p.name, p.requester_path, p.runpath, p.rpath, img.rpath);
            std::error_code ec;
            if (!host.empty() && !fs::is_regular_file(host, ec))
                host.clear();
            std::string canon = host.empty() ? "" : canonical_or_same(host);
            if (canon.empty()) {
                // A dlopen string that resolves nowhere is usually not a library at all: report it
                // only among dlopen_names, not as a missing dependency.
                if (p.via != "dlopen")
                    r.dependencies.push_back({p.name, "", p.via, p.requester_path});
                continue;
            }
            if (!seen_paths.insert(canon).second)
                continue;
            r.dependencies.push_back({p.name, canon, p.via, p.requester_path});
            file_analysis& d = analyse(canon);
            if (!d.error.empty()) {
                r.warnings.push_back(fmt::format("dependency {}: {}", canon, d.error));
                continue;
            }
            r.dependency_unresolved_sites += d.unresolved;
            for (const auto& [id, ev] : d.own)
                add_evidence(r.all, id, {"dependency", canon}, 8);
            enqueue(d, canon);
        }
        return r;
    }
};

scanner::scanner(scan_options opts) : impl_(std::make_unique<impl>(std::move(opts))) {}
scanner::~scanner() = default;

binary_report scanner::scan_file(const std::string& path) {
    return impl_->report(path);
}

std::vector<binary_report> scanner::scan_paths(const std::vector<std::string>& paths,
                                               scan_stats& stats,
                                               std::vector<std::string>* relative) {
    struct item {
        std::string path, rel;
        bool named; // given on the command line (a non-ELF one is an error, not a skip)
    };
    std::vector<item> items;
    for (const auto& p : paths) {
        std::error_code ec;
        auto st = fs::status(p, ec);
        if (ec || !fs::exists(st)) {
            items.push_back({p, fs::path(p).filename().string(), true});
            continue;
        }
        if (fs::is_directory(st)) {
            std::vector<item> found;
            fs::recursive_directory_iterator it(p, fs::directory_options::skip_permission_denied,
                                                ec),
                end;
            for (; !ec && it != end; it.increment(ec)) {
                const auto& e = *it;
                std::error_code ec2;
                if (e.is_symlink(ec2) || !e.is_regular_file(ec2))
                    continue; // symlinks alias files that are scanned under their real name
                ++stats.files_seen;
                if (!read_magic(e.path().string())) {
                    ++stats.non_elf;
                    continue;
                }
                found.push_back(
                    {e.path().string(), fs::relative(e.path(), p, ec2).string(), false});
            }
            if (ec)
                spdlog::warn("scan: {}: {}", p, ec.message());
            std::sort(found.begin(), found.end(),
                      [](const item& a, const item& b) { return a.path < b.path; });
            items.insert(items.end(), found.begin(), found.end());
        } else {
            items.push_back({p, fs::path(p).filename().string(), true});
        }
    }
    std::vector<binary_report> out;
    out.reserve(items.size());
    bool progress = impl_->opts.progress && stderr_is_tty() && items.size() > 1;
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (progress)
            fmt::print(stderr, "\r\033[Kscan: {}/{} {}", i + 1, items.size(), items[i].rel);
        std::error_code ec;
        if (!fs::exists(items[i].path, ec)) {
            binary_report r;
            r.path = items[i].path;
            r.error = "no such file or directory";
            out.push_back(std::move(r));
        } else {
            out.push_back(impl_->report(items[i].path));
        }
        if (out.back().error.empty())
            ++stats.scanned;
        else
            ++stats.failed;
        if (relative)
            relative->push_back(items[i].rel);
    }
    if (progress)
        fmt::print(stderr, "\r\033[K");
    return out;
}

} // namespace glassbox::scan
