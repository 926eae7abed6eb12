// Streaming trace reader (see include/glassbox/trace_reader.hpp): reads the file in large chunks,
// splits lines, parses each event line with simdjson On-Demand straight into a reused `event`
// whose strings point into the parser's buffer (no allocation per event), and applies the
// `_hex` sidecars so analysis always sees the exact bytes. Header and summary (one line each)
// are parsed with nlohmann-json.
#include <glassbox/trace_chain.hpp>
#include <glassbox/trace_reader.hpp>

#include <fmt/format.h>

#include <fcntl.h>
#include <nlohmann/json.hpp>
#include <simdjson.h>
#include <spdlog/spdlog.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace glassbox::trace {

namespace {

constexpr std::size_t kInitialBuffer = 1u << 20;

std::string errno_text(int e) { return std::strerror(e); }

// Field ids for the sidecar decoding pass.
enum hex_field : int {
    hex_path, hex_raw_path, hex_old_path, hex_new_path, hex_interpreter, hex_cwd, hex_exe,
    hex_comm, hex_target_exe, hex_name, hex_abstract, hex_target, hex_count
};

bool decode_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2)
        return false;
    out.clear();
    out.reserve(hex.size() / 2);
    auto nib = [](char c) -> int {
        if (c >= '0' && c <= '9')
            return c - '0';
        if (c >= 'a' && c <= 'f')
            return c - 'a' + 10;
        if (c >= 'A' && c <= 'F')
            return c - 'A' + 10;
        return -1;
    };
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        int a = nib(hex[i]), b = nib(hex[i + 1]);
        if (a < 0 || b < 0)
            return false;
        out.push_back(static_cast<char>(a << 4 | b));
    }
    return true;
}

struct line_error {
    std::string reason;
};

} // namespace

struct reader::impl {
    int fd = -1;
    bool own_fd = false;
    std::vector<char> buf; // capacity + SIMDJSON_PADDING bytes
    std::size_t cap = 0, begin = 0, end = 0;
    bool eof = false;
    std::uint64_t line_no = 0;
    bool finished = false;

    // The hash chain, checked at every checkpoint while reading (not per line: verify does that).
    chain_checker chain{false};
    std::int64_t last_ts = -1; // of the last event read
    std::string watchdog;      // what glassbox's watchdog appended after glassbox died (its line)

    simdjson::ondemand::parser parser{kMaxLineBytes};
    event ev;
    std::string_view hex[hex_count];
    std::string decoded[hex_count];
    std::vector<std::string_view> argv_hex;
    std::vector<std::string> argv_decoded;

    ~impl() {
        if (own_fd && fd >= 0)
            ::close(fd);
    }

    // Reads more bytes after compacting; false on EOF. Errors are reported as line_error.
    bool fill() {
        if (begin > 0) {
            std::memmove(buf.data(), buf.data() + begin, end - begin);
            end -= begin;
            begin = 0;
        }
        if (end == cap) {
            if (cap >= kMaxLineBytes + 1)
                throw line_error{"line longer than " + std::to_string(kMaxLineBytes) +
                                 " bytes (not a glassbox trace, or a corrupt one)"};
            cap = std::min(cap * 2, kMaxLineBytes + 1);
            buf.resize(cap + simdjson::SIMDJSON_PADDING);
        }
        while (true) {
            ssize_t n = ::read(fd, buf.data() + end, cap - end);
            if (n < 0 && errno == EINTR)
                continue;
            if (n < 0)
                throw line_error{"read error: " + errno_text(errno)};
            if (n == 0) {
                eof = true;
                return false;
            }
            end += static_cast<std::size_t>(n);
            return true;
        }
    }

    // The next line (without '\n'), or false at end of data. `terminated` is false for a final
    // line that has no '\n' (a cut write).
    bool next_line(std::string_view& line, bool& terminated) {
        std::size_t scanned = begin;
        while (true) {
            if (auto* nl = static_cast<char*>(std::memchr(buf.data() + scanned, '\n', end - scanned))) {
                std::size_t pos = static_cast<std::size_t>(nl - buf.data());
                line = std::string_view(buf.data() + begin, pos - begin);
                begin = pos + 1;
                terminated = true;
                ++line_no;
                if (line.size() > kMaxLineBytes)
                    throw line_error{"line longer than " + std::to_string(kMaxLineBytes) + " bytes"};
                return true;
            }
            if (eof) {
                if (begin == end)
                    return false;
                line = std::string_view(buf.data() + begin, end - begin);
                begin = end;
                terminated = false;
                ++line_no;
                return true;
            }
            std::size_t already = end - begin; // all of it scanned; fill() moves begin to 0
            fill();
            scanned = begin + already;
        }
    }

    // True when nothing but blank space follows the current position (consumed into the
    // file's digest).
    bool only_blank_remaining() {
        while (true) {
            for (std::size_t i = begin; i < end; ++i)
                if (buf[i] != '\n' && buf[i] != ' ' && buf[i] != '\r' && buf[i] != '\t')
                    return false;
            chain.feed_raw(std::string_view(buf.data() + begin, end - begin));
            begin = end;
            if (eof || !fill())
                return true;
        }
    }

    void parse_event(std::string_view line);
};

namespace {

using simdjson::ondemand::json_type;

// Key comparison with a compile-time length, so memcmp is inlined (a libc call per field showed
// up at ~10% of analysis time).
template <std::size_t N>
inline bool is(std::string_view key, const char (&lit)[N]) {
    return key.size() == N - 1 && std::memcmp(key.data(), lit, N - 1) == 0;
}

std::string_view get_str(simdjson::ondemand::value v, std::string_view key) {
    auto t = v.type();
    if (t.error())
        throw line_error{"malformed JSON in field '" + std::string(key) + "'"};
    if (t.value_unsafe() == json_type::null)
        return {};
    if (t.value_unsafe() != json_type::string)
        throw line_error{"field '" + std::string(key) + "' must be a string or null"};
    std::string_view s;
    if (v.get_string().get(s))
        throw line_error{"field '" + std::string(key) + "' is not a valid JSON string (bad escape or not UTF-8)"};
    return s;
}

std::int64_t get_int(simdjson::ondemand::value v, std::string_view key) {
    auto t = v.type();
    if (t.error())
        throw line_error{"malformed JSON in field '" + std::string(key) + "'"};
    if (t.value_unsafe() == json_type::null)
        return event::missing;
    std::int64_t i;
    if (v.get_int64().get(i))
        throw line_error{"field '" + std::string(key) + "' must be an integer"};
    return i;
}

// flags and mode are evidence shown in reports, not needed to read a trace: a value that is not a
// small integer (a future string form, a 64-bit mask) is left `missing` instead of failing the line.
std::int64_t get_optional_int(simdjson::ondemand::value v) {
    std::int64_t i;
    if (!v.get_int64().get(i))
        return i;
    std::uint64_t u;
    if (!v.get_uint64().get(u))
        return static_cast<std::int64_t>(u);
    return event::missing;
}

bool get_bool(simdjson::ondemand::value v, std::string_view key) {
    auto t = v.type();
    if (!t.error() && t.value_unsafe() == json_type::null)
        return false;
    bool b;
    if (v.get_bool().get(b))
        throw line_error{"field '" + std::string(key) + "' must be true or false"};
    return b;
}

} // namespace

void reader::impl::parse_event(std::string_view line) {
    ev = event{};
    argv_hex.clear();
    for (auto& h : hex)
        h = {};
    ev.argv.clear();
    ev.line = line_no;

    simdjson::padded_string_view input(line.data(), line.size(),
                                       buf.size() - static_cast<std::size_t>(line.data() - buf.data()));
    simdjson::ondemand::document doc;
    if (auto e = parser.iterate(input).get(doc))
        throw line_error{std::string("not valid JSON: ") + simdjson::error_message(e)};
    simdjson::ondemand::object obj;
    if (auto e = doc.get_object().get(obj))
        throw line_error{e == simdjson::INCORRECT_TYPE ? std::string("not a JSON object")
                                                       : std::string("not valid JSON: ") + simdjson::error_message(e)};
    bool have_type = false;
    for (auto field_result : obj) {
        simdjson::ondemand::field field;
        if (auto e = std::move(field_result).get(field))
            throw line_error{std::string("not valid JSON: ") + simdjson::error_message(e)};
        std::string_view key;
        if (field.unescaped_key().get(key))
            throw line_error{"not valid JSON: bad key"};
        simdjson::ondemand::value v = field.value();
        if (key.size() > 4 && std::memcmp(key.data() + key.size() - 4, "_hex", 4) == 0) {
            std::string_view base = key.substr(0, key.size() - 4);
            if (is(base, "argv")) {
                simdjson::ondemand::array arr;
                if (v.get_array().get(arr))
                    throw line_error{"field 'argv_hex' must be an array"};
                for (auto item : arr) {
                    simdjson::ondemand::value iv;
                    if (item.get(iv))
                        throw line_error{"not valid JSON in 'argv_hex'"};
                    argv_hex.push_back(get_str(iv, "argv_hex"));
                }
                continue;
            }
            int id = -1;
            if (is(base, "path")) id = hex_path;
            else if (is(base, "raw_path")) id = hex_raw_path;
            else if (is(base, "old_path")) id = hex_old_path;
            else if (is(base, "new_path")) id = hex_new_path;
            else if (is(base, "interpreter")) id = hex_interpreter;
            else if (is(base, "cwd")) id = hex_cwd;
            else if (is(base, "exe")) id = hex_exe;
            else if (is(base, "comm")) id = hex_comm;
            else if (is(base, "target_exe")) id = hex_target_exe;
            else if (is(base, "name")) id = hex_name;
            else if (is(base, "abstract")) id = hex_abstract;
            else if (is(base, "target")) id = hex_target;
            if (id >= 0)
                hex[id] = get_str(v, key);
            continue; // unknown sidecars are ignored like unknown fields
        }
        switch (key.empty() ? '\0' : key[0]) {
        case 'a':
            if (is(key, "access")) ev.access = get_str(v, key);
            else if (is(key, "addr")) ev.addr = get_str(v, key);
            else if (is(key, "abstract")) ev.abstract = get_str(v, key);
            else if (is(key, "argv")) {
                auto t = v.type();
                if (!t.error() && t.value_unsafe() == json_type::null)
                    break;
                simdjson::ondemand::array arr;
                if (v.get_array().get(arr))
                    throw line_error{"field 'argv' must be an array"};
                for (auto item : arr) {
                    simdjson::ondemand::value iv;
                    if (item.get(iv))
                        throw line_error{"not valid JSON in 'argv'"};
                    ev.argv.push_back(get_str(iv, "argv"));
                }
            }
            break;
        case 'c':
            if (is(key, "comm")) ev.comm = get_str(v, key);
            else if (is(key, "cwd")) ev.cwd = get_str(v, key);
            else if (is(key, "create")) ev.create = get_bool(v, key);
            else if (is(key, "child_pid")) ev.child_pid = get_int(v, key);
            break;
        case 'e':
            if (is(key, "exe")) ev.exe = get_str(v, key);
            else if (is(key, "euid")) ev.euid = get_int(v, key);
            else if (is(key, "errno")) ev.err = get_str(v, key);
            else if (is(key, "exit_code")) ev.exit_code = get_int(v, key);
            break;
        case 'f':
            if (is(key, "family")) ev.family = get_str(v, key);
            else if (is(key, "fileless")) ev.fileless = get_str(v, key);
            else if (is(key, "flags")) ev.flags = get_optional_int(v);
            break;
        case 'i':
            if (is(key, "interpreter")) ev.interpreter = get_str(v, key);
            break;
        case 'm':
            if (is(key, "mode")) ev.mode = get_optional_int(v);
            break;
        case 'n':
            if (is(key, "name")) ev.name = get_str(v, key);
            else if (is(key, "new_path")) ev.new_path = get_str(v, key);
            else if (is(key, "nr")) ev.nr = get_int(v, key);
            break;
        case 'o':
            if (is(key, "op")) ev.op = get_str(v, key);
            else if (is(key, "old_path")) ev.old_path = get_str(v, key);
            else if (is(key, "option")) ev.option = get_str(v, key);
            break;
        case 'p':
            if (is(key, "pid")) ev.pid = get_int(v, key);
            else if (is(key, "path")) ev.path = get_str(v, key);
            else if (is(key, "ppid")) ev.ppid = get_int(v, key);
            else if (is(key, "port")) ev.port = get_int(v, key);
            else if (is(key, "path_truncated")) ev.path_truncated = get_bool(v, key);
            break;
        case 'q':
            if (is(key, "qtype")) ev.qtype = get_str(v, key);
            break;
        case 'r':
            if (is(key, "ret")) ev.ret = get_int(v, key);
            else if (is(key, "raw_path")) ev.raw_path = get_str(v, key);
            break;
        case 's':
            if (is(key, "syscall")) ev.syscall = get_str(v, key);
            else if (is(key, "sock_type")) ev.sock_type = get_str(v, key);
            else if (is(key, "signal")) ev.signal = get_int(v, key);
            break;
        case 't':
            if (is(key, "type")) {
                ev.type = get_str(v, key);
                have_type = true;
            } else if (is(key, "ts")) ev.ts = get_int(v, key);
            else if (is(key, "tid")) ev.tid = get_int(v, key);
            else if (is(key, "truncate")) ev.truncate = get_bool(v, key);
            else if (is(key, "thread")) ev.thread = get_bool(v, key);
            else if (is(key, "target_pid")) ev.target_pid = get_int(v, key);
            else if (is(key, "target_exe")) ev.target_exe = get_str(v, key);
            else if (is(key, "target")) {
                auto t = v.type();
                if (!t.error() && t.value_unsafe() == json_type::string)
                    ev.target = get_str(v, key);
            }
            break;
        case 'u':
            if (is(key, "uid")) ev.uid = get_int(v, key);
            else if (is(key, "unnamed")) ev.unnamed = get_bool(v, key);
            break;
        case 'v':
            if (is(key, "via")) ev.via = get_str(v, key);
            break;
        default:
            break;
        }
    }
    // Anything after the object (a second value, garbage) is corruption, not a new field.
    if (const char* loc = nullptr; !doc.current_location().get(loc))
        throw line_error{"not valid JSON: trailing content after the object"};
    if (!have_type || ev.type.empty())
        throw line_error{"event without a \"type\""};

    std::string_view* targets[hex_count] = {&ev.path,   &ev.raw_path, &ev.old_path,   &ev.new_path,
                                            &ev.interpreter, &ev.cwd, &ev.exe,        &ev.comm,
                                            &ev.target_exe, &ev.name, &ev.abstract,   &ev.target};
    for (int i = 0; i < hex_count; ++i) {
        if (hex[i].empty())
            continue;
        if (!decode_hex(hex[i], decoded[i]))
            throw line_error{"a _hex field is not lowercase hexadecimal bytes"};
        *targets[i] = decoded[i];
    }
    if (!argv_hex.empty()) {
        if (argv_hex.size() != ev.argv.size())
            throw line_error{"'argv_hex' and 'argv' have different lengths"};
        if (argv_decoded.size() < argv_hex.size())
            argv_decoded.resize(argv_hex.size());
        for (std::size_t i = 0; i < argv_hex.size(); ++i) {
            if (argv_hex[i].empty())
                continue;
            if (!decode_hex(argv_hex[i], argv_decoded[i]))
                throw line_error{"'argv_hex' holds something that is not hexadecimal bytes"};
            ev.argv[i] = argv_decoded[i];
        }
    }
    ev.kind = event_kind_from_name(ev.type);
    ev.category = event_category_of(ev.type);
}

namespace {

std::string where(const std::string& name, std::uint64_t line) {
    return name + ":" + std::to_string(line) + ": ";
}

std::string json_str(const nlohmann::json& j, const char* key) {
    auto it = j.find(key);
    if (it == j.end() || !it->is_string())
        return {};
    return it->get<std::string>();
}

} // namespace

reader::~reader() = default;

result<std::unique_ptr<reader>> reader::open(const std::filesystem::path& file) {
    std::unique_ptr<reader> r(new reader());
    r->impl_ = std::make_unique<impl>();
    auto& im = *r->impl_;
    r->name_ = file.string();
    if (file == "-") {
        im.fd = STDIN_FILENO;
        r->name_ = "<stdin>";
    } else {
        std::error_code ec;
        if (std::filesystem::is_directory(file, ec))
            return std::unexpected(error{r->name_ + ": is a directory, not a trace file"});
        im.fd = ::open(file.c_str(), O_RDONLY | O_CLOEXEC);
        if (im.fd < 0)
            return std::unexpected(error{r->name_ + ": cannot open: " + errno_text(errno)});
        im.own_fd = true;
    }
    im.cap = kInitialBuffer;
    im.buf.resize(im.cap + simdjson::SIMDJSON_PADDING);

    std::string_view line;
    bool terminated = false;
    try {
        if (!im.next_line(line, terminated))
            return std::unexpected(error{r->name_ + ": empty file, not a glassbox trace (no header line)"});
    } catch (const line_error& e) {
        return std::unexpected(error{where(r->name_, 1) + e.reason});
    }
    chain_line kind;
    (void)im.chain.feed(line, terminated, 1, kind); // line 1 only reads the header's chain declaration
    nlohmann::json h;
    try {
        h = nlohmann::json::parse(line.begin(), line.end());
    } catch (const std::exception&) {
        return std::unexpected(error{where(r->name_, 1) + "not a glassbox trace: the first line is not a JSON header"});
    }
    if (!h.is_object() || json_str(h, "type") != "header")
        return std::unexpected(error{where(r->name_, 1) + "not a glassbox trace: the first line is not a header (\"type\":\"header\")"});
    if (auto f = json_str(h, "format"); f != "glassbox-trace")
        return std::unexpected(error{where(r->name_, 1) + "not a glassbox trace (format is '" + f + "', expected 'glassbox-trace')"});
    auto v = h.find("version");
    if (v == h.end() || !v->is_number_integer())
        return std::unexpected(error{where(r->name_, 1) + "trace header has no integer \"version\""});
    if (v->get<std::int64_t>() != kTraceVersion)
        return std::unexpected(error{where(r->name_, 1) + "unsupported trace version " + v->dump() +
                                     " (this glassbox reads version " + std::to_string(kTraceVersion) + ")"});
    auto& hd = r->header_;
    hd.version = kTraceVersion;
    hd.glassbox_version = json_str(h, "glassbox_version");
    hd.mode = json_str(h, "mode");
    hd.cwd = json_str(h, "cwd");
    hd.host = json_str(h, "host");
    hd.kernel = json_str(h, "kernel");
    hd.start_wall = json_str(h, "start_wall");
    hd.cgroup = json_str(h, "cgroup");
    if (auto c = h.find("command"); c != h.end() && c->is_array())
        for (const auto& a : *c)
            if (a.is_string())
                hd.command.push_back(a.get<std::string>());
    if (auto s = h.find("start_ns"); s != h.end() && s->is_number_integer())
        hd.start_ns = s->get<std::int64_t>();
    if (auto s = h.find("root_pid"); s != h.end() && s->is_number_integer())
        hd.root_pid = s->get<std::int64_t>();
    if (auto e = h.find("env"); e != h.end() && e->is_object()) {
        hd.home = json_str(*e, "HOME");
        hd.tmpdir = json_str(*e, "TMPDIR");
    }
    if (auto c = h.find("coverage"); c != h.end() && c->is_object())
        hd.coverage_json = c->dump();
    r->stats_.lines = 1;
    return r;
}

void reader::end_of_trace(std::string how) {
    auto& im = *impl_;
    im.finished = true;
    if (im.chain.chained() && im.chain.summary_verified()) {
        digest_ = im.chain.verified_digest();
        digest_kind_ = "chain";
    } else {
        digest_ = im.chain.file_digest();
        digest_kind_ = "file";
    }
    if (how.empty())
        return;
    std::string last = im.last_ts >= 0 ? fmt::format(" (last event at {:.3f} s)", static_cast<double>(im.last_ts) / 1e9)
                                       : std::string();
    std::string chain;
    if (!im.chain.chained())
        chain = "; it has no hash chain, so nothing in it can be verified";
    else if (im.chain.verified_through() == im.line_no)
        chain = fmt::format("; its hash chain verifies all {} lines", im.line_no);
    else if (im.chain.verified_through())
        chain = fmt::format("; its hash chain verifies lines 1-{}{}, not the {} after", im.chain.verified_through(),
                            im.chain.verified_ts() >= 0
                                ? fmt::format(" (a checkpoint at {:.3f} s)", static_cast<double>(im.chain.verified_ts()) / 1e9)
                                : std::string(),
                            im.line_no - im.chain.verified_through());
    else
        chain = "; no checkpoint of its hash chain was reached, so none of it is verified";
    if (!im.watchdog.empty())
        how = im.watchdog;
    partial_ = fmt::format("{} is PARTIAL: {}{}{}", name_, how, last, chain);
}

result<const event*> reader::next() {
    auto& im = *impl_;
    if (im.finished)
        return nullptr;
    while (true) {
        std::string_view line;
        bool terminated = false;
        std::uint64_t line_no = im.line_no + 1;
        try {
            if (!im.next_line(line, terminated)) {
                std::string w = name_ + ": the trace is incomplete (no summary line: the recording was "
                                        "killed, crashed or the file was copied while being written); "
                                        "using the " + std::to_string(stats_.events) + " events it has";
                warnings_.push_back(std::move(w));
                end_of_trace(fmt::format("no summary line, it ends after line {}: the recording was killed, "
                                         "crashed or is still running, or the file was cut",
                                         im.line_no));
                return nullptr;
            }
        } catch (const line_error& e) {
            im.finished = true;
            return std::unexpected(error{where(name_, line_no) + e.reason});
        }
        stats_.lines = im.line_no;
        chain_line kind;
        if (auto br = im.chain.feed(line, terminated, im.line_no, kind)) {
            im.finished = true;
            return std::unexpected(error{where(name_, br->line) + br->reason});
        }
        if (kind == chain_line::checkpoint)
            continue; // a line of the format, not an event (verified by the chain just now)
        while (!line.empty() && (line.back() == '\r' || line.back() == ' ' || line.back() == '\t'))
            line.remove_suffix(1);
        if (line.find_first_not_of(" \t") == std::string_view::npos)
            continue;
        try {
            im.parse_event(line);
        } catch (const line_error& e) {
            // A cut last line is expected after a crash: warn and stop; elsewhere it is corruption.
            bool last = !terminated;
            if (!last) {
                try {
                    last = im.only_blank_remaining();
                } catch (const line_error&) {
                    last = false;
                }
            }
            if (last) {
                std::string w = where(name_, im.line_no) + "last line is cut or malformed (" + e.reason +
                                "): ignored; the trace is incomplete";
                warnings_.push_back(std::move(w));
                end_of_trace(fmt::format("its last line ({}) is cut mid-line: the recording was killed or the "
                                         "file was cut while being written",
                                         im.line_no));
                return nullptr;
            }
            im.finished = true;
            return std::unexpected(error{where(name_, im.line_no) + e.reason});
        }
        if (im.chain.chained() && (im.ev.type == "summary" || im.ev.type == "checkpoint") &&
            kind != chain_line::summary) {
            // The recorder writes these in one exact form, which the chain checks; another form
            // is someone's edit.
            im.finished = true;
            return std::unexpected(error{where(name_, im.line_no) + "a " + std::string(im.ev.type) +
                                         " line not in the form the recorder writes: the trace was edited"});
        }
        if (im.ev.type == "checkpoint")
            continue; // an unchained trace's: no digest to check, still not an event
        if (im.ev.type == "summary") {
            summary s;
            try {
                auto j = nlohmann::json::parse(line.begin(), line.end());
                if (auto it = j.find("events"); it != j.end() && it->is_number_unsigned())
                    s.events = it->get<std::uint64_t>();
                if (auto it = j.find("lost"); it != j.end() && it->is_number_unsigned())
                    s.lost = it->get<std::uint64_t>();
                if (auto it = j.find("duration_ns"); it != j.end() && it->is_number_unsigned())
                    s.duration_ns = it->get<std::uint64_t>();
                if (auto it = j.find("exit"); it != j.end() && it->is_object()) {
                    if (auto c = it->find("code"); c != it->end() && c->is_number_integer())
                        s.exit_code = c->get<std::int64_t>();
                    if (auto c = it->find("signal"); c != it->end() && c->is_number_integer())
                        s.exit_signal = c->get<std::int64_t>();
                }
                s.ended_by = json_str(j, "ended_by");
            } catch (const std::exception& e) {
                im.finished = true;
                return std::unexpected(error{where(name_, im.line_no) + "bad summary line: " + e.what()});
            }
            if (s.lost > 0) {
                std::string w = name_ + ": the kernel lost " + std::to_string(s.lost) +
                                " events while recording: this trace is not complete evidence";
                spdlog::warn("{}", w);
                warnings_.push_back(std::move(w));
            }
            summary_ = s;
            im.finished = true;
            try {
                if (!im.only_blank_remaining())
                    return std::unexpected(error{where(name_, im.line_no + 1) + "data after the summary line"});
            } catch (const line_error& e) {
                return std::unexpected(error{where(name_, im.line_no + 1) + e.reason});
            }
            end_of_trace({});
            return nullptr;
        }
        if (im.ev.type == "header")
            return std::unexpected(error{where(name_, im.line_no) + "a second header line (two traces concatenated?)"});
        if (im.ev.type == "watchdog") {
            // Not an event: the watchdog's account of what it appended after glassbox died.
            im.watchdog = watchdog_account(line, im.line_no);
            continue;
        }
        ++stats_.events;
        im.last_ts = im.ev.ts;
        if (im.ev.kind == GB_EV_NONE)
            ++stats_.unknown_types;
        return &im.ev;
    }
}

} // namespace glassbox::trace
