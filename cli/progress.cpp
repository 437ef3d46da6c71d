#include "cli/progress.h"

#include <unistd.h>

#include <cstdio>

namespace lode::cli {

Progress::Progress(bool enabled) : enabled_(enabled && isatty(fileno(stderr))), start_(Clock::now()), last_(start_) {}

double Progress::elapsedSeconds() const { return std::chrono::duration<double>(Clock::now() - start_).count(); }

void Progress::update(uint64_t rows) {
  auto now = Clock::now();
  if (now - start_ < std::chrono::seconds(1) || now - last_ < std::chrono::milliseconds(500)) return;
  last_ = now;
  double secs = std::chrono::duration<double>(now - start_).count();
  std::fprintf(stderr, "\r  %llu rows  %.0f rows/s ", static_cast<unsigned long long>(rows), rows / secs);
  std::fflush(stderr);
  drawn_ = true;
}

void Progress::clear() {
  if (!drawn_) return;
  std::fputs("\r\033[K", stderr);  // carriage return, then erase to the end of the line
  std::fflush(stderr);
  drawn_ = false;
}

}  // namespace lode::cli
