// message.cpp — owns parse(), Message, Part and Header (Parts keep the message alive).
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "json_names.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::python {

namespace {

// The input bytes (a `bytes` object referenced, or one copy) and the message that views them.
// Destroyed with the GIL held: only Python objects (Message, Part) hold it.
struct ParsedMessage {
  explicit ParsedMessage(py::handle data) : input(data) {}

  // Defects and limits of each part with what transfer-decoding its body finds (invalid_base64,
  // ...), and their union with the message's own: what `ksmg parse --json` reports.
  struct Decoding {
    std::vector<DefectSet> defects;  // per part
    std::vector<LimitSet> limits;
    DefectSet all_defects;
    LimitSet all_limits;
  };
  // Decodes every leaf once, on first use, with the GIL released.
  const Decoding& decoding() const {
    without_gil("decoding failed", [&] {
      std::call_once(decoding_once_, [&] {
        const mime::Message& m = *message;
        Decoding d;
        d.all_defects = m.all_defects();
        d.all_limits = m.all_limits();
        for (const mime::Part& p : m.parts()) {
          DefectSet defects = p.defects;
          LimitSet limits = p.limits;
          if (p.is_leaf()) {
            const mime::Decoded body = m.decode(p);
            defects.add(body.defects);
            limits.add(body.limits);
          }
          d.all_defects.add(defects);
          d.all_limits.add(limits);
          d.defects.push_back(defects);
          d.limits.push_back(limits);
        }
        decoding_ = std::move(d);
      });
    });
    return decoding_;
  }

  InputBytes input;
  std::optional<mime::Message> message;

 private:
  mutable std::once_flag decoding_once_;
  mutable Decoding decoding_;
};
using MessagePtr = std::shared_ptr<const ParsedMessage>;

struct PyHeader {
  std::string name;
  std::string value;  // decoded()
  std::string raw;
};

struct PyPart {
  MessagePtr m;
  std::uint32_t index = 0;

  [[nodiscard]] const mime::Message& message() const { return *m->message; }
  [[nodiscard]] const mime::Part& part() const { return message().parts()[index]; }
};

struct PyMessage {
  MessagePtr m;

  [[nodiscard]] const mime::Message& message() const { return *m->message; }
};

std::string_view to_string(mime::PartKind k) {
  switch (k) {
    case mime::PartKind::leaf:
      return "leaf";
    case mime::PartKind::multipart:
      return "multipart";
    case mime::PartKind::message:
      return "message";
  }
  return "leaf";
}

py::list headers_of(const mime::Message& msg, const mime::Part& p) {
  const auto fields = msg.headers(p);
  py::list l(fields.size());
  std::size_t i = 0;
  for (const mime::HeaderField& f : fields)
    l[i++] = py::cast(PyHeader{std::string(f.name), f.decoded(), std::string(f.raw_value)});
  return l;
}

py::list parts_of(const MessagePtr& m, const std::vector<std::uint32_t>& indexes) {
  py::list l(indexes.size());
  std::size_t i = 0;
  for (std::uint32_t index : indexes) l[i++] = py::cast(PyPart{m, index});
  return l;
}

// Text of a text part (html_to_text: HTML rendered as plain text), None for other parts.
py::object text_of(const PyPart& p, bool html_to_text) {
  const mime::Part& part = p.part();
  if (!part.is_text()) return py::none();
  const mime::Message& msg = p.message();
  const mime::Decoded d =
      without_gil("decoding failed", [&] { return msg.text(part, html_to_text); });
  return to_str(d.data);
}

py::bytes body_of(const PyPart& p) {
  const mime::Part& part = p.part();
  const mime::Message& msg = p.message();
  LimitSet limits;
  if (const std::optional<std::string_view> as_is = msg.body_as_is(part, limits))
    return to_bytes(*as_is);
  const mime::Decoded d = without_gil("decoding failed", [&] { return msg.decode(part); });
  return to_bytes(d.data);
}

PyMessage parse(const py::object& data) {
  auto pm = std::make_shared<ParsedMessage>(data);
  without_gil("parsing failed",
              [&] { pm->message.emplace(mime::Message::parse(pm->input.view())); });
  return PyMessage{std::move(pm)};
}

}  // namespace

void bind_message(py::module_& m) {
  py::class_<PyHeader>(m, "Header", "One header field.")
      .def_property_readonly("name", [](const PyHeader& h) { return to_str(h.name); })
      .def_property_readonly(
          "value", [](const PyHeader& h) { return to_str(h.value); },
          "Unfolded, RFC 2047 words decoded.")
      .def_property_readonly(
          "raw", [](const PyHeader& h) { return to_bytes(h.raw); },
          "As written after the colon, folding kept.")
      .def("__repr__", [](const PyHeader& h) {
        return py::str("<Header {!r}: {!r}>").format(to_str(h.name), to_str(h.value));
      });

  py::class_<PyPart>(m, "Part", "One MIME entity.")
      .def_property_readonly("index", [](const PyPart& p) { return p.index; })
      .def_property_readonly("path", [](const PyPart& p) { return to_str(p.part().path); })
      .def_property_readonly("kind",
                             [](const PyPart& p) { return to_str(to_string(p.part().kind)); })
      .def_property_readonly("depth", [](const PyPart& p) { return p.part().depth; })
      .def_property_readonly(
          "content_type", [](const PyPart& p) { return to_str(p.part().content_type.mime_type()); })
      .def_property_readonly("charset",
                             [](const PyPart& p) { return to_str_or_none(p.part().charset); })
      .def_property_readonly("disposition",
                             [](const PyPart& p) { return to_str_or_none(p.part().disposition); })
      .def_property_readonly("filename",
                             [](const PyPart& p) { return to_str_or_none(p.part().filename); })
      .def_property_readonly(
          "transfer_encoding",
          [](const PyPart& p) {
            // The library names the absent field ""; the stub says "none".
            const mime::TransferEncoding e = p.part().transfer_encoding;
            return to_str(e == mime::TransferEncoding::none ? "none" : mime::to_string(e));
          })
      .def_property_readonly("headers",
                             [](const PyPart& p) { return headers_of(p.message(), p.part()); })
      .def_property_readonly("children",
                             [](const PyPart& p) { return parts_of(p.m, p.part().children); })
      .def_property_readonly(
          "defects",
          [](const PyPart& p) {
            return to_python(frontend::names(p.m->decoding().defects[p.index]));
          },
          "Of the part's structure and of its transfer decoding.")
      .def_property_readonly("body", &body_of, "Transfer-decoded bytes.")
      .def_property_readonly(
          "text", [](const PyPart& p) { return text_of(p, false); },
          "Text parts: decoded and converted to str; else None.")
      .def_property_readonly(
          "visible_text", [](const PyPart& p) { return text_of(p, true); },
          "Like text, HTML rendered to plain text.")
      .def("__repr__", [](const PyPart& p) {
        return py::str("<Part {} {}>")
            .format(to_str(p.part().path), to_str(p.part().content_type.mime_type()));
      });

  py::class_<PyMessage>(m, "Message", "A parsed mail message (ksmg.parse()).")
      .def_property_readonly("raw", [](const PyMessage& p) { return to_bytes(p.message().raw()); })
      .def_property_readonly(
          "headers", [](const PyMessage& p) { return headers_of(p.message(), p.message().root()); })
      .def_property_readonly("root",
                             [](const PyMessage& p) {
                               return PyPart{p.m, 0};
                             })
      .def_property_readonly("parts",
                             [](const PyMessage& p) {
                               const std::size_t n = p.message().parts().size();
                               py::list l(n);
                               for (std::size_t i = 0; i < n; ++i)
                                 l[i] = py::cast(PyPart{p.m, static_cast<std::uint32_t>(i)});
                               return l;
                             })
      .def_property_readonly(
          "defects",
          [](const PyMessage& p) {
            return to_python(frontend::names(p.m->decoding().all_defects));
          },
          "Of the message and every part, transfer decoding included (as ksmg parse --json).")
      .def_property_readonly(
          "limits_exceeded",
          [](const PyMessage& p) { return to_python(frontend::names(p.m->decoding().all_limits)); })
      .def(
          "header",
          [](const PyMessage& p, std::string_view name) -> py::object {
            const mime::HeaderField* f = p.message().header(name);
            if (f == nullptr) return py::none();
            return to_str(f->decoded());
          },
          py::arg("name"), "The first field of that name, decoded; None when there is none.")
      .def(
          "addresses",
          [](const PyMessage& p, std::string_view name) {
            const std::vector<mime::Address> a = p.message().addresses(name);
            py::list l(a.size());
            std::size_t i = 0;
            for (const mime::Address& x : a)
              l[i++] = py::make_tuple(to_str(x.display_name), to_str(x.address));
            return l;
          },
          py::arg("name"), "Every mailbox of every field of that name: (display name, address).")
      .def("__repr__", [](const PyMessage& p) {
        return py::str("<Message {} parts, {} bytes>")
            .format(p.message().parts().size(), p.message().raw().size());
      });

  m.def("parse", &parse, py::arg("data"),
        "Parses a mail message (bytes-like; `bytes` is not copied) into a Message.");
}

}  // namespace ksmg::python
