// Replay driver for the libFuzzer harnesses in g++ builds: feeds every file of the given corpus
// directories (or single files) to LLVMFuzzerTestOneInput once. A crash or sanitizer report fails
// the ctest; a missing corpus directory is an error so a renamed corpus cannot pass silently.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <vector>

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size);

static void replay(const std::filesystem::path& file) {
    std::ifstream in(file, std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    LLVMFuzzerTestOneInput(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
}

int main(int argc, char** argv) {
    std::size_t count = 0;
    for (int i = 1; i < argc; ++i) {
        std::filesystem::path p(argv[i]);
        if (std::filesystem::is_directory(p)) {
            for (const auto& e : std::filesystem::recursive_directory_iterator(p))
                if (e.is_regular_file()) {
                    replay(e.path());
                    ++count;
                }
        } else if (std::filesystem::is_regular_file(p)) {
            replay(p);
            ++count;
        } else {
            std::fprintf(stderr, "fuzz replay: no corpus at %s\n", argv[i]);
            return 1;
        }
    }
    std::printf("fuzz replay: %zu inputs replayed without a crash\n", count);
    return count > 0 ? 0 : 1;
}
