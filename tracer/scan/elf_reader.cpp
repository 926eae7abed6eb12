// ELF reading for `glassbox scan` (see elf_reader.hpp): libelf for headers, sections, symbols,
// relocations and the dynamic section; hand-written, bounds-checked parsers for .eh_frame (function
// starts of stripped binaries), PLT stubs and read-only strings. Nothing here trusts an offset or a
// size from the file before checking it against the image.
#include "scan/elf_reader.hpp"

#include <fmt/core.h>
#include <gelf.h>
#include <libelf.h>

#include <algorithm>
#include <cstring>
#include <fcntl.h>
#include <optional>
#include <set>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

namespace glassbox::scan {

// ---- mapped_file
// ---------------------------------------------------------------------------------

result<mapped_file> mapped_file::open(const std::string& path) {
    int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return std::unexpected(error{std::string("cannot open: ") + std::strerror(errno)});
    struct stat st {};
    if (fstat(fd, &st) != 0) {
        int e = errno;
        ::close(fd);
        return std::unexpected(error{std::string("cannot stat: ") + std::strerror(e)});
    }
    if (!S_ISREG(st.st_mode)) {
        ::close(fd);
        return std::unexpected(error{"not a regular file"});
    }
    mapped_file m;
    m.size_ = static_cast<std::size_t>(st.st_size);
    if (m.size_ > 0) {
        // Private and writable: libelf may convert data in place; nothing reaches the file.
        void* p = mmap(nullptr, m.size_, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
        if (p == MAP_FAILED) {
            int e = errno;
            ::close(fd);
            return std::unexpected(error{std::string("cannot map: ") + std::strerror(e)});
        }
        m.data_ = p;
    }
    ::close(fd);
    return m;
}

mapped_file::mapped_file(mapped_file&& o) noexcept : data_(o.data_), size_(o.size_) {
    o.data_ = nullptr;
    o.size_ = 0;
}

mapped_file& mapped_file::operator=(mapped_file&& o) noexcept {
    if (this != &o) {
        if (data_)
            munmap(data_, size_);
        data_ = o.data_;
        size_ = o.size_;
        o.data_ = nullptr;
        o.size_ = 0;
    }
    return *this;
}

mapped_file::~mapped_file() {
    if (data_)
        munmap(data_, size_);
}

// ---- helpers
// -------------------------------------------------------------------------------------

namespace {

struct elf_deleter {
    void operator()(Elf* e) const { elf_end(e); }
};
using elf_ptr = std::unique_ptr<Elf, elf_deleter>;

bool in_bounds(std::uint64_t off, std::uint64_t size, std::uint64_t total) {
    return off <= total && size <= total - off;
}

// Little-endian readers over a bounded span; every read checks its bounds.
class cursor {
  public:
    cursor(std::span<const std::uint8_t> data, std::uint64_t base_addr, std::size_t pos = 0)
        : data_(data), base_(base_addr), pos_(pos) {}
    bool ok() const { return ok_; }
    std::size_t pos() const { return pos_; }
    void seek(std::size_t p) {
        if (p > data_.size())
            ok_ = false;
        else
            pos_ = p;
    }
    std::uint64_t address() const { return base_ + pos_; }
    template <typename T>
    T read() {
        T v{};
        if (!ok_ || data_.size() - pos_ < sizeof(T)) {
            ok_ = false;
            return v;
        }
        std::memcpy(&v, data_.data() + pos_, sizeof(T));
        pos_ += sizeof(T);
        return v;
    }
    std::uint64_t uleb() {
        std::uint64_t v = 0;
        for (int shift = 0; shift < 64; shift += 7) {
            auto b = read<std::uint8_t>();
            if (!ok_)
                return 0;
            v |= std::uint64_t(b & 0x7f) << shift;
            if (!(b & 0x80))
                return v;
        }
        ok_ = false;
        return 0;
    }
    std::int64_t sleb() {
        std::int64_t v = 0;
        int shift = 0;
        std::uint8_t b = 0;
        do {
            b = read<std::uint8_t>();
            if (!ok_ || shift >= 64) {
                ok_ = false;
                return 0;
            }
            v |= std::int64_t(b & 0x7f) << shift;
            shift += 7;
        } while (b & 0x80);
        if (shift < 64 && (b & 0x40))
            v |= -(std::int64_t(1) << shift);
        return v;
    }
    std::string cstr() {
        std::string s;
        while (ok_) {
            auto c = read<std::uint8_t>();
            if (!ok_ || c == 0)
                break;
            s.push_back(static_cast<char>(c));
            if (s.size() > 64) { // augmentation strings are short; a long one is corrupt
                ok_ = false;
                break;
            }
        }
        return s;
    }
    // A DW_EH_PE-encoded pointer; nullopt for omitted, unsupported or indirect encodings.
    std::optional<std::uint64_t> encoded(std::uint8_t enc) {
        if (enc == 0xff)
            return std::nullopt;
        std::uint64_t at = address();
        std::uint64_t v = 0;
        switch (enc & 0x0f) {
        case 0x00:
            v = read<std::uint64_t>();
            break;
        case 0x01:
            v = uleb();
            break;
        case 0x02:
            v = read<std::uint16_t>();
            break;
        case 0x03:
            v = read<std::uint32_t>();
            break;
        case 0x04:
            v = read<std::uint64_t>();
            break;
        case 0x09:
            v = static_cast<std::uint64_t>(sleb());
            break;
        case 0x0a:
            v = static_cast<std::uint64_t>(std::int64_t(read<std::int16_t>()));
            break;
        case 0x0b:
            v = static_cast<std::uint64_t>(std::int64_t(read<std::int32_t>()));
            break;
        case 0x0c:
            v = read<std::uint64_t>();
            break;
        default:
            ok_ = false;
            return std::nullopt;
        }
        if (!ok_)
            return std::nullopt;
        switch (enc & 0x70) {
        case 0x00:
            break;
        case 0x10:
            v += at;
            break; // pcrel
        default:
            return std::nullopt; // textrel/datarel/funcrel: not used for FDE pc_begin on x86-64
        }
        if (enc & 0x80)
            return std::nullopt; // indirect
        return v;
    }

  private:
    std::span<const std::uint8_t> data_;
    std::uint64_t base_;
    std::size_t pos_;
    bool ok_ = true;
};

// Walks .eh_frame (CIEs and FDEs) and returns every FDE's initial location: the start of every
// function the unwinder knows, which survives `strip`.
std::vector<std::uint64_t> eh_frame_starts(std::span<const std::uint8_t> data, std::uint64_t addr,
                                           std::vector<std::string>& warnings) {
    std::vector<std::uint64_t> out;
    std::map<std::size_t, std::uint8_t> cie_encoding; // CIE offset -> FDE pointer encoding
    std::size_t off = 0;
    std::size_t guard = 0;
    while (off + 4 <= data.size() && guard++ < 4'000'000) {
        cursor c(data, addr, off);
        std::uint64_t len = c.read<std::uint32_t>();
        if (len == 0)
            break; // terminator
        if (len == 0xffffffff)
            len = c.read<std::uint64_t>();
        std::size_t body = c.pos();
        if (!c.ok() || len > data.size() - body) {
            warnings.push_back(".eh_frame: entry runs past the section end");
            break;
        }
        std::size_t next = body + static_cast<std::size_t>(len);
        auto id = c.read<std::uint32_t>();
        if (!c.ok())
            break;
        if (id == 0) { // CIE
            auto version = c.read<std::uint8_t>();
            std::string aug = c.cstr();
            c.uleb(); // code alignment
            c.sleb(); // data alignment
            if (version == 1)
                c.read<std::uint8_t>();
            else
                c.uleb();             // return address register
            std::uint8_t fde_enc = 0; // absptr by default
            if (!aug.empty() && aug[0] == 'z') {
                c.uleb(); // augmentation data length
                for (std::size_t i = 1; i < aug.size() && c.ok(); ++i) {
                    if (aug[i] == 'R')
                        fde_enc = c.read<std::uint8_t>();
                    else if (aug[i] == 'L')
                        c.read<std::uint8_t>();
                    else if (aug[i] == 'P') {
                        auto penc = c.read<std::uint8_t>();
                        // Skip the personality pointer whatever its encoding.
                        if ((penc & 0x70) != 0x10 && (penc & 0x70) != 0)
                            penc = static_cast<std::uint8_t>((penc & 0x0f) | 0x00);
                        c.encoded(static_cast<std::uint8_t>(penc & 0x0f));
                    } else if (aug[i] == 'S' || aug[i] == 'B' || aug[i] == 'G')
                        continue;
                    else
                        break; // unknown augmentation: the rest cannot be parsed, but R may be
                               // known
                }
            }
            if (c.ok())
                cie_encoding[off] = fde_enc;
        } else { // FDE: id is the distance back to its CIE from the id field
            std::size_t id_pos = body;
            if (id <= id_pos) {
                std::size_t cie_off = id_pos - id;
                auto it = cie_encoding.find(cie_off);
                if (it != cie_encoding.end()) {
                    auto pc = c.encoded(it->second);
                    if (pc && *pc != 0)
                        out.push_back(*pc);
                }
            }
        }
        off = next;
    }
    return out;
}

bool printable_lib_char(char ch) {
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '.' || ch == '_' || ch == '-' || ch == '+' || ch == '/' || ch == '$';
}

// "libfoo.so", "libfoo.so.1", "/opt/x/libbar.so.2.3", "plugin.so": a name dlopen() could take.
bool looks_like_library(std::string_view s) {
    if (s.size() < 4 || s.size() > 255)
        return false;
    for (char ch : s)
        if (!printable_lib_char(ch))
            return false;
    auto pos = s.rfind(".so");
    if (pos == std::string_view::npos || pos == 0)
        return false;
    auto tail = s.substr(pos + 3);
    for (char ch : tail)
        if (!(ch == '.' || (ch >= '0' && ch <= '9')))
            return false;
    if (!tail.empty() && tail[0] != '.')
        return false;
    auto base = s.substr(0, pos);
    auto slash = base.rfind('/');
    auto stem = slash == std::string_view::npos ? base : base.substr(slash + 1);
    return !stem.empty() && stem != "." && stem != "..";
}

void collect_library_strings(std::span<const std::uint8_t> data, std::set<std::string>& out) {
    std::size_t start = 0;
    for (std::size_t i = 0; i < data.size(); ++i) {
        if (data[i] != 0)
            continue;
        if (i > start && i - start <= 255) {
            std::string_view s(reinterpret_cast<const char*>(data.data() + start), i - start);
            if (looks_like_library(s) && out.size() < 512)
                out.emplace(s);
        }
        start = i + 1;
    }
}

struct section_info {
    std::string name;
    GElf_Shdr hdr{};
    Elf_Scn* scn = nullptr;
};

std::string dyn_string(Elf* elf, std::size_t strtab, std::uint64_t off) {
    const char* s = elf_strptr(elf, strtab, off);
    return s ? std::string(s) : std::string();
}

std::vector<std::string> split_path_list(const std::string& s) {
    std::vector<std::string> out;
    std::size_t b = 0;
    while (b <= s.size()) {
        auto e = s.find(':', b);
        if (e == std::string::npos)
            e = s.size();
        if (e > b)
            out.push_back(s.substr(b, e - b));
        b = e + 1;
    }
    return out;
}

} // namespace

bool has_elf_magic(std::span<const std::byte> bytes) {
    return bytes.size() >= 4 && std::memcmp(bytes.data(), ELFMAG, SELFMAG) == 0;
}

std::string machine_name(int machine) {
    switch (machine) {
    case EM_X86_64:
        return "x86-64";
    case EM_386:
        return "i386";
    case EM_AARCH64:
        return "aarch64";
    case EM_ARM:
        return "arm";
    case EM_RISCV:
        return "riscv";
    case EM_PPC64:
        return "ppc64";
    case EM_PPC:
        return "ppc";
    case EM_S390:
        return "s390";
    case EM_MIPS:
        return "mips";
    case EM_SPARCV9:
        return "sparc64";
    case EM_LOONGARCH:
        return "loongarch";
    case EM_BPF:
        return "bpf";
    default:
        return fmt::format("EM_{}", machine);
    }
}

result<elf_image> read_elf(std::span<std::byte> bytes) {
    if (!has_elf_magic(bytes))
        return std::unexpected(error{"not an ELF file"});
    if (bytes.size() < EI_NIDENT + 4)
        return std::unexpected(error{"truncated ELF header"});
    auto ident = reinterpret_cast<const unsigned char*>(bytes.data());
    elf_image img;
    img.elf_class = ident[EI_CLASS] == ELFCLASS64 ? 64 : ident[EI_CLASS] == ELFCLASS32 ? 32 : 0;
    if (img.elf_class == 0)
        return std::unexpected(
            error{fmt::format("corrupt ELF header: bad class byte {}", ident[EI_CLASS])});
    if (ident[EI_DATA] != ELFDATA2LSB && ident[EI_DATA] != ELFDATA2MSB)
        return std::unexpected(error{"corrupt ELF header: bad byte-order byte"});
    {
        // e_machine sits right after e_type in both classes; read it before libelf so that an
        // other-architecture file is named even when the rest is unparsable.
        std::uint16_t m = 0;
        std::memcpy(&m, bytes.data() + 18, 2);
        if (ident[EI_DATA] == ELFDATA2MSB)
            m = static_cast<std::uint16_t>((m >> 8) | (m << 8));
        img.machine = m;
        img.arch = machine_name(m);
    }
    std::size_t ehdr_size = img.elf_class == 64 ? sizeof(Elf64_Ehdr) : sizeof(Elf32_Ehdr);
    if (bytes.size() < ehdr_size)
        return std::unexpected(error{"truncated ELF header"});
    if (img.elf_class != 64 || img.machine != EM_X86_64)
        return std::unexpected(error{
            fmt::format("{}-bit {} ELF: unsupported architecture (only x86-64 code is scanned)",
                        img.elf_class, img.arch)});
    if (ident[EI_DATA] != ELFDATA2LSB)
        return std::unexpected(error{"big-endian x86-64 ELF: corrupt header"});

    {
        // libelf quietly treats out-of-range header tables as empty; say what is wrong instead.
        Elf64_Ehdr raw_eh{};
        std::memcpy(&raw_eh, bytes.data(), sizeof raw_eh);
        const std::uint64_t n = bytes.size();
        if (raw_eh.e_phnum &&
            !in_bounds(raw_eh.e_phoff, std::uint64_t(raw_eh.e_phnum) * sizeof(Elf64_Phdr), n))
            return std::unexpected(error{fmt::format(
                "truncated ELF: program headers at {} run past the end of the file ({} bytes)",
                raw_eh.e_phoff, n)});
        for (unsigned i = 0; i < raw_eh.e_phnum; ++i) {
            Elf64_Phdr ph{};
            std::memcpy(&ph, bytes.data() + raw_eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof ph);
            if (ph.p_type == PT_LOAD && !in_bounds(ph.p_offset, ph.p_filesz, n))
                return std::unexpected(
                    error{fmt::format("truncated ELF: loadable segment {} ends at {}, past the end "
                                      "of the file ({} bytes)",
                                      i, ph.p_offset + ph.p_filesz, n)});
        }
        if (raw_eh.e_shnum &&
            !in_bounds(raw_eh.e_shoff, std::uint64_t(raw_eh.e_shnum) * sizeof(Elf64_Shdr), n))
            return std::unexpected(error{fmt::format(
                "corrupt ELF: section headers at {} run past the end of the file ({} bytes)",
                raw_eh.e_shoff, n)});
        if (raw_eh.e_shnum && raw_eh.e_shentsize != sizeof(Elf64_Shdr))
            return std::unexpected(
                error{fmt::format("corrupt ELF: section header size {}", raw_eh.e_shentsize)});
    }
    elf_version(EV_CURRENT);
    elf_ptr elf(elf_memory(reinterpret_cast<char*>(bytes.data()), bytes.size()));
    if (!elf)
        return std::unexpected(error{fmt::format("corrupt ELF: {}", elf_errmsg(-1))});
    GElf_Ehdr eh{};
    if (!gelf_getehdr(elf.get(), &eh))
        return std::unexpected(error{fmt::format("corrupt ELF header: {}", elf_errmsg(-1))});
    const std::uint64_t file_size = bytes.size();
    const auto* base = reinterpret_cast<const std::uint8_t*>(bytes.data());

    switch (eh.e_type) {
    case ET_EXEC:
        img.type = "executable";
        break;
    case ET_DYN:
        img.type = "shared-object";
        break; // refined below (PIE) from DT_FLAGS_1 / PT_INTERP
    case ET_REL:
        img.type = "relocatable";
        break;
    case ET_CORE:
        return std::unexpected(error{"ELF core dump: not a program"});
    default:
        return std::unexpected(
            error{fmt::format("corrupt ELF header: unknown e_type {}", eh.e_type)});
    }

    // Program headers: interpreter, and executable segments for files without section headers.
    std::size_t phnum = 0;
    if (elf_getphdrnum(elf.get(), &phnum) != 0)
        phnum = 0;
    if (eh.e_phoff && !in_bounds(eh.e_phoff, std::uint64_t(phnum) * sizeof(Elf64_Phdr), file_size))
        return std::unexpected(
            error{"truncated ELF: program headers run past the end of the file"});
    std::vector<GElf_Phdr> phdrs;
    for (std::size_t i = 0; i < phnum && i < 65536; ++i) {
        GElf_Phdr ph{};
        if (gelf_getphdr(elf.get(), static_cast<int>(i), &ph))
            phdrs.push_back(ph);
    }
    for (const auto& ph : phdrs) {
        if (ph.p_type == PT_INTERP) {
            if (!in_bounds(ph.p_offset, ph.p_filesz, file_size) || ph.p_filesz > 4096) {
                img.warnings.push_back("PT_INTERP runs past the end of the file");
                continue;
            }
            std::string s(reinterpret_cast<const char*>(base + ph.p_offset), ph.p_filesz);
            img.interpreter = s.substr(0, s.find('\0'));
        }
    }

    // Sections.
    std::size_t shnum = 0, shstrndx = 0;
    if (elf_getshdrnum(elf.get(), &shnum) != 0)
        return std::unexpected(error{fmt::format("corrupt ELF: {}", elf_errmsg(-1))});
    if (shnum > 0 && !in_bounds(eh.e_shoff, std::uint64_t(shnum) * sizeof(Elf64_Shdr), file_size))
        return std::unexpected(
            error{"truncated ELF: section headers run past the end of the file"});
    if (shnum > 0 && elf_getshdrstrndx(elf.get(), &shstrndx) != 0)
        return std::unexpected(error{fmt::format("corrupt ELF: {}", elf_errmsg(-1))});
    std::vector<section_info> sections;
    sections.reserve(shnum);
    for (Elf_Scn* scn = elf_nextscn(elf.get(), nullptr); scn; scn = elf_nextscn(elf.get(), scn)) {
        section_info si;
        si.scn = scn;
        if (!gelf_getshdr(scn, &si.hdr))
            return std::unexpected(
                error{fmt::format("corrupt ELF section header: {}", elf_errmsg(-1))});
        const char* n = elf_strptr(elf.get(), shstrndx, si.hdr.sh_name);
        si.name = n ? n : "";
        sections.push_back(std::move(si));
    }
    auto raw = [&](const section_info& s) -> std::optional<std::span<const std::uint8_t>> {
        if (s.hdr.sh_type == SHT_NOBITS)
            return std::nullopt;
        if (!in_bounds(s.hdr.sh_offset, s.hdr.sh_size, file_size)) {
            img.warnings.push_back(
                fmt::format("section {} runs past the end of the file (truncated?)", s.name));
            return std::nullopt;
        }
        return std::span<const std::uint8_t>(base + s.hdr.sh_offset, s.hdr.sh_size);
    };

    bool have_symtab = false;
    std::set<std::string> libs;
    std::size_t dynsym_index = 0;
    std::map<std::string, std::string> sources;
    std::vector<std::uint64_t> fde_starts;
    for (std::size_t idx = 0; idx < sections.size(); ++idx) {
        const auto& s = sections[idx];
        const auto& h = s.hdr;
        if ((h.sh_flags & SHF_EXECINSTR) && h.sh_type != SHT_NOBITS) {
            if (auto r = raw(s))
                img.code.push_back({s.name, h.sh_addr, *r});
        }
        if (h.sh_type == SHT_SYMTAB || h.sh_type == SHT_DYNSYM) {
            if (h.sh_type == SHT_SYMTAB)
                have_symtab = true;
            else
                dynsym_index = elf_ndxscn(s.scn);
            if (!raw(s))
                continue;
            Elf_Data* d = elf_getdata(s.scn, nullptr);
            if (!d || h.sh_entsize == 0)
                continue;
            std::size_t count = std::min<std::size_t>(d->d_size / sizeof(Elf64_Sym), 4'000'000);
            for (std::size_t i = 1; i < count; ++i) {
                GElf_Sym sym{};
                if (!gelf_getsym(d, static_cast<int>(i), &sym))
                    break;
                const char* nm = elf_strptr(elf.get(), h.sh_link, sym.st_name);
                std::string name = nm ? nm : "";
                int type = GELF_ST_TYPE(sym.st_info);
                if (sym.st_shndx == SHN_UNDEF) {
                    if (h.sh_type == SHT_DYNSYM && !name.empty() &&
                        (type == STT_FUNC || type == STT_NOTYPE || type == STT_GNU_IFUNC))
                        img.imports.push_back(name);
                    continue;
                }
                if ((type == STT_FUNC || type == STT_GNU_IFUNC) && sym.st_value != 0) {
                    auto [it, fresh] = img.functions.emplace(sym.st_value, name);
                    // Prefer a global name over a local alias at the same address.
                    if (!fresh && (it->second.empty() || GELF_ST_BIND(sym.st_info) == STB_GLOBAL) &&
                        !name.empty())
                        it->second = name;
                    sources[h.sh_type == SHT_SYMTAB ? "symtab" : "dynsym"] = "";
                    if (h.sh_type == SHT_DYNSYM && GELF_ST_BIND(sym.st_info) != STB_LOCAL &&
                        !name.empty())
                        img.exports.push_back(name);
                }
            }
        }
        if (h.sh_type == SHT_DYNAMIC) {
            if (!raw(s))
                continue;
            Elf_Data* d = elf_getdata(s.scn, nullptr);
            if (!d)
                continue;
            std::size_t count = std::min<std::size_t>(d->d_size / sizeof(Elf64_Dyn), 65536);
            for (std::size_t i = 0; i < count; ++i) {
                GElf_Dyn dyn{};
                if (!gelf_getdyn(d, static_cast<int>(i), &dyn) || dyn.d_tag == DT_NULL)
                    break;
                switch (dyn.d_tag) {
                case DT_NEEDED:
                    img.needed.push_back(dyn_string(elf.get(), h.sh_link, dyn.d_un.d_val));
                    break;
                case DT_SONAME:
                    img.soname = dyn_string(elf.get(), h.sh_link, dyn.d_un.d_val);
                    break;
                case DT_RUNPATH:
                    img.runpath = split_path_list(dyn_string(elf.get(), h.sh_link, dyn.d_un.d_val));
                    break;
                case DT_RPATH:
                    img.rpath = split_path_list(dyn_string(elf.get(), h.sh_link, dyn.d_un.d_val));
                    break;
                case DT_FLAGS_1:
                    if (dyn.d_un.d_val & DF_1_PIE)
                        img.type = "pie-executable";
                    break;
                default:
                    break;
                }
            }
        }
        if (s.name == ".eh_frame" && h.sh_type == SHT_PROGBITS) {
            if (auto r = raw(s)) {
                fde_starts = eh_frame_starts(*r, h.sh_addr, img.warnings);
                if (!fde_starts.empty())
                    sources["eh_frame"] = "";
            }
        }
        if ((h.sh_flags & SHF_ALLOC) && !(h.sh_flags & SHF_EXECINSTR) &&
            !(h.sh_flags & SHF_WRITE) && h.sh_type == SHT_PROGBITS &&
            s.name.rfind(".rodata", 0) == 0) {
            if (auto r = raw(s))
                collect_library_strings(*r, libs);
        }
    }
    // Relocations naming GOT slots (JUMP_SLOT / GLOB_DAT / 64): the targets of PLT stubs and of
    // `call *sym@GOTPCREL(%rip)` with -fno-plt.
    for (const auto& s : sections) {
        if (s.hdr.sh_type != SHT_RELA || !raw(s))
            continue;
        if (dynsym_index == 0 || s.hdr.sh_link != dynsym_index)
            continue;
        Elf_Data* d = elf_getdata(s.scn, nullptr);
        Elf_Scn* symscn = elf_getscn(elf.get(), dynsym_index);
        Elf_Data* symd = symscn ? elf_getdata(symscn, nullptr) : nullptr;
        GElf_Shdr symh{};
        if (!d || !symd || !gelf_getshdr(symscn, &symh))
            continue;
        std::size_t count = std::min<std::size_t>(d->d_size / sizeof(Elf64_Rela), 8'000'000);
        for (std::size_t i = 0; i < count; ++i) {
            GElf_Rela r{};
            if (!gelf_getrela(d, static_cast<int>(i), &r))
                break;
            auto type = GELF_R_TYPE(r.r_info);
            auto symi = GELF_R_SYM(r.r_info);
            if (symi == 0 ||
                (type != R_X86_64_JUMP_SLOT && type != R_X86_64_GLOB_DAT && type != R_X86_64_64))
                continue;
            GElf_Sym sym{};
            if (!gelf_getsym(symd, static_cast<int>(symi), &sym))
                continue;
            const char* nm = elf_strptr(elf.get(), symh.sh_link, sym.st_name);
            if (nm && *nm)
                img.got_slots[r.r_offset] = nm;
        }
    }
    // PLT stubs: `jmp *disp(%rip)` (FF 25, optionally after a bnd F2 prefix) through a named GOT
    // slot.
    for (const auto& s : sections) {
        if (s.name.rfind(".plt", 0) != 0 || !(s.hdr.sh_flags & SHF_EXECINSTR))
            continue;
        auto r = raw(s);
        if (!r)
            continue;
        std::uint64_t ent = s.hdr.sh_entsize == 8 || s.hdr.sh_entsize == 16 ? s.hdr.sh_entsize : 16;
        for (std::size_t i = 0; i + 6 <= r->size(); ++i) {
            if ((*r)[i] != 0xff || (*r)[i + 1] != 0x25)
                continue;
            std::int32_t disp = 0;
            std::memcpy(&disp, r->data() + i + 2, 4);
            std::uint64_t slot = s.hdr.sh_addr + i + 6 + static_cast<std::int64_t>(disp);
            auto it = img.got_slots.find(slot);
            if (it == img.got_slots.end())
                continue;
            std::uint64_t at = s.hdr.sh_addr + i;
            img.plt_stubs[at] = it->second;
            if (i > 0 && (*r)[i - 1] == 0xf2)
                img.plt_stubs[at - 1] = it->second;
            img.plt_stubs[s.hdr.sh_addr + (i / ent) * ent] = it->second;
        }
    }

    // Files without section headers (sstrip'd, hand-made): executable PT_LOAD segments are the
    // code.
    if (img.code.empty() && sections.empty()) {
        int n = 0;
        for (const auto& ph : phdrs) {
            if (ph.p_type == PT_LOAD && (ph.p_flags & PF_X)) {
                std::uint64_t sz = std::min(ph.p_filesz, ph.p_memsz);
                if (in_bounds(ph.p_offset, sz, file_size))
                    img.code.push_back({fmt::format("PT_LOAD[{}]", n), ph.p_vaddr,
                                        std::span<const std::uint8_t>(base + ph.p_offset, sz)});
                else
                    img.warnings.push_back(
                        "executable segment runs past the end of the file (truncated?)");
            }
            ++n;
        }
        if (eh.e_entry)
            img.functions.emplace(eh.e_entry, "_start");
    }
    if (!have_symtab)
        img.stripped = true;
    if (img.type == "shared-object" && !img.interpreter.empty() && img.soname.empty())
        img.type = "pie-executable";
    for (auto a : fde_starts)
        img.functions.emplace(a, "");
    // Neither symbols nor unwind tables: recover the starts from the code itself.
    if (!have_symtab && fde_starts.empty() && img.machine == EM_X86_64 && img.elf_class == 64 &&
        !img.code.empty()) {
        auto swept = sweep_function_starts(img.code);
        for (auto a : swept)
            img.functions.emplace(a, "");
        if (!swept.empty())
            sources["sweep"] = "";
    }
    if (eh.e_entry && img.type != "relocatable")
        img.functions.emplace(eh.e_entry, "");
    for (auto& [k, v] : sources) {
        if (!img.function_source.empty())
            img.function_source += "+";
        img.function_source += k;
    }
    if (img.function_source.empty())
        img.function_source = "none";
    std::sort(img.imports.begin(), img.imports.end());
    img.imports.erase(std::unique(img.imports.begin(), img.imports.end()), img.imports.end());
    std::sort(img.exports.begin(), img.exports.end());
    img.exports.erase(std::unique(img.exports.begin(), img.exports.end()), img.exports.end());
    img.library_strings.assign(libs.begin(), libs.end());
    if (sections.empty() && phdrs.empty())
        return std::unexpected(error{"corrupt ELF: no sections and no program headers"});
    return img;
}

} // namespace glassbox::scan
