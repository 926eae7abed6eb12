// SHA-256 and Ed25519 through OpenSSL 3 (EVP): the running digest of a trace's hash chain
// (docs/trace-format.md, "The hash chain"), file hashes in scan reports, and the optional
// signature of a trace's final digest. Owners of OpenSSL objects are RAII; nothing here is
// hand-written crypto.
#pragma once

#include <glassbox/error.hpp>

#include <array>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>

namespace glassbox {

using sha256_digest = std::array<std::uint8_t, 32>;

std::string hex_of(const std::uint8_t* p, std::size_t n);
inline std::string hex_of(const sha256_digest& d) { return hex_of(d.data(), d.size()); }

// One-shot SHA-256 of a buffer, as lowercase hex.
std::string sha256_hex(const void* data, std::size_t size);

// An incremental SHA-256: update() with bytes as they are written or read, peek() for the digest
// of everything so far without ending the stream (the chain's checkpoints and per-line tags).
class sha256_stream {
public:
    sha256_stream();
    ~sha256_stream();
    sha256_stream(sha256_stream&& o) noexcept;
    sha256_stream& operator=(sha256_stream&& o) noexcept;
    sha256_stream(const sha256_stream&) = delete;
    sha256_stream& operator=(const sha256_stream&) = delete;

    void update(std::string_view bytes);
    // The digest of every byte given so far; the stream goes on.
    sha256_digest peek() const;

private:
    struct ctx;
    std::unique_ptr<ctx> c_;
};

// An Ed25519 key read from a PEM file (private: `openssl genpkey -algorithm ed25519`; public:
// `openssl pkey -in KEY.pem -pubout`).
class ed25519_key {
public:
    static result<ed25519_key> load_private(const std::string& pem_path);
    static result<ed25519_key> load_public(const std::string& pem_path);
    // A public key from its 32 raw bytes in hex (as a trace header carries it).
    static result<ed25519_key> from_public_hex(std::string_view hex);
    ~ed25519_key();
    ed25519_key(ed25519_key&& o) noexcept;
    ed25519_key& operator=(ed25519_key&& o) noexcept;
    ed25519_key(const ed25519_key&) = delete;
    ed25519_key& operator=(const ed25519_key&) = delete;

    // The 32 raw bytes of the public key, as hex.
    std::string public_hex() const;
    // The 64-byte signature of `message`, as hex (private keys only).
    result<std::string> sign_hex(std::string_view message) const;
    // True when `sig_hex` is this key's signature of `message`.
    bool verify_hex(std::string_view message, std::string_view sig_hex) const;

private:
    explicit ed25519_key(void* pkey) : pkey_(pkey) {}
    void* pkey_ = nullptr; // EVP_PKEY
};

} // namespace glassbox
