// Disk full where a copy installs its slot files (pg_replslot on a small
// tmpfs): the copy must fail before the server is stopped, the replica
// must not be restarted over and over while the disk stays full, and once
// there is room again the copy goes in with a single restart.
#include <pwd.h>
#include <sys/mount.h>

#include <fstream>

#include "tests/actors/agent_fixture.hpp"

namespace slotd::testing {
namespace {

// A tmpfs of `kib` KiB mounted on `dir` (owned by the data directory's
// owner), unmounted when the object goes (before the cluster is removed).
struct small_fs {
  small_fs(const fs::path& d, int kib) : dir(d) {
    struct stat st{};
    ::stat(dir.parent_path().c_str(), &st);
    auto opts = "size=" + std::to_string(kib) + "k,mode=0700,uid=" + std::to_string(st.st_uid) +
                ",gid=" + std::to_string(st.st_gid);
    mounted = ::mount("tmpfs", dir.c_str(), "tmpfs", 0, opts.c_str()) == 0;
  }
  ~small_fs() {
    if (mounted)
      ::umount2(dir.c_str(), MNT_DETACH);
  }
  // Fill it: a file written until ENOSPC.
  void fill() {
    std::ofstream f(dir / "filler", std::ios::binary);
    std::string block(4096, 'x');
    while (f.write(block.data(), block.size()))
      ;
  }
  void make_room() { fs::remove(dir / "filler"); }
  fs::path dir;
  bool mounted = false;
};

TEST(DiskFaults, FullDiskOnTheInstallCostsNoRestart) {
  if (::geteuid() != 0)
    GTEST_SKIP() << "mounting a small file system needs root";
  cdc_pair t;
  t.r.stop_fast();
  small_fs disk(t.r.data_dir() / "pg_replslot", 64);
  ASSERT_TRUE(disk.mounted) << "mount tmpfs on " << disk.dir << ": " << std::strerror(errno);
  disk.fill();
  t.r.start();
  // A standby accepts connections once its recovery is consistent.
  ASSERT_TRUE(eventually([&] {
    try {
      return !started_at(t.r).empty();
    } catch (const std::exception&) {
      return false;
    }
  }, 60s));
  t.start(t.p);
  ASSERT_TRUE(eventually([&] { return slots_of(t.p).contains("cdc"); }));
  auto started = started_at(t.r);
  t.start(t.r);
  ASSERT_TRUE(eventually([&] {
    auto e = t.loop()["errors"].dump();
    return e.find("cannot write the slot files") != std::string::npos && e.find("No space left on device") != std::string::npos;
  }, 60s)) << t.loop().dump(2);
  // Several attempts while the disk stays full: never a stop, and not an
  // attempt on every tick either.
  std::this_thread::sleep_for(5s);
  // Attempts 0, 1, 3 (and 7) s after the first: without the pause, one per
  // tick (200 ms here), 25 or more.
  auto failures = t.loop()["copy_failures"].get<int>();
  EXPECT_GE(failures, 2) << "a failed copy is tried again";
  EXPECT_LE(failures, 5) << "failed copies are retried with a growing pause";
  EXPECT_TRUE(t.r.running());
  EXPECT_EQ(started_at(t.r), started) << "the replica was restarted while the disk was full: " << t.loop().dump(2);
  EXPECT_EQ(t.loop()["restarts"], 0);
  EXPECT_FALSE(slots_of(t.r).contains("cdc"));

  disk.make_room();
  // Failed copies are retried after 1 s, 2 s, 4 s ... (at most a minute).
  // The restarted standby runs before it accepts connections: asked again then.
  ASSERT_TRUE(eventually([&] {
    try {
      return t.r.running() && slots_of(t.r).contains("cdc");
    } catch (const std::exception&) {
      return false;
    }
  }, 90s)) << t.loop().dump(2);
  // The copier reports just after the server accepts connections.
  EXPECT_TRUE(eventually([&] { return t.loop()["restarts"] == 1; }, 10s)) << t.loop().dump(2);
  EXPECT_TRUE(t.a.wait_ready("node2")) << t.a.readiness("node2").dump(2);
  // Nothing staged is left behind.
  for (auto& e : fs::directory_iterator(disk.dir))
    EXPECT_EQ(e.path().filename().string().find(".tmp"), std::string::npos) << e.path();
}

} // namespace
} // namespace slotd::testing
