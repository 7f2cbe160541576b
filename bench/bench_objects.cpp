// bench_objects.cpp — the objects stage (parse, then ObjectTree: decode, type, hash, unpack) over
// the SpamAssassin corpus, next to the two things it is made of or replaces, in the same run:
// parsing alone (its floor) and the naive tree (decode every leaf, plain libmagic and SHA-256 on
// each, no unpacking), which is what calling libmagic everywhere would cost. And the tree over
// real attachment files of many types (tests/data: truetype samples, ClamAV's wrapped test
// executable, libarchive's valid archives, oletools' Office files), where unpacking dominates.
// One iteration is one pass over the whole set; bytes are input bytes.
#include <benchmark/benchmark.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "bench_corpus.hpp"
#include "inputs.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/hash.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"

namespace {

using ksmg::mime::Message;
using ksmg::objects::ObjectTree;

using ksmg::bench::corpus_messages;
using ksmg::bench::InputSet;

const InputSet& attachments() {
  static const InputSet s = [] {
    InputSet out;
    const std::filesystem::path data = std::filesystem::path(KSMG_SOURCE_DIR) / "tests/data";
    for (const char* sub :
         {"truetype", "av/clamav-testfiles", "av/oletools", "archives/libarchive"}) {
      std::error_code ec;
      for (const auto& e : std::filesystem::recursive_directory_iterator(data / sub, ec)) {
        const std::string name = e.path().filename().string();
        if (!e.is_regular_file() || name == "SOURCE.md" || name.ends_with(".tsv")) continue;
        // Fuzz reproducers and hostile samples are for the robustness tests, not for throughput.
        if (name.find("fuzz") != std::string::npos || name.find("malformed") != std::string::npos)
          continue;
        std::ifstream in(e.path(), std::ios::binary);
        out.items.emplace_back(std::istreambuf_iterator<char>(in),
                               std::istreambuf_iterator<char>());
        out.names.push_back(name);
        out.bytes += out.items.back().size();
      }
    }
    if (out.items.empty()) out.error = "no attachment samples under " + data.string();
    return out;
  }();
  return s;
}

void BM_parse_only_corpus(benchmark::State& state) {
  ksmg::bench::run_over(state, corpus_messages(), [](std::size_t, std::string_view raw) {
    const Message m = Message::parse(raw);
    return m.parts().size();
  });
}

void BM_objects_corpus(benchmark::State& state) {
  ksmg::bench::run_over(state, corpus_messages(), [](std::size_t, std::string_view raw) {
    const Message m = Message::parse(raw);
    return ObjectTree::of_message(m).objects().size();
  });
}

// The peer: the same leaves, decoded, each handed to libmagic and hashed; nothing unpacked.
void BM_naive_libmagic_tree_corpus(benchmark::State& state) {
  ksmg::bench::run_over(state, corpus_messages(), [](std::size_t, std::string_view raw) {
    const Message m = Message::parse(raw);
    std::size_t n = 0;
    for (const auto& p : m.parts()) {
      if (!p.is_leaf()) continue;
      const ksmg::mime::Decoded d = m.decode(p);
      benchmark::DoNotOptimize(ksmg::filetype::Detector::libmagic_mime(d.data));
      benchmark::DoNotOptimize(ksmg::sha256_hex(d.data));
      ++n;
    }
    return n;
  });
}

void BM_objects_attachments(benchmark::State& state) {
  ksmg::bench::run_over(state, attachments(), [](std::size_t i, std::string_view data) {
    return ObjectTree::of_file(attachments().names[i], data).objects().size();
  });
}

}  // namespace

BENCHMARK(BM_parse_only_corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_objects_corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_naive_libmagic_tree_corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_objects_attachments)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
