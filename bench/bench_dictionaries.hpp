// bench_dictionaries.hpp — the content dictionaries the benchmarks scan with, built from the
// SpamAssassin corpus itself (shared by bench_match.cpp and bench_content_filter.cpp).
//
// The text is what the content filter scans: the decoded Subject and Message::text(part, true)
// of every text leaf. The words are real and not stop words: the corpus's own words (runs of
// ASCII letters, lower-cased, at least 3 long; the corpus is English) ranked by frequency, ties
// by spelling; a range of ranks is one dictionary. The regexes are built from families of
// spam-filter patterns (amounts of money, URLs with IP addresses, "click here to ..." calls,
// phone numbers, "act now" phrases, ...).
#pragma once

#include <algorithm>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "bench_corpus.hpp"
#include "ksmg/match.hpp"
#include "ksmg/mime.hpp"

namespace ksmg::bench {

using ksmg::match::Dictionary;
using ksmg::match::Entry;
using ksmg::match::EntryKind;

inline const InputSet& corpus_text() {
  static const InputSet s = [] {
    InputSet out;
    if (out.error = corpus_messages().error; !out.error.empty()) return out;
    for (const std::string& raw : corpus_messages().items) {
      const auto msg = ksmg::mime::Message::parse(raw);
      if (const auto* subject = msg.header("Subject"); subject != nullptr)
        out.items.push_back(subject->decoded());
      for (const auto& p : msg.parts())
        if (p.is_leaf() && p.is_text()) out.items.push_back(msg.text(p, true).data);
    }
    for (const std::string& t : out.items) out.bytes += t.size();
    if (out.items.empty()) out.error = "the corpus holds no text";
    return out;
  }();
  return s;
}

// Corpus words by frequency, most frequent first.
inline const std::vector<std::string>& ranked_words() {
  static const std::vector<std::string> words = [] {
    std::unordered_map<std::string, std::size_t> freq;
    for (const std::string& t : corpus_text().items) {
      std::string w;
      auto flush = [&] {
        if (w.size() >= 3) ++freq[w];
        w.clear();
      };
      for (const char ch : t) {
        const auto u = static_cast<unsigned char>(ch);
        if (u >= 'a' && u <= 'z') {
          w += ch;
        } else if (u >= 'A' && u <= 'Z') {
          w += static_cast<char>(u - 'A' + 'a');
        } else {
          flush();
        }
      }
      flush();
    }
    std::vector<std::pair<std::string, std::size_t>> v(freq.begin(), freq.end());
    std::sort(v.begin(), v.end(), [](const auto& a, const auto& b) {
      return a.second != b.second ? a.second > b.second : a.first < b.first;
    });
    std::vector<std::string> out;
    for (auto& [w, n] : v) out.push_back(std::move(w));
    return out;
  }();
  return words;
}

inline Dictionary words(std::size_t from, std::size_t to, bool whole) {
  Dictionary d{"words-" + std::to_string(from) + "-" + std::to_string(to), "", {}};
  const auto& r = ranked_words();
  for (std::size_t i = from; i < to && i < r.size(); ++i) {
    Entry e{.pattern = r[i]};
    e.whole_word = whole;
    d.entries.push_back(std::move(e));
  }
  return d;
}

inline Dictionary regexes() {
  Dictionary d{"regexes", "", {}};
  auto add = [&](std::string p) {
    if (d.entries.size() < 200)
      d.entries.push_back(Entry{.pattern = std::move(p), .kind = EntryKind::regex});
  };
  for (const char* cur : {"\\$", "€", "£", "USD\\s?", "EUR\\s?", "GBP\\s?"})
    for (const char* tail : {"\\d{1,3}(?:,\\d{3})+", "\\d{1,3}(?:,\\d{3}){2,}(?:\\.\\d\\d)?",
                             "\\d+(?:\\.\\d+)?\\s?(?:million|billion|thousand)"})
      add(std::string(cur) + "\\s?" + tail);
  for (const char* path : {"", "login", "verify", "account", "secure", "update", "bank", "paypal",
                           "signin", "confirm", "webscr", "admin", "cgi-bin", "images", "track"})
    add(std::string("https?://\\d{1,3}(?:\\.\\d{1,3}){3}(?::\\d{2,5})?/") + path);
  for (const char* verb :
       {"unsubscribe", "claim",    "verify",  "confirm",  "order", "remove", "learn",
        "download",    "activate", "receive", "get",      "win",   "start",  "see",
        "view",        "update",   "apply",   "register", "login", "buy"})
    add(std::string("\\bclick\\s+(?:here|below|this\\s+link|the\\s+link)\\s+to\\s+") + verb +
        "\\b");
  for (const char* p : {"\\b1?[-. (]*8(?:00|88|77|66|55)[-. )]*\\d{3}[-. ]*\\d{4}\\b",
                        "\\(\\d{3}\\)\\s*\\d{3}-\\d{4}",
                        "\\b\\d{3}-\\d{3}-\\d{4}\\b",
                        "\\+44\\s?\\d{2,4}\\s?\\d{6,8}",
                        "\\+7\\s?\\(?\\d{3}\\)?\\s?\\d{3}-?\\d{2}-?\\d{2}",
                        "\\btoll[- ]free\\b",
                        "\\b\\d{2}\\s?%\\s+off\\b",
                        "\\bsave\\s+(?:up\\s+to\\s+)?\\d{2}\\s?%",
                        "\\b100\\s?%\\s+(?:free|guaranteed|satisfaction|natural|legal)\\b",
                        "\\bdear\\s+(?:friend|sir|madam|beneficiary|customer|user|member)\\b",
                        "\\bwin(?:ner)?\\b.{0,30}\\bprize\\b",
                        "\\bno\\s+(?:credit\\s+)?check\\b",
                        "\\bremove\\s+(?:me|from)\\b.{0,20}\\blist\\b",
                        "\\bmeet\\s+(?:hot|sexy|local)\\s+singles\\b",
                        "\\b(?:lose|burn)\\s+\\d+\\s+(?:lbs|pounds|kg)\\b",
                        "\\bnigeria|\\bnext\\s+of\\s+kin\\b",
                        "\\b(?:urgent|confidential)\\s+(?:business|proposal|reply)\\b",
                        "\\bwork\\s+(?:from|at)\\s+home\\b",
                        "\\bas\\s+seen\\s+on\\s+(?:tv|oprah)\\b",
                        "\\bthis\\s+is\\s+not\\s+spam\\b"})
    add(p);
  for (const char* tld : {"ru", "cn", "biz", "info", "top", "xyz", "tk", "pw", "cc", "ws"})
    add(std::string("\\b[a-z0-9._%+-]+@[a-z0-9.-]+\\.") + tld + "\\b");
  for (const char* act : {"act", "order", "buy", "call", "reply", "respond", "apply"})
    for (const char* when : {"now", "today", "immediately"})
      add(std::string("\\b") + act + "\\s+" + when + "\\b");
  for (const char* adj : {"free", "cheap", "discount", "lowest", "best", "online", "generic",
                          "instant", "guaranteed", "exclusive"})
    for (const char* noun : {"meds", "pills", "viagra", "rolex", "software", "mortgage", "loans?",
                             "offer", "quotes?", "trial", "pharmacy", "cialis", "watches"})
      add(std::string("\\b") + adj + "\\s+" + noun + "\\b");
  return d;
}

}  // namespace ksmg::bench
