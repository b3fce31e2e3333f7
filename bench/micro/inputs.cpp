// inputs.cpp - the shared inputs; the payload and the hash were captured from Redis
// (see inputs.hpp), the rest is built from them.
#include "inputs.hpp"

#include <boost/json/parse.hpp>

#include <string_view>

namespace json = boost::json;

namespace drover::micro {

namespace {

void append_bulk(std::string& out, std::string_view s) {
  out += '$';
  out += std::to_string(s.size());
  out += "\r\n";
  out += s;
  out += "\r\n";
}

}  // namespace

const std::string& chat_payload_text() {
  static const std::string text =
      R"json({"conversationId":"c0f5e6a2-4b1d-4f0e-9a7c-2d3b8e1f6a90","userId":"u-81234","message":"Great, ca)json"
      R"json(n you suggest two or three restaurants near Baixa for dinner on day 1, nothing too touristy, and)json"
      R"json( tell me whether we need to book ahead?","messageId":48213,"context":{"history":[{"role":"user",)json"
      R"json("content":"Hi! I am planning a three-day trip to Lisbon in early May and would like some help wi)json"
      R"json(th an itinerary."},{"role":"assistant","content":"Happy to help. Lisbon in May is lovely: mild w)json"
      R"json(eather, long evenings. Do you prefer museums, food, viewpoints or day trips (Sintra, Cascais)?"})json"
      R"json(,{"role":"user","content":"Mostly food and viewpoints, and maybe one day trip. We are two adults)json"
      R"json(, moderate budget, staying in Baixa."},{"role":"assistant","content":"Then day 1 could be Alfama)json"
      R"json( and the castle with miradouros at sunset, day 2 Belem and LX Factory, and day 3 Sintra by train)json"
      R"json( from Rossio."}],"assessment":{"tone":"friendly","expertise":"beginner","language":"en"}},"webho)json"
      R"json(okUrl":"http://127.0.0.1:3000/internal/webhooks/job-completed"})json";
  return text;
}

const json::value& chat_payload() {
  static const json::value v = json::parse(chat_payload_text());
  return v;
}

job_options chat_job_options() {
  job_options o;
  o.attempts = 3;
  o.backoff = backoff_options{"exponential", 2000, std::nullopt};
  o.timeout = 30000;
  return o;
}

const json::value& chat_result() {
  static const json::value v =
      json::object{{"response",
                    "Three places near Baixa that locals like: Taberna da Rua das Flores (small, petiscos, no "
                    "bookings - arrive before 19:00 or expect a queue), Zé da Mouraria (huge portions of "
                    "bacalhau, lunch only, so better for day 2) and O Trevo for a quick bifana. For a sit-down "
                    "dinner on day 1, Cervejaria Ramiro is famous for seafood and takes no bookings either; "
                    "go early or late. If you want to book, A Cevicheria and Prado take reservations online "
                    "and fill up two or three days ahead in May. Near the castle, Chapitô à Mesa has a terrace "
                    "with one of the best views of the river at sunset - book a table outside."},
                   {"provider", "openai"},
                   {"model", "gpt-4o-mini"}};
  return v;
}

const std::vector<std::string>& chat_job_hash() {
  static const std::vector<std::string> fv{
      "delay",
      "0",
      "processedOn",
      "1795921541817",
      "timestamp",
      "1795921541587",
      "pb",
      "workers-1",
      "priority",
      "0",
      "data",
      chat_payload_text(),
      "opts",
      R"json({"removeOnFail":5000,"removeOnComplete":1000,"backoff":{"delay":2000,"type":"exponential"},"attempts":3})json",
      "name",
      "generate-response",
      "ats",
      "1"};
  return fv;
}

const std::vector<std::string>& noop_job_hash() {
  static const std::vector<std::string> fv{"name",        "noop",
                                           "data",        R"json({"i":4711})json",
                                           "opts",        R"json({"attempts":0})json",
                                           "timestamp",   "1795922656606",
                                           "delay",       "0",
                                           "priority",    "0",
                                           "processedOn", "1795922656853",
                                           "ats",         "1"};
  return fv;
}

std::string fetch_reply_bytes(const std::vector<std::string>& hash) {
  std::string out = "*4\r\n*" + std::to_string(hash.size()) + "\r\n";
  for (const auto& s : hash) append_bulk(out, s);
  append_bulk(out, job_id);
  out += ":0\r\n:0\r\n";
  return out;
}

const std::string& add_bulk_reply_bytes() {
  static const std::string bytes = [] {
    std::string out;
    for (std::size_t i = 0; i < bulk_size; ++i) append_bulk(out, std::to_string(48213 + i));
    return out;
  }();
  return bytes;
}

}  // namespace drover::micro
