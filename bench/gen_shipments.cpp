// Writes a large shipment CSV for throughput runs: the rows of a template file (its header kept,
// malformed rows included as they are) repeated with fresh ids until N rows.
// Usage: lode_gen_shipments TEMPLATE.csv N OUT.csv
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

int main(int argc, char** argv) {
  if (argc != 4) { std::cerr << "usage: lode_gen_shipments TEMPLATE.csv N OUT.csv\n"; return 2; }
  std::ifstream in(argv[1]);
  std::string header, line;
  std::getline(in, header);
  std::vector<std::string> rows;
  while (std::getline(in, line)) if (!line.empty()) rows.push_back(line);
  if (rows.empty() || header.rfind("id,", 0) != 0) { std::cerr << "template needs an id column first\n"; return 2; }
  long n = std::stol(argv[2]);
  std::ofstream out(argv[3]);
  out << header << '\n';
  for (long i = 0; i < n; ++i) {
    const std::string& r = rows[i % rows.size()];
    out << "S" << i << r.substr(r.find(',')) << '\n';
  }
  return 0;
}
