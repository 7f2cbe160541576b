// test_html_text.cpp — ksmg::mime::html_to_text: visible text of HTML bodies.
#include <gtest/gtest.h>

#include <ksmg/mime.hpp>
#include <random>
#include <string>
#include <string_view>

#include "ksmg/mime.hpp"
#include "test_cpu_time.hpp"

namespace {

using ksmg::Limit;
using ksmg::mime::html_to_text;
using ksmg::mime::is_valid_utf8;

std::string text(std::string_view html) { return html_to_text(html).data; }

TEST(HtmlText, EmptyAndPlain) {
  EXPECT_EQ(text(""), "");
  EXPECT_EQ(text("just text"), "just text");
  EXPECT_EQ(text("  lots   of\n\n white\tspace  "), "lots of white space");
  const auto d = html_to_text("<p>x</p>");
  EXPECT_TRUE(d.defects.empty());
  EXPECT_TRUE(d.limits.empty());
}

TEST(HtmlText, TagsDroppedInlineTagsJoin) {
  EXPECT_EQ(text("<b>bold</b> and <i>it</i><span>alic</span>"), "bold and italic");
  EXPECT_EQ(text("<a href=\"http://evil.example/\">click here</a>"), "click here");
  EXPECT_EQ(text("<img src=\"x.png\" alt=\"alt text\">after"), "after");
  EXPECT_EQ(text("<FONT COLOR=red>Loud</FONT>"), "Loud");
}

TEST(HtmlText, AttributesWithGreaterThanAndQuotes) {
  EXPECT_EQ(text("<a title=\"a > b\" href='x>y'>link</a>"), "link");
  EXPECT_EQ(text("<div data-x=unquoted>z</div>"), "z");
  EXPECT_EQ(text("<a href = \"x\" / >ok</a>"), "ok");
  EXPECT_EQ(text("<br/>a<br />b"), "a\nb");
}

TEST(HtmlText, BlockElementsBecomeLineBreaks) {
  EXPECT_EQ(text("<div>one</div><div>two</div>"), "one\ntwo");
  EXPECT_EQ(text("<p>para one</p><p>para two</p>"), "para one\n\npara two");
  EXPECT_EQ(text("line1<br>line2<br><br>line3"), "line1\nline2\n\nline3");
  EXPECT_EQ(text("<ul><li>a</li><li>b</li></ul>"), "a\nb");
  EXPECT_EQ(text("<table><tr><td>k</td><td>v</td></tr><tr><th>x</th><td>y</td></tr></table>"),
            "k v\nx y");
  EXPECT_EQ(text("<h1>Title</h1>body<hr>end"), "Title\n\nbody\nend");
  EXPECT_EQ(text("<blockquote>q</blockquote>after"), "q\nafter");
  EXPECT_EQ(text("<div>\n  <div>\n  <p>deep</p></div></div>"), "deep");
}

TEST(HtmlText, ScriptStyleTemplateHidden) {
  EXPECT_EQ(text("a<script>var x = '<b>no</b>'; if (a<b) {}</script>b"), "ab");
  EXPECT_EQ(text("a<SCRIPT type=x>no</ScRiPt >b"), "ab");
  EXPECT_EQ(text("a<style>p { color: red }</style>b"), "ab");
  EXPECT_EQ(text("a<template>no<template>nested</template>still no</template>b"), "ab");
  EXPECT_EQ(text("a<iframe>no</iframe>b<noembed>no</noembed>c<noframes>no</noframes>d"), "abcd");
  // "</scripts>" does not end a script.
  EXPECT_EQ(text("<script>x</scripts>y</script>z"), "z");
}

TEST(HtmlText, TitleAndNoscriptKept) {
  EXPECT_EQ(text("<html><head><title>Win &amp; <b>prize</b></title></head><body>Hi</body></html>"),
            "Win & <b>prize</b>\nHi");
  EXPECT_EQ(text("<noscript>enable js</noscript>"), "enable js");
  EXPECT_EQ(text("<textarea>a <b> c</textarea>"), "a <b> c");
  EXPECT_EQ(text("<xmp>&amp; <i></xmp>"), "&amp; <i>");
}

TEST(HtmlText, Comments) {
  EXPECT_EQ(text("a<!-- hidden <b>text</b> -->b"), "ab");
  EXPECT_EQ(text("a<!---->b<!-->c<!--->d"), "abcd");
  EXPECT_EQ(text("a<!-- x -- y --->b"), "ab");
  EXPECT_EQ(text("a<!-- x --!>b"), "ab");
  EXPECT_EQ(text("a<!DOCTYPE html>b<![CDATA[x]]>c<?php echo 1 ?>d"), "abcd");
  EXPECT_EQ(text("a<!-- never closed <p>hidden"), "a");
}

TEST(HtmlText, LiteralLessThan) {
  EXPECT_EQ(text("1 < 2 and 3 <4"), "1 < 2 and 3 <4");
  EXPECT_EQ(text("a</>b"), "ab");
  EXPECT_EQ(text("x<"), "x<");
  EXPECT_EQ(text("x</"), "x</");
  EXPECT_EQ(text("a</ b>c"), "ac");  // bogus comment
}

TEST(HtmlText, UnterminatedTagDropsRest) {
  EXPECT_EQ(text("keep<a href=\"never closed>lost"), "keep");
  EXPECT_EQ(text("keep<div"), "keep");
  EXPECT_EQ(text("keep</div"), "keep");
}

TEST(HtmlText, NumericReferences) {
  EXPECT_EQ(text("&#65;&#x42;&#X43;&#x1F600;"), "ABC😀");
  EXPECT_EQ(text("&#65 &#x42x"), "A Bx");  // semicolon optional
  EXPECT_EQ(text("&#0;|&#xD800;|&#x110000;|&#99999999999999999999;"),
            "\uFFFD|\uFFFD|\uFFFD|\uFFFD");
  EXPECT_EQ(text("&#150;&#x80;&#x9F;"), "–€Ÿ");  // C1 read as windows-1252
  EXPECT_EQ(text("&#;&#x;&#xZ"), "&#;&#x;&#xZ");
  EXPECT_EQ(text("a&#160;b&#32;&#32;c"), "a b c");
}

TEST(HtmlText, NamedReferences) {
  EXPECT_EQ(text("&lt;b&gt; &amp; &quot;q&quot; &apos;"), "<b> & \"q\" '");
  EXPECT_EQ(text("&eacute;&Eacute;&hellip;&euro;&trade;&mdash;"), "éÉ…€™—");
  EXPECT_EQ(text("&CounterClockwiseContourIntegral;"), "∳");
  EXPECT_EQ(text("&NotNestedGreaterGreater;"), "\u2AA2\u0338");  // two code points
  EXPECT_EQ(text("&amp &lt &copy2021"), "& < ©2021");            // legacy names without ';'
  EXPECT_EQ(text("&notit; &notin;"), "¬it; ∉");
  EXPECT_EQ(text("&nosuchentity; & &; &#"), "&nosuchentity; & &; &#");
  EXPECT_EQ(text("a&nbsp;&nbsp;b"), "a b");
  EXPECT_EQ(text("AT&T"), "AT&T");
  EXPECT_EQ(text("&ampamp;"), "&amp;");
}

TEST(HtmlText, NbspAndNulInText) {
  EXPECT_EQ(text("a\xC2\xA0\xC2\xA0"
                 "b"),
            "a b");
  EXPECT_EQ(text(std::string_view("a\0b", 3)), "ab");
  EXPECT_EQ(text("é\xC2\xA9"), "é©");
}

TEST(HtmlText, PlaintextRunsToTheEnd) {
  EXPECT_EQ(text("a<plaintext><b>&amp;</b>"), "a\n<b>&amp;</b>");
}

TEST(HtmlText, InvalidUtf8Repaired) {
  const auto d = html_to_text("<p>caf\xE9</p>\xFF");
  EXPECT_EQ(d.data, "caf\uFFFD\n\n\uFFFD");
  EXPECT_TRUE(is_valid_utf8(d.data));
}

TEST(HtmlText, CapAtEveryLength) {
  const std::string html = "<p>Grüße &amp; 日本</p><div>x&#x1F600;y</div>";
  const std::string full = text(html);
  EXPECT_EQ(full, "Grüße & 日本\n\nx😀y");
  for (std::size_t cap = 0; cap <= full.size() + 1; ++cap) {
    const auto d = html_to_text(html, cap);
    ASSERT_LE(d.data.size(), cap);
    EXPECT_TRUE(is_valid_utf8(d.data)) << cap;
    EXPECT_EQ(full.substr(0, d.data.size()), d.data) << cap;
    EXPECT_GT(d.data.size() + 4, std::min(cap, full.size())) << cap;
    EXPECT_EQ(d.limits.has(Limit::decoded_size), cap < full.size()) << cap;
  }
}

// Hostile shapes must stay linear: each is a few MB and costs well under a second of CPU on any
// machine; a quadratic tokenizer would take minutes.
TEST(HtmlText, LinearOnHostileInput) {
  const std::size_t n = 1 << 20;
  const ksmg::test::CpuStopwatch cpu;
  EXPECT_EQ(text(std::string(n, '<')), std::string(n, '<'));
  std::string opens;
  for (std::size_t i = 0; i < n / 4; ++i) opens += "<!--";
  EXPECT_EQ(text("a" + opens), "a");
  std::string nested;
  for (std::size_t i = 0; i < n / 5; ++i) nested += "<div>";
  nested += "deep";
  for (std::size_t i = 0; i < n / 6; ++i) nested += "</div>";
  EXPECT_EQ(text(nested), "deep");
  std::string scripts;
  for (std::size_t i = 0; i < n / 8; ++i) scripts += "<script>";
  EXPECT_EQ(text("a" + scripts), "a");
  std::string ends;
  for (std::size_t i = 0; i < n / 9; ++i) ends += "</scrip>";
  EXPECT_EQ(text("<script>" + ends + "</script>ok"), "ok");
  std::string templates;
  for (std::size_t i = 0; i < n / 10; ++i) templates += "<template>";
  EXPECT_EQ(text(templates + "hidden"), "");
  std::string amps;
  for (std::size_t i = 0; i < n / 32; ++i) amps += "&CounterClockwiseContourIntegra";
  EXPECT_EQ(text(amps), amps);
  EXPECT_EQ(text("<a " + std::string(n, 'x')), "");
  EXPECT_EQ(text("<a b=\"" + std::string(n, '>')), "");
  std::string dashes = "<!--" + std::string(n, '-') + "x";
  EXPECT_EQ(text(dashes), "");
  EXPECT_LT(cpu.seconds(), 10.0);
}

TEST(HtmlText, RandomMarkupAlwaysValidUtf8) {
  std::mt19937 rng(5);
  const std::string_view parts[] = {
      "<",   ">",     "</",   "<!--",     "-->",       "&",        "&amp", ";",
      "&#x", "1F600", "<p>",  "<script>", "</script>", "\"",       "'",    "=",
      " ",   "\xC3",  "\xA9", "text",     "<title>",   "</title>", "\xFF", "<template>"};
  for (int round = 0; round < 3000; ++round) {
    std::string v;
    const int n = static_cast<int>(rng() % 20);
    for (int i = 0; i < n; ++i) v += parts[rng() % std::size(parts)];
    const auto d = html_to_text(v, rng() % 64);
    ASSERT_TRUE(is_valid_utf8(d.data)) << v;
  }
}

}  // namespace
