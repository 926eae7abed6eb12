// The hash chain checker and `glassbox verify`'s reading of a whole trace (see
// include/glassbox/trace_chain.hpp and docs/trace-format.md, "The hash chain"). Only the header,
// checkpoint and summary lines are parsed (nlohmann-json); event lines are bytes to the chain, so
// an edit that breaks an event's JSON is still reported as the line that is not intact.
#include <glassbox/trace_chain.hpp>
#include <glassbox/trace_writer.hpp>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <unistd.h>

namespace glassbox::trace {

namespace {

constexpr std::string_view checkpoint_prefix = R"({"type":"checkpoint",)";
constexpr std::string_view summary_prefix = R"({"type":"summary",)";
constexpr std::string_view digest_key = R"("sha256":")";
constexpr std::string_view signature_key = R"(,"signature":")";

bool is_hex(std::string_view s) {
    for (char c : s)
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    return true;
}

// Splits a chain line's tail: `"sha256":"<64 hex>"}` or `"sha256":"<64 hex>","signature":"<128
// hex>"}`. False when the line does not end so.
bool split_tail(std::string_view tail, std::string& digest, std::string& sig) {
    if (!tail.starts_with(digest_key) || tail.size() < digest_key.size() + 64 + 2)
        return false;
    digest = std::string(tail.substr(digest_key.size(), 64));
    std::string_view rest = tail.substr(digest_key.size() + 64);
    if (!is_hex(digest))
        return false;
    if (rest == "\"}") {
        sig.clear();
        return true;
    }
    if (!rest.starts_with("\"") || !rest.substr(1).starts_with(signature_key))
        return false;
    rest.remove_prefix(1 + signature_key.size());
    if (rest.size() != 128 + 2 || !rest.ends_with("\"}"))
        return false;
    sig = std::string(rest.substr(0, 128));
    return is_hex(sig);
}

} // namespace

std::optional<chain_break> chain_checker::feed(std::string_view line, bool terminated, std::uint64_t line_no,
                                               chain_line& kind) {
    kind = chain_line::event;
    if (line_no == 1) {
        kind = chain_line::header;
        auto h = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
        if (h.is_object()) {
            auto c = h.find("chain");
            if (c != h.end() && c->is_object() && c->value("hash", std::string()) == "sha256") {
                chained_ = true;
                tag_bytes_ = c->value("tag_bytes", std::uint64_t{4});
                if (tag_bytes_ == 0 || tag_bytes_ > 32)
                    tag_bytes_ = 4;
                public_key_ = c->value("public_key", std::string());
            }
        }
    } else if (line.starts_with(checkpoint_prefix)) {
        kind = chain_line::checkpoint;
    } else if (line.starts_with(summary_prefix)) {
        kind = chain_line::summary;
    }
    if (chained_ && terminated && (kind == chain_line::checkpoint || kind == chain_line::summary))
        return chain_line_check(line, line_no, kind == chain_line::summary);
    run_.update(line);
    if (terminated)
        run_.update("\n");
    if (chained_ && terminated) {
        if (check_tags_)
            tags_.push_back(hex_of(run_.peek().data(), tag_bytes_));
        ++since_;
    }
    return std::nullopt;
}

std::optional<chain_break> chain_checker::chain_line_check(std::string_view line, std::uint64_t line_no,
                                                           bool summary) {
    const char* what = summary ? "summary" : "checkpoint";
    auto fail = [&](std::uint64_t at, std::string why) { return chain_break{at, std::move(why)}; };
    std::size_t pos = line.rfind(digest_key);
    std::string digest, sig;
    if (pos == std::string_view::npos || pos == 0 || line[pos - 1] != ',' ||
        !split_tail(line.substr(pos), digest, sig))
        return fail(line_no, fmt::format("the {} line has no well-formed \"sha256\" field at its end", what));
    auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (!j.is_object() || !j.contains("tags") || !j["tags"].is_string())
        return fail(line_no, fmt::format("the {} line is not valid JSON with \"tags\"", what));
    const std::string stored = j["tags"].get<std::string>();
    const std::size_t width = 2 * tag_bytes_;
    if (stored.size() % width != 0 || !is_hex(stored))
        return fail(line_no, fmt::format("the {} line's \"tags\" are malformed", what));
    const std::uint64_t n_stored = stored.size() / width;
    const std::uint64_t first = line_no - since_; // the first line the tags cover
    if (check_tags_) {
        // Where the recorder wrote the chain line before this one: `lines` less the lines tagged
        // here. Not where the last verified one is: a chain line was removed or inserted.
        std::uint64_t lines = j.value("lines", std::uint64_t{0});
        if (lines >= n_stored && lines - n_stored != verified_through_) {
            std::uint64_t expected = lines - n_stored;
            if (expected > verified_through_ && expected < line_no)
                return fail(expected, fmt::format("line {} is not the checkpoint the recorder wrote there: a "
                                                  "checkpoint was removed, or lines were inserted or removed before it",
                                                  expected));
            // The chain line before this one verified: this one is out of its place.
            if (expected < verified_through_)
                return fail(line_no, fmt::format("line {} is a {} the recorder did not write there (copied or "
                                                 "moved from earlier in the file)",
                                                 line_no, what));
        }
        for (std::uint64_t i = 0; i < std::min<std::uint64_t>(n_stored, since_); ++i)
            if (stored.compare(i * width, width, tags_[i]) != 0)
                return fail(first + i, fmt::format("line {} is not the line the recorder wrote there: it was edited, "
                                                   "or lines were inserted, removed or moved at this point",
                                                   first + i));
        if (since_ < n_stored)
            return fail(line_no, fmt::format("{} line(s) the recorder wrote before line {} are missing (removed, or "
                                             "the {} was moved)",
                                             n_stored - since_, line_no, what));
        if (since_ > n_stored)
            return fail(first + n_stored, fmt::format("line {} was not written by the recorder: it was inserted "
                                                      "(the {} at line {} covers {} lines, {} are there)",
                                                      first + n_stored, what, line_no, n_stored, since_));
    }
    run_.update(line.substr(0, pos));
    std::string computed = hex_of(run_.peek());
    if (computed != digest) {
        if (check_tags_)
            return fail(line_no, fmt::format("the {} at line {} does not match the file before it: the {} itself "
                                             "was edited or forged",
                                             what, line_no, what));
        return fail(line_no, fmt::format("the hash chain breaks at the {} on line {}: a line from {} to {} was "
                                         "edited, inserted, removed or moved ('glassbox verify' names it)",
                                         what, line_no, verified_through_ + 1, line_no));
    }
    run_.update(line.substr(pos));
    run_.update("\n");
    verified_through_ = line_no;
    verified_digest_ = computed;
    if (!summary) {
        if (auto t = j.find("ts"); t != j.end() && t->is_number_integer())
            verified_ts_ = t->get<std::int64_t>();
    } else {
        summary_ok_ = true;
        signature_ = sig;
    }
    tags_.clear();
    since_ = 0;
    return std::nullopt;
}

// ---- verify_trace ------------------------------------------------------------------------------

namespace {

// Reads a file line by line (the whole line in memory, however long).
class line_source {
public:
    explicit line_source(int fd) : fd_(fd) {}
    ~line_source() {
        if (fd_ >= 0)
            ::close(fd_);
    }
    line_source(const line_source&) = delete;
    line_source& operator=(const line_source&) = delete;
    // False at the end. `terminated` false: the last line has no '\n'.
    result<bool> next(std::string& line, bool& terminated) {
        line.clear();
        for (;;) {
            if (pos_ < len_) {
                const char* start = buf_ + pos_;
                auto* nl = static_cast<const char*>(std::memchr(start, '\n', len_ - pos_));
                if (nl) {
                    line.append(start, static_cast<std::size_t>(nl - start));
                    pos_ += static_cast<std::size_t>(nl - start) + 1;
                    terminated = true;
                    return true;
                }
                line.append(start, len_ - pos_);
                pos_ = len_;
            }
            ssize_t n = ::read(fd_, buf_, sizeof(buf_));
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                return std::unexpected(error{std::string("read error: ") + std::strerror(errno)});
            if (n == 0) {
                terminated = false;
                return !line.empty();
            }
            len_ = static_cast<std::size_t>(n);
            pos_ = 0;
        }
    }

private:
    int fd_;
    char buf_[1 << 16];
    std::size_t pos_ = 0, len_ = 0;
};

std::string seconds(std::int64_t ns) { return fmt::format("{:.3f} s", static_cast<double>(ns) / 1e9); }

} // namespace

std::string watchdog_account(std::string_view line, std::uint64_t line_no) {
    auto j = nlohmann::json::parse(line.begin(), line.end(), nullptr, false);
    if (!j.is_object())
        return {};
    std::uint64_t recovered = j.value("recovered", std::uint64_t{0}), killed = j.value("killed", std::uint64_t{0});
    std::string did = recovered ? fmt::format("appended lines {}-{}, what the kernel still held",
                                              j.value("first_line", std::uint64_t{0}), line_no - 1)
                                : std::string("found nothing the kernel held that glassbox had not written");
    if (killed)
        did += fmt::format(", and killed the traced tree ({} processes)", killed);
    return fmt::format("glassbox died before the end: its watchdog {} (line {} says so)", did, line_no);
}

result<verify_report> verify_trace(const std::string& path, const std::string& pubkey_pem) {
    std::optional<ed25519_key> key;
    if (!pubkey_pem.empty()) {
        auto k = ed25519_key::load_public(pubkey_pem);
        if (!k)
            return std::unexpected(k.error());
        key.emplace(std::move(*k));
    }
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(error{fmt::format("{}: cannot open: {}", path, std::strerror(errno))});
    auto src = std::make_unique<line_source>(fd);
    chain_checker chk(true);
    verify_report rep;
    std::string line;
    bool terminated = false;
    std::uint64_t n = 0;
    bool after_summary = false;
    std::string watchdog; // its account, when glassbox's watchdog appended to the trace
    for (;;) {
        auto more = src->next(line, terminated);
        if (!more)
            return std::unexpected(error{path + ": " + more.error().message});
        if (!*more)
            break;
        ++n;
        if (after_summary) {
            if (line.find_first_not_of(" \t\r") == std::string::npos)
                continue;
            rep.status = verify_status::broken;
            rep.first_bad_line = n;
            rep.reason = fmt::format("line {} follows the summary: the recorder writes nothing after it", n);
            break;
        }
        if (n == 1) {
            auto h = nlohmann::json::parse(line, nullptr, false);
            if (!h.is_object() || h.value("type", std::string()) != "header" ||
                h.value("format", std::string()) != "glassbox-trace")
                return std::unexpected(error{path + ":1: not a glassbox trace (the first line is not its header)"});
        }
        chain_line kind;
        auto br = chk.feed(line, terminated, n, kind);
        if (n == 1 && !chk.chained()) {
            rep.status = verify_status::unchained;
            rep.reason = "its header declares no hash chain: written by a glassbox without one, or the "
                         "chain was stripped";
            rep.lines = 1;
            return rep;
        }
        if (br) {
            rep.status = verify_status::broken;
            rep.first_bad_line = br->line;
            rep.reason = br->reason;
            break;
        }
        if (!terminated) {
            rep.status = verify_status::partial;
            rep.first_bad_line = n;
            rep.reason = fmt::format("line {} is cut mid-line (the file was truncated, or the writer was killed in "
                                     "the middle of a write)",
                                     n);
            break;
        }
        if (kind == chain_line::summary)
            after_summary = true;
        if (kind == chain_line::event && line.starts_with(R"({"type":"watchdog",)"))
            watchdog = watchdog_account(line, n);
    }
    rep.lines = n;
    rep.verified_through = chk.verified_through();
    rep.verified_ts = chk.verified_ts();
    rep.digest = chk.verified_digest();
    rep.public_key = std::string(chk.header_public_key());
    rep.signed_trace = !rep.public_key.empty();
    if (rep.status == verify_status::broken)
        return rep;
    if (!after_summary) {
        if (rep.status != verify_status::partial) {
            rep.status = verify_status::partial;
            rep.first_bad_line = chk.verified_through() + 1;
            rep.reason = !watchdog.empty()
                             ? watchdog
                             : fmt::format("the trace has no summary line: the recording was killed, crashed or is "
                                           "still running, or the file was cut after line {}",
                                           n);
        }
        if (!rep.verified_through)
            rep.reason += fmt::format("; no checkpoint was reached: none of its {} lines is verified", n);
        else if (rep.verified_through == n)
            rep.reason += fmt::format("; all {} lines are verified (its last checkpoint{})", n,
                                      rep.verified_ts >= 0 ? ", at " + seconds(rep.verified_ts) : "");
        else
            rep.reason += fmt::format("; lines 1-{} are verified (its last checkpoint{}), lines {}-{} are not",
                                      rep.verified_through, rep.verified_ts >= 0 ? ", at " + seconds(rep.verified_ts) : "",
                                      rep.verified_through + 1, n);
        return rep;
    }
    // Complete and the chain holds: the signature, when there is one or one is required.
    std::uint64_t summary_line = rep.verified_through;
    const std::string& sig = chk.signature();
    if (!sig.empty() && rep.public_key.empty()) {
        rep.status = verify_status::broken;
        rep.first_bad_line = summary_line;
        rep.reason = "the summary is signed but the header names no public key";
        return rep;
    }
    if (rep.signed_trace && sig.empty()) {
        rep.status = verify_status::broken;
        rep.first_bad_line = summary_line;
        rep.reason = "the header says the trace is signed, the summary has no signature";
        return rep;
    }
    if (rep.signed_trace) {
        // The header's key is covered by the chain: a signature that does not verify with it was
        // altered (or made by another key), whether or not --pubkey was given.
        auto own = ed25519_key::from_public_hex(rep.public_key);
        if (!own) {
            rep.status = verify_status::broken;
            rep.first_bad_line = 1;
            rep.reason = "the header's public key is malformed";
            return rep;
        }
        if (!own->verify_hex(chain_signed_message(rep.digest), sig)) {
            rep.status = verify_status::broken;
            rep.first_bad_line = summary_line;
            rep.reason = "the summary's signature does not verify with the public key in the header";
            return rep;
        }
    }
    if (key) {
        if (!rep.signed_trace) {
            rep.status = verify_status::broken;
            rep.first_bad_line = summary_line;
            rep.reason = "the trace is not signed, and --pubkey requires a signature";
            return rep;
        }
        if (key->public_hex() != rep.public_key) {
            rep.status = verify_status::broken;
            rep.first_bad_line = summary_line;
            rep.reason = fmt::format("the trace is signed by another key (public key {}), not by {}",
                                     rep.public_key, pubkey_pem);
            return rep;
        }
        if (!key->verify_hex(chain_signed_message(rep.digest), sig)) {
            rep.status = verify_status::broken;
            rep.first_bad_line = summary_line;
            rep.reason = fmt::format("the summary's signature does not verify with {}", pubkey_pem);
            return rep;
        }
        rep.signature_checked = true;
    }
    rep.status = verify_status::intact;
    return rep;
}

} // namespace glassbox::trace
