// bench_av.cpp — the anti-virus stage (ksmg::av::Database::scan) on ClamAV's unit-test signatures
// (tests/data/av/clamav-unit/sigs), next to its peer, libclamav scanning the raw message itself
// the way clamd and clamav-milter do (its own MAIL parser on), in the same run. The issue's
// target: >= 40 MB/s per core over the corpus. Rows:
//   BM_AvStage_Corpus/no_clean_cache   trees built beforehand (the objects stage is measured in
//                                      bench_objects.cpp), then scan() of every message; the
//                                      clean cache is off so that a second pass costs the same
//   BM_AvStage_Corpus/no_clean_cache_body_html_parsed
//                                      the same with libclamav's HTML normaliser on the
//                                      message's own HTML too (Settings::parse_body_html)
//   BM_AvStage_Corpus/clean_cache      the same with the cache on, as in production; after the
//                                      first pass every content scanned with all parsers on is a
//                                      hit (HTML and unpacked containers stay outside the cache),
//                                      so this is what a message costs when libclamav has seen
//                                      all of it before
//   BM_ClamavOwnMailParser_Corpus      the peer: each raw message to libclamav, all parsers on
//   BM_AvStage_Attachments             the corpus's attachments (depth-0 objects that are not
//                                      text or HTML) and ClamAV's test files, each a file tree
//   BM_AvCallOverhead/<temp dir>       one short text (89 bytes) again and again: the fixed cost
//                                      of a libclamav call, on tmpfs and on disk (libclamav
//                                      makes and removes a directory for every call)
//   BM_Archive_*                       a deflate zip of 400 corpus messages: ours (unpack with
//                                      libarchive, scan the members and the zip raw), libclamav
//                                      alone with its archive parser, and ours without the unpack
// One iteration is one pass over a set; bytes are input bytes (messages, files, the zip) and
// times are CPU times of the one benchmark thread.
#include <archive.h>
#include <archive_entry.h>
#include <benchmark/benchmark.h>
#include <clamav.h>

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "bench_corpus.hpp"
#include "ksmg/antivirus.hpp"
#include "ksmg/filetype.hpp"
#include "ksmg/limits.hpp"
#include "ksmg/mime.hpp"
#include "ksmg/objects.hpp"

namespace {

using ksmg::av::Database;
using ksmg::bench::corpus_messages;
using ksmg::bench::corpus_trees;
using ksmg::bench::InputSet;
using ksmg::objects::ObjectTree;

const std::string kSignatures = std::string(KSMG_SOURCE_DIR) + "/tests/data/av/clamav-unit/sigs";

// The database on the test signatures, loaded once per (clean cache, temp dir, body HTML
// parsed); null with `error` set when it does not load.
std::shared_ptr<const Database> database(bool clean_cache, const std::string& temp_dir,
                                         std::string& error, bool parse_body_html = false) {
  static std::map<std::tuple<bool, std::string, bool>,
                  std::pair<std::shared_ptr<const Database>, std::string>>
      loaded;
  auto [it, added] = loaded.try_emplace({clean_cache, temp_dir, parse_body_html});
  if (added) {
    ksmg::av::Settings s;
    s.database_dir = kSignatures;
    s.temp_dir = temp_dir;
    s.clean_cache = clean_cache;
    s.parse_body_html = parse_body_html;
    it->second.first = Database::load(s, {}, it->second.second);
  }
  error = it->second.second;
  return it->second.first;
}

// A libclamav engine of our own on the same signatures, with the library's limits, its cache
// off and its temp directory where the library's default puts it.
class Engine {
 public:
  Engine() {
    if (const cl_error_t rc = cl_init(CL_INIT_DEFAULT); rc != CL_SUCCESS) {
      error_ = std::string("cl_init: ") + cl_strerror(rc);
      return;
    }
    engine_ = cl_engine_new();
    const ksmg::ScanLimits limits;
    const std::pair<cl_engine_field, std::size_t> numbers[] = {
        {CL_ENGINE_MAX_SCANSIZE, limits.max_av_scan_bytes},
        {CL_ENGINE_MAX_FILESIZE, limits.max_av_file_bytes},
        {CL_ENGINE_MAX_RECURSION, limits.max_av_recursion},
        {CL_ENGINE_MAX_FILES, limits.max_av_files},
        {CL_ENGINE_MAX_SCANTIME, limits.max_av_object_ms},
        {CL_ENGINE_DISABLE_CACHE, 1},
    };
    cl_error_t rc = engine_ == nullptr ? CL_EMEM : CL_SUCCESS;
    for (const auto& [field, value] : numbers)
      if (rc == CL_SUCCESS) rc = cl_engine_set_num(engine_, field, static_cast<long long>(value));
    if (rc == CL_SUCCESS) rc = cl_engine_set_str(engine_, CL_ENGINE_TMPDIR, "/dev/shm");
    unsigned int signatures = 0;
    if (rc == CL_SUCCESS) rc = cl_load(kSignatures.c_str(), engine_, &signatures, CL_DB_STDOPT);
    if (rc == CL_SUCCESS) rc = cl_engine_compile(engine_);
    if (rc != CL_SUCCESS) error_ = std::string("libclamav engine: ") + cl_strerror(rc);
  }
  ~Engine() {
    if (engine_ != nullptr) cl_engine_free(engine_);
  }
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  [[nodiscard]] const std::string& error() const noexcept { return error_; }

  // The heuristics the library turns on, with the given parsers.
  [[nodiscard]] cl_error_t scan(std::string_view data, unsigned int parse) const {
    cl_scan_options options{};
    options.general = CL_SCAN_GENERAL_HEURISTICS;
    options.parse = parse;
    options.heuristic = CL_SCAN_HEURISTIC_ENCRYPTED_ARCHIVE | CL_SCAN_HEURISTIC_ENCRYPTED_DOC |
                        CL_SCAN_HEURISTIC_EXCEEDS_MAX | CL_SCAN_HEURISTIC_MACROS |
                        CL_SCAN_HEURISTIC_BROKEN;
    cl_fmap_t* map = cl_fmap_open_memory(data.data(), data.size());
    if (map == nullptr) return CL_EMAP;
    const char* virname = nullptr;
    unsigned long scanned = 0;
    const cl_error_t rc =
        cl_scanmap_callback(map, nullptr, &virname, &scanned, engine_, &options, nullptr);
    cl_fmap_close(map);
    return rc;
  }

 private:
  cl_engine* engine_ = nullptr;
  std::string error_;
};

const Engine& engine() {
  static const Engine e;
  return e;
}

constexpr unsigned int kAllParsers = ~0u;
constexpr unsigned int kAllButMail = ~0u & ~static_cast<unsigned int>(CL_SCAN_PARSE_MAIL);

// Scans trees[i] for input i of `set` in every iteration: bytes are the set's, and the counters
// say how many libclamav calls a pass makes and what one costs, and how many inputs were not
// clean (the same in every row that scans the same inputs).
void scan_trees(benchmark::State& state, const InputSet& set, const std::vector<ObjectTree>& trees,
                const std::shared_ptr<const Database>& db) {
  std::uint64_t calls = 0;
  std::uint64_t flagged = 0;
  ksmg::bench::run_over(state, set, [&](std::size_t i, std::string_view) {
    const ksmg::av::Result r = db->scan(trees[i]);
    calls += r.objects_scanned;
    flagged += r.module.status != ksmg::verdict::Status::clean ? 1 : 0;
    return r.objects_scanned;
  });
  if (state.iterations() == 0) return;
  const double passes = static_cast<double>(state.iterations());
  state.counters["calls/s"] =
      benchmark::Counter(static_cast<double>(calls), benchmark::Counter::kIsRate);
  state.counters["time/call"] = benchmark::Counter(
      static_cast<double>(calls), benchmark::Counter::kIsRate | benchmark::Counter::kInvert);
  state.counters["calls/item"] =
      static_cast<double>(calls) / passes / static_cast<double>(trees.size());
  state.counters["flagged"] = static_cast<double>(flagged) / passes;
}

void BM_AvStage_Corpus(benchmark::State& state, bool clean_cache, bool parse_body_html) {
  std::string error;
  const auto db = database(clean_cache, "", error, parse_body_html);
  if (db == nullptr) return state.SkipWithError(error.c_str());
  if (clean_cache) state.SetLabel("clean cache on (production): all hits after the first pass");
  scan_trees(state, corpus_messages(), corpus_trees().trees, db);
}

void BM_ClamavOwnMailParser_Corpus(benchmark::State& state) {
  if (!engine().error().empty()) return state.SkipWithError(engine().error().c_str());
  std::uint64_t flagged = 0;
  ksmg::bench::run_over(state, corpus_messages(), [&](std::size_t, std::string_view raw) {
    const cl_error_t rc = engine().scan(raw, kAllParsers);
    flagged += rc == CL_VIRUS ? 1 : 0;
    return rc;
  });
  state.counters["flagged"] =
      static_cast<double>(flagged) / static_cast<double>(state.iterations());
}

// The attachments: corpus objects that are not text, outside any such object already taken,
// and ClamAV's test files, each with the file tree made of it.
struct FileTrees {
  InputSet set;
  std::vector<ObjectTree> trees;
};

const FileTrees& attachments() {
  static const FileTrees f = [] {
    FileTrees out;
    for (const ObjectTree& tree : corpus_trees().trees) {
      const auto& objects = tree.objects();
      std::vector<bool> covered(objects.size(), false);
      for (const ksmg::objects::Object& o : objects) {
        if (o.parent != ksmg::objects::kNoObject && covered[o.parent]) {
          covered[o.index] = true;
          continue;
        }
        const auto category = o.true_type.category;
        if (o.data.empty() || o.container == "message" ||
            category == ksmg::filetype::Category::text ||
            category == ksmg::filetype::Category::html)
          continue;
        covered[o.index] = true;
        out.set.names.push_back(o.name.empty() ? o.path : o.name);
        out.set.items.emplace_back(o.data);
      }
    }
    const std::filesystem::path dir =
        std::filesystem::path(KSMG_SOURCE_DIR) / "tests/data/av/clamav-testfiles";
    std::error_code ec;
    for (const auto& e : std::filesystem::directory_iterator(dir, ec)) {
      if (!e.is_regular_file() || e.path().filename() == "SOURCE.md") continue;
      std::ifstream in(e.path(), std::ios::binary);
      out.set.names.push_back(e.path().filename().string());
      out.set.items.emplace_back(std::istreambuf_iterator<char>(in),
                                 std::istreambuf_iterator<char>());
    }
    for (std::size_t i = 0; i < out.set.items.size(); ++i) {
      out.set.bytes += out.set.items[i].size();
      out.trees.push_back(ObjectTree::of_file(out.set.names[i], out.set.items[i]));
    }
    if (out.set.items.empty()) out.set.error = "no attachments in the corpus or " + dir.string();
    return out;
  }();
  return f;
}

void BM_AvStage_Attachments(benchmark::State& state) {
  std::string error;
  const auto db = database(false, "", error);
  if (db == nullptr) return state.SkipWithError(error.c_str());
  scan_trees(state, attachments().set, attachments().trees, db);
}

// One small text, its tree, scanned with the temp directory `temp_dir`.
void BM_AvCallOverhead(benchmark::State& state, const char* temp_dir) {
  std::error_code ec;
  std::filesystem::create_directories(temp_dir, ec);
  std::string error;
  const auto db = database(false, temp_dir, error);
  if (db == nullptr) return state.SkipWithError(error.c_str());
  static const FileTrees tiny = [] {
    FileTrees out;
    out.set.names.emplace_back("note.txt");
    out.set.items.emplace_back(
        "Hello,\nthe minutes of Tuesday's meeting are attached. Regards, the secretary.\n"
        "-- \nOffice\n");
    out.set.bytes = out.set.items.back().size();
    out.trees.push_back(ObjectTree::of_file(out.set.names.back(), out.set.items.back()));
    return out;
  }();
  scan_trees(state, tiny.set, tiny.trees, db);
}

// A zip (deflate) of the first 400 corpus messages, made in memory, with its tree.
const FileTrees& corpus_zip() {
  static const FileTrees f = [] {
    FileTrees out;
    const InputSet& messages = corpus_messages();
    if (out.set.error = messages.error; !out.set.error.empty()) return out;
    std::string zip;
    archive* a = archive_write_new();
    auto append = [](archive*, void* to, const void* data, size_t n) -> la_ssize_t {
      static_cast<std::string*>(to)->append(static_cast<const char*>(data), n);
      return static_cast<la_ssize_t>(n);
    };
    bool ok = archive_write_set_format_zip(a) == ARCHIVE_OK &&
              archive_write_set_options(a, "zip:compression=deflate") == ARCHIVE_OK &&
              archive_write_set_bytes_in_last_block(a, 1) == ARCHIVE_OK &&
              archive_write_open(a, &zip, nullptr, append, nullptr) == ARCHIVE_OK;
    for (std::size_t i = 0; ok && i < std::min<std::size_t>(400, messages.items.size()); ++i) {
      const std::string& m = messages.items[i];
      archive_entry* e = archive_entry_new();
      archive_entry_set_pathname(e, ("msg" + std::to_string(i) + ".eml").c_str());
      archive_entry_set_filetype(e, AE_IFREG);
      archive_entry_set_perm(e, 0644);
      archive_entry_set_size(e, static_cast<la_int64_t>(m.size()));
      ok = archive_write_header(a, e) == ARCHIVE_OK &&
           archive_write_data(a, m.data(), m.size()) == static_cast<la_ssize_t>(m.size());
      archive_entry_free(e);
    }
    ok = archive_write_close(a) == ARCHIVE_OK && ok;
    if (!ok) {
      const char* why = archive_error_string(a);
      out.set.error = std::string("writing the zip: ") + (why != nullptr ? why : "?");
    }
    archive_write_free(a);
    if (!ok) return out;
    out.set.names.emplace_back("corpus.zip");
    out.set.items.push_back(std::move(zip));
    out.set.bytes = out.set.items.back().size();
    out.trees.push_back(ObjectTree::of_file(out.set.names.back(), out.set.items.back()));
    return out;
  }();
  return f;
}

void BM_Archive_Ours(benchmark::State& state) {
  std::string error;
  const auto db = database(false, "", error);
  if (db == nullptr) return state.SkipWithError(error.c_str());
  std::uint64_t calls = 0;
  ksmg::bench::run_over(state, corpus_zip().set, [&](std::size_t, std::string_view zip) {
    const ObjectTree tree = ObjectTree::of_file("corpus.zip", zip);
    const std::size_t n = db->scan(tree).objects_scanned;
    calls += n;
    return n;
  });
  if (state.iterations() == 0) return;
  state.counters["calls/item"] =
      static_cast<double>(calls) / static_cast<double>(state.iterations());
  state.counters["unpacked_bytes"] = static_cast<double>(corpus_zip().trees[0].unpacked_bytes());
}

void BM_Archive_ClamavAlone(benchmark::State& state) {
  if (!engine().error().empty()) return state.SkipWithError(engine().error().c_str());
  ksmg::bench::run_over(state, corpus_zip().set, [](std::size_t, std::string_view zip) {
    return engine().scan(zip, kAllButMail);
  });
}

void BM_Archive_OursScanOnly(benchmark::State& state) {
  std::string error;
  const auto db = database(false, "", error);
  if (db == nullptr) return state.SkipWithError(error.c_str());
  scan_trees(state, corpus_zip().set, corpus_zip().trees, db);
}

}  // namespace

BENCHMARK_CAPTURE(BM_AvStage_Corpus, no_clean_cache, false, false)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AvStage_Corpus, no_clean_cache_body_html_parsed, false, true)
    ->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AvStage_Corpus, clean_cache, true, false)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ClamavOwnMailParser_Corpus)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_AvStage_Attachments)->Unit(benchmark::kMillisecond);
BENCHMARK_CAPTURE(BM_AvCallOverhead, dev_shm, "/dev/shm")->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AvCallOverhead, disk, KSMG_BENCH_DISK_TMP)->Unit(benchmark::kMicrosecond);
BENCHMARK(BM_Archive_Ours)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Archive_ClamavAlone)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Archive_OursScanOnly)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
