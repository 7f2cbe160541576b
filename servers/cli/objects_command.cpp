// objects_command.cpp — `ksmg objects`: the object tree of each message or file (every MIME
// leaf and everything unpacked from it) as JSON or text.
//
// The JSON shape is a contract: one document per message (or non-mail file) per line,
// {"file", "message", "objects": [...] in document order, "flags", "limits_exceeded"}.
// A file whose bytes are not a mail message is one attachment, named after the file.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "input_kind.hpp"
#include "inputs.hpp"
#include "json_names.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"

namespace ksmg::cli {

using frontend::names;
using frontend::utf8_or_replaced;
namespace {

using nlohmann::json;
using objects::Object;
using objects::ObjectTree;

struct Options {
  bool as_json = false;
  bool force_file = false;  // never read inputs as mail
  std::vector<std::string> files;
};

json null_if_empty(const std::string& s) { return s.empty() ? json(nullptr) : json(s); }

json object_json(const Object& o) {
  json j;
  j["index"] = o.index;
  j["parent"] = o.parent == objects::kNoObject ? json(nullptr) : json(o.parent);
  j["path"] = utf8_or_replaced(o.path);
  j["name"] = null_if_empty(utf8_or_replaced(o.name));
  j["declared_type"] = null_if_empty(utf8_or_replaced(o.declared_type));
  j["origin"] = objects::to_string(o.origin);
  j["mime_part"] = null_if_empty(o.mime_part_path);
  j["depth"] = o.depth;
  j["size"] = o.size();
  j["declared_size"] = o.declared_size == 0 ? json(nullptr) : json(o.declared_size);
  j["sha256"] = o.sha256;
  j["true_type"] = o.true_type.mime_type;
  j["category"] = filetype::to_string(o.true_type.category);
  j["container"] = null_if_empty(o.container);
  j["password"] = null_if_empty(utf8_or_replaced(o.password));
  j["children"] = o.children.size();
  j["flags"] = names(o.flags);
  j["limits_exceeded"] = names(o.limits);
  return j;
}

json tree_json(const std::string& file, std::size_t index, const ObjectTree& t) {
  json j;
  j["file"] = file;
  j["message"] = index == static_cast<std::size_t>(-1) ? json(nullptr) : json(index);
  json list = json::array();
  for (const Object& o : t.objects()) list.push_back(object_json(o));
  j["objects"] = std::move(list);
  j["unpacked_bytes"] = t.unpacked_bytes();
  j["flags"] = names(t.all_flags());
  j["limits_exceeded"] = names(t.all_limits());
  return j;
}

void print_human(const std::string& file, std::size_t index, const ObjectTree& t) {
  std::cout << file;
  if (index != static_cast<std::size_t>(-1) && index > 0) std::cout << " #" << index;
  std::cout << "  (" << t.objects().size() << " objects)\n";
  for (const Object& o : t.objects()) {
    std::cout << "  " << std::string(o.depth * 2, ' ') << utf8_or_replaced(o.path) << "  "
              << o.true_type.mime_type << " [" << filetype::to_string(o.true_type.category) << "]  "
              << o.size() << " bytes";
    for (const auto& f : names(o.flags)) std::cout << "  !" << f.get<std::string>();
    for (const auto& l : names(o.limits)) std::cout << "  !limit:" << l.get<std::string>();
    std::cout << '\n';
  }
  for (const auto& l : names(t.all_limits()))
    std::cout << "  limit exceeded: " << l.get<std::string>() << '\n';
}

void emit(const Options& o, const std::string& file, std::size_t index, const ObjectTree& t) {
  if (o.as_json)
    std::cout << tree_json(file, index, t).dump(-1, ' ', false, json::error_handler_t::replace)
              << '\n';
  else
    print_human(file, index, t);
}

}  // namespace

int objects_command(std::span<const std::string_view> args) {
  Options o;
  for (std::string_view a : args) {
    if (a == "--json") {
      o.as_json = true;
    } else if (a == "--file") {
      o.force_file = true;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "ksmg objects: unknown option '%.*s'\n", static_cast<int>(a.size()),
                   a.data());
      return 2;
    } else {
      o.files.emplace_back(a);
    }
  }
  if (o.files.empty()) {
    std::fputs("usage: ksmg objects [--json] [--file] FILE...\n", stderr);
    return 2;
  }
  int rc = 0;
  frontend::for_each_input(o.files, [&](frontend::InputFile& f) {
    if (!f.readable) {
      std::fprintf(stderr, "ksmg objects: %s: %s\n", f.path.c_str(), f.error.c_str());
      rc = 2;
      return;
    }
    if (o.force_file || !is_mail(f.data)) {
      emit(o, f.path, static_cast<std::size_t>(-1), ObjectTree::of_file(base_name(f.path), f.data));
      return;
    }
    std::size_t index = 0;
    for (std::string_view raw : frontend::messages_in(f.data)) {
      const mime::Message m = mime::Message::parse(raw);
      emit(o, f.path, index++, ObjectTree::of_message(m));
    }
  });
  std::cout.flush();
  return rc;
}

}  // namespace ksmg::cli
