// ksmg/objects.hpp — the tree of scannable objects of one message: every MIME leaf and,
// recursively, every member of every archive or compound object, each with its true type.
//
// This is what the scanning modules read (anti-virus, content filter): they never walk MIME or
// archives themselves. Building the tree decodes, unpacks and types everything once, under the
// limits of ScanLimits; what a limit cut is marked limit_exceeded, never dropped silently and
// never reported as clean. A built tree is immutable and may be read by any number of threads.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/defects.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/flags.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::objects {

// Where an object came from.
enum class Origin : std::uint8_t {
  file,            // the whole input, when it is not a mail message (ObjectTree::of_file)
  mime_part,       // a MIME leaf (of the message, or of a message embedded in an object)
  member,          // a member of an archive or compound object (its parent says which format)
  uuencoded,       // a "begin NNN name" block in the text of a MIME leaf
  yencoded,        // a "=ybegin ... name=F" block in the text of a MIME leaf
  other_decoding,  // how another common client decodes a MIME leaf whose transfer encoding
                   // is irregular, where that differs from the leaf's own bytes
};
std::string_view to_string(Origin o) noexcept;

inline constexpr std::uint32_t kNoObject = 0xffffffffu;

struct Object {
  std::uint32_t index = 0;           // position in ObjectTree::objects(), document order
  std::uint32_t parent = kNoObject;  // the container it was taken out of
  std::uint32_t depth = 0;           // containers above it: attachments 0, their members 1, ...
  std::vector<std::uint32_t> children;
  Origin origin = Origin::mime_part;

  // parent's path + "/" + name (or an index when there is no name). MIME leaves start with the
  // part path: "2/invoice.zip", and members continue it: "2/invoice.zip/docs/report.xlsm".
  std::string path;
  std::string name;            // declared file name (UTF-8), "" when none
  std::string declared_type;   // the MIME Content-Type of a MIME leaf; "" for members
  std::string mime_part_path;  // Part::path of a MIME leaf (in its own message); "" otherwise

  std::string_view data;            // the object's bytes (MIME leaves: transfer-decoded)
  std::uint64_t declared_size = 0;  // what a container header claimed, 0 when unknown
  std::string sha256;               // of data, lower-case hex
  filetype::TrueType true_type;
  std::string container;  // format it was taken apart as ("zip", "tnef", "message", ...), or ""
  // The password, found in the message's text, that opened this encrypted container; "" when
  // it needed none or none of the candidates opened it (then it is flagged encrypted); one per
  // line when its entries needed several.
  std::string password;
  FlagSet flags;
  LimitSet limits;  // the limits behind limit_exceeded

  [[nodiscard]] std::uint64_t size() const noexcept { return data.size(); }
};

class ObjectTree {
 public:
  // Every leaf of a parsed message, and everything inside them. The message must outlive the
  // tree (MIME leaves that need no decoding are views into it). Limits are the message's.
  [[nodiscard]] static ObjectTree of_message(const mime::Message& message);
  // A file that is not a mail message, as one attachment named `name`. `bytes` must outlive
  // the tree.
  [[nodiscard]] static ObjectTree of_file(std::string_view name, std::string_view bytes,
                                          const ScanLimits& limits = {});

  [[nodiscard]] const std::vector<Object>& objects() const noexcept { return objects_; }
  // Union over all objects; all_limits() also has the limits of the message itself
  // (message_size, part_count, ...), which belong to no single object.
  [[nodiscard]] FlagSet all_flags() const noexcept;
  [[nodiscard]] LimitSet all_limits() const noexcept;
  // Bytes unpacked from containers (what max_unpacked_bytes bounds).
  [[nodiscard]] std::size_t unpacked_bytes() const noexcept { return unpacked_bytes_; }
  // What transfer decoding of the MIME leaves found wrong (invalid base64, ...), in the message
  // and in messages inside it: defects that parsing alone does not see.
  [[nodiscard]] DefectSet decode_defects() const noexcept { return decode_defects_; }

 private:
  friend class TreeBuilder;
  ObjectTree() = default;

  std::vector<Object> objects_;
  // Owned bytes the objects' views point into (decoded parts, unpacked members) and messages
  // parsed from objects; held by pointer so that views survive moves of the tree.
  std::vector<std::unique_ptr<const std::string>> buffers_;
  std::vector<std::unique_ptr<const mime::Message>> messages_;
  std::size_t unpacked_bytes_ = 0;
  LimitSet message_limits_;
  DefectSet decode_defects_;
};

// True when the extension of `name` or the declared MIME type disagrees with the true type in a
// way that matters (an executable called .pdf, a macro document called .docx); kinds of text
// (plain, HTML, script) are not told apart, nor are formats within images or archives.
[[nodiscard]] bool name_type_mismatch(std::string_view name, std::string_view declared_type,
                                      const filetype::TrueType& true_type) noexcept;

}  // namespace ksmg::objects
