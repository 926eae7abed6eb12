// Dependency resolution for `glassbox scan`, done the way the dynamic loader does it (ld.so(8)):
// a name with a slash is a path; otherwise DT_RPATH (when there is no DT_RUNPATH, including the
// executable's), DT_RUNPATH, the directories of /etc/ld.so.conf (and its includes), then the
// default system directories. $ORIGIN/$LIB/$PLATFORM are expanded; a candidate must be a 64-bit
// x86-64 ELF (ld.so skips incompatible ones). With a sysroot every absolute path, including
// symlinks met on the way, stays inside the root. LD_LIBRARY_PATH is deliberately ignored: the
// surface of an installed agent must not depend on the scanning shell's environment.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace glassbox::scan {

class ld_resolver {
  public:
    explicit ld_resolver(std::string sysroot);

    // Host path of `name` as needed by the object at `requester_path` (whose RUNPATH/RPATH are
    // given), with the executable's RPATH (`exe_rpath`, used only when the requester has no
    // RUNPATH). "" when not found.
    std::string resolve(const std::string& name, const std::string& requester_path,
                        const std::vector<std::string>& runpath,
                        const std::vector<std::string>& rpath,
                        const std::vector<std::string>& exe_rpath) const;

    // The host path of an absolute path inside the sysroot (symlinks resolved inside the root);
    // the path itself without a sysroot.
    std::string host_path(const std::string& abs) const;

    const std::vector<std::string>& system_dirs() const { return system_dirs_; }

  private:
    std::string try_dir(const std::string& dir, const std::string& name, bool dir_is_host) const;
    void read_conf(const std::string& conf, int depth);
    std::string sysroot_;
    std::vector<std::string> system_dirs_;
    // name -> result of the system-directory search (independent of the requester). Scanning a
    // tree asks for libc.so.6 hundreds of times; each miss costs a stat and an open per directory.
    mutable std::map<std::string, std::string> system_cache_;
};

// True when the file at `host_path` starts with a 64-bit little-endian x86-64 ELF header.
bool is_x86_64_elf(const std::string& host_path);

} // namespace glassbox::scan
