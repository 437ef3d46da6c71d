// A progress line for long batch runs: "\r  1234567 rows  412345 rows/s" on stderr.
//
// Only when stderr is a terminal (a log file must not fill with carriage returns) and only after the
// first second (short runs stay quiet). Rates are display-only, so this is the one place where a
// double is fine; it never touches money.
#pragma once
#include <chrono>
#include <cstdint>

namespace lode::cli {

class Progress {
 public:
  // `enabled` lets the caller veto the line, e.g. when results also go to the same terminal.
  explicit Progress(bool enabled);
  // Cheap enough to call per row: looks at the clock only every 256 rows.
  void tick(uint64_t rows) {
    if (enabled_ && (rows & 255) == 0) update(rows);
  }
  // Erases the progress line, if one was drawn, so the summary starts on a clean line.
  void clear();
  double elapsedSeconds() const;

 private:
  void update(uint64_t rows);
  using Clock = std::chrono::steady_clock;
  bool enabled_;
  bool drawn_ = false;
  Clock::time_point start_, last_;
};

}  // namespace lode::cli
