// engine_loader.hpp — how every front-end builds (and a server rebuilds) its Engine from the
// command line: a configuration file (or the built-in defaults) and an optional anti-virus database
// directory that replaces the configured one.
#pragma once

#include <memory>
#include <string>
#include <string_view>

#include "ksmg/engine.hpp"
#include "ksmg/policy.hpp"

namespace ksmg::frontend {

// config_path "" = the built-in configuration; av_db "" = the configured database directory,
// else that directory with the anti-virus module on. Null with err set when anything fails.
[[nodiscard]] std::shared_ptr<const Engine> load_engine(const std::string& config_path,
                                                        const std::string& av_db,
                                                        policy::ConfigError& err);

// A server's reload (SIGHUP): the same configuration file and overrides compiled again and
// swapped into `holder`; what did not change (the anti-virus database) is shared. On failure
// the engine in service stays and err says why.
bool reload_engine(EngineHolder& holder, const std::string& config_path, const std::string& av_db,
                   policy::ConfigError& err);

// reload_engine() as a server's SIGHUP does it: the outcome is logged under `component` (the new
// engine's generation, or why the one in service stays).
void reload_engine_logged(EngineHolder& holder, const std::string& config_path,
                          const std::string& av_db, std::string_view component);

}  // namespace ksmg::frontend
