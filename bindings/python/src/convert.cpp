// convert.cpp — owns Python <-> C++ conversions: bytes-like input, str, JSON, paths.
#include <cstdint>

#include "bindings.hpp"
#include "json_names.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::python {

InputBytes::InputBytes(py::handle data) {
  PyObject* o = data.ptr();
  if (PyBytes_Check(o)) {
    char* p = nullptr;
    Py_ssize_t n = 0;
    if (PyBytes_AsStringAndSize(o, &p, &n) != 0) throw py::error_already_set();
    bytes_ = py::reinterpret_borrow<py::object>(data);
    view_ = std::string_view(p, static_cast<std::size_t>(n));
    return;
  }
  if (PyUnicode_Check(o) || !PyObject_CheckBuffer(o))
    throw py::type_error("expected a bytes-like object (bytes, bytearray, memoryview), not " +
                         std::string(Py_TYPE(o)->tp_name));
  Py_buffer buf;
  if (PyObject_GetBuffer(o, &buf, PyBUF_FULL_RO) != 0) throw py::error_already_set();
  try {
    copy_.resize(static_cast<std::size_t>(buf.len));
  } catch (...) {
    PyBuffer_Release(&buf);
    throw;
  }
  const int rc = PyBuffer_ToContiguous(copy_.data(), &buf, buf.len, 'C');
  PyBuffer_Release(&buf);
  if (rc != 0) throw py::error_already_set();
  view_ = copy_;
}

py::str to_str(std::string_view s) {
  PyObject* o = nullptr;
  if (mime::is_valid_utf8(s)) {
    o = PyUnicode_FromStringAndSize(s.data(), static_cast<Py_ssize_t>(s.size()));
  } else {
    const std::string fixed = frontend::utf8_or_replaced(s);
    o = PyUnicode_DecodeUTF8(fixed.data(), static_cast<Py_ssize_t>(fixed.size()), "replace");
  }
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

py::object to_str_or_none(std::string_view s) {
  if (s.empty()) return py::none();
  return to_str(s);
}

py::bytes to_bytes(std::string_view s) { return py::bytes(s.data(), s.size()); }

namespace {

// Either flavour of document: report_json() keeps its keys in the order of `ksmg scan --json`.
template <class Json>
py::object json_to_python(const Json& j) {
  using json = Json;
  switch (j.type()) {
    case json::value_t::null:
    case json::value_t::discarded:
      return py::none();
    case json::value_t::boolean:
      return py::bool_(j.template get<bool>());
    case json::value_t::number_integer:
      return py::int_(j.template get<std::int64_t>());
    case json::value_t::number_unsigned:
      return py::int_(j.template get<std::uint64_t>());
    case json::value_t::number_float:
      return py::float_(j.template get<double>());
    case json::value_t::string:
      return to_str(j.template get_ref<const std::string&>());
    case json::value_t::binary:
      return to_bytes(std::string_view(reinterpret_cast<const char*>(j.get_binary().data()),
                                       j.get_binary().size()));
    case json::value_t::array: {
      py::list l(j.size());
      std::size_t i = 0;
      for (const json& e : j) l[i++] = json_to_python(e);
      return l;
    }
    case json::value_t::object: {
      py::dict d;
      for (const auto& [k, v] : j.items()) d[to_str(k)] = json_to_python(v);
      return d;
    }
  }
  return py::none();
}

}  // namespace

py::object to_python(const nlohmann::json& j) { return json_to_python(j); }
py::object to_python(const nlohmann::ordered_json& j) { return json_to_python(j); }

std::string fs_path(py::handle path) {
  py::object p = py::reinterpret_steal<py::object>(PyOS_FSPath(path.ptr()));
  if (!p) throw py::error_already_set();
  if (PyUnicode_Check(p.ptr())) {
    p = py::reinterpret_steal<py::object>(PyUnicode_EncodeFSDefault(p.ptr()));
    if (!p) throw py::error_already_set();
  }
  char* s = nullptr;
  Py_ssize_t n = 0;
  if (PyBytes_AsStringAndSize(p.ptr(), &s, &n) != 0) throw py::error_already_set();
  if (std::string_view(s, static_cast<std::size_t>(n)).find('\0') != std::string_view::npos)
    throw py::value_error("embedded null byte in path");
  return std::string(s, static_cast<std::size_t>(n));
}

py::str fs_decode(const std::string& path) {
  PyObject* o = PyUnicode_DecodeFSDefaultAndSize(path.data(), static_cast<Py_ssize_t>(path.size()));
  if (o == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::str>(o);
}

}  // namespace ksmg::python
