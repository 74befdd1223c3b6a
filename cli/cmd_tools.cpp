// `jupiter chaos …` and `jupiter bench …`: front doors to the jupiter-chaos and jupiter-bench
// programs installed beside `jupiter`, so a user needs one command name. The tool replaces this
// process (exec), so its output, exit code and Ctrl-C behave exactly as if it were run directly.
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include <fmt/format.h>

#include "cli/commands.hpp"
#include "cli/exit_codes.hpp"
#include "cli/processes.hpp"

namespace jupiter::cli {

int runTool(const std::string& tool, const std::string& dir, const std::vector<std::string>& args) {
    const auto binary = binDir() / fmt::format("jupiter-{}", tool);
    std::vector<std::string> all = {binary.string()};
    // A --dir given to `jupiter` itself (before the subcommand) is the tool's folder too.
    if (!dir.empty() && tool == "chaos") {
        all.push_back("--dir");
        all.push_back(dir);
    }
    all.insert(all.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : all) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(binary.c_str(), argv.data());
    fmt::print(stderr, "jupiter {}: cannot run {}: {} (it is built beside `jupiter`; build it with `ninja -C build`)\n",
               tool, binary.string(), std::strerror(errno));
    return kExitUsage;
}

}  // namespace jupiter::cli
