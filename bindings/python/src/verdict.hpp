// verdict.hpp — owns the C++ side of Verdict: a ScanReport and its cached mapping.
#pragma once

#include <optional>
#include <utility>

#include "bindings.hpp"
#include "ksmg/engine.hpp"

namespace ksmg::python {

struct Verdict {
  explicit Verdict(ScanReport r) : report(std::move(r)) {}

  // report_json(report) as Python objects, built on the first mapping access.
  const py::dict& mapping();

  ScanReport report;
  std::optional<py::dict> cached;  // built by the first mapping()
};

}  // namespace ksmg::python
