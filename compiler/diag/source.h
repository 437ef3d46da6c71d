// Source files and positions. Nodes carry byte offsets; line and column are computed only when a
// message is printed (cel-cpp keeps ranges in a side table the same way).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace lode {

struct SourceRange {
  uint32_t file = 0;
  uint32_t begin = 0;  // byte offset of the first character
  uint32_t end = 0;    // byte offset one past the last character
};

// Both 1-based. col counts characters (UTF-8 code points), as editors do; a UTF-8 byte order mark at
// the start of the file is not a character.
struct LineCol { uint32_t line; uint32_t col; };

class SourceManager {
 public:
  uint32_t add(std::string path, std::string text);
  const std::string& path(uint32_t file) const { return files_[file].path; }
  const std::string& text(uint32_t file) const { return files_[file].text; }
  LineCol lineCol(uint32_t file, uint32_t offset) const;
  std::string lineText(uint32_t file, uint32_t line) const;  // without the newline (or a BOM)
  uint32_t chars(uint32_t file, uint32_t begin, uint32_t end) const;  // code points in [begin, end)
  size_t size() const { return files_.size(); }

 private:
  struct File { std::string path; std::string text; std::vector<uint32_t> lineStarts; };
  std::vector<File> files_;
};

}  // namespace lode
