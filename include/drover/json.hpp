// json.hpp - reading JSON text the way JavaScript's JSON.parse reads it.
//
// BullMQ writes a job's data, options, progress and return value with JSON.stringify
// and reads them back with JSON.parse; so does every Node program that shares a queue
// with drover. Boost 1.81's own parser differs from JSON.parse on input those programs
// write: a decimal can come back one unit off in its last digit, nesting deeper than
// 32 levels is refused, and so is an escaped lone UTF-16 surrogate ("\ud83d", which
// JSON.stringify writes for half of an emoji cut by String.slice). parse_json reads
// every number exactly (correctly rounded, as JSON.parse does), allows nesting up to
// max_json_depth, and reads a lone surrogate as U+FFFD, since UTF-8 cannot hold it.
// One difference is kept: an integer beyond 2^53 (9007199254740993) is read exactly, as
// a 64-bit integer, where JSON.parse rounds it to a double (9007199254740992); JSON.stringify
// never writes such an integer, so only text from elsewhere holds one.
//
// Writing, Boost's serializer gives 1E-1 for 0.1 (valid JSON, but not the text Node
// stores for the same job) and "Infinity" for an infinite double, which is not JSON at
// all: Node's JSON.parse of that return value throws. serialize_json writes what
// JSON.stringify writes.
#pragma once

#include <boost/json/value.hpp>
#include <boost/system/error_code.hpp>

#include <cstddef>
#include <string>
#include <string_view>

namespace drover {

// Deep enough for any document a person writes; bounded, because a value is destroyed
// recursively.
inline constexpr std::size_t max_json_depth = 1000;

// The value of one JSON document (whitespace around it allowed). On malformed text, or
// nesting deeper than `max_depth`, sets ec and returns null. Thread safety: any thread.
boost::json::value parse_json(std::string_view text, boost::system::error_code& ec,
                              std::size_t max_depth = max_json_depth);

// The same, throwing boost::system::system_error on malformed text.
boost::json::value parse_json(std::string_view text);

// The text JSON.stringify writes for `v`, byte for byte for any value Node wrote (read
// back with parse_json): numbers as JavaScript prints them (0.1, 1e+21, 1.5e-7, 100), a
// NaN or infinite double as null, strings escaped as JSON.stringify escapes them (", \\, \b \f \n \r \t, other control
// characters as \u00xx; a byte that starts no UTF-8 character as U+FFFD, since JSON.stringify writes only UTF-8;
// everything else, non-ASCII included, as it is), no whitespace, an object's keys in
// JavaScript's order (array-index keys such as "2" first, ascending; the others as added). One difference for values
// built in C++: integers beyond 2^53 are written exactly (JavaScript would round them). Thread safety: any thread.
std::string serialize_json(const boost::json::value& v);

}  // namespace drover
