// blocking_call.hpp - the API's name for the shared drover_app/blocking_call.hpp.
#pragma once

#include <drover_app/blocking_call.hpp>

namespace drover::api {

using app::blocking_call;
using app::deadline_exceeded;

}  // namespace drover::api
