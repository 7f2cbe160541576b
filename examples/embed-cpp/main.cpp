// main.cpp — the smallest program that embeds libksmg: parse one message, list its parts.
#include <fstream>
#include <iostream>
#include <iterator>
#include <ksmg/mime.hpp>
#include <string>

int main(int argc, char** argv) {
  if (argc != 2) {
    std::cerr << "usage: embed-example MESSAGE\n";
    return 2;
  }
  std::ifstream in(argv[1], std::ios::binary);
  if (!in) {
    std::cerr << "cannot open " << argv[1] << '\n';
    return 2;
  }
  std::string raw{std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
  const auto message = ksmg::mime::Message::parse(raw);
  if (const auto* subject = message.header("Subject"))
    std::cout << "subject: " << subject->decoded() << '\n';
  std::cout << "parts: " << message.parts().size() << '\n';
  for (const auto& part : message.parts()) {
    std::cout << part.path << ' ' << part.content_type.mime_type();
    if (part.is_leaf()) std::cout << ' ' << message.decode(part).data.size() << " bytes decoded";
    std::cout << '\n';
  }
  return 0;
}
