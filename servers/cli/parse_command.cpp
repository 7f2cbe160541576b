// parse_command.cpp — `ksmg parse`: the MIME structure of each message as JSON or text.
//
// The JSON shape is a contract (tests and users rely on it): one document per message,
// one per line, with `parts` in document order.
#include <cstdio>
#include <iostream>
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "commands.hpp"
#include "inputs.hpp"
#include "json_names.hpp"
#include "ksmg/hash.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::cli {

using frontend::names;
using frontend::utf8_or_replaced;
namespace {

using mime::Message;
using mime::Part;
using nlohmann::json;

struct Options {
  bool as_json = false;
  bool decode_text = false;
  std::vector<std::string> files;
};

std::string_view kind_name(mime::PartKind k) {
  switch (k) {
    case mime::PartKind::multipart:
      return "multipart";
    case mime::PartKind::message:
      return "message";
    case mime::PartKind::leaf:
      break;
  }
  return "leaf";
}

// Adds what decoding found to all_defects / all_limits, so the message summary has it too.
json part_json(const Message& m, const Part& p, const Options& o, DefectSet& all_defects,
               LimitSet& all_limits) {
  json j;
  j["path"] = p.path;
  j["kind"] = kind_name(p.kind);
  j["depth"] = p.depth;
  j["content_type"] = p.content_type.mime_type();
  j["charset"] = p.charset.empty() ? json(nullptr) : json(utf8_or_replaced(p.charset));
  j["filename"] = p.filename.empty() ? json(nullptr) : json(p.filename);
  j["disposition"] = p.disposition.empty() ? json(nullptr) : json(p.disposition);
  j["transfer_encoding"] = p.transfer_encoding == mime::TransferEncoding::none
                               ? json(nullptr)
                               : json(utf8_or_replaced(p.transfer_encoding_raw));
  j["size"] = p.body.size();
  DefectSet defects = p.defects;
  LimitSet limits = p.limits;
  if (p.is_leaf()) {
    const mime::Decoded d = m.decode(p);
    defects.add(d.defects);
    limits.add(d.limits);
    j["decoded_size"] = d.data.size();
    j["sha256"] = sha256_hex(d.data);
    if (o.decode_text && p.is_text()) {
      mime::Decoded t = m.text(p);
      defects.add(t.defects);
      limits.add(t.limits);
      j["text"] = std::move(t.data);
    }
  } else {
    j["decoded_size"] = nullptr;
    j["sha256"] = nullptr;
    j["children"] = p.children.size();
  }
  all_defects.add(defects);
  all_limits.add(limits);
  j["defects"] = names(defects);
  j["limits_exceeded"] = names(limits);
  return j;
}

json message_json(const std::string& file, std::size_t index, const Message& m, const Options& o) {
  json j;
  j["file"] = file;
  j["message"] = index;
  j["size"] = m.raw().size();
  j["mbox_from"] = m.mbox_from().empty() ? json(nullptr) : json(utf8_or_replaced(m.mbox_from()));
  json headers = json::array();
  for (const mime::HeaderField& f : m.headers())
    headers.push_back({{"name", utf8_or_replaced(f.name)}, {"value", f.decoded()}});
  j["headers"] = std::move(headers);
  json parts = json::array();
  DefectSet all = m.all_defects();
  LimitSet limits = m.all_limits();
  for (const Part& p : m.parts()) parts.push_back(part_json(m, p, o, all, limits));
  j["parts"] = std::move(parts);
  j["defects"] = names(all);
  j["limits_exceeded"] = names(limits);
  return j;
}

void print_human(const std::string& file, std::size_t index, const Message& m) {
  std::cout << file;
  if (index > 0 || !m.mbox_from().empty()) std::cout << " #" << index;
  std::cout << "  (" << m.raw().size() << " bytes)\n";
  for (const char* name : {"From", "To", "Subject", "Date"})
    if (const auto* f = m.header(name)) std::cout << "  " << name << ": " << f->decoded() << '\n';
  for (const Part& p : m.parts()) {
    std::cout << "  " << std::string(p.depth * 2, ' ') << p.path << "  "
              << p.content_type.mime_type();
    if (!p.charset.empty()) std::cout << "; charset=" << p.charset;
    if (!p.filename.empty()) std::cout << "  \"" << p.filename << '"';
    if (p.is_leaf()) {
      std::cout << "  " << p.body.size() << " bytes";
      if (p.transfer_encoding != mime::TransferEncoding::none)
        std::cout << " " << mime::to_string(p.transfer_encoding);
    }
    for (const auto& d : names(p.defects)) std::cout << "  !" << d.get<std::string>();
    for (const auto& l : names(p.limits)) std::cout << "  !limit:" << l.get<std::string>();
    std::cout << '\n';
  }
  for (const auto& d : names(m.defects()))
    std::cout << "  message defect: " << d.get<std::string>() << '\n';
  for (const auto& l : names(m.limits_exceeded()))
    std::cout << "  limit exceeded: " << l.get<std::string>() << '\n';
}

}  // namespace

int parse_command(std::span<const std::string_view> args) {
  Options o;
  for (std::string_view a : args) {
    if (a == "--json") {
      o.as_json = true;
    } else if (a == "--decode") {
      o.decode_text = true;
    } else if (a.starts_with("--")) {
      std::fprintf(stderr, "ksmg parse: unknown option '%.*s'\n", static_cast<int>(a.size()),
                   a.data());
      return 2;
    } else {
      o.files.emplace_back(a);
    }
  }
  if (o.files.empty()) {
    std::fputs("usage: ksmg parse [--json] [--decode] FILE...\n", stderr);
    return 2;
  }
  int rc = 0;
  frontend::for_each_input(o.files, [&](frontend::InputFile& f) {
    if (!f.readable) {
      std::fprintf(stderr, "ksmg parse: %s: %s\n", f.path.c_str(), f.error.c_str());
      rc = 2;
      return;
    }
    std::size_t index = 0;
    for (std::string_view raw : frontend::messages_in(f.data)) {
      const Message m = Message::parse(raw);
      if (o.as_json) {
        std::cout << message_json(f.path, index, m, o)
                         .dump(-1, ' ', false, json::error_handler_t::replace)
                  << '\n';
      } else {
        print_human(f.path, index, m);
      }
      ++index;
    }
  });
  std::cout.flush();
  return rc;
}

}  // namespace ksmg::cli
