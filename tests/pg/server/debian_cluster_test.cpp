// Debian clusters (pg/server/debian_cluster): the data_directory setting,
// and finding the cluster of a data directory under /etc/postgresql.
#include "pg/server/debian_cluster.hpp"

#include <unistd.h>

#include <fstream>

#include <gtest/gtest.h>

namespace slotd::pg::server {
namespace {

namespace fs = std::filesystem;

TEST(DataDirectorySetting, TheQuotedValueOfTheLastUncommentedLine) {
  EXPECT_EQ(data_directory_setting("data_directory = '/var/lib/postgresql/15/main'\t\t# use data in another directory\n"),
            "/var/lib/postgresql/15/main");
  EXPECT_EQ(data_directory_setting("#data_directory = '/x'\nport = 5432\n"), std::nullopt);
  EXPECT_EQ(data_directory_setting("data_directory='/a'\n  data_directory   =   '/b'\n"), "/b");
  EXPECT_EQ(data_directory_setting("data_directory '/c'\n"), "/c") << "the = is optional in postgresql.conf";
  EXPECT_EQ(data_directory_setting("data_directory_other = '/d'\n"), std::nullopt);
  EXPECT_EQ(data_directory_setting(""), std::nullopt);
}

class EtcPostgresql : public ::testing::Test {
protected:
  void SetUp() override {
    root = fs::temp_directory_path() / ("slotd-debian-" + std::to_string(::getpid()));
    fs::remove_all(root);
    for (auto name : {"main", "other"}) {
      fs::create_directories(root / "data" / "15" / name);
      std::ofstream(root / "data" / "15" / name / "PG_VERSION") << "15\n";
    }
  }
  void TearDown() override { fs::remove_all(root); }
  void conf(const std::string& version, const std::string& name, const fs::path& data) {
    fs::create_directories(root / "etc" / version / name);
    std::ofstream(root / "etc" / version / name / "postgresql.conf")
        << "# comment\ndata_directory = '" << data.string() << "'\t\t# use data in another directory\n";
  }
  fs::path root;
};

TEST_F(EtcPostgresql, FindsTheClusterWhoseConfigurationNamesTheDataDirectory) {
  conf("15", "other", root / "data" / "15" / "other");
  conf("15", "main", root / "data" / "15" / "main");
  auto c = find_debian_cluster(root / "data" / "15" / "main", root / "etc");
  ASSERT_TRUE(c);
  EXPECT_EQ(*c, (debian_cluster{"15", "main"}));
  EXPECT_EQ(pg_ctlcluster_stop(*c), "pg_ctlcluster 15 main stop -m fast");
  EXPECT_EQ(pg_ctlcluster_start(*c), "pg_ctlcluster 15 main start");
  // The same directory through a link, or with a trailing slash.
  fs::create_directory_symlink(root / "data", root / "link");
  EXPECT_EQ(find_debian_cluster(root / "link" / "15" / "main", root / "etc"), c);
}

TEST_F(EtcPostgresql, NoClusterForAnotherDirectoryOrWithoutEtcOrForANameTheShellWouldSplit) {
  conf("15", "main", root / "data" / "15" / "main");
  EXPECT_FALSE(find_debian_cluster(root / "data" / "15" / "other", root / "etc"));
  EXPECT_FALSE(find_debian_cluster(root / "data" / "15" / "main", root / "nowhere"));
  conf("15", "a b", root / "data" / "15" / "other");
  EXPECT_FALSE(find_debian_cluster(root / "data" / "15" / "other", root / "etc"));
}

TEST_F(EtcPostgresql, TwoConfigurationsForOneDirectoryOrAnotherMajorsAreNotGuessedBetween) {
  conf("15", "main", root / "data" / "15" / "main");
  conf("15", "main.bak", root / "data" / "15" / "main");
  EXPECT_FALSE(find_debian_cluster(root / "data" / "15" / "main", root / "etc")) << "two candidates: none";
  fs::remove_all(root / "etc" / "15" / "main.bak");
  conf("14", "main", root / "data" / "15" / "main"); // a leftover of an older major
  auto c = find_debian_cluster(root / "data" / "15" / "main", root / "etc");
  ASSERT_TRUE(c);
  EXPECT_EQ(c->version, "15") << "the major of the data directory's PG_VERSION";
}

TEST_F(EtcPostgresql, StartConfIsReadLikePgCtlclusterReadsIt) {
  conf("15", "main", root / "data" / "15" / "main");
  debian_cluster c{"15", "main"};
  EXPECT_EQ(debian_start_conf(c, root / "etc"), "auto") << "no file: auto";
  std::ofstream(root / "etc" / "15" / "main" / "start.conf") << "# Automatic startup configuration\n\ndisabled\n";
  EXPECT_EQ(debian_start_conf(c, root / "etc"), "disabled");
}

} // namespace
} // namespace slotd::pg::server

namespace slotd::pg::server {
namespace {

TEST(DebianServerCommands, PgCtlclusterForEachUnsetCommandOnlyWhereThatIsSafe) {
  debian_cluster c{"15", "main"};
  auto plain = debian_server_commands(c, "", "", false, "auto");
  EXPECT_EQ(plain.refusal, "");
  EXPECT_EQ(plain.stop, "pg_ctlcluster 15 main stop -m fast");
  EXPECT_EQ(plain.start, "pg_ctlcluster 15 main start");
  auto half = debian_server_commands(c, "my-stop", "", false, "manual");
  EXPECT_EQ(half.stop, "my-stop") << "a command that is set stays";
  EXPECT_EQ(half.start, "pg_ctlcluster 15 main start") << "the other one is filled in";
  auto under_systemd = debian_server_commands(c, "", "", true, "auto");
  EXPECT_NE(under_systemd.refusal.find("postgresql@15-main"), std::string::npos) << under_systemd.refusal;
  auto disabled = debian_server_commands(c, "", "", false, "disabled");
  EXPECT_NE(disabled.refusal.find("disabled"), std::string::npos);
  auto both = debian_server_commands(c, "a", "b", true, "disabled");
  EXPECT_EQ(both.refusal, "") << "both set: the configuration decides";
  EXPECT_EQ(both.stop, "a");
}

} // namespace
} // namespace slotd::pg::server
