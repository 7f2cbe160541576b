// test_mbox.cpp — splitting mbox files into messages.
#include <gtest/gtest.h>

#include "ksmg/mbox.hpp"
#include "ksmg/mime.hpp"

namespace {

TEST(Mbox, SplitsAtFromLinesAfterABlankLine) {
  const std::string box =
      "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody one\nFrom inside the body\n\n"
      "From b@x Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nbody two\r\n\r\n"
      "From c@x Mon Jan  1 00:00:02 2024\nSubject: three\n\n>From quoted\n";
  const auto msgs = ksmg::mbox::split(box);
  ASSERT_EQ(msgs.size(), 3u);
  EXPECT_EQ(msgs[0],
            "From a@x Mon Jan  1 00:00:00 2024\nSubject: one\n\nbody one\nFrom inside the body\n");
  EXPECT_EQ(msgs[1], "From b@x Mon Jan  1 00:00:01 2024\r\nSubject: two\r\n\r\nbody two\r\n");
  const auto m = ksmg::mime::Message::parse(msgs[2]);
  EXPECT_EQ(m.mbox_from(), "From c@x Mon Jan  1 00:00:02 2024");
  EXPECT_EQ(m.header("subject")->unfolded(), "three");
  EXPECT_EQ(m.root().body, ">From quoted\n");
}

TEST(Mbox, APlainMessageIsOneMessage) {
  EXPECT_FALSE(ksmg::mbox::looks_like_mbox("Subject: x\n\nFrom here\n"));
  const auto msgs = ksmg::mbox::split("Subject: x\n\nbody\n");
  ASSERT_EQ(msgs.size(), 1u);
  EXPECT_TRUE(ksmg::mbox::split("").empty());
}

}  // namespace
