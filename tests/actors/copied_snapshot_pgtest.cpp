// A copy taken while a transaction was open at the slot's restart_lsn
// (docs/implementation-notes.md, "Serialized snapshots"): the copy must
// decode, once promoted, every change its consumer has not confirmed.
//
// Decoding restarts at restart_lsn. The primary finds there the snapshot it
// serialized (pg_logical/snapshots/<restart_lsn>.snap) and is consistent at
// once. A replica that never decoded that point has no such file: it starts
// from scratch, waits for the transactions running there to end, and skips
// every commit until then, including commits its consumer never confirmed.
#include <libpq-fe.h>

#include <set>

#include "pg/slotfile/snapshot_file.hpp"
#include "tests/actors/agent_fixture.hpp"

using namespace slotd;
using namespace slotd::testing;

namespace {

// One session of its own, to hold a transaction open.
class session {
public:
  session(const node& n, const std::string& db) : conn_(PQconnectdb(n.conninfo(db).c_str())) {
    if (PQstatus(conn_) != CONNECTION_OK)
      throw harness_error(PQerrorMessage(conn_));
  }
  ~session() { PQfinish(conn_); }
  session(const session&) = delete;
  session& operator=(const session&) = delete;
  void exec(const std::string& sql) {
    PGresult* r = PQexec(conn_, sql.c_str());
    auto st = PQresultStatus(r);
    PQclear(r);
    if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK)
      throw harness_error(sql + ": " + PQerrorMessage(conn_));
  }

private:
  PGconn* conn_;
};

// From 18 an LSN prints as %X/%08X; snapshot files stay named %X-%X.
std::string snapshot_file(const std::string& lsn) {
  return pg::slotfile::snapshot_file_path(pg::lsn::parse(lsn).value());
}

bool has_file(const node& n, const std::string& path) {
  return n.scalar("SELECT (pg_stat_file('" + path + "', true)).size IS NOT NULL") == "t";
}

std::string restart_lsn(const node& n, const std::string& slot) { return slot_attr(n, slot, "restart_lsn").value(); }

} // namespace

TEST(copied_snapshot, promoted_copy_decodes_commits_made_while_a_transaction_was_open_at_restart_lsn) {
  cdc_pair x;
  node& p = x.p;
  node& r = x.r;
  agents& a = x.a;
  p.exec("CREATE TABLE t (id int primary key)", "app");
  p.exec("SELECT pg_create_logical_replication_slot('cdc', 'test_decoding')", "app");
  auto consume = [&](node& n) {
    return decoded_ids(n.query("SELECT data FROM pg_logical_slot_get_changes('cdc', NULL, NULL)", "app"));
  };
  p.exec("INSERT INTO t VALUES (-1)", "app");
  ASSERT_EQ(consume(p), std::vector<int>{-1});

  // A transaction with an xid and no WAL yet is running at every
  // running-xacts record from now on. Decoding passes one (CHECKPOINT logs
  // it), serializes a snapshot there and moves restart_lsn to it.
  session open_txn(p, "app");
  open_txn.exec("BEGIN");
  open_txn.exec("SELECT txid_current()");
  auto before = restart_lsn(p, "cdc");
  for (int i = 0; i < 20 && restart_lsn(p, "cdc") == before; ++i) {
    p.exec("CHECKPOINT");
    consume(p);
  }
  auto held = restart_lsn(p, "cdc");
  ASSERT_NE(held, before) << "restart_lsn did not move";
  ASSERT_TRUE(has_file(p, snapshot_file(held))) << "no snapshot serialized at " << held;

  // The replica copies the slot now (a file copy: auto may create it on 16):
  // its restart_lsn is `held`.
  agent_options files;
  files.copy_method = model::copy_method_setting::file;
  x.start(files);
  ASSERT_TRUE(a.wait_ready("node2")) << a.readiness("node2").dump(2);
  ASSERT_EQ(restart_lsn(r, "cdc"), held);
  EXPECT_TRUE(has_file(r, snapshot_file(held))) << "the copy came without the leader's snapshot";

  // Commits the consumer has not confirmed: before the open transaction
  // ends (1..10), its own (0), and after (11..20).
  p.exec("INSERT INTO t SELECT generate_series(1, 10)", "app");
  open_txn.exec("INSERT INTO t VALUES (0)");
  open_txn.exec("COMMIT");
  p.exec("CHECKPOINT");
  p.exec("INSERT INTO t SELECT generate_series(11, 20)", "app");
  p.exec("CHECKPOINT");
  auto got = fail_over_and_read_cdc(x);
  for (int id = 0; id <= 20; ++id)
    EXPECT_TRUE(got.contains(id)) << "lost change for id " << id;
  EXPECT_FALSE(got.contains(-1)) << "a confirmed change came again";
}
