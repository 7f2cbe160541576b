// milter_session.hpp — one MTA connection to ksmg-milter: option negotiation, the connection's
// and each message's commands (macros, envelope, header fields, body chunks) gathered into the
// message, and at its end the scan on the shared scan pool and the verdict turned into the
// milter's answer: accept with X-KSMG-* fields (and a subject tag or quarantine), reject,
// tempfail or discard. Postfix keeps one connection per SMTP session, so a session serves many
// messages; abort and quit-new-connection reset what they must.
#pragma once

#include <asio/generic/stream_protocol.hpp>
#include <cstdint>
#include <memory>

#include "async.hpp"
#include "ksmg/engine.hpp"
#include "milter_config.hpp"
#include "scan_pool.hpp"

namespace ksmg::milter {

using Socket = asio::generic::stream_protocol::socket;
using frontend::Task;

class MilterSession {
 public:
  MilterSession(Socket socket, std::shared_ptr<const MilterSettings> settings,
                frontend::SessionServices& services, std::uint64_t id);
  ~MilterSession();

  Task<void> run();
  // Graceful shutdown: a session between messages ends now; one in a message finishes it.
  void request_stop();
  // Shutdown grace is over.
  void abort() noexcept;

  struct State;  // internal

 private:
  std::unique_ptr<State> s_;
};

}  // namespace ksmg::milter
