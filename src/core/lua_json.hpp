// lua_json.hpp - the JSON text that Redis's Lua would make of an object: what
// cjson.encode writes for the table cmsgpack.unpack builds from msgpack_writer::json(o),
// byte for byte, so that a script can store it without unpacking and encoding
// (src/lua/addStandardJobLean-9.lua stores a job's options so).
//
// cjson writes a table's keys in the order Lua's next() visits them, which is where Lua
// 5.1's hash part put them: it depends on each key's string hash, the table's size and
// the order the keys went in (cmsgpack inserts them in the msgpack's order, growing the
// table as it goes). cjson_text replays that insertion. Anything whose text it cannot
// vouch for gives nullopt, and the caller lets the script encode: arrays, nulls, numbers
// that are not integers below 10^14 (cjson prints "%.14g"), and nesting deeper than 8.
#pragma once

#include <boost/json/object.hpp>

#include <optional>
#include <string>

namespace drover::detail {

std::optional<std::string> cjson_text(const boost::json::object& o);

}  // namespace drover::detail
