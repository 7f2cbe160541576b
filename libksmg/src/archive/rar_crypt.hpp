// rar_crypt.hpp — the two halves of detail::decrypt_rar (internal): RAR 2.9 to 4.x archives
// (rar4_crypt.cpp) and RAR 5 archives (rar5_crypt.cpp) rewritten as plain copies, and the rules
// both follow.
//
// Both walk the archive's blocks once, in order, and write the copy as they go: a block that
// needs no change is copied, an encrypted header is written decrypted, a file whose data this
// password decrypts is written with its encryption fields removed and its data decrypted,
// service blocks (comments, recovery records, quick-open caches) are dropped (libarchive reads
// none of them). A file that a check the format offers shows to be under another password stays
// as it is, still encrypted, so that a later candidate can open it in the copy. Damage or a cut
// ends the copy where it is met; libarchive then reports the copy as the original would be.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include "archive/decrypt.hpp"
#include "archive/rar_keys.hpp"
#include "ksmg/archive.hpp"

namespace ksmg::archive::detail::rar {

// Blocks of one archive rewritten at most: far more than mail carries, and it bounds the work a
// hostile archive of tiny blocks asks for.
inline constexpr std::size_t kMaxBlocks = std::size_t{1} << 16;

// How the walk goes on after one block.
enum class Step : std::uint8_t {
  go_on,
  end_copy,        // damage or a cut: the copy ends before this block
  wrong_password,  // a check of the whole archive says the password is not this one
  unsupported,     // an encryption or layout no password would get through
  out_of_time,
};

// A key derivation's result as a step of the walk.
[[nodiscard]] constexpr Step step_of(Derivation d) noexcept {
  switch (d) {
    case Derivation::done:
      return Step::go_on;
    case Derivation::out_of_time:
      return Step::out_of_time;
    case Derivation::failed:
      break;
  }
  return Step::unsupported;
}

// What one password did to an archive's files, and the status that follows: opened when it
// decrypted any file (its data, or its header in an archive with encrypted headers), else
// wrong_password when a check refused it for some file, else unsupported (nothing encrypted that
// this rewrite could decrypt).
struct Outcome {
  std::size_t opened = 0;
  std::size_t refused = 0;
  [[nodiscard]] Decrypted finish(std::string copy) const;
  [[nodiscard]] static Decrypted stopped(Step step);  // wrong_password, unsupported, out_of_time
};

// The walk both rewrites share: block by block from `pos` until the end block, the end of the
// input or a step other than go_on; `rewrite.block(pos)` writes one block to `out` and moves pos
// past it, `rewrite.ended()` says the block was the end block. Damage or a cut (end_copy) ends
// the copy with the rest of the input as it is: libarchive then meets the damage where the
// original has it, and can read ahead past the last data area as it does in the original.
template <class Rewrite>
[[nodiscard]] Decrypted copy_blocks(Rewrite& rewrite, std::string_view data, std::size_t pos,
                                    std::string& out, const Outcome& outcome, Budget& budget) {
  for (std::size_t blocks = 0; pos < data.size(); ++blocks) {
    if (blocks == kMaxBlocks) return Outcome::stopped(Step::unsupported);
    if (budget.out_of_time()) return Outcome::stopped(Step::out_of_time);
    const Step step = rewrite.block(pos);
    if (step == Step::end_copy) {
      out.append(data.substr(pos));
      break;
    }
    if (step != Step::go_on) return Outcome::stopped(step);
    if (rewrite.ended()) break;
  }
  return outcome.finish(std::move(out));
}

// The archive in `data` whose RAR 4 (7-byte) or RAR 5 (8-byte) signature is at `signature`.
[[nodiscard]] Decrypted decrypt_rar4(std::string_view data, std::size_t signature,
                                     const Password& password, Budget& budget);
[[nodiscard]] Decrypted decrypt_rar5(std::string_view data, std::size_t signature,
                                     const Password& password, Budget& budget);

}  // namespace ksmg::archive::detail::rar
