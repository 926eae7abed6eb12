/* The one list of event kinds (X-macro): GB_EVENT_KIND(enum_name, "json type", category).
 * Included by the BPF programs (enum values only) and by C++ (names and categories for the trace
 * writer, the reader, check/diff and the summary). Add a kind here and nowhere else.
 * Categories: process, file, network, privileged (see docs/trace-format.md). */
#ifndef GLASSBOX_EVENT_KINDS_H
#define GLASSBOX_EVENT_KINDS_H

#define GB_EVENT_KINDS(X)                      \
    X(EXEC, "exec", process)                   \
    X(FORK, "fork", process)                   \
    X(EXIT, "exit", process)                   \
    X(MEMFD_CREATE, "memfd_create", process)   \
    X(CRED, "cred", process)                   \
    X(PRCTL, "prctl", process)                 \
    X(SIGNAL, "signal", process)               \
    X(OPEN, "open", file)                      \
    X(CLOSE, "close", file)                    \
    X(UNLINK, "unlink", file)                  \
    X(RMDIR, "rmdir", file)                    \
    X(MKDIR, "mkdir", file)                    \
    X(MKNOD, "mknod", file)                    \
    X(CHMOD, "chmod", file)                    \
    X(CHOWN, "chown", file)                    \
    X(TRUNCATE, "truncate", file)              \
    X(UTIMES, "utimes", file)                  \
    X(SETXATTR, "setxattr", file)              \
    X(REMOVEXATTR, "removexattr", file)        \
    X(RENAME, "rename", file)                  \
    X(LINK, "link", file)                      \
    X(SYMLINK, "symlink", file)                \
    X(MMAP_EXEC, "mmap_exec", file)            \
    X(INOTIFY, "inotify_add_watch", file)      \
    X(CONNECT, "connect", network)             \
    X(BIND, "bind", network)                   \
    X(LISTEN, "listen", network)               \
    X(ACCEPT, "accept", network)               \
    X(SENDTO, "sendto", network)               \
    X(SOCKET, "socket", network)               \
    X(DNS, "dns", network)                     \
    X(PRIV, "priv", privileged)                \
    X(ABI32, "abi32", privileged)              \
    X(RECVFROM, "recvfrom", network)

enum gb_event_kind {
    GB_EV_NONE = 0,
#define GB_X_ENUM(name, json, cat) GB_EV_##name,
    GB_EVENT_KINDS(GB_X_ENUM)
#undef GB_X_ENUM
    GB_EV_MAX
};

#ifdef __cplusplus
#include <string_view>

namespace glassbox {

enum class event_category { process, file, network, privileged, unknown };

struct event_kind_info {
    gb_event_kind kind;
    std::string_view name;
    event_category category;
};

inline constexpr event_kind_info event_kind_table[] = {
#define GB_X_INFO(name, json, cat) {GB_EV_##name, json, event_category::cat},
    GB_EVENT_KINDS(GB_X_INFO)
#undef GB_X_INFO
};

// The kind named by a trace's "type" field; GB_EV_NONE when unknown.
constexpr gb_event_kind event_kind_from_name(std::string_view name) {
    for (const auto& k : event_kind_table)
        if (k.name == name)
            return k.kind;
    return GB_EV_NONE;
}

constexpr event_category event_category_of(std::string_view name) {
    for (const auto& k : event_kind_table)
        if (k.name == name)
            return k.category;
    return event_category::unknown;
}

constexpr std::string_view event_kind_name(gb_event_kind kind) {
    for (const auto& k : event_kind_table)
        if (k.kind == kind)
            return k.name;
    return "unknown";
}

} // namespace glassbox
#endif

#endif
