// The decoder: one kernel record (include/glassbox/events.h) -> one trace line (JSON) in the
// format of docs/trace-format.md. Every kind has one entry in a table (decode.cpp: kind_table);
// adding a kind means adding a struct to events.h, a BPF program that emits it, and one decode
// function here (see docs/recording.md). Never trusts the record: every length and offset is
// checked against the record's size, and malformed records become errors, not crashes.
// Data path: ring buffer callback -> decoder::decode -> trace_writer::write_event.
#pragma once

#include <glassbox/events.h>
#include <glassbox/trace_writer.hpp>

#include <array>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <unordered_map>

namespace glassbox::record {

class decoder;

// What one kind's decode function gets: the record (size already checked >= the kind's fixed
// size), the decoder (process table, counters) and the line to append its fields to.
struct decode_input {
    std::span<const std::uint8_t> rec;
    const gb_event_header& hdr;
    std::size_t data_off; // where the kind's data[] starts (sizeof its struct)
};

// Reads a gb_str's bytes from the record; nullopt when not present or out of bounds.
std::optional<std::string> record_string(const decode_input& in, const gb_str& s);

struct kind_decoder {
    std::size_t fixed_size = 0; // sizeof the kind's struct; shorter records are rejected
    // Before the common fields are written (e.g. exec updates the process's exe first). Optional.
    void (*prepare)(decoder&, const decode_input&) = nullptr;
    // Appends the kind's fields and a short human description (for --follow) to `human`.
    void (*body)(decoder&, const decode_input&, json_line&, std::string& human) = nullptr;
};

// The per-kind table, filled by one function per family (decode_<family>.cpp). A kind without an
// entry is written with its common fields only (and logged once).
using kind_table = std::array<kind_decoder, GB_EV_MAX>;
void add_process_kinds(kind_table& t); // decode_process.cpp
void add_file_kinds(kind_table& t);    // decode_file.cpp
void add_net_kinds(kind_table& t);     // decode_net.cpp
void add_coverage_kinds(kind_table& t); // decode_coverage.cpp (issue 3 kinds)
const kind_table& kinds();             // decode.cpp: calls every add_*_kinds once

class decoder {
public:
    explicit decoder(std::int64_t start_mono_ns) : start_ns_(start_mono_ns) {}

    struct decoded {
        std::string_view type;
        bool failed = false; // ret < 0
    };

    // Decodes one record into `line` (finished). Errors describe malformed records.
    result<decoded> decode(std::span<const std::uint8_t> rec, json_line& line, std::string& human);

    // Writes the common fields of every event (type, ts, pid, tid, ppid, uid, euid, comm, exe).
    void common_fields(json_line& line, std::string_view type, std::int64_t ts, std::uint32_t pid,
                       std::uint32_t tid, std::uint32_t ppid, std::uint32_t uid,
                       std::uint32_t euid, std::string_view comm);

    // The process table: executable per pid, from exec records (kernel-resolved), inherited on
    // fork, read from /proc/PID/exe for processes first seen without an exec.
    const std::optional<std::string>& exe_of(std::uint32_t pid); // cached per pid
    void set_exe(std::uint32_t pid, std::optional<std::string> exe) { exe_[pid] = std::move(exe); }
    void forget(std::uint32_t pid) { exe_.erase(pid); }
    // Processes outside the tree whose executable is known even once they are gone: a target
    // named late (from /proc) is named from here first. The watchdog names glassbox so.
    void know_exe(std::uint32_t pid, std::string exe) { known_[pid] = std::move(exe); }
    std::optional<std::string> known_exe(std::uint32_t pid) const {
        auto it = known_.find(pid);
        return it == known_.end() ? std::nullopt : std::optional<std::string>(it->second);
    }
    std::int64_t start_ns() const { return start_ns_; }
    // The one-line human text (for --follow) costs a format per event: skip it when unused.
    void want_human(bool w) { want_human_ = w; }
    bool human_wanted() const { return want_human_; }
    std::int64_t last_ts() const { return last_ts_; }

    // Writes a resolved-path field (`key`, plus `key_truncated`), null when absent; returns the
    // text written (empty when null). Counts truncations.
    std::string path_field(json_line& line, std::string_view key, const decode_input& in,
                           const gb_str& s);
    void count_truncated_argv() { ++truncated_argv_; }
    // Appends "ret" (and "errno" when negative) and marks the event as failed for live views.
    void ret(json_line& line, std::int64_t ret);

    std::uint64_t truncated_paths() const { return truncated_paths_; }
    std::uint64_t truncated_argv() const { return truncated_argv_; }
    std::uint64_t malformed() const { return malformed_; }

private:
    std::int64_t start_ns_;
    std::int64_t last_ts_ = 0;
    bool want_human_ = true;
    std::unordered_map<std::uint32_t, std::optional<std::string>> exe_;
    std::unordered_map<std::uint32_t, std::string> known_;
    std::uint64_t truncated_paths_ = 0;
    std::uint64_t truncated_argv_ = 0;
    std::uint64_t malformed_ = 0;
    bool failed_ = false;
};

// Names used by the trace: "ENOENT", "execve", "SIGKILL"; fall back to numbers.
std::string errno_name(std::int64_t err);
std::string syscall_name(std::int64_t nr);
std::string signal_name(int sig);

// Appends "ret" and, when negative, "errno".
void ret_fields(json_line& line, std::int64_t ret);

} // namespace glassbox::record
