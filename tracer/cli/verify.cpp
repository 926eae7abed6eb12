// glassbox verify: checks a trace's hash chain (docs/trace-format.md, "The hash chain") and its
// optional Ed25519 signature, and says "intact" or names the first line that is not what the
// recorder wrote. Thin layer over trace::verify_trace.
#include <glassbox/cli.hpp>
#include <glassbox/error.hpp>
#include <glassbox/trace_chain.hpp>

#include <CLI/CLI.hpp>
#include <fmt/format.h>

#include <memory>

namespace glassbox {

namespace {

struct verify_args {
    std::string trace;
    std::string pubkey;
};

// Exit codes of verify (also in main's footer).
constexpr int verify_broken = 1;
constexpr int verify_partial = 4;
constexpr int verify_unchained = 5;

constexpr const char* verify_footer = R"(
Every trace glassbox writes carries a hash chain: a running SHA-256 over its bytes, with a
checkpoint line at least every 1024 lines and at every write to the file (about every 0.1 s),
each holding the digest of the file up to it and a 4-byte tag per line; the summary holds the
final digest. verify recomputes all of it: an edited byte, a removed, inserted or moved line,
a forged checkpoint or a cut file is reported with the first line that is not as written. A
partial trace (glassbox killed, FILE.partial) is verified up to its last checkpoint, and verify
says which lines that covers.

The chain alone proves the file is the one written, unless someone rewrote the whole chain
after the edit: against that, sign traces (run/attach/enforce --sign-key KEY.pem, an Ed25519
key the lab keeps apart) and verify with --pubkey. Key pair:
  openssl genpkey -algorithm ed25519 -out lab.pem
  openssl pkey -in lab.pem -pubout -out lab.pub.pem

Exit status: 0 intact (and signed by --pubkey when given), 1 NOT intact (the line is named) or
the signature does not verify, 2 the file or key cannot be read or is not a glassbox trace,
4 partial (verified up to its last checkpoint only), 5 the trace has no chain (cannot be verified).

Examples:
  glassbox verify scan.jsonl
  glassbox verify --pubkey lab.pub.pem scan.jsonl
  glassbox verify scan.jsonl.partial        # what survived a killed recording)";

} // namespace

void register_verify(CLI::App& app) {
    auto args = std::make_shared<verify_args>();
    auto* cmd = app.add_subcommand("verify", "Check that a trace is intact (hash chain, signature)");
    cmd->footer(verify_footer);
    cmd->add_option("trace", args->trace, "Trace file (FILE or FILE.partial)")->required();
    cmd->add_option("--pubkey", args->pubkey, "Ed25519 public key (PEM): the trace must be signed by it");
    cmd->callback([args] {
        auto r = trace::verify_trace(args->trace, args->pubkey);
        if (!r)
            throw fatal_error(exit_code::usage, r.error().message);
        const auto& v = *r;
        switch (v.status) {
        case trace::verify_status::intact: {
            std::string sig = v.signature_checked ? fmt::format(", signed by {}", args->pubkey)
                              : v.signed_trace   ? fmt::format(", signed by public key {} (not checked against "
                                                               "a key of yours: pass --pubkey)",
                                                               v.public_key)
                                                 : ", not signed";
            fmt::print("{}: intact: {} lines, final digest sha256:{}{}\n", args->trace, v.lines, v.digest, sig);
            set_command_exit(0);
            break;
        }
        case trace::verify_status::broken:
            fmt::print("{}: NOT intact at line {}: {}\n", args->trace, v.first_bad_line, v.reason);
            set_command_exit(verify_broken);
            break;
        case trace::verify_status::partial:
            fmt::print("{}: PARTIAL: {}{}\n", args->trace, v.reason,
                       v.verified_through ? fmt::format(" (digest at line {}: sha256:{})", v.verified_through, v.digest)
                                          : "");
            set_command_exit(verify_partial);
            break;
        case trace::verify_status::unchained:
            fmt::print("{}: no chain: cannot be verified ({})\n", args->trace, v.reason);
            set_command_exit(verify_unchained);
            break;
        }
    });
}

} // namespace glassbox
