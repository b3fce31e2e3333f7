// text_format.hpp - the escaping and number rules of Prometheus' text exposition format.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace drover::app::metrics {

// HELP text: backslash and line feed escaped (\\, \n).
std::string escape_help(std::string_view text);
// A label value: backslash, double quote and line feed escaped (\\, \", \n).
std::string escape_label_value(std::string_view text);
// A sample value or bucket bound: shortest exact decimal, or +Inf, -Inf, NaN.
std::string format_value(double v);
// {name="value",...} with the values escaped; "" when there are no labels.
std::string format_labels(const std::vector<std::string>& names, const std::vector<std::string>& values);

bool valid_metric_name(std::string_view name);
bool valid_label_name(std::string_view name);

}  // namespace drover::app::metrics
