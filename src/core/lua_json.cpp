// lua_json.cpp - see lua_json.hpp. The table model follows Lua 5.1.5's ltable.c and
// Redis's lstring.c (the Lua Redis embeds), for string keys only: a node array of 2^k slots, a
// key's main position its hash modulo the size, collisions resolved into the free slot
// found scanning down from the end, and a full table rebuilt at the next power of two
// above its key count, re-inserting the old slots from the last to the first.
#include "core/lua_json.hpp"

#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

#include "core/json_string.hpp"

namespace json = boost::json;

namespace drover::detail {

namespace {

// Lua 5.1's string hash (luaS_newlstr) as Redis builds it: seeded with the length, over
// every character from the last (stock Lua 5.1 skips characters of strings over 31
// bytes; Redis has hashed them all since its scripting began, against collision attacks;
// tests/integration/core/lua_json_test.cpp holds Redis to it).
std::uint32_t lua_string_hash(std::string_view s) {
  auto h = static_cast<std::uint32_t>(s.size());
  for (std::size_t l = s.size(); l > 0; --l) {
    h = h ^ ((h << 5) + (h >> 2) + static_cast<unsigned char>(s[l - 1]));
  }
  return h;
}

// The hash part of one Lua table holding string keys, as keys are inserted one by one.
class lua_hash_part {
 public:
  explicit lua_hash_part(std::size_t keys) { hashes_.reserve(keys); }

  void insert(std::uint32_t hash) {
    const int key = static_cast<int>(hashes_.size());
    hashes_.push_back(hash);
    place(key);
  }

  // The keys (by insertion index) in the order next() visits them.
  std::vector<int> order() const {
    std::vector<int> out;
    out.reserve(hashes_.size());
    for (const auto& n : nodes_) {
      if (n.key >= 0) out.push_back(n.key);
    }
    return out;
  }

 private:
  struct node {
    int key = -1;  // -1: free
    int next = -1;
  };

  std::size_t main_position(int key) const { return hashes_[static_cast<std::size_t>(key)] & (nodes_.size() - 1); }

  int free_position() {
    while (last_free_ > 0) {
      --last_free_;
      if (nodes_[last_free_].key < 0) return static_cast<int>(last_free_);
    }
    return -1;
  }

  // newkey(): an empty table (Lua's shared dummy node) or a full one is rebuilt first.
  void place(int key) {
    for (;;) {
      if (nodes_.empty()) {
        rebuild(1);
        continue;
      }
      const std::size_t mp = main_position(key);
      if (nodes_[mp].key < 0) {
        nodes_[mp].key = key;
        return;
      }
      const int free = free_position();
      if (free < 0) {
        rebuild(count() + 1);
        continue;
      }
      const auto n = static_cast<std::size_t>(free);
      std::size_t other = main_position(nodes_[mp].key);
      if (other != mp) {
        // The colliding key is out of its main position: it moves to the free slot.
        while (nodes_[other].next != static_cast<int>(mp)) other = static_cast<std::size_t>(nodes_[other].next);
        nodes_[other].next = free;
        nodes_[n] = nodes_[mp];
        nodes_[mp] = node{key, -1};
      } else {
        nodes_[n] = node{key, nodes_[mp].next};
        nodes_[mp].next = free;
      }
      return;
    }
  }

  std::size_t count() const {
    std::size_t c = 0;
    for (const auto& n : nodes_) c += n.key >= 0 ? 1 : 0;
    return c;
  }

  // resize(): 2^ceil(log2(wanted)) free slots, then the old keys again, last slot first.
  void rebuild(std::size_t wanted) {
    std::size_t size = 1;
    while (size < wanted) size <<= 1;
    std::vector<node> old(size);
    old.swap(nodes_);
    last_free_ = size;
    for (auto i = old.size(); i-- > 0;) {
      if (old[i].key >= 0) place(old[i].key);
    }
  }

  std::vector<std::uint32_t> hashes_;
  std::vector<node> nodes_;  // empty: the dummy node of a table that never held a key
  std::size_t last_free_ = 0;
};

// cjson's escapes: the control characters, '"', '\\', '/' and DEL; other bytes as they are.
void append_string(std::string& out, std::string_view s) {
  detail::append_json_string(out, s, detail::json_escapes::cjson);
}

// cjson prints numbers with "%.14g": an integer below 10^14 as its digits.
bool append_number(std::string& out, double v) {
  if (!std::isfinite(v) || v != std::trunc(v) || std::fabs(v) >= 1e14 || (v == 0 && std::signbit(v))) return false;
  out += std::to_string(static_cast<std::int64_t>(v));
  return true;
}

bool append_object(std::string& out, const json::object& o, int depth);

bool append_value(std::string& out, const json::value& v, int depth) {
  switch (v.kind()) {
    case json::kind::bool_:
      out += v.get_bool() ? "true" : "false";
      return true;
    case json::kind::int64:
      return append_number(out, static_cast<double>(v.get_int64()));
    case json::kind::uint64:
      return append_number(out, static_cast<double>(v.get_uint64()));
    case json::kind::double_:
      return append_number(out, v.get_double());
    case json::kind::string:
      append_string(out, v.get_string());
      return true;
    case json::kind::object:
      return append_object(out, v.get_object(), depth + 1);
    case json::kind::null:
    case json::kind::array:
      return false;
  }
  return false;
}

bool append_object(std::string& out, const json::object& o, int depth) {
  if (depth > 8) return false;
  lua_hash_part table(o.size());
  for (const auto& kv : o) table.insert(lua_string_hash(kv.key()));
  out.push_back('{');
  bool first = true;
  for (const int i : table.order()) {
    const auto& kv = o.begin()[i];
    if (!first) out.push_back(',');
    first = false;
    append_string(out, kv.key());
    out.push_back(':');
    if (!append_value(out, kv.value(), depth)) return false;
  }
  out.push_back('}');
  return true;
}

}  // namespace

std::optional<std::string> cjson_text(const json::object& o) {
  std::string out;
  out.reserve(64 + 16 * o.size());
  if (!append_object(out, o, 0)) return std::nullopt;
  return out;
}

}  // namespace drover::detail
