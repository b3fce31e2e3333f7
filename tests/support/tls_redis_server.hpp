// tls_redis_server.hpp - a redis-server that speaks TLS, with certificates the test makes.
#pragma once

#include <cstdint>
#include <memory>
#include <string>

#include <drover/redis_options.hpp>

#include "support/redis_server.hpp"

namespace drover::test {

// A CA, a server certificate for localhost and 127.0.0.1, a client certificate, and a
// second CA that signed none of them; PEM files made by the `openssl` command in a new
// temporary directory (removed at the end).
struct test_certificates {
  test_certificates();
  ~test_certificates();
  test_certificates(const test_certificates&) = delete;
  test_certificates& operator=(const test_certificates&) = delete;

  std::string dir;
  std::string ca_cert, server_cert, server_key, client_cert, client_key, other_ca_cert;
  // A server certificate that names only redis.internal (not the address it is reached at).
  std::string named_server_cert, named_server_key;
};

// redis-server with a TLS port beside its plain one (the plain port serves the tests'
// setup and checks through redis_server::cli). With `require_client_cert`, TLS clients
// must show a certificate of the CA (--tls-auth-clients yes); with `certificate` named,
// the server shows the one naming only redis.internal.
enum class server_certificate { local, named };
class tls_redis_server {
 public:
  explicit tls_redis_server(bool require_client_cert = false,
                            server_certificate certificate = server_certificate::local);

  std::uint16_t tls_port() const { return tls_port_; }
  const test_certificates& certs() const { return certs_; }
  redis_server& plain() { return *server_; }

  // rediss to 127.0.0.1 on the TLS port, verifying against the test CA; no client certificate.
  redis_options options() const;

 private:
  test_certificates certs_;
  std::uint16_t tls_port_;
  std::unique_ptr<redis_server> server_;
};

}  // namespace drover::test
