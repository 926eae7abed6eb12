// JSON text for trace lines (see include/glassbox/trace_writer.hpp): string escaping with the
// trace format's UTF-8 rule and the json_line builder. Hot path: every recorded event passes here,
// so it appends to one std::string and never allocates per field.
#include <glassbox/trace_writer.hpp>

#include <fmt/format.h>

#include <cstring>

namespace glassbox {

namespace {

// Length of the valid UTF-8 sequence starting at s[i], or 0 when the byte there starts none.
// Rejects overlong forms, surrogates and code points above U+10FFFF (RFC 3629).
std::size_t utf8_seq_len(std::string_view s, std::size_t i) {
    auto b = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
    unsigned char c = b(i);
    std::size_t n = s.size() - i;
    auto cont = [&](std::size_t k) { return (b(k) & 0xC0) == 0x80; };
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        return n >= 2 && cont(i + 1) ? 2 : 0;
    if (c >= 0xE0 && c <= 0xEF) {
        if (n < 3 || !cont(i + 1) || !cont(i + 2))
            return 0;
        if (c == 0xE0 && b(i + 1) < 0xA0)
            return 0; // overlong
        if (c == 0xED && b(i + 1) >= 0xA0)
            return 0; // surrogate
        return 3;
    }
    if (c >= 0xF0 && c <= 0xF4) {
        if (n < 4 || !cont(i + 1) || !cont(i + 2) || !cont(i + 3))
            return 0;
        if (c == 0xF0 && b(i + 1) < 0x90)
            return 0; // overlong
        if (c == 0xF4 && b(i + 1) >= 0x90)
            return 0; // > U+10FFFF
        return 4;
    }
    return 0;
}

} // namespace

bool is_valid_utf8(std::string_view bytes) {
    for (std::size_t i = 0; i < bytes.size();) {
        std::size_t n = utf8_seq_len(bytes, i);
        if (n == 0)
            return false;
        i += n;
    }
    return true;
}

std::string to_hex(std::string_view bytes) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out;
    out.resize(bytes.size() * 2);
    for (std::size_t i = 0; i < bytes.size(); ++i) {
        auto c = static_cast<unsigned char>(bytes[i]);
        out[2 * i] = digits[c >> 4];
        out[2 * i + 1] = digits[c & 0xF];
    }
    return out;
}

bool append_json_string(std::string& out, std::string_view s) {
    static constexpr char digits[] = "0123456789abcdef";
    bool valid = true;
    out += '"';
    for (std::size_t i = 0; i < s.size();) {
        auto c = static_cast<unsigned char>(s[i]);
        if (c >= 0x20 && c < 0x80 && c != '"' && c != '\\') {
            // Fast path: a run of plain ASCII.
            std::size_t j = i + 1;
            while (j < s.size()) {
                auto d = static_cast<unsigned char>(s[j]);
                if (d < 0x20 || d >= 0x80 || d == '"' || d == '\\')
                    break;
                ++j;
            }
            out.append(s.data() + i, j - i);
            i = j;
            continue;
        }
        if (c == '"' || c == '\\') {
            out += '\\';
            out += static_cast<char>(c);
            ++i;
        } else if (c < 0x20 || c == 0x7f) {
            switch (c) {
            case '\n': out += "\\n"; break;
            case '\t': out += "\\t"; break;
            case '\r': out += "\\r"; break;
            default:
                out += "\\u00";
                out += digits[c >> 4];
                out += digits[c & 0xF];
            }
            ++i;
        } else {
            std::size_t n = utf8_seq_len(s, i);
            if (n == 0) {
                out += "\\ufffd";
                valid = false;
                ++i;
            } else {
                out.append(s.data() + i, n);
                i += n;
            }
        }
    }
    out += '"';
    return valid;
}

void json_line::key(std::string_view k) {
    // One append per key (keys are ours: short plain ASCII); per-character appends showed in
    // profiles of the recorder.
    char buf[64];
    if (k.size() + 4 > sizeof(buf)) {
        if (!first_)
            text_ += ',';
        first_ = false;
        text_ += '"';
        text_ += k;
        text_ += "\":";
        return;
    }
    char* q = buf;
    if (!first_)
        *q++ = ',';
    first_ = false;
    *q++ = '"';
    std::memcpy(q, k.data(), k.size());
    q += k.size();
    *q++ = '"';
    *q++ = ':';
    text_.append(buf, static_cast<std::size_t>(q - buf));
}

json_line& json_line::str(std::string_view k, std::string_view bytes) {
    key(k);
    if (!append_json_string(text_, bytes)) {
        key(fmt::format("{}_hex", k));
        text_ += '"';
        text_ += to_hex(bytes);
        text_ += '"';
    }
    return *this;
}

json_line& json_line::str_or_null(std::string_view k, const std::optional<std::string>& bytes) {
    if (bytes)
        return str(k, *bytes);
    return null(k);
}

json_line& json_line::num(std::string_view k, std::int64_t v) {
    key(k);
    fmt::format_int digits(v); // formats into its own buffer: no per-character push_back
    text_.append(digits.data(), digits.size());
    return *this;
}

json_line& json_line::unum(std::string_view k, std::uint64_t v) {
    key(k);
    fmt::format_int digits(v);
    text_.append(digits.data(), digits.size());
    return *this;
}

json_line& json_line::boolean(std::string_view k, bool v) {
    key(k);
    text_ += v ? "true" : "false";
    return *this;
}

json_line& json_line::null(std::string_view k) {
    key(k);
    text_ += "null";
    return *this;
}

json_line& json_line::raw(std::string_view k, std::string_view json) {
    key(k);
    text_ += json;
    return *this;
}

json_line& json_line::str_array(std::string_view k, const std::vector<std::string>& items) {
    key(k);
    text_ += '[';
    bool any_invalid = false;
    std::vector<bool> invalid(items.size(), false);
    for (std::size_t i = 0; i < items.size(); ++i) {
        if (i)
            text_ += ',';
        if (!append_json_string(text_, items[i])) {
            invalid[i] = true;
            any_invalid = true;
        }
    }
    text_ += ']';
    if (any_invalid) {
        key(fmt::format("{}_hex", k));
        text_ += '[';
        for (std::size_t i = 0; i < items.size(); ++i) {
            if (i)
                text_ += ',';
            if (invalid[i]) {
                text_ += '"';
                text_ += to_hex(items[i]);
                text_ += '"';
            } else {
                text_ += "null";
            }
        }
        text_ += ']';
    }
    return *this;
}

const std::string& json_line::finish() {
    if (!done_) {
        text_ += '}';
        done_ = true;
    }
    return text_;
}

} // namespace glassbox
