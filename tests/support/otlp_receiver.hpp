// otlp_receiver.hpp - a small OTLP/HTTP (JSON) trace collector for the tests: it listens
// on a free loopback port, answers every POST with 200, and keeps the spans it was sent.
#pragma once

#include <boost/json/object.hpp>

#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace drover::test {

// One received span, flattened from resourceSpans/scopeSpans.
struct received_span {
  std::string service;  // the resource's service.name
  std::string trace_id, span_id, parent_span_id, name;
  int kind = 0;
  int status_code = 0;
  boost::json::object attributes;  // key -> the OTLP AnyValue's inner value
};

class otlp_receiver {
 public:
  otlp_receiver();
  ~otlp_receiver();
  otlp_receiver(const otlp_receiver&) = delete;
  otlp_receiver& operator=(const otlp_receiver&) = delete;

  std::string url() const;  // "http://127.0.0.1:<port>"
  std::vector<received_span> spans() const;
  std::size_t requests() const;

 private:
  struct impl;
  std::unique_ptr<impl> impl_;
};

}  // namespace drover::test
