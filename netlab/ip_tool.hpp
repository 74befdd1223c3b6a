// Running iproute2's `ip` (the documented interface to the kernel's namespaces, links and routes,
// rather than netlink by hand) and entering a named network namespace from a child process.
#pragma once

#include <string>
#include <vector>

#include "common/result.hpp"

namespace jupiter::netlab {

// Runs `ip ARGS...` and returns what it printed on stdout; an error carries its stderr and the
// command line. "not found" when iproute2 is missing, naming the Debian package.
Result<std::string> runIp(const std::vector<std::string>& args);

// Whether this process may build a lab (root, and `ip` is installed); otherwise the reason.
Status labSupported();

// Opens /run/netns/NAME (close-on-exec) for enterNetns; a clear error when it does not exist.
Result<int> openNetns(const std::string& name);
// Moves the calling process into the namespace opened by openNetns. Only a system call: safe
// between fork and exec. Returns 0, or -1 with errno set.
int enterNetns(int fd);

}  // namespace jupiter::netlab
