// Names that are not UTF-8: a logical slot in a SQL_ASCII database whose
// name has the byte 0xE9 (Latin-1 "é"). Every answer of the agent is JSON,
// which must be UTF-8: the name is written with U+FFFD in its place, and no
// answer ends an actor (an actor ended by a dump left /health at 503 for
// good). The agent is the slotd binary, asked over HTTP.
#include "tests/faults/slotd_process.hpp"

namespace slotd::testing {
namespace {

TEST(OddNames, DatabaseNameThatIsNotUtf8IsAnsweredWithAReplacementAndTheAgentLives) {
  cluster c({.replicas = 0});
  auto& p = c.primary();
  const std::string latin1_name = "caf\xE9";
  p.exec("CREATE DATABASE ascii ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0");
  // Only a SQL_ASCII database accepts the byte in an identifier.
  p.exec("CREATE DATABASE \"" + latin1_name + "\" ENCODING 'SQL_ASCII' LC_COLLATE 'C' LC_CTYPE 'C' TEMPLATE template0",
         "ascii");
  p.exec("SELECT pg_create_logical_replication_slot('latin', 'test_decoding')", latin1_name);
  ASSERT_EQ(p.scalar("SELECT database FROM pg_replication_slots WHERE slot_name = 'latin'"), latin1_name);

  int api = free_port();
  // The slot is not the agent's: ignored, so that it stays.
  auto cfg = write_config(c.dir() / "node1-slotd.yaml", slotd_yaml(c, p, api) + "ignore_slots:\n  - {name: latin}\n");
  slotd_process slotd(cfg, c.dir() / "node1-slotd.log");
  ASSERT_NO_FATAL_FAILURE(slotd.start());
  ASSERT_TRUE(eventually([&] { return http_call(api, "GET", "/health").status == 200; }, 30s)) << slotd.log();

  const std::string replaced = "caf\xEF\xBF\xBD"; // U+FFFD for the byte
  http_answer state;
  ASSERT_TRUE(eventually([&] {
    state = http_call(api, "GET", "/state");
    return state.status == 200 && state.body.find(replaced) != std::string::npos;
  }, 30s)) << state.status << " " << state.body.substr(0, 2000) << "\n" << slotd.log();
  EXPECT_TRUE(state.json().is_object()) << "not JSON: " << state.body.substr(0, 2000);
  EXPECT_EQ(state.body.find(latin1_name + "\""), std::string::npos) << "the raw byte reached the JSON";
  for (const char* path : {"/status", "/readiness", "/metrics", "/candidate"}) {
    auto r = http_call(api, "GET", path);
    EXPECT_NE(r.status, 0) << path << " unanswered";
    EXPECT_LT(r.status, 500) << path << ": " << r.body;
  }
  // Several cycles later every actor still answers, and the slot is kept.
  std::this_thread::sleep_for(3s);
  EXPECT_EQ(http_call(api, "GET", "/health").status, 200) << slotd.log();
  EXPECT_EQ(http_call(api, "GET", "/state").status, 200) << slotd.log();
  EXPECT_TRUE(slots_of(p).contains("latin"));
  EXPECT_TRUE(slotd.running());
  auto stopped = slotd.terminate();
  ASSERT_TRUE(stopped.has_value()) << slotd.log();
  EXPECT_TRUE(WIFEXITED(*stopped) && WEXITSTATUS(*stopped) == 0) << slotd.log();
}

} // namespace
} // namespace slotd::testing
