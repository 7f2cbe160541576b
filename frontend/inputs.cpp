// inputs.cpp — reading the files, directory trees and mbox files the front-ends are given.
#include "inputs.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <system_error>

#include "ksmg/mbox.hpp"

namespace ksmg::frontend {
namespace fs = std::filesystem;

namespace {

void read_file(const std::string& path, InputFile& f) {
  f.path = path;
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    f.readable = false;
    f.error = "cannot open";
    return;
  }
  f.data.assign(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
  if (in.bad()) {
    f.readable = false;
    f.error = "read error";
    f.data.clear();
  }
}

}  // namespace

void for_each_input(const std::vector<std::string>& paths,
                    const std::function<void(InputFile&)>& each) {
  for (const std::string& path : paths) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) {
      std::vector<std::string> files;
      for (fs::recursive_directory_iterator
               it(path, fs::directory_options::skip_permission_denied, ec),
           end;
           !ec && it != end; it.increment(ec)) {
        if (it->is_regular_file(ec)) files.push_back(it->path().string());
      }
      std::sort(files.begin(), files.end());
      for (const std::string& file : files) {
        InputFile f;
        read_file(file, f);
        each(f);
      }
      if (ec) {
        InputFile f{path, {}, false, ec.message()};
        each(f);
      }
      continue;
    }
    InputFile f;
    if (!fs::exists(path, ec)) {
      f = {path, {}, false, "no such file"};
    } else if (!fs::is_regular_file(path, ec)) {
      f = {path, {}, false, "not a regular file"};
    } else {
      read_file(path, f);
    }
    each(f);
  }
}

std::vector<std::string_view> messages_in(std::string_view file_data) {
  if (!ksmg::mbox::looks_like_mbox(file_data)) return {file_data};
  return ksmg::mbox::split(file_data);
}

}  // namespace ksmg::frontend
