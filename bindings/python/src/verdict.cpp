// verdict.cpp — owns Verdict: typed attributes and the lazily built report_json() mapping.
#include "verdict.hpp"

#include <string>

#include "json_names.hpp"
#include "report_json.hpp"

namespace ksmg::python {

const py::dict& Verdict::mapping() {
  if (!cached) cached.emplace(to_python(frontend::report_json(report)));
  return *cached;
}

namespace {

py::dict module_dict(const verdict::ModuleResult& m) {
  py::list findings(m.findings.size());
  std::size_t i = 0;
  for (const verdict::Finding& f : m.findings) {
    py::dict d;
    d["where"] = to_str(f.where);
    d["what"] = to_str(f.what);
    d["detail"] = to_str(f.detail);
    findings[i++] = std::move(d);
  }
  py::dict d;
  d["status"] = to_str(verdict::to_string(m.status));
  d["findings"] = std::move(findings);
  d["info"] = to_str(m.info);
  return d;
}

py::object status_of(const Verdict& v, std::string_view module) {
  for (const verdict::ModuleResult& m : v.report.verdict.modules)
    if (verdict::to_string(m.module) == module) return to_str(verdict::to_string(m.status));
  return py::none();
}

std::string repr(const Verdict& v) {
  const verdict::Verdict& r = v.report.verdict;
  std::string s = "<Verdict ";
  s += verdict::to_string(r.action);
  if (r.decided_by) {
    s += ' ';
    s += verdict::to_string(r.decided_by->first);
    s += ':';
    s += verdict::to_string(r.decided_by->second);
  }
  s += '>';
  return s;
}

}  // namespace

void bind_verdict(py::module_& m) {
  py::class_<Verdict> c(m, "Verdict",
                        "What scanning one message concluded. As a mapping it is the JSON "
                        "document of `ksmg scan --json` (without \"file\" and \"message\"); the "
                        "attributes are the same facts, typed.");
  // Typed attributes: computed from the report on each access.
  c.def_property_readonly(
       "action",
       [](const Verdict& v) { return to_str(verdict::to_string(v.report.verdict.action)); })
      .def_property_readonly(
          "reason", [](const Verdict& v) { return to_str_or_none(v.report.verdict.reason); })
      .def_property_readonly("decided_by",
                             [](const Verdict& v) -> py::object {
                               const auto& d = v.report.verdict.decided_by;
                               if (!d) return py::none();
                               return py::make_tuple(to_str(verdict::to_string(d->first)),
                                                     to_str(verdict::to_string(d->second)));
                             })
      .def_property_readonly("extras",
                             [](const Verdict& v) {
                               return to_python(frontend::extras_json(v.report.verdict.extras));
                             })
      .def_property_readonly("modules",
                             [](const Verdict& v) {
                               py::dict d;
                               for (const verdict::ModuleResult& r : v.report.verdict.modules)
                                 d[to_str(verdict::to_string(r.module))] = module_dict(r);
                               return d;
                             })
      .def_property_readonly("headers",
                             [](const Verdict& v) {
                               py::list l(v.report.headers.size());
                               std::size_t i = 0;
                               for (const auto& [name, value] : v.report.headers)
                                 l[i++] = py::make_tuple(to_str(name), to_str(value));
                               return l;
                             })
      .def_property_readonly(
          "scanned_as",
          [](const Verdict& v) { return to_str(v.report.scanned_as_message ? "message" : "file"); })
      .def_property_readonly("objects", [](const Verdict& v) { return v.report.objects; })
      .def_property_readonly(
          "flags", [](const Verdict& v) { return to_python(frontend::names(v.report.flags)); })
      .def_property_readonly(
          "limits_exceeded",
          [](const Verdict& v) { return to_python(frontend::names(v.report.limits)); })
      .def_property_readonly(
          "defects", [](const Verdict& v) { return to_python(frontend::names(v.report.defects)); })
      .def_property_readonly("engine_generation",
                             [](const Verdict& v) { return v.report.engine_generation; })
      .def(
          "status", [](const Verdict& v, std::string_view module) { return status_of(v, module); },
          py::arg("module"), "The status of that module (\"infected\", ...), or None.")
      .def(
          "to_json",
          [](const Verdict& v, std::optional<int> indent) {
            // None: one line; a number: pretty-printed with that indent (as json.dumps).
            const int n = indent && *indent >= 0 ? *indent : -1;
            return to_str(frontend::report_json(v.report).dump(n));
          },
          py::arg("indent") = py::none())
      .def("__repr__", &repr);

  // The Mapping interface, over the document built once on first use.
  c.def("__getitem__", [](Verdict& v, py::handle key) { return py::object(v.mapping()[key]); })
      .def("__iter__", [](Verdict& v) { return v.mapping().attr("__iter__")(); })
      .def("__len__", [](Verdict& v) { return v.mapping().size(); })
      .def("__contains__", [](Verdict& v, py::handle key) { return v.mapping().contains(key); })
      .def("keys", [](Verdict& v) { return v.mapping().attr("keys")(); })
      .def("items", [](Verdict& v) { return v.mapping().attr("items")(); })
      .def("values", [](Verdict& v) { return v.mapping().attr("values")(); })
      .def(
          "get",
          [](Verdict& v, py::handle key, py::object default_) {
            return v.mapping().attr("get")(key, default_);
          },
          py::arg("key"), py::arg("default") = py::none())
      .def("__eq__",
           [](Verdict& v, py::handle other) -> py::object {
             if (py::isinstance<Verdict>(other))
               return py::bool_(v.mapping().equal(other.cast<Verdict&>().mapping()));
             py::object mapping = py::module_::import("collections.abc").attr("Mapping");
             if (!py::isinstance(other, mapping))
               return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             return py::bool_(v.mapping().equal(py::dict(other.attr("items")())));
           })
      .attr("__hash__") = py::none();
}

}  // namespace ksmg::python
