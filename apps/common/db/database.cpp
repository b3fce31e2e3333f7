// database.cpp - open_database(): reads the URL and picks the backend.
#include <drover_app/db/database.hpp>

#include <algorithm>
#include <cctype>

#include <drover_app/logging/redact.hpp>
#include <spdlog/spdlog.h>

#include "db/backends.hpp"

namespace drover::app {

namespace {

// RFC 3986: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ). Checked before a scheme
// is quoted in an error, so that a mangled URL never leaks its password there.
bool valid_scheme(std::string_view s) {
  if (s.empty() || !std::isalpha(static_cast<unsigned char>(s[0]))) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '+' || c == '-' || c == '.';
  });
}

std::string lowercase(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  return s;
}

std::unique_ptr<database> open_sqlite_path(const std::string& url, std::string path) {
  if (path.empty()) throw std::invalid_argument("open_database: no file path in SQLite URL '" + url + "'");
  // SQLite's URI parameters are not read: "x.db?mode=ro" was a new, empty file of that name.
  if (path.find('?') != std::string::npos) {
    throw std::invalid_argument("open_database: SQLite URL '" + url +
                                "' has a query ('?...'): drover reads no SQLite URI parameters; give the file's path");
  }
  if (path == "memory:") path = ":memory:";  // sqlite::memory: after its "sqlite:"
  return detail::open_sqlite(path);
}

}  // namespace

// Separate calls, not one transaction, and still race-free: once a conversation
// exists its owner never changes, so the owner checked here is the owner when the
// message is added. Two users creating the same id at once both run the INSERT,
// one of them creates the row, and the other reads that owner and is refused.
std::optional<saved_user_message> database::save_user_message(const std::string& conversation_id,
                                                              const std::string& user_id, const std::string& content,
                                                              std::size_t history_limit, bool require_owner) {
  saved_user_message out;
  ensure_conversation(conversation_id, user_id);
  if (require_owner && conversation_owner(conversation_id) != user_id) return std::nullopt;
  out.history = list_messages(conversation_id, history_limit);
  out.message_id = add_message(conversation_id, "user", content, std::nullopt);
  out.assessment = get_assessment(user_id);
  return out;
}

// Looked up first, so that a retry neither creates a conversation nor reads the one it
// names when its key was spent on another. A key taken between the lookup and the
// insert (two attempts at once) is looked up again.
std::optional<keyed_user_message> database::save_user_message_once(const std::string& idempotency_key,
                                                                   const user_message_to_save& m) {
  for (int round = 0; round < 2; ++round) {
    if (auto stored = find_message_by_key(idempotency_key)) {
      keyed_user_message out;
      out.duplicate = true;
      out.saved.message_id = stored->id;
      out.conversation_id = stored->conversation_id;
      out.content = stored->content;
      out.job_id = stored->job_id;
      if (stored->conversation_id == m.conversation_id && stored->content == m.content) {
        out.saved.history = list_messages(m.conversation_id, m.history_limit, stored->id);
        out.saved.assessment = get_assessment(m.user_id);
      }
      return out;
    }
    if (round > 0) break;
    ensure_conversation(m.conversation_id, m.user_id);
    if (m.require_owner && conversation_owner(m.conversation_id) != m.user_id) return std::nullopt;
    keyed_user_message out;
    out.saved.history = list_messages(m.conversation_id, m.history_limit);
    auto id = add_message_once(idempotency_key, m.conversation_id, "user", m.content, std::nullopt);
    if (!id) continue;  // taken meanwhile: answer the one stored
    out.saved.message_id = *id;
    out.saved.assessment = get_assessment(m.user_id);
    out.conversation_id = m.conversation_id;
    out.content = m.content;
    return out;
  }
  throw database_error("saving a message under idempotency key '" + idempotency_key +
                       "': the key is taken, yet no message has it");
}

std::vector<user_message_outcome> database::save_user_messages(const std::vector<user_message_to_save>& batch) {
  std::vector<user_message_outcome> out(batch.size());
  for (std::size_t i = 0; i < batch.size(); ++i) {
    const auto& r = batch[i];
    try {
      out[i].saved = save_user_message(r.conversation_id, r.user_id, r.content, r.history_limit, r.require_owner);
    } catch (...) {
      out[i].error = std::current_exception();
    }
  }
  return out;
}

namespace {

// Text that is a mistyped URL rather than a file path: a database scheme followed by ':'
// or '/' ("postgres//h/db", "postgresql:/h"), a word and slashes before user info
// ("pg//u:pw@h"), "//host/db", user info before the first '/' ("u:pw@host/db"), or a
// host and port ("10.0.0.5:5432", "db.internal:5432/app": an operator's drill made a
// SQLite file of that name). A path such as "/srv/app@2/drover.db" or "/var//drover.db"
// is none of these.
bool looks_like_a_url(std::string_view text) {
  std::size_t word = 0;
  while (word < text.size() && (std::isalnum(static_cast<unsigned char>(text[word])) || text[word] == '+' ||
                                text[word] == '.' || text[word] == '-')) {
    ++word;
  }
  const auto scheme = lowercase(std::string(text.substr(0, word)));
  const auto rest = text.substr(word);
  const bool separator = rest.starts_with(":") || rest.starts_with("/");
  if (separator && (scheme == "postgres" || scheme == "postgresql" || scheme == "sqlite")) return true;
  if (word > 0 && (rest.starts_with("//") || rest.starts_with(":/")) && rest.find('@') != std::string_view::npos) {
    return true;
  }
  if (text.starts_with("//")) return true;  // a URL without its scheme
  const auto first_part = text.substr(0, text.find('/'));
  if (first_part.find('@') != std::string_view::npos) return true;
  const auto colon = first_part.rfind(':');
  if (colon == std::string_view::npos || colon == 0 || colon + 1 == first_part.size()) return false;
  const auto host = first_part.substr(0, colon), port = first_part.substr(colon + 1);
  const auto is_digit = [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; };
  const auto host_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
  };
  return std::all_of(port.begin(), port.end(), is_digit) && std::all_of(host.begin(), host.end(), host_char);
}

}  // namespace

std::unique_ptr<database> open_database(const std::string& url) {
  if (url.empty()) throw std::invalid_argument("open_database: the database URL is empty");
  // A space copied in around the value made another file, and the app started on a new,
  // empty database (a configuration review).
  if (std::isspace(static_cast<unsigned char>(url.front())) || std::isspace(static_cast<unsigned char>(url.back()))) {
    throw std::invalid_argument("open_database: the database URL '" + redact_url(url) +
                                "' begins or ends with white space; remove it");
  }
  if (auto sep = url.find("://"); sep != std::string::npos) {
    std::string scheme = lowercase(url.substr(0, sep));
    if (!valid_scheme(scheme)) throw std::invalid_argument("open_database: malformed database URL (bad scheme)");
    if (scheme == "postgres" || scheme == "postgresql") return detail::open_postgres(url);
    // sqlite:///abs/path.db keeps its leading slash; sqlite://rel/path.db is relative.
    if (scheme == "sqlite") return open_sqlite_path(url, url.substr(sep + 3));
    throw std::invalid_argument("open_database: unknown database URL scheme '" + scheme +
                                "' (expected postgres://, postgresql://, sqlite:// or a file path)");
  }
  if (url.starts_with("sqlite:")) return open_sqlite_path(url, url.substr(7));
  // A mistyped URL ("postgres//u:pw@host/db", the colon missing) would otherwise be a
  // file path: the app started on a new SQLite file in a directory named after the
  // password, and logged it.
  if (looks_like_a_url(url)) {
    throw std::invalid_argument(
        "open_database: the database URL '" + redact_url(url) +
        "' looks like a URL but has no known scheme (expected postgres://user:password@host/db, "
        "postgresql://..., sqlite:///path/to/file.db, or a file path)");
  }
  return detail::open_sqlite(url);
}

void migrate_and_say(database& db, const std::string& url) {
  auto applied = db.migrate();
  if (!applied.empty() && applied.front() == 1) {
    // A drill moved the SQLite file and the restarted API began a new one, apart from
    // the Workers app; a Workers app pointed at a new database made its tables silently.
    spdlog::warn(
        "database: {} was empty; created its tables ({} migrations). On a first start that is "
        "expected; otherwise the apps' database is gone, and the API and the Workers app may now use "
        "different ones",
        redact_url(url), applied.size());
  } else if (!applied.empty()) {
    spdlog::info("database: applied {} migration(s)", applied.size());
  }
}

}  // namespace drover::app
