// tcp_quickack.hpp — owns re-arming TCP_QUICKACK on a connection whose peer writes several small
// packets before it waits for our answer (Postfix's milter client does):
// without it, Linux delays our ACK by 40 ms or more and the peer's Nagle holds its next packet
// until that ACK arrives.
//
// Measured on loopback with bench/milter_load.py (Postfix 3.7, inet milter socket): Postfix
// sends the milter a packet of SMTP-stage events that no reply is asked for, then the message;
// Linux holds our ACK of the first (delayed ACK, ~43 ms: we had replied to the negotiation, so
// the connection counts as interactive), and Postfix's Nagle holds the message until it comes:
// one ~43 ms stall per message (108 in 120 messages in a tcpdump). Postfix does not set
// TCP_NODELAY on its milter socket, so the fix has to be on our side: ACK what we read at once.
// With it: no stall left in the same tcpdump, and Postfix+milter on inet went from 0.50 to 0.94
// of Postfix alone (milter_load.py --limit 600 --repeat 2, 8 sessions, medians of 6 alternating
// runs on a busy 2-core VM; on a unix socket 0.78 and 0.99, within that machine's noise).
//
// Linux clears TCP_QUICKACK again by itself (it is not a permanent mode), so it must be set
// after every read; setting it also sends the ACK that was being delayed right away.
#pragma once

#include <netinet/in.h>
#include <netinet/tcp.h>
#include <sys/socket.h>

namespace ksmg::frontend {

// Call after each read that returned data. A no-op where there is no TCP underneath: on a unix
// socket the kernel refuses the option (EOPNOTSUPP) and that answer is ignored, which costs
// less than asking the socket for its family first.
template <typename Socket>
void rearm_quick_ack(Socket& socket) noexcept {
#ifdef TCP_QUICKACK
  const int on = 1;
  (void)::setsockopt(socket.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &on, sizeof on);
#else
  (void)socket;
#endif
}

}  // namespace ksmg::frontend
