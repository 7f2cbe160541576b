// engine_loader.cpp — owns frontend::load_engine (engine_loader.hpp).
#include "engine_loader.hpp"

#include <utility>

namespace ksmg::frontend {

std::shared_ptr<const Engine> load_engine(const std::string& config_path, const std::string& av_db,
                                          policy::ConfigError& err) {
  policy::Config config;
  if (!config_path.empty() && !policy::load_config(config_path, config, err)) return nullptr;
  if (!av_db.empty()) {
    config.modules.antivirus = true;
    config.antivirus.database_dir = av_db;
  }
  return Engine::compile(std::move(config), err);
}

}  // namespace ksmg::frontend
