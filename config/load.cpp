#include "config/load.hpp"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <functional>
#include <sstream>

#include "config/cluster_view_reader.hpp"
#include "config/file_checks.hpp"
#include "config/keys.hpp"
#include "config/yaml_reader.hpp"
#include "pg/model/failover_slots.hpp"
#include "pg/model/pgaf_source.hpp"

namespace slotd::config {

namespace {

// "host:port" or "[v6-address]:port".
std::optional<listen_address> parse_listen(std::string_view text) {
  auto colon = text.rfind(':');
  if (colon == std::string_view::npos || colon == 0)
    return std::nullopt;
  auto port = parse_port(text.substr(colon + 1));
  std::string_view host = text.substr(0, colon);
  if (host.front() == '[') {
    if (host.size() < 3 || host.back() != ']')
      return std::nullopt;
    host = host.substr(1, host.size() - 2);
  } else if (host.find(':') != std::string_view::npos) {
    return std::nullopt; // an IPv6 address needs its brackets
  }
  if (!port)
    return std::nullopt;
  return listen_address{std::string(host), *port};
}

// A string-valued key: (key, member) pairs keep the readers below short.
template <class S>
struct string_key {
  std::string_view key;
  std::string S::*field;
};

template <class S, std::size_t N>
bool read_string_key(yaml_reader& r, const yaml_entry& e, S& into, const string_key<S> (&fields)[N]) {
  for (const auto& f : fields) {
    if (e.key == f.key) {
      if (auto text = r.string(e))
        into.*(f.field) = *text;
      return true;
    }
  }
  return false;
}

// With check_scope::files, a path-valued key's problem on the file system,
// reported at its value. An empty value (the key unset) is not checked.
void check_path(yaml_reader& r, const yaml_entry& e, const std::string& path, check_scope scope,
                const std::function<std::optional<std::string>(const std::string&)>& problem_of) {
  if (scope != check_scope::files || path.empty())
    return;
  if (auto problem = problem_of(path))
    r.error(e.at(), *problem);
}

void read_postgresql(yaml_reader& r, const yaml_entry& e, postgresql_config& pg, cluster_update& cluster,
                     view_positions& positions, check_scope scope) {
  static constexpr string_key<postgresql_config> strings[] = {
      {"conninfo", &postgresql_config::conninfo},
      {"data_dir", &postgresql_config::data_dir},
      {"bin_dir", &postgresql_config::bin_dir},
      {"stop_command", &postgresql_config::stop_command},
      {"start_command", &postgresql_config::start_command},
  };
  static constexpr string_key<leader_auth_config> auth_strings[] = {
      {"user", &leader_auth_config::user},
      {"password_file", &leader_auth_config::password_file},
  };
  r.each_known_entry(e, keys::postgresql, [&](const yaml_entry& f) {
    if (read_string_key(r, f, pg, strings)) {
      if (f.key == "data_dir")
        check_path(r, f, pg.data_dir, scope, data_dir_problem);
      return;
    }
    if (f.key == "copy_settle") {
      if (auto settle = r.duration(f, zero_duration::allowed))
        pg.copy_settle = *settle;
    } else if (f.key == "copy_method") {
      using enum model::copy_method_setting;
      if (auto method = r.choice(f, {automatic, file, create}))
        pg.copy_method = *method;
    } else if (f.key == "leader_auth")
      r.each_known_entry(f, keys::leader_auth,
                         [&](const yaml_entry& a) { read_string_key(r, a, pg.leader_auth, auth_strings); });
    else // use_slots: part of the cluster view
      read_cluster_key(r, f, cluster, positions);
  });
}

void read_api(yaml_reader& r, const yaml_entry& e, api_config& api, check_scope scope) {
  r.each_known_entry(e, keys::api, [&](const yaml_entry& f) {
    auto text = r.string(f);
    if (!text)
      return;
    if (f.key == "token_file") {
      api.token_file = *text;
      check_path(r, f, api.token_file, scope, [](const std::string& file) {
        std::string error;
        return read_token_file(file, error) ? std::nullopt : std::optional<std::string>(error);
      });
    } else if (auto address = parse_listen(*text)) {
      api.listen = *address;
    } else {
      r.error(f.at(), f.path + ": '" + *text + "' is not host:port (e.g. 127.0.0.1:8010 or [::1]:8010)");
    }
  });
}

// A replica's agent needs a cycle and a leader sample (at most 5 s) to say
// it is not ready before the primary leaves it out.
void check_leave_out_after(yaml_reader& r, const config& cfg, const YAML::Mark& at) {
  using namespace std::chrono_literals;
  const auto& f = cfg.failover_slots;
  if (f.leave_out_after < cfg.loop_wait + 5s)
    r.warning(at, "failover_slots.leave_out_after (" + std::to_string(f.leave_out_after.count()) +
                      " ms) is below loop_wait + 5 s: a replica that stops streaming may be left out of "
                      "synchronized_standby_slots before its agent reports it not ready");
}

void read_failover_slots(yaml_reader& r, const yaml_entry& e, failover_slots_config& f) {
  r.each_known_entry(e, keys::failover_slots, [&](const yaml_entry& k) {
    if (k.key == "min_standbys") {
      if (auto n = r.count(k, 1000))
        f.min_standbys = *n;
    } else if (auto d = r.duration(k, zero_duration::allowed)) { // leave_out_after
      f.leave_out_after = *d;
    }
  });
}

// members_from: config | repmgr | {repmgr: {database: D, api_port: P}}.
void read_members_from(yaml_reader& r, const yaml_entry& e, members_from_config& m) {
  if (!e.value.IsMap()) {
    if (auto source = r.choice(e, {members_source::config, members_source::repmgr}))
      m.source = *source;
    return;
  }
  if (e.value.size() == 0)
    r.error(e.at(), e.path + ": an empty map names no source (write members_from: repmgr, or leave the key out)");
  r.each_known_entry(e, keys::members_from, [&](const yaml_entry& f) { // repmgr
    m.source = members_source::repmgr;
    r.each_known_entry(f, keys::repmgr, [&](const yaml_entry& k) {
      if (k.key == "database") {
        if (auto db = r.non_empty_string(k))
          m.database = *db;
      } else if (auto port = r.port(k)) { // api_port
        m.api_port = *port;
      }
    });
  });
}

// With ha_source pg_auto_failover, this agent's member name is the physical
// slot pg_auto_failover gives its node (pg/model/pgaf_source.hpp).
void check_pgaf_name(yaml_reader& r, const std::string& name, const YAML::Mark& at) {
  if (!name.empty() && !model::pgaf_node_id_of(name))
    r.error(at, "name: with ha_source: pg_auto_failover, name is the physical slot that pg_auto_failover gives "
                "this node, pgautofailover_standby_<node id> (pg_autoctl show state lists the node ids), not '" +
                    name + "'");
}

// ha_source: {pg_auto_failover: {monitor: URI, formation: F, api_port: P}}.
void read_ha_source(yaml_reader& r, const yaml_entry& e, members_from_config& m) {
  if (!e.value.IsMap() || e.value.size() == 0) {
    r.error(e.at(), e.path + ": name the HA manager that drives this agent: ha_source: {pg_auto_failover: "
                             "{monitor: \"postgres://...\"}}");
    return;
  }
  r.each_known_entry(e, keys::ha_source, [&](const yaml_entry& f) { // pg_auto_failover
    m.source = members_source::pg_auto_failover;
    bool monitor = false;
    r.each_known_entry(f, keys::pg_auto_failover, [&](const yaml_entry& k) {
      if (k.key == "monitor") {
        monitor = true;
        if (auto uri = r.non_empty_string(k))
          m.monitor = *uri;
      } else if (k.key == "formation") {
        if (auto formation = r.non_empty_string(k))
          m.formation = *formation;
      } else if (auto port = r.port(k)) { // api_port
        m.api_port = *port;
      }
    });
    if (!monitor)
      r.error(f.at(), f.path + ".monitor is missing: the monitor's connection string, as pg_autoctl show uri "
                               "--monitor prints it");
  });
}

void read_log(yaml_reader& r, const yaml_entry& e, log_config& log) {
  r.each_known_entry(e, keys::log, [&](const yaml_entry& f) {
    if (f.key == "level") {
      using enum log_level;
      if (auto level = r.choice(f, {trace, debug, info, warn, error, critical, off}))
        log.level = *level;
    } else if (f.key == "audit_file") {
      if (auto path = r.non_empty_string(f))
        log.audit_file = *path;
    } else if (auto format = r.choice(f, {log_format::text, log_format::json})) {
      log.format = *format;
    }
  });
}

} // namespace

parse_result<config> parse(std::string_view text, std::string filename, check_scope scope) {
  yaml_reader r(std::move(filename), "at the top level", keys::file_homes);
  parse_result<config> result;
  config cfg;
  auto doc = r.parse_document(std::string(text));
  if (doc && doc->IsNull()) {
    r.error(doc->Mark(), "the configuration is empty (at least 'name' is required)");
  } else if (doc && !doc->IsMap()) {
    r.error(doc->Mark(), "the configuration must be a map of keys (name: ..., postgresql: ...), not " +
                             describe(*doc));
  } else if (doc) {
    cluster_update cluster;
    view_positions positions;
    members_from_config ha_source;
    std::optional<YAML::Mark> name_at;
    std::optional<YAML::Mark> failover_slots_at;
    std::optional<YAML::Mark> members_from_at;
    std::optional<YAML::Mark> ha_source_at;
    r.each_known_entry(*doc, doc->Mark(), "", keys::top, [&](const yaml_entry& e) {
      if (e.key == "name") {
        name_at = e.at();
        if (auto name = r.non_empty_string(e))
          cfg.name = *name;
      } else if (e.key == "scope") {
        if (auto value = r.string(e))
          cfg.scope = *value;
      } else if (e.key == "loop_wait") {
        if (auto wait = r.duration(e, zero_duration::rejected))
          cfg.loop_wait = *wait;
      } else if (e.key == "role") {
        if (auto role = r.choice(e, {start_role::automatic, start_role::wait}))
          cfg.role = *role;
      } else if (e.key == "state_dir") {
        if (auto dir = r.string(e))
          cfg.state_dir = *dir;
      } else if (e.key == "postgresql") {
        read_postgresql(r, e, cfg.postgresql, cluster, positions, scope);
      } else if (e.key == "failover_slots") {
        failover_slots_at = e.at();
        read_failover_slots(r, e, cfg.failover_slots);
      } else if (e.key == "members_from") {
        members_from_at = e.at();
        read_members_from(r, e, cfg.members_from);
      } else if (e.key == "ha_source") {
        ha_source_at = e.at();
        read_ha_source(r, e, ha_source);
      } else if (e.key == "api") {
        read_api(r, e, cfg.api, scope);
      } else if (e.key == "log") {
        read_log(r, e, cfg.log);
      } else {
        read_cluster_key(r, e, cluster, positions);
      }
    });
    if (!name_at)
      r.error(doc->Mark(), "name is missing (this member's name, as the HA manager names it)");
    cluster.apply_to(cfg.cluster);
    if (ha_source_at) {
      if (members_from_at && cfg.members_from.source != members_source::config)
        r.error(*ha_source_at, "ha_source: pg_auto_failover takes the members from the monitor: remove "
                               "members_from");
      else
        cfg.members_from = ha_source;
      if (ha_source.source == members_source::pg_auto_failover)
        check_pgaf_name(r, cfg.name, name_at.value_or(*ha_source_at));
    }
    if (auto source = cfg.members_from.source; source != members_source::config && !cfg.cluster.members.empty())
      r.error(positions.members.empty() ? (ha_source_at ? *ha_source_at : *members_from_at)
                                        : positions.members.begin()->second,
              "members: with " + std::string(members_source_key(source)) + " the members come from " +
                  std::string(members_origin(source)) + "; remove members (or " +
                  (ha_source_at ? "ha_source" : "members_from") + ")");
    if (model::has_failover_permanent_slots(cfg.cluster))
      check_leave_out_after(r, cfg, failover_slots_at.value_or(doc->Mark()));
    report_view_problems(r, cfg.cluster, cfg.name, positions, name_at.value_or(doc->Mark()));
  }
  if (!r.has_errors())
    result.value = std::move(cfg);
  result.diagnostics = r.take_diagnostics();
  return result;
}

parse_result<config> load(const std::filesystem::path& path, check_scope scope) {
  auto unreadable = [&](const std::string& why) {
    parse_result<config> result;
    result.diagnostics.push_back({path.string(), 0, 0, "cannot read the configuration file: " + why});
    return result;
  };
  std::error_code ec;
  auto status = std::filesystem::status(path, ec);
  if (ec)
    return unreadable(ec.message());
  if (std::filesystem::is_directory(status))
    return unreadable("it is a directory");
  std::ifstream in(path, std::ios::binary);
  if (!in)
    return unreadable(std::strerror(errno));
  std::stringstream text;
  text << in.rdbuf();
  if (in.bad())
    return unreadable(std::strerror(errno));
  return parse(text.str(), path.string(), scope);
}

} // namespace slotd::config
