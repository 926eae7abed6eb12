// SHA-256 of the files in scan reports and --diff: OpenSSL's EVP (glassbox/digest.hpp) behind the
// scanner's own API; the standard test vectors in tests/unit/scan check it still answers the same.
#include <glassbox/digest.hpp>
#include <glassbox/scan.hpp>

namespace glassbox::scan {

std::string sha256_hex(const void* data, std::size_t size) { return glassbox::sha256_hex(data, size); }

} // namespace glassbox::scan
