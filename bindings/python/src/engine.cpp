// engine.cpp — owns Engine: load, scan, scan_file, reload (GIL released, Scanner per thread).
#include "ksmg/engine.hpp"

#include <algorithm>
#include <atomic>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include "bindings.hpp"
#include "engine_loader.hpp"
#include "verdict.hpp"

namespace ksmg::python {

namespace {

// The engine in service and what it was loaded from, for reload().
struct PyEngine {
  PyEngine(std::shared_ptr<const Engine> e, std::optional<std::string> config, std::string db)
      : holder(std::move(e)), config_path(std::move(config)), av_db(std::move(db)) {}

  EngineHolder holder;
  std::optional<std::string> config_path;  // file-system bytes; nullopt: built-in defaults
  std::string av_db;                       // "" = the configured database directory
};

std::unique_ptr<PyEngine> load(const py::object& config, const py::object& av_db) {
  std::optional<std::string> config_path;
  if (!config.is_none()) config_path = fs_path(config);
  std::string db = av_db.is_none() ? std::string() : fs_path(av_db);
  if (config_path && config_path->empty())
    throw py::value_error("config must be a file name (None for the built-in configuration)");
  if (!av_db.is_none() && db.empty())
    throw py::value_error("av_db must be a directory name (None for the configured one)");
  policy::ConfigError err;
  std::shared_ptr<const Engine> engine = without_gil("loading the engine", [&] {
    return frontend::load_engine(config_path.value_or(std::string()), db, err);
  });
  if (engine == nullptr) raise_config_error(err);
  return std::make_unique<PyEngine>(std::move(engine), std::move(config_path), std::move(db));
}

// Each OS thread scans with its own Scanner, kept across calls and engines.
Scanner& thread_scanner() {
  thread_local Scanner scanner;
  return scanner;
}

Envelope make_envelope(const std::optional<std::string>& sender, const py::object& recipients,
                       const std::optional<std::string>& client_ip,
                       const std::optional<std::string>& helo) {
  Envelope envelope;
  if (sender) envelope.sender = *sender;
  if (client_ip) envelope.client_address = *client_ip;
  if (helo) envelope.helo = *helo;
  if (!(PyTuple_Check(recipients.ptr()) && PyTuple_GET_SIZE(recipients.ptr()) == 0)) {
    if (PyUnicode_Check(recipients.ptr()) || PyBytes_Check(recipients.ptr()))
      throw py::type_error("recipients must be an iterable of str, not a single string");
    for (py::handle r : py::iter(recipients)) {
      if (!PyUnicode_Check(r.ptr()))
        throw py::type_error("recipients must be str, not " +
                             std::string(Py_TYPE(r.ptr())->tp_name));
      envelope.recipients.push_back(r.cast<std::string>());
    }
  }
  return envelope;
}

Verdict scan(const PyEngine& self, const py::object& data, const std::optional<std::string>& sender,
             const py::object& recipients, const std::optional<std::string>& client_ip,
             const std::optional<std::string>& helo) {
  const InputBytes in(data);
  const Envelope envelope = make_envelope(sender, recipients, client_ip, helo);
  std::shared_ptr<const Engine> engine = self.holder.get();
  return Verdict(without_gil(
      "scan failed", [&] { return thread_scanner().scan_message(*engine, in.view(), envelope); }));
}

// Engine.scan_many's engine room (ksmg/__init__.py feeds it the messages a batch at a time): the
// batch is scanned by `threads` threads at once, each taking the next message as it is free, all
// without the GIL, so Python pays per batch what a pool of futures would pay per message.
std::vector<Verdict> scan_batch(const PyEngine& self, const py::list& messages, std::size_t threads,
                                const std::optional<std::string>& sender,
                                const py::object& recipients,
                                const std::optional<std::string>& client_ip,
                                const std::optional<std::string>& helo) {
  if (threads == 0) throw py::value_error("threads must be at least 1");
  std::vector<std::unique_ptr<InputBytes>> inputs;
  inputs.reserve(messages.size());
  for (py::handle m : messages) inputs.push_back(std::make_unique<InputBytes>(m));
  const Envelope envelope = make_envelope(sender, recipients, client_ip, helo);
  std::shared_ptr<const Engine> engine = self.holder.get();
  std::vector<std::optional<ScanReport>> reports(inputs.size());
  without_gil("scan failed", [&] {
    std::atomic<std::size_t> next{0};
    std::mutex error_mutex;
    std::exception_ptr error;
    auto work = [&] {
      for (std::size_t i = next++; i < inputs.size(); i = next++) {
        try {
          reports[i] = thread_scanner().scan_message(*engine, inputs[i]->view(), envelope);
        } catch (...) {
          const std::lock_guard lock(error_mutex);
          if (!error) error = std::current_exception();
        }
      }
    };
    std::vector<std::jthread> helpers;
    for (std::size_t t = 1; t < std::min(threads, inputs.size()); ++t) helpers.emplace_back(work);
    work();
    helpers.clear();  // joins
    if (error) std::rethrow_exception(error);
  });
  std::vector<Verdict> verdicts;
  verdicts.reserve(reports.size());
  for (std::optional<ScanReport>& r : reports) verdicts.emplace_back(std::move(*r));
  return verdicts;
}

Verdict scan_file(const PyEngine& self, const py::object& data, const std::string& name) {
  const InputBytes in(data);
  std::shared_ptr<const Engine> engine = self.holder.get();
  return Verdict(without_gil("scan failed",
                             [&] { return thread_scanner().scan_file(*engine, name, in.view()); }));
}

void reload(PyEngine& self) {
  policy::ConfigError err;
  // reload_engine() takes "" for the built-in configuration.
  const bool ok = without_gil("reload failed", [&] {
    return frontend::reload_engine(self.holder, self.config_path.value_or(std::string()),
                                   self.av_db, err);
  });
  if (!ok) raise_config_error(err);
}

}  // namespace

void bind_engine(py::module_& m) {
  py::class_<PyEngine> c(
      m, "Engine",
      "Everything compiled from a configuration (dictionaries, rules, the ClamAV database); "
      "shared by every thread. config: a TOML file (None: the built-in defaults). av_db: a ClamAV "
      "database directory that replaces the configured one and turns the anti-virus module on. "
      "Raises ConfigError (KsmgError) when anything does not load.");
  c.def(py::init(&load), py::arg("config") = py::none(), py::arg("av_db") = py::none());
  py::cpp_function from_toml(
      [](const py::object& cls, const py::object& path, const py::object& av_db) {
        if (path.is_none()) throw py::type_error("from_toml() needs a configuration file");
        return cls(path, av_db);
      },
      py::name("from_toml"), py::arg("cls"), py::arg("path"), py::arg("av_db") = py::none(),
      "Engine(path, av_db): the engine of a TOML configuration file.");
  PyObject* method = PyClassMethod_New(from_toml.ptr());
  if (method == nullptr) throw py::error_already_set();
  c.attr("from_toml") = py::reinterpret_steal<py::object>(method);
  c.def("scan", &scan, py::arg("data"), py::kw_only(), py::arg("sender") = py::none(),
        py::arg("recipients") = py::tuple(), py::arg("client_ip") = py::none(),
        py::arg("helo") = py::none(),
        "Scans one mail message (bytes-like) with the GIL released; returns its Verdict.");
  c.def("_scan_batch", &scan_batch, py::arg("messages"), py::arg("threads"), py::kw_only(),
        py::arg("sender") = py::none(), py::arg("recipients") = py::tuple(),
        py::arg("client_ip") = py::none(), py::arg("helo") = py::none(),
        "A list of messages scanned by `threads` threads at once, GIL released; their verdicts "
        "in order (Engine.scan_many uses it).");
  c.def("scan_file", &scan_file, py::arg("data"), py::arg("name") = "file",
        "Scans a file that is not a mail message, as one attachment called `name`.");
  c.def("reload", &reload,
        "Compiles the same configuration (and database directory) again and swaps it in; scans "
        "in flight finish on the old engine. Raises ConfigError and keeps the engine in service "
        "on failure.");
  c.def_property_readonly("generation",
                          [](const PyEngine& e) { return e.holder.get()->generation(); });
  c.def_property_readonly("antivirus",
                          [](const PyEngine& e) { return e.holder.get()->antivirus() != nullptr; });
  c.def_property_readonly("config_path", [](const PyEngine& e) -> py::object {
    if (!e.config_path) return py::none();
    return fs_decode(*e.config_path);
  });
  c.def("__repr__", [](const PyEngine& e) {
    std::shared_ptr<const Engine> engine = e.holder.get();
    std::string s = "<Engine generation " + std::to_string(engine->generation());
    s += engine->antivirus() != nullptr ? ", anti-virus on" : ", anti-virus off";
    s += e.config_path ? ", " + *e.config_path : std::string(", built-in configuration");
    return to_str(s + '>');
  });
}

}  // namespace ksmg::python
