// ld.so-style dependency resolution (see ld_resolver.hpp).
#include "scan/ld_resolver.hpp"

#include <algorithm>
#include <cstring>
#include <elf.h>
#include <filesystem>
#include <fstream>
#include <glob.h>
#include <sstream>
#include <unistd.h>

namespace fs = std::filesystem;

namespace glassbox::scan {

namespace {

std::vector<std::string> split_components(const std::string& p) {
    std::vector<std::string> out;
    std::stringstream ss(p);
    std::string c;
    while (std::getline(ss, c, '/'))
        if (!c.empty() && c != ".")
            out.push_back(c);
    return out;
}

// Resolves `path` (absolute, inside `root`) component by component, so that absolute symlinks
// point back into the root instead of the host. Returns the host path ("" on a loop).
std::string resolve_in_root(const std::string& root, const std::string& path) {
    std::vector<std::string> todo = split_components(path);
    std::reverse(todo.begin(), todo.end());
    std::vector<std::string> done;
    int hops = 0;
    while (!todo.empty()) {
        std::string c = todo.back();
        todo.pop_back();
        if (c == "..") {
            if (!done.empty())
                done.pop_back();
            continue;
        }
        std::string cur = root;
        for (const auto& d : done)
            cur += "/" + d;
        cur += "/" + c;
        std::error_code ec;
        if (fs::is_symlink(fs::symlink_status(cur, ec))) {
            if (++hops > 40)
                return "";
            auto target = fs::read_symlink(cur, ec).string();
            if (ec)
                return "";
            auto parts = split_components(target);
            if (!target.empty() && target[0] == '/')
                done.clear();
            for (auto it = parts.rbegin(); it != parts.rend(); ++it)
                todo.push_back(*it);
            continue;
        }
        done.push_back(c);
    }
    std::string out = root;
    for (const auto& d : done)
        out += "/" + d;
    return out.empty() ? "/" : out;
}

std::string expand_tokens(std::string dir, const std::string& origin) {
    auto replace = [&](const std::string& a, const std::string& b) {
        for (std::size_t p; (p = dir.find(a)) != std::string::npos;)
            dir.replace(p, a.size(), b);
    };
    replace("${ORIGIN}", origin);
    replace("$ORIGIN", origin);
    replace("${LIB}", "lib/x86_64-linux-gnu");
    replace("$LIB", "lib/x86_64-linux-gnu");
    replace("${PLATFORM}", "x86_64");
    replace("$PLATFORM", "x86_64");
    return dir;
}

} // namespace

bool is_x86_64_elf(const std::string& host_path) {
    std::ifstream in(host_path, std::ios::binary);
    unsigned char h[20] = {};
    if (!in.read(reinterpret_cast<char*>(h), sizeof h))
        return false;
    return std::memcmp(h, ELFMAG, SELFMAG) == 0 && h[EI_CLASS] == ELFCLASS64 &&
           h[EI_DATA] == ELFDATA2LSB && (h[18] | (h[19] << 8)) == EM_X86_64;
}

ld_resolver::ld_resolver(std::string sysroot) : sysroot_(std::move(sysroot)) {
    while (sysroot_.size() > 1 && sysroot_.back() == '/')
        sysroot_.pop_back();
    if (sysroot_ == "/")
        sysroot_.clear();
    read_conf("/etc/ld.so.conf", 0);
    for (const char* d : {"/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib64",
                          "/usr/lib64", "/lib", "/usr/lib"})
        if (std::find(system_dirs_.begin(), system_dirs_.end(), d) == system_dirs_.end())
            system_dirs_.push_back(d);
}

std::string ld_resolver::host_path(const std::string& abs) const {
    if (sysroot_.empty())
        return abs;
    return resolve_in_root(sysroot_, abs);
}

void ld_resolver::read_conf(const std::string& conf, int depth) {
    if (depth > 8)
        return;
    std::ifstream in(host_path(conf));
    std::string line;
    while (std::getline(in, line)) {
        if (auto h = line.find('#'); h != std::string::npos)
            line.erase(h);
        std::stringstream ss(line);
        std::string word;
        if (!(ss >> word))
            continue;
        if (word == "include") {
            std::string pattern;
            while (ss >> pattern) {
                if (pattern[0] != '/')
                    pattern = fs::path(conf).parent_path().string() + "/" + pattern;
                glob_t g{};
                std::string host_pattern = sysroot_.empty() ? pattern : sysroot_ + pattern;
                if (::glob(host_pattern.c_str(), 0, nullptr, &g) == 0) {
                    for (std::size_t i = 0; i < g.gl_pathc; ++i) {
                        std::string p = g.gl_pathv[i];
                        read_conf(sysroot_.empty() ? p : p.substr(sysroot_.size()), depth + 1);
                    }
                }
                globfree(&g);
            }
        } else if (word[0] == '/') {
            if (std::find(system_dirs_.begin(), system_dirs_.end(), word) == system_dirs_.end())
                system_dirs_.push_back(word);
        }
    }
}

std::string ld_resolver::try_dir(const std::string& dir, const std::string& name,
                                 bool dir_is_host) const {
    if (dir.empty())
        return "";
    std::string host = dir_is_host ? dir + "/" + name : host_path(dir + "/" + name);
    std::error_code ec;
    if (!host.empty() && fs::is_regular_file(host, ec) && is_x86_64_elf(host))
        return host;
    return "";
}

std::string ld_resolver::resolve(const std::string& name, const std::string& requester_path,
                                 const std::vector<std::string>& runpath,
                                 const std::vector<std::string>& rpath,
                                 const std::vector<std::string>& exe_rpath) const {
    if (name.empty())
        return "";
    std::string origin = fs::path(requester_path).parent_path().string();
    if (name.find('/') != std::string::npos) {
        std::string p = expand_tokens(name, origin);
        std::string host = p[0] == '/' ? host_path(p) : p;
        std::error_code ec;
        return fs::is_regular_file(host, ec) && is_x86_64_elf(host) ? host : "";
    }
    // $ORIGIN-relative entries are host paths already (origin is the requester's host directory);
    // absolute ones live inside the sysroot.
    auto search = [&](const std::vector<std::string>& dirs) -> std::string {
        for (const auto& d : dirs) {
            bool has_origin =
                d.find("$ORIGIN") != std::string::npos || d.find("${ORIGIN}") != std::string::npos;
            std::string e = expand_tokens(d, origin);
            if (e.empty())
                continue;
            if (e[0] != '/' && !has_origin)
                continue; // relative RUNPATH entries depend on the cwd at run time: ld.so uses
                          // them, we cannot
            if (auto r = try_dir(e, name, has_origin); !r.empty())
                return r;
        }
        return "";
    };
    if (runpath.empty()) {
        if (auto r = search(rpath); !r.empty())
            return r;
        if (auto r = search(exe_rpath); !r.empty())
            return r;
    } else if (auto r = search(runpath); !r.empty())
        return r;
    if (auto c = system_cache_.find(name); c != system_cache_.end())
        return c->second;
    std::string found;
    for (const auto& d : system_dirs_)
        if (auto r = try_dir(d, name, false); !r.empty()) {
            found = r;
            break;
        }
    system_cache_.emplace(name, found);
    return found;
}

} // namespace glassbox::scan
