// test_dkim_parse.cpp — DKIM's readers without DNS: the tag list (RFC 6376 3.2), the
// DKIM-Signature field (3.5, RFC 8463, RFC 8301), the key record (3.6.1) and canonicalization
// (3.4). Oracles: RFC 6376's own examples (Appendix A.2's signature, 3.4.5's canonicalization),
// and the body hashes (bh=) of signatures that independent verifiers pass: dkimpy's RFC 8463
// messages and Mail::DKIM's corpus (tests/data/dkim/SOURCE.md); our canonical body must hash to
// them, whatever the chunks it was fed in.
#include <gtest/gtest.h>
#include <openssl/evp.h>

#include <cstdint>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "auth/dkim_canon.hpp"
#include "auth/dkim_key.hpp"
#include "auth/dkim_signature.hpp"
#include "auth/dkim_tags.hpp"
#include "core/ascii.hpp"
#include "test_data.hpp"

namespace {

using namespace ksmg::auth::dkim;

std::string read_data(const std::string& path) {
  const std::string text = ksmg::test::read_file(ksmg::test::data_dir() / "dkim" / path);
  EXPECT_FALSE(text.empty()) << path;
  return text;
}

std::string digest(const EVP_MD* md, std::string_view data) {
  unsigned char out[EVP_MAX_MD_SIZE];
  unsigned int n = 0;
  EXPECT_EQ(EVP_Digest(data.data(), data.size(), out, &n, md, nullptr), 1);
  return std::string(reinterpret_cast<const char*>(out), n);
}

std::string sha256(std::string_view data) { return digest(EVP_sha256(), data); }

std::string canonical_body(Canonicalization c, std::string_view body, std::size_t chunk) {
  BodyCanonicalizer canon(c);
  std::string out;
  for (std::size_t i = 0; i < body.size(); i += chunk) canon.feed(body.substr(i, chunk), out);
  canon.finish(out);
  return out;
}

// The message split into its header fields (each without its final line break) and its body.
struct Message {
  std::vector<std::string> fields;
  std::string body;
};

Message split_message(const std::string& text) {
  Message m;
  std::size_t pos = 0;
  while (pos < text.size()) {
    std::size_t end = text.find('\n', pos);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(pos, end - pos);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    pos = end + 1;
    if (line.empty()) break;
    if ((line[0] == ' ' || line[0] == '\t') && !m.fields.empty())
      m.fields.back() += "\r\n" + line;
    else
      m.fields.push_back(line);
  }
  if (pos < text.size()) m.body = text.substr(pos);
  return m;
}

std::vector<std::string> signature_values(const Message& m) {
  std::vector<std::string> values;
  for (const std::string& f : m.fields)
    if (f.size() > 15 && ksmg::core::iequals(std::string_view(f).substr(0, 15), "DKIM-Signature:"))
      values.push_back(f.substr(15));
  return values;
}

// ---- the tag list ----

TEST(DkimTags, ReadsTagsWithFoldingWhitespace) {
  std::vector<Tag> tags;
  ASSERT_EQ(parse_tag_list(" a = b c ;\r\n\tbh=x ; z=;", tags), TagListError::none);
  ASSERT_EQ(tags.size(), 3u);
  EXPECT_EQ(tags[0].name, "a");
  EXPECT_EQ(tags[0].value, "b c");
  EXPECT_EQ(tags[1].name, "bh");
  EXPECT_EQ(tags[1].value, "x");
  EXPECT_EQ(tags[2].value, "");
  ASSERT_NE(find_tag(tags, "bh"), nullptr);
  EXPECT_EQ(find_tag(tags, "BH"), nullptr);  // names are case-sensitive
}

TEST(DkimTags, NamesDifferingInCaseAreDifferentTags) {
  std::vector<Tag> tags;
  EXPECT_EQ(parse_tag_list("v=1; V=2", tags), TagListError::none);
  EXPECT_EQ(tags.size(), 2u);
}

TEST(DkimTags, RefusesMalformedLists) {
  std::vector<Tag> tags;
  EXPECT_EQ(parse_tag_list("", tags), TagListError::empty);
  EXPECT_EQ(parse_tag_list(" ; ", tags), TagListError::bad_name);
  EXPECT_EQ(parse_tag_list("a=1;;b=2", tags), TagListError::bad_name);
  EXPECT_EQ(parse_tag_list("1a=1", tags), TagListError::bad_name);
  EXPECT_EQ(parse_tag_list("a-b=1", tags), TagListError::missing_equals);
  EXPECT_EQ(parse_tag_list("a=1; b", tags), TagListError::missing_equals);
  EXPECT_EQ(parse_tag_list("a=1; a=2", tags), TagListError::duplicate_tag);
  EXPECT_EQ(parse_tag_list("a=caf\xc3\xa9", tags), TagListError::bad_value);
  EXPECT_EQ(parse_tag_list(std::string_view("a=x\0y", 5), tags), TagListError::bad_value);
}

TEST(DkimTags, BoundsTagCountAndValueSize) {
  std::string many;
  for (std::size_t i = 0; i < kMaxTags; ++i) many += "t" + std::to_string(i) + "=1;";
  std::vector<Tag> tags;
  EXPECT_EQ(parse_tag_list(many, tags), TagListError::none);
  EXPECT_EQ(parse_tag_list(many + "u=1", tags), TagListError::too_many_tags);
  EXPECT_EQ(parse_tag_list("p=" + std::string(kMaxTagValueBytes, 'A'), tags), TagListError::none);
  EXPECT_EQ(parse_tag_list("p=" + std::string(kMaxTagValueBytes + 1, 'A'), tags),
            TagListError::value_too_large);
}

TEST(DkimTags, DecodesBase64StrictlyAndSplitsLists) {
  std::string out;
  EXPECT_TRUE(decode_base64_value("aGVs\r\n bG8=", out));
  EXPECT_EQ(out, "hello");
  EXPECT_FALSE(decode_base64_value("aGVsbG8", out));   // length
  EXPECT_FALSE(decode_base64_value("aG=sbG8=", out));  // padding inside
  EXPECT_FALSE(decode_base64_value("aGVsbG8*", out));  // alphabet
  EXPECT_FALSE(decode_base64_value("a===", out));      // three pads
  std::vector<std::string_view> items;
  ASSERT_TRUE(split_list("from : to:\r\n subject", 3, items));
  EXPECT_EQ(items, (std::vector<std::string_view>{"from", "to", "subject"}));
  EXPECT_FALSE(split_list("a:b:c:d", 3, items));
}

// ---- the signature ----

// RFC 6376 Appendix A.2, as folded there.
constexpr std::string_view kRfc6376A2 =
    " v=1; a=rsa-sha256; s=brisbane; d=example.com;\r\n"
    "      c=simple/simple; q=dns/txt; i=joe@football.example.com;\r\n"
    "      h=Received : From : To : Subject : Date : Message-ID;\r\n"
    "      bh=2jUSOH9NhtVGCQWNr9BrIAPreKQjO6Sn7XIkfJVOzv8=;\r\n"
    "      b=AuUoFEfDxTDkHlLXSZEpZj79LICEps6eda7W3deTVFOk4yAUoqOB\r\n"
    "        4nujc7YopdG5dWLSdNg6xNAZpOPr+kHxt1IrE+NahM6L/LbvaHut\r\n"
    "        KVdkLLkpVaVVQPzeRDI009SO2Il5Lu7rDNH6mZckBdrIx0orEtZV\r\n"
    "        4bmp/YzhwvcubU4=;";

TEST(DkimSignature, ReadsRfc6376AppendixA2) {
  Signature sig;
  const SignatureParse r = parse_signature(kRfc6376A2, sig);
  ASSERT_EQ(r.error, SignatureError::none) << to_string(r.error);
  EXPECT_EQ(sig.algorithm, Algorithm::rsa_sha256);
  EXPECT_FALSE(never_passes(sig.algorithm));
  EXPECT_EQ(sig.selector, "brisbane");
  EXPECT_EQ(sig.domain, "example.com");
  EXPECT_EQ(sig.header_canonicalization, Canonicalization::simple);
  EXPECT_EQ(sig.body_canonicalization, Canonicalization::simple);
  EXPECT_EQ(sig.identity, "joe@football.example.com");
  EXPECT_EQ(sig.signed_headers, (std::vector<std::string_view>{"Received", "From", "To", "Subject",
                                                               "Date", "Message-ID"}));
  EXPECT_EQ(sig.signature.size(), 128u);  // RSA-1024
  EXPECT_EQ(sig.body_hash.size(), 32u);   // SHA-256
  EXPECT_TRUE(sig.signature_as_written.starts_with("AuUoFE"));
  EXPECT_TRUE(sig.signature_as_written.ends_with("bU4="));
  EXPECT_FALSE(sig.body_length || sig.timestamp || sig.expiration);
}

// A well-formed signature with one tag replaced (or added, or removed when `value` is empty and
// `remove` is set): the rules are checked one at a time against it.
std::string signature_with(std::string_view name, std::string_view value, bool remove = false) {
  const std::vector<std::pair<std::string, std::string>> base = {
      {"v", "1"},       {"a", "ed25519-sha256"},    {"d", "example.com"}, {"s", "sel"},
      {"h", "from:to"}, {"bh", "MTIzNDU2Nzg5MDEy"}, {"b", "c2lnbmF0dXJl"}};
  std::string out;
  bool replaced = false;
  for (const auto& [n, v] : base) {
    if (n == name) {
      replaced = true;
      if (!remove) out += n + "=" + std::string(value) + "; ";
    } else {
      out += n + "=" + v + "; ";
    }
  }
  if (!replaced) out += std::string(name) + "=" + std::string(value);
  return out;
}

SignatureError error_of(const std::string& value) {
  Signature sig;
  return parse_signature(value, sig).error;
}

TEST(DkimSignature, DefaultsAndOptionalTags) {
  Signature sig;
  ASSERT_EQ(parse_signature(signature_with("z", "From:a@b|To:c=20d"), sig).error,
            SignatureError::none);
  EXPECT_EQ(sig.header_canonicalization, Canonicalization::simple);
  EXPECT_EQ(sig.body_canonicalization, Canonicalization::simple);
  EXPECT_EQ(sig.identity, "@example.com");
  EXPECT_EQ(sig.body_hash, "123456789012");
  EXPECT_EQ(sig.signature, "signature");
  ASSERT_EQ(parse_signature(signature_with("c", "relaxed"), sig).error, SignatureError::none);
  EXPECT_EQ(sig.header_canonicalization, Canonicalization::relaxed);
  EXPECT_EQ(sig.body_canonicalization, Canonicalization::simple);
  ASSERT_EQ(parse_signature(signature_with("c", "simple/relaxed"), sig).error,
            SignatureError::none);
  EXPECT_EQ(sig.header_canonicalization, Canonicalization::simple);
  EXPECT_EQ(sig.body_canonicalization, Canonicalization::relaxed);
  ASSERT_EQ(parse_signature(signature_with("l", "0"), sig).error, SignatureError::none);
  EXPECT_EQ(sig.body_length, 0u);
  ASSERT_EQ(parse_signature(signature_with("t", "1117574938; x=1118006938"), sig).error,
            SignatureError::none);
  EXPECT_EQ(sig.timestamp, 1117574938u);
  EXPECT_EQ(sig.expiration, 1118006938u);
  ASSERT_EQ(parse_signature(signature_with("q", "foo/bar:dns/txt"), sig).error,
            SignatureError::none);
  ASSERT_EQ(parse_signature(signature_with("i", "joe=40x@Mail.Example.COM"), sig).error,
            SignatureError::none);
  EXPECT_EQ(sig.identity, "joe@x@Mail.Example.COM");
  ASSERT_EQ(parse_signature(signature_with("a", "rsa-sha1"), sig).error, SignatureError::none);
  EXPECT_TRUE(never_passes(sig.algorithm));
  ASSERT_EQ(parse_signature(signature_with("unknown", "tag"), sig).error, SignatureError::none);
}

TEST(DkimSignature, EachRuleHasItsError) {
  EXPECT_EQ(error_of("v=1; a"), SignatureError::tag_syntax);
  EXPECT_EQ(error_of(signature_with("v", "", true)), SignatureError::missing_version);
  EXPECT_EQ(error_of(signature_with("v", "2")), SignatureError::bad_version);
  EXPECT_EQ(error_of(signature_with("a", "", true)), SignatureError::missing_algorithm);
  EXPECT_EQ(error_of(signature_with("a", "rsa-md5")), SignatureError::unknown_algorithm);
  EXPECT_EQ(error_of(signature_with("b", "", true)), SignatureError::missing_signature);
  EXPECT_EQ(error_of(signature_with("b", "")), SignatureError::missing_signature);
  EXPECT_EQ(error_of(signature_with("b", "c2lnbmF0dXJl!")), SignatureError::bad_signature);
  EXPECT_EQ(error_of(signature_with("bh", "", true)), SignatureError::missing_body_hash);
  EXPECT_EQ(error_of(signature_with("bh", "MTIz=NDU2")), SignatureError::bad_body_hash);
  EXPECT_EQ(error_of(signature_with("c", "loose")), SignatureError::bad_canonicalization);
  EXPECT_EQ(error_of(signature_with("c", "relaxed/")), SignatureError::bad_canonicalization);
  EXPECT_EQ(error_of(signature_with("d", "", true)), SignatureError::missing_domain);
  EXPECT_EQ(error_of(signature_with("d", "a..b")), SignatureError::bad_domain);
  EXPECT_EQ(error_of(signature_with("s", "", true)), SignatureError::missing_selector);
  EXPECT_EQ(error_of(signature_with("s", "")), SignatureError::bad_selector);
  EXPECT_EQ(error_of(signature_with("h", "", true)), SignatureError::missing_headers);
  EXPECT_EQ(error_of(signature_with("h", "from::to")), SignatureError::bad_header_name);
  EXPECT_EQ(error_of(signature_with("h", "to:subject")), SignatureError::from_not_signed);
  std::string many = "From";
  for (std::size_t i = 1; i < kMaxSignedHeaders; ++i) many += ":X";
  EXPECT_EQ(error_of(signature_with("h", many)), SignatureError::none);
  EXPECT_EQ(error_of(signature_with("h", many + ":X")), SignatureError::too_many_headers);
  EXPECT_EQ(error_of(signature_with("i", "joe.example.com")), SignatureError::bad_identity);
  EXPECT_EQ(error_of(signature_with("i", "joe=4@example.com")), SignatureError::bad_identity);
  EXPECT_EQ(error_of(signature_with("i", "joe@example.org")),
            SignatureError::identity_outside_domain);
  EXPECT_EQ(error_of(signature_with("i", "joe@badexample.com")),
            SignatureError::identity_outside_domain);
  EXPECT_EQ(error_of(signature_with("i", "@sub.example.com")), SignatureError::none);
  EXPECT_EQ(error_of(signature_with("l", "-1")), SignatureError::bad_body_length);
  EXPECT_EQ(error_of(signature_with("l", "")), SignatureError::bad_body_length);
  EXPECT_EQ(error_of(signature_with("l", std::string(kMaxDecimalDigits, '9'))),
            SignatureError::none);
  EXPECT_EQ(error_of(signature_with("l", std::string(kMaxDecimalDigits + 1, '9'))),
            SignatureError::bad_body_length);
  EXPECT_EQ(error_of(signature_with("q", "dns")), SignatureError::unknown_query_method);
  EXPECT_EQ(error_of(signature_with("t", "soon")), SignatureError::bad_timestamp);
  EXPECT_EQ(error_of(signature_with("x", "1e9")), SignatureError::bad_expiration);
  EXPECT_EQ(error_of(signature_with("t", "200; x=100")), SignatureError::expired_before_signed);
  EXPECT_EQ(error_of(signature_with("t", "200; x=200")), SignatureError::none);
}

// ---- the key record ----

TEST(DkimKey, ReadsRecords) {
  KeyRecord key;
  ASSERT_EQ(parse_key_record(read_data("dkimpy/test.txt"), key).error, KeyError::none);
  EXPECT_EQ(key.type, KeyType::rsa);
  EXPECT_EQ(key.public_key.size(), 162u);  // SubjectPublicKeyInfo of RSA-1024
  EXPECT_TRUE(key_fits(key, Algorithm::rsa_sha256));
  EXPECT_FALSE(key_fits(key, Algorithm::ed25519_sha256));
  ASSERT_EQ(parse_key_record(read_data("dkimpy/eximtest.dns"), key).error, KeyError::none);
  EXPECT_EQ(key.type, KeyType::ed25519);
  EXPECT_EQ(key.public_key.size(), 32u);
  EXPECT_TRUE(key_fits(key, Algorithm::ed25519_sha256));
  ASSERT_EQ(parse_key_record(read_data("dkimpy/ed25519test.dns"), key).error, KeyError::none);
  EXPECT_EQ(key.public_key.size(), 32u);
  // test_bad.txt is a well-formed record whose key is damaged: the verifier's to find out.
  EXPECT_EQ(parse_key_record(read_data("dkimpy/test_bad.txt"), key).error, KeyError::none);
  EXPECT_EQ(parse_key_record(read_data("dkimpy/badk.txt"), key).error, KeyError::unknown_key_type);
  EXPECT_EQ(parse_key_record(read_data("dkimpy/badversion.txt"), key).error, KeyError::bad_version);
}

TEST(DkimKey, FlagsServicesHashesAndRevocation) {
  KeyRecord key;
  ASSERT_EQ(parse_key_record("p=", key).error, KeyError::none);
  EXPECT_TRUE(key.revoked);
  ASSERT_EQ(parse_key_record("v=DKIM1; h=sha256:future; s=email:other; t=y:s:q; p=AAAA", key).error,
            KeyError::none);
  EXPECT_FALSE(key.revoked);
  EXPECT_TRUE(key.testing);
  EXPECT_TRUE(key.strict);
  EXPECT_TRUE(key_fits(key, Algorithm::rsa_sha256));
  EXPECT_FALSE(key_fits(key, Algorithm::rsa_sha1));
  ASSERT_EQ(parse_key_record("s=*; p=AAAA", key).error, KeyError::none);
  EXPECT_FALSE(key.testing || key.strict);
  EXPECT_EQ(parse_key_record("p=AAAA; v=DKIM1", key).error, KeyError::version_not_first);
  EXPECT_EQ(parse_key_record("v=DKIM2; p=AAAA", key).error, KeyError::bad_version);
  EXPECT_EQ(parse_key_record("k=dsa; p=AAAA", key).error, KeyError::unknown_key_type);
  EXPECT_EQ(parse_key_record("v=DKIM1; k=rsa", key).error, KeyError::missing_public_key);
  EXPECT_EQ(parse_key_record("p=AAA", key).error, KeyError::bad_public_key);
  EXPECT_EQ(parse_key_record("h=md5; p=AAAA", key).error, KeyError::no_known_hash);
  EXPECT_EQ(parse_key_record("s=web; p=AAAA", key).error, KeyError::not_for_email);
  EXPECT_EQ(parse_key_record("p=AAAA; p=AAAA", key).error, KeyError::tag_syntax);
}

// The records dkimpy's tests serve (dns.txt), each read as a key.
TEST(DkimKey, ReadsEveryRecordOfDkimpysTests) {
  std::istringstream lines(read_data("dkimpy/dns.txt"));
  std::string line;
  int records = 0;
  while (std::getline(lines, line)) {
    if (line.empty() || line[0] == '#') continue;
    const std::string rdata = line.substr(line.find('\t') + 1);
    const std::string txt =
        rdata.starts_with("FILE:") ? read_data("dkimpy/" + rdata.substr(5)) : rdata;
    KeyRecord key;
    EXPECT_EQ(parse_key_record(txt, key).error, KeyError::none) << line;
    EXPECT_FALSE(key.revoked) << line;
    ++records;
  }
  EXPECT_GE(records, 6);
}

// ---- canonicalization ----

TEST(DkimCanon, HeaderExampleOfRfc6376Section345) {
  const std::string a = "A: X";
  const std::string b = "B : Y\t\r\n\tZ  ";
  std::string out;
  append_canonical_header(Canonicalization::relaxed, a, out);
  out += "\r\n";
  append_canonical_header(Canonicalization::relaxed, b, out);
  out += "\r\n";
  EXPECT_EQ(out, "a:X\r\nb:Y Z\r\n");
  out.clear();
  append_canonical_header(Canonicalization::simple, a, out);
  out += "\r\n";
  append_canonical_header(Canonicalization::simple, b, out);
  out += "\r\n";
  EXPECT_EQ(out, "A: X\r\nB : Y\t\r\n\tZ  \r\n");
}

TEST(DkimCanon, RelaxedHeaderEdges) {
  std::string out;
  append_canonical_header(Canonicalization::relaxed, "SUBJECT:\t  \r\n  hi  there \t", out);
  EXPECT_EQ(out, "subject:hi there");
  out.clear();
  append_canonical_header(Canonicalization::relaxed, "X-Empty:   ", out);
  EXPECT_EQ(out, "x-empty:");
}

constexpr std::string_view kSection345Body = " C \r\nD \t E\r\n\r\n\r\n";

TEST(DkimCanon, BodyExampleOfRfc6376Section345) {
  EXPECT_EQ(canonical_body(Canonicalization::relaxed, kSection345Body, 1000), " C\r\nD E\r\n");
  EXPECT_EQ(canonical_body(Canonicalization::simple, kSection345Body, 1000), " C \r\nD \t E\r\n");
}

TEST(DkimCanon, EmptyAndUnterminatedBodies) {
  EXPECT_EQ(canonical_body(Canonicalization::simple, "", 1), "\r\n");
  EXPECT_EQ(canonical_body(Canonicalization::relaxed, "", 1), "");
  EXPECT_EQ(canonical_body(Canonicalization::simple, "\r\n\r\n", 1), "\r\n");
  EXPECT_EQ(canonical_body(Canonicalization::relaxed, " \r\n\t\r\n", 1), "");
  EXPECT_EQ(canonical_body(Canonicalization::simple, " \r\n", 1), " \r\n");
  EXPECT_EQ(canonical_body(Canonicalization::simple, "abc", 1), "abc\r\n");
  EXPECT_EQ(canonical_body(Canonicalization::relaxed, "abc  ", 1), "abc\r\n");
  EXPECT_EQ(canonical_body(Canonicalization::simple, "a\nb\r", 1), "a\r\nb\r\r\n");
  EXPECT_EQ(canonical_body(Canonicalization::relaxed, "a\r\r\nb", 1), "a\r\r\nb\r\n");
  // The relaxed empty body's hash, as RFC 6376 3.4.4 makes it: SHA-256 of nothing.
  EXPECT_EQ(sha256(canonical_body(Canonicalization::relaxed, "\r\n", 1)), sha256(""));
}

// Every split of each body into two chunks, and into three around every CR/LF boundary, gives
// the output of the whole body fed at once.
TEST(DkimCanon, BodyOutputDoesNotDependOnChunkBoundaries) {
  const std::vector<std::string> bodies = {
      std::string(kSection345Body),
      "line one\r\n\r\n  indented\t\tline  \r\n\r\n \r\n\t\r\n",
      "a\r\n\r\nb\r\n\r\n\r\nc",
      "bare\nline\rends\r\r\n\n\n",
      "\r\n\r\n\r\n",
      "x \t \r",
      "",
  };
  for (const Canonicalization c : {Canonicalization::simple, Canonicalization::relaxed}) {
    for (const std::string& body : bodies) {
      const std::string whole = canonical_body(c, body, body.size() + 1);
      for (std::size_t chunk = 1; chunk <= body.size(); ++chunk)
        EXPECT_EQ(canonical_body(c, body, chunk), whole) << body << " chunk " << chunk;
      for (std::size_t i = 0; i <= body.size(); ++i) {
        for (std::size_t j = i; j <= body.size(); ++j) {
          BodyCanonicalizer canon(c);
          std::string out;
          canon.feed(std::string_view(body).substr(0, i), out);
          canon.feed(std::string_view(body).substr(i, j - i), out);
          canon.feed(std::string_view(body).substr(j), out);
          canon.finish(out);
          ASSERT_EQ(out, whole) << body << " split " << i << "," << j;
        }
      }
    }
  }
}

// The body hashes of signatures that dkimpy and Mail::DKIM verify: our canonical body, cut to
// l= where there is one, hashes to bh= in every chunk size. Messages with several signatures
// may hold broken ones (`readable` of them are not): at least one must match.
void expect_body_hash_matches(const std::string& file, std::size_t readable) {
  const Message m = split_message(read_data(file));
  bool one_matches = false;
  std::size_t read = 0;
  for (const std::string& value : signature_values(m)) {
    Signature sig;
    if (parse_signature(value, sig).error != SignatureError::none) continue;
    ++read;
    for (const std::size_t chunk : {std::size_t{1}, std::size_t{7}, std::size_t{4096}}) {
      std::string body = canonical_body(sig.body_canonicalization, m.body, chunk);
      if (sig.body_length && *sig.body_length < body.size()) body.resize(*sig.body_length);
      const std::string hash =
          digest(sig.algorithm == Algorithm::rsa_sha1 ? EVP_sha1() : EVP_sha256(), body);
      one_matches = one_matches || hash == sig.body_hash;
    }
  }
  EXPECT_EQ(read, readable) << file;
  EXPECT_TRUE(one_matches) << file;
}

TEST(DkimCanon, BodyHashesOfRfc8463SignedMessages) {
  expect_body_hash_matches("dkimpy/rfc6376.signed.msg", 2);
  expect_body_hash_matches("dkimpy/rfc6376.signed.rsa.msg", 1);
}

TEST(DkimCanon, BodyHashesOfMailDkimsPassingCorpus) {
  std::istringstream rows(read_data("mail-dkim/expected.tsv"));
  std::string row;
  int files = 0;
  while (std::getline(rows, row)) {
    if (row.find("\tpass\trfc6376") == std::string::npos) continue;
    const std::string file = row.substr(0, row.find('\t'));
    // multiple_2.txt's first and last signatures are malformed (c=foobar, "synerr").
    const Message m = split_message(read_data("mail-dkim/corpus/" + file));
    const std::size_t broken = file == "multiple_2.txt" ? 2 : 0;
    expect_body_hash_matches("mail-dkim/corpus/" + file, signature_values(m).size() - broken);
    ++files;
  }
  EXPECT_EQ(files, 11);
}

}  // namespace
