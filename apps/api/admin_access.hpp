// admin_access.hpp - who may use the dashboard and its admin API, and whether a request
// that changes something may act.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <drover_app/secret_strength.hpp>

namespace drover::api {

// viewer: reads everything; admin: also acts (pause, retry, remove, ...).
enum class admin_role { viewer, admin };
const char* to_string(admin_role r);

struct admin_identity {
  std::string name;  // "token" for the bearer token
  admin_role role = admin_role::viewer;
};

// The credentials from configuration: DASHBOARD_TOKEN (a bearer token; whoever presents
// it is an admin) and DASHBOARD_USERS ("name:password:role,..." for basic auth; role is
// admin or viewer, the password may hold ':' but not ','). With neither, nobody gets in.
// Thread safety: immutable after construction.
class admin_access {
 public:
  admin_access() = default;
  // Throws std::invalid_argument naming the bad entry (never its password).
  admin_access(std::string token, std::string_view users);

  bool configured() const { return !token_.empty() || !users_.empty(); }
  bool has_token() const { return !token_.empty(); }
  // Each secret it holds, named by where it was set and never shown ("DASHBOARD_TOKEN",
  // "DASHBOARD_USERS password of <name>"): for the start's check that no secret serves
  // two purposes, not for logins.
  std::vector<std::pair<std::string, std::string>> named_secrets() const;
  bool has_users() const { return !users_.empty(); }

  // The identity an Authorization header proves ("Bearer <token>" or "Basic <base64>"),
  // or std::nullopt when it is missing, malformed or wrong. Secrets are compared in
  // constant time, and every user is looked at, so timing tells nothing.
  std::optional<admin_identity> authenticate(std::string_view authorization) const;

  // Why these credentials are too easy to guess for a server others reach (a token shorter
  // than `min_token` characters, a password shorter than `min_password`), naming the
  // setting and the user, never the secret; empty when they are not.
  std::string weakness(std::size_t min_token, std::size_t min_password) const;

  // The lengths `drover api` and `drover dashboard` require outside the development mode.
  // The login throttle allows about 1,440 guesses a day per name and address (the token:
  // per address only, so a guesser with many addresses gets that many per address):
  // enough for a short password, hopeless against these lengths.
  static constexpr std::size_t production_min_token = app::production_min_token, production_min_password = 12;
  std::string production_weakness() const { return weakness(production_min_token, production_min_password); }

 private:
  struct user {
    std::string name, password;
    admin_role role = admin_role::viewer;
  };
  std::string token_;
  std::vector<user> users_;
};

// Who an Authorization header claims to be, right or wrong: the user name of basic
// credentials (at most 64 bytes of it), or an empty string for a bearer token (throttled
// per address only) and when the header is missing or malformed. For throttling failed
// logins per user name (httpd/login_throttle.hpp), before and after authenticate().
std::string claimed_login(std::string_view authorization);

// The headers of a request that wants to act, as they came.
struct action_request {
  std::string_view method;          // only POST and DELETE act
  std::string_view host;            // Host
  std::string_view origin;          // Origin, empty when absent
  std::string_view sec_fetch_site;  // Sec-Fetch-Site, empty when absent
  std::string_view content_type;
  std::string_view action_header;  // X-Drover-Action, empty when absent
};

// Why a request may not act, or an empty string when it may. A browser cannot send a
// custom header nor a JSON body to another site without a CORS preflight (which the API
// never grants), and browsers name the site a request comes from in Origin and
// Sec-Fetch-Site: an action needs one of the former and, when the latter are present, the
// same origin. Credentials never travel in cookies, so a forged form carries none anyway.
std::string cross_site_refusal(const action_request& r);

// Why a request from a browser's page of another site is refused, or an empty string:
// Sec-Fetch-Site present and not same-origin (or none: typed by the user), or Origin
// present and not this server (its Host). Requests without either (curl, servers) pass.
std::string cross_origin_refusal(std::string_view host, std::string_view origin, std::string_view sec_fetch_site);

bool constant_time_equal(std::string_view a, std::string_view b);

}  // namespace drover::api
