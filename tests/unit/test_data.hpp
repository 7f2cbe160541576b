// test_data.hpp — where the unit tests find their third-party material (tests/data), and the
// one way they read a file of it.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace ksmg::test {

inline const std::filesystem::path& data_dir() {
  static const std::filesystem::path dir(KSMG_TEST_DATA_DIR);
  return dir;
}

// Whole file as bytes; "" when it cannot be read (the caller's assertions then fail visibly).
inline std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

// SHA-256 of ClamAV's harmless test executable clam.exe (tests/data/av/clamav-unit/sigs/clamav.hdb).
inline constexpr const char* kClamExeSha256 =
    "71e7b604d18aefd839e51a39c88df8383bb4c071dc31f87f00a2b5df580d4495";

}  // namespace ksmg::test
