// Reading a whole file and looking for a phrase in text: what tests check logs and outputs with.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <algorithm>
#include <string>
#include <vector>

namespace jupiter::testing {

// The file's whole contents; empty if it cannot be read.
inline std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

// The file's lines; none if it cannot be read.
inline std::vector<std::string> readLines(const std::filesystem::path& file) {
    std::vector<std::string> lines;
    std::ifstream in(file);
    for (std::string line; std::getline(in, line);) lines.push_back(line);
    return lines;
}

// How many of `lines` contain `part`.
inline long countLines(const std::vector<std::string>& lines, const std::string& part) {
    return std::count_if(lines.begin(), lines.end(), [&](const std::string& l) { return contains(l, part); });
}

}  // namespace jupiter::testing
