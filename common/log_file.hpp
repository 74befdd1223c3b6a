// Where a daemon's log goes when it is not the terminal: a file that stdout and stderr point at,
// opened again on SIGHUP so that logrotate (or an operator) can move it away and the daemon goes on
// writing to a fresh file at the same path, without a restart. One file per process.
#pragma once

#include <filesystem>

#include "common/result.hpp"

namespace jupiter {

// Points stdout and stderr at `path` (appending; the file is created 0640 with its folder) and
// remembers it for reopenLogFile(). The error names the path and the reason.
Status redirectOutputTo(const std::filesystem::path& path);

// Opens the remembered file again (SIGHUP). Ok when output was never redirected (a terminal, the
// journal); an error when the file cannot be opened, in which case output stays where it was.
Status reopenLogFile();

// The remembered path; empty when output was never redirected.
std::filesystem::path currentLogFile();

}  // namespace jupiter
