// Checking a trace's hash chain (docs/trace-format.md, "The hash chain"): every byte of the file
// enters a running SHA-256; checkpoint lines and the summary carry the digest of the file up to
// their own "sha256" key and a 4-byte tag per line since the previous such line. The checker is
// fed the file line by line; the trace reader uses it (checkpoint digests only, to stay fast) so
// that every command refuses an edited trace, and `glassbox verify` uses it with the per-line
// tags to name the first line that is not what the recorder wrote.
#pragma once

#include <glassbox/digest.hpp>
#include <glassbox/error.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace glassbox::trace {

// What a line is to the chain.
enum class chain_line { header, event, checkpoint, summary };

struct chain_break {
    std::uint64_t line = 0; // first line not intact (1-based)
    std::string reason;     // a sentence, without the file name
};

class chain_checker {
public:
    // check_tags: compare every line's tag (exact line of an edit; costs a digest copy per line).
    explicit chain_checker(bool check_tags) : check_tags_(check_tags) {}

    // Feeds line `line_no` (1-based, consecutive), without its '\n'; `terminated` is false for a
    // last line that has none. Sets `kind`. Returns the break when the chain fails here.
    std::optional<chain_break> feed(std::string_view line, bool terminated, std::uint64_t line_no,
                                    chain_line& kind);
    // Feeds bytes that are not a line (blank space after the summary), for file_digest().
    void feed_raw(std::string_view bytes) { run_.update(bytes); }

    // The header declares a chain (false: an unchained trace, nothing can be verified).
    bool chained() const { return chained_; }
    std::string_view header_public_key() const { return public_key_; }
    // The last line covered by a checkpoint or summary whose digest matched (0: none), its `ts`
    // (checkpoints; -1 when unknown) and its digest.
    std::uint64_t verified_through() const { return verified_through_; }
    std::int64_t verified_ts() const { return verified_ts_; }
    const std::string& verified_digest() const { return verified_digest_; }
    // The summary's digest and signature once it matched.
    bool summary_verified() const { return summary_ok_; }
    const std::string& signature() const { return signature_; }
    // SHA-256 of every byte fed so far (the file's digest when fed to its end).
    std::string file_digest() const { return hex_of(run_.peek()); }

private:
    std::optional<chain_break> chain_line_check(std::string_view line, std::uint64_t line_no, bool summary);

    bool check_tags_;
    bool chained_ = false;
    std::uint64_t tag_bytes_ = 4;
    std::string public_key_;
    sha256_stream run_;
    std::vector<std::string> tags_; // hex tags of the lines since the last chain line (check_tags_)
    std::uint64_t since_ = 0;       // lines since the last chain line
    std::uint64_t verified_through_ = 0;
    std::int64_t verified_ts_ = -1;
    std::string verified_digest_;
    bool summary_ok_ = false;
    std::string signature_;
};

// What a `watchdog` line (docs/trace-format.md) at line `line_no` says glassbox's watchdog did,
// as one sentence for verify and the readers' PARTIAL line; empty when it is not valid JSON.
std::string watchdog_account(std::string_view line, std::uint64_t line_no);

// ---- glassbox verify --------------------------------------------------------------------------

enum class verify_status {
    intact,     // complete, every line and the summary as written (and signed by --pubkey)
    broken,     // a line is not as written (edited, inserted, removed, moved) or the signature fails
    partial,    // no summary: verified up to the last checkpoint, nothing after it
    unchained,  // the trace has no hash chain (written before it existed): cannot be verified
};

struct verify_report {
    verify_status status = verify_status::unchained;
    std::uint64_t lines = 0;           // lines in the file
    std::uint64_t first_bad_line = 0;  // broken: the first line not intact; partial: the first unverified
    std::string reason;                // one sentence
    std::uint64_t verified_through = 0;
    std::int64_t verified_ts = -1;
    std::string digest;                // final digest (intact) or the last verified checkpoint's
    bool signed_trace = false;
    std::string public_key;            // hex, from the header, when signed
    bool signature_checked = false;    // --pubkey given and the signature verified with it
};

// Reads and checks the whole file. `pubkey_pem`: the lab's public key; the trace must then be
// signed by it. Errors: the file cannot be read, it is not a glassbox trace, the key is unusable.
result<verify_report> verify_trace(const std::string& path, const std::string& pubkey_pem = {});

} // namespace glassbox::trace
