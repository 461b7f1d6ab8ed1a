#include "pg/client/error.hpp"
#include "pg/client/result.hpp"

#include <gtest/gtest.h>

namespace slotd::pg {
namespace {

error with_state(std::string state, std::string message = "m") {
  error e;
  e.call = "result";
  e.sqlstate = std::move(state);
  e.message = std::move(message);
  return e;
}

TEST(pg_error, what_names_call_state_message_and_detail) {
  auto e = with_state("57014", "canceling statement due to user request");
  e.detail = "d";
  EXPECT_EQ(e.what(), "result: [57014] canceling statement due to user request (d)");
  error local;
  local.call = "PQconnectPoll";
  local.message = "connection refused";
  EXPECT_EQ(local.what(), "PQconnectPoll: connection refused");
}

TEST(pg_error, sqlstate_predicates) {
  EXPECT_TRUE(is_undefined_file(with_state("58P01")));
  EXPECT_FALSE(is_undefined_file(with_state("55000")));
  EXPECT_FALSE(is_undefined_file(with_state("")));
}


TEST(pg_error, connection_failures) {
  EXPECT_TRUE(is_connection_failure(with_state("08006")));
  EXPECT_TRUE(is_connection_failure(with_state("08001")));
  error lost;
  lost.connection_lost = true;
  EXPECT_TRUE(is_connection_failure(lost));
  error libpq_text;
  libpq_text.message = "server closed the connection unexpectedly\n\tThis probably means...";
  EXPECT_TRUE(is_connection_failure(libpq_text));
  libpq_text.message = "connection to server at \"127.0.0.1\", port 1 failed: Connection refused";
  EXPECT_TRUE(is_connection_failure(libpq_text));
  EXPECT_FALSE(is_connection_failure(with_state("42P01", "relation does not exist")));
  EXPECT_FALSE(is_connection_failure(with_state("57014", "connection to server")));
}

TEST(pg_result, value_or_error) {
  result<int> ok = 3;
  EXPECT_TRUE(ok.ok());
  EXPECT_EQ(*ok, 3);
  result<int> bad = with_state("42704");
  EXPECT_FALSE(bad);
  EXPECT_EQ(bad.error().sqlstate, "42704");
  EXPECT_THROW(bad.value(), bad_result_access);
  result<void> v;
  EXPECT_TRUE(v);
  result<void> verr = with_state("08006");
  EXPECT_FALSE(verr);
  EXPECT_THROW(verr.value(), bad_result_access);
}

} // namespace
} // namespace slotd::pg
