// SHA-256 and Ed25519 over OpenSSL 3's EVP interface (see include/glassbox/digest.hpp). The
// digest algorithm is fetched once per process: fetching it per context would cost a lookup in
// the provider table for every trace line.
#include <glassbox/digest.hpp>

#include <fmt/format.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <stdexcept>

namespace glassbox {

namespace {

const EVP_MD* sha256_md() {
    static EVP_MD* md = EVP_MD_fetch(nullptr, "SHA256", nullptr);
    if (!md)
        throw std::runtime_error("OpenSSL has no SHA-256");
    return md;
}

std::string openssl_reason() {
    unsigned long e = ERR_get_error();
    ERR_clear_error();
    if (!e)
        return "unknown OpenSSL error";
    char buf[256];
    ERR_error_string_n(e, buf, sizeof(buf));
    return buf;
}

bool parse_hex(std::string_view hex, std::string& out) {
    if (hex.size() % 2)
        return false;
    out.clear();
    for (std::size_t i = 0; i < hex.size(); i += 2) {
        auto nib = [](char c) -> int {
            if (c >= '0' && c <= '9')
                return c - '0';
            if (c >= 'a' && c <= 'f')
                return c - 'a' + 10;
            return -1;
        };
        int a = nib(hex[i]), b = nib(hex[i + 1]);
        if (a < 0 || b < 0)
            return false;
        out.push_back(static_cast<char>(a << 4 | b));
    }
    return true;
}

} // namespace

std::string hex_of(const std::uint8_t* p, std::size_t n) {
    static constexpr char digits[] = "0123456789abcdef";
    std::string out(n * 2, '0');
    for (std::size_t i = 0; i < n; ++i) {
        out[2 * i] = digits[p[i] >> 4];
        out[2 * i + 1] = digits[p[i] & 15];
    }
    return out;
}

std::string sha256_hex(const void* data, std::size_t size) {
    sha256_digest d{};
    unsigned int len = 0;
    if (EVP_Digest(data, size, d.data(), &len, sha256_md(), nullptr) != 1)
        throw std::runtime_error("SHA-256 failed: " + openssl_reason());
    return hex_of(d);
}

struct sha256_stream::ctx {
    EVP_MD_CTX* run = nullptr;
    EVP_MD_CTX* scratch = nullptr; // peek() finishes a copy of `run` here
    ~ctx() {
        EVP_MD_CTX_free(run);
        EVP_MD_CTX_free(scratch);
    }
};

sha256_stream::sha256_stream() : c_(std::make_unique<ctx>()) {
    c_->run = EVP_MD_CTX_new();
    c_->scratch = EVP_MD_CTX_new();
    if (!c_->run || !c_->scratch || EVP_DigestInit_ex2(c_->run, sha256_md(), nullptr) != 1)
        throw std::runtime_error("cannot start a SHA-256 digest: " + openssl_reason());
}
sha256_stream::~sha256_stream() = default;
sha256_stream::sha256_stream(sha256_stream&& o) noexcept = default;
sha256_stream& sha256_stream::operator=(sha256_stream&& o) noexcept = default;

void sha256_stream::update(std::string_view bytes) {
    if (!bytes.empty() && EVP_DigestUpdate(c_->run, bytes.data(), bytes.size()) != 1)
        throw std::runtime_error("SHA-256 update failed: " + openssl_reason());
}

sha256_digest sha256_stream::peek() const {
    sha256_digest d{};
    unsigned int len = 0;
    if (EVP_MD_CTX_copy_ex(c_->scratch, c_->run) != 1 || EVP_DigestFinal_ex(c_->scratch, d.data(), &len) != 1)
        throw std::runtime_error("SHA-256 final failed: " + openssl_reason());
    return d;
}

namespace {

result<EVP_PKEY*> read_pem(const std::string& path, bool is_private) {
    FILE* f = std::fopen(path.c_str(), "r");
    if (!f)
        return std::unexpected(error{fmt::format("cannot read the key '{}': {}", path, std::strerror(errno))});
    EVP_PKEY* k = is_private ? PEM_read_PrivateKey(f, nullptr, nullptr, nullptr)
                             : PEM_read_PUBKEY(f, nullptr, nullptr, nullptr);
    std::fclose(f);
    if (!k)
        return std::unexpected(error{fmt::format("'{}' is not a PEM {} key ({})", path,
                                                 is_private ? "private" : "public", openssl_reason())});
    if (EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
        EVP_PKEY_free(k);
        return std::unexpected(error{fmt::format("'{}' is not an Ed25519 key (make one with: openssl genpkey "
                                                 "-algorithm ed25519 -out KEY.pem)",
                                                 path)});
    }
    return k;
}

} // namespace

result<ed25519_key> ed25519_key::load_private(const std::string& pem_path) {
    auto k = read_pem(pem_path, true);
    if (!k)
        return std::unexpected(k.error());
    return ed25519_key(*k);
}

result<ed25519_key> ed25519_key::load_public(const std::string& pem_path) {
    auto k = read_pem(pem_path, false);
    if (!k)
        return std::unexpected(k.error());
    return ed25519_key(*k);
}

result<ed25519_key> ed25519_key::from_public_hex(std::string_view hex) {
    std::string raw;
    if (!parse_hex(hex, raw) || raw.size() != 32)
        return std::unexpected(error{"an Ed25519 public key is 32 bytes in lowercase hex"});
    EVP_PKEY* k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, nullptr,
                                              reinterpret_cast<const unsigned char*>(raw.data()), raw.size());
    if (!k)
        return std::unexpected(error{"not an Ed25519 public key: " + openssl_reason()});
    return ed25519_key(k);
}

ed25519_key::~ed25519_key() { EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_)); }
ed25519_key::ed25519_key(ed25519_key&& o) noexcept : pkey_(o.pkey_) { o.pkey_ = nullptr; }
ed25519_key& ed25519_key::operator=(ed25519_key&& o) noexcept {
    if (this != &o) {
        EVP_PKEY_free(static_cast<EVP_PKEY*>(pkey_));
        pkey_ = o.pkey_;
        o.pkey_ = nullptr;
    }
    return *this;
}

std::string ed25519_key::public_hex() const {
    std::uint8_t raw[32];
    std::size_t len = sizeof(raw);
    if (EVP_PKEY_get_raw_public_key(static_cast<EVP_PKEY*>(pkey_), raw, &len) != 1)
        return {};
    return hex_of(raw, len);
}

result<std::string> ed25519_key::sign_hex(std::string_view message) const {
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> mc(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    std::uint8_t sig[64];
    std::size_t len = sizeof(sig);
    // Ed25519 hashes the message itself: no digest is named (NULL), and it signs in one call.
    if (!mc || EVP_DigestSignInit(mc.get(), nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_)) != 1 ||
        EVP_DigestSign(mc.get(), sig, &len, reinterpret_cast<const unsigned char*>(message.data()),
                       message.size()) != 1)
        return std::unexpected(error{"signing the trace failed: " + openssl_reason()});
    return hex_of(sig, len);
}

bool ed25519_key::verify_hex(std::string_view message, std::string_view sig_hex) const {
    std::string sig;
    if (!parse_hex(sig_hex, sig) || sig.size() != 64)
        return false;
    std::unique_ptr<EVP_MD_CTX, decltype(&EVP_MD_CTX_free)> mc(EVP_MD_CTX_new(), &EVP_MD_CTX_free);
    bool ok = mc && EVP_DigestVerifyInit(mc.get(), nullptr, nullptr, nullptr, static_cast<EVP_PKEY*>(pkey_)) == 1 &&
              EVP_DigestVerify(mc.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                               reinterpret_cast<const unsigned char*>(message.data()), message.size()) == 1;
    ERR_clear_error();
    return ok;
}

} // namespace glassbox
