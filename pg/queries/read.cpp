#include "pg/queries/read.hpp"

#include "pg/slotfile/snapshot_file.hpp"

namespace slotd::pg::queries {

result<model::slot_cache> parse_slot_cache(const rows& r, int server_version) {
  auto slots = parse_slots(r, server_version);
  if (!slots)
    return slots.error();
  return to_slot_cache(*slots);
}

boost::asio::awaitable<result<snapshot_read>> read_snapshot_at(connection& conn, std::string slot, lsn restart,
                                                               deadline until) {
  snapshot_read out;
  params path{slotfile::snapshot_file_path(restart)};
  auto file = co_await query_parsed(conn, read_file_sql(), path, until, parse_file_bytes);
  if (file) {
    out.bytes = std::move(*file);
    co_return out;
  }
  if (file.error().connection_lost || file.error().timed_out)
    co_return file.error();
  if (!is_undefined_file(file.error())) {
    out.unusable = "cannot read its decoding snapshot " + *path.front() + ": " + file.error().what();
    co_return out;
  }
  params name{slot};
  auto now = co_await query_parsed(conn, slot_restart_lsn_sql(), name, until, parse_restart_lsn);
  if (!now)
    co_return now.error();
  if (*now != restart)
    out.unusable = "the leader's slot moved on from restart_lsn " + restart.str() + " while it was read (to " +
                   (*now ? (*now)->str() : std::string("nowhere: dropped")) +
                   ") and its decoding snapshot there is gone: copied at the next attempt";
  co_return out;
}

} // namespace slotd::pg::queries
