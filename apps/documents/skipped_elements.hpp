// skipped_elements.hpp - the HTML elements whose content is no part of a page's text:
// html_text.cpp skips them, and markdown_text.cpp keeps Markdown prose that names one
// from hiding the words after it.
#pragma once

#include <array>

namespace drover::documents {

inline constexpr std::array skipped_elements = {"script", "style", "noscript", "template",
                                                "head",   "svg",   "iframe",   "object"};

}  // namespace drover::documents
