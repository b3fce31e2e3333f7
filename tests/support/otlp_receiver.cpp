// otlp_receiver.cpp - see otlp_receiver.hpp. Synchronous and single-threaded: the tests
// send a few small batches.
#include "support/otlp_receiver.hpp"

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/read.hpp>
#include <boost/beast/http/string_body.hpp>
#include <boost/beast/http/write.hpp>
#include <boost/json/parse.hpp>

#include <atomic>

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace json = boost::json;
using tcp = net::ip::tcp;

namespace drover::test {

struct otlp_receiver::impl {
  net::io_context io;
  tcp::acceptor acceptor{io, tcp::endpoint(net::ip::make_address("127.0.0.1"), 0)};
  std::thread thread;
  std::atomic<bool> stopping{false};
  mutable std::mutex mu;
  std::vector<received_span> spans;
  std::size_t requests = 0;

  void take(const std::string& body) {
    auto doc = json::parse(body).as_object();
    std::lock_guard lock(mu);
    ++requests;
    for (const auto& rs : doc.at("resourceSpans").as_array()) {
      std::string service;
      for (const auto& a : rs.at("resource").at("attributes").as_array()) {
        if (a.at("key") == "service.name") service = a.at("value").at("stringValue").as_string();
      }
      for (const auto& ss : rs.at("scopeSpans").as_array()) {
        for (const auto& sv : ss.at("spans").as_array()) {
          const auto& s = sv.as_object();
          received_span r;
          r.service = service;
          r.trace_id = s.at("traceId").as_string();
          r.span_id = s.at("spanId").as_string();
          if (auto* p = s.if_contains("parentSpanId")) r.parent_span_id = p->as_string();
          r.name = s.at("name").as_string();
          r.kind = static_cast<int>(s.at("kind").to_number<int>());
          if (auto* st = s.if_contains("status"); st && st->as_object().contains("code")) {
            r.status_code = st->at("code").to_number<int>();
          }
          for (const auto& a : s.at("attributes").as_array()) {
            const auto& v = a.at("value").as_object();
            r.attributes[a.at("key").as_string()] = v.begin()->value();
          }
          spans.push_back(std::move(r));
        }
      }
    }
  }

  void serve() {
    while (!stopping) {
      tcp::socket sock(io);
      boost::system::error_code ec;
      acceptor.accept(sock, ec);
      if (ec || stopping) continue;
      beast::flat_buffer buf;
      http::request<http::string_body> req;
      http::read(sock, buf, req, ec);
      if (ec) continue;
      http::response<http::string_body> res{http::status::ok, 11};
      try {
        if (req.target() != "/v1/traces") throw std::runtime_error("path");
        take(req.body());
      } catch (const std::exception&) {
        res.result(http::status::bad_request);
      }
      res.set(http::field::content_type, "application/json");
      res.body() = "{}";
      res.prepare_payload();
      http::write(sock, res, ec);
    }
  }
};

otlp_receiver::otlp_receiver() : impl_(std::make_unique<impl>()) {
  impl_->thread = std::thread([i = impl_.get()] { i->serve(); });
}

otlp_receiver::~otlp_receiver() {
  impl_->stopping = true;
  // Wake the blocking accept with a connection of our own.
  boost::system::error_code ec;
  tcp::socket poke(impl_->io);
  poke.connect(impl_->acceptor.local_endpoint(), ec);
  impl_->thread.join();
}

std::string otlp_receiver::url() const {
  return "http://127.0.0.1:" + std::to_string(impl_->acceptor.local_endpoint().port());
}

std::vector<received_span> otlp_receiver::spans() const {
  std::lock_guard lock(impl_->mu);
  return impl_->spans;
}

std::size_t otlp_receiver::requests() const {
  std::lock_guard lock(impl_->mu);
  return impl_->requests;
}

}  // namespace drover::test
