#include "pg/queries/slot_details.hpp"

#include "pg/queries/parse_guard.hpp"
#include "pg/queries/slots.hpp"

namespace slotd::pg::queries {

namespace {

std::optional<model::sample_clock::time_point> from_epoch_ms(std::optional<std::int64_t> ms) {
  if (!ms)
    return std::nullopt;
  return model::sample_clock::time_point{std::chrono::milliseconds(*ms)};
}

} // namespace

std::string slot_details_sql(int version) {
  const int major = major_of(version);
  std::string sql = "SELECT s.slot_name, s.active_pid, ";
  sql += major >= 13 ? "s.safe_wal_size, " : "NULL::bigint, ";
  sql += major >= 17 ? "(extract(epoch FROM s.inactive_since) * 1000)::bigint, " : "NULL::bigint, ";
  sql += "a.application_name, host(a.client_addr), (extract(epoch FROM a.backend_start) * 1000)::bigint, "
         "a.backend_type "
         "FROM pg_catalog.pg_replication_slots s "
         "LEFT JOIN pg_catalog.pg_stat_activity a ON a.pid = s.active_pid "
         "WHERE NOT s.temporary";
  return sql;
}

result<model::slot_details_map> parse_slot_details(const rows& r) {
  return parse_guarded("slot details", [&]() -> result<model::slot_details_map> {
    model::slot_details_map out;
    for (int i = 0; i < r.size(); ++i) {
      model::slot_details d;
      d.active_pid = r.get<int>(i, 1);
      d.safe_wal_size = r.get<std::int64_t>(i, 2);
      d.inactive_since = from_epoch_ms(r.get<std::int64_t>(i, 3));
      if (d.active_pid) {
        model::slot_consumer c;
        c.application_name = r.get<std::string>(i, 4);
        c.client_addr = r.get<std::string>(i, 5);
        c.backend_start = from_epoch_ms(r.get<std::int64_t>(i, 6));
        c.backend_type = r.get<std::string>(i, 7);
        d.consumer = c;
      }
      out[r.get<std::string>(i, 0).value_or("")] = std::move(d);
    }
    return out;
  });
}

} // namespace slotd::pg::queries
