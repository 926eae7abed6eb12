// Normaliser: rewrites one observed subject (a path, a file name, an endpoint) into the pattern
// learn writes and diff compares, replacing the parts that change from run to run with globs.
// The rules are documented (with examples) in docs/learning.md and pinned by the normalisation
// tables in tests/unit/analysis/normalise_test.cpp.
#include "engine.hpp"

#include <array>
#include <cctype>

namespace glassbox::analysis {

namespace {

bool is_glob_meta(char c) {
    return c == '*' || c == '?' || c == '[' || c == ']' || c == '{' || c == '}' || c == '\\';
}

// Length of the valid UTF-8 sequence at s[i], 0 when invalid.
std::size_t utf8_len(std::string_view s, std::size_t i) {
    auto b = static_cast<unsigned char>(s[i]);
    std::size_t n = b < 0x80 ? 1 : (b >> 5) == 6 ? 2 : (b >> 4) == 14 ? 3 : (b >> 3) == 30 ? 4 : 0;
    if (n == 0 || i + n > s.size())
        return 0;
    for (std::size_t k = 1; k < n; ++k)
        if ((static_cast<unsigned char>(s[i + k]) & 0xc0) != 0x80)
            return 0;
    if (n == 2 && b < 0xc2)
        return 0; // overlong
    return n;
}

// ASCII only, locale-independent and inlined (the <cctype> calls showed up in profiles).
inline bool is_digit(char c) { return c >= '0' && c <= '9'; }
inline bool is_hex(char c) { return is_digit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }
inline bool is_alnum(char c) { return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }

// Marks volatile bytes of a component (components are at most 255 bytes on Linux; longer input
// still works, through the heap).
struct spans {
    std::array<std::uint8_t, 256> small{};
    std::vector<std::uint8_t> big;
    std::uint8_t* mark;
    explicit spans(std::size_t n) : mark(small.data()) {
        if (n > small.size()) {
            big.assign(n, 0);
            mark = big.data();
        }
    }
    void add(std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i)
            mark[i] = 1;
    }
    bool covered(std::size_t i) const { return mark[i] != 0; }
};

bool match_uuid(std::string_view s, std::size_t i) {
    static constexpr std::array<int, 5> groups = {8, 4, 4, 4, 12};
    std::size_t p = i;
    for (std::size_t g = 0; g < groups.size(); ++g) {
        for (int k = 0; k < groups[g]; ++k, ++p)
            if (p >= s.size() || !is_hex(s[p]))
                return false;
        if (g + 1 < groups.size()) {
            if (p >= s.size() || s[p] != '-')
                return false;
            ++p;
        }
    }
    return p == s.size() || !is_hex(s[p]);
}

} // namespace

namespace {

void escape_glob_into(std::string& out, std::string_view literal) {
    for (std::size_t i = 0; i < literal.size();) {
        auto b = static_cast<unsigned char>(literal[i]);
        if (b < 0x80) {
            if (b < 0x20 || b == 0x7f)
                out.push_back('?'); // control bytes cannot be written plainly in YAML either
            else {
                if (is_glob_meta(literal[i]))
                    out.push_back('\\');
                out.push_back(literal[i]);
            }
            ++i;
            continue;
        }
        std::size_t n = utf8_len(literal, i);
        if (n == 0) {
            out.push_back('?');
            ++i;
            continue;
        }
        out.append(literal.substr(i, n));
        i += n;
    }
}

void normalise_component_into(std::string& out, std::string_view c);

} // namespace

std::string escape_glob(std::string_view literal) {
    std::string out;
    out.reserve(literal.size() + 4);
    escape_glob_into(out, literal);
    return out;
}

std::string normalise_component(std::string_view c) {
    std::string out;
    out.reserve(c.size());
    normalise_component_into(out, c);
    return out;
}

namespace {

void normalise_component_into(std::string& out, std::string_view c) {
    const std::size_t n = c.size();
    spans sp(n);
    // Python tempfile names: "tmp" + 6-12 random [A-Za-z0-9_] (then end or an extension).
    if (c.starts_with("tmp")) {
        std::size_t k = 3;
        while (k < n && (is_alnum(c[k]) || c[k] == '_'))
            ++k;
        if (k - 3 >= 6 && k - 3 <= 12 && (k == n || c[k] == '.'))
            sp.add(3, k);
    }
    // Alphanumeric runs.
    std::size_t i = 0;
    while (i < n) {
        if (!is_alnum(c[i])) {
            ++i;
            continue;
        }
        // UUIDs span several runs.
        if ((i == 0 || !is_hex(c[i - 1])) && match_uuid(c, i)) {
            sp.add(i, i + 36);
            i += 36;
            continue;
        }
        std::size_t j = i;
        bool upper = false, lower = false, digit = false, all_hex = true;
        std::size_t inner_upper = 0;
        while (j < n && is_alnum(c[j])) {
            char ch = c[j];
            bool up = ch >= 'A' && ch <= 'Z';
            upper |= up;
            inner_upper += up && j > i;
            lower |= ch >= 'a' && ch <= 'z';
            digit |= is_digit(ch);
            all_hex &= is_hex(ch);
            ++j;
        }
        std::size_t len = j - i;
        bool all_digits = digit && !upper && !lower;
        char before = i > 0 ? c[i - 1] : '\0';
        bool after_sep = before == '.' || before == '-' || before == '_' || before == '#' || before == '~';
        bool is_volatile = false;
        // Hashes and hex ids: long hex runs with digits in them.
        if (all_hex && ((len >= 8 && digit && !all_digits) || len >= 16))
            is_volatile = true;
        // Pids, timestamps, counters: five digits or more.
        if (all_digits && len >= 5)
            is_volatile = true;
        // mkstemp/mktemp suffixes: a random-looking run after a separator (letters mixed with
        // digits, or case changing inside the run: "Xa9Bq2", "AbCdEf"; not "GlobalSign").
        if (after_sep && len >= 6 &&
            ((digit && (upper || lower)) || (inner_upper >= 2 && lower) || (len == 6 && inner_upper >= 1 && lower)))
            is_volatile = true;
        if (is_volatile)
            sp.add(i, j);
        i = j;
    }
    // Versions: digits(.digits)+ not inside a longer alnum word on the left of the first digit
    // run ("python3.11" -> "python*", "libclamav.so.11.0.2" -> "libclamav.so.*").
    for (std::size_t k = 0; k < n; ++k) {
        if (!is_digit(c[k]) || (k > 0 && is_digit(c[k - 1])))
            continue;
        std::size_t p = k, parts = 0;
        std::size_t end = k;
        while (p < n && is_digit(c[p])) {
            while (p < n && is_digit(c[p]))
                ++p;
            ++parts;
            end = p;
            if (p + 1 < n && c[p] == '.' && is_digit(c[p + 1]))
                ++p;
            else
                break;
        }
        if (parts >= 2 && (end == n || !is_alnum(c[end]) || c[end] == '.')) {
            sp.add(k, end);
            k = end;
        }
    }
    // Rebuild: volatile bytes become one '*' per run; the rest is escaped.
    std::size_t lit = 0;
    for (std::size_t k = 0; k < n;) {
        if (sp.covered(k)) {
            escape_glob_into(out, c.substr(lit, k - lit));
            if (out.empty() || out.back() != '*')
                out.push_back('*');
            while (k < n && sp.covered(k))
                ++k;
            lit = k;
            continue;
        }
        ++k;
    }
    escape_glob_into(out, c.substr(lit));
}

} // namespace

namespace {

bool all_digits(std::string_view s) {
    if (s.empty())
        return false;
    for (char ch : s)
        if (!is_digit(ch))
            return false;
    return true;
}

// Kernel object names and relative paths have fixed rewrites; returns true when `path` is one.
bool special_path(std::string_view path, std::string& out) {
    for (std::string_view kind : {"pipe:", "socket:", "anon_inode:"})
        if (path.starts_with(kind)) {
            out.assign(kind).push_back('*');
            return true;
        }
    // A run-root placeholder ("<cwd>/q/x", see run_roots): the placeholder stays, the rest is a
    // path below it.
    if (path.starts_with('<')) {
        auto close = path.find('>');
        if (close != std::string_view::npos && close > 1 && (close + 1 == path.size() || path[close + 1] == '/') &&
            path.substr(1, close - 1).find_first_of("</") == std::string_view::npos) {
            out.assign(path.substr(0, close + 1));
            if (close + 1 < path.size()) {
                path_context ctx;
                normalise_components(out, path.substr(close + 2), ctx);
            }
            return true;
        }
    }
    if (path.starts_with("memfd:")) {
        out.assign("memfd:");
        normalise_component_into(out, path.substr(6));
        return true;
    }
    if (path.empty() || path.front() != '/') {
        out.clear();
        escape_glob_into(out, path);
        return true;
    }
    return false;
}

} // namespace

// Appends the normalised components of `comps` (the text after a '/', components separated by
// '/') to `out`, continuing from the position `ctx` describes: the positional rules (/proc/<pid>,
// /home/<user>, /run/user/<uid>) depend only on the components before.
void normalise_components(std::string& out, std::string_view comps, path_context& ctx) {
    for (std::size_t i = 0; i <= comps.size(); ++ctx.k) {
        auto slash = comps.find('/', i);
        if (slash == std::string_view::npos)
            slash = comps.size();
        std::string_view c = comps.substr(i, slash - i);
        i = slash + 1;
        if (ctx.k == 0) {
            ctx.first = c == "proc"  ? path_context::proc
                        : c == "home" ? path_context::home
                        : c == "run"  ? path_context::run
                        : c == "tmp"  ? path_context::tmp
                                      : path_context::other;
        } else if (ctx.k == 1) {
            ctx.second_is_user = c == "user";
        }
        out.push_back('/');
        if (ctx.first == path_context::proc && ctx.k > 0 && all_digits(c)) {
            out += "[0-9]*"; // /proc/<pid>, /proc/<pid>/task/<tid>, /proc/<pid>/fd/<n>
        } else if (ctx.k == 1 && ctx.first == path_context::home && !c.empty()) {
            out += "*"; // user homes
        } else if (ctx.k == 2 && ctx.first == path_context::run && ctx.second_is_user && all_digits(c)) {
            out += "[0-9]*";
        } else if (ctx.k == 1 && ctx.first == path_context::tmp && c.starts_with("systemd-private-")) {
            out += "systemd-private-*";
        } else {
            normalise_component_into(out, c);
        }
    }
}

std::string normalise_path(std::string_view path) {
    constexpr std::string_view kDeleted = " (deleted)";
    if (path.ends_with(kDeleted))
        path.remove_suffix(kDeleted.size());
    std::string out;
    if (special_path(path, out))
        return out;
    out.reserve(path.size() + 8);
    path_context ctx;
    normalise_components(out, path.substr(1), ctx);
    return out;
}

const std::string& subject_normaliser::operator()(section s, std::string_view subject) {
    if (!is_path_section(s)) {
        out_ = normalise_subject(s, subject);
        return out_;
    }
    constexpr std::string_view kDeleted = " (deleted)";
    if (subject.ends_with(kDeleted))
        subject.remove_suffix(kDeleted.size());
    if (special_path(subject, out_))
        return out_;
    auto slash = subject.rfind('/');
    if (slash == 0) { // a top-level name: nothing to share
        out_.clear();
        path_context ctx;
        normalise_components(out_, subject.substr(1), ctx);
        return out_;
    }
    // Files of one directory arrive together (a scan walks a tree): the directory part is
    // normalised once per distinct directory, only the last component per path.
    std::string_view dir = subject.substr(0, slash);
    auto& d = dirs_[std::hash<std::string_view>{}(dir) & (dirs_.size() - 1)];
    if (!d.valid || d.raw != dir) {
        d.raw.assign(dir);
        d.normalised.clear();
        d.ctx = path_context{};
        normalise_components(d.normalised, dir.substr(1), d.ctx);
        d.valid = true;
    }
    out_ = d.normalised;
    path_context ctx = d.ctx;
    normalise_components(out_, subject.substr(slash + 1), ctx);
    return out_;
}

std::string normalise_subject(section s, std::string_view subject) {
    if (is_path_section(s))
        return normalise_path(subject);
    switch (s) {
    case section::proc_memfd:
        return normalise_component(subject);
    case section::net_connect:
    case section::net_bind:
    case section::net_accept:
        if (subject.starts_with("unix /") || subject.starts_with("unix <"))
            return "unix " + normalise_path(subject.substr(5));
        if (subject.starts_with("unix @"))
            return "unix @" + normalise_component(subject.substr(6));
        return std::string(subject);
    case section::net_dns:
        return escape_glob(profile::normalise_dns_name(subject));
    default:
        return std::string(subject);
    }
}

} // namespace glassbox::analysis
