// test_mail.hpp — building test inputs in code: zips and tars written with libarchive and base64
// bodies folded as mail has them, the one way the unit tests make attachments of their own.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ksmg::test {

inline la_ssize_t append_to_string(struct archive*, void* out, const void* buf, size_t n) {
  static_cast<std::string*>(out)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

// An archive of (name, bytes) members in the format that set_format picks
// (archive_write_set_format_zip, archive_write_set_format_ustar, ...).
inline std::string archive_of(const std::vector<std::pair<std::string, std::string>>& members,
                              int (*set_format)(struct archive*)) {
  std::string out;
  struct archive* a = archive_write_new();
  EXPECT_EQ(set_format(a), ARCHIVE_OK);
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open2(a, &out, nullptr, append_to_string, nullptr, nullptr), ARCHIVE_OK);
  for (const auto& [name, bytes] : members) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, name.c_str());
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, static_cast<la_int64_t>(bytes.size()));
    EXPECT_GE(archive_write_header(a, ae), ARCHIVE_WARN) << archive_error_string(a);
    if (!bytes.empty()) archive_write_data(a, bytes.data(), bytes.size());
    archive_entry_free(ae);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

inline std::string zip_of(const std::vector<std::pair<std::string, std::string>>& members) {
  return archive_of(members, archive_write_set_format_zip);
}

// Base64 in CRLF lines of 76 characters, ending with a line break.
inline std::string base64(std::string_view in) {
  static constexpr char kAlphabet[] =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  std::string out;
  std::size_t line = 0;
  for (std::size_t i = 0; i < in.size(); i += 3) {
    const std::size_t n = std::min<std::size_t>(3, in.size() - i);
    std::uint32_t v = static_cast<unsigned char>(in[i]) << 16;
    if (n > 1) v |= static_cast<unsigned char>(in[i + 1]) << 8;
    if (n > 2) v |= static_cast<unsigned char>(in[i + 2]);
    out += kAlphabet[(v >> 18) & 63];
    out += kAlphabet[(v >> 12) & 63];
    out += n > 1 ? kAlphabet[(v >> 6) & 63] : '=';
    out += n > 2 ? kAlphabet[v & 63] : '=';
    if (++line == 19) {
      out += "\r\n";
      line = 0;
    }
  }
  return out + "\r\n";
}

}  // namespace ksmg::test
