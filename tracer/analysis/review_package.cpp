// Packages for `glassbox review`: a version's files as a folder scan can walk. A folder (an
// unpacked package, an install prefix) or a single file is used in place; a Debian .deb is read
// in-process with libarchive (the outer ar archive, then its data.tar.{gz,xz,zst,bz2} member)
// and its regular files and folders are written below a scratch folder (symlinks are left out: an
// absolute one would lead the scan to the host's files). Every name inside the archive is
// untrusted: names with ".." are refused, and libarchive's secure-extraction flags refuse writes
// through a symlink.
#include <glassbox/review.hpp>

#include <archive.h>
#include <archive_entry.h>
#include <fmt/format.h>

#include <memory>
#include <string>
#include <vector>

namespace glassbox::analysis {

namespace {

struct archive_reader_deleter {
    void operator()(archive* a) const { archive_read_free(a); }
};
struct archive_writer_deleter {
    void operator()(archive* a) const { archive_write_free(a); }
};
using archive_reader = std::unique_ptr<archive, archive_reader_deleter>;
using archive_writer = std::unique_ptr<archive, archive_writer_deleter>;

std::string archive_text(archive* a) {
    const char* s = archive_error_string(a);
    return s ? s : "unknown libarchive error";
}

bool is_deb(const std::filesystem::path& p) { return p.extension() == ".deb"; }

// Extracts the tar held in `data` (in memory) below `dest`.
result<std::size_t> extract_tar(const std::vector<char>& data, const std::string& member,
                                const std::filesystem::path& dest, const std::string& deb) {
    archive_reader in(archive_read_new());
    archive_read_support_filter_all(in.get());
    archive_read_support_format_tar(in.get());
    if (archive_read_open_memory(in.get(), data.data(), data.size()) != ARCHIVE_OK)
        return std::unexpected(error{fmt::format("{}: {}: {}", deb, member, archive_text(in.get()))});
    archive_writer out(archive_write_disk_new());
    archive_write_disk_set_options(out.get(), ARCHIVE_EXTRACT_SECURE_NODOTDOT | ARCHIVE_EXTRACT_SECURE_SYMLINKS |
                                                  ARCHIVE_EXTRACT_PERM);
    std::size_t files = 0;
    archive_entry* entry = nullptr;
    while (true) {
        int rc = archive_read_next_header(in.get(), &entry);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN)
            return std::unexpected(error{fmt::format("{}: {}: {}", deb, member, archive_text(in.get()))});
        std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        auto type = archive_entry_filetype(entry);
        if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(entry))
            continue; // symlinks, hard links, device nodes, fifos: nothing new to scan
        std::filesystem::path rel = std::filesystem::path(name).relative_path().lexically_normal();
        bool escapes = false;
        for (const auto& part : rel)
            escapes |= part == "..";
        if (escapes)
            return std::unexpected(error{fmt::format("{}: {}: member '{}' points outside the package", deb, member, name)});
        archive_entry_set_pathname(entry, (dest / rel).c_str());
        archive_entry_set_uid(entry, 0);
        archive_entry_set_gid(entry, 0);
        if (archive_write_header(out.get(), entry) < ARCHIVE_WARN)
            return std::unexpected(error{fmt::format("{}: {}: {}: {}", deb, member, name, archive_text(out.get()))});
        if (type == AE_IFREG && archive_entry_size(entry) > 0) {
            const void* buf;
            size_t size;
            la_int64_t offset;
            while ((rc = archive_read_data_block(in.get(), &buf, &size, &offset)) == ARCHIVE_OK)
                if (archive_write_data_block(out.get(), buf, size, offset) < ARCHIVE_WARN)
                    return std::unexpected(error{fmt::format("{}: {}: {}", deb, name, archive_text(out.get()))});
            if (rc != ARCHIVE_EOF)
                return std::unexpected(error{fmt::format("{}: {}: {}", deb, name, archive_text(in.get()))});
            ++files;
        }
        archive_write_finish_entry(out.get());
    }
    archive_write_close(out.get());
    return files;
}

result<std::filesystem::path> unpack_deb(const std::filesystem::path& deb, const std::filesystem::path& dest) {
    archive_reader ar(archive_read_new());
    archive_read_support_format_ar(ar.get());
    if (archive_read_open_filename(ar.get(), deb.c_str(), 1 << 16) != ARCHIVE_OK)
        return std::unexpected(error{fmt::format("{}: cannot read as a .deb: {}", deb.string(), archive_text(ar.get()))});
    archive_entry* entry = nullptr;
    bool saw_debian_binary = false;
    while (true) {
        int rc = archive_read_next_header(ar.get(), &entry);
        if (rc == ARCHIVE_EOF)
            break;
        if (rc < ARCHIVE_WARN)
            return std::unexpected(error{fmt::format("{}: not a .deb (ar archive): {}", deb.string(), archive_text(ar.get()))});
        std::string name = archive_entry_pathname(entry) ? archive_entry_pathname(entry) : "";
        saw_debian_binary |= name == "debian-binary";
        if (!name.starts_with("data.tar"))
            continue;
        std::vector<char> data;
        data.reserve(static_cast<std::size_t>(std::max<la_int64_t>(archive_entry_size(entry), 0)));
        char buf[1 << 16];
        la_ssize_t n;
        while ((n = archive_read_data(ar.get(), buf, sizeof buf)) > 0)
            data.insert(data.end(), buf, buf + n);
        if (n < 0)
            return std::unexpected(error{fmt::format("{}: {}: {}", deb.string(), name, archive_text(ar.get()))});
        std::error_code ec;
        std::filesystem::create_directories(dest, ec);
        if (ec)
            return std::unexpected(error{fmt::format("{}: {}", dest.string(), ec.message())});
        auto files = extract_tar(data, name, dest, deb.string());
        if (!files)
            return std::unexpected(files.error());
        return dest;
    }
    return std::unexpected(error{fmt::format("{}: {}", deb.string(),
                                             saw_debian_binary ? "the .deb has no data.tar member"
                                                               : "not a Debian package (no debian-binary member)")});
}

} // namespace

result<std::filesystem::path> package_tree(const std::filesystem::path& package, const std::filesystem::path& scratch) {
    std::error_code ec;
    if (!std::filesystem::exists(package, ec))
        return std::unexpected(error{package.string() + ": no such file or directory"});
    if (std::filesystem::is_regular_file(package, ec) && is_deb(package))
        return unpack_deb(package, scratch);
    return package;
}

} // namespace glassbox::analysis
