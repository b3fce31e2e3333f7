// job_options_fuzz.cpp - libFuzzer harness of job options (src/core/job_options.cpp):
// the public JSON a producer sends, and the stored form read back from a job hash.
//
// Input: JSON text. Properties: from_json either refuses with drover::error or gives
// options that pass validate(); the stored form reads back to the same stored form;
// the public form (to_json, what Node's job.opts shows) is accepted again by from_json
// and means the same. from_stored is lenient: any object reads without throwing.
#include <boost/json/parse.hpp>
#include <boost/json/serialize.hpp>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string_view>

#include "drover/error.hpp"
#include "drover/job_options.hpp"

namespace json = boost::json;
using drover::job_options;

namespace {

[[noreturn]] void fail(const char* what, const json::value& a, const json::value& b) {
  std::fprintf(stderr, "%s:\n  %s\n  %s\n", what, json::serialize(a).c_str(), json::serialize(b).c_str());
  std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  boost::system::error_code ec;
  auto v = json::parse(std::string_view(reinterpret_cast<const char*>(data), size), ec);
  if (ec) return 0;

  if (v.is_object()) {
    auto lenient = job_options::from_stored(v.get_object());
    (void)lenient.to_stored();
    (void)lenient.to_json();
  }

  job_options o;
  try {
    o = job_options::from_json(v);
  } catch (const drover::error&) {
    return 0;
  }
  o.validate();
  const auto stored = o.to_stored();
  const auto again = job_options::from_stored(stored).to_stored();
  if (again != stored) fail("stored options changed on reading back", stored, again);

  const auto shown = o.to_json();
  job_options back;
  try {
    back = job_options::from_json(shown);
  } catch (const drover::error& e) {
    std::fprintf(stderr, "%s\n", e.what());
    fail("from_json refused what to_json showed", v, shown);
  }
  if (back.to_stored() != stored) fail("the public form means something else", stored, back.to_stored());
  return 0;
}
