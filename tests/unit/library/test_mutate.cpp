// test_mutate.cpp — the subject tag (ksmg/mutate.hpp): put in front once, white space and
// folding kept.
#include <gtest/gtest.h>

#include "ksmg/mutate.hpp"

namespace {

using ksmg::mutate::tag_subject;
using ksmg::mutate::tag_subject_of_message;

TEST(SubjectTag, GoesInFrontKeepingTheLeadingSpace) {
  EXPECT_EQ(tag_subject(" Hello", "[!!SPAM]"), " [!!SPAM] Hello");
  EXPECT_EQ(tag_subject("Hello", "[!!SPAM]"), "[!!SPAM] Hello");
  EXPECT_EQ(tag_subject(" Long\r\n\tfolded", "[S]"), " [S] Long\r\n\tfolded");
  EXPECT_EQ(tag_subject(" =?UTF-8?B?0J/RgNC40LLQtdGC?=", "[S]"),
            " [S] =?UTF-8?B?0J/RgNC40LLQtdGC?=");
}

TEST(SubjectTag, EmptySubjectGetsTheTagAlone) {
  EXPECT_EQ(tag_subject("", "[S]"), "[S]");
  EXPECT_EQ(tag_subject(" ", "[S]"), " [S]");
}

TEST(SubjectTag, NeverTwice) {
  EXPECT_FALSE(tag_subject(" [!!SPAM] Hello", "[!!SPAM]"));
  EXPECT_FALSE(tag_subject("[!!SPAM]", "[!!SPAM]"));
  EXPECT_FALSE(tag_subject(" Hello", ""));
  EXPECT_EQ(tag_subject(" [!!Probable Spam] Hello", "[!!SPAM]"),
            " [!!SPAM] [!!Probable Spam] Hello");
}

TEST(SubjectTag, OfAWholeMessage) {
  EXPECT_EQ(tag_subject_of_message("From: a@b\r\nsubject: Hi\r\n\r\nSubject: body\r\n", "[S]"),
            "From: a@b\r\nsubject: [S] Hi\r\n\r\nSubject: body\r\n");
  EXPECT_EQ(tag_subject_of_message("Subject: Long\r\n\tfolded\r\nTo: c@d\r\n\r\nx", "[S]"),
            "Subject: [S] Long\r\n\tfolded\r\nTo: c@d\r\n\r\nx");
  // No Subject: one is added at the end of the header section, never in the body.
  EXPECT_EQ(tag_subject_of_message("From: a@b\r\n\r\nSubject: in body\r\n", "[S]"),
            "From: a@b\r\nSubject: [S]\r\n\r\nSubject: in body\r\n");
  EXPECT_EQ(tag_subject_of_message("From: a@b\n\nbody", "[S]"),
            "From: a@b\nSubject: [S]\r\n\nbody");
  EXPECT_FALSE(tag_subject_of_message("Subject: [S] Hi\r\n\r\n", "[S]"));
  EXPECT_EQ(tag_subject_of_message("", "[S]"), "Subject: [S]\r\n");
  EXPECT_EQ(tag_subject_of_message("Subject:", "[S]"), "Subject:[S]");
}

}  // namespace
