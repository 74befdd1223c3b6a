// Files private to the account that runs Jupiter: everything a daemon or the CLI creates is
// 0700/0600 (the data folder holds every record, request id and key), and a data folder that group
// or others can open stops the daemon, naming the folder and the chmod (as PostgreSQL does).
#pragma once

#include <filesystem>

#include "common/result.hpp"

namespace jupiter {

// Sets the process's umask so that what it creates from now on is private (077).
void createPrivateFiles();

// Ok when `dir` grants group and others nothing; otherwise an error naming it, its mode and the chmod.
Status checkPrivateFolder(const std::filesystem::path& dir, std::string_view what);

// Takes group and others' permissions off `dir` (a folder this process is setting up); Ok if it
// already was private. The error names the folder and the chmod to run.
Status makeFolderPrivate(const std::filesystem::path& dir);

}  // namespace jupiter
