// tree.cpp — owns building the ObjectTree: MIME leaves, messages embedded in objects, uuencoded
// and yEnc blocks in text, and the members of archives and compound objects, each typed, hashed
// and flagged, under one archive::Budget per message; and the message's text that an encrypted
// archive's password may be read from.
//
// Objects are appended in document order (a container, then everything inside it, then its next
// sibling), so the builder recurses; the recursion is bounded by max_archive_depth because every
// level of it is one container level.
#include <algorithm>
#include <array>
#include <optional>
#include <string>
#include <unordered_set>
#include <utility>

#include "archive/members.hpp"
#include "core/ascii.hpp"
#include "ksmg/archive.hpp"
#include "ksmg/hash.hpp"
#include "ksmg/objects.hpp"
#include "mime/header_fields.hpp"
#include "mime/transfer_decode.hpp"

namespace ksmg::objects {

namespace {

bool is_message_type(std::string_view mime_type) noexcept {
  return mime_type == "message/rfc822" || mime_type == "message/global" ||
         mime_type == "application/mbox";
}

// Declared a message (any transfer encoding, decoded by now) or named like one: a mail client
// shows it as a message whatever its bytes look like past the header block, so it is read as one
// whenever a header block opens it.
bool presented_as_message(const Object& o) noexcept {
  const bool named_eml =
      o.name.size() > 4 && core::iequals(o.name.substr(o.name.size() - 4), ".eml");
  return (is_message_type(o.declared_type) || named_eml) &&
         filetype::opens_with_header_block(o.data);
}

// A compressed stream stores no name of its own: "report.pdf.gz" holds "report.pdf".
std::string stream_member_name(std::string_view container_name) {
  static constexpr std::array<std::string_view, 9> kSuffixes{".gz", ".bz2",  ".xz", ".zst", ".lz4",
                                                             ".lz", ".lzma", ".z",  ".uu"};
  const std::size_t slash = container_name.find_last_of("/\\");
  if (slash != std::string_view::npos) container_name.remove_prefix(slash + 1);
  for (const std::string_view s : kSuffixes) {
    if (container_name.size() > s.size() &&
        core::iequals(container_name.substr(container_name.size() - s.size()), s))
      return std::string(container_name.substr(0, container_name.size() - s.size()));
  }
  return {};
}

// Other readings of one part (add_other_readings).
constexpr std::size_t kMaxOtherReadings = 4;

constexpr mime::TransferEncoding kUuencode = mime::TransferEncoding::uuencode;

// A CR not followed by LF ends a line for Python's email, not for GMime or ksmg's parser. Where
// it changes nothing (a binary body), the other reading gives the same leaves, which are not
// added twice.
bool line_ends_ambiguous(const mime::Message& m) noexcept {
  if (m.line_ends() == mime::LineEnds::lf_or_bare_cr) return false;
  const std::string_view raw = m.raw();
  for (std::size_t at = raw.find('\r'); at != std::string_view::npos; at = raw.find('\r', at + 1))
    if (at + 1 == raw.size() || raw[at + 1] != '\n') return true;
  return false;
}

void add_limits(Object& o, LimitSet l) {
  if (l.empty()) return;
  o.limits.add(l);
  o.flags.add(Flag::limit_exceeded);
}

// The file name without its last extension: "invoice_pw_1234" of "invoice_pw_1234.zip".
std::string_view name_stem(std::string_view name) noexcept {
  const std::size_t dot = name.rfind('.');
  return dot == std::string_view::npos || dot == 0 ? name : name.substr(0, dot);
}

}  // namespace

class TreeBuilder final : public archive::PasswordSource {
 public:
  TreeBuilder(ObjectTree& tree, const ScanLimits& limits) : tree_(tree), budget_(limits) {}

  // Where passwords come from: the message (its subject, the text of its text parts, its file
  // names), or the name of a file scanned alone.
  void read_passwords_from(const mime::Message& m) { password_message_ = &m; }
  void read_passwords_from(std::string_view file_name) { password_file_name_ = file_name; }

  // Gathered on the first encrypted archive of the message, once.
  const std::vector<std::string>& candidates() override {
    if (passwords_) return *passwords_;
    std::vector<std::string> texts;
    const auto add_name = [&texts](std::string_view name) {
      if (name.empty()) return;
      texts.emplace_back(name);
      if (name_stem(name).size() != name.size()) texts.emplace_back(name_stem(name));
    };
    const auto add_message_text = [&](const mime::Message& m) {
      if (const mime::HeaderField* subject = m.header("Subject"); subject != nullptr)
        texts.push_back(subject->decoded());
      for (const mime::Part& p : m.parts()) {
        if (!p.is_leaf()) continue;
        add_name(p.filename);
        if (p.is_text()) texts.push_back(m.text(p, true).data);
      }
    };
    add_name(password_file_name_);
    if (password_message_ != nullptr) add_message_text(*password_message_);
    // The other readings of the message and the messages attached to it, read so far: a
    // password may stand in a text part only another reading shows.
    for (const auto& m : tree_.messages_) add_message_text(*m);
    // One more than is tried, so that the reader can tell when it left some untried.
    passwords_ = archive::password_candidates(texts, budget_.limits().max_password_candidates + 1);
    return *passwords_;
  }

  // Adds every leaf of `m` under `parent` (kNoObject: top level), paths starting with `prefix`.
  // For another reading of a message (`only_new`), leaves whose bytes are already in the tree
  // are left out.
  void add_message(const mime::Message& m, std::uint32_t parent, std::uint32_t depth,
                   const std::string& prefix, bool only_new = false) {
    for (const mime::Part& p : m.parts()) {
      if (!p.is_leaf()) continue;
      Object o = leaf_object(p, depth, prefix + p.path);
      LimitSet cut;
      DefectSet decoding;
      if (const auto body = m.body_as_is(p, cut)) {
        // Nothing to decode: a view into the message, no copy.
        o.data = *body;
        add_limits(o, cut);
      } else {
        mime::Decoded d = m.decode(p);
        add_limits(o, d.limits);
        decoding = d.defects;
        tree_.decode_defects_.add(d.defects);
        o.data = keep(std::move(d.data));
      }
      const bool text_part = p.is_text() && p.transfer_encoding != kUuencode;
      if (const std::optional<std::uint32_t> i =
              add_leaf(std::move(o), parent, text_part, only_new))
        add_other_decodings(m, p, *i, decoding, text_part);
    }
    add_other_readings(m, parent, depth, prefix);
  }

  // Where mail clients read a message in more than one way, every plausible reading is scanned
  // too: the structure under each boundary a client may take (another Content-Type field, the
  // plain and the RFC 2231 form of the parameter, a repeat), a leaf under each transfer
  // encoding a client may apply, and the whole message with bare CRs as line ends (Python's
  // email does so). Readings are bounded (kMaxOtherReadings per part), their copies count as
  // unpacked bytes, and only leaves that no reading gave before are added.
  void add_other_readings(const mime::Message& m, std::uint32_t parent, std::uint32_t depth,
                          const std::string& prefix) {
    for (const mime::Part& p : m.parts()) {
      if (p.defects.has(Defect::duplicate_content_type) ||
          p.defects.has(Defect::duplicate_parameter))
        add_structure_readings(m, p, parent, depth, prefix);
    }
    if (line_ends_ambiguous(m)) add_line_end_reading(m, parent, depth, prefix);
  }

  // Each boundary a client may take for this part, other than the one the parser took, read
  // as the part's structure; leaves get paths "<part>~ct<N>/...".
  void add_structure_readings(const mime::Message& m, const mime::Part& p, std::uint32_t parent,
                              std::uint32_t depth, const std::string& prefix) {
    const std::size_t max_params = budget_.limits().max_content_params;
    std::vector<std::string> boundaries;
    if (const auto chosen = p.content_type.param("boundary")) boundaries.emplace_back(*chosen);
    std::size_t readings = 0;
    for (const mime::HeaderField& f : m.headers(p)) {
      if (!core::iequals(f.name, "Content-Type")) continue;
      const std::string value = mime::detail::unfold(f.raw_value);
      mime::ContentType type;
      (void)mime::detail::parse_content_type(value, type, max_params);
      if (type.type != "multipart") continue;
      for (std::string& b : mime::detail::parameter_readings(value, "boundary", max_params)) {
        if (std::find(boundaries.begin(), boundaries.end(), b) != boundaries.end()) continue;
        if (readings == kMaxOtherReadings) return;
        ++readings;
        std::string bytes = "Content-Type: multipart/" + type.subtype + "; boundary=\"";
        for (const char c : b) {
          if (c == '"' || c == '\\') bytes += '\\';
          bytes += c;
        }
        bytes += "\"\r\n\r\n";
        boundaries.push_back(std::move(b));
        if (!take_copy(bytes.size() + p.body.size())) return;
        bytes += p.body;
        const mime::Message& other =
            keep(mime::Message::parse_owned(std::move(bytes), budget_.limits(), m.line_ends()));
        // A boundary that opens nothing gives the body back as one leaf: nothing new.
        if (!other.root().is_leaf())
          add_message(other, parent, depth,
                      prefix + p.path + "~ct" + std::to_string(readings) + '/', true);
      }
    }
  }

  // The message once more with every bare CR a line end (views into the same bytes, no copy);
  // its leaves get paths "~cr/...".
  void add_line_end_reading(const mime::Message& m, std::uint32_t parent, std::uint32_t depth,
                            const std::string& prefix) {
    add_message(
        keep(mime::Message::parse(m.raw(), budget_.limits(), mime::LineEnds::lf_or_bare_cr)),
        parent, depth, prefix + "~cr/", true);
  }

  // What other clients decode from a leaf whose transfer encoding is irregular, where it differs
  // from our decoding and from each other (mime::detail::other_decodings): each is an object
  // beside the leaf, path "<leaf>~<reading>", counted against the member and unpacked-bytes
  // budgets like the members of an archive.
  void add_other_decodings(const mime::Message& m, const mime::Part& p, std::uint32_t leaf,
                           DefectSet decoding, bool text_part) {
    decoding.add(p.defects);
    std::vector<mime::TransferEncoding> written;
    if (p.defects.has(Defect::ambiguous_transfer_encoding))
      for (const mime::HeaderField& f : m.headers(p))
        if (core::iequals(f.name, "Content-Transfer-Encoding"))
          written.push_back(mime::detail::parse_transfer_encoding(core::trim(f.raw_value)));
    const std::vector<mime::detail::OtherDecoding> readings =
        mime::detail::other_decodings(p.transfer_encoding, decoding, written);
    std::vector<std::string_view> seen{tree_.objects_[leaf].data};
    for (const mime::detail::OtherDecoding r : readings) {
      std::string bytes;
      const std::size_t unpacked_left = budget_.limits().max_unpacked_bytes - budget_.bytes_used();
      const std::size_t decoded_cap = budget_.limits().max_decoded_bytes;
      const mime::detail::DecodeStatus st =
          mime::detail::decode_other(r, p.body, bytes, std::min(decoded_cap, unpacked_left));
      // An empty reading shows nothing to scan.
      if (bytes.empty() || std::find(seen.begin(), seen.end(), bytes) != seen.end()) continue;
      if (!budget_.take_member()) {
        add_limits(tree_.objects_[leaf], limit(Limit::archive_members));
        return;
      }
      (void)budget_.take_bytes(bytes.size());
      const Object& l = tree_.objects_[leaf];
      Object c;
      c.origin = Origin::other_decoding;
      c.name = l.name;
      c.declared_type = l.declared_type;
      c.mime_part_path = l.mime_part_path;
      c.path = l.path + '~' + std::string(mime::detail::to_string(r));
      c.depth = l.depth;
      if (!st.limits.empty())
        add_limits(
            c, limit(decoded_cap <= unpacked_left ? Limit::decoded_size : Limit::unpacked_size));
      c.data = keep(std::move(bytes));
      seen.push_back(c.data);
      const std::uint32_t parent = l.parent;
      inspect(add(std::move(c), parent), text_part);
    }
  }

  void add_file(std::string_view name, std::string_view bytes) {
    Object o;
    o.origin = Origin::file;
    o.name = std::string(name);
    o.path = o.name.empty() ? std::string("#0") : o.name;
    o.data = bytes;
    inspect(add(std::move(o), kNoObject), false);
  }

  void finish() {
    // A container is only as scanned as everything inside it.
    std::vector<Object>& objs = tree_.objects_;
    for (std::size_t k = objs.size(); k-- > 0;) {
      const Object& o = objs[k];
      if (o.parent != kNoObject && o.flags.has(Flag::limit_exceeded)) {
        add_limits(objs[o.parent], o.limits);
        objs[o.parent].flags.add(Flag::limit_exceeded);
      }
    }
    tree_.unpacked_bytes_ = budget_.bytes_used();
  }

 private:
  static LimitSet limit(Limit l) {
    LimitSet s;
    s.add(l);
    return s;
  }

  // The object of a MIME leaf at `path`, before its bytes are set.
  static Object leaf_object(const mime::Part& p, std::uint32_t depth, std::string path) {
    Object o;
    o.origin = Origin::mime_part;
    o.name = p.filename;
    o.declared_type = p.content_type.mime_type();
    o.mime_part_path = p.path;
    o.path = std::move(path);
    if (!o.name.empty()) o.path += '/' + o.name;
    o.depth = depth;
    add_limits(o, p.limits);
    return o;
  }

  // Adds a leaf and takes it apart; `only_new`: not when the tree holds its bytes already
  // (nullopt).
  std::optional<std::uint32_t> add_leaf(Object o, std::uint32_t parent, bool text_part,
                                        bool only_new) {
    o.sha256 = sha256_hex(o.data);
    if (only_new && known_hashes().contains(o.sha256)) return std::nullopt;
    const std::uint32_t i = add(std::move(o), parent);
    inspect(i, text_part);
    return i;
  }

  // The hashes of every object so far, gathered the first time another reading needs them and
  // kept current from then on (add()).
  const std::unordered_set<std::string>& known_hashes() {
    if (!hashes_) {
      hashes_.emplace();
      for (const Object& o : tree_.objects_) hashes_->insert(o.sha256);
    }
    return *hashes_;
  }

  // Takes `bytes` of the unpacked budget for the copy another reading needs; false (flagged)
  // when they are not left.
  bool take_copy(std::size_t bytes) {
    if (budget_.take_bytes(bytes) == bytes) return true;
    tree_.message_limits_.add(Limit::unpacked_size);
    return false;
  }

  // Keeps a message the tree's objects will point into.
  const mime::Message& keep(mime::Message m) {
    tree_.messages_.push_back(std::make_unique<const mime::Message>(std::move(m)));
    return *tree_.messages_.back();
  }

  std::string_view keep(std::string&& bytes) {
    tree_.buffers_.push_back(std::make_unique<const std::string>(std::move(bytes)));
    return *tree_.buffers_.back();
  }

  std::uint32_t add(Object o, std::uint32_t parent) {
    std::vector<Object>& objs = tree_.objects_;
    const auto i = static_cast<std::uint32_t>(objs.size());
    o.index = i;
    o.parent = parent;
    if (hashes_) hashes_->insert(o.sha256);
    objs.push_back(std::move(o));
    if (parent != kNoObject) objs[parent].children.push_back(i);
    return i;
  }

  // Types, hashes and flags object i, then takes it apart if it is a container. `text_part`:
  // a MIME text leaf, which may carry uuencoded or yEnc files but is re-read as a message only
  // when it is presented as one (an attachment named .eml).
  void inspect(std::uint32_t i, bool text_part) {
    {
      Object& o = tree_.objects_[i];
      o.true_type = detector_.detect(o.data);
      if (o.sha256.empty()) o.sha256 = sha256_hex(o.data);
      const filetype::TrueType& t = o.true_type;
      if (t.encrypted) o.flags.add(Flag::encrypted);
      if (t.has_macros) o.flags.add(Flag::macros);
      if (t.truncated) o.flags.add(Flag::corrupted);
      if (name_type_mismatch(o.name, o.declared_type, t)) o.flags.add(Flag::name_type_mismatch);
      if (t.category == filetype::Category::pdf) {
        const archive::PdfFeatures pdf = archive::inspect_pdf(o.data);
        if (pdf.javascript) o.flags.add(Flag::javascript);
        if (pdf.open_action || pdf.launch) o.flags.add(Flag::auto_action);
        if (pdf.embedded_files) o.flags.add(Flag::embedded_objects);
        if (pdf.encrypted) o.flags.add(Flag::encrypted);
      }
    }
    const Object& o = tree_.objects_[i];
    const bool as_message =
        presented_as_message(o) || (!text_part && is_message_type(o.true_type.mime_type));
    const auto [uuencoded, yencoded] =
        text_part ? mime::detail::encoded_files_in(o.data) : mime::detail::EncodedFiles{};
    const bool container = as_message || uuencoded || yencoded ||
                           archive::container_of(o.true_type) != archive::Container::none;
    if (!container) return;
    if (o.depth + 1 > budget_.limits().max_archive_depth) {
      add_limits(tree_.objects_[i], limit(Limit::archive_depth));
      return;
    }
    if (budget_.out_of_time()) {
      add_limits(tree_.objects_[i], limit(Limit::unpack_time));
      return;
    }
    if (bomb_seen_) {
      // A message that carries one decompression bomb is hostile: the rest of its containers
      // stay closed (flagged), rather than spending the remaining budget on more of the same.
      add_limits(tree_.objects_[i], limit(Limit::compression_ratio));
      return;
    }
    if (as_message)
      expand_message(i);
    else if (uuencoded || yencoded)
      expand_encoded_files(i, uuencoded, yencoded);
    else
      expand_container(i);
  }

  void expand_message(std::uint32_t i) {
    Object& o = tree_.objects_[i];
    o.container = "message";
    const mime::Message& m = keep(mime::Message::parse(o.data, budget_.limits()));
    add_limits(o, m.all_limits());
    add_message(m, i, o.depth + 1, o.path + '/');
  }

  // Files encoded in the text of a MIME leaf, as a newsreader or mail client decodes them:
  // every uuencoded block, then every yEnc block, each an object under the text.
  void expand_encoded_files(std::uint32_t i, bool uuencoded, bool yencoded) {
    tree_.objects_[i].container = !yencoded ? "uuencode" : !uuencoded ? "yenc" : "uuencode+yenc";
    const std::string_view text = tree_.objects_[i].data;
    std::size_t n = 0;
    if (uuencoded)
      for (const mime::detail::EncodedFileBlock& b : mime::detail::uuencoded_blocks(text))
        if (!add_encoded_file(i, b, Origin::uuencoded, n++)) return;
    if (yencoded)
      for (const mime::detail::EncodedFileBlock& b : mime::detail::yenc_blocks(text))
        if (!add_encoded_file(i, b, Origin::yencoded, n++)) return;
  }

  // False when the message's member budget is spent (the text is flagged).
  bool add_encoded_file(std::uint32_t i, const mime::detail::EncodedFileBlock& b, Origin origin,
                        std::size_t n) {
    Object& parent = tree_.objects_[i];
    if (!budget_.take_member()) {
      add_limits(parent, limit(Limit::archive_members));
      return false;
    }
    Object c;
    c.origin = origin;
    // Capped like the names of archive members.
    c.name = mime::to_utf8("utf-8", b.name, archive::detail::kMaxMemberNameBytes).data;
    c.path = parent.path + '/' + (c.name.empty() ? '#' + std::to_string(n) : c.name);
    c.depth = parent.depth + 1;
    std::string bytes;
    const std::size_t unpacked_left = budget_.limits().max_unpacked_bytes - budget_.bytes_used();
    const std::size_t member_cap = budget_.limits().max_member_bytes;
    const std::size_t cap = std::min(member_cap, unpacked_left);
    const mime::detail::DecodeStatus st = origin == Origin::yencoded
                                              ? mime::detail::decode_yenc(b.text, bytes, cap)
                                              : mime::detail::decode_uuencode(b.text, bytes, cap);
    if (st.defects.has(Defect::invalid_uuencode) || st.defects.has(Defect::invalid_yenc))
      c.flags.add(Flag::corrupted);
    if (!st.limits.empty())
      add_limits(c, limit(member_cap <= unpacked_left ? Limit::member_size : Limit::unpacked_size));
    (void)budget_.take_bytes(bytes.size());
    c.data = keep(std::move(bytes));
    inspect(add(std::move(c), i), false);
    return true;
  }

  void expand_container(std::uint32_t i) {
    archive::Contents contents =
        archive::unpack(tree_.objects_[i].data, tree_.objects_[i].true_type, budget_, this);
    {
      Object& o = tree_.objects_[i];
      o.container = contents.format;
      // The entries the type detector saw encrypted were opened with a password.
      o.password = std::move(contents.password);
      if (!o.password.empty()) o.flags.remove(Flag::encrypted);
      if (contents.encrypted) o.flags.add(Flag::encrypted);
      if (contents.corrupted) o.flags.add(Flag::corrupted);
      add_limits(o, contents.limits);
      bomb_seen_ = bomb_seen_ || contents.limits.has(Limit::compression_ratio);
      if (contents.format == "rtf" && !contents.members.empty())
        o.flags.add(Flag::embedded_objects);
    }
    std::size_t n = 0;
    for (archive::Member& m : contents.members) {
      const Object& parent = tree_.objects_[i];
      Object c;
      c.origin = Origin::member;
      c.name = m.name.empty() && contents.members.size() == 1 ? stream_member_name(parent.name)
                                                              : std::move(m.name);
      c.path = parent.path + '/' + (c.name.empty() ? '#' + std::to_string(n) : c.name);
      c.depth = parent.depth + 1;
      c.declared_size = m.declared_size;
      if (m.encrypted) c.flags.add(Flag::encrypted);
      if (m.corrupted) c.flags.add(Flag::corrupted);
      add_limits(c, m.limits);
      bomb_seen_ = bomb_seen_ || m.limits.has(Limit::compression_ratio);
      c.data = keep(std::move(m.data));
      ++n;
      inspect(add(std::move(c), i), false);
    }
  }

  ObjectTree& tree_;
  archive::Budget budget_;
  filetype::Detector detector_;
  bool bomb_seen_ = false;
  std::optional<std::unordered_set<std::string>> hashes_;  // see known_hashes()
  const mime::Message* password_message_ = nullptr;
  std::string_view password_file_name_;
  std::optional<std::vector<std::string>> passwords_;  // see candidates()
};

ObjectTree ObjectTree::of_message(const mime::Message& message) {
  ObjectTree tree;
  tree.message_limits_ = message.all_limits();
  TreeBuilder b(tree, message.scan_limits());
  b.read_passwords_from(message);
  b.add_message(message, kNoObject, 0, "");
  b.finish();
  return tree;
}

ObjectTree ObjectTree::of_file(std::string_view name, std::string_view bytes,
                               const ScanLimits& limits) {
  ObjectTree tree;
  TreeBuilder b(tree, limits);
  b.read_passwords_from(name);
  b.add_file(name, bytes);
  b.finish();
  return tree;
}

FlagSet ObjectTree::all_flags() const noexcept {
  FlagSet f;
  for (const Object& o : objects_) f.add(o.flags);
  return f;
}

LimitSet ObjectTree::all_limits() const noexcept {
  LimitSet l = message_limits_;
  for (const Object& o : objects_) l.add(o.limits);
  return l;
}

}  // namespace ksmg::objects
