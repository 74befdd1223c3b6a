// Private files; see private_files.hpp.
#include "security/private_files.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

namespace jupiter {

void createPrivateFiles() { umask(077); }

Status checkPrivateFolder(const std::filesystem::path& dir, std::string_view what) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0)
        return makeError("files", fmt::format("cannot read the {} {}: {}", what, dir.string(), std::strerror(errno)));
    if ((st.st_mode & 077) != 0)
        return makeError("files", fmt::format("the {} {} is open to group or others (mode {:04o}); it holds every "
                                              "record and request id and must be private to its owner: run "
                                              "`chmod 700 {}`",
                                              what, dir.string(), st.st_mode & 0777, dir.string()));
    return Ok{};
}

Status makeFolderPrivate(const std::filesystem::path& dir) {
    struct stat st {};
    if (stat(dir.c_str(), &st) != 0)
        return makeError("files", fmt::format("cannot read {}: {}", dir.string(), std::strerror(errno)));
    if ((st.st_mode & 077) == 0) return Ok{};
    if (chmod(dir.c_str(), st.st_mode & 0700) != 0)
        return makeError("files", fmt::format("cannot make {} private: {} (run `chmod 700 {}`)", dir.string(),
                                              std::strerror(errno), dir.string()));
    return Ok{};
}

}  // namespace jupiter
