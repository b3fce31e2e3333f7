// script_call.hpp - what every wrapper in src/core/scripts/ packs into: one script and
// its KEYS then ARGV, ready for run_script; and the helpers the wrappers share.
//
// A wrapper is a struct that names each key and argument of one script, a pack() that
// puts them in the order the script reads them, and a parse() that turns the reply into
// a type. Its header restates the script's contract. Only the wrappers build KEYS and
// ARGV lists; everything else goes through them.
#pragma once

#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>

#include "core/lua_scripts.hpp"
#include "core/script_runner.hpp"
#include "redis/reply.hpp"

namespace drover::detail::scripts {

struct script_call {
  const lua::script* script = nullptr;
  script_args args;  // KEYS then ARGV; script->num_keys of them are keys
};

// The KEYS and ARGV of an own script that runs other scripts inside it (embed-lua.mjs,
// `-- drover:calls`): the calls' keys in the order they are added, then their arguments
// in the same order, after any arguments of the own script's that come first.
class composed_call {
 public:
  explicit composed_call(const lua::script& composite) : script_(&composite) {}
  // An argument of the own script itself; ARGV keeps the order of arg() and call().
  composed_call& arg(std::string a);
  // A key of the own script itself; KEYS keeps the order of key() and call().
  composed_call& key(std::string k);
  composed_call& call(script_call part);
  script_call take();  // moves them out: once

 private:
  const lua::script* script_;
  script_args keys_, argv_;
};

// The "1"/"0" the scripts read as booleans.
inline std::string flag(bool b) { return b ? "1" : "0"; }

// The number a script answered. Throws error(protocol_error) naming the script when it
// is not a number, and the error BullMQ raises for a negative code (script_errors.hpp),
// naming the job and the state it was expected in.
std::int64_t expect_code(const redis::reply& r, const lua::script& s, std::string_view job_id,
                         std::string_view state = {});

// Packs, runs and parses one call: Call::pack() && gives the script_call and
// Call::parse(reply) const the result (the fields parse() reads are not moved out).
template <class Call>
boost::asio::awaitable<typename Call::result> run(redis::connection& conn, Call call) {
  script_call packed = std::move(call).pack();
  auto r = co_await run_script(conn, *packed.script, std::move(packed.args));
  co_return call.parse(r);
}

}  // namespace drover::detail::scripts
