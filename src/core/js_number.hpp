// js_number.hpp - whole numbers read from JSON the way Node's BullMQ reads them.
#pragma once

#include <boost/json/value.hpp>

#include <cstdint>
#include <optional>

namespace drover {

// An integer, or a double with no fraction within JavaScript's safe range (2^53): what a
// strict reader accepts as a count or a number of milliseconds.
std::optional<std::int64_t> as_exact_integer(const boost::json::value& v);

// A stored option or scheduler field as Node's code uses it, with JavaScript's arithmetic:
// a number, or text that is one ("700", " 3 ": `every: process.env.INTERVAL`), fractions
// allowed, then made whole by `round` the way Node's use of it would (std::ceil for a
// count compared with `<`, std::trunc for one given to slice() or Redis, std::round for
// milliseconds), clamped to JavaScript's safe range. Anything else is nullopt.
std::optional<std::int64_t> as_loose_integer(const boost::json::value& v, double (*round)(double));

// The same reading without making it whole: a finite number, or text that is one (a
// stored `jitter: "0.5"`, which Node's arithmetic takes as 0.5). Anything else is nullopt.
std::optional<double> as_loose_number(const boost::json::value& v);

}  // namespace drover
