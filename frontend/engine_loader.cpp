// engine_loader.cpp — owns frontend::load_engine and reload_engine (engine_loader.hpp).
#include "engine_loader.hpp"

#include <utility>

#include "config_section.hpp"
#include "ksmg/log.hpp"

namespace ksmg::frontend {

namespace {

bool read_config(const std::string& config_path, const std::string& av_db, policy::Config& config,
                 policy::ConfigError& err) {
  if (!config_path.empty() && !policy::load_config(config_path, config, err, kFrontendSections))
    return false;
  if (!av_db.empty()) {
    config.modules.antivirus = true;
    config.antivirus.database_dir = av_db;
  }
  return true;
}

}  // namespace

std::shared_ptr<const Engine> load_engine(const std::string& config_path, const std::string& av_db,
                                          policy::ConfigError& err) {
  policy::Config config;
  if (!read_config(config_path, av_db, config, err)) return nullptr;
  return Engine::compile(std::move(config), err);
}

bool reload_engine(EngineHolder& holder, const std::string& config_path, const std::string& av_db,
                   policy::ConfigError& err) {
  policy::Config config;
  return read_config(config_path, av_db, config, err) && holder.reload(std::move(config), err);
}

void reload_engine_logged(EngineHolder& holder, const std::string& config_path,
                          const std::string& av_db, std::string_view component) {
  policy::ConfigError err;
  if (reload_engine(holder, config_path, av_db, err))
    log::write(log::Level::info, component,
               "reloaded: engine " + std::to_string(holder.get()->generation()));
  else
    log::write(log::Level::error, component,
               "reload failed, the engine in service stays: " + err.to_string());
}

}  // namespace ksmg::frontend
