// extract_helper.cpp - drover-extract, the child process the Workers app runs for each
// document: it limits itself (address space, CPU time), reads the upload from stdin,
// extracts its text and writes records (extraction_records.hpp) to stdout. A parser that
// crashes, loops or allocates without end takes down this process only.
//
//   drover-extract <media-type> <memory-MiB> <cpu-seconds>
//
// Exit status: 0 with a text record, 2 with an unreadable record, 3 when memory ran out
// (the limit was reached), 1 for anything else (the reason on stderr).
//
// Test triggers, honoured only with DROVER_EXTRACT_TEST_TRIGGERS=1 in the environment:
// an upload that starts with "DROVER-TEST-CRASH" crashes (SIGSEGV), one that starts
// with "DROVER-TEST-HANG" sleeps for ever, one with "DROVER-TEST-SPIN" spins on the CPU.
#include <sys/prctl.h>
#include <sys/resource.h>
#include <unistd.h>

#include <charconv>
#include <csignal>
#include <cstdlib>
#include <cstring>
#include <iostream>
#include <new>
#include <stdexcept>
#include <string>
#include <string_view>

#include "documents/extracted_text.hpp"
#include "documents/extraction_records.hpp"

namespace {

constexpr int exit_unreadable = 2;
constexpr int exit_out_of_memory = 3;

[[noreturn]] void out_of_memory() {
  constexpr char msg[] = "drover-extract: out of memory\n";
  (void)!write(STDERR_FILENO, msg, sizeof msg - 1);
  _exit(exit_out_of_memory);
}

}  // namespace

// With RLIMIT_AS set, a failed allocation means the limit was reached. C++ code meets it
// through operator new (the new-handler below); poppler's own allocator and the C
// libraries call malloc and abort on NULL, so malloc, calloc and realloc are wrapped
// here as well, which turns every failure into the same exit status. Not under the
// sanitizers: they bring their own allocator, and no address-space limit is set there.
#if !defined(__SANITIZE_ADDRESS__) && !defined(__SANITIZE_THREAD__)
#define DROVER_EXTRACT_WRAPS_MALLOC 1
extern "C" {
void* __libc_malloc(std::size_t);
void* __libc_calloc(std::size_t, std::size_t);
void* __libc_realloc(void*, std::size_t);

void* malloc(std::size_t n) {
  void* p = __libc_malloc(n);
  if (!p && n) out_of_memory();
  return p;
}
void* calloc(std::size_t count, std::size_t n) {
  void* p = __libc_calloc(count, n);
  if (!p && count && n) out_of_memory();
  return p;
}
void* realloc(void* old, std::size_t n) {
  void* p = __libc_realloc(old, n);
  if (!p && n) out_of_memory();
  return p;
}
}
#endif

namespace {

long positive(const char* text, const char* what) {
  long v = 0;
  std::string_view s(text);
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size() || v <= 0) {
    std::cerr << "drover-extract: " << what << " must be a positive number, got '" << text << "'\n";
    std::exit(1);
  }
  return v;
}

void limit(int resource, rlim_t soft, rlim_t hard, const char* what) {
  rlimit r{soft, hard};
  if (setrlimit(resource, &r) != 0) {
    std::cerr << "drover-extract: cannot limit " << what << ": " << std::strerror(errno) << '\n';
    std::exit(1);
  }
}

void write_all(std::string_view bytes) {
  while (!bytes.empty()) {
    auto n = write(STDOUT_FILENO, bytes.data(), bytes.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) std::exit(1);  // the parent is gone: nobody reads the result
    bytes.remove_prefix(static_cast<std::size_t>(n));
  }
}

std::string read_all_stdin() {
  std::string bytes;
  char buf[1 << 16];
  for (;;) {
    auto n = read(STDIN_FILENO, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) throw std::runtime_error(std::string("cannot read the upload from stdin: ") + std::strerror(errno));
    if (n == 0) return bytes;
    bytes.append(buf, static_cast<std::size_t>(n));
  }
}

void test_triggers(const std::string& bytes) {
  const char* on = std::getenv("DROVER_EXTRACT_TEST_TRIGGERS");
  if (!on || std::string_view(on) != "1") return;
  if (bytes.starts_with("DROVER-TEST-CRASH")) {
    // The default action, as in a build without sanitizers: ASan's handler would report
    // the signal and abort (SIGABRT) instead.
    std::signal(SIGSEGV, SIG_DFL);
    std::raise(SIGSEGV);
  }
  if (bytes.starts_with("DROVER-TEST-HANG")) {
    for (;;) pause();
  }
  if (bytes.starts_with("DROVER-TEST-SPIN")) {
    volatile unsigned long n = 0;
    for (;;) n = n + 1;
  }
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 4) {
    std::cerr << "usage: drover-extract <media-type> <memory-MiB> <cpu-seconds> < upload > records\n";
    return 1;
  }
  [[maybe_unused]] const auto memory_mib = static_cast<rlim_t>(positive(argv[2], "memory-MiB"));
  const auto cpu_seconds = static_cast<rlim_t>(positive(argv[3], "cpu-seconds"));
  // SIGXCPU at the soft limit; the hard one, a second later, is SIGKILL for a process
  // that ignores it.
  limit(RLIMIT_CPU, cpu_seconds, cpu_seconds + 1, "CPU time");
#ifdef DROVER_EXTRACT_WRAPS_MALLOC
  limit(RLIMIT_AS, memory_mib << 20, memory_mib << 20, "address space");
#endif
  limit(RLIMIT_CORE, 0, 0, "core dumps");  // a crash is reported, not kept
  // A Workers process killed outright leaves nobody to read the result: go with it.
  prctl(PR_SET_PDEATHSIG, SIGKILL);
  if (getppid() == 1) return 1;  // it died before the line above
  std::set_new_handler(out_of_memory);

  try {
    auto bytes = read_all_stdin();
    test_triggers(bytes);
    auto text = drover::documents::extract_text(
        argv[1], bytes, [](int done, int total) { write_all(drover::documents::progress_record(done, total)); });
    write_all(drover::documents::result_records(text));
    return 0;
  } catch (const drover::documents::unreadable_document& e) {
    std::string out;
    drover::documents::append_record(out, drover::documents::record_tag::unreadable, e.what());
    write_all(out);
    return exit_unreadable;
  } catch (const std::bad_alloc&) {
    out_of_memory();
  } catch (const std::exception& e) {
    std::cerr << "drover-extract: " << e.what() << '\n';
    return 1;
  }
}
