// verdict.cpp — owns Verdict, ModuleResult and Finding: each a read-only mapping of its JSON
// object (the document of `ksmg scan --json`) whose keys are also typed attributes.
#include "verdict.hpp"

#include <string>
#include <vector>

#include "json_names.hpp"
#include "report_json.hpp"

namespace ksmg::python {

const py::dict& Verdict::mapping() {
  if (!cached) cached.emplace(to_python(frontend::report_json(report)));
  return *cached;
}

namespace {

// One thing a module found, and one module's result: the attribute side of the verdict's
// {"where", "what", "detail"} and {"status", "findings", "info"} objects. Built from the report
// with the GIL held; findings are PyFinding objects, so attribute access goes all the way down.
struct PyFinding {
  py::str where, what, detail;
};

struct PyModuleResult {
  py::str status;
  std::vector<PyFinding> findings;
  py::str info;
};

// A new list on each access, as the Verdict's attributes are: emptying it leaves the result
// as it was.
py::list findings_list(const PyModuleResult& m) {
  py::list l(m.findings.size());
  std::size_t i = 0;
  for (const PyFinding& f : m.findings) l[i++] = py::cast(f);
  return l;
}

// The same objects as dicts, in the key order of the JSON document.
py::dict as_dict(const PyFinding& f) {
  py::dict d;
  d["where"] = f.where;
  d["what"] = f.what;
  d["detail"] = f.detail;
  return d;
}

py::dict as_dict(const PyModuleResult& m) {
  py::dict d;
  d["status"] = m.status;
  d["findings"] = findings_list(m);
  d["info"] = m.info;
  return d;
}

PyModuleResult module_result(const verdict::ModuleResult& m) {
  std::vector<PyFinding> findings;
  findings.reserve(m.findings.size());
  for (const verdict::Finding& f : m.findings)
    findings.push_back({to_str(f.where), to_str(f.what), to_str(f.detail)});
  return {to_str(verdict::to_string(m.status)), std::move(findings), to_str(m.info)};
}

// The result of that module, None when it did not run (switched off in [modules]: it has no
// key in the mapping either).
py::object module_of(const Verdict& v, verdict::Module module) {
  for (const verdict::ModuleResult& m : v.report.verdict.modules)
    if (m.module == module) return py::cast(module_result(m));
  return py::none();
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

// "Name(key=repr, ...)" over the object's mapping, as a dataclass would print it.
py::str repr_fields(const char* name, const py::dict& fields) {
  std::string s = name;
  s += '(';
  bool first = true;
  for (const auto& [key, value] : fields) {
    if (!first) s += ", ";
    first = false;
    s += py::str(key).cast<std::string>();
    s += '=';
    s += py::repr(value).cast<std::string>();
  }
  return to_str(s + ')');
}

// The read-only Mapping protocol over mapping_of(self) (a dict): what collections.abc.Mapping's
// mixin methods would give, in C++. Equal to any Mapping with the same items; unhashable, as a
// dict is.
template <class T, class MappingOf>
void def_mapping(py::class_<T>& c, MappingOf mapping_of) {
  c.def("__getitem__",
        [mapping_of](T& self, py::handle key) { return py::object(mapping_of(self)[key]); })
      .def("__iter__", [mapping_of](T& self) { return mapping_of(self).attr("__iter__")(); })
      .def("__len__", [mapping_of](T& self) { return py::len(mapping_of(self)); })
      .def("__contains__",
           [mapping_of](T& self, py::handle key) { return mapping_of(self).contains(key); })
      .def("keys", [mapping_of](T& self) { return mapping_of(self).attr("keys")(); })
      .def("items", [mapping_of](T& self) { return mapping_of(self).attr("items")(); })
      .def("values", [mapping_of](T& self) { return mapping_of(self).attr("values")(); })
      .def(
          "get",
          [mapping_of](T& self, py::handle key, py::object default_) {
            return mapping_of(self).attr("get")(key, default_);
          },
          py::arg("key"), py::arg("default") = py::none())
      .def("__eq__",
           [mapping_of](T& self, py::handle other) -> py::object {
             if (py::isinstance<T>(other))
               return py::bool_(mapping_of(self).equal(mapping_of(other.cast<T&>())));
             py::object mapping = py::module_::import("collections.abc").attr("Mapping");
             if (!py::isinstance(other, mapping))
               return py::reinterpret_borrow<py::object>(Py_NotImplemented);
             return py::bool_(mapping_of(self).equal(py::dict(other.attr("items")())));
           })
      .attr("__hash__") = py::none();
}

void bind_finding(py::module_& m) {
  py::class_<PyFinding> c(m, "Finding",
                          "One thing a module found. As a mapping it is its JSON object "
                          "{\"where\", \"what\", \"detail\"}; the keys are also attributes.");
  c.def_readonly("where", &PyFinding::where,
                 "The object it is in (\"2/eicar.com\"; \"\" for the whole message).")
      .def_readonly("what", &PyFinding::what, "Signature, dictionary entry or rule.")
      .def_readonly("detail", &PyFinding::detail, "Free detail (\"infected\", ...).")
      .def("__repr__", [](const PyFinding& f) { return repr_fields("Finding", as_dict(f)); });
  def_mapping(c, [](const PyFinding& f) { return as_dict(f); });
}

void bind_module_result(py::module_& m) {
  py::class_<PyModuleResult> c(m, "ModuleResult",
                               "What one module concluded. As a mapping it is its JSON object "
                               "{\"status\", \"findings\", \"info\"}; the keys are also "
                               "attributes, and findings are Finding objects.");
  c.def_readonly("status", &PyModuleResult::status)
      .def_property_readonly("findings", &findings_list)
      .def_readonly("info", &PyModuleResult::info)
      .def("__repr__",
           [](const PyModuleResult& r) { return repr_fields("ModuleResult", as_dict(r)); });
  def_mapping(c, [](const PyModuleResult& r) { return as_dict(r); });
}

}  // namespace

void bind_verdict(py::module_& m) {
  bind_finding(m);
  bind_module_result(m);
  py::class_<Verdict> c(m, "Verdict",
                        "What scanning one message concluded. As a mapping it is the JSON "
                        "document of `ksmg scan --json` (without \"file\" and \"message\"); the "
                        "attributes are the same facts, typed, down to each module's findings.");
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
                                 d[to_str(verdict::to_string(r.module))] = module_result(r);
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
  // One attribute per module the library has, named as its key in the mapping, so that
  // v.antivirus.status reads like v["antivirus"]["status"]; None where the mapping has no key.
  for (const verdict::Module module : verdict::kAllModules) {
    const std::string name(verdict::to_string(module));
    c.def_property_readonly(
        name.c_str(), [module](const Verdict& v) { return module_of(v, module); },
        ("The " + name + " module's ModuleResult; None when it did not run.").c_str());
  }

  // The Mapping interface, over the document built once on first use.
  def_mapping(c, [](Verdict& v) -> const py::dict& { return v.mapping(); });
}

}  // namespace ksmg::python
