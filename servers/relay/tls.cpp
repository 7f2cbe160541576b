// tls.cpp — owns the relay's TLS setup declared in tls.hpp: the mode names, the self-signed pair
// made at first start, the STARTTLS server context, the next-hop client contexts, the per
// connection SNI / host name check, and what a finished handshake tells about the peer.
//
// Nothing here throws: asio's context methods throw asio::system_error, so OpenSSL is called
// through native_handle() and every failure comes back as a message naming the file and
// OpenSSL's reason.
#include "tls.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <sys/stat.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <exception>
#include <filesystem>
#include <optional>
#include <string>
#include <system_error>

namespace ksmg::relay {

namespace {

namespace fs = std::filesystem;

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
template <typename T, auto Free>
using Owned = std::unique_ptr<T, Deleter<Free>>;

void free_x509_names(STACK_OF(X509_NAME) * names) { sk_X509_NAME_pop_free(names, X509_NAME_free); }
void free_openssl_bytes(unsigned char* p) { OPENSSL_free(p); }

using PkeyPtr = Owned<EVP_PKEY, EVP_PKEY_free>;
using X509Ptr = Owned<X509, X509_free>;
using BioPtr = Owned<BIO, BIO_free_all>;
using BignumPtr = Owned<BIGNUM, BN_free>;
using Asn1IntegerPtr = Owned<ASN1_INTEGER, ASN1_INTEGER_free>;
using ExtensionPtr = Owned<X509_EXTENSION, X509_EXTENSION_free>;
using GeneralNamesPtr = Owned<GENERAL_NAMES, GENERAL_NAMES_free>;
using GeneralNamePtr = Owned<GENERAL_NAME, GENERAL_NAME_free>;
using Asn1StringPtr = Owned<ASN1_STRING, ASN1_STRING_free>;
using X509NamesPtr = Owned<STACK_OF(X509_NAME), free_x509_names>;

class FileDescriptor {
 public:
  explicit FileDescriptor(int fd) noexcept : fd_(fd) {}
  FileDescriptor(const FileDescriptor&) = delete;
  FileDescriptor& operator=(const FileDescriptor&) = delete;
  ~FileDescriptor() {
    if (fd_ >= 0) ::close(fd_);
  }
  int get() const noexcept { return fd_; }
  // close() reports write-back errors that a destructor would swallow.
  bool close() noexcept {
    const int fd = fd_;
    fd_ = -1;
    return ::close(fd) == 0;
  }

 private:
  int fd_;
};

// Drains OpenSSL's error queue into one line, so that a message carries every reason OpenSSL
// stacked (e.g. "no such file" under "PEM lib") and the next call starts with an empty queue.
std::string openssl_reason() {
  std::string out;
  std::array<char, 256> buf{};
  while (const unsigned long code = ERR_get_error()) {
    ERR_error_string_n(code, buf.data(), buf.size());
    if (!out.empty()) out += "; ";
    out += buf.data();
  }
  return out.empty() ? std::string("no reason given by OpenSSL") : out;
}

bool fail(std::string& error, std::string message) {
  error = std::move(message);
  return false;
}

// PEM reading falls back to prompting on the terminal for a passphrase; a daemon must refuse an
// encrypted key instead of hanging at start.
int refuse_passphrase(char* /*buf*/, int /*size*/, int /*rwflag*/, void* /*userdata*/) {
  return -1;
}

// ClientCertificate::request: the handshake must go on whatever the client presents; the
// verdict is kept for SSL_get_verify_result() and reported by session_info().
int accept_any_client_certificate(int /*preverify_ok*/, X509_STORE_CTX* /*ctx*/) { return 1; }

// An address in either family, optionally in brackets as in an SMTP address literal.
std::optional<std::string> ip_literal(std::string_view host) {
  if (host.size() >= 2 && host.front() == '[' && host.back() == ']')
    host = host.substr(1, host.size() - 2);
  const std::string text(host);
  std::array<unsigned char, 16> addr{};
  if (inet_pton(AF_INET, text.c_str(), addr.data()) == 1 ||
      inet_pton(AF_INET6, text.c_str(), addr.data()) == 1)
    return text;
  return std::nullopt;
}

// What a dNSName may carry (IA5, no separators a certificate reader could misparse).
bool usable_dns_name(std::string_view name) {
  if (name.empty() || name.size() > 253) return false;
  for (const char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                    c == '-' || c == '.' || c == '_';
    if (!ok) return false;
  }
  return true;
}

// Writes `data` to `path` through a temporary name in the same directory and rename(), so a
// reader (or the next start after a crash) sees either nothing or the whole file.
bool write_file_atomically(const fs::path& path, std::string_view data, mode_t mode,
                           std::string& error) {
  const fs::path temp = path.string() + ".tmp-" + std::to_string(::getpid());
  const int flags = O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW;
  int raw = ::open(temp.c_str(), flags, mode);
  if (raw < 0 && errno == EEXIST) {  // left by a crashed process that had the same pid
    ::unlink(temp.c_str());
    raw = ::open(temp.c_str(), flags, mode);
  }
  if (raw < 0) return fail(error, "cannot create " + temp.string() + ": " + std::strerror(errno));
  FileDescriptor fd(raw);
  const auto abandon = [&](std::string_view what) {
    const std::string reason = std::strerror(errno);
    ::unlink(temp.c_str());
    return fail(error, std::string(what) + " " + temp.string() + ": " + reason);
  };
  // open() applies the umask; the key's mode must not depend on it.
  if (::fchmod(fd.get(), mode) != 0) return abandon("cannot set the mode of");
  std::size_t done = 0;
  while (done < data.size()) {
    const ssize_t n = ::write(fd.get(), data.data() + done, data.size() - done);
    if (n < 0) {
      if (errno == EINTR) continue;
      return abandon("cannot write");
    }
    done += static_cast<std::size_t>(n);
  }
  if (::fsync(fd.get()) != 0) return abandon("cannot sync");
  if (!fd.close()) return abandon("cannot close");
  if (::rename(temp.c_str(), path.c_str()) != 0) return abandon("cannot rename");
  // The rename itself must reach the disk before we rely on it; a failure here loses nothing
  // that the next start would not remake, so it is not an error.
  const std::string dir = path.parent_path().empty() ? "." : path.parent_path().string();
  const int dir_fd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dir_fd >= 0) {
    ::fsync(dir_fd);
    ::close(dir_fd);
  }
  return true;
}

// PEM text out of a memory BIO; the secure variant clears the key's bytes when freed.
bool pem_text(BIO* bio, std::string& out) {
  char* data = nullptr;
  const long size = BIO_get_mem_data(bio, &data);
  if (size <= 0 || data == nullptr) return false;
  out.assign(data, static_cast<std::size_t>(size));
  return true;
}

bool add_extension(X509* cert, X509V3_CTX* ctx, int nid, const char* value) {
  const ExtensionPtr ext(X509V3_EXT_nconf_nid(nullptr, ctx, nid, value));
  return ext && X509_add_ext(cert, ext.get(), -1) == 1;
}

// subjectAltName built as a structure rather than from "DNS:<name>" text, so a host name can
// never smuggle further entries in through the configuration syntax.
bool add_subject_alt_name(X509* cert, const std::string& host_name, bool critical) {
  GeneralNamesPtr names(GENERAL_NAMES_new());
  GeneralNamePtr name(GENERAL_NAME_new());
  if (!names || !name) return false;
  if (const auto ip = ip_literal(host_name)) {
    Asn1StringPtr octets(a2i_IPADDRESS(ip->c_str()));
    if (!octets) return false;
    GENERAL_NAME_set0_value(name.get(), GEN_IPADD, octets.release());
  } else {
    Asn1StringPtr text(ASN1_IA5STRING_new());
    if (!text ||
        ASN1_STRING_set(text.get(), host_name.data(), static_cast<int>(host_name.size())) != 1)
      return false;
    GENERAL_NAME_set0_value(name.get(), GEN_DNS, text.release());
  }
  if (sk_GENERAL_NAME_push(names.get(), name.get()) == 0) return false;
  name.release();
  return X509_add1_ext_i2d(cert, NID_subject_alt_name, names.get(), critical ? 1 : 0,
                           X509V3_ADD_REPLACE) == 1;
}

X509Ptr build_self_signed(EVP_PKEY* key, const std::string& host_name) {
  X509Ptr cert(X509_new());
  if (!cert || X509_set_version(cert.get(), X509_VERSION_3) != 1) return nullptr;

  // 127 random bits with the top one set: positive, never zero, and unique enough that a
  // remade certificate is never mistaken for the previous one by a client that cached it.
  BignumPtr serial_bn(BN_new());
  if (!serial_bn || BN_rand(serial_bn.get(), 127, BN_RAND_TOP_ONE, BN_RAND_BOTTOM_ANY) != 1)
    return nullptr;
  const Asn1IntegerPtr serial(BN_to_ASN1_INTEGER(serial_bn.get(), nullptr));
  if (!serial || X509_set_serialNumber(cert.get(), serial.get()) != 1) return nullptr;

  // An hour back tolerates peers whose clocks lag ours.
  constexpr long kHour = 60L * 60L;
  constexpr int kTenYearsInDays = 3653;
  if (X509_gmtime_adj(X509_getm_notBefore(cert.get()), -kHour) == nullptr ||
      X509_time_adj_ex(X509_getm_notAfter(cert.get()), kTenYearsInDays, 0, nullptr) == nullptr)
    return nullptr;

  // The CN is limited to 64 characters (RFC 5280 ub-common-name); a longer name lives only in
  // subjectAltName, which RFC 5280 then requires to be critical since the subject is empty.
  constexpr std::size_t kMaxCommonName = 64;
  const bool with_cn = host_name.size() <= kMaxCommonName;
  X509_NAME* subject = X509_get_subject_name(cert.get());
  if (with_cn && X509_NAME_add_entry_by_txt(
                     subject, "CN", MBSTRING_ASC,
                     reinterpret_cast<const unsigned char*>(host_name.c_str()), -1, -1, 0) != 1)
    return nullptr;
  if (X509_set_issuer_name(cert.get(), subject) != 1 || X509_set_pubkey(cert.get(), key) != 1)
    return nullptr;

  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, cert.get(), cert.get(), nullptr, nullptr, 0);
  if (!add_extension(cert.get(), &ctx, NID_basic_constraints, "critical,CA:FALSE") ||
      !add_extension(cert.get(), &ctx, NID_key_usage, "critical,digitalSignature") ||
      !add_extension(cert.get(), &ctx, NID_ext_key_usage, "serverAuth") ||
      !add_extension(cert.get(), &ctx, NID_subject_key_identifier, "hash") ||
      !add_subject_alt_name(cert.get(), host_name, !with_cn))
    return nullptr;

  if (X509_sign(cert.get(), key, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

std::optional<int> protocol_version(std::string_view name) {
  if (name == "TLSv1.2") return TLS1_2_VERSION;
  if (name == "TLSv1.3") return TLS1_3_VERSION;
  return std::nullopt;
}

// Loads the chain, then the key on its own, so that "cannot read the key" and "the key belongs to
// another certificate" are told apart.
bool load_certificate_and_key(SSL_CTX* ctx, const std::string& cert_file,
                              const std::string& key_file, std::string& error) {
  if (SSL_CTX_use_certificate_chain_file(ctx, cert_file.c_str()) != 1)
    return fail(error, "certificate file " + cert_file + " does not load: " + openssl_reason());

  const BioPtr bio(BIO_new_file(key_file.c_str(), "r"));
  if (!bio) return fail(error, "key file " + key_file + " cannot be opened: " + openssl_reason());
  const PkeyPtr key(PEM_read_bio_PrivateKey(bio.get(), nullptr, refuse_passphrase, nullptr));
  if (!key)
    return fail(error, "key file " + key_file +
                           " is not an unencrypted PEM private key: " + openssl_reason());
  if (X509_check_private_key(SSL_CTX_get0_certificate(ctx), key.get()) != 1)
    return fail(error, "key file " + key_file + " does not match certificate file " + cert_file +
                           ": " + openssl_reason());
  if (SSL_CTX_use_PrivateKey(ctx, key.get()) != 1 || SSL_CTX_check_private_key(ctx) != 1)
    return fail(error, "key file " + key_file + " does not match certificate file " + cert_file +
                           ": " + openssl_reason());
  return true;
}

bool configure_client_certificates(SSL_CTX* ctx, const TlsSettings& settings, std::string& error) {
  const ClientCertificate mode = settings.client_certificate;
  if (mode == ClientCertificate::none) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return true;
  }
  if (mode == ClientCertificate::require && settings.ca_file.empty())
    return fail(error, "client certificates are required but no CA file is configured");
  if (!settings.ca_file.empty()) {
    if (SSL_CTX_load_verify_file(ctx, settings.ca_file.c_str()) != 1)
      return fail(error, "CA file " + settings.ca_file + " does not load: " + openssl_reason());
    // The CA names tell clients holding several certificates which one to present.
    X509NamesPtr names(SSL_load_client_CA_file(settings.ca_file.c_str()));
    if (!names || sk_X509_NAME_num(names.get()) == 0)
      return fail(error, "CA file " + settings.ca_file +
                             " holds no certificate names: " + openssl_reason());
    SSL_CTX_set_client_CA_list(ctx, names.release());
  }
  if (mode == ClientCertificate::request)
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, accept_any_client_certificate);
  else
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, nullptr);
  return true;
}

// Options shared by both directions: compression invites CRIME-style attacks and renegotiation
// is never needed by SMTP, while both are attack surface.
void common_options(SSL_CTX* ctx) {
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_NO_RENEGOTIATION);
  SSL_CTX_set_default_passwd_cb(ctx, refuse_passphrase);
}

std::unique_ptr<asio::ssl::context> build_server_context(const TlsSettings& settings,
                                                         const std::string& host_name,
                                                         std::string& error) {
  const auto min_version = protocol_version(settings.min_protocol);
  if (!min_version) {
    error = "min_protocol \"" + settings.min_protocol + "\" is not TLSv1.2 or TLSv1.3";
    return nullptr;
  }
  if (settings.cert_file.empty() != settings.key_file.empty()) {
    error = settings.cert_file.empty() ? "key_file is set without cert_file"
                                       : "cert_file is set without key_file";
    return nullptr;
  }

  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_server);
  SSL_CTX* ctx = context->native_handle();
  common_options(ctx);
  SSL_CTX_set_options(ctx, SSL_OP_CIPHER_SERVER_PREFERENCE);
  if (SSL_CTX_set_min_proto_version(ctx, *min_version) != 1) {
    error = "cannot set min_protocol " + settings.min_protocol + ": " + openssl_reason();
    return nullptr;
  }

  // ECDHE only: forward secrecy without DH parameters to maintain, and every TLS 1.2 stack still
  // in use offers it. AES-GCM and ChaCha20-Poly1305 only: AEAD, so no CBC padding oracles
  // (Lucky13 and kin) and no SHA-1 MACs. Both ECDSA (the self-signed key) and RSA certificates
  // are covered. Senders that cannot meet this fall back to plain text, which an operator can
  // trade against with `ciphers`.
  constexpr const char* kDefaultCiphers = "ECDHE+AESGCM:ECDHE+CHACHA20";
  const std::string ciphers = settings.ciphers.empty() ? kDefaultCiphers : settings.ciphers;
  if (SSL_CTX_set_cipher_list(ctx, ciphers.c_str()) != 1) {
    error = "cipher list \"" + ciphers + "\" is not usable: " + openssl_reason();
    return nullptr;
  }

  std::string cert_file = settings.cert_file;
  std::string key_file = settings.key_file;
  if (cert_file.empty()) {
    if (settings.data_dir.empty()) {
      error = "no cert_file/key_file and no data_dir for a self-signed certificate";
      return nullptr;
    }
    if (!ensure_self_signed(settings.data_dir, host_name, error)) return nullptr;
    cert_file = (fs::path(settings.data_dir) / kSelfSignedCert).string();
    key_file = (fs::path(settings.data_dir) / kSelfSignedKey).string();
  }
  if (!load_certificate_and_key(ctx, cert_file, key_file, error)) return nullptr;
  if (!configure_client_certificates(ctx, settings, error)) return nullptr;

  // Without an id context OpenSSL refuses to resume a session when peers are verified; the
  // value only has to be the same for every session this context issues.
  static constexpr std::string_view kSessionIdContext = "ksmg-relay";
  if (SSL_CTX_set_session_id_context(
          ctx, reinterpret_cast<const unsigned char*>(kSessionIdContext.data()),
          static_cast<unsigned int>(kSessionIdContext.size())) != 1) {
    error = "cannot set the session id context: " + openssl_reason();
    return nullptr;
  }
  return context;
}

std::unique_ptr<asio::ssl::context> build_client_context(const TlsSettings& settings, bool verify,
                                                         std::string& error) {
  auto context = std::make_unique<asio::ssl::context>(asio::ssl::context::tls_client);
  SSL_CTX* ctx = context->native_handle();
  common_options(ctx);
  if (SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION) != 1) {
    error = "cannot set the minimum protocol TLSv1.2: " + openssl_reason();
    return nullptr;
  }
  if (!verify) {
    SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, nullptr);
    return context;
  }
  if (!settings.outbound_ca_file.empty()) {
    if (SSL_CTX_load_verify_file(ctx, settings.outbound_ca_file.c_str()) != 1) {
      error =
          "outbound CA file " + settings.outbound_ca_file + " does not load: " + openssl_reason();
      return nullptr;
    }
  } else if (SSL_CTX_set_default_verify_paths(ctx) != 1) {
    error = "the system's CA store does not load: " + openssl_reason();
    return nullptr;
  }
  SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, nullptr);
  return context;
}

// Printable ASCII only: the CN ends up in a Received header and in log lines, and a hostile
// certificate could otherwise inject line breaks or raw bytes there.
std::string printable_common_name(X509* cert) {
  const X509_NAME* subject = X509_get_subject_name(cert);
  const int index = X509_NAME_get_index_by_NID(subject, NID_commonName, -1);
  if (index < 0) return {};
  const ASN1_STRING* data = X509_NAME_ENTRY_get_data(X509_NAME_get_entry(subject, index));
  unsigned char* utf8 = nullptr;
  const int length = ASN1_STRING_to_UTF8(&utf8, data);
  if (length < 0) return {};
  const std::unique_ptr<unsigned char, Deleter<free_openssl_bytes>> owner(utf8);
  constexpr std::size_t kMaxLength = 256;
  std::string out;
  for (std::size_t i = 0; i < static_cast<std::size_t>(length) && out.size() < kMaxLength; ++i) {
    const unsigned char c = utf8[i];
    out += (c >= 0x20 && c < 0x7f) ? static_cast<char>(c) : '?';
  }
  return out;
}

}  // namespace

std::optional<ServerTls> server_tls_from_string(std::string_view s) noexcept {
  if (s == "none") return ServerTls::none;
  if (s == "accept") return ServerTls::accept;
  if (s == "require") return ServerTls::require;
  return std::nullopt;
}

std::optional<ClientCertificate> client_certificate_from_string(std::string_view s) noexcept {
  if (s == "none") return ClientCertificate::none;
  if (s == "request") return ClientCertificate::request;
  if (s == "require") return ClientCertificate::require;
  return std::nullopt;
}

std::optional<OutboundTls> outbound_tls_from_string(std::string_view s) noexcept {
  if (s == "none") return OutboundTls::none;
  if (s == "opportunistic") return OutboundTls::opportunistic;
  if (s == "require") return OutboundTls::require;
  if (s == "require-verify") return OutboundTls::require_verify;
  return std::nullopt;
}

std::string_view to_string(ServerTls v) noexcept {
  switch (v) {
    case ServerTls::none:
      return "none";
    case ServerTls::accept:
      return "accept";
    case ServerTls::require:
      return "require";
  }
  return "?";
}

std::string_view to_string(ClientCertificate v) noexcept {
  switch (v) {
    case ClientCertificate::none:
      return "none";
    case ClientCertificate::request:
      return "request";
    case ClientCertificate::require:
      return "require";
  }
  return "?";
}

std::string_view to_string(OutboundTls v) noexcept {
  switch (v) {
    case OutboundTls::none:
      return "none";
    case OutboundTls::opportunistic:
      return "opportunistic";
    case OutboundTls::require:
      return "require";
    case OutboundTls::require_verify:
      return "require-verify";
  }
  return "?";
}

bool ensure_self_signed(const std::string& data_dir, const std::string& host_name,
                        std::string& error) {
  try {
    ERR_clear_error();
    if (data_dir.empty()) return fail(error, "no data_dir for the self-signed certificate");
    if (!usable_dns_name(host_name) && !ip_literal(host_name))
      return fail(error, "host name \"" + host_name + "\" cannot be put in a certificate");

    const fs::path dir(data_dir);
    std::error_code ec;
    if (fs::create_directories(dir, ec)) {
      // Only a directory we made is tightened; an operator's existing one keeps its mode.
      fs::permissions(dir, fs::perms::owner_all, fs::perm_options::replace, ec);
    } else if (ec) {
      return fail(error, "cannot create data_dir " + data_dir + ": " + ec.message());
    }
    const fs::path cert_path = dir / kSelfSignedCert;
    const fs::path key_path = dir / kSelfSignedKey;
    const bool have_cert = fs::exists(cert_path, ec);
    const bool have_key = fs::exists(key_path, ec);
    if (have_cert && have_key) return true;
    // A lone survivor goes first: should we crash below, at most one file exists again and the
    // next start remakes the pair instead of loading a key and a certificate that differ.
    if (have_cert) fs::remove(cert_path, ec);
    if (have_key) fs::remove(key_path, ec);

    const PkeyPtr key(EVP_EC_gen("P-256"));
    if (!key) return fail(error, "cannot generate an EC P-256 key: " + openssl_reason());
    const X509Ptr cert = build_self_signed(key.get(), host_name);
    if (!cert) return fail(error, "cannot build the self-signed certificate: " + openssl_reason());

    const BioPtr key_bio(BIO_new(BIO_s_secmem()));
    std::string key_pem;
    if (!key_bio ||
        PEM_write_bio_PrivateKey(key_bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr) !=
            1 ||
        !pem_text(key_bio.get(), key_pem))
      return fail(error, "cannot encode the self-signed key: " + openssl_reason());
    const BioPtr cert_bio(BIO_new(BIO_s_mem()));
    std::string cert_pem;
    if (!cert_bio || PEM_write_bio_X509(cert_bio.get(), cert.get()) != 1 ||
        !pem_text(cert_bio.get(), cert_pem))
      return fail(error, "cannot encode the self-signed certificate: " + openssl_reason());

    const bool written = write_file_atomically(key_path, key_pem, 0600, error) &&
                         write_file_atomically(cert_path, cert_pem, 0644, error);
    OPENSSL_cleanse(key_pem.data(), key_pem.size());
    return written;
  } catch (const std::exception& e) {
    return fail(error, std::string("self-signed certificate: ") + e.what());
  }
}

std::unique_ptr<asio::ssl::context> make_server_context(const TlsSettings& settings,
                                                        const std::string& host_name,
                                                        std::string& error) {
  try {
    ERR_clear_error();
    return build_server_context(settings, host_name, error);
  } catch (const std::exception& e) {  // asio's constructor throws when SSL_CTX_new fails
    error = std::string("cannot create the server TLS context: ") + e.what();
    return nullptr;
  }
}

std::unique_ptr<asio::ssl::context> make_client_context(const TlsSettings& settings, bool verify,
                                                        std::string& error) {
  try {
    ERR_clear_error();
    return build_client_context(settings, verify, error);
  } catch (const std::exception& e) {
    error = std::string("cannot create the client TLS context: ") + e.what();
    return nullptr;
  }
}

bool prepare_client_stream(SSL* ssl, const std::string& host_name, bool verify) {
  if (ssl == nullptr) return false;
  // A trailing dot (absolute DNS name, as MX records are written) belongs neither in SNI nor in
  // the name matched against the certificate.
  std::string name = host_name;
  if (name.size() > 1 && name.back() == '.') name.pop_back();
  if (name.empty()) return !verify;

  const auto ip = ip_literal(name);
  // RFC 6066 forbids addresses in SNI.
  if (!ip && SSL_set_tlsext_host_name(ssl, name.c_str()) != 1) return false;
  if (!verify) return true;
  if (ip) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip->c_str()) == 1;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  return SSL_set1_host(ssl, name.c_str()) == 1;
}

TlsSessionInfo session_info(SSL* ssl) {
  TlsSessionInfo info;
  if (ssl == nullptr) return info;
  info.protocol = SSL_get_version(ssl);
  if (const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl)) {
    info.cipher = SSL_CIPHER_get_name(cipher);
    info.bits = SSL_CIPHER_get_bits(cipher, nullptr);
  }
  const X509Ptr peer(SSL_get1_peer_certificate(ssl));
  if (peer) {
    info.peer_certificate = true;
    info.peer_verified = SSL_get_verify_result(ssl) == X509_V_OK;
    info.peer_subject = printable_common_name(peer.get());
  }
  return info;
}

}  // namespace ksmg::relay
