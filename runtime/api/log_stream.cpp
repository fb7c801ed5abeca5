// Line-forwarding FILE* (glibc fopencookie); see log_stream.hpp.
#include "runtime/api/log_stream.hpp"

#include <string>

namespace tl::api {

namespace {

struct Cookie {
  LogHandler handler;
  std::string pending;

  void emit_lines() {
    std::size_t start = 0;
    for (std::size_t nl; (nl = pending.find('\n', start)) != std::string::npos; start = nl + 1) {
      std::string line = pending.substr(start, nl - start);
      // A live progress bar redraws with \r; keep only the last drawing.
      if (const auto cr = line.rfind('\r'); cr != std::string::npos) line = line.substr(cr + 1);
      if (handler) handler(line);
    }
    pending.erase(0, start);
  }
};

ssize_t write_cookie(void* c, const char* buffer, std::size_t size) {
  auto* cookie = static_cast<Cookie*>(c);
  cookie->pending.append(buffer, size);
  cookie->emit_lines();
  return static_cast<ssize_t>(size);
}

int close_cookie(void* c) {
  auto* cookie = static_cast<Cookie*>(c);
  if (!cookie->pending.empty()) {
    cookie->pending += '\n';
    cookie->emit_lines();
  }
  delete cookie;
  return 0;
}

}  // namespace

std::FILE* open_log_stream(const LogHandler& handler) {
  cookie_io_functions_t io{};
  io.write = write_cookie;
  io.close = close_cookie;
  auto* cookie = new Cookie{handler, {}};
  std::FILE* f = fopencookie(cookie, "w", io);
  if (!f) {
    delete cookie;
    throw Error("tl: cannot create the log stream");
  }
  setvbuf(f, nullptr, _IOLBF, 0);
  return f;
}

}  // namespace tl::api
