// transfer_decode.hpp — Content-Transfer-Encoding decoders (RFC 2045, uuencode) and the
// decoders of files encoded in text (uuencode, yEnc), internal.
//
// Each decoder appends to `out`, never writes more than `max_out` bytes in total to it
// (out.size() after the call <= max_out; reaching the cap sets Limit::decoded_size and stops),
// and reports irregularities as defects instead of failing. They are tolerant the way
// mail clients are: base64 skips characters outside its alphabet, quoted-printable keeps
// a malformed '=' literally.
#pragma once

#include <cstddef>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "ksmg/defects.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::mime::detail {

struct DecodeStatus {
  DefectSet defects;
  LimitSet limits;
};

DecodeStatus decode_base64(std::string_view in, std::string& out, std::size_t max_out);
DecodeStatus decode_quoted_printable(std::string_view in, std::string& out, std::size_t max_out);
// RFC 2047 "Q" encoding: quoted-printable where '_' stands for a space.
DecodeStatus decode_q_word(std::string_view in, std::string& out, std::size_t max_out);
// Decodes every "begin NNN name" ... "end" block of the input (text around them is dropped).
DecodeStatus decode_uuencode(std::string_view in, std::string& out, std::size_t max_out);

// Which files encoded in its lines a text holds (looked for where no CTE says so): a uuencode
// "begin NNN name" line, a yEnc "=ybegin " line. One pass.
struct EncodedFiles {
  bool uuencoded = false;
  bool yencoded = false;
};
[[nodiscard]] EncodedFiles encoded_files_in(std::string_view text) noexcept;

// One file encoded in a text: the name as written and the text of its block, which the
// decoder of its kind turns into that file alone.
struct EncodedFileBlock {
  std::string_view name;
  std::string_view text;
};
// "begin NNN name" blocks: each from its begin line up to the next begin line (or the end).
std::vector<EncodedFileBlock> uuencoded_blocks(std::string_view in);

// yEnc, as newsreaders decode it in the text of a post or a mail: "=ybegin ... name=F" lines,
// an optional "=ypart begin=B end=E" line, data lines, "=yend size=N [part=P pcrc32=H] crc32=H".
// "=ybegin" blocks: each from its =ybegin line up to the next one (or the end).
std::vector<EncodedFileBlock> yenc_blocks(std::string_view in);
// Decodes the first =ybegin block of the input. A missing =yend, or a size or CRC-32 that
// differs from what =ybegin and =yend declare, is the defect invalid_yenc.
DecodeStatus decode_yenc(std::string_view in, std::string& out, std::size_t max_out);

// How other common clients read an irregular encoded body where their bytes differ from what
// the decoders above give (those read as leniently as any client: every sextet, every soft
// break). An attachment is what the recipient's client shows, byte for byte, so each of these
// readings is scanned too; they are made only for a body whose decoding met a defect, or whose
// Content-Transfer-Encoding clients read differently (Defect::ambiguous_transfer_encoding: two
// fields, or one with a comment or blanks that a client comparing the raw value does not know).
enum class OtherDecoding : std::uint8_t {
  base64_ends_at_padding,  // GMime, mutt: the first '=' ends the data
  base64_python,           // Python's email: a lone '=' is skipped, a full padding ends the
                           // data, a body that does not decode is shown undecoded
  qp_strict,               // GMime: '=' is a soft break only right before the line break;
                           // blanks at line ends are kept
  qp_python,               // Python's email: the same, and "=<CR>" skips to the next line
  as_is,                   // Python's email: a uuencoded body it cannot read is shown
                           // undecoded; any client: an encoding it does not know
  // The encoding another Content-Transfer-Encoding field of the part names.
  as_base64,
  as_quoted_printable,
  as_uuencode,
};
std::string_view to_string(OtherDecoding r) noexcept;

// The other readings of a body in encoding `e` whose own decoding (or its part) found
// `defects`; `written`: every encoding the part's Content-Transfer-Encoding fields name.
std::vector<OtherDecoding> other_decodings(TransferEncoding e, DefectSet defects,
                                           std::span<const TransferEncoding> written = {});
DecodeStatus decode_other(OtherDecoding r, std::string_view in, std::string& out,
                          std::size_t max_out);

}  // namespace ksmg::mime::detail
