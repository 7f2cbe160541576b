// objects.cpp — owns objects() and Object (Objects keep the tree, message and bytes alive).
#include "ksmg/objects.hpp"

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "bindings.hpp"
#include "json_names.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::python {

namespace {

// The input, the message parsed from it (none for a file) and the tree, which views both.
// Destroyed with the GIL held: only Python Objects hold it.
struct Tree {
  explicit Tree(py::handle data) : input(data) {}

  InputBytes input;
  std::optional<mime::Message> message;
  std::optional<objects::ObjectTree> tree;
};

struct PyObjectRef {
  std::shared_ptr<const Tree> t;
  std::uint32_t index = 0;

  [[nodiscard]] const objects::Object& object() const { return t->tree->objects()[index]; }
};

py::list objects_of(const py::object& data, const std::optional<std::string>& name) {
  auto t = std::make_shared<Tree>(data);
  without_gil("building the object tree failed", [&] {
    if (name) {
      t->tree.emplace(objects::ObjectTree::of_file(*name, t->input.view()));
    } else {
      t->message.emplace(mime::Message::parse(t->input.view()));
      t->tree.emplace(objects::ObjectTree::of_message(*t->message));
    }
  });
  const std::size_t n = t->tree->objects().size();
  py::list l(n);
  for (std::size_t i = 0; i < n; ++i)
    l[i] = py::cast(PyObjectRef{t, static_cast<std::uint32_t>(i)});
  return l;
}

}  // namespace

void bind_objects(py::module_& m) {
  py::class_<PyObjectRef>(m, "Object", "One scannable object: a MIME leaf, an archive member, ...")
      .def_property_readonly("index", [](const PyObjectRef& o) { return o.index; })
      .def_property_readonly("parent",
                             [](const PyObjectRef& o) -> py::object {
                               const std::uint32_t p = o.object().parent;
                               if (p == objects::kNoObject) return py::none();
                               return py::int_(p);
                             })
      .def_property_readonly("depth", [](const PyObjectRef& o) { return o.object().depth; })
      .def_property_readonly(
          "origin",
          [](const PyObjectRef& o) { return to_str(objects::to_string(o.object().origin)); })
      .def_property_readonly("path", [](const PyObjectRef& o) { return to_str(o.object().path); })
      .def_property_readonly("name", [](const PyObjectRef& o) { return to_str(o.object().name); })
      .def_property_readonly("declared_type",
                             [](const PyObjectRef& o) { return to_str(o.object().declared_type); })
      .def_property_readonly(
          "true_type", [](const PyObjectRef& o) { return to_str(o.object().true_type.mime_type); })
      .def_property_readonly("category",
                             [](const PyObjectRef& o) {
                               return to_str(filetype::to_string(o.object().true_type.category));
                             })
      .def_property_readonly("size", [](const PyObjectRef& o) { return o.object().size(); })
      .def_property_readonly("sha256",
                             [](const PyObjectRef& o) { return to_str(o.object().sha256); })
      .def_property_readonly("container",
                             [](const PyObjectRef& o) { return to_str(o.object().container); })
      .def_property_readonly("password",
                             [](const PyObjectRef& o) { return to_str(o.object().password); })
      .def_property_readonly(
          "flags",
          [](const PyObjectRef& o) { return to_python(frontend::names(o.object().flags)); })
      .def_property_readonly(
          "limits_exceeded",
          [](const PyObjectRef& o) { return to_python(frontend::names(o.object().limits)); })
      .def_property_readonly("children",
                             [](const PyObjectRef& o) {
                               const auto& c = o.object().children;
                               py::list l(c.size());
                               for (std::size_t i = 0; i < c.size(); ++i) l[i] = py::int_(c[i]);
                               return l;
                             })
      .def_property_readonly(
          "data", [](const PyObjectRef& o) { return to_bytes(o.object().data); },
          "The object's bytes (MIME leaves: transfer-decoded).")
      .def("__repr__", [](const PyObjectRef& o) {
        return py::str("<Object {} {}>")
            .format(to_str(o.object().path), to_str(o.object().true_type.mime_type));
      });

  m.def("objects", &objects_of, py::arg("data"), py::kw_only(), py::arg("name") = py::none(),
        "The object tree of a message (or, with name=..., of a file scanned as one attachment), "
        "as a list in document order.");
}

}  // namespace ksmg::python
