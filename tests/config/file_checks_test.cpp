// The file-system checks of --check-config and of the agent's start: each
// problem points at the value that names the path.
#include "config/file_checks.hpp"

#include <gmock/gmock.h>
#include <gtest/gtest.h>
#include <unistd.h>

#include <fstream>

#include "config/load.hpp"
#include "tests/config/test_util.hpp"

namespace slotd::config {
namespace {

namespace fs = std::filesystem;
using test::printed;
using ::testing::ElementsAre;
using ::testing::IsEmpty;

// A fresh directory, removed with the test.
struct temp_dir {
  temp_dir() {
    static int n = 0;
    path = fs::temp_directory_path() / ("slotd-file-checks-" + std::to_string(::getpid()) + "-" + std::to_string(n++));
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~temp_dir() { fs::remove_all(path); }
  fs::path path;
};

// A data directory as initdb leaves it, as far as slotd looks.
fs::path make_data_dir(const fs::path& dir) {
  fs::create_directories(dir);
  std::ofstream(dir / "PG_VERSION") << "15\n";
  return dir;
}

// name, then the data dir on line 3 (value at column 13) and the token file
// on line 5 (value at column 15).
std::string config_text(const fs::path& data_dir, const fs::path& token_file = {}) {
  return "name: node1\npostgresql:\n  data_dir: " + data_dir.string() + "\napi:\n  token_file: " +
         token_file.string() + "\n";
}

parse_result<config> checked(const std::string& text) { return parse(text, "t.yaml", check_scope::files); }

TEST(file_checks, a_data_directory_with_pg_version_passes) {
  temp_dir t;
  auto data = make_data_dir(t.path / "data");
  EXPECT_EQ(data_dir_problem(data), std::nullopt);
  auto r = checked(config_text(data));
  EXPECT_TRUE(r.ok()) << ::testing::PrintToString(printed(r));
  EXPECT_THAT(r.diagnostics, IsEmpty());
}

TEST(file_checks, a_missing_data_dir_is_an_error_at_its_value) {
  temp_dir t;
  auto missing = t.path / "nope";
  auto r = checked(config_text(missing));
  EXPECT_FALSE(r.ok());
  EXPECT_THAT(printed(r), ElementsAre("t.yaml:3:13: postgresql.data_dir " + missing.string() + ": does not exist"));
}

TEST(file_checks, a_data_dir_without_pg_version_is_an_error_at_its_value) {
  temp_dir t;
  auto empty = t.path / "empty";
  fs::create_directories(empty);
  EXPECT_THAT(printed(checked(config_text(empty))),
              ElementsAre("t.yaml:3:13: postgresql.data_dir " + empty.string() +
                          ": is not a PostgreSQL data directory (it has no PG_VERSION file)"));
  auto file = t.path / "file";
  std::ofstream(file) << "x";
  EXPECT_THAT(printed(checked(config_text(file))),
              ElementsAre("t.yaml:3:13: postgresql.data_dir " + file.string() + ": is not a directory"));
  fs::create_directories(t.path / "odd" / "PG_VERSION");
  EXPECT_THAT(printed(checked(config_text(t.path / "odd"))),
              ElementsAre("t.yaml:3:13: postgresql.data_dir " + (t.path / "odd").string() +
                          ": is not a PostgreSQL data directory (its PG_VERSION is not a file)"));
}

TEST(file_checks, a_missing_or_empty_token_file_is_an_error_at_its_value) {
  temp_dir t;
  auto data = make_data_dir(t.path / "data");
  auto missing = t.path / "missing.token";
  EXPECT_THAT(printed(checked(config_text(data, missing))),
              ElementsAre("t.yaml:5:15: api.token_file " + missing.string() +
                          ": cannot read: No such file or directory"));
  auto empty = t.path / "empty.token";
  std::ofstream(empty) << " \n";
  EXPECT_THAT(printed(checked(config_text(data, empty))),
              ElementsAre("t.yaml:5:15: api.token_file " + empty.string() + ": is empty: put the bearer token in it"));
  EXPECT_THAT(printed(checked(config_text(data, t.path))),
              ElementsAre("t.yaml:5:15: api.token_file " + t.path.string() + ": cannot read: it is a directory"));
  auto good = t.path / "good.token";
  std::ofstream(good) << "s3cret\n";
  EXPECT_TRUE(checked(config_text(data, good)).ok());
}

TEST(file_checks, every_problem_is_reported) {
  temp_dir t;
  auto r = checked(config_text(t.path / "nope", t.path / "nope.token") + "loop_wait: 10\n");
  EXPECT_THAT(printed(r), ElementsAre("t.yaml:3:13: postgresql.data_dir " + (t.path / "nope").string() +
                                          ": does not exist",
                                      "t.yaml:5:15: api.token_file " + (t.path / "nope.token").string() +
                                          ": cannot read: No such file or directory",
                                      "t.yaml:6:12: loop_wait: '10' has no unit (use ms, s, min or h, e.g. 10s)"));
}

TEST(file_checks, unset_paths_and_the_text_scope_check_nothing) {
  EXPECT_TRUE(checked("name: node1\n").ok());
  EXPECT_TRUE(checked("name: node1\npostgresql: {data_dir: ''}\napi: {token_file: ''}\n").ok());
  EXPECT_TRUE(parse(config_text("/nonexistent/data", "/nonexistent/token"), "t.yaml").ok())
      << "check_scope::text (SIGHUP, tests) looks at the text only";
}

TEST(file_checks, load_passes_the_scope_on) {
  temp_dir t;
  auto file = t.path / "slotd.yaml";
  std::ofstream(file) << config_text(t.path / "nope");
  EXPECT_TRUE(load(file).ok());
  EXPECT_THAT(printed(load(file, check_scope::files)),
              ElementsAre(file.string() + ":3:13: postgresql.data_dir " + (t.path / "nope").string() +
                          ": does not exist"));
}

TEST(file_checks, token_file) {
  temp_dir t;
  std::ofstream(t.path / "t") << "  tok3n\n";
  std::ofstream(t.path / "empty") << "\n";
  std::string err;
  EXPECT_EQ(read_token_file((t.path / "t").string(), err), "tok3n");
  EXPECT_EQ(read_token_file((t.path / "empty").string(), err), std::nullopt);
  EXPECT_NE(err.find("is empty"), std::string::npos);
  EXPECT_EQ(read_token_file((t.path / "missing").string(), err), std::nullopt);
  EXPECT_NE(err.find("cannot read"), std::string::npos);
}

} // namespace
} // namespace slotd::config
