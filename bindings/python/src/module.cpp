// module.cpp — owns PYBIND11_MODULE(_ksmg): KsmgError, ConfigError, __version__, registration.
#include "bindings.hpp"

namespace ksmg::python {

namespace {

// Created once in module init and never released (the module is never unloaded).
PyObject* g_ksmg_error = nullptr;
PyObject* g_config_error = nullptr;

}  // namespace

PyObject* ksmg_error_type() noexcept { return g_ksmg_error; }
PyObject* config_error_type() noexcept { return g_config_error; }

void raise_ksmg_error(const std::string& message) {
  PyErr_SetString(g_ksmg_error, message.c_str());
  throw py::error_already_set();
}

void raise_config_error(const policy::ConfigError& err) {
  py::object e = py::reinterpret_borrow<py::object>(g_config_error)(err.to_string());
  e.attr("file") = to_str(err.file);
  e.attr("line") = err.line;
  e.attr("column") = err.column;
  e.attr("key") = to_str(err.key);
  PyErr_SetObject(g_config_error, e.ptr());
  throw py::error_already_set();
}

}  // namespace ksmg::python

PYBIND11_MODULE(_ksmg, m) {
  namespace py = pybind11;
  using namespace ksmg::python;
  m.doc() =
      "The compiled part of the ksmg package: pybind11 bindings of libksmg (see ksmg/_ksmg.pyi).";
  m.attr("__version__") = KSMG_VERSION;

  g_ksmg_error = PyErr_NewExceptionWithDoc(
      "ksmg._ksmg.KsmgError", "Base of every error the module raises.", nullptr, nullptr);
  if (g_ksmg_error == nullptr) throw py::error_already_set();
  // Class attributes are the defaults of an instance raised without them (ConfigError("...")).
  py::dict defaults;
  defaults["file"] = "";
  defaults["line"] = 0;
  defaults["column"] = 0;
  defaults["key"] = "";
  g_config_error = PyErr_NewExceptionWithDoc(
      "ksmg._ksmg.ConfigError",
      "A configuration, dictionary or anti-virus database that does not load; the message says "
      "the file, line, column and key at fault.",
      g_ksmg_error, defaults.ptr());
  if (g_config_error == nullptr) throw py::error_already_set();
  m.attr("KsmgError") = py::reinterpret_borrow<py::object>(g_ksmg_error);
  m.attr("ConfigError") = py::reinterpret_borrow<py::object>(g_config_error);

  bind_verdict(m);
  bind_engine(m);
  bind_message(m);
  bind_objects(m);

  // isinstance(v, collections.abc.Mapping); these implement the mixin methods themselves.
  py::object mapping = py::module_::import("collections.abc").attr("Mapping");
  for (const char* name : {"Verdict", "ModuleResult", "Finding"})
    mapping.attr("register")(m.attr(name));
}
