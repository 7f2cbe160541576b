// bench_parse.cpp — owns the MIME parsing micro-benchmarks: ksmg against mimetic and GMime 3 in the
// same binary over the same in-memory corpus (structure only, and structure + transfer decoding of
// every leaf), and ksmg's html_to_text against Gumbo over the corpus's HTML parts.
//
// Corpus: $KSMG_CORPUS_DIR, else <repo>/.cache/spamassassin (scripts/fetch-corpus.sh fills it).
// One benchmark iteration is one full pass over the corpus, so every parser sees the same mix;
// bytes/s and items/s (messages, or HTML documents) are per pass.
#include <benchmark/benchmark.h>
#include <gmime/gmime.h>
#include <gumbo.h>
#include <mimetic/mimetic.h>

#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <iterator>
#include <string>
#include <string_view>
#include <vector>

#include "bench_corpus.hpp"
#include "inputs.hpp"
#include "ksmg/mime.hpp"

namespace {

struct Corpus {
  std::vector<std::string> messages;       // mbox "From " line already stripped
  std::vector<GByteArray*> gmime_buffers;  // the same bytes, wrapped once for GMime's mem streams
  std::uint64_t bytes = 0;
  std::vector<std::string>
      html;  // text/html leaves, transfer-decoded and converted to UTF-8 by ksmg
  std::uint64_t html_bytes = 0;
  std::string error;  // non-empty: the corpus could not be loaded
};

// All three parsers get the bytes an MTA would deliver: without the mbox "From " envelope line.
// mimetic mis-parses such a line: it ends the header block there, so the whole message (headers
// included) becomes one text/plain body with no fields and no parts (checked on the corpus). ksmg
// and GMime skip it, but strip it for everybody so the three parse identical bytes.
std::string_view strip_from_line(std::string_view m) {
  if (!m.starts_with("From ")) return m;
  const auto nl = m.find('\n');
  return nl == std::string_view::npos ? std::string_view{} : m.substr(nl + 1);
}

Corpus load_corpus() {
  Corpus c;
  const std::string dir = ksmg::bench::corpus_dir();
  if (c.error = ksmg::bench::corpus_missing(); !c.error.empty()) return c;
  ksmg::frontend::for_each_input({dir}, [&](ksmg::frontend::InputFile& f) {
    if (!f.readable) return;
    for (std::string_view m : ksmg::frontend::messages_in(f.data)) {
      c.messages.emplace_back(strip_from_line(m));
    }
  });
  if (c.messages.empty()) {
    c.error = "corpus directory " + dir + " holds no messages: run scripts/fetch-corpus.sh";
    return c;
  }
  for (const std::string& m : c.messages) {
    c.bytes += m.size();
    // GMime's mem stream reads a GByteArray; build it once so a pass does not copy the corpus.
    GByteArray* a = g_byte_array_sized_new(static_cast<guint>(m.size()));
    g_byte_array_append(a, reinterpret_cast<const guint8*>(m.data()), static_cast<guint>(m.size()));
    c.gmime_buffers.push_back(a);

    const auto msg = ksmg::mime::Message::parse(m);
    for (const ksmg::mime::Part& p : msg.parts()) {
      if (p.is_leaf() && p.content_type.type == "text" && p.content_type.subtype == "html") {
        std::string text = msg.text(p).data;
        c.html_bytes += text.size();
        c.html.push_back(std::move(text));
      }
    }
  }
  return c;
}

const Corpus& corpus() {
  static const Corpus c = [] {
    g_mime_init();
    return load_corpus();
  }();
  return c;
}

// Returns false (and marks the benchmark skipped) when there is no corpus.
bool have_corpus(benchmark::State& state, bool need_html = false) {
  const Corpus& c = corpus();
  if (!c.error.empty()) {
    state.SkipWithError(c.error.c_str());
    return false;
  }
  if (need_html && c.html.empty()) {
    state.SkipWithError("the corpus holds no text/html parts");
    return false;
  }
  return true;
}

void set_counters(benchmark::State& state, std::uint64_t items, std::uint64_t bytes) {
  state.SetItemsProcessed(static_cast<std::int64_t>(state.iterations() * items));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
}

// ---- ksmg ----------------------------------------------------------------------------------

void BM_ksmg_parse(benchmark::State& state) {
  if (!have_corpus(state)) return;
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (const std::string& m : c.messages) {
      const auto msg = ksmg::mime::Message::parse(m);
      benchmark::DoNotOptimize(msg.parts().size());
    }
  }
  set_counters(state, c.messages.size(), c.bytes);
}

void BM_ksmg_parse_decode(benchmark::State& state) {
  if (!have_corpus(state)) return;
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (const std::string& m : c.messages) {
      const auto msg = ksmg::mime::Message::parse(m);
      for (const ksmg::mime::Part& p : msg.parts()) {
        if (p.is_leaf()) benchmark::DoNotOptimize(msg.decode(p).data.size());
      }
    }
  }
  set_counters(state, c.messages.size(), c.bytes);
}

// ---- mimetic -------------------------------------------------------------------------------

std::size_t mimetic_decode_leaves(const mimetic::MimeEntity& e) {
  const mimetic::MimeEntityList& children = e.body().parts();
  if (!children.empty()) {
    std::size_t n = 0;
    for (const mimetic::MimeEntity* child : children) n += mimetic_decode_leaves(*child);
    return n;
  }
  const std::string& body = e.body();
  const std::string& cte = e.header().contentTransferEncoding().mechanism();
  std::string out;
  if (mimetic::ContentTransferEncoding::base64 == cte) {
    mimetic::Base64::Decoder dec;
    mimetic::decode(body.begin(), body.end(), dec, std::back_inserter(out));
  } else if (mimetic::ContentTransferEncoding::quoted_printable == cte) {
    mimetic::QP::Decoder dec;
    mimetic::decode(body.begin(), body.end(), dec, std::back_inserter(out));
  } else {
    out = body;  // 7bit / 8bit / binary / unknown: the body as it is, like the others
  }
  return out.size();
}

void BM_mimetic_parse(benchmark::State& state) {
  if (!have_corpus(state)) return;
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (const std::string& m : c.messages) {
      mimetic::MimeEntity e(m.begin(), m.end());
      benchmark::DoNotOptimize(e.body().parts().size());
    }
  }
  set_counters(state, c.messages.size(), c.bytes);
}

void BM_mimetic_parse_decode(benchmark::State& state) {
  if (!have_corpus(state)) return;
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (const std::string& m : c.messages) {
      mimetic::MimeEntity e(m.begin(), m.end());
      benchmark::DoNotOptimize(mimetic_decode_leaves(e));
    }
  }
  set_counters(state, c.messages.size(), c.bytes);
}

// ---- GMime 3 -------------------------------------------------------------------------------

GMimeMessage* gmime_parse(GByteArray* buffer) {
  GMimeStream* stream = g_mime_stream_mem_new_with_byte_array(buffer);
  g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);  // the corpus keeps the bytes
  GMimeParser* parser = g_mime_parser_new_with_stream(stream);
  GMimeMessage* message = g_mime_parser_construct_message(parser, nullptr);
  g_object_unref(parser);
  g_object_unref(stream);  // parts still reference it (persist_stream); freed with the message
  return message;
}

// Depth-first over multiparts and embedded messages, decoding every leaf into a null stream.
std::size_t gmime_decode_leaves(GMimeObject* obj, GMimeStream* sink) {
  if (obj == nullptr) return 0;
  if (GMIME_IS_MULTIPART(obj)) {
    GMimeMultipart* mp = GMIME_MULTIPART(obj);
    std::size_t n = 0;
    const int count = g_mime_multipart_get_count(mp);
    for (int i = 0; i < count; ++i)
      n += gmime_decode_leaves(g_mime_multipart_get_part(mp, i), sink);
    return n;
  }
  if (GMIME_IS_MESSAGE_PART(obj)) {
    GMimeMessage* inner = g_mime_message_part_get_message(GMIME_MESSAGE_PART(obj));
    return inner == nullptr ? 0 : gmime_decode_leaves(g_mime_message_get_mime_part(inner), sink);
  }
  if (GMIME_IS_PART(obj)) {
    GMimeDataWrapper* content = g_mime_part_get_content(GMIME_PART(obj));
    if (content == nullptr) return 0;
    const gint64 n = g_mime_data_wrapper_write_to_stream(content, sink);
    return n > 0 ? static_cast<std::size_t>(n) : 0;
  }
  return 0;
}

void BM_gmime_parse(benchmark::State& state) {
  if (!have_corpus(state)) return;
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (GByteArray* b : c.gmime_buffers) {
      GMimeMessage* message = gmime_parse(b);
      benchmark::DoNotOptimize(message);
      if (message != nullptr) g_object_unref(message);
    }
  }
  set_counters(state, c.messages.size(), c.bytes);
}

void BM_gmime_parse_decode(benchmark::State& state) {
  if (!have_corpus(state)) return;
  const Corpus& c = corpus();
  GMimeStream* sink = g_mime_stream_null_new();
  for (auto _ : state) {
    for (GByteArray* b : c.gmime_buffers) {
      GMimeMessage* message = gmime_parse(b);
      if (message == nullptr) continue;
      benchmark::DoNotOptimize(gmime_decode_leaves(g_mime_message_get_mime_part(message), sink));
      g_object_unref(message);
    }
  }
  g_object_unref(sink);
  set_counters(state, c.messages.size(), c.bytes);
}

// ---- HTML to text --------------------------------------------------------------------------

void BM_ksmg_html_to_text(benchmark::State& state) {
  if (!have_corpus(state, true)) return;
  const Corpus& c = corpus();
  for (auto _ : state) {
    for (const std::string& h : c.html) {
      benchmark::DoNotOptimize(ksmg::mime::html_to_text(h).data.size());
    }
  }
  set_counters(state, c.html.size(), c.html_bytes);
}

// Visible text the way a scanner would take it from a DOM: text nodes, minus script/style.
// Iterative so that deeply nested hostile HTML cannot overflow the stack.
std::size_t gumbo_text(const GumboNode* root, std::string& out) {
  std::vector<const GumboNode*> stack{root};
  while (!stack.empty()) {
    const GumboNode* n = stack.back();
    stack.pop_back();
    switch (n->type) {
      case GUMBO_NODE_TEXT:
      case GUMBO_NODE_WHITESPACE:
      case GUMBO_NODE_CDATA:
        out += n->v.text.text;
        break;
      case GUMBO_NODE_ELEMENT:
      case GUMBO_NODE_TEMPLATE:
      case GUMBO_NODE_DOCUMENT: {
        if (n->type != GUMBO_NODE_DOCUMENT &&
            (n->v.element.tag == GUMBO_TAG_SCRIPT || n->v.element.tag == GUMBO_TAG_STYLE)) {
          break;
        }
        const GumboVector& kids =
            n->type == GUMBO_NODE_DOCUMENT ? n->v.document.children : n->v.element.children;
        for (unsigned i = kids.length; i > 0; --i) {
          stack.push_back(static_cast<const GumboNode*>(kids.data[i - 1]));
        }
        break;
      }
      default:
        break;
    }
  }
  return out.size();
}

void BM_gumbo_html_to_text(benchmark::State& state) {
  if (!have_corpus(state, true)) return;
  const Corpus& c = corpus();
  std::string text;
  for (auto _ : state) {
    for (const std::string& h : c.html) {
      GumboOutput* output = gumbo_parse_with_options(&kGumboDefaultOptions, h.data(), h.size());
      text.clear();
      benchmark::DoNotOptimize(gumbo_text(output->document, text));
      gumbo_destroy_output(&kGumboDefaultOptions, output);
    }
  }
  set_counters(state, c.html.size(), c.html_bytes);
}

// A pass over the whole corpus takes 0.1–2 s depending on the parser; report in milliseconds.
BENCHMARK(BM_ksmg_parse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_mimetic_parse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gmime_parse)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ksmg_parse_decode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_mimetic_parse_decode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gmime_parse_decode)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_ksmg_html_to_text)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_gumbo_html_to_text)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
