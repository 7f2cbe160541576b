// config_section.cpp — owns the servers' typed configuration readers (config_section.hpp).
#include "config_section.hpp"

#include <filesystem>
#include <fstream>
#include <iterator>
#include <utility>

namespace ksmg::frontend {

std::optional<toml::table> parse_config_text(std::string_view text, std::string_view file_name,
                                             policy::ConfigError& err) {
  try {
    return toml::parse(text, file_name);
  } catch (const toml::parse_error& e) {
    err = {std::string(file_name), e.source().begin.line, e.source().begin.column, "",
           std::string(e.description())};
    return std::nullopt;
  }
}

std::optional<toml::table> read_config_file(const std::string& path, policy::ConfigError& err) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    err = {path, 0, 0, "", "cannot read the file"};
    return std::nullopt;
  }
  const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_config_text(text, path, err);
}

bool SectionReader::fail(const toml::node& at, std::string key, std::string message) {
  return fail(at.source(), std::move(key), std::move(message));
}

bool SectionReader::fail(const toml::source_region& at, std::string key, std::string message) {
  err_ = {std::string(file_), at.begin.line, at.begin.column, std::move(key), std::move(message)};
  return false;
}

bool SectionReader::string_value(const std::string& key, const toml::node& node, std::string& out) {
  const auto* s = node.as_string();
  if (s == nullptr) return fail(node, key, "expected a string");
  out = s->get();
  return true;
}

bool SectionReader::path_value(const std::string& key, const toml::node& node, std::string& out) {
  if (!string_value(key, node, out)) return false;
  if (!out.empty()) out = resolve(out);
  return true;
}

std::string SectionReader::resolve(const std::string& path) const {
  const std::filesystem::path p(path);
  if (p.is_absolute() || file_.empty()) return path;
  return (std::filesystem::path(std::string(file_)).parent_path() / p).lexically_normal();
}

bool SectionReader::count_value(const std::string& key, const toml::node& node, std::size_t& out,
                                bool zero_allowed) {
  const auto* i = node.as_integer();
  if (i == nullptr || i->get() < (zero_allowed ? 0 : 1) || i->get() > 100'000'000)
    return fail(node, key,
                zero_allowed ? "expected an integer >= 0" : "expected a positive integer");
  out = static_cast<std::size_t>(i->get());
  return true;
}

bool SectionReader::size_value(const std::string& key, const toml::node& node, std::size_t& out) {
  if (const auto* s = node.as_string()) {
    const auto size = policy::parse_size(s->get());
    if (!size || *size == 0)
      return fail(node, key, "expected a size such as 65536, \"64K\", \"64M\" or \"1G\"");
    out = *size;
    return true;
  }
  return count_value(key, node, out, false);
}

bool SectionReader::seconds_value(const std::string& key, const toml::node& node,
                                  std::chrono::seconds& out) {
  const auto* i = node.as_integer();
  if (i == nullptr || i->get() < 1 || i->get() > 86'400)
    return fail(node, key, "expected seconds between 1 and 86400");
  out = std::chrono::seconds(i->get());
  return true;
}

}  // namespace ksmg::frontend
