// Reading a whole file and looking for a phrase in text: what tests check logs and outputs with.
#pragma once

#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>

namespace jupiter::testing {

// The file's whole contents; empty if it cannot be read.
inline std::string slurp(const std::filesystem::path& file) {
    std::ifstream in(file);
    std::stringstream s;
    s << in.rdbuf();
    return s.str();
}

inline bool contains(const std::string& text, const std::string& part) { return text.find(part) != std::string::npos; }

}  // namespace jupiter::testing
