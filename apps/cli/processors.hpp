// processors.hpp - the built-in processors of `drover worker`, for tests, demos and benchmarks.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include <drover/worker.hpp>

namespace drover::cli {

// noop, echo, sleep, fail, flaky, progress, cpu; std::nullopt for another name.
std::optional<processor> builtin_processor(const std::string& name);
const std::vector<std::string>& builtin_processor_names();

}  // namespace drover::cli
