// test_relay_tls.cpp — the relay's TLS setup (servers/relay/tls.hpp): the mode names, the
// self-signed pair (contents, file modes, when it is and is not remade), the errors a bad
// configuration gives, and real in-memory handshakes against a CA made here for every
// client-certificate mode, next-hop verification by host name and address, and protocol floors.
#include <gtest/gtest.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <stdlib.h>
#include <sys/stat.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <functional>
#include <iterator>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "tls.hpp"

namespace {

namespace fs = std::filesystem;
using namespace ksmg::relay;  // NOLINT: the test reads better with the vocabulary unqualified

template <auto Free>
struct Deleter {
  template <typename T>
  void operator()(T* p) const noexcept {
    Free(p);
  }
};
using PkeyPtr = std::unique_ptr<EVP_PKEY, Deleter<EVP_PKEY_free>>;
using X509Ptr = std::unique_ptr<X509, Deleter<X509_free>>;
using BioPtr = std::unique_ptr<BIO, Deleter<BIO_free_all>>;
using SslPtr = std::unique_ptr<SSL, Deleter<SSL_free>>;
using NamesPtr = std::unique_ptr<GENERAL_NAMES, Deleter<GENERAL_NAMES_free>>;

class TempDir {
 public:
  TempDir() {
    std::string pattern = (fs::temp_directory_path() / "ksmg-tls-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path_ = pattern;
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  ~TempDir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  const fs::path& path() const { return path_; }
  std::string file(std::string_view name) const { return (path_ / name).string(); }

 private:
  fs::path path_;
};

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

PkeyPtr new_key() { return PkeyPtr(EVP_EC_gen("P-256")); }

X509Ptr load_cert(const std::string& path) {
  const BioPtr bio(BIO_new_file(path.c_str(), "r"));
  return X509Ptr(bio ? PEM_read_bio_X509(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

PkeyPtr load_key(const std::string& path) {
  const BioPtr bio(BIO_new_file(path.c_str(), "r"));
  return PkeyPtr(bio ? PEM_read_bio_PrivateKey(bio.get(), nullptr, nullptr, nullptr) : nullptr);
}

void write_cert(const std::string& path, X509* cert) {
  const BioPtr bio(BIO_new_file(path.c_str(), "w"));
  ASSERT_TRUE(bio && PEM_write_bio_X509(bio.get(), cert) == 1) << path;
}

void write_key(const std::string& path, EVP_PKEY* key) {
  const BioPtr bio(BIO_new_file(path.c_str(), "w"));
  ASSERT_TRUE(bio &&
              PEM_write_bio_PrivateKey(bio.get(), key, nullptr, nullptr, 0, nullptr, nullptr) == 1)
      << path;
}

struct CertSpec {
  std::string cn;
  std::vector<std::pair<int, std::string>> extensions;  // NID and OpenSSL config text
};

// Signs `spec` for `key`; with no issuer the certificate signs itself (a root).
X509Ptr make_cert(const CertSpec& spec, EVP_PKEY* key, X509* issuer, EVP_PKEY* issuer_key) {
  static long serial = 1;
  X509Ptr cert(X509_new());
  X509_set_version(cert.get(), X509_VERSION_3);
  ASN1_INTEGER_set(X509_get_serialNumber(cert.get()), serial++);
  X509_gmtime_adj(X509_getm_notBefore(cert.get()), -60);
  X509_gmtime_adj(X509_getm_notAfter(cert.get()), 24L * 60 * 60);
  X509_NAME* name = X509_get_subject_name(cert.get());
  X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                             reinterpret_cast<const unsigned char*>(spec.cn.c_str()), -1, -1, 0);
  X509_set_issuer_name(cert.get(), issuer ? X509_get_subject_name(issuer) : name);
  X509_set_pubkey(cert.get(), key);
  X509V3_CTX ctx;
  X509V3_set_ctx(&ctx, issuer ? issuer : cert.get(), cert.get(), nullptr, nullptr, 0);
  for (const auto& [nid, value] : spec.extensions) {
    X509_EXTENSION* ext = X509V3_EXT_nconf_nid(nullptr, &ctx, nid, value.c_str());
    if (ext == nullptr) return nullptr;
    X509_add_ext(cert.get(), ext, -1);
    X509_EXTENSION_free(ext);
  }
  if (X509_sign(cert.get(), issuer_key ? issuer_key : key, EVP_sha256()) <= 0) return nullptr;
  return cert;
}

CertSpec ca_spec(std::string cn) {
  return {std::move(cn),
          {{NID_basic_constraints, "critical,CA:TRUE"},
           {NID_key_usage, "critical,keyCertSign,cRLSign"},
           {NID_subject_key_identifier, "hash"}}};
}

CertSpec leaf_spec(std::string cn, std::string san, std::string eku) {
  return {std::move(cn),
          {{NID_basic_constraints, "critical,CA:FALSE"},
           {NID_key_usage, "critical,digitalSignature"},
           {NID_ext_key_usage, std::move(eku)},
           {NID_subject_alt_name, std::move(san)},
           {NID_authority_key_identifier, "keyid"}}};
}

// Drives both ends of an in-memory BIO pair until each has finished or failed.
struct Handshake {
  SslPtr server;
  SslPtr client;
  bool server_ok = false;
  bool client_ok = false;
  bool server_failed = false;
  bool client_failed = false;
  bool both_ok() const { return server_ok && client_ok; }
};

Handshake handshake(SSL_CTX* server_ctx, SSL_CTX* client_ctx,
                    const std::function<void(SSL*)>& prepare_client = {}) {
  Handshake h;
  h.server.reset(SSL_new(server_ctx));
  h.client.reset(SSL_new(client_ctx));
  BIO* server_bio = nullptr;
  BIO* client_bio = nullptr;
  BIO_new_bio_pair(&server_bio, 0, &client_bio, 0);
  SSL_set_bio(h.server.get(), server_bio, server_bio);
  SSL_set_bio(h.client.get(), client_bio, client_bio);
  SSL_set_accept_state(h.server.get());
  SSL_set_connect_state(h.client.get());
  if (prepare_client) prepare_client(h.client.get());

  const auto step = [](SSL* ssl, bool& ok, bool& failed) {
    if (ok || failed) return;
    const int r = SSL_do_handshake(ssl);
    if (r == 1) {
      ok = true;
      return;
    }
    const int e = SSL_get_error(ssl, r);
    failed = e != SSL_ERROR_WANT_READ && e != SSL_ERROR_WANT_WRITE;
  };
  // With TLS 1.3 the client is done before the server has judged its certificate, so the loop
  // runs until both ends are settled (or nothing more can happen).
  for (int round = 0; round < 50; ++round) {
    step(h.client.get(), h.client_ok, h.client_failed);
    step(h.server.get(), h.server_ok, h.server_failed);
    if ((h.client_ok || h.client_failed) && (h.server_ok || h.server_failed)) break;
  }
  ERR_clear_error();
  return h;
}

// --- names -----------------------------------------------------------------------------------

TEST(RelayTlsNames, ServerTlsRoundTripsAndIsCaseSensitive) {
  for (ServerTls v : {ServerTls::none, ServerTls::accept, ServerTls::require})
    EXPECT_EQ(server_tls_from_string(to_string(v)), v) << to_string(v);
  EXPECT_EQ(to_string(ServerTls::accept), "accept");
  EXPECT_FALSE(server_tls_from_string("Accept").has_value());
  EXPECT_FALSE(server_tls_from_string("").has_value());
}

TEST(RelayTlsNames, ClientCertificateRoundTripsAndRejectsOtherWords) {
  for (ClientCertificate v :
       {ClientCertificate::none, ClientCertificate::request, ClientCertificate::require})
    EXPECT_EQ(client_certificate_from_string(to_string(v)), v) << to_string(v);
  EXPECT_EQ(to_string(ClientCertificate::request), "request");
  EXPECT_FALSE(client_certificate_from_string("accept").has_value());
  EXPECT_FALSE(client_certificate_from_string("REQUIRE").has_value());
}

TEST(RelayTlsNames, OutboundTlsRoundTripsWithHyphenatedRequireVerify) {
  for (OutboundTls v : {OutboundTls::none, OutboundTls::opportunistic, OutboundTls::require,
                        OutboundTls::require_verify})
    EXPECT_EQ(outbound_tls_from_string(to_string(v)), v) << to_string(v);
  EXPECT_EQ(to_string(OutboundTls::require_verify), "require-verify");
  EXPECT_FALSE(outbound_tls_from_string("require_verify").has_value());
}

// --- the self-signed pair --------------------------------------------------------------------

class SelfSigned : public ::testing::Test {
 protected:
  TempDir tmp_;
  const std::string dir_ = tmp_.file("data/tls");
  const std::string cert_path_ = (fs::path(dir_) / kSelfSignedCert).string();
  const std::string key_path_ = (fs::path(dir_) / kSelfSignedKey).string();
  std::string error_;
};

TEST_F(SelfSigned, CreatesMissingDirectoryOwnerOnlyAndKeyMode0600) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  struct stat st {};
  ASSERT_EQ(::stat(key_path_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0600u);
  ASSERT_EQ(::stat(dir_.c_str(), &st), 0);
  EXPECT_EQ(st.st_mode & 07777, 0700u);
  EXPECT_TRUE(fs::is_regular_file(cert_path_));
}

TEST_F(SelfSigned, LeavesNoTemporaryFilesBehind) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  std::vector<std::string> names;
  for (const auto& entry : fs::directory_iterator(dir_)) names.push_back(entry.path().filename());
  std::sort(names.begin(), names.end());
  EXPECT_EQ(names,
            (std::vector<std::string>{std::string(kSelfSignedCert), std::string(kSelfSignedKey)}));
}

TEST_F(SelfSigned, CertificateNamesTheHostInCnAndSubjectAltName) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const X509Ptr cert = load_cert(cert_path_);
  ASSERT_TRUE(cert);
  char cn[128] = {};
  X509_NAME_get_text_by_NID(X509_get_subject_name(cert.get()), NID_commonName, cn, sizeof cn);
  EXPECT_STREQ(cn, "mx.example.test");
  EXPECT_EQ(X509_NAME_cmp(X509_get_subject_name(cert.get()), X509_get_issuer_name(cert.get())), 0);
  const NamesPtr sans(static_cast<GENERAL_NAMES*>(
      X509_get_ext_d2i(cert.get(), NID_subject_alt_name, nullptr, nullptr)));
  ASSERT_TRUE(sans);
  ASSERT_EQ(sk_GENERAL_NAME_num(sans.get()), 1);
  int type = 0;
  const auto* dns = static_cast<ASN1_IA5STRING*>(
      GENERAL_NAME_get0_value(sk_GENERAL_NAME_value(sans.get(), 0), &type));
  EXPECT_EQ(type, GEN_DNS);
  EXPECT_EQ(std::string(reinterpret_cast<const char*>(ASN1_STRING_get0_data(dns)),
                        static_cast<std::size_t>(ASN1_STRING_length(dns))),
            "mx.example.test");
  EXPECT_EQ(X509_check_host(cert.get(), "mx.example.test", 0, 0, nullptr), 1);
}

TEST_F(SelfSigned, CertificateIsValidFromAnHourAgoForTenYears) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const X509Ptr cert = load_cert(cert_path_);
  ASSERT_TRUE(cert);
  int days = 0;
  int seconds = 0;
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notBefore(cert.get())), 1);
  EXPECT_EQ(days, 0);
  EXPECT_NEAR(seconds, -3600, 60);
  ASSERT_EQ(ASN1_TIME_diff(&days, &seconds, nullptr, X509_get0_notAfter(cert.get())), 1);
  EXPECT_GE(days, 3650);
  EXPECT_LE(days, 3653);
}

TEST_F(SelfSigned, CertificateIsAServerLeafSignedWithSha256) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const X509Ptr cert = load_cert(cert_path_);
  ASSERT_TRUE(cert);
  EXPECT_EQ(X509_get_version(cert.get()), X509_VERSION_3);
  EXPECT_EQ(X509_check_ca(cert.get()), 0);
  EXPECT_TRUE(X509_get_extension_flags(cert.get()) & EXFLAG_BCONS);  // CA:FALSE is explicit
  EXPECT_EQ(X509_get_key_usage(cert.get()), static_cast<uint32_t>(KU_DIGITAL_SIGNATURE));
  EXPECT_EQ(X509_get_extended_key_usage(cert.get()), static_cast<uint32_t>(XKU_SSL_SERVER));
  EXPECT_EQ(X509_get_signature_nid(cert.get()), NID_ecdsa_with_SHA256);
  EXPECT_EQ(X509_verify(cert.get(), X509_get0_pubkey(cert.get())), 1);
}

TEST_F(SelfSigned, KeyIsAnEcP256KeyMatchingTheCertificate) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const X509Ptr cert = load_cert(cert_path_);
  const PkeyPtr key = load_key(key_path_);
  ASSERT_TRUE(cert && key);
  EXPECT_TRUE(EVP_PKEY_is_a(key.get(), "EC"));
  char group[64] = {};
  ASSERT_EQ(EVP_PKEY_get_group_name(key.get(), group, sizeof group, nullptr), 1);
  EXPECT_STREQ(group, "prime256v1");
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST_F(SelfSigned, SerialNumbersAreRandomPerPair) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const std::string other = tmp_.file("other");
  ASSERT_TRUE(ensure_self_signed(other, "mx.example.test", error_)) << error_;
  const X509Ptr a = load_cert(cert_path_);
  const X509Ptr b = load_cert((fs::path(other) / kSelfSignedCert).string());
  ASSERT_TRUE(a && b);
  EXPECT_NE(ASN1_INTEGER_cmp(X509_get0_serialNumber(a.get()), X509_get0_serialNumber(b.get())), 0);
  EXPECT_GE(ASN1_STRING_length(X509_get0_serialNumber(a.get())), 8);
}

TEST_F(SelfSigned, ExistingPairIsNotRemade) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const std::string cert_before = read_file(cert_path_);
  const std::string key_before = read_file(key_path_);
  const auto cert_time = fs::last_write_time(cert_path_);
  const auto key_time = fs::last_write_time(key_path_);
  ASSERT_TRUE(ensure_self_signed(dir_, "another-name.example.test", error_)) << error_;
  EXPECT_EQ(read_file(cert_path_), cert_before);
  EXPECT_EQ(read_file(key_path_), key_before);
  EXPECT_EQ(fs::last_write_time(cert_path_), cert_time);
  EXPECT_EQ(fs::last_write_time(key_path_), key_time);
}

TEST_F(SelfSigned, ExistingPairIsNotValidatedBeyondExistence) {
  fs::create_directories(dir_);
  std::ofstream(cert_path_) << "junk";
  std::ofstream(key_path_) << "junk";
  EXPECT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  EXPECT_EQ(read_file(cert_path_), "junk");
}

TEST_F(SelfSigned, LoneCertificateIsReplacedByAMatchingPair) {
  fs::create_directories(dir_);
  std::ofstream(cert_path_) << "stale certificate";
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const X509Ptr cert = load_cert(cert_path_);
  const PkeyPtr key = load_key(key_path_);
  ASSERT_TRUE(cert && key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST_F(SelfSigned, LoneKeyIsReplacedByAMatchingPair) {
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  const std::string old_key = read_file(key_path_);
  fs::remove(cert_path_);
  ASSERT_TRUE(ensure_self_signed(dir_, "mx.example.test", error_)) << error_;
  EXPECT_NE(read_file(key_path_), old_key);
  const X509Ptr cert = load_cert(cert_path_);
  const PkeyPtr key = load_key(key_path_);
  ASSERT_TRUE(cert && key);
  EXPECT_EQ(X509_check_private_key(cert.get(), key.get()), 1);
}

TEST_F(SelfSigned, HostNameCannotInjectFurtherSubjectAltNames) {
  EXPECT_FALSE(ensure_self_signed(dir_, "mx.example.test,IP:10.0.0.1", error_));
  EXPECT_NE(error_.find("host name"), std::string::npos) << error_;
  EXPECT_FALSE(fs::exists(key_path_));
}

TEST_F(SelfSigned, NameLongerThanACommonNameGoesOnlyInSubjectAltName) {
  const std::string host = std::string(70, 'a') + ".example.test";
  ASSERT_TRUE(ensure_self_signed(dir_, host, error_)) << error_;
  const X509Ptr cert = load_cert(cert_path_);
  ASSERT_TRUE(cert);
  EXPECT_LT(X509_NAME_get_index_by_NID(X509_get_subject_name(cert.get()), NID_commonName, -1), 0);
  EXPECT_EQ(X509_check_host(cert.get(), host.c_str(), host.size(), 0, nullptr), 1);
}

TEST_F(SelfSigned, EmptyDataDirIsAnError) {
  EXPECT_FALSE(ensure_self_signed("", "mx.example.test", error_));
  EXPECT_NE(error_.find("data_dir"), std::string::npos) << error_;
}

// --- server and client contexts: configuration errors ----------------------------------------

class RelayTlsContext : public ::testing::Test {
 protected:
  TlsSettings self_signed_settings() const {
    TlsSettings s;
    s.data_dir = tmp_.file("data");
    return s;
  }
  TempDir tmp_;
  std::string error_;
};

TEST_F(RelayTlsContext, SelfSignedPairIsMadeAndLoadedWhenNoFilesAreConfigured) {
  const auto ctx = make_server_context(self_signed_settings(), "mx.example.test", error_);
  ASSERT_TRUE(ctx) << error_;
  EXPECT_TRUE(fs::exists(fs::path(tmp_.file("data")) / kSelfSignedKey));
  const X509* cert = SSL_CTX_get0_certificate(ctx->native_handle());
  ASSERT_NE(cert, nullptr);
  EXPECT_EQ(X509_check_host(const_cast<X509*>(cert), "mx.example.test", 0, 0, nullptr), 1);
}

TEST_F(RelayTlsContext, ServerContextHardensProtocolOptions) {
  const auto ctx = make_server_context(self_signed_settings(), "mx.example.test", error_);
  ASSERT_TRUE(ctx) << error_;
  SSL_CTX* native = ctx->native_handle();
  const uint64_t options = SSL_CTX_get_options(native);
  EXPECT_TRUE(options & SSL_OP_NO_COMPRESSION);
  EXPECT_TRUE(options & SSL_OP_NO_RENEGOTIATION);
  EXPECT_TRUE(options & SSL_OP_CIPHER_SERVER_PREFERENCE);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(native), TLS1_2_VERSION);
  EXPECT_EQ(SSL_CTX_get_verify_mode(native), SSL_VERIFY_NONE);
}

TEST_F(RelayTlsContext, DefaultTls12CiphersAreForwardSecretAeadOnly) {
  const auto ctx = make_server_context(self_signed_settings(), "mx.example.test", error_);
  ASSERT_TRUE(ctx) << error_;
  const SslPtr ssl(SSL_new(ctx->native_handle()));
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
  ASSERT_GT(sk_SSL_CIPHER_num(ciphers), 0);
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    if (SSL_CIPHER_get_kx_nid(c) == NID_kx_any) continue;  // 1.3 suites are OpenSSL's
    EXPECT_EQ(SSL_CIPHER_get_kx_nid(c), NID_kx_ecdhe) << SSL_CIPHER_get_name(c);
    EXPECT_TRUE(SSL_CIPHER_is_aead(c)) << SSL_CIPHER_get_name(c);
  }
}

TEST_F(RelayTlsContext, CipherListCanBeOverridden) {
  TlsSettings s = self_signed_settings();
  s.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
  const auto ctx = make_server_context(s, "mx.example.test", error_);
  ASSERT_TRUE(ctx) << error_;
  const SslPtr ssl(SSL_new(ctx->native_handle()));
  int tls12 = 0;
  STACK_OF(SSL_CIPHER)* ciphers = SSL_get_ciphers(ssl.get());
  for (int i = 0; i < sk_SSL_CIPHER_num(ciphers); ++i) {
    const SSL_CIPHER* c = sk_SSL_CIPHER_value(ciphers, i);
    if (SSL_CIPHER_get_kx_nid(c) == NID_kx_any) continue;
    ++tls12;
    EXPECT_STREQ(SSL_CIPHER_get_name(c), "ECDHE-ECDSA-AES128-GCM-SHA256");
  }
  EXPECT_EQ(tls12, 1);
}

TEST_F(RelayTlsContext, UnknownCipherListIsAnError) {
  TlsSettings s = self_signed_settings();
  s.ciphers = "NO-SUCH-CIPHER";
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find("NO-SUCH-CIPHER"), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, KeyOfAnotherCertificateIsReportedAsMismatch) {
  ASSERT_TRUE(ensure_self_signed(tmp_.file("a"), "a.example.test", error_)) << error_;
  ASSERT_TRUE(ensure_self_signed(tmp_.file("b"), "b.example.test", error_)) << error_;
  TlsSettings s;
  s.cert_file = (fs::path(tmp_.file("a")) / kSelfSignedCert).string();
  s.key_file = (fs::path(tmp_.file("b")) / kSelfSignedKey).string();
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find("does not match"), std::string::npos) << error_;
  EXPECT_NE(error_.find(s.key_file), std::string::npos) << error_;
  EXPECT_NE(error_.find(s.cert_file), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, MissingCertificateFileIsNamedWithOpenSslReason) {
  TlsSettings s;
  s.cert_file = tmp_.file("absent-cert.pem");
  s.key_file = tmp_.file("absent-key.pem");
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find(s.cert_file), std::string::npos) << error_;
  EXPECT_NE(error_.find("error:"), std::string::npos) << error_;  // OpenSSL's own reason
}

TEST_F(RelayTlsContext, JunkSelfSignedPairFailsClearly) {
  const std::string dir = tmp_.file("data");
  fs::create_directories(dir);
  std::ofstream(fs::path(dir) / kSelfSignedCert) << "junk";
  std::ofstream(fs::path(dir) / kSelfSignedKey) << "junk";
  EXPECT_EQ(make_server_context(self_signed_settings(), "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find(std::string(kSelfSignedCert)), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, EncryptedKeyIsRefusedInsteadOfPromptingForAPassphrase) {
  const PkeyPtr key = new_key();
  const X509Ptr cert =
      make_cert(leaf_spec("mx", "DNS:mx", "serverAuth"), key.get(), nullptr, nullptr);
  TlsSettings s;
  s.cert_file = tmp_.file("cert.pem");
  s.key_file = tmp_.file("key.pem");
  write_cert(s.cert_file, cert.get());
  const BioPtr bio(BIO_new_file(s.key_file.c_str(), "w"));
  static const char kPass[] = "secret";
  ASSERT_EQ(PEM_write_bio_PrivateKey(bio.get(), key.get(), EVP_aes_256_cbc(), nullptr, 0, nullptr,
                                     const_cast<char*>(kPass)),
            1);
  BIO_flush(bio.get());
  EXPECT_EQ(make_server_context(s, "mx", error_), nullptr);
  EXPECT_NE(error_.find(s.key_file), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, CertFileWithoutKeyFileIsAnError) {
  TlsSettings s;
  s.cert_file = tmp_.file("cert.pem");
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find("key_file"), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, KeyFileWithoutCertFileIsAnError) {
  TlsSettings s;
  s.key_file = tmp_.file("key.pem");
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find("cert_file"), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, RequiredClientCertificatesNeedACaFile) {
  TlsSettings s = self_signed_settings();
  s.client_certificate = ClientCertificate::require;
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find("CA file"), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, MissingCaFileIsNamed) {
  TlsSettings s = self_signed_settings();
  s.client_certificate = ClientCertificate::request;
  s.ca_file = tmp_.file("absent-ca.pem");
  EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr);
  EXPECT_NE(error_.find(s.ca_file), std::string::npos) << error_;
}

TEST_F(RelayTlsContext, MinProtocolOtherThanTls12Or13IsAnError) {
  for (const char* bad : {"TLSv1.1", "tlsv1.2", "TLSv1", "1.3", ""}) {
    TlsSettings s = self_signed_settings();
    s.min_protocol = bad;
    error_.clear();
    EXPECT_EQ(make_server_context(s, "mx.example.test", error_), nullptr) << bad;
    EXPECT_NE(error_.find("min_protocol"), std::string::npos) << error_;
  }
}

TEST_F(RelayTlsContext, MinProtocolTls13IsApplied) {
  TlsSettings s = self_signed_settings();
  s.min_protocol = "TLSv1.3";
  const auto ctx = make_server_context(s, "mx.example.test", error_);
  ASSERT_TRUE(ctx) << error_;
  EXPECT_EQ(SSL_CTX_get_min_proto_version(ctx->native_handle()), TLS1_3_VERSION);
}

TEST_F(RelayTlsContext, ClientContextVerifiesOnlyWhenAsked) {
  TlsSettings s;
  const auto plain = make_client_context(s, false, error_);
  ASSERT_TRUE(plain) << error_;
  EXPECT_EQ(SSL_CTX_get_verify_mode(plain->native_handle()), SSL_VERIFY_NONE);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(plain->native_handle()), TLS1_2_VERSION);
  const auto verifying = make_client_context(s, true, error_);  // the system's store
  ASSERT_TRUE(verifying) << error_;
  EXPECT_EQ(SSL_CTX_get_verify_mode(verifying->native_handle()), SSL_VERIFY_PEER);
  EXPECT_EQ(SSL_CTX_get_min_proto_version(verifying->native_handle()), TLS1_2_VERSION);
}

TEST_F(RelayTlsContext, MissingOutboundCaFileIsNamed) {
  TlsSettings s;
  s.outbound_ca_file = tmp_.file("absent-ca.pem");
  EXPECT_EQ(make_client_context(s, true, error_), nullptr);
  EXPECT_NE(error_.find(s.outbound_ca_file), std::string::npos) << error_;
}

TEST(RelayTlsSessionInfo, NullStreamGivesEmptyInfo) {
  const TlsSessionInfo info = session_info(nullptr);
  EXPECT_TRUE(info.protocol.empty());
  EXPECT_FALSE(info.peer_certificate);
}

// --- handshakes against a CA made here -------------------------------------------------------

class RelayTlsHandshake : public ::testing::Test {
 protected:
  void SetUp() override {
    ca_key_ = new_key();
    ca_ = make_cert(ca_spec("ksmg test CA"), ca_key_.get(), nullptr, nullptr);
    server_key_ = new_key();
    server_cert_ =
        make_cert(leaf_spec("mx.example.test", "DNS:mx.example.test,IP:127.0.0.1", "serverAuth"),
                  server_key_.get(), ca_.get(), ca_key_.get());
    client_key_ = new_key();
    client_cert_ =
        make_cert(leaf_spec("client.example.test", "DNS:client.example.test", "clientAuth"),
                  client_key_.get(), ca_.get(), ca_key_.get());
    rogue_ca_key_ = new_key();
    rogue_ca_ = make_cert(ca_spec("rogue CA"), rogue_ca_key_.get(), nullptr, nullptr);
    rogue_cert_ =
        make_cert(leaf_spec("client.example.test", "DNS:client.example.test", "clientAuth"),
                  client_key_.get(), rogue_ca_.get(), rogue_ca_key_.get());
    ASSERT_TRUE(ca_ && server_cert_ && client_cert_ && rogue_ca_ && rogue_cert_);
    write_cert(tmp_.file("ca.pem"), ca_.get());
    write_cert(tmp_.file("rogue-ca.pem"), rogue_ca_.get());
    write_cert(tmp_.file("server-cert.pem"), server_cert_.get());
    write_key(tmp_.file("server-key.pem"), server_key_.get());
  }

  TlsSettings server_settings(ClientCertificate mode) const {
    TlsSettings s;
    s.cert_file = tmp_.file("server-cert.pem");
    s.key_file = tmp_.file("server-key.pem");
    s.client_certificate = mode;
    if (mode != ClientCertificate::none) s.ca_file = tmp_.file("ca.pem");
    return s;
  }

  std::unique_ptr<asio::ssl::context> server(const TlsSettings& s) {
    auto ctx = make_server_context(s, "mx.example.test", error_);
    EXPECT_TRUE(ctx) << error_;
    return ctx;
  }

  // A next-hop style client context, presenting `cert` when given.
  std::unique_ptr<asio::ssl::context> client(X509* cert = nullptr, bool verify = false,
                                             const std::string& ca_file = "") {
    TlsSettings s;
    s.outbound_ca_file = ca_file;
    auto ctx = make_client_context(s, verify, error_);
    EXPECT_TRUE(ctx) << error_;
    if (ctx && cert) {
      EXPECT_EQ(SSL_CTX_use_certificate(ctx->native_handle(), cert), 1);
      EXPECT_EQ(SSL_CTX_use_PrivateKey(ctx->native_handle(), client_key_.get()), 1);
    }
    return ctx;
  }

  static std::function<void(SSL*)> prepare(const std::string& host, bool verify) {
    return [host, verify](SSL* ssl) { ASSERT_TRUE(prepare_client_stream(ssl, host, verify)); };
  }

  TempDir tmp_;
  std::string error_;
  PkeyPtr ca_key_, server_key_, client_key_, rogue_ca_key_;
  X509Ptr ca_, server_cert_, client_cert_, rogue_ca_, rogue_cert_;
};

TEST_F(RelayTlsHandshake, NoClientCertificateModeCompletesWithoutOne) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(client_cert_.get());
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  EXPECT_FALSE(session_info(h.server.get()).peer_certificate);  // not asked for, not sent
}

TEST_F(RelayTlsHandshake, RequestWithoutClientCertificateCompletes) {
  const auto srv = server(server_settings(ClientCertificate::request));
  const auto cli = client();
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  const TlsSessionInfo info = session_info(h.server.get());
  EXPECT_FALSE(info.peer_certificate);
  EXPECT_FALSE(info.peer_verified);
  EXPECT_EQ(info.peer_subject, "");
}

TEST_F(RelayTlsHandshake, RequestWithTrustedClientCertificateIsVerified) {
  const auto srv = server(server_settings(ClientCertificate::request));
  const auto cli = client(client_cert_.get());
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  const TlsSessionInfo info = session_info(h.server.get());
  EXPECT_TRUE(info.peer_certificate);
  EXPECT_TRUE(info.peer_verified);
  EXPECT_EQ(info.peer_subject, "client.example.test");
}

TEST_F(RelayTlsHandshake, RequestWithUntrustedClientCertificateCompletesUnverified) {
  const auto srv = server(server_settings(ClientCertificate::request));
  const auto cli = client(rogue_cert_.get());
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  const TlsSessionInfo info = session_info(h.server.get());
  EXPECT_TRUE(info.peer_certificate);
  EXPECT_FALSE(info.peer_verified);
  EXPECT_EQ(info.peer_subject, "client.example.test");
}

TEST_F(RelayTlsHandshake, RequestWithoutCaFileCompletesButNeverVerifies) {
  TlsSettings s = server_settings(ClientCertificate::request);
  s.ca_file.clear();
  const auto srv = server(s);
  const auto cli = client(client_cert_.get());
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  const TlsSessionInfo info = session_info(h.server.get());
  EXPECT_TRUE(info.peer_certificate);
  EXPECT_FALSE(info.peer_verified);
}

TEST_F(RelayTlsHandshake, ServerAdvertisesTheCaFileNamesToClients) {
  const auto srv = server(server_settings(ClientCertificate::request));
  ASSERT_TRUE(srv);
  STACK_OF(X509_NAME)* names = SSL_CTX_get_client_CA_list(srv->native_handle());
  ASSERT_EQ(sk_X509_NAME_num(names), 1);
  EXPECT_EQ(X509_NAME_cmp(sk_X509_NAME_value(names, 0), X509_get_subject_name(ca_.get())), 0);
}

TEST_F(RelayTlsHandshake, RequireWithoutClientCertificateFailsOnTheServer) {
  const auto srv = server(server_settings(ClientCertificate::require));
  const auto cli = client();
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  EXPECT_TRUE(h.server_failed);
  EXPECT_FALSE(h.server_ok);
}

TEST_F(RelayTlsHandshake, RequireWithUntrustedClientCertificateFailsOnTheServer) {
  const auto srv = server(server_settings(ClientCertificate::require));
  const auto cli = client(rogue_cert_.get());
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  EXPECT_TRUE(h.server_failed);
  EXPECT_NE(SSL_get_verify_result(h.server.get()), X509_V_OK);
}

TEST_F(RelayTlsHandshake, RequireWithTrustedClientCertificateIsVerified) {
  const auto srv = server(server_settings(ClientCertificate::require));
  const auto cli = client(client_cert_.get());
  ASSERT_TRUE(srv && cli);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  const TlsSessionInfo info = session_info(h.server.get());
  EXPECT_TRUE(info.peer_certificate);
  EXPECT_TRUE(info.peer_verified);
  EXPECT_EQ(info.peer_subject, "client.example.test");
}

TEST_F(RelayTlsHandshake, SessionInfoDescribesTheNegotiatedTls13Session) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("mx.example.test", true));
  ASSERT_TRUE(h.both_ok());
  for (SSL* ssl : {h.server.get(), h.client.get()}) {
    const TlsSessionInfo info = session_info(ssl);
    EXPECT_EQ(info.protocol, "TLSv1.3");
    EXPECT_EQ(info.cipher, SSL_CIPHER_get_name(SSL_get_current_cipher(ssl)));
    EXPECT_EQ(info.cipher.rfind("TLS_", 0), 0u) << info.cipher;
    EXPECT_GE(info.bits, 128);
  }
  const TlsSessionInfo seen_by_client = session_info(h.client.get());
  EXPECT_TRUE(seen_by_client.peer_certificate);
  EXPECT_TRUE(seen_by_client.peer_verified);
  EXPECT_EQ(seen_by_client.peer_subject, "mx.example.test");
}

TEST_F(RelayTlsHandshake, Tls12ClientGetsAForwardSecretAeadCipher) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client();
  ASSERT_TRUE(srv && cli);
  SSL_CTX_set_max_proto_version(cli->native_handle(), TLS1_2_VERSION);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  ASSERT_TRUE(h.both_ok());
  const TlsSessionInfo info = session_info(h.server.get());
  EXPECT_EQ(info.protocol, "TLSv1.2");
  EXPECT_EQ(info.cipher.rfind("ECDHE-", 0), 0u) << info.cipher;
  EXPECT_TRUE(SSL_CIPHER_is_aead(SSL_get_current_cipher(h.server.get()))) << info.cipher;
}

TEST_F(RelayTlsHandshake, Tls12ClientOfferingOnlyCbcCiphersIsRefused) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client();
  ASSERT_TRUE(srv && cli);
  SSL_CTX_set_max_proto_version(cli->native_handle(), TLS1_2_VERSION);
  ASSERT_EQ(SSL_CTX_set_cipher_list(cli->native_handle(), "ECDHE-ECDSA-AES128-SHA"), 1);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  EXPECT_TRUE(h.server_failed);
  EXPECT_FALSE(h.client_ok);
}

TEST_F(RelayTlsHandshake, ClientVerifiesServerForTheRightHostName) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("mx.example.test", true));
  ASSERT_TRUE(h.both_ok());
  EXPECT_EQ(SSL_get_verify_result(h.client.get()), X509_V_OK);
}

TEST_F(RelayTlsHandshake, ClientAcceptsAbsoluteHostNameWithTrailingDot) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("mx.example.test.", true));
  EXPECT_TRUE(h.both_ok());
  EXPECT_STREQ(SSL_get_servername(h.server.get(), TLSEXT_NAMETYPE_host_name), "mx.example.test");
}

TEST_F(RelayTlsHandshake, ClientRefusesServerForAnotherHostName) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("other.example.test", true));
  EXPECT_TRUE(h.client_failed);
  EXPECT_EQ(SSL_get_verify_result(h.client.get()), X509_V_ERR_HOSTNAME_MISMATCH);
}

TEST_F(RelayTlsHandshake, ClientRefusesServerFromAnotherCa) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("rogue-ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("mx.example.test", true));
  EXPECT_TRUE(h.client_failed);
  EXPECT_EQ(SSL_get_verify_result(h.client.get()), X509_V_ERR_UNABLE_TO_GET_ISSUER_CERT_LOCALLY);
}

TEST_F(RelayTlsHandshake, ClientVerifiesIpLiteralAgainstAddressSubjectAltName) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("127.0.0.1", true));
  ASSERT_TRUE(h.both_ok());
  EXPECT_EQ(SSL_get_servername(h.server.get(), TLSEXT_NAMETYPE_host_name), nullptr);  // no SNI
}

TEST_F(RelayTlsHandshake, ClientRefusesIpLiteralTheCertificateDoesNotCarry) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("[192.0.2.1]", true));
  EXPECT_TRUE(h.client_failed);
  EXPECT_EQ(SSL_get_verify_result(h.client.get()), X509_V_ERR_IP_ADDRESS_MISMATCH);
}

TEST_F(RelayTlsHandshake, UnverifiedClientSendsSniButAcceptsAnyCertificate) {
  const auto srv = server(server_settings(ClientCertificate::none));
  const auto cli = client(nullptr, false);
  ASSERT_TRUE(srv && cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("other.example.test", false));
  ASSERT_TRUE(h.both_ok());
  EXPECT_STREQ(SSL_get_servername(h.server.get(), TLSEXT_NAMETYPE_host_name), "other.example.test");
  EXPECT_FALSE(session_info(h.client.get()).peer_verified);
}

TEST_F(RelayTlsHandshake, VerifyingWithoutAHostNameIsRefused) {
  const auto cli = client(nullptr, true, tmp_.file("ca.pem"));
  ASSERT_TRUE(cli);
  const SslPtr ssl(SSL_new(cli->native_handle()));
  EXPECT_FALSE(prepare_client_stream(ssl.get(), "", true));
  EXPECT_TRUE(prepare_client_stream(ssl.get(), "", false));
}

TEST_F(RelayTlsHandshake, ServerWithTls13MinimumRefusesTls12OnlyClient) {
  TlsSettings s = server_settings(ClientCertificate::none);
  s.min_protocol = "TLSv1.3";
  const auto srv = server(s);
  const auto cli = client();
  ASSERT_TRUE(srv && cli);
  SSL_CTX_set_max_proto_version(cli->native_handle(), TLS1_2_VERSION);
  const Handshake h = handshake(srv->native_handle(), cli->native_handle());
  EXPECT_TRUE(h.server_failed);
  EXPECT_TRUE(h.client_failed);
}

TEST_F(RelayTlsHandshake, SelfSignedServerVerifiesWhenItsCertificateIsPinned) {
  TlsSettings s;
  s.data_dir = tmp_.file("data");
  const auto srv = server(s);
  ASSERT_TRUE(srv);
  const auto cli = client(nullptr, true, (fs::path(s.data_dir) / kSelfSignedCert).string());
  ASSERT_TRUE(cli);
  const Handshake h =
      handshake(srv->native_handle(), cli->native_handle(), prepare("mx.example.test", true));
  ASSERT_TRUE(h.both_ok());
  EXPECT_TRUE(session_info(h.client.get()).peer_verified);
}

}  // namespace
