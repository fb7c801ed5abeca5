// IDX reading: round trips (raw, gzip, multi-member gzip, buffer growth) and
// every error a user can hit, checking the message, the byte offset and that
// a lying header can't make the reader allocate what it declares.
#include <doctest/doctest.h>

#include <filesystem>
#include <fstream>
#include <functional>
#include <string>
#include <vector>

#include <zlib.h>

#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include "runtime/data/data_error.hpp"
#include "runtime/data/idx.hpp"

namespace fs = std::filesystem;
using tl::data::DataError;
using tl::data::IdxArray;
using tl::data::read_idx;
using Bytes = std::vector<std::uint8_t>;

namespace {

/// A fresh directory under the system temp dir, removed at scope exit.
struct TempDir {
  fs::path path;
  TempDir() {
    path = fs::temp_directory_path() / ("tl_test_idx_" + std::to_string(::getpid()));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempDir() { fs::remove_all(path); }
  std::string file(const std::string& name) const { return (path / name).string(); }
};

/// An IDX header (type code, dims) followed by `data`.
Bytes idx_bytes(std::uint8_t type, const std::vector<std::uint32_t>& dims, const Bytes& data) {
  Bytes out = {0, 0, type, static_cast<std::uint8_t>(dims.size())};
  for (std::uint32_t d : dims)
    for (int shift = 24; shift >= 0; shift -= 8) out.push_back(static_cast<std::uint8_t>(d >> shift));
  out.insert(out.end(), data.begin(), data.end());
  return out;
}

Bytes ramp(std::size_t n) {
  Bytes out(n);
  for (std::size_t i = 0; i < n; ++i) out[i] = static_cast<std::uint8_t>(i * 7 + i / 251);
  return out;
}

/// Bytes that don't compress, so cutting the .gz cuts the content too.
Bytes noise(std::size_t n) {
  Bytes out(n);
  std::uint32_t x = 12345;
  for (auto& b : out) b = static_cast<std::uint8_t>((x = x * 1664525u + 1013904223u) >> 24);
  return out;
}

void write_raw(const std::string& path, const Bytes& bytes) {
  std::ofstream(path, std::ios::binary).write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
}

void write_gz(const std::string& path, const Bytes& bytes) {
  gzFile f = gzopen(path.c_str(), "wb");
  REQUIRE(f);
  REQUIRE(gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size())) == int(bytes.size()));
  REQUIRE(gzclose(f) == Z_OK);
}

Bytes read_raw(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return Bytes(std::istreambuf_iterator<char>(in), {});
}

/// Runs `f` and returns the DataError it must throw.
DataError catch_error(const std::function<void()>& f) {
  try {
    f();
  } catch (const DataError& e) {
    return e;
  }
  FAIL("no DataError thrown");
  throw;  // unreachable: FAIL throws
}

/// Runs `f`, requires a DataError at `offset` (nullopt: none) whose message
/// contains every string in `parts` and which has a hint; returns it.
DataError expect_error(const std::function<void()>& f, std::optional<std::uint64_t> offset,
                       const std::vector<std::string>& parts) {
  const DataError e = catch_error(f);
  INFO(e.format());
  CHECK(e.byte_offset() == offset);
  for (const std::string& part : parts) CHECK(e.message().find(part) != std::string::npos);
  CHECK(!e.hint().empty());
  return e;
}

}  // namespace

TEST_CASE("idx: DataError formats path, offset, message and hint") {
  const DataError e("a/b.idx", 12, "something broke", "fix it");
  CHECK(e.format() == "a/b.idx: byte 12: error: something broke\n  hint: fix it");
  CHECK(std::string(e.what()) == e.format());
  CHECK(DataError("x", std::nullopt, "m").format() == "x: error: m");
}

TEST_CASE("idx: raw and gzipped files read back") {
  TempDir tmp;
  const Bytes images = ramp(2 * 3 * 4);
  const Bytes labels = {7, 2};
  write_raw(tmp.file("img"), idx_bytes(0x08, {2, 3, 4}, images));
  write_gz(tmp.file("img.gz"), idx_bytes(0x08, {2, 3, 4}, images));
  write_raw(tmp.file("lab"), idx_bytes(0x08, {2}, labels));
  for (const char* name : {"img", "img.gz"}) {
    const IdxArray a = read_idx(tmp.file(name), 3);
    CHECK(a.dims == std::vector<std::uint32_t>{2, 3, 4});
    CHECK(a.bytes == images);
  }
  CHECK(read_idx(tmp.file("lab"), 1).bytes == labels);
  CHECK(read_idx(tmp.file("lab"), 0).dims == std::vector<std::uint32_t>{2});
  CHECK(read_idx(tmp.file("img"), {3, 4}).dims.size() == 3);
}

TEST_CASE("idx: gzip detection is by content, not by name") {
  TempDir tmp;
  write_gz(tmp.file("plain-name"), idx_bytes(0x08, {3}, {1, 2, 3}));
  write_raw(tmp.file("gz-name.gz"), idx_bytes(0x08, {3}, {4, 5, 6}));
  CHECK(read_idx(tmp.file("plain-name"), 1).bytes == Bytes{1, 2, 3});
  CHECK(read_idx(tmp.file("gz-name.gz"), 1).bytes == Bytes{4, 5, 6});
}

TEST_CASE("idx: large gzip content grows the buffer, and concatenated members are one stream") {
  TempDir tmp;
  const Bytes data = ramp(3'000'000);  // above the reader's 1 MiB first chunk
  write_gz(tmp.file("big.gz"), idx_bytes(0x08, {3, 1000, 1000}, data));
  CHECK(read_idx(tmp.file("big.gz"), 3).bytes == data);

  const Bytes whole = idx_bytes(0x08, {4, 2}, ramp(8));
  write_gz(tmp.file("a.gz"), Bytes(whole.begin(), whole.begin() + 10));
  write_gz(tmp.file("b.gz"), Bytes(whole.begin() + 10, whole.end()));
  Bytes joined = read_raw(tmp.file("a.gz"));
  const Bytes second = read_raw(tmp.file("b.gz"));
  joined.insert(joined.end(), second.begin(), second.end());
  write_raw(tmp.file("multi.gz"), joined);
  CHECK(read_idx(tmp.file("multi.gz"), 2).bytes == ramp(8));
}

TEST_CASE("idx: write_idx round trips, raw and gzipped") {
  TempDir tmp;
  const IdxArray a{{2, 2, 2, 3}, ramp(24)};
  for (bool gz : {false, true}) {
    const std::string path = tmp.file(gz ? "w.gz" : "w");
    tl::data::write_idx(path, a, gz);
    const IdxArray b = read_idx(path, 4);
    CHECK(b.dims == a.dims);
    CHECK(b.bytes == a.bytes);
  }
  CHECK_THROWS_AS(tl::data::write_idx(tmp.file("bad"), IdxArray{{2, 2}, ramp(3)}), std::invalid_argument);
}

TEST_CASE("idx: a missing file or a directory names the path") {
  TempDir tmp;
  const DataError e = expect_error([&] { read_idx(tmp.file("nope"), 1); }, std::nullopt, {"cannot open", "No such file"});
  CHECK(e.path() == tmp.file("nope"));
  CHECK(e.format().rfind(tmp.file("nope") + ": error: ", 0) == 0);
  expect_error([&] { read_idx(tmp.path.string(), 1); }, std::nullopt, {"directory"});
}

TEST_CASE("idx: header errors") {
  TempDir tmp;
  const std::string p = tmp.file("bad");
  const auto check = [&](const Bytes& bytes, int dims, std::optional<std::uint64_t> offset,
                         const std::vector<std::string>& parts) {
    write_raw(p, bytes);
    expect_error([&] { read_idx(p, dims); }, offset, parts);
  };
  SUBCASE("wrong magic") { check({'P', 'K', 3, 4, 0, 0, 0, 0}, 1, 0, {"not an IDX file", "50 4b 03 04"}); }
  SUBCASE("unsupported type code") {
    check(idx_bytes(0x0D, {2}, Bytes(8)), 1, 2, {"unsupported IDX element type code 0x0d", "32-bit float"});
    check(idx_bytes(0x42, {2}, Bytes(2)), 1, 2, {"0x42", "not a valid IDX type"});
  }
  SUBCASE("wrong number of dims") {
    check(idx_bytes(0x08, {2, 1, 1}, Bytes(2)), 1, 3, {"expected a 1-dimensional", "declares 3 dimensions"});
    write_raw(p, idx_bytes(0x08, {2}, Bytes(2)));
    expect_error([&] { read_idx(p, {3, 4}); }, 3, {"expected a 3 or 4-dimensional", "declares 1 dimension"});
  }
  SUBCASE("zero dims") {
    check({0, 0, 8, 0}, 0, 3, {"0 dimensions"});
    check(idx_bytes(0x08, {2, 0, 3}, {}), 3, 8, {"dimension 1 of the IDX array is 0"});
  }
  SUBCASE("file ends inside the header") {
    check({0, 0}, 1, 2, {"inside the 4-byte IDX magic", "expected 4 bytes", "2 are missing"});
    check({0, 0, 8, 3, 0, 0}, 3, 6, {"inside the header (3 dimensions)", "expected 16 bytes"});
    check({}, 0, 0, {"inside the 4-byte IDX magic"});
  }
  SUBCASE("declared size over the cap") {
    check(idx_bytes(0x08, {65535, 65535, 65535}, Bytes(4)), 3, 4, {"65535 x 65535 x 65535", "limit"});
  }
}

TEST_CASE("idx: truncated data reports where it ended and what was expected") {
  TempDir tmp;
  const Bytes file = idx_bytes(0x08, {2, 3, 3}, Bytes(10));  // 18 data bytes declared, 10 present
  write_raw(tmp.file("t"), file);
  write_gz(tmp.file("t.gz"), file);
  for (const char* name : {"t", "t.gz"}) {
    CAPTURE(name);
    expect_error([&] { read_idx(tmp.file(name), 3); }, 26,
                 {"the file ends here", "2 x 3 x 3 = 18 bytes", "expected 34 bytes in total", "8 are missing"});
  }
}

TEST_CASE("idx: a cut-off gzip stream and corrupt gzip data") {
  TempDir tmp;
  const Bytes data = noise(100'000);
  write_gz(tmp.file("full.gz"), idx_bytes(0x08, {100, 1000}, data));
  const Bytes gz = read_raw(tmp.file("full.gz"));

  write_raw(tmp.file("cut.gz"), Bytes(gz.begin(), gz.begin() + gz.size() / 2));
  const DataError cut = catch_error([&] { read_idx(tmp.file("cut.gz"), 2); });
  INFO(cut.format());
  REQUIRE(cut.byte_offset());
  CHECK(*cut.byte_offset() > 12);
  CHECK(*cut.byte_offset() < 100'012);
  CHECK(cut.message().find("expected 100012 bytes") != std::string::npos);
  CHECK(cut.message().find("gzip stream itself is cut off") != std::string::npos);

  Bytes corrupt = gz;
  for (std::size_t i = gz.size() / 2; i < gz.size() / 2 + 64; ++i) corrupt[i] ^= 0x5a;
  write_raw(tmp.file("corrupt.gz"), corrupt);
  const DataError bad = catch_error([&] { read_idx(tmp.file("corrupt.gz"), 2); });
  INFO(bad.format());
  CHECK(bad.message().find("gzip data is corrupt") != std::string::npos);
  CHECK(bad.byte_offset().value_or(0) <= 100'012);  // a CRC mismatch shows at the end
}

TEST_CASE("idx: trailing bytes are an error") {
  TempDir tmp;
  Bytes file = idx_bytes(0x08, {2, 3, 3}, Bytes(18));
  file.insert(file.end(), {1, 2, 3});
  write_raw(tmp.file("x"), file);
  write_gz(tmp.file("x.gz"), file);
  for (const char* name : {"x", "x.gz"}) {
    CAPTURE(name);
    expect_error([&] { read_idx(tmp.file(name), 3); }, 34, {"3 unexpected bytes follow the data"});
  }
  Bytes garbage = read_raw(tmp.file("x.gz"));
  garbage.insert(garbage.end(), {'j', 'u', 'n', 'k'});
  write_raw(tmp.file("junk.gz"), garbage);
  expect_error([&] { read_idx(tmp.file("junk.gz"), 3); }, std::nullopt, {"non-gzip bytes follow"});
}

TEST_CASE("idx: a lying header much larger than the file") {
  TempDir tmp;
  // 1.6e9 bytes declared (under the 2^31 cap), 100 present.
  const Bytes file = idx_bytes(0x08, {1, 40000, 40000}, Bytes(100));
  write_raw(tmp.file("lie"), file);
  write_gz(tmp.file("lie.gz"), file);
  for (const char* name : {"lie", "lie.gz"}) {
    CAPTURE(name);
    expect_error([&] { read_idx(tmp.file(name), 3); }, 116, {"expected 1600000016 bytes"});
  }

#if defined(__linux__) && !defined(__SANITIZE_ADDRESS__)  // ASan reserves terabytes of address space
  // The same in a child whose address space can't grow by the declared size:
  // the read must still fail with the DataError, not with bad_alloc.
  for (const char* name : {"lie", "lie.gz"}) {
    CAPTURE(name);
    const pid_t pid = ::fork();
    REQUIRE(pid >= 0);
    if (pid == 0) {
      long pages = 0;
      std::ifstream("/proc/self/statm") >> pages;
      const rlim_t limit = rlim_t(pages) * ::sysconf(_SC_PAGESIZE) + (rlim_t{512} << 20);
      const rlimit rl{limit, limit};
      if (::setrlimit(RLIMIT_AS, &rl) != 0) ::_exit(9);
      try {
        read_idx(tmp.file(name), 3);
      } catch (const DataError& e) {
        ::_exit(e.byte_offset() == 116u ? 0 : 3);
      } catch (const std::bad_alloc&) {
        ::_exit(2);
      } catch (...) {
        ::_exit(4);
      }
      ::_exit(5);
    }
    int status = 0;
    REQUIRE(::waitpid(pid, &status, 0) == pid);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);  // 2 would mean it tried to allocate 1.6 GB
  }
#endif
}
