// A folder of its own under the system's temp dir for one test, removed with everything in it.
#pragma once

#include <unistd.h>

#include <filesystem>
#include <random>
#include <string>
#include <system_error>

namespace jupiter::testing {

struct TempDir {
    std::filesystem::path path;
    explicit TempDir(const std::string& what = "test") {
        path = std::filesystem::temp_directory_path() /
               ("jupiter-" + what + "-" + std::to_string(std::random_device{}()) + "-" + std::to_string(getpid()));
        std::filesystem::create_directories(path);
    }
    ~TempDir() {
        std::error_code ec;  // a destructor must not throw; what is left is in the temp dir
        std::filesystem::remove_all(path, ec);
    }
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
};

}  // namespace jupiter::testing
