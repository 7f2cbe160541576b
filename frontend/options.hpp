// options.hpp — how the front-ends read a command-line option that takes a value: both
// "--opt value" and "--opt=value" are accepted; and the servers' whole command lines.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace ksmg::frontend {

struct OptionArg {
  std::string_view name;   // "--opt"
  std::string_view value;  // after '=', when has_value
  bool has_value = false;  // false: the value is the next argument
};

// Splits "--opt=value" at the first '='; any other argument is returned as the name.
inline OptionArg split_option(std::string_view arg) noexcept {
  const auto eq = arg.find('=');
  if (eq == std::string_view::npos) return {arg, {}, false};
  return {arg.substr(0, eq), arg.substr(eq + 1), true};
}

// A server's command line (ksmg-relay, ksmg-milter): options with a value, given once or
// repeated, and switches; no positional arguments.
class OptionTable {
 public:
  OptionTable& value(std::string_view name, std::string& out) {
    entries_.push_back({name, &out, nullptr, nullptr});
    return *this;
  }
  OptionTable& values(std::string_view name, std::vector<std::string>& out) {
    entries_.push_back({name, nullptr, &out, nullptr});
    return *this;
  }
  OptionTable& flag(std::string_view name, bool& out) {
    entries_.push_back({name, nullptr, nullptr, &out});
    return *this;
  }

  // False with the argument it could not take (unknown, a value missing, a value on a switch).
  [[nodiscard]] bool parse(int argc, char** argv, std::string& bad) const {
    for (int i = 1; i < argc; ++i) {
      const OptionArg arg = split_option(argv[i]);
      const Entry* e = find(arg.name);
      if (e == nullptr || (e->flag != nullptr && arg.has_value) ||
          (e->flag == nullptr && !arg.has_value && i + 1 >= argc)) {
        bad = argv[i];
        return false;
      }
      if (e->flag != nullptr) {
        *e->flag = true;
        continue;
      }
      std::string v = arg.has_value ? std::string(arg.value) : std::string(argv[++i]);
      if (e->one != nullptr)
        *e->one = std::move(v);
      else
        e->many->push_back(std::move(v));
    }
    return true;
  }

 private:
  struct Entry {
    std::string_view name;
    std::string* one;
    std::vector<std::string>* many;
    bool* flag;
  };
  [[nodiscard]] const Entry* find(std::string_view name) const noexcept {
    for (const Entry& e : entries_)
      if (e.name == name) return &e;
    return nullptr;
  }
  std::vector<Entry> entries_;
};

}  // namespace ksmg::frontend
