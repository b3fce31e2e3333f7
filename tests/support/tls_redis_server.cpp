// tls_redis_server.cpp - making test certificates with the openssl command, and a TLS redis-server.
#include "support/tls_redis_server.hpp"

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <stdexcept>

namespace drover::test {

namespace {

void run(const std::string& command) {
  // Quiet: openssl reports progress on stderr.
  if (std::system((command + " >/dev/null 2>&1").c_str()) != 0) throw std::runtime_error("failed: " + command);
}

// A self-signed CA named `name` in dir/name.{crt,key}.
void make_ca(const std::string& dir, const std::string& name) {
  run("openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 -subj /CN=" + name +
      " -keyout " + dir + "/" + name + ".key -out " + dir + "/" + name + ".crt");
}

// dir/name.{crt,key} signed by dir/ca, with the subjectAltName `san` when given.
void make_leaf(const std::string& dir, const std::string& name, const std::string& san) {
  const auto base = dir + "/" + name;
  run("openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -subj /CN=" + name + " -keyout " + base +
      ".key -out " + base + ".csr");
  std::string ext;
  if (!san.empty()) {
    std::ofstream(base + ".ext") << "subjectAltName=" << san << "\n";
    ext = " -extfile " + base + ".ext";
  }
  run("openssl x509 -req -days 2 -in " + base + ".csr -CA " + dir + "/ca.crt -CAkey " + dir +
      "/ca.key -CAcreateserial -out " + base + ".crt" + ext);
}

}  // namespace

test_certificates::test_certificates() : dir(make_temp_dir("certs")) {
  make_ca(dir, "ca");
  make_ca(dir, "other-ca");
  make_leaf(dir, "server", "DNS:localhost,IP:127.0.0.1");
  make_leaf(dir, "client", "");
  make_leaf(dir, "named-server", "DNS:redis.internal");
  ca_cert = dir + "/ca.crt";
  other_ca_cert = dir + "/other-ca.crt";
  server_cert = dir + "/server.crt";
  server_key = dir + "/server.key";
  client_cert = dir + "/client.crt";
  client_key = dir + "/client.key";
  named_server_cert = dir + "/named-server.crt";
  named_server_key = dir + "/named-server.key";
}

test_certificates::~test_certificates() {
  std::error_code ec;
  std::filesystem::remove_all(dir, ec);
}

tls_redis_server::tls_redis_server(bool require_client_cert, server_certificate certificate) {
  const bool named = certificate == server_certificate::named;
  // redis_server starts again on another plain port when its own was taken meanwhile; the
  // TLS port, found free here, can be taken the same way, and the server then exits.
  for (int attempt = 1;; ++attempt) {
    tls_port_ = free_loopback_port();
    try {
      server_ = std::make_unique<redis_server>(
          false, std::vector<std::string>{"--tls-port", std::to_string(tls_port_), "--tls-cert-file",
                                          named ? certs_.named_server_cert : certs_.server_cert, "--tls-key-file",
                                          named ? certs_.named_server_key : certs_.server_key, "--tls-ca-cert-file",
                                          certs_.ca_cert, "--tls-auth-clients", require_client_cert ? "yes" : "no"});
      return;
    } catch (const std::exception&) {
      if (attempt == 3) throw;
    }
  }
}

redis_options tls_redis_server::options() const {
  auto o = server_->options();
  o.port = tls_port_;
  o.tls.enabled = true;
  o.tls.ca_file = certs_.ca_cert;
  return o;
}

}  // namespace drover::test
