// multipart.hpp - reading a multipart/form-data body (RFC 7578) held in memory.
#pragma once

#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace drover::api {

// A body that is not well-formed multipart; what() says where it went wrong.
class multipart_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct multipart_part {
  std::string name;                     // Content-Disposition's name
  std::optional<std::string> filename;  // set for file fields
  std::string content_type;             // as sent; empty when absent
  std::string_view body;                // points into the parsed body
};

// The value of parameter `name` in a header such as Content-Type or Content-Disposition
// ("type; a=b; name=\"value\"", quoted or not), or std::nullopt.
std::optional<std::string> header_parameter(std::string_view header, std::string_view name);

// The file name a Content-Disposition gives: its filename* (RFC 8187, UTF-8 or
// ISO-8859-1) when it has one that decodes, else its filename; std::nullopt for none.
std::optional<std::string> filename_parameter(std::string_view content_disposition);

// The boundary parameter of a multipart/form-data Content-Type, or std::nullopt when
// the type is something else. Throws multipart_error when the type is multipart but
// has no usable boundary.
std::optional<std::string> multipart_boundary(std::string_view content_type);

// The parts in order. Throws multipart_error for a missing delimiter, a part without
// a blank line after its headers or without a name, or a missing closing delimiter.
std::vector<multipart_part> parse_multipart(std::string_view body, std::string_view boundary);

}  // namespace drover::api
