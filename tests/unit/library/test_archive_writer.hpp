// test_archive_writer.hpp — archives written in tests with libarchive's writer (members of
// zeros or of given bytes; zips also encrypted with a password), for the archive reader, the
// object tree and the anti-virus tests.
#pragma once

#include <archive.h>
#include <archive_entry.h>
#include <gtest/gtest.h>

#include <algorithm>
#include <string>
#include <vector>

namespace ksmg::test {

inline la_ssize_t append_cb(struct archive*, void* ud, const void* buf, size_t n) {
  static_cast<std::string*>(ud)->append(static_cast<const char*>(buf), n);
  return static_cast<la_ssize_t>(n);
}

struct ArchiveEntry {
  std::string name;
  std::size_t zeros = 0;  // size of a member of zeros, written in 1 MiB blocks
  std::string bytes;      // or these bytes
};

// format: "zip", "tar", "raw", "7z"; filter: ARCHIVE_FILTER_NONE or a compression filter;
// zip_encryption: "" or libarchive's zip writer's "traditional" (ZipCrypto), "aes128", "aes256",
// with `password`.
inline std::string write_archive(const std::string& format, int filter,
                                 const std::vector<ArchiveEntry>& es,
                                 const std::string& zip_encryption = "",
                                 const std::string& password = "") {
  std::string out;
  struct archive* a = archive_write_new();
  if (format == "zip") {
    EXPECT_EQ(archive_write_set_format_zip(a), ARCHIVE_OK);
  } else if (format == "tar") {
    EXPECT_EQ(archive_write_set_format_gnutar(a), ARCHIVE_OK);
  } else if (format == "7z") {
    EXPECT_EQ(archive_write_set_format_7zip(a), ARCHIVE_OK);
  } else {
    EXPECT_EQ(archive_write_set_format_raw(a), ARCHIVE_OK);
  }
  if (!zip_encryption.empty()) {
    EXPECT_EQ(archive_write_set_options(a, ("zip:encryption=" + zip_encryption).c_str()),
              ARCHIVE_OK)
        << archive_error_string(a);
    EXPECT_EQ(archive_write_set_passphrase(a, password.c_str()), ARCHIVE_OK);
  }
  if (filter != ARCHIVE_FILTER_NONE) {
    EXPECT_EQ(archive_write_add_filter(a, filter), ARCHIVE_OK);
  }
  archive_write_set_bytes_in_last_block(a, 1);
  EXPECT_EQ(archive_write_open2(a, &out, nullptr, append_cb, nullptr, nullptr), ARCHIVE_OK);
  const std::string zeros(1u << 20, '\0');
  for (const ArchiveEntry& e : es) {
    struct archive_entry* ae = archive_entry_new();
    archive_entry_set_pathname(ae, e.name.c_str());
    archive_entry_set_filetype(ae, AE_IFREG);
    archive_entry_set_perm(ae, 0644);
    archive_entry_set_size(ae, static_cast<la_int64_t>(e.zeros + e.bytes.size()));
    EXPECT_GE(archive_write_header(a, ae), ARCHIVE_WARN) << archive_error_string(a);
    for (std::size_t left = e.zeros; left > 0;) {
      const std::size_t n = std::min(left, zeros.size());
      EXPECT_EQ(archive_write_data(a, zeros.data(), n), static_cast<la_ssize_t>(n));
      left -= n;
    }
    if (!e.bytes.empty()) archive_write_data(a, e.bytes.data(), e.bytes.size());
    archive_entry_free(ae);
  }
  EXPECT_EQ(archive_write_close(a), ARCHIVE_OK);
  archive_write_free(a);
  return out;
}

}  // namespace ksmg::test
