// tls.hpp — the relay's TLS (OpenSSL through asio::ssl): the server context for STARTTLS with
// the reference gateway's modes (security level none / accept / require; client certificate
// none / request / require against a CA file), a self-signed certificate made at first start
// when none is configured, and the client contexts for the next hops (none / opportunistic /
// require / require-and-verify per destination).
#pragma once

#include <asio/ssl.hpp>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace ksmg::relay {

enum class ServerTls : std::uint8_t {
  none,     // STARTTLS is not offered
  accept,   // offered; the client chooses
  require,  // offered; MAIL, RCPT and DATA are refused (530 5.7.0) before it
};
enum class ClientCertificate : std::uint8_t {
  none,     // not asked for
  request,  // asked for; the session goes on without one, or with one that does not verify
  require,  // asked for and verified against ca_file; the handshake fails without a valid one
};
enum class OutboundTls : std::uint8_t {
  none,            // never STARTTLS
  opportunistic,   // STARTTLS when offered, unverified; plain text when not offered
  require,         // STARTTLS or the delivery fails (4xx); certificate not verified
  require_verify,  // STARTTLS with a certificate that verifies for the next hop's host name
};

[[nodiscard]] std::optional<ServerTls> server_tls_from_string(std::string_view s) noexcept;
[[nodiscard]] std::optional<ClientCertificate> client_certificate_from_string(
    std::string_view s) noexcept;
// "none", "opportunistic", "require", "require-verify"
[[nodiscard]] std::optional<OutboundTls> outbound_tls_from_string(std::string_view s) noexcept;
[[nodiscard]] std::string_view to_string(ServerTls v) noexcept;
[[nodiscard]] std::string_view to_string(ClientCertificate v) noexcept;
[[nodiscard]] std::string_view to_string(OutboundTls v) noexcept;

struct TlsSettings {
  ServerTls level = ServerTls::accept;
  ClientCertificate client_certificate = ClientCertificate::none;
  // PEM files (paths already resolved). With both empty, the self-signed pair in data_dir is
  // used, and made when it is not there yet.
  std::string cert_file;
  std::string key_file;
  std::string ca_file;  // client certificates are verified against it (request/require)
  std::string data_dir;
  std::string min_protocol = "TLSv1.2";  // "TLSv1.2" or "TLSv1.3"
  // OpenSSL cipher list for TLS 1.2 ("" = a forward-secret AEAD-only default); TLS 1.3 suites
  // stay OpenSSL's defaults.
  std::string ciphers;
  // Next hops with require-verify are verified against this file ("" = the system's store).
  std::string outbound_ca_file;
};

// The file names of the self-signed pair inside data_dir.
inline constexpr std::string_view kSelfSignedCert = "selfsigned-cert.pem";
inline constexpr std::string_view kSelfSignedKey = "selfsigned-key.pem";

// Makes data_dir/selfsigned-{cert,key}.pem (EC P-256, 10 years, CN and subjectAltName DNS =
// host_name) unless both exist; the key file is created mode 0600. False with `error` set.
bool ensure_self_signed(const std::string& data_dir, const std::string& host_name,
                        std::string& error);

// The server context for STARTTLS; null with `error` set (a file that does not load, a key that
// does not match, a CA file missing while client certificates are requested or required).
[[nodiscard]] std::unique_ptr<asio::ssl::context> make_server_context(const TlsSettings& settings,
                                                                      const std::string& host_name,
                                                                      std::string& error);

// The context for next-hop connections: `verify` (require-verify) loads outbound_ca_file or
// the system's default paths and verifies the peer; without it nothing is verified. The host
// name check and SNI are per connection (prepare_client_stream()).
[[nodiscard]] std::unique_ptr<asio::ssl::context> make_client_context(const TlsSettings& settings,
                                                                      bool verify,
                                                                      std::string& error);

// Per connection to a next hop: SNI and, when verifying, the host name the certificate must
// carry (X509_VERIFY_PARAM_set1_host). False when OpenSSL refuses.
bool prepare_client_stream(SSL* ssl, const std::string& host_name, bool verify);

// After a handshake: "TLSv1.3 cipher=TLS_AES_256_GCM_SHA384 bits=256" for the Received header
// and the log, and what is known of the peer's certificate.
struct TlsSessionInfo {
  std::string protocol;
  std::string cipher;
  int bits = 0;
  bool peer_certificate = false;  // the peer presented one
  bool peer_verified = false;     // ... and it verified
  std::string peer_subject;       // the certificate's subject CN, "" when none
};
[[nodiscard]] TlsSessionInfo session_info(SSL* ssl);

}  // namespace ksmg::relay
