#include "pg/client/redact.hpp"

#include <gtest/gtest.h>

namespace slotd::pg {
namespace {

TEST(redact_conninfo, keyword_form) {
  EXPECT_EQ(redact_conninfo("host=a password=secret user=u"), "host=a password=*** user=u");
  EXPECT_EQ(redact_conninfo("host=a password = 'se cr\\'et' user=u"), "host=a password = *** user=u");
  EXPECT_EQ(redact_conninfo("PASSWORD=x"), "PASSWORD=***");
  EXPECT_EQ(redact_conninfo("host=a port=5432"), "host=a port=5432");
}

TEST(redact_conninfo, uri_form) {
  EXPECT_EQ(redact_conninfo("postgresql://u:secret@h:5432/db"), "postgresql://u:***@h:5432/db");
  EXPECT_EQ(redact_conninfo("postgres://u@h/db?password=secret&sslmode=off"),
            "postgres://u@h/db?password=***&sslmode=off");
  EXPECT_EQ(redact_conninfo("postgresql://h/db"), "postgresql://h/db");
}

TEST(redact_conninfo, embedded_in_messages) {
  auto msg = redact_conninfo("invalid connection option in \"host=x password=hunter2\"");
  EXPECT_EQ(msg.find("hunter2"), std::string::npos);
  EXPECT_EQ(redact_conninfo("password_file=/etc/p"), "password_file=/etc/p");
}

} // namespace
} // namespace slotd::pg
