// Writing a glassbox trace (docs/trace-format.md): a JSON line builder that applies the format's
// string rules (valid UTF-8 as is; otherwise U+FFFD plus a lossless `<field>_hex` sidecar), and the
// trace file writer (header, event lines, checkpoints of the hash chain, summary; `.partial` name
// until the summary is fsynced).
// Data path: decoder (record) or enforcement -> json_line -> trace_writer -> FILE.partial -> FILE.
#pragma once

#include <atomic>
#include <glassbox/digest.hpp>
#include <glassbox/error.hpp>

#include <chrono>

#include <cstdint>
#include <functional>
#include <limits>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace glassbox {

// Appends `bytes` as a JSON string literal (quotes included). Invalid UTF-8 bytes become U+FFFD;
// returns false when that happened (the caller then adds a `_hex` sidecar).
bool append_json_string(std::string& out, std::string_view bytes);
bool is_valid_utf8(std::string_view bytes);
std::string to_hex(std::string_view bytes);

// One JSON object on one line, built field by field in order.
class json_line {
public:
    json_line() { text_.reserve(256); text_ += '{'; }

    json_line& str(std::string_view key, std::string_view bytes); // + key_hex when not UTF-8
    json_line& str_or_null(std::string_view key, const std::optional<std::string>& bytes);
    json_line& num(std::string_view key, std::int64_t v);
    json_line& unum(std::string_view key, std::uint64_t v);
    json_line& boolean(std::string_view key, bool v);
    json_line& null(std::string_view key);
    json_line& raw(std::string_view key, std::string_view json); // json must be valid JSON
    // An array of strings; when any element is not UTF-8, also key_hex: an array as long as the
    // first with null for the valid elements.
    json_line& str_array(std::string_view key, const std::vector<std::string>& items);

    // Starts a new object, keeping the buffer's capacity (hot loops reuse one json_line).
    void clear() {
        text_.assign(1, '{');
        first_ = true;
        done_ = false;
    }
    // The finished line (with the closing brace, without a newline).
    const std::string& finish();
    const std::string& text() const { return text_; }

private:
    void key(std::string_view k);
    std::string text_;
    bool first_ = true;
    bool done_ = false;
};

struct trace_header {
    std::string mode;                 // run, attach, enforce
    std::vector<std::string> command; // argv (run, enforce)
    std::string cwd;
    std::string host;
    std::string kernel;
    std::int64_t start_realtime_ns = 0; // Unix-epoch ns at ts = 0
    std::optional<int> root_pid;
    std::string cgroup;
    // Monotonic ns at ts = 0 (not written: the checkpoints' `ts` counts from it). 0: now.
    std::int64_t start_mono_ns = 0;
    // Extra top-level fields as raw JSON (e.g. {"target", "{\"pids\":[1]}"}, {"profile", ...}).
    std::vector<std::pair<std::string, std::string>> extra;
};

struct trace_summary {
    std::uint64_t duration_ns = 0;
    std::uint64_t lost = 0;
    std::vector<std::uint64_t> lost_by_cpu;
    std::map<std::string, std::uint64_t> lost_by_type; // only non-zero entries
    std::uint64_t truncated_paths = 0;
    std::uint64_t truncated_argv = 0;
    std::optional<int> exit_code;   // the launched command exited normally
    std::optional<int> exit_signal; // ... or was killed by this signal
    std::string ended_by;           // exit, timeout, signal, duration
    // What this kernel did not let the recorder observe (the header's `coverage`), one line each.
    std::vector<std::string> coverage_gaps;
};

// The hash chain's per-line tag: this many leading bytes of the running digest (docs/trace-format.md).
inline constexpr std::size_t chain_tag_bytes = 4;
// What an Ed25519 signature of a trace signs: "glassbox-trace-sha256:" and the final digest in hex.
std::string chain_signed_message(std::string_view digest_hex);

// How the trace file is written (set where a recording is configured: run, attach, enforce).
struct trace_writer_options {
    // PEM file of an Ed25519 private key: the summary then carries a signature of the final
    // digest (docs/trace-format.md, "Signature"). Empty: unsigned.
    std::string sign_key;
    // Lines are written to the file (write(2): they survive a kill of glassbox in the page
    // cache), each time with a checkpoint line of the hash chain, by the first flush_due() after
    // the oldest of them was formatted this long ago, or after the oldest event given with its
    // ts happened this long ago: a line that reaches the writer late (the formatter lagged)
    // does not wait a whole interval more. docs/recording.md, "Durability".
    std::chrono::milliseconds flush_interval{100};
    // A checkpoint at least every this many lines.
    std::uint32_t checkpoint_lines = 1024;
};

// What trace_writer::resume() found in an unfinished FILE.partial.
struct resumed_trace {
    std::uint64_t lines = 0;           // complete lines kept
    std::uint64_t last_chain_line = 0; // the last checkpoint line among them (0: none)
    std::uint64_t torn_bytes = 0;      // a cut last line (no newline), removed
};

// Writes FILE.partial, renamed to FILE by finish(). Every line enters a running SHA-256 (the
// hash chain of docs/trace-format.md): checkpoint lines carry the digest of the file so far and
// a short tag per line, the summary carries the final digest (and its signature). Thread-safe:
// enforcement appends `violation` lines from its supervisor while the recorder appends kernel
// events, and the session's loop calls flush_due().
class trace_writer {
public:
    // Creates (truncating) FILE.partial and loads the signing key; the error names the path or
    // the key and the reason.
    static result<trace_writer> open(const std::string& path, const trace_writer_options& opts = {});
    // Reopens the FILE.partial a recording left behind when its writer died (glassbox's watchdog,
    // docs/recording.md "Fail-closed"), to append to it: the hash chain continues over every
    // byte kept, and a cut last line is removed. `each` sees every complete line but the header
    // and the chain lines. `start_mono_ns` is the recording's ts = 0. Errors: the file cannot be
    // read or written, it is not a chained glassbox trace, or it is complete (has a summary).
    static result<trace_writer> resume(const std::string& path, std::int64_t start_mono_ns, resumed_trace& info,
                                       const std::function<void(std::string_view)>& each = {});

    trace_writer(trace_writer&& other) noexcept;
    trace_writer& operator=(trace_writer&&) = delete;
    trace_writer(const trace_writer&) = delete;
    ~trace_writer(); // not finished: FILE.partial stays as evidence once an event is in it

    void write_header(const trace_header& h);
    // One event line; `type` is its "type" value, counted for the summary. `ts`, when given, is
    // the line's "ts" (ns since the header's start): flush_due() then also counts the line's
    // wait from its event. After finish() the line is refused (the summary stays last) and
    // counted in late_events().
    void write_event(std::string_view type, const std::string& line, std::optional<std::int64_t> ts = {});
    // Writes the buffered lines, after a checkpoint, once the oldest of them waited
    // flush_interval in the buffer or the oldest event given with a ts is flush_interval old.
    // Called about every 20 ms by the recording loop.
    void flush_due();
    // Writes the buffered lines now, after a checkpoint (tests, and the end of a recording).
    void flush_now();
    // Writes the summary (the chain's last checkpoint), flushes, fsyncs and renames to the
    // final name.
    result<void> finish(const trace_summary& s);

    std::uint64_t events() const;
    std::uint64_t late_events() const;
    // A write to the file failed (disk full, file size limit, I/O error): nothing more reaches
    // the file, so the recording must end (the session stops the tree: fail closed).
    bool failed() const { return write_failed_.load(std::memory_order_relaxed); }
    const std::string& path() const { return path_; }
    // The final digest (hex), once finish() succeeded.
    const std::string& final_digest() const { return final_digest_; }

private:
    trace_writer(std::string path, int fd, const trace_writer_options& opts);
    void flush_locked();
    void add_line_locked(std::string_view line);
    // Appends the chain fields and the closing brace to `prefix` (a line without its '}'), with
    // the signature when `sign`, and adds it as a line.
    void add_chain_line_locked(std::string prefix, bool sign);
    void checkpoint_locked();

    std::string path_;
    std::string partial_;
    int fd_ = -1;
    bool finished_ = false;
    std::atomic<bool> write_failed_{false};
    std::string buf_;
    std::int64_t buf_since_ns_ = 0; // monotonic time the oldest unwritten line was added
    // Monotonic time of the oldest event among the unwritten lines given with a ts (max: none).
    std::int64_t buf_oldest_event_ns_ = std::numeric_limits<std::int64_t>::max();
    std::uint64_t events_ = 0;
    std::uint64_t late_events_ = 0;
    std::map<std::string, std::uint64_t, std::less<>> counts_;
    trace_writer_options opts_;
    std::unique_ptr<ed25519_key> key_;
    sha256_stream chain_;
    std::uint64_t lines_ = 0;       // lines added so far
    std::string tags_;              // hex tags of the lines since the last chain line
    std::uint32_t tagged_ = 0;      // ... and their number
    std::int64_t start_mono_ns_ = 0;
    bool resumed_ = false; // resume(): appending to a dead writer's file (its owner says so)
    std::string final_digest_;
    mutable std::unique_ptr<std::mutex> mu_ = std::make_unique<std::mutex>();
};

// Current time helpers shared by the recorder and enforcement.
std::int64_t monotonic_ns();
std::int64_t realtime_ns();
std::string rfc3339_utc(std::int64_t unix_ns);

} // namespace glassbox
