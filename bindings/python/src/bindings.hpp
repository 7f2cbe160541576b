// bindings.hpp — owns what the files share: bind_* entry points, errors, input, conversions.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <new>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <utility>

#include "ksmg/policy.hpp"

namespace ksmg::python {

namespace py = pybind11;

// One per concept, called from PYBIND11_MODULE (module.cpp).
void bind_verdict(py::module_& m);
void bind_engine(py::module_& m);
void bind_message(py::module_& m);
void bind_objects(py::module_& m);

// The exception types created in module init (module.cpp); borrowed, alive as long as the module.
PyObject* ksmg_error_type() noexcept;
PyObject* config_error_type() noexcept;
// Raise KsmgError(message) / ConfigError(err.to_string()) with file, line, column and key set.
[[noreturn]] void raise_ksmg_error(const std::string& message);
[[noreturn]] void raise_config_error(const policy::ConfigError& err);

// The bytes of a bytes-like argument: a view into a `bytes` object, which it keeps a reference
// to (bytes are immutable, so the view stays valid without the GIL), or one copy of any other
// buffer (bytearray, memoryview, array, ...). Not movable: view() may point into its own copy.
// Construct and destroy with the GIL held; view() may be read without it.
class InputBytes {
 public:
  explicit InputBytes(py::handle data);
  InputBytes(const InputBytes&) = delete;
  InputBytes& operator=(const InputBytes&) = delete;

  [[nodiscard]] std::string_view view() const noexcept { return view_; }

 private:
  py::object bytes_;  // the `bytes` object viewed, or null
  std::string copy_;  // the copy of any other buffer
  std::string_view view_;
};

// str from UTF-8 bytes; bytes that are not valid UTF-8 become U+FFFD (frontend::utf8_or_replaced).
py::str to_str(std::string_view s);
// A str, or None when s is empty.
py::object to_str_or_none(std::string_view s);
py::bytes to_bytes(std::string_view s);
// JSON document → dict / list / str / int / float / bool / None, recursively.
py::object to_python(const nlohmann::json& j);
py::object to_python(const nlohmann::ordered_json& j);
// A path argument (str, bytes or os.PathLike) as the bytes the file system sees (os.fsencode).
std::string fs_path(py::handle path);
// That path back as a str (os.fsdecode).
py::str fs_decode(const std::string& path);

// Runs f() with the GIL released. An exception from the library becomes KsmgError("what: ...");
// std::bad_alloc stays itself (pybind11 raises MemoryError).
template <class F>
auto without_gil(const char* what, F&& f) -> decltype(f()) {
  std::string error;
  {
    py::gil_scoped_release release;
    try {
      return std::forward<F>(f)();
    } catch (const std::bad_alloc&) {
      throw;
    } catch (const std::exception& e) {
      error = e.what();
    }
  }
  raise_ksmg_error(std::string(what) + ": " + error);
}

}  // namespace ksmg::python
