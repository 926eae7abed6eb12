// Pattern matchers behind every profile rule: byte globs (paths, unix sockets, memfd names, DNS
// labels), network endpoint rules (protocol + CIDR + port range, unix paths) and DNS names.
// They sit under check/diff/learn (analysis) and the enforce supervisor, so matching is
// allocation-free on the hot path and never throws; compile() reports bad patterns as text.
#include <glassbox/profile.hpp>

#include <arpa/inet.h>

#include <algorithm>
#include <cstring>

namespace glassbox::profile {

namespace {

constexpr std::size_t kMaxAlternatives = 1024;
constexpr std::size_t kMaxPatternLength = 8192;

// Steps over what braces never split: a backslash escape, or a whole [...] class (a ']' right
// after '[' or '[!' belongs to the class; an unclosed class runs to the end). Returns true with
// `i` on the last byte stepped over, or false when s[i] is a plain character to look at.
bool skip_escape_or_class(std::string_view s, std::size_t& i) {
    if (s[i] == '\\') {
        ++i;
        return true;
    }
    if (s[i] != '[')
        return false;
    if (i + 1 < s.size() && (s[i + 1] == '!' || s[i + 1] == '^'))
        ++i;
    if (i + 1 < s.size() && s[i + 1] == ']')
        ++i;
    for (++i; i < s.size(); ++i) {
        if (s[i] == '\\')
            ++i;
        else if (s[i] == ']')
            return true;
    }
    return true;
}

// Expands {a,b} groups (respecting \ escapes and [..] classes) into brace-free alternatives.
std::expected<void, std::string> expand_braces(std::string_view s, std::vector<std::string>& out,
                                               int depth = 0) {
    if (depth > 32)
        return std::unexpected("braces nested too deeply");
    // Find the first top-level '{' and its matching '}'.
    std::size_t open = std::string_view::npos;
    for (std::size_t i = 0; i < s.size(); ++i) {
        if (skip_escape_or_class(s, i))
            continue;
        char c = s[i];
        if (c == '}')
            return std::unexpected("unbalanced '}'");
        if (c == '{') {
            open = i;
            break;
        }
    }
    if (open == std::string_view::npos) {
        if (out.size() >= kMaxAlternatives)
            return std::unexpected("more than 1024 alternatives after expanding {..}");
        out.emplace_back(s);
        return {};
    }
    int level = 0;
    std::vector<std::string_view> parts;
    std::size_t part_start = open + 1;
    std::size_t close = std::string_view::npos;
    for (std::size_t i = open; i < s.size(); ++i) {
        if (skip_escape_or_class(s, i))
            continue;
        char c = s[i];
        if (c == '{') {
            ++level;
        } else if (c == '}') {
            if (--level == 0) {
                parts.push_back(s.substr(part_start, i - part_start));
                close = i;
                break;
            }
        } else if (c == ',' && level == 1) {
            parts.push_back(s.substr(part_start, i - part_start));
            part_start = i + 1;
        }
    }
    if (close == std::string_view::npos)
        return std::unexpected("unbalanced '{'");
    std::string_view head = s.substr(0, open), tail = s.substr(close + 1);
    for (auto part : parts) {
        std::string joined;
        joined.reserve(head.size() + part.size() + tail.size());
        joined.append(head).append(part).append(tail);
        if (auto r = expand_braces(joined, out, depth + 1); !r)
            return r;
    }
    return {};
}

void set_bit(std::array<std::uint64_t, 4>& set, unsigned char c) { set[c >> 6] |= 1ull << (c & 63); }
bool has_bit(const std::array<std::uint64_t, 4>& set, unsigned char c) {
    return (set[c >> 6] >> (c & 63)) & 1;
}

using op = glob::token::op;

std::expected<glob::alternative, std::string> tokenize(std::string_view s, char sep) {
    glob::alternative alt;
    alt.source = std::string(s);
    auto& toks = alt.tokens;
    for (std::size_t i = 0; i < s.size(); ++i) {
        unsigned char c = static_cast<unsigned char>(s[i]);
        switch (c) {
        case '\\':
            if (i + 1 >= s.size())
                return std::unexpected("trailing '\\' escapes nothing");
            ++i;
            toks.push_back({op::lit, static_cast<std::uint8_t>(s[i]), 0});
            break;
        case '?':
            toks.push_back({op::one, 0, 0});
            break;
        case '*': {
            bool dbl = i + 1 < s.size() && s[i + 1] == '*';
            if (!dbl) {
                toks.push_back({op::star, 0, 0});
                break;
            }
            std::size_t j = i + 2;
            while (j < s.size() && s[j] == '*') // *** is the same as **
                ++j;
            bool starts_component = i == 0 || s[i - 1] == sep;
            bool ends_component = j == s.size() || s[j] == sep;
            if (!(starts_component && ends_component)) {
                toks.push_back({op::star, 0, 0});
            } else if (i == 0 && j == s.size()) {
                toks.push_back({op::any, 0, 0});
            } else if (j == s.size()) {
                // "<sep>**" at the end: the directory itself or anything below it.
                toks.pop_back();
                toks.push_back({op::tail, 0, 0});
            } else {
                // "**<sep>": zero or more whole components.
                toks.push_back({op::anydirs, 0, 0});
                ++j; // the separator is part of the token
            }
            i = j - 1;
            break;
        }
        case '[': {
            std::array<std::uint64_t, 4> set{};
            std::size_t j = i + 1;
            bool negate = false;
            if (j < s.size() && (s[j] == '!' || s[j] == '^')) {
                negate = true;
                ++j;
            }
            bool first = true, closed = false;
            while (j < s.size()) {
                unsigned char a = static_cast<unsigned char>(s[j]);
                if (a == ']' && !first) {
                    closed = true;
                    break;
                }
                first = false;
                if (a == '\\' && j + 1 < s.size())
                    a = static_cast<unsigned char>(s[++j]);
                if (j + 2 < s.size() && s[j + 1] == '-' && s[j + 2] != ']') {
                    unsigned char b = static_cast<unsigned char>(s[j + 2]);
                    j += 2;
                    if (b == '\\' && j + 1 < s.size())
                        b = static_cast<unsigned char>(s[++j]);
                    if (b < a)
                        return std::unexpected(std::string("reversed range in character class '") +
                                               char(a) + "-" + char(b) + "'");
                    for (unsigned x = a; x <= b; ++x)
                        set_bit(set, static_cast<unsigned char>(x));
                } else {
                    set_bit(set, a);
                }
                ++j;
            }
            if (!closed)
                return std::unexpected("unterminated character class '['");
            if (negate)
                for (auto& w : set)
                    w = ~w;
            // A class never matches the separator (like * and ?).
            set[static_cast<unsigned char>(sep) >> 6] &= ~(1ull << (static_cast<unsigned char>(sep) & 63));
            alt.classes.push_back(set);
            toks.push_back({op::cls, 0, static_cast<std::uint16_t>(alt.classes.size() - 1)});
            i = j;
            break;
        }
        case ']':
            // A lone ']' is literal (as in shells).
            toks.push_back({op::lit, c, 0});
            break;
        default:
            toks.push_back({op::lit, c, 0});
        }
    }
    for (const auto& t : toks) {
        if (t.kind != op::lit) {
            alt.literal = false;
            break;
        }
        alt.prefix.push_back(static_cast<char>(t.ch));
    }
    return alt;
}

// Backtracking matcher; positions after star-like tokens are memoised as failures when a pattern
// has several of them, so the worst case stays O(tokens x length).
struct matcher {
    const glob::alternative& a;
    std::string_view s;
    unsigned char sep;
    std::vector<std::uint8_t>* memo; // null when at most one star-like token

    bool failed_before(std::size_t ti, std::size_t si) {
        if (!memo)
            return false;
        auto& cell = (*memo)[ti * (s.size() + 1) + si];
        if (cell)
            return true;
        cell = 1; // marked before exploring: a success returns immediately, so it is never read
        return false;
    }

    bool run(std::size_t ti, std::size_t si) {
        const auto& toks = a.tokens;
        const std::size_t n = s.size();
        while (true) {
            if (ti == toks.size())
                return si == n;
            const auto& t = toks[ti];
            switch (t.kind) {
            case op::lit:
                if (si < n && static_cast<unsigned char>(s[si]) == t.ch) {
                    ++ti;
                    ++si;
                    continue;
                }
                return false;
            case op::one:
                if (si < n && static_cast<unsigned char>(s[si]) != sep) {
                    ++ti;
                    ++si;
                    continue;
                }
                return false;
            case op::cls:
                if (si < n && has_bit(a.classes[t.cls], static_cast<unsigned char>(s[si]))) {
                    ++ti;
                    ++si;
                    continue;
                }
                return false;
            case op::tail:
                return si == n || static_cast<unsigned char>(s[si]) == sep;
            case op::star: {
                if (ti + 1 == toks.size()) // trailing *: the rest must hold no separator
                    return s.find(static_cast<char>(sep), si) == std::string_view::npos;
                if (failed_before(ti, si))
                    return false;
                for (std::size_t k = si;; ++k) {
                    if (run(ti + 1, k))
                        return true;
                    if (k == n || static_cast<unsigned char>(s[k]) == sep)
                        return false;
                }
            }
            case op::any: {
                if (ti + 1 == toks.size())
                    return true;
                if (failed_before(ti, si))
                    return false;
                for (std::size_t k = si; k <= n; ++k)
                    if (run(ti + 1, k))
                        return true;
                return false;
            }
            case op::anydirs: {
                if (failed_before(ti, si))
                    return false;
                if (run(ti + 1, si))
                    return true;
                for (std::size_t k = si; k < n; ++k)
                    if (static_cast<unsigned char>(s[k]) == sep && run(ti + 1, k + 1))
                        return true;
                return false;
            }
            }
            return false;
        }
    }
};

} // namespace

std::expected<glob, std::string> glob::compile(std::string_view text, char separator) {
    if (text.empty())
        return std::unexpected("empty pattern");
    if (text.size() > kMaxPatternLength)
        return std::unexpected("pattern longer than 8192 bytes");
    if (text.find('\0') != std::string_view::npos)
        return std::unexpected("pattern contains a NUL byte");
    std::vector<std::string> expanded;
    if (auto r = expand_braces(text, expanded); !r)
        return std::unexpected(r.error());
    glob g;
    g.text_ = std::string(text);
    g.sep_ = separator;
    for (const auto& e : expanded) {
        auto alt = tokenize(e, separator);
        if (!alt)
            return std::unexpected(alt.error());
        g.alts_.push_back(std::move(*alt));
    }
    g.literal_ = g.alts_.size() == 1 && g.alts_[0].literal;
    return g;
}

bool glob::match_alt(const alternative& a, std::string_view s) const {
    if (a.literal)
        return s == a.prefix;
    if (!s.starts_with(a.prefix))
        return false;
    std::size_t stars = 0;
    for (const auto& t : a.tokens)
        if (t.kind == op::star || t.kind == op::any || t.kind == op::anydirs)
            ++stars;
    // Start after the literal prefix (those tokens are exactly the prefix bytes).
    std::size_t ti = a.prefix.size();
    if (stars <= 1) {
        matcher m{a, s, static_cast<unsigned char>(sep_), nullptr};
        return m.run(ti, a.prefix.size());
    }
    thread_local std::vector<std::uint8_t> memo;
    memo.assign((a.tokens.size() + 1) * (s.size() + 1), 0);
    matcher m{a, s, static_cast<unsigned char>(sep_), &memo};
    return m.run(ti, a.prefix.size());
}

bool glob::matches(std::string_view subject) const {
    for (const auto& a : alts_)
        if (match_alt(a, subject))
            return true;
    return false;
}

std::vector<std::string> glob::alternatives() const {
    std::vector<std::string> out;
    for (const auto& a : alts_)
        out.push_back(a.source);
    return out;
}

std::string glob::literal_prefix() const {
    std::string common;
    bool first = true;
    for (const auto& a : alts_) {
        std::string p = a.prefix;
        if (!a.literal) {
            bool next_is_tail = a.tokens.size() > p.size() && a.tokens[p.size()].kind == op::tail;
            if (next_is_tail) {
                if (p.empty())
                    p = std::string(1, sep_); // "/**"
            } else {
                auto cut = p.rfind(sep_);
                p = cut == std::string::npos ? std::string()
                    : cut == 0                ? std::string(1, sep_) // "/x*" lies beneath "/"
                                              : p.substr(0, cut);
            }
        }
        if (first) {
            common = p;
            first = false;
            continue;
        }
        std::size_t k = 0;
        while (k < common.size() && k < p.size() && common[k] == p[k])
            ++k;
        if (k == common.size() && k == p.size())
            continue;
        bool boundary = (k == common.size() || common[k] == sep_) && (k == p.size() || p[k] == sep_);
        if (boundary && k > 0) {
            common.resize(k);
        } else {
            auto cut = common.substr(0, k).rfind(sep_);
            common = cut == std::string::npos ? std::string()
                     : cut == 0                ? std::string(1, sep_)
                                               : common.substr(0, cut);
        }
    }
    return common;
}

// ---------------------------------------------------------------------------------------------

namespace {

struct parsed_ip {
    int version = 0;
    std::array<std::uint8_t, 16> bytes{};
};

std::optional<parsed_ip> parse_ip(std::string_view text) {
    if (text.empty() || text.size() > 63)
        return std::nullopt;
    char buf[64];
    std::memcpy(buf, text.data(), text.size());
    buf[text.size()] = '\0';
    parsed_ip ip;
    if (inet_pton(AF_INET, buf, ip.bytes.data()) == 1) {
        ip.version = 4;
        return ip;
    }
    if (inet_pton(AF_INET6, buf, ip.bytes.data()) == 1) {
        static constexpr std::uint8_t mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};
        if (std::memcmp(ip.bytes.data(), mapped, 12) == 0) {
            std::memmove(ip.bytes.data(), ip.bytes.data() + 12, 4);
            std::fill(ip.bytes.begin() + 4, ip.bytes.end(), 0);
            ip.version = 4;
        } else {
            ip.version = 6;
        }
        return ip;
    }
    return std::nullopt;
}

void mask(std::array<std::uint8_t, 16>& a, int prefix) {
    for (int i = 0; i < 16; ++i) {
        int bits = std::clamp(prefix - i * 8, 0, 8);
        a[i] &= static_cast<std::uint8_t>(bits == 8 ? 0xff : (0xff00 >> bits) & 0xff);
    }
}

std::optional<long> parse_uint(std::string_view s, long max) {
    if (s.empty() || s.size() > 6)
        return std::nullopt;
    long v = 0;
    for (char c : s) {
        if (c < '0' || c > '9')
            return std::nullopt;
        v = v * 10 + (c - '0');
    }
    if (v > max)
        return std::nullopt;
    return v;
}

std::string_view trim(std::string_view s) {
    while (!s.empty() && (s.front() == ' ' || s.front() == '\t'))
        s.remove_prefix(1);
    while (!s.empty() && (s.back() == ' ' || s.back() == '\t'))
        s.remove_suffix(1);
    return s;
}

bool is_family_name(std::string_view p) {
    if (p == "netlink" || p == "packet")
        return true;
    if (p.starts_with("af_") && p.size() > 3)
        return parse_uint(p.substr(3), 255).has_value();
    return false;
}

} // namespace

std::string_view endpoint_proto(std::string_view family, std::string_view sock_type) {
    if (family == "inet" || family == "inet6") {
        if (sock_type == "stream")
            return "tcp";
        if (sock_type == "dgram")
            return "udp";
        if (sock_type == "raw")
            return "raw";
        if (sock_type == "seqpacket")
            return "sctp";
        return sock_type.empty() ? std::string_view("tcp") : sock_type;
    }
    return family;
}

std::expected<endpoint_pattern, std::string> endpoint_pattern::compile(std::string_view text) {
    endpoint_pattern p;
    p.text_ = std::string(text);
    std::string_view t = trim(text);
    if (t.empty())
        return std::unexpected("empty endpoint");
    auto space = t.find_first_of(" \t");
    std::string_view proto = t.substr(0, space);
    std::string_view rest = space == std::string_view::npos ? std::string_view() : trim(t.substr(space));

    if (proto == "unix") {
        if (rest.empty())
            return std::unexpected("'unix' needs a socket path, @abstract-name or 'unnamed'");
        if (rest == "unnamed") {
            p.type = kind::unix_unnamed;
            return p;
        }
        if (rest.front() == '@') {
            auto g = glob::compile(rest.substr(1), '/');
            if (!g)
                return std::unexpected("abstract socket name: " + g.error());
            p.type = kind::unix_abstract;
            p.name = std::move(*g);
            return p;
        }
        if (rest.front() != '/' && rest.front() != '*' && rest.front() != '{')
            return std::unexpected("unix socket path must be absolute (or @name for an abstract socket)");
        auto g = glob::compile(rest, '/');
        if (!g)
            return std::unexpected("unix socket path: " + g.error());
        p.type = kind::unix_path;
        p.name = std::move(*g);
        return p;
    }
    if (is_family_name(proto)) {
        if (!rest.empty() && rest != "*")
            return std::unexpected("a '" + std::string(proto) + "' rule takes no address (write '" +
                                   std::string(proto) + "' or '" + std::string(proto) + " *')");
        p.type = kind::family;
        p.proto = std::string(proto);
        return p;
    }
    if (proto != "tcp" && proto != "udp" && proto != "raw" && proto != "sctp" && proto != "any")
        return std::unexpected("unknown protocol '" + std::string(proto) +
                               "' (expected tcp, udp, raw, sctp, any, unix, netlink, packet or af_N)");
    p.type = kind::inet;
    p.proto = std::string(proto);
    if (rest.empty())
        return std::unexpected("'" + std::string(proto) +
                               "' needs an address: ADDR[/LEN][:PORT[-PORT]], [IPv6][:PORT] or *[:PORT]");

    std::string_view host, ports;
    if (rest.front() == '[') {
        auto close = rest.find(']');
        if (close == std::string_view::npos)
            return std::unexpected("missing ']' after IPv6 address");
        host = rest.substr(1, close - 1);
        std::string_view after = rest.substr(close + 1);
        if (!after.empty()) {
            if (after.front() != ':')
                return std::unexpected("expected ':PORT' after ']'");
            ports = after.substr(1);
            if (ports.empty())
                return std::unexpected("empty port after ':'");
        }
        if (host.find(':') == std::string_view::npos && host != "*")
            return std::unexpected("brackets are for IPv6 addresses");
    } else if (std::count(rest.begin(), rest.end(), ':') >= 2) {
        host = rest; // bare IPv6, no port
    } else {
        auto colon = rest.find(':');
        host = rest.substr(0, colon);
        if (colon != std::string_view::npos) {
            ports = rest.substr(colon + 1);
            if (ports.empty())
                return std::unexpected("empty port after ':'");
        }
    }
    if (host.empty())
        return std::unexpected("empty address");
    if (host == "*") {
        p.ip_version = 0;
        p.prefix_len = 0;
    } else {
        std::string_view addr = host;
        int len = -1;
        if (auto slash = host.find('/'); slash != std::string_view::npos) {
            addr = host.substr(0, slash);
            auto l = parse_uint(host.substr(slash + 1), 128);
            if (!l)
                return std::unexpected("bad prefix length '" + std::string(host.substr(slash + 1)) + "'");
            len = static_cast<int>(*l);
        }
        auto ip = parse_ip(addr);
        if (!ip)
            return std::unexpected("bad IP address '" + std::string(addr) + "'");
        int max = ip->version == 4 ? 32 : 128;
        if (len > max)
            return std::unexpected("prefix length " + std::to_string(len) + " is longer than " +
                                   std::to_string(max) + " bits");
        p.ip_version = ip->version;
        p.prefix_len = len < 0 ? max : len;
        p.addr = ip->bytes;
        mask(p.addr, p.prefix_len);
    }
    if (!ports.empty() && ports != "*") {
        auto dash = ports.find('-');
        auto lo = parse_uint(ports.substr(0, dash), 65535);
        auto hi = dash == std::string_view::npos ? lo : parse_uint(ports.substr(dash + 1), 65535);
        if (!lo || !hi)
            return std::unexpected("bad port '" + std::string(ports) + "' (expected N, N-M or *, 0-65535)");
        if (*hi < *lo)
            return std::unexpected("port range '" + std::string(ports) + "' is reversed");
        p.port_lo = static_cast<std::uint16_t>(*lo);
        p.port_hi = static_cast<std::uint16_t>(*hi);
    }
    return p;
}

bool endpoint_pattern::matches(const endpoint& e) const {
    switch (type) {
    case kind::unix_unnamed:
        return e.proto == "unix" && e.unnamed;
    case kind::unix_abstract:
        return e.proto == "unix" && e.abstract && !e.unnamed && name && name->matches(e.path);
    case kind::unix_path:
        return e.proto == "unix" && !e.abstract && !e.unnamed && !e.path.empty() && name &&
               name->matches(e.path);
    case kind::family:
        return e.proto == proto;
    case kind::inet:
        break;
    }
    if (!(e.proto == "tcp" || e.proto == "udp" || e.proto == "raw" || e.proto == "sctp"))
        return false;
    if (proto != "any" && e.proto != proto)
        return false;
    if (!(port_lo == 0 && port_hi == 65535)) {
        if (e.port < port_lo || e.port > port_hi)
            return false;
    }
    if (ip_version == 0)
        return true;
    auto ip = parse_ip(e.addr);
    if (!ip || ip->version != ip_version)
        return false;
    auto a = ip->bytes;
    mask(a, prefix_len);
    return a == addr;
}

std::string normalise_dns_name(std::string_view name) {
    std::string out(name);
    for (auto& c : out)
        if (c >= 'A' && c <= 'Z')
            c = static_cast<char>(c - 'A' + 'a');
    while (out.size() > 1 && out.back() == '.')
        out.pop_back();
    return out;
}

std::expected<dns_pattern, std::string> dns_pattern::compile(std::string_view text) {
    std::string t = normalise_dns_name(trim(text));
    if (t.empty())
        return std::unexpected("empty DNS name");
    for (unsigned char c : t)
        if (c <= ' ' || c >= 0x7f)
            return std::unexpected("DNS name pattern contains a space or non-ASCII byte");
    auto g = glob::compile(t, '.');
    if (!g)
        return std::unexpected(g.error());
    dns_pattern p;
    p.glob_ = std::move(*g);
    return p;
}

bool dns_pattern::matches(std::string_view name) const {
    // Names in traces are usually already lower case without a trailing dot: avoid a copy then.
    bool plain = !name.empty() && name.back() != '.';
    for (char c : name)
        if (c >= 'A' && c <= 'Z') {
            plain = false;
            break;
        }
    if (plain)
        return glob_.matches(name);
    return glob_.matches(normalise_dns_name(name));
}

} // namespace glassbox::profile
