// error.cpp - the error category behind drover::errc.
#include "drover/error.hpp"

namespace drover {

namespace {

class category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "drover"; }
  std::string message(int ev) const override {
    switch (static_cast<errc>(ev)) {
      case errc::redis_unavailable:
        return "Redis is unavailable";
      case errc::redis_timeout:
        return "Redis did not answer in time";
      case errc::redis_error:
        return "Redis answered with an error";
      case errc::protocol_error:
        return "unexpected reply from Redis";
      case errc::script_error:
        return "a Lua script failed";
      case errc::invalid_argument:
        return "invalid argument";
      case errc::job_not_found:
        return "job not found";
      case errc::lock_missing:
        return "job lock missing";
      case errc::not_in_state:
        return "job not in the expected state";
      case errc::pending_children:
        return "job has pending or failed children";
      case errc::parent_missing:
        return "parent job missing";
      case errc::lock_mismatch:
        return "job locked by another worker";
      case errc::closed:
        return "closed";
      case errc::cancelled:
        return "cancelled";
      case errc::timed_out:
        return "timed out";
      case errc::not_replicated:
        return "not confirmed by enough replicas in time";
    }
    return "unknown drover error";
  }
};

}  // namespace

const std::error_category& drover_category() noexcept {
  static const category c;
  return c;
}

}  // namespace drover
